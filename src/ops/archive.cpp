#include "ops/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>

namespace docrunch::ops {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kBlock = 1 << 20;

class Hasher {
 public:
  Hasher() : state_(XXH3_createState(), &XXH3_freeState) { XXH3_128bits_reset(state_.get()); }
  void Update(const void* data, std::size_t n) { XXH3_128bits_update(state_.get(), data, n); }
  std::string Hex() const {
    XXH128_hash_t h = XXH3_128bits_digest(state_.get());
    char out[33];
    std::snprintf(out, sizeof out, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                  static_cast<unsigned long long>(h.low64));
    return out;
  }

 private:
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state_;
};

using WriteHandle = std::unique_ptr<struct archive, decltype(&archive_write_free)>;
using ReadHandle = std::unique_ptr<struct archive, decltype(&archive_read_free)>;
using EntryHandle = std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)>;

Error ArchiveError(struct archive* a, ErrorCode code, const std::string& what) {
  const char* why = archive_error_string(a);
  return MakeError(code, what + ": " + (why ? why : "unknown archive error"));
}

Result<void> WriteHeader(struct archive* a, const std::string& name, std::uint64_t size) {
  EntryHandle entry(archive_entry_new(), &archive_entry_free);
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0600);
  archive_entry_set_mtime(entry.get(), std::time(nullptr), 0);
  if (archive_write_header(a, entry.get()) != ARCHIVE_OK) {
    return ArchiveError(a, ErrorCode::kIo, "archive entry " + name);
  }
  return Ok();
}

Result<void> WriteData(struct archive* a, const std::string& name, const char* data,
                       std::size_t n) {
  if (n == 0) return Ok();
  if (archive_write_data(a, data, n) != static_cast<la_ssize_t>(n)) {
    return ArchiveError(a, ErrorCode::kIo, "archive entry " + name);
  }
  return Ok();
}

Result<void> WriteEntry(struct archive* a, const ArchiveSource& e) {
  DOCRUNCH_TRY(WriteHeader(a, e.name, e.size));
  if (e.bytes) return WriteData(a, e.name, e.bytes->data(), e.bytes->size());
  std::unique_ptr<FILE, decltype(&std::fclose)> in(std::fopen(e.file.c_str(), "rb"), &std::fclose);
  if (!in)
    return MakeError(ErrorCode::kIo, "cannot read " + e.file.string() + ": " + strerror(errno));
  std::vector<char> buffer(kBlock);
  Hasher hash;
  std::uint64_t total = 0;
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), in.get())) > 0) {
    // Never more than the header promised: tar would pad or cut anyway.
    if (total + n > e.size) break;
    hash.Update(buffer.data(), n);
    total += n;
    DOCRUNCH_TRY(WriteData(a, e.name, buffer.data(), n));
  }
  if (total != e.size || hash.Hex() != e.xxh3) {
    return MakeError(ErrorCode::kIo, e.file.string() + " changed while the snapshot was written");
  }
  return Ok();
}

}  // namespace

std::string HashBytes(const std::string& bytes) {
  Hasher h;
  h.Update(bytes.data(), bytes.size());
  return h.Hex();
}

Result<std::string> HashFile(const fs::path& file, std::uint64_t* size) {
  std::unique_ptr<FILE, decltype(&std::fclose)> in(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!in)
    return MakeError(ErrorCode::kIo, "cannot read " + file.string() + ": " + strerror(errno));
  std::vector<char> buffer(kBlock);
  Hasher h;
  std::uint64_t total = 0;
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), in.get())) > 0) {
    h.Update(buffer.data(), n);
    total += n;
  }
  if (std::ferror(in.get())) return MakeError(ErrorCode::kIo, "cannot read " + file.string());
  if (size) *size = total;
  return h.Hex();
}

Result<void> WriteArchive(int fd, const ArchiveSource& first,
                          const std::vector<ArchiveSource>& entries, int zstd_level) {
  WriteHandle a(archive_write_new(), &archive_write_free);
  if (archive_write_add_filter_zstd(a.get()) != ARCHIVE_OK ||
      archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK) {
    return ArchiveError(a.get(), ErrorCode::kInternal, "zstd tar writer");
  }
  const std::string level = std::to_string(zstd_level);
  archive_write_set_filter_option(a.get(), "zstd", "compression-level", level.c_str());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open_fd(a.get(), fd) != ARCHIVE_OK) {
    return ArchiveError(a.get(), ErrorCode::kIo, "snapshot archive");
  }
  DOCRUNCH_TRY(WriteEntry(a.get(), first));
  for (const auto& e : entries) DOCRUNCH_TRY(WriteEntry(a.get(), e));
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return ArchiveError(a.get(), ErrorCode::kIo, "snapshot archive");
  }
  return Ok();
}

