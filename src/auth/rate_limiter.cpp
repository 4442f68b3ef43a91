#include "auth/rate_limiter.h"

#include "auth/redis.h"

#include <map>
#include <mutex>
#include <optional>

#include "config/values.h"

namespace docrunch::auth {
namespace {

struct Window {
  std::int64_t minute = 0;
  int seconds_left = 60;
};

Window CurrentWindow(const Clock& clock) {
  auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(clock.Now().time_since_epoch()).count();
  return Window{seconds / 60, static_cast<int>(60 - seconds % 60)};
}

int LimitFor(const config::RateLimitConfig& limits, CallKind kind) {
  return kind == CallKind::kQuery ? limits.queries_per_minute : limits.writes_per_minute;
}

const char* KindName(CallKind kind) {
  return kind == CallKind::kQuery ? "q" : "w";
}

class LocalRateLimiter final : public RateLimiter {
 public:
  LocalRateLimiter(config::RateLimitConfig limits, const Clock& clock)
      : limits_(limits), clock_(clock) {}

  Admission Admit(const std::string& agent, CallKind kind) override {
    int limit = LimitFor(limits_, kind);
    if (limit <= 0) return {};
    Window w = CurrentWindow(clock_);
    std::lock_guard lock(mutex_);
    auto& [minute, count] = counts_[agent + "\n" + KindName(kind)];
    if (minute != w.minute) {
      minute = w.minute;
      count = 0;
    }
    if (count >= limit) return {false, w.seconds_left};
    ++count;
    return {};
  }

 private:
  config::RateLimitConfig limits_;
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, std::pair<std::int64_t, int>> counts_;  // GUARDED_BY(mutex_)
};

class RedisRateLimiter final : public RateLimiter {
 public:
  RedisRateLimiter(redisContext* context, RedisTarget target, config::RateLimitConfig limits,
                   const Clock& clock, std::string prefix)
      : context_(context),
        target_(std::move(target)),
        limits_(limits),
        prefix_(std::move(prefix)),
        fallback_(limits, clock) {}
  ~RedisRateLimiter() override { redisFree(context_); }

  Admission Admit(const std::string& agent, CallKind kind) override {
    int limit = LimitFor(limits_, kind);
    if (limit <= 0) return {};
    std::string key = prefix_ + "rate:" + agent + ":" + KindName(kind);
    std::lock_guard lock(mutex_);
    auto counted = Count(key);
    if (!counted && Reconnect()) counted = Count(key);
    if (!counted) return fallback_.Admit(agent, kind);  // Redis trouble: degrade, never refuse all
    if (counted->first > limit) return {false, static_cast<int>(counted->second)};
    return {};
  }

 private:
  // One round trip, atomic in Redis: the window is the minute of Redis's own
  // clock (so processes on hosts whose clocks differ still share windows),
  // the counter gets its expiry together with its first increment, and the
  // reply carries the count and the seconds left in the window.
  static constexpr const char* kScript =
      "local now = redis.call('TIME')\n"
      "local seconds = tonumber(now[1])\n"
      "local key = KEYS[1] .. ':' .. math.floor(seconds / 60)\n"
      "local count = redis.call('INCR', key)\n"
      "if count == 1 then redis.call('EXPIRE', key, 120) end\n"
      "return {count, 60 - seconds % 60}";

  // {count in this window, seconds left}; nullopt when Redis failed.
  std::optional<std::pair<long long, long long>> Count(const std::string& key) {
    if (context_->err) return std::nullopt;
    auto* reply = static_cast<redisReply*>(
        redisCommand(context_, "EVAL %s 1 %b", kScript, key.data(), key.size()));
    std::optional<std::pair<long long, long long>> out;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[0]->type == REDIS_REPLY_INTEGER &&
        reply->element[1]->type == REDIS_REPLY_INTEGER) {
      out.emplace(reply->element[0]->integer, reply->element[1]->integer);
    }
    if (reply) freeReplyObject(reply);
    return out;
  }

  // After a failure (Redis restarted, connection dropped) try to reconnect,
  // at most once a second so a Redis outage does not slow every call.
  bool Reconnect() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_reconnect_ < std::chrono::seconds(1)) return false;
    last_reconnect_ = now;
    if (redisReconnect(context_) != REDIS_OK) return false;
    return RedisHandshake(context_, target_).ok();
  }

  redisContext* context_;  // GUARDED_BY(mutex_)
  RedisTarget target_;
  config::RateLimitConfig limits_;
  std::string prefix_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_reconnect_{};  // GUARDED_BY(mutex_)
  LocalRateLimiter fallback_;
};

}  // namespace

std::unique_ptr<RateLimiter> MakeLocalRateLimiter(const config::RateLimitConfig& limits,
                                                  const Clock& clock) {
  return std::make_unique<LocalRateLimiter>(limits, clock);
}

Result<std::unique_ptr<RateLimiter>> MakeRedisRateLimiter(const std::string& redis_url,
                                                          const config::RateLimitConfig& limits,
                                                          const Clock& clock,
                                                          const std::string& key_prefix) {
  auto target = ParseRedisUrl(redis_url);
  if (!target) return target.error();
  auto connected = ConnectRedis(*target);
  if (!connected) return connected.error();
  redisContext* context = connected->release();
  return std::unique_ptr<RateLimiter>(
      std::make_unique<RedisRateLimiter>(context, std::move(*target), limits, clock, key_prefix));
}

}  // namespace docrunch::auth
