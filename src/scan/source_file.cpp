#include "scan/source_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "core/utf8.h"

namespace docrunch::scan {
namespace {

std::string HexOf(XXH128_hash_t hash) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, hash);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(32, '0');
  for (int i = 0; i < 16; ++i) {
    hex[2 * i] = kDigits[canonical.digest[i] >> 4];
    hex[2 * i + 1] = kDigits[canonical.digest[i] & 0xF];
  }
  return hex;
}

SourceRead Fail(SourceStatus status, std::string detail) {
  SourceRead r;
  r.status = status;
  r.detail = std::move(detail);
  return r;
}

SourceRead OpenFailure(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return Fail(SourceStatus::kVanished, "no longer exists");
    case EACCES:
    case EPERM:
      return Fail(SourceStatus::kPermissionDenied, "permission denied");
    default:
      return Fail(SourceStatus::kReadFailed, std::strerror(err));
  }
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

using XxhState = std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)>;

}  // namespace

SourceRead ReadAndCheck(const std::filesystem::path& path, std::uint64_t max_bytes,
                        std::string* content) {
  // O_NONBLOCK: a FIFO swapped in after listing must not hang the scan.
  Fd file{open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (file.fd < 0) return OpenFailure(errno);
  struct stat st {};
  if (fstat(file.fd, &st) != 0) return Fail(SourceStatus::kReadFailed, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Fail(SourceStatus::kNotRegular, "not a regular file");
  SourceRead result;
  result.size = static_cast<std::uint64_t>(st.st_size);
  result.mtime_ns =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  auto too_large = [&](std::uint64_t size) {
    SourceRead r = Fail(SourceStatus::kTooLarge, std::to_string(size) + " bytes exceeds the " +
                                                     std::to_string(max_bytes) + " byte limit");
    r.size = size, r.mtime_ns = result.mtime_ns;
    return r;
  };
  if (max_bytes > 0 && result.size > max_bytes) return too_large(result.size);

  XxhState state(XXH3_createState(), &XXH3_freeState);
  XXH3_128bits_reset(state.get());
  Utf8Validator utf8;
  std::uint64_t total = 0;
  if (content) content->reserve(content->size() + result.size);
  char buf[65536];
  while (true) {
    ssize_t n = read(file.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(SourceStatus::kReadFailed, std::strerror(errno));
    if (n == 0) break;
    std::string_view chunk(buf, static_cast<std::size_t>(n));
    if (total < kBinaryProbeBytes &&
        chunk.substr(0, kBinaryProbeBytes - total).find('\0') != std::string_view::npos) {
      return Fail(SourceStatus::kBinary, "contains a NUL byte");
    }
    total += chunk.size();
    if (max_bytes > 0 && total > max_bytes) return too_large(total);  // grew while read
    if (!utf8.Feed(chunk)) return Fail(SourceStatus::kInvalidEncoding, "not valid UTF-8");
    XXH3_128bits_update(state.get(), chunk.data(), chunk.size());
    if (content) content->append(chunk);
  }
  if (!utf8.Finish()) return Fail(SourceStatus::kInvalidEncoding, "not valid UTF-8 (truncated)");
  result.size = total;
  result.content_hash = HexOf(XXH3_128bits_digest(state.get()));
  return result;
}

std::string ContentHash(std::string_view bytes) {
  return HexOf(XXH3_128bits(bytes.data(), bytes.size()));
}

std::string_view SourceStatusCode(SourceStatus status) {
  switch (status) {
    case SourceStatus::kOk:
      return "";
    case SourceStatus::kBinary:
      return "SCAN_BINARY";
    case SourceStatus::kVanished:
      return "SCAN_FILE_VANISHED";
    case SourceStatus::kNotRegular:
      return "SCAN_NOT_REGULAR";
    case SourceStatus::kPermissionDenied:
      return "SCAN_PERMISSION_DENIED";
    case SourceStatus::kTooLarge:
      return "SCAN_FILE_TOO_LARGE";
    case SourceStatus::kInvalidEncoding:
      return "SCAN_INVALID_ENCODING";
    case SourceStatus::kReadFailed:
      return "SCAN_READ_FAILED";
  }
  return "SCAN_READ_FAILED";
}

Result<std::string> ReadSourceFile(const std::filesystem::path& root, std::string_view relpath,
                                   std::uint64_t max_bytes) {
  std::filesystem::path rel(relpath);
  bool bad = relpath.empty() || rel.is_absolute() || relpath.find('\0') != std::string_view::npos;
  for (const auto& part : rel) bad = bad || part == "..";
  if (bad) {
    return MakeError(ErrorCode::kInvalidParams,
                     "path '" + std::string(relpath) + "' must be relative to the repository root");
  }
  std::error_code root_ec, file_ec;
  auto real_root = std::filesystem::canonical(root, root_ec);
  auto real_file = std::filesystem::weakly_canonical(root / rel, file_ec);
  auto root_end =
      std::mismatch(real_root.begin(), real_root.end(), real_file.begin(), real_file.end()).first;
  if (root_ec || file_ec || root_end != real_root.end()) {
    return MakeError(ErrorCode::kInvalidParams,
                     "path '" + std::string(relpath) + "' resolves outside " + root.string());
  }
  std::string content;
  SourceRead r = ReadAndCheck(real_file, max_bytes, &content);
  if (r.status != SourceStatus::kOk) {
    return MakeError(ErrorCode::kIo, std::string(SourceStatusCode(r.status)) + ": " +
                                         std::string(relpath) + ": " + r.detail);
  }
  return content;
}

}  // namespace docrunch::scan
