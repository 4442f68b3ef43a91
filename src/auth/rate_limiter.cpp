#include "auth/rate_limiter.h"

#include <hiredis/hiredis.h>

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

// Where Redis is and how to log in: from redis://[[user]:password@]host[:port][/db].
struct RedisTarget {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;      // Redis 6 ACL user; empty: the default user
  std::string password;  // empty: no AUTH
  std::string where() const { return host + ":" + std::to_string(port); }
};

Result<RedisTarget> ParseRedisUrl(const std::string& url) {
  const std::string expected = "redis url: expected redis://[[user]:password@]host[:port][/db]";
  auto parsed = config::ParseUrl(url);
  if (!parsed) {
    // Not shown: text that is no URL may be a bare password.
    return MakeError(ErrorCode::kConfigInvalid, expected + " (the value is not shown)");
  }
  if (parsed->scheme != "redis") {
    return MakeError(ErrorCode::kConfigInvalid,
                     expected + ", got '" + config::MaskUrlPassword(url) + "'");
  }
  RedisTarget target;
  target.host = parsed->host;
  if (target.host.size() > 2 && target.host.front() == '[') {
    target.host = target.host.substr(1, target.host.size() - 2);  // [::1]
  }
  if (parsed->port > 0) target.port = parsed->port;
  target.user = parsed->user;
  target.password = parsed->password;
  std::string db = parsed->path.empty() ? "" : parsed->path.substr(1);
  if (!db.empty() && db.back() == '/') db.pop_back();
  if (!db.empty()) {
    if (db.size() > 4 || db.find_first_not_of("0123456789") != std::string::npos) {
      return MakeError(ErrorCode::kConfigInvalid,
                       expected + ": the database must be a number, got '" + db + "'");
    }
    target.db = std::stoi(db);
  }
  return target;
}

// One command's reply, or why it failed (never the command's arguments:
// AUTH carries the password).
Result<void> Command(redisContext* context, const RedisTarget& target, const std::string& what,
                     redisReply* reply) {
  if (reply == nullptr) {
    return MakeError(ErrorCode::kStorageUnavailable,
                     "redis at " + target.where() + ": " + what + ": " + context->errstr);
  }
  std::string error =
      reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len) : std::string();
  freeReplyObject(reply);
  if (error.empty()) return Ok();
  std::string hint;
  if (error.rfind("NOAUTH", 0) == 0) {
    hint =
        " (Redis wants a password: put it in the URL from the environment, "
        "redis://:PASSWORD@host:port)";
  }
  return MakeError(ErrorCode::kStorageUnavailable,
                   "redis at " + target.where() + ": " + what + ": " + error + hint);
}

// After a connect: log in, pick the database, and check that commands run
// (a password-protected Redis would otherwise refuse every count, and the
// limits would silently stop being shared).
Result<void> Handshake(redisContext* context, const RedisTarget& target) {
  timeval timeout{2, 0};
  redisSetTimeout(context, timeout);
  if (!target.password.empty()) {
    auto* reply = static_cast<redisReply*>(
        target.user.empty()
            ? redisCommand(context, "AUTH %b", target.password.data(), target.password.size())
            : redisCommand(context, "AUTH %b %b", target.user.data(), target.user.size(),
                           target.password.data(), target.password.size()));
    DOCRUNCH_TRY(Command(context, target, "AUTH", reply));
  }
  if (target.db > 0) {
    DOCRUNCH_TRY(Command(context, target, "SELECT " + std::to_string(target.db),
                         static_cast<redisReply*>(redisCommand(context, "SELECT %d", target.db))));
  }
  return Command(context, target, "PING", static_cast<redisReply*>(redisCommand(context, "PING")));
}

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
    return Handshake(context_, target_).ok();
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
  timeval timeout{2, 0};
  redisContext* context = redisConnectWithTimeout(target->host.c_str(), target->port, timeout);
  if (!context || context->err) {
    std::string why = context ? context->errstr : "out of memory";
    if (context) redisFree(context);
    return MakeError(ErrorCode::kStorageUnavailable, "redis at " + target->where() + ": " + why);
  }
  if (auto ready = Handshake(context, *target); !ready) {
    redisFree(context);
    return ready.error();
  }
  return std::unique_ptr<RateLimiter>(
      std::make_unique<RedisRateLimiter>(context, std::move(*target), limits, clock, key_prefix));
}

}  // namespace docrunch::auth
