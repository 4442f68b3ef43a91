#include "docs/doc_writer.h"

#include "core/files.h"

namespace docrunch::docs {

namespace fs = std::filesystem;

Result<void> DocWriter::CheckRelativePath(const std::string& relative) {
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidParams, "invalid docs path '" + relative + "': " + why);
  };
  if (relative.empty()) return bad("empty");
  if (relative.size() > 512) return bad("longer than 512 characters");
  if (relative.front() == '/') return bad("absolute paths are not allowed");
  for (char c : relative) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '/';
    if (!ok) return bad("only letters, digits, '.', '_', '-' and '/' are allowed");
  }
  for (const auto& part : fs::path(relative)) {
    if (part == ".." || part == ".") return bad("'.' and '..' segments are not allowed");
  }
  return Ok();
}

Result<bool> DocWriter::Write(const std::string& relative, const std::string& content) {
  DOCRUNCH_TRY(CheckRelativePath(relative));
  fs::path full = root_ / relative;
  std::error_code ec;
  if (fs::is_regular_file(full, ec)) {
    auto existing = ReadFileText(full);
    if (existing && *existing == content) return false;
  }
  fs::create_directories(full.parent_path(), ec);
  if (ec) {
    return MakeError(ErrorCode::kIo,
                     "cannot create " + full.parent_path().string() + ": " + ec.message());
  }
  DOCRUNCH_TRY(WriteFileAtomic(full, content, {.durable = !deferred_sync_}));
  unsynced_ = unsynced_ || deferred_sync_;
  return true;
}

Result<void> DocWriter::Sync() {
  if (!unsynced_) return Ok();
  DOCRUNCH_TRY(SyncFilesystem(root_));
  unsynced_ = false;
  return Ok();
}

Result<void> DocWriter::Remove(const std::string& relative) {
  DOCRUNCH_TRY(CheckRelativePath(relative));
  std::error_code ec;
  fs::remove(root_ / relative, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot remove " + relative + ": " + ec.message());
  return Ok();
}

}  // namespace docrunch::docs
