// One snapshot archive: a tar stream compressed with zstd (libarchive),
// whose first entry is manifest.json. Each entry's size and XXH3-128 hash
// are recorded in the manifest, so a reader can tell a complete archive from
// a truncated or altered one before using any of it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace docrunch::ops {

// An entry to write: in-memory bytes or a file streamed from disk.
struct ArchiveSource {
  std::string name;  // path inside the archive, e.g. "docs/index.md"
  std::optional<std::string> bytes;
  std::filesystem::path file;  // when bytes is empty
  std::uint64_t size = 0;
  std::string xxh3;  // hex, of the content
};

// XXH3-128 of bytes / of a file (streamed), as 32 hex digits.
std::string HashBytes(const std::string& bytes);
Result<std::string> HashFile(const std::filesystem::path& file, std::uint64_t* size = nullptr);

// Writes `first` (the manifest) and then `entries` to `fd` (an open,
// empty file) as tar + zstd, then a zstd skippable frame
// holding the XXH3-128 of all of it, which ReadEntries checks first. Files
// are streamed; a file whose content no longer matches its recorded hash
// (changed while we wrote) is IO_ERROR. Does not close or flush `fd`.
Result<void> WriteArchive(int fd, const ArchiveSource& first,
                          const std::vector<ArchiveSource>& entries, int zstd_level = 3);

// The first entry of an archive (the manifest) as text. STORAGE_CORRUPT
// when the file is not such an archive or the entry is not manifest.json.
Result<std::string> ReadFirstEntry(const std::filesystem::path& archive);

// Reads every entry after the first. `visit(name)` returns where to put
// the entry's content (a file path, created with its parent folders), or
// nullopt to only hash it; with `memory` an entry whose name the caller
// wants in memory is put into that map instead. Each entry is hashed as it
// is read; `check(name, size, xxh3)` decides whether it is what the
// manifest promised (an error stops the read). Errors: STORAGE_CORRUPT for
// a damaged or truncated archive (any byte changed since it was written,
// when it has the checksum WriteArchive appends), IO_ERROR for a write.
struct EntryReader {
  std::function<std::optional<std::filesystem::path>(const std::string& name)> destination;
  std::function<bool(const std::string& name)> keep_in_memory;
  std::function<Result<void>(const std::string& name, std::uint64_t size, const std::string& xxh3)>
      check;
};
Result<std::map<std::string, std::string>> ReadEntries(const std::filesystem::path& archive,
                                                       const EntryReader& reader);

}  // namespace docrunch::ops
