#include "auth/redis.h"

#include <spdlog/spdlog.h>

#include "config/values.h"

namespace docrunch::auth {

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
Result<void> CheckRedisReply(redisContext* context, const RedisTarget& target, const std::string& what,
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
Result<void> RedisHandshake(redisContext* context, const RedisTarget& target) {
  timeval timeout{2, 0};
  redisSetTimeout(context, timeout);
  if (!target.password.empty()) {
    auto* reply = static_cast<redisReply*>(
        target.user.empty()
            ? redisCommand(context, "AUTH %b", target.password.data(), target.password.size())
            : redisCommand(context, "AUTH %b %b", target.user.data(), target.user.size(),
                           target.password.data(), target.password.size()));
    DOCRUNCH_TRY(CheckRedisReply(context, target, "AUTH", reply));
  }
  if (target.db > 0) {
    DOCRUNCH_TRY(CheckRedisReply(context, target, "SELECT " + std::to_string(target.db),
                         static_cast<redisReply*>(redisCommand(context, "SELECT %d", target.db))));
  }
  return CheckRedisReply(context, target, "PING", static_cast<redisReply*>(redisCommand(context, "PING")));
}

Result<RedisContext> ConnectRedis(const RedisTarget& target) {
  timeval timeout{2, 0};
  RedisContext context(redisConnectWithTimeout(target.host.c_str(), target.port, timeout));
  if (!context || context->err) {
    std::string why = context ? context->errstr : "out of memory";
    return MakeError(ErrorCode::kStorageUnavailable, "redis at " + target.where() + ": " + why);
  }
  DOCRUNCH_TRY(RedisHandshake(context.get(), target));
  return context;
}

bool RedisLink::Reconnect() {
  auto now = std::chrono::steady_clock::now();
  if (now < reconnect_at_) return false;
  reconnect_at_ = now + std::chrono::seconds(1);
  auto fresh = ConnectRedis(target_);
  if (!fresh) {
    spdlog::warn("{}: {}", who_, fresh.error().message);
    return false;
  }
  context_ = std::move(*fresh);
  return true;
}

Result<RedisLink> ConnectRedisLink(const std::string& redis_url, std::string who) {
  auto target = ParseRedisUrl(redis_url);
  if (!target) return target.error();
  auto context = ConnectRedis(*target);
  if (!context) return context.error();
  return RedisLink(std::move(*target), std::move(*context), std::move(who));
}

}  // namespace docrunch::auth
