// Connecting to Redis (hiredis) the way every Docrunch client of it does:
// from redis://[[user]:password@]host[:port][/db], logging in (AUTH) when
// the URL has a password, selecting the database, and pinging, each failure
// STORAGE_UNAVAILABLE with a message that never holds the password.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>

#include "core/result.h"

namespace docrunch::auth {

struct RedisTarget {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;      // Redis 6 ACL user; empty: the default user
  std::string password;  // empty: no AUTH
  std::string where() const { return host + ":" + std::to_string(port); }
};

// CONFIG_INVALID for what is not such a URL (the value is not echoed when
// it might be a bare password).
Result<RedisTarget> ParseRedisUrl(const std::string& url);

// One command's reply (freed here), or why it failed (never the command's
// arguments: AUTH carries the password).
Result<void> CheckRedisReply(redisContext* context, const RedisTarget& target,
                             const std::string& what, redisReply* reply);

struct RedisFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using RedisContext = std::unique_ptr<redisContext, RedisFree>;

// After a connect or redisReconnect: logs in, selects the database, pings.
Result<void> RedisHandshake(redisContext* context, const RedisTarget& target);

// Connects (2 s timeout), logs in, selects the database and pings.
Result<RedisContext> ConnectRedis(const RedisTarget& target);

// A connection that comes back by itself: a command on a broken connection
// reconnects (at most once a second, so an outage costs a caller one
// connect timeout a second, not one per call) and is tried once more. Not
// thread-safe: its owner serializes calls.
class RedisLink {
 public:
  RedisLink(RedisTarget target, RedisContext context, std::string who)
      : target_(std::move(target)), context_(std::move(context)), who_(std::move(who)) {}

  // `send(context)` issues the command (redisCommand); the reply (free it
  // with freeReplyObject), or null while Redis is away.
  template <class F>
  redisReply* Command(F&& send) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if ((!context_ || context_->err) && !Reconnect()) return nullptr;
      if (auto* reply = static_cast<redisReply*>(send(context_.get()))) return reply;
      context_.reset();
    }
    return nullptr;
  }
  const RedisTarget& target() const { return target_; }

 private:
  bool Reconnect();

  RedisTarget target_;
  RedisContext context_;
  std::string who_;  // for the log line: "websocket tickets"
  std::chrono::steady_clock::time_point reconnect_at_{};
};

// Connects and wraps the connection (STORAGE_UNAVAILABLE at start).
Result<RedisLink> ConnectRedisLink(const std::string& redis_url, std::string who);

}  // namespace docrunch::auth
