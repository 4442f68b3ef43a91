#include "api/tickets.h"

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
  RedisTicketBook(auth::RedisLink link, std::string prefix)
      : link_(std::move(link)), prefix_(std::move(prefix)) {}

  std::string Issue(const Caller& caller) override {
    std::string ticket = http::RandomHex(kTicketBytes);
    std::string value = json{
        {"name", caller.name},
        {"role", config::RoleName(caller.role)},
        {"via", caller.via}}.dump();
    std::string key = prefix_ + ticket;
    std::lock_guard lock(mutex_);
    auto* reply = link_.Command([&](redisContext* c) {
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
    auto* reply = link_.Command(
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
  std::mutex mutex_;
  auth::RedisLink link_;  // GUARDED_BY(mutex_)
  std::string prefix_;
  LocalTicketBook local_;
};

}  // namespace

std::unique_ptr<TicketBook> MakeLocalTicketBook() {
  return std::make_unique<LocalTicketBook>();
}

Result<std::unique_ptr<TicketBook>> MakeRedisTicketBook(const std::string& redis_url,
                                                        const std::string& key_prefix) {
  auto link = auth::ConnectRedisLink(redis_url, "websocket tickets");
  if (!link) return link.error();
  return std::unique_ptr<TicketBook>(
      std::make_unique<RedisTicketBook>(std::move(*link), key_prefix));
}

}  // namespace docrunch::api
