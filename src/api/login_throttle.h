// Sign-in failures, limited per user name and per address (PRODUCT §15):
// after `per_user` failures for one name or `per_address` from one address
// within `window`, sign-in answers 429 with Retry-After until the window
// lets go. In one process: a sliding window in memory. With Redis: counts
// in Redis (a fixed window from the first failure, INCR with EXPIRE), so
// every `serve` process shares them and spreading guesses over processes
// gains nothing; should Redis fail, the process falls back to its own
// counts. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/result.h"

namespace docrunch::api {

struct ThrottleLimits {
  int per_user = 5;
  int per_address = 20;
  std::chrono::seconds window{15 * 60};
};

class LoginThrottle {
 public:
  virtual ~LoginThrottle() = default;
  // Seconds to wait when `user` (empty: none) or `address` has used up its
  // failures; 0 when free.
  virtual long long RetryAfter(const std::string& user, const std::string& address) = 0;
  // One failure for `user` (empty: the address only) and `address`.
  virtual void Failed(const std::string& user, const std::string& address) = 0;
  // A successful sign-in clears the name's failures.
  virtual void Succeeded(const std::string& user) = 0;
};

std::unique_ptr<LoginThrottle> MakeLocalLoginThrottle(const ThrottleLimits& limits);
// STORAGE_UNAVAILABLE when Redis cannot be reached at start.
Result<std::unique_ptr<LoginThrottle>> MakeRedisLoginThrottle(const std::string& redis_url,
                                                              const std::string& key_prefix,
                                                              const ThrottleLimits& limits);

}  // namespace docrunch::api
