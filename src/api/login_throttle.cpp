#include "api/login_throttle.h"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>

#include "auth/redis.h"

namespace docrunch::api {
namespace {

class LocalLoginThrottle final : public LoginThrottle {
 public:
  explicit LocalLoginThrottle(const ThrottleLimits& limits)
      : per_user_(limits.per_user), per_address_(limits.per_address), window_(limits.window) {}

  // Looks only (a name never tried adds nothing to the maps).
  long long RetryAfter(const std::string& user, const std::string& address) override {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    long long wait = 0;
    if (auto it = users_.find(user); it != users_.end()) {
      wait = Wait(it->second, per_user_, now);
    }
    if (auto it = addresses_.find(address); it != addresses_.end()) {
      wait = std::max(wait, Wait(it->second, per_address_, now));
    }
    return wait;
  }
  void Failed(const std::string& user, const std::string& address) override {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    if (!user.empty()) users_[user].push_back(now);
    addresses_[address].push_back(now);
    // Forget names nobody tried for a window, so the map cannot grow for good.
    if (users_.size() + addresses_.size() > 10'000) {
      for (auto* map : {&users_, &addresses_}) {
        for (auto it = map->begin(); it != map->end();) {
          Expire(it->second, now);
          it = it->second.empty() ? map->erase(it) : std::next(it);
        }
      }
    }
  }
  void Succeeded(const std::string& user) override {
    std::lock_guard lock(mutex_);
    users_.erase(user);
  }

 private:
  using Times = std::deque<std::chrono::steady_clock::time_point>;
  void Expire(Times& times, std::chrono::steady_clock::time_point now) {
    while (!times.empty() && now - times.front() >= window_) times.pop_front();
  }
  long long Wait(Times& times, int limit, std::chrono::steady_clock::time_point now) {
    Expire(times, now);
    if (static_cast<int>(times.size()) < limit) return 0;
    auto free_at = times[times.size() - limit] + window_;
    return std::max<long long>(
        1, std::chrono::duration_cast<std::chrono::seconds>(free_at - now).count() + 1);
  }

  const int per_user_, per_address_;
  const std::chrono::seconds window_;
  std::mutex mutex_;
  std::map<std::string, Times> users_;      // GUARDED_BY(mutex_)
  std::map<std::string, Times> addresses_;  // GUARDED_BY(mutex_)
};

// Counts in Redis. Keys: <prefix>u:<name> and <prefix>a:<address>, each
// a counter that expires `window` after its first failure.
class RedisLoginThrottle final : public LoginThrottle {
 public:
  RedisLoginThrottle(auth::RedisLink link, std::string prefix, const ThrottleLimits& limits)
      : link_(std::move(link)), prefix_(std::move(prefix)), limits_(limits), fallback_(limits) {}

  long long RetryAfter(const std::string& user, const std::string& address) override {
    // The wait of the first key over its limit (its time to live).
    static constexpr const char* kScript =
        "local wait = 0\n"
        "for i, key in ipairs(KEYS) do\n"
        "  local n = tonumber(redis.call('GET', key) or '0')\n"
        "  if n >= tonumber(ARGV[i]) then\n"
        "    wait = math.max(wait, redis.call('TTL', key), 1)\n"
        "  end\n"
        "end\n"
        "return wait";
    std::string user_key = prefix_ + "u:" + user, address_key = prefix_ + "a:" + address;
    std::string user_limit = std::to_string(user.empty() ? 1 << 30 : limits_.per_user);
    std::string address_limit = std::to_string(limits_.per_address);
    std::lock_guard lock(mutex_);
    auto* reply = link_.Command([&](redisContext* c) {
      return redisCommand(c, "EVAL %s 2 %b %b %b %b", kScript, user_key.data(), user_key.size(),
                          address_key.data(), address_key.size(), user_limit.data(),
                          user_limit.size(), address_limit.data(), address_limit.size());
    });
    if (!reply || reply->type != REDIS_REPLY_INTEGER) {
      if (reply) freeReplyObject(reply);
      return fallback_.RetryAfter(user, address);
    }
    long long wait = reply->integer;
    freeReplyObject(reply);
    return std::max(wait, fallback_.RetryAfter(user, address));
  }

  void Failed(const std::string& user, const std::string& address) override {
    static constexpr const char* kScript =
        "for i, key in ipairs(KEYS) do\n"
        "  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[1]) end\n"
        "end\n"
        "return 1";
    std::string user_key = prefix_ + "u:" + user, address_key = prefix_ + "a:" + address;
    std::string window = std::to_string(limits_.window.count());
    std::lock_guard lock(mutex_);
    auto* reply = link_.Command([&](redisContext* c) {
      return user.empty() ? redisCommand(c, "EVAL %s 1 %b %b", kScript, address_key.data(),
                                         address_key.size(), window.data(), window.size())
                          : redisCommand(c, "EVAL %s 2 %b %b %b", kScript, user_key.data(),
                                         user_key.size(), address_key.data(), address_key.size(),
                                         window.data(), window.size());
    });
    bool counted = reply && reply->type == REDIS_REPLY_INTEGER;
    if (reply) freeReplyObject(reply);
    if (!counted) fallback_.Failed(user, address);
  }

  void Succeeded(const std::string& user) override {
    std::string user_key = prefix_ + "u:" + user;
    std::lock_guard lock(mutex_);
    auto* reply = link_.Command([&](redisContext* c) {
      return redisCommand(c, "DEL %b", user_key.data(), user_key.size());
    });
    if (reply) freeReplyObject(reply);
    fallback_.Succeeded(user);
  }

 private:
  std::mutex mutex_;
  auth::RedisLink link_;  // GUARDED_BY(mutex_)
  std::string prefix_;
  ThrottleLimits limits_;
  LocalLoginThrottle fallback_;
};

}  // namespace

std::unique_ptr<LoginThrottle> MakeLocalLoginThrottle(const ThrottleLimits& limits) {
  return std::make_unique<LocalLoginThrottle>(limits);
}

Result<std::unique_ptr<LoginThrottle>> MakeRedisLoginThrottle(const std::string& redis_url,
                                                              const std::string& key_prefix,
                                                              const ThrottleLimits& limits) {
  auto link = auth::ConnectRedisLink(redis_url, "sign-in throttle");
  if (!link) return link.error();
  return std::unique_ptr<LoginThrottle>(
      std::make_unique<RedisLoginThrottle>(std::move(*link), key_prefix, limits));
}

}  // namespace docrunch::api
