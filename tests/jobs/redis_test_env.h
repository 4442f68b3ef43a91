// Redis for the fast queue's tests: the shared test server of
// DOCRUNCH_TEST_REDIS_URL (tests use their own random key prefix and delete
// its keys), and a private redis-server a test may stop and start again.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "auth/redis.h"
#include "jobs/redis_pool.h"
#include "support/temp_dir.h"

namespace docrunch::jobs {

// "test-<16 hex digits>": a key prefix no other test uses.
std::string RandomPrefix();

// A plain connection for looking at (and cleaning up) what a queue wrote.
class RawRedis {
 public:
  // Connects, or fails the current test.
  explicit RawRedis(const std::string& url);
  bool ok() const { return context_ != nullptr; }
  // One command's reply (null when the connection failed).
  RedisReply Command(const std::vector<std::string>& args);
  long long Integer(const std::vector<std::string>& args);
  // Field `name` of the entries of a stream, oldest first.
  std::vector<std::string> StreamField(const std::string& key, const std::string& name);
  std::vector<std::string> KeysUnder(const std::string& prefix);
  void DeleteKeysUnder(const std::string& prefix);

 private:
  auth::RedisContext context_;
};

// A free TCP port of 127.0.0.1 (0 if none could be found).
int FreePort();

// redis-server as a child process on 127.0.0.1:`port`, its data (an
// append-only file, fsynced on every write) in its own folder, so a
// restart on the same port comes back with the jobs it held.
class PrivateRedis {
 public:
  PrivateRedis() = default;
  ~PrivateRedis() { Stop(9); }
  PrivateRedis(const PrivateRedis&) = delete;
  PrivateRedis& operator=(const PrivateRedis&) = delete;

  static bool Installed();
  // Starts it and waits (up to 10 s) until it answers PING; false if not.
  bool Start(int port);
  // Sends `signal` (SIGTERM: a clean stop; SIGKILL: a crash) and reaps it.
  void Stop(int signal);
  // An operator's stop: clients' writes are paused first (CLIENT PAUSE),
  // then SIGTERM. A crash (or a bare SIGTERM) can end Redis after it ran a
  // command but before it sent the reply; the client cannot tell whether
  // the command ran, so a job may then be enqueued twice or taken again
  // after its visibility timeout (at-least-once, harmless with idempotency
  // keys). A clean stop leaves no such command, so a test can demand
  // exactly once.
  void StopCleanly();
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

 private:
  docrunch::testing::TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace docrunch::jobs
