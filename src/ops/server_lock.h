// How a restore knows that a server runs on the project.
//
// `docrunch serve` and `docrunch worker start` hold a shared flock(2) on
// `.docrunch/server.lock` for as long as they run (the kernel drops it when
// the process ends, also when killed). A restore takes the same lock
// exclusively without waiting: it is refused while any of them runs, and
// none can start while the restore holds it. The lock is per machine: for
// a hosted PostgreSQL shared by servers on other machines, stop those
// before restoring (doctor and the docs say so).
#pragma once

#include <filesystem>
#include <string>

#include "core/result.h"

namespace docrunch::ops {

class ServerLock {
 public:
  ServerLock() = default;
  ServerLock(ServerLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ServerLock& operator=(ServerLock&& other) noexcept;
  ServerLock(const ServerLock&) = delete;
  ServerLock& operator=(const ServerLock&) = delete;
  ~ServerLock();

  bool held() const { return fd_ >= 0; }

 private:
  friend Result<ServerLock> HoldServerLock(const std::filesystem::path&);
  friend Result<ServerLock> TakeServerLockExclusive(const std::filesystem::path&);
  int fd_ = -1;
};

// The lock file of a project: <project_root>/.docrunch/server.lock.
std::filesystem::path ServerLockPath(const std::filesystem::path& project_root);

// For serve and worker start. Waits for a restore in progress to end
// (at most 10 minutes, then UNAVAILABLE). IO_ERROR if the file cannot be
// opened.
Result<ServerLock> HoldServerLock(const std::filesystem::path& project_root);

// For restore: ALREADY_EXISTS-like refusal (STORAGE_UNAVAILABLE with the
// reason) when a server or worker runs on the project.
Result<ServerLock> TakeServerLockExclusive(const std::filesystem::path& project_root);

}  // namespace docrunch::ops
