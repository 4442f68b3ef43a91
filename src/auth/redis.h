// Connecting to Redis (hiredis) the way every Docrunch client of it does:
// from redis://[[user]:password@]host[:port][/db], logging in (AUTH) when
// the URL has a password, selecting the database, and pinging, each failure
// STORAGE_UNAVAILABLE with a message that never holds the password.
#pragma once

#include <hiredis/hiredis.h>

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

}  // namespace docrunch::auth
