#include "jobs/redis_pool.h"

#include <cstring>

namespace docrunch::jobs {

namespace {

// Idle connections kept beyond this are closed: a burst of blocked Takes
// should not leave dozens of sockets open.
constexpr std::size_t kMaxIdle = 16;
constexpr std::chrono::seconds kRetryAfterFailedConnect{1};
constexpr timeval kCommandTimeout{2, 0};

// Whether a failed command on a connection from the pool may be sent again
// on a fresh one: only when the server closed the socket (it restarted, so
// the command never ran there), never after a timeout (it might have run).
bool ServerClosed(const redisContext* context) {
  if (context->err == REDIS_ERR_EOF) return true;
  return context->err == REDIS_ERR_IO && (std::strstr(context->errstr, "reset") != nullptr ||
                                          std::strstr(context->errstr, "Broken pipe") != nullptr);
}

}  // namespace

Result<std::unique_ptr<RedisPool>> RedisPool::Open(const std::string& redis_url) {
  auto target = auth::ParseRedisUrl(redis_url);
  if (!target) return target.error();
  auto pool = std::make_unique<RedisPool>(std::move(*target));
  auto first = auth::ConnectRedis(pool->target_);
  if (!first) return first.error();
  pool->Release(std::move(*first));
  return pool;
}

Result<RedisReply> RedisPool::Unavailable(const std::string& why) const {
  return MakeError(ErrorCode::kStorageUnavailable, "redis at " + target_.where() + ": " + why);
}

Result<auth::RedisContext> RedisPool::Acquire(bool& reused) {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auth::RedisContext context = std::move(idle_.back());
      idle_.pop_back();
      reused = true;
      return context;
    }
    if (std::chrono::steady_clock::now() < retry_at_) {
      return MakeError(ErrorCode::kStorageUnavailable, last_failure_);
    }
  }
  reused = false;
  auto fresh = auth::ConnectRedis(target_);
  if (!fresh) {
    std::lock_guard lock(mu_);
    retry_at_ = std::chrono::steady_clock::now() + kRetryAfterFailedConnect;
    last_failure_ = fresh.error().message;  // names host:port, never the password
    return fresh.error();
  }
  return fresh;
}

void RedisPool::Release(auth::RedisContext context) {
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(context));
}

Result<RedisReply> RedisPool::Command(const std::vector<std::string>& args,
                                      std::chrono::milliseconds block) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    auto context = Acquire(reused);
    if (!context) return context.error();
    redisContext* c = context->get();
    if (block.count() > 0) {
      auto timeout = block + std::chrono::seconds(2);
      timeval tv{static_cast<time_t>(timeout.count() / 1000),
                 static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
      redisSetTimeout(c, tv);
    }
    RedisReply reply(static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (reply) {
      if (block.count() > 0) redisSetTimeout(c, kCommandTimeout);
      Release(std::move(*context));
      return reply;
    }
    std::string why = c->errstr;
    if (!reused || attempt > 0 || !ServerClosed(c)) return Unavailable(why);
    // The server went away since this connection was last used; the
    // others in the pool are as stale.
    std::lock_guard lock(mu_);
    idle_.clear();
  }
}

}  // namespace docrunch::jobs
