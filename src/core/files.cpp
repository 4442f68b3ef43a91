#include "core/files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

namespace docrunch {
namespace {

Error IoError(const std::filesystem::path& path, const std::string& what, int err) {
  return MakeError(ErrorCode::kIo,
                   "cannot " + what + " " + path.string() + ": " + std::strerror(err));
}

}  // namespace

int WriteAll(int fd, std::string_view content) {
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    written += static_cast<std::size_t>(n);
  }
  return 0;
}

namespace {

// A new file's fast way in: its content in a file without a name (O_TMPFILE)
// that is then linked at `path`, so it appears whole and there is no
// temporary name to make, rename or clean up after a crash (an unnamed
// file goes with its last descriptor). One directory entry is added
// instead of one added and one renamed: on this machine's ext4 a new page
// cost 25-45% less (docs/benchmarks.md). Returns 0 when `path` was made,
// -1 when this way is not available here or `path` already exists (the
// caller then writes it the usual way), or an errno for a failed write.
int CreateWithoutTemporary(const std::filesystem::path& path, const std::string& content,
                           const WriteOptions& options) {
#ifdef O_TMPFILE
  std::filesystem::path folder = path.parent_path();
  if (folder.empty()) folder = ".";
  int fd = open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return -1;  // not supported by this file system or kernel
  int err = WriteAll(fd, content);
  if (err == 0 &&
      (fchmod(fd, static_cast<mode_t>(options.mode)) != 0 || (options.durable && fsync(fd) != 0))) {
    err = errno;
  }
  if (err == 0) {
    // linkat(fd, "", ..., AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the
    // descriptor's /proc link does not. It never replaces a file.
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    if (linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) != 0) err = -1;
  }
  close(fd);
  return err;
#else
  (void)path, (void)content, (void)options;
  return -1;
#endif
}

}  // namespace

Result<void> WriteFileAtomic(const std::filesystem::path& path, const std::string& content,
                             const WriteOptions& options) {
  if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
    const int created = CreateWithoutTemporary(path, content, options);
    if (created == 0) return Ok();
    if (created > 0) return IoError(path, "write", created);
  }
  // The writer's pid in the name tells a cleanup whether its writer lives.
  std::string temp = path.string() + ".tmp-" + std::to_string(getpid()) + "-XXXXXX";
  int fd = mkstemp(temp.data());
  if (fd < 0) return IoError(path, "write", errno);
  auto fail = [&](int err) {
    close(fd);
    unlink(temp.c_str());
    return IoError(path, "write", err);
  };
  if (int err = WriteAll(fd, content); err != 0) return fail(err);
  if (fchmod(fd, static_cast<mode_t>(options.mode)) != 0 || (options.durable && fsync(fd) != 0))
    return fail(errno);
  if (close(fd) != 0) {
    int err = errno;
    unlink(temp.c_str());
    return IoError(path, "write", err);
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(temp.c_str());
    return IoError(path, "write", err);
  }
  return Ok();
}

bool IsAbandonedTemporary(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  const std::size_t tmp = name.find(".tmp-");
  if (tmp == std::string::npos) return false;
  const std::size_t at = tmp + 5;
  const std::size_t dash = name.find('-', at);
  if (dash == std::string::npos || dash == at || dash - at > 9 ||
      name.find_first_not_of("0123456789", at) != dash) {
    return true;  // no pid: an older version's
  }
  const pid_t pid = static_cast<pid_t>(std::stol(name.substr(at, dash - at)));
  if (!ProcessRunning(pid)) return true;
  std::error_code ec;
  auto age =
      std::filesystem::file_time_type::clock::now() - std::filesystem::last_write_time(file, ec);
  return !ec && age >= std::chrono::hours(1);
}

bool ProcessRunning(int pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  // /proc/PID/stat: "PID (comm) S ...": the state follows the last ')'.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!stat || !std::getline(stat, line)) return true;  // cannot tell: assume it runs
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return true;
  const char state = line[close + 2];
  return state != 'Z' && state != 'X';
}

Result<void> SyncFilesystem(const std::filesystem::path& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(path, "sync", errno);
  int rc = syncfs(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return IoError(path, "sync", err);
  return Ok();
}

bool FileHolds(const std::filesystem::path& path, std::string_view content) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
              static_cast<std::uint64_t>(st.st_size) == content.size();
  std::string buffer(same ? content.size() : 0, '\0');
  for (std::size_t got = 0; same && got < buffer.size();) {
    ssize_t n = read(fd, buffer.data() + got, buffer.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) same = false;  // an error, or the file shrank meanwhile
    got += n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  close(fd);
  return same && buffer == content;
}

Result<std::string> ReadFileText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path, "read", errno ? errno : ENOENT);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace docrunch
