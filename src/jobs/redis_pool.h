// A small pool of hiredis connections for one Redis, shared by a process's
// threads: a command borrows an idle connection (or opens one), runs, and
// gives it back, so a Take blocked in XREADGROUP never holds up an Enqueue
// on another thread. A connection that broke is dropped, never reused.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auth/redis.h"
#include "core/result.h"

namespace docrunch::jobs {

struct RedisReplyFree {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyFree>;

class RedisPool {
 public:
  // CONFIG_INVALID for a URL that is not redis://...; STORAGE_UNAVAILABLE
  // when Redis cannot be reached now (the message names host:port, never
  // the password).
  static Result<std::unique_ptr<RedisPool>> Open(const std::string& redis_url);

  explicit RedisPool(auth::RedisTarget target) : target_(std::move(target)) {}

  // Runs one command (binary-safe arguments). The reply, which may be an
  // error reply (the caller judges it), or STORAGE_UNAVAILABLE. `block` is
  // how long the command may block in Redis (XREADGROUP BLOCK): the read
  // timeout is stretched to cover it. After a failed connect, calls fail
  // fast for a second instead of each paying a connect timeout. Thread-safe.
  Result<RedisReply> Command(const std::vector<std::string>& args,
                             std::chrono::milliseconds block = std::chrono::milliseconds(0));

  const auth::RedisTarget& target() const { return target_; }

 private:
  // An idle connection (`reused` true) or a new one.
  Result<auth::RedisContext> Acquire(bool& reused);
  void Release(auth::RedisContext context);
  Result<RedisReply> Unavailable(const std::string& why) const;

  const auth::RedisTarget target_;
  std::mutex mu_;
  std::vector<auth::RedisContext> idle_;              // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point retry_at_{};  // GUARDED_BY(mu_)
  std::string last_failure_;                          // the failed connect's error; GUARDED_BY(mu_)
};

}  // namespace docrunch::jobs
