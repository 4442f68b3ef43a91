#include "docs/doc_writer.h"

#include "core/files.h"

namespace docrunch::docs {

namespace fs = std::filesystem;

namespace {

// Whether a folder without an owner file may become Docrunch's: empty, or
// written by a version before owner files (its index.md says so), or holding
// only what comes before the first scan (report pages, other repositories'
// pages under repositories/).
bool UnclaimedButDocrunchs(const fs::path& folder) {
  std::error_code ec;
  bool only_early = true;  // nothing but what may come before the first scan
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    only_early = only_early && (name == "tasks" || name == "decisions" || name == "repositories" ||
                                IsAbandonedTemporary(entry.path()));
  }
  if (ec || only_early) return !ec;
  auto index = ReadFileText(folder / "index.md");
  return index && index->find(kGeneratedNotice) != std::string::npos;
}

}  // namespace

Result<void> ClaimDocsFolder(const fs::path& folder, const fs::path& repository_root) {
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(repository_root, ec).lexically_normal();
  const fs::path here = fs::weakly_canonical(folder, ec).lexically_normal();
  auto refuse = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidParams, "the Markdown folder " + here.string() + " " + why +
                                                    ": choose another (--output, or "
                                                    "storage.docs_output)");
  };
  if (fs::exists(here, ec) && !fs::is_directory(here, ec)) return refuse("is not a folder");
  const fs::path owner_file = here / kDocsOwnerFile;
  if (fs::exists(owner_file, ec)) {
    auto owner = ReadFileText(owner_file);
    if (!owner) return owner.error();
    std::string recorded = *owner;
    while (!recorded.empty() && (recorded.back() == '\n' || recorded.back() == '\r')) {
      recorded.pop_back();
    }
    fs::path owner_root(recorded);
    if (owner_root.is_relative()) owner_root = fs::weakly_canonical(here / owner_root, ec);
    owner_root = owner_root.lexically_normal();
    if (owner_root == root) return Ok();
    // A repository that no longer exists (moved or deleted) leaves its folder to the next.
    if (fs::exists(owner_root, ec)) {
      return refuse("documents the repository " + owner_root.string() + ", not " + root.string() +
                    ", whose pages would replace its own");
    }
  } else if (fs::is_directory(here, ec) && !UnclaimedButDocrunchs(here)) {
    return refuse("holds files Docrunch did not write, which its pages would replace or remove");
  }
  fs::create_directories(here, ec);
  if (ec) return Ok();
  // Relative when the folder is inside the repository, so the claim moves
  // and copies with it.
  const fs::path below_root = here.lexically_relative(root);
  const bool within = !below_root.empty() && *below_root.begin() != "..";
  (void)WriteFileAtomic(owner_file,
                        (within ? root.lexically_relative(here) : root).string() + "\n");
  return Ok();
}

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
  if (FileHolds(full, content)) return false;
  const fs::path folder = full.parent_path();
  auto make_folder = [&]() -> Result<void> {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) {
      return MakeError(ErrorCode::kIo, "cannot create " + folder.string() + ": " + ec.message());
    }
    folders_.insert(folder);
    return Ok();
  };
  const bool known = folders_.count(folder) > 0;
  if (!known) DOCRUNCH_TRY(make_folder());
  const WriteOptions options{.durable = !deferred_sync_};
  auto written = WriteFileAtomic(full, content, options);
  if (!written && known) {
    folders_.erase(folder);
    DOCRUNCH_TRY(make_folder());
    written = WriteFileAtomic(full, content, options);
  }
  DOCRUNCH_TRY(written);
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
