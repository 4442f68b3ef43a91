#include "api/tickets.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <mutex>

#include "auth/redis.h"
#include "auth/tokens.h"
#include "config/schema.h"
#include "http/server.h"

namespace docrunch::api {
namespace {

constexpr auto kTicketLife = std::chrono::seconds(30);
constexpr std::size_t kTicketBytes = 24;

// What this server issues: 48 lower-case hex digits.
bool WellFormed(const std::string& ticket) {
  return ticket.size() == kTicketBytes * 2 &&
         ticket.find_first_not_of("0123456789abcdef") == std::string::npos;
}

class LocalTicketBook final : public TicketBook {
 public:
  std::string Issue(const Caller& caller) override {
    auto now = std::chrono::steady_clock::now();
    std::string ticket = http::RandomHex(kTicketBytes);
    std::lock_guard lock(mutex_);
    for (auto it = tickets_.begin(); it != tickets_.end();) {
      it = it->second.second <= now ? tickets_.erase(it) : std::next(it);
    }
    tickets_[ticket] = {caller, now + kTicketLife};
    return ticket;
  }
  std::optional<Caller> Redeem(const std::string& ticket) override {
    std::lock_guard lock(mutex_);
    auto it = tickets_.find(ticket);
    if (it == tickets_.end()) return std::nullopt;
    auto [caller, expires] = it->second;
    tickets_.erase(it);
    if (expires <= std::chrono::steady_clock::now()) return std::nullopt;
    return caller;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<Caller, std::chrono::steady_clock::time_point>>
      tickets_;  // GUARDED_BY(mutex_)
};

class RedisTicketBook final : public TicketBook {
 public:
  RedisTicketBook(auth::RedisTarget target, auth::RedisContext context, std::string prefix)
      : target_(std::move(target)), context_(std::move(context)), prefix_(std::move(prefix)) {}

  std::string Issue(const Caller& caller) override {
    std::string ticket = http::RandomHex(kTicketBytes);
    std::string value = json{{"name", caller.name},
                             {"role", config::RoleName(caller.role)},
                             {"via", caller.via}}
                            .dump();
    std::string key = prefix_ + ticket;
    std::lock_guard lock(mutex_);
    auto* reply = Command([&](redisContext* c) {
      return redisCommand(c, "SET %b %b EX %d NX", key.data(), key.size(), value.data(),
                          value.size(), static_cast<int>(kTicketLife.count()));
    });
    bool stored = reply && reply->type == REDIS_REPLY_STATUS;
    if (reply) freeReplyObject(reply);
    if (stored) return ticket;
    return local_.Issue(caller);  // Redis is away: this process only
  }

  std::optional<Caller> Redeem(const std::string& ticket) override {
    if (!WellFormed(ticket)) return std::nullopt;
    if (auto caller = local_.Redeem(ticket)) return caller;
    std::string key = prefix_ + ticket;
    std::lock_guard lock(mutex_);
    auto* reply = Command(
        [&](redisContext* c) { return redisCommand(c, "GETDEL %b", key.data(), key.size()); });
    std::optional<Caller> caller;
    if (reply && reply->type == REDIS_REPLY_STRING) {
      json v = json::parse(std::string(reply->str, reply->len), nullptr, false);
      auto role = v.is_object() ? auth::ParseRole(v.value("role", "")) : std::nullopt;
      if (role) caller = Caller{v.value("name", ""), *role, true, v.value("via", "")};
    }
    if (reply) freeReplyObject(reply);
    return caller;
  }

 private:
  // Runs one command, reconnecting once if the connection broke. Holds mutex_.
  template <class F>
  redisReply* Command(F&& send) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!context_ || context_->err) {
        auto now = std::chrono::steady_clock::now();
        if (now < reconnect_at_) return nullptr;  // at most once a second
        reconnect_at_ = now + std::chrono::seconds(1);
        auto fresh = auth::ConnectRedis(target_);
        if (!fresh) {
          spdlog::warn("websocket tickets: {}", fresh.error().message);
          return nullptr;
        }
        context_ = std::move(*fresh);
      }
      if (auto* reply = static_cast<redisReply*>(send(context_.get()))) return reply;
      context_.reset();
    }
    return nullptr;
  }

  auth::RedisTarget target_;
  std::mutex mutex_;
  auth::RedisContext context_;  // GUARDED_BY(mutex_)
  std::chrono::steady_clock::time_point reconnect_at_{};  // GUARDED_BY(mutex_)
  std::string prefix_;
  LocalTicketBook local_;
};

}  // namespace

std::unique_ptr<TicketBook> MakeLocalTicketBook() {
  return std::make_unique<LocalTicketBook>();
}

Result<std::unique_ptr<TicketBook>> MakeRedisTicketBook(const std::string& redis_url,
                                                        const std::string& key_prefix) {
  auto target = auth::ParseRedisUrl(redis_url);
  if (!target) return target.error();
  auto context = auth::ConnectRedis(*target);
  if (!context) return context.error();
  return std::unique_ptr<TicketBook>(
      std::make_unique<RedisTicketBook>(std::move(*target), std::move(*context), key_prefix));
}

}  // namespace docrunch::api