namespace {

Result<ReadHandle> OpenForRead(const fs::path& archive) {
  ReadHandle a(archive_read_new(), &archive_read_free);
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), archive.c_str(), kBlock) != ARCHIVE_OK) {
    return ArchiveError(a.get(), ErrorCode::kStorageCorrupt, archive.string());
  }
  return a;
}

}  // namespace

Result<std::string> ReadFirstEntry(const fs::path& archive) {
  auto a = OpenForRead(archive);
  if (!a) return a.error();
  struct archive_entry* entry = nullptr;
  if (archive_read_next_header(a->get(), &entry) != ARCHIVE_OK) {
    return ArchiveError(a->get(), ErrorCode::kStorageCorrupt, archive.string());
  }
  if (std::string(archive_entry_pathname(entry)) != "manifest.json") {
    return MakeError(ErrorCode::kStorageCorrupt,
                     archive.string() + ": the first entry is not manifest.json");
  }
  const la_int64_t size = archive_entry_size(entry);
  if (size < 0 || size > (64 << 20)) {
    return MakeError(ErrorCode::kStorageCorrupt, archive.string() + ": manifest size");
  }
  std::string text(static_cast<std::size_t>(size), '\0');
  if (archive_read_data(a->get(), text.data(), text.size()) != size) {
    return ArchiveError(a->get(), ErrorCode::kStorageCorrupt, archive.string());
  }
  return text;
}

Result<std::map<std::string, std::string>> ReadEntries(const fs::path& archive,
                                                       const EntryReader& reader) {
  auto a = OpenForRead(archive);
  if (!a) return a.error();
  std::map<std::string, std::string> memory;
  std::vector<char> buffer(kBlock);
  bool first = true;
  for (;;) {
    struct archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(a->get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK)
      return ArchiveError(a->get(), ErrorCode::kStorageCorrupt, archive.string());
    const std::string name = archive_entry_pathname(entry);
    // Folders carry no content (tar tools add them); every file is checked.
    if (archive_entry_filetype(entry) == AE_IFDIR) continue;
    if (first) {
      first = false;
      if (name != "manifest.json") {
        return MakeError(ErrorCode::kStorageCorrupt,
                         archive.string() + ": the first entry is not manifest.json");
      }
      continue;
    }
    std::optional<fs::path> dest = reader.destination ? reader.destination(name) : std::nullopt;
    const bool in_memory = reader.keep_in_memory && reader.keep_in_memory(name);
    std::unique_ptr<FILE, decltype(&std::fclose)> out(nullptr, &std::fclose);
    if (dest) {
      std::error_code ec;
      fs::create_directories(dest->parent_path(), ec);
      out.reset(std::fopen(dest->c_str(), "wb"));
      if (!out)
        return MakeError(ErrorCode::kIo, "cannot write " + dest->string() + ": " + strerror(errno));
    }
    std::string* kept = in_memory ? &memory[name] : nullptr;
    Hasher hash;
    std::uint64_t total = 0;
    for (;;) {
      const la_ssize_t n = archive_read_data(a->get(), buffer.data(), buffer.size());
      if (n < 0) return ArchiveError(a->get(), ErrorCode::kStorageCorrupt, archive.string());
      if (n == 0) break;
      hash.Update(buffer.data(), static_cast<std::size_t>(n));
      total += static_cast<std::uint64_t>(n);
      if (kept) kept->append(buffer.data(), static_cast<std::size_t>(n));
      if (out && std::fwrite(buffer.data(), 1, static_cast<std::size_t>(n), out.get()) !=
                     static_cast<std::size_t>(n)) {
        return MakeError(ErrorCode::kIo, "cannot write " + dest->string() + ": " + strerror(errno));
      }
    }
    if (out && std::fclose(out.release()) != 0) {
      return MakeError(ErrorCode::kIo, "cannot write " + dest->string());
    }
    if (reader.check) DOCRUNCH_TRY(reader.check(name, total, hash.Hex()));
  }
  if (first) return MakeError(ErrorCode::kStorageCorrupt, archive.string() + ": empty archive");
  return memory;
}

}  // namespace docrunch::ops
