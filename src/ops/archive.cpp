#include "ops/archive.h"

#include "core/files.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

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

// After the zstd frame, a zstd skippable frame (magic 0x184D2A5E, a 4-byte
// little-endian length, then the payload; every zstd reader passes over
// it) whose payload is kTrailerTag and the XXH3-128 of every byte before
// it. The entries' hashes in the manifest leave out what a reader ignores
// (the manifest itself, tar header fields such as times, padding): a byte
// flipped there restored without a word (tests/ops/snapshot_command_test).
constexpr char kTrailerTag[] = "docrunch-xxh3:";
constexpr std::size_t kTrailerPayload = sizeof kTrailerTag - 1 + 32;
constexpr std::size_t kTrailerSize = 8 + kTrailerPayload;
constexpr unsigned char kSkippableMagic[4] = {0x5e, 0x2a, 0x4d, 0x18};

// The trailer up to the hash: the frame's magic, the payload's length
// (little-endian), kTrailerTag.
std::string TrailerHead() {
  std::string head(reinterpret_cast<const char*>(kSkippableMagic), 4);
  for (int i = 0; i < 4; ++i) head += static_cast<char>((kTrailerPayload >> (8 * i)) & 0xff);
  return head + kTrailerTag;
}

// The XXH3-128 of the first `size` bytes of `fd`, read from offset 0.
Result<std::string> HashPrefix(int fd, std::uint64_t size, const std::string& what) {
  std::vector<char> buffer(kBlock);
  Hasher h;
  for (std::uint64_t at = 0; at < size;) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, size - at));
    const ssize_t n = pread(fd, buffer.data(), want, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(ErrorCode::kIo, "cannot read " + what + ": " + strerror(errno));
    h.Update(buffer.data(), static_cast<std::size_t>(n));
    at += static_cast<std::uint64_t>(n);
  }
  return h.Hex();
}

// Where WriteArchive's bytes go: the file, hashed on the way for the
// trailer (no second read of what was just written).
struct HashingSink {
  int fd;
  Hasher hash;
};

la_ssize_t WriteAndHash(struct archive* a, void* data, const void* buffer, size_t length) {
  auto* sink = static_cast<HashingSink*>(data);
  if (int err = WriteAll(sink->fd, std::string_view(static_cast<const char*>(buffer), length));
      err != 0) {
    archive_set_error(a, err, "%s", strerror(err));
    return -1;
  }
  sink->hash.Update(buffer, length);
  return static_cast<la_ssize_t>(length);
}

// STORAGE_CORRUPT when the archive's trailer does not match the bytes
// before it. An archive without one (written before it existed, or cut
// short) is left to the entries' own checks.
Result<void> CheckTrailer(const fs::path& archive) {
  const int fd = open(archive.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return MakeError(ErrorCode::kIo, "cannot read " + archive.string() + ": " + strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  struct stat st {};
  if (fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) < kTrailerSize) return Ok();
  const std::uint64_t body = static_cast<std::uint64_t>(st.st_size) - kTrailerSize;
  std::string trailer(kTrailerSize, '\0');
  if (pread(fd, trailer.data(), kTrailerSize, static_cast<off_t>(body)) !=
      static_cast<ssize_t>(kTrailerSize)) {
    return Ok();
  }
  const std::string tag = TrailerHead();
  if (trailer.compare(0, tag.size(), tag) != 0) return Ok();
  auto hash = HashPrefix(fd, body, archive.string());
  if (!hash) return hash.error();
  if (trailer.substr(tag.size()) != *hash) {
    return MakeError(ErrorCode::kStorageCorrupt,
                     archive.string() + ": the archive does not match its checksum (damaged)");
  }
  return Ok();
}

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
  HashingSink sink{fd, {}};
  if (archive_write_open(a.get(), &sink, nullptr, WriteAndHash, nullptr) != ARCHIVE_OK) {
    return ArchiveError(a.get(), ErrorCode::kIo, "snapshot archive");
  }
  DOCRUNCH_TRY(WriteEntry(a.get(), first));
  for (const auto& e : entries) DOCRUNCH_TRY(WriteEntry(a.get(), e));
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return ArchiveError(a.get(), ErrorCode::kIo, "snapshot archive");
  }
  const std::string trailer = TrailerHead() + sink.hash.Hex();
  if (int err = WriteAll(fd, trailer); err != 0) {
    return MakeError(ErrorCode::kIo, std::string("snapshot archive: ") + strerror(err));
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
  DOCRUNCH_TRY(CheckTrailer(archive));
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
