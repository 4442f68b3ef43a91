// Per-agent rate limits (server.mcp.rate_limit): queries and writes per
// minute, counted in fixed one-minute windows. The local limiter counts in
// this process; the Redis one counts in Redis (one Lua script: INCR with its
// EXPIRE on a key per agent, kind and minute of Redis's clock), so several
// `serve` processes, on any hosts, share one budget atomically.
//
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"

namespace docrunch::auth {

enum class CallKind { kQuery, kWrite };

struct Admission {
  bool allowed = true;
  int retry_after_seconds = 0;  // when refused: until the window ends
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  virtual Admission Admit(const std::string& agent, CallKind kind) = 0;
};

// A limit of 0 means unlimited. `clock` must outlive the limiter.
std::unique_ptr<RateLimiter> MakeLocalRateLimiter(const config::RateLimitConfig& limits,
                                                  const Clock& clock);

// Connects to `redis_url` (redis://[[user]:password@]host[:port][/db]),
// logs in (AUTH) when the URL has a password, selects the database and
// pings: STORAGE_UNAVAILABLE if any of it fails (a wrong or missing
// password included; the message never holds the password). Should Redis
// fail later, calls are admitted by a local limiter rather than refused,
// and the connection is retried, with the same log-in (at most once a
// second).
Result<std::unique_ptr<RateLimiter>> MakeRedisRateLimiter(const std::string& redis_url,
                                                          const config::RateLimitConfig& limits,
                                                          const Clock& clock,
                                                          const std::string& key_prefix);

}  // namespace docrunch::auth
