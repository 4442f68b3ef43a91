#include "ops/server_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace docrunch::ops {
namespace fs = std::filesystem;
namespace {

Result<int> OpenLockFile(const fs::path& project_root) {
  const fs::path path = ServerLockPath(project_root);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return MakeError(ErrorCode::kIo, "cannot open " + path.string() + ": " + strerror(errno));
  }
  return fd;
}

}  // namespace

ServerLock& ServerLock::operator=(ServerLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

ServerLock::~ServerLock() {
  if (fd_ >= 0) close(fd_);
}

fs::path ServerLockPath(const fs::path& project_root) {
  return project_root / ".docrunch" / "server.lock";
}

Result<ServerLock> HoldServerLock(const fs::path& project_root) {
  auto fd = OpenLockFile(project_root);
  if (!fd) return fd.error();
  ServerLock lock;
  lock.fd_ = *fd;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (flock(*fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      return MakeError(ErrorCode::kIo, "cannot lock " + ServerLockPath(project_root).string() +
                                           ": " + strerror(errno));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return MakeError(ErrorCode::kStorageUnavailable,
                       "a snapshot restore holds " + ServerLockPath(project_root).string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return lock;
}

Result<ServerLock> TakeServerLockExclusive(const fs::path& project_root) {
  auto fd = OpenLockFile(project_root);
  if (!fd) return fd.error();
  ServerLock lock;
  lock.fd_ = *fd;
  if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return MakeError(ErrorCode::kStorageUnavailable,
                       "a docrunch serve or worker runs on this project (it holds " +
                           ServerLockPath(project_root).string() +
                           "): stop it before restoring a snapshot");
    }
    return MakeError(ErrorCode::kIo, "cannot lock " + ServerLockPath(project_root).string() + ": " +
                                         strerror(errno));
  }
  return lock;
}

}  // namespace docrunch::ops
