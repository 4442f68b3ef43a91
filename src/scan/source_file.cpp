#include "scan/source_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace docrunch::scan {
namespace {

// The index of the first byte from `i` on that may be non-ASCII: source
// code is mostly ASCII, skipped here 8 bytes at a time.
std::size_t SkipAscii(std::string_view bytes, std::size_t i) {
  std::uint64_t word;
  while (i + sizeof word <= bytes.size()) {
    std::memcpy(&word, bytes.data() + i, sizeof word);
    if ((word & 0x8080808080808080ULL) != 0) break;
    i += sizeof word;
  }
  return i;
}

// A streaming UTF-8 checker: the input may be cut anywhere between calls.
class Utf8Validator {
 public:
  bool Feed(std::string_view bytes) {
    for (std::size_t i = 0; i < bytes.size() && valid_; ++i) {
      if (need_ == 0 && (i = SkipAscii(bytes, i)) == bytes.size()) break;
      auto b = static_cast<unsigned char>(bytes[i]);
      if (need_ == 0) {
        if (b < 0x80) continue;
        Lead(b);
      } else if (b < lo_ || b > hi_) {
        valid_ = false;
      } else {
        lo_ = 0x80, hi_ = 0xBF, --need_;
      }
    }
    return valid_;
  }
  bool Finish() const { return valid_ && need_ == 0; }

 private:
  // The lead byte fixes how many continuation bytes follow and the range of
  // the first one (that range is what rules out overlongs, surrogates and
  // values beyond U+10FFFF).
  void Lead(unsigned char b) {
    lo_ = 0x80, hi_ = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      need_ = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      need_ = 2;
      if (b == 0xE0) lo_ = 0xA0;
      if (b == 0xED) hi_ = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      need_ = 3;
      if (b == 0xF0) lo_ = 0x90;
      if (b == 0xF4) hi_ = 0x8F;
    } else {
      valid_ = false;
    }
  }

  int need_ = 0;
  unsigned char lo_ = 0x80, hi_ = 0xBF;
  bool valid_ = true;
};

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

bool IsValidUtf8(std::string_view bytes) {
  Utf8Validator v;
  return v.Feed(bytes) && v.Finish();
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
