#include "auth/rate_limiter.h"

#include <hiredis/hiredis.h>

#include <map>
#include <mutex>
#include <regex>

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
  RedisRateLimiter(redisContext* context, config::RateLimitConfig limits, const Clock& clock,
                   std::string prefix)
      : context_(context),
        limits_(limits),
        clock_(clock),
        prefix_(std::move(prefix)),
        fallback_(limits, clock) {}
  ~RedisRateLimiter() override { redisFree(context_); }

  Admission Admit(const std::string& agent, CallKind kind) override {
    int limit = LimitFor(limits_, kind);
    if (limit <= 0) return {};
    Window w = CurrentWindow(clock_);
    std::string key =
        prefix_ + "rate:" + agent + ":" + KindName(kind) + ":" + std::to_string(w.minute);
    long long count = 0;
    {
      std::lock_guard lock(mutex_);
      auto* reply =
          static_cast<redisReply*>(redisCommand(context_, "INCR %b", key.data(), key.size()));
      if (!reply || reply->type != REDIS_REPLY_INTEGER) {
        if (reply) freeReplyObject(reply);
        return fallback_.Admit(agent, kind);  // Redis trouble: degrade, never refuse everyone
      }
      count = reply->integer;
      freeReplyObject(reply);
      if (count == 1) {
        auto* expire = redisCommand(context_, "EXPIRE %b 120", key.data(), key.size());
        if (expire) freeReplyObject(expire);
      }
    }
    if (count > limit) return {false, w.seconds_left};
    return {};
  }

 private:
  redisContext* context_;  // GUARDED_BY(mutex_)
  config::RateLimitConfig limits_;
  const Clock& clock_;
  std::string prefix_;
  std::mutex mutex_;
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
  static const std::regex kUrl(R"(redis://(?:[^@/]*@)?([^:/]+)(?::(\d+))?(?:/(\d+))?/?)");
  std::smatch m;
  if (!std::regex_match(redis_url, m, kUrl)) {
    return MakeError(ErrorCode::kConfigInvalid, "redis url: expected redis://host:port[/db]");
  }
  std::string host = m[1];
  int port = m[2].matched ? std::stoi(m[2]) : 6379;
  timeval timeout{2, 0};
  redisContext* context = redisConnectWithTimeout(host.c_str(), port, timeout);
  if (!context || context->err) {
    std::string why = context ? context->errstr : "out of memory";
    if (context) redisFree(context);
    return MakeError(ErrorCode::kStorageUnavailable,
                     "redis at " + host + ":" + std::to_string(port) + ": " + why);
  }
  redisSetTimeout(context, timeout);
  if (m[3].matched) {
    auto* reply = redisCommand(context, "SELECT %s", std::string(m[3]).c_str());
    if (reply) freeReplyObject(reply);
  }
  return std::unique_ptr<RateLimiter>(
      std::make_unique<RedisRateLimiter>(context, limits, clock, key_prefix));
}

}  // namespace docrunch::auth
