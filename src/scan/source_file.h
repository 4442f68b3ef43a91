// Reading one source file the way a scan does: regular files only, size
// limit, binary detection, UTF-8 validation and the XXH3-128 content hash.
//
// The walker hashes without keeping the content; the parser later reads the
// same file with ReadSourceFile, which applies the same checks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/utf8.h"

namespace docrunch::scan {

// Bytes examined for a NUL to call a file binary (git looks at 8000).
inline constexpr std::size_t kBinaryProbeBytes = 8192;

enum class SourceStatus {
  kOk,
  kBinary,            // a NUL byte in the first kBinaryProbeBytes
  kVanished,          // gone (or replaced by a non-file) since it was listed
  kNotRegular,        // a FIFO, socket or device: never opened for reading
  kPermissionDenied,  // SCAN_PERMISSION_DENIED
  kTooLarge,          // SCAN_FILE_TOO_LARGE
  kInvalidEncoding,   // SCAN_INVALID_ENCODING (a UTF-8 BOM is fine)
  kReadFailed,        // SCAN_READ_FAILED: any other I/O error
};

struct SourceRead {
  SourceStatus status = SourceStatus::kOk;
  std::string detail;         // why, for anything but kOk
  std::uint64_t size = 0;     // bytes read (kOk), else as stat saw it
  std::int64_t mtime_ns = 0;  // st_mtim, taken before reading: a concurrent
                              // write leaves an older mtime, so the next
                              // incremental scan hashes the file again
  std::string content_hash;   // kOk: XXH3-128, 32 lower-case hex digits
};

// Opens `path` (following symlinks), checks and hashes it. `max_bytes` 0
// means no limit. When `content` is non-null it receives the bytes (kOk
// only). Thread-safe; never throws.
SourceRead ReadAndCheck(const std::filesystem::path& path, std::uint64_t max_bytes,
                        std::string* content = nullptr);

// XXH3-128 of `bytes` as 32 lower-case hex digits (canonical big-endian
// order, the form `xxhsum -H2` prints).
std::string ContentHash(std::string_view bytes);

// IsValidUtf8 is in core/utf8.h.

// The content of `relpath` under `root`, checked as the walker checks it.
// Errors: INVALID_PARAMS when relpath is empty, absolute, has a ".."
// component or resolves outside root; IO_ERROR otherwise, its message
// starting with the scan code (e.g. "SCAN_INVALID_ENCODING: src/a.py: ...",
// "SCAN_BINARY", "SCAN_FILE_VANISHED", "SCAN_NOT_REGULAR").
Result<std::string> ReadSourceFile(const std::filesystem::path& root, std::string_view relpath,
                                   std::uint64_t max_bytes);

// "SCAN_PERMISSION_DENIED", "SCAN_FILE_TOO_LARGE", ...; "" for kOk.
std::string_view SourceStatusCode(SourceStatus status);

}  // namespace docrunch::scan
