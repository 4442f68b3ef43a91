#include "api/stream_signal.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace docrunch::api {
namespace {

// SUBSCRIBE on a fresh connection; null (logged) when it fails.
auth::RedisContext Subscribe(const auth::RedisTarget& target, const std::string& channel) {
  auto context = auth::ConnectRedis(target);
  if (!context) {
    spdlog::warn("live streams: {}", context.error().message);
    return nullptr;
  }
  auto* reply = static_cast<redisReply*>(
      redisCommand(context->get(), "SUBSCRIBE %b", channel.data(), channel.size()));
  if (!reply || reply->type == REDIS_REPLY_ERROR) {
    spdlog::warn("live streams: redis at {}: SUBSCRIBE failed", target.where());
    if (reply) freeReplyObject(reply);
    return nullptr;
  }
  freeReplyObject(reply);
  return std::move(*context);
}

}  // namespace

Result<std::unique_ptr<StreamSignal>> StreamSignal::Connect(const std::string& redis_url,
                                                            std::string channel,
                                                            std::function<void()> on_signal) {
  auto target = auth::ParseRedisUrl(redis_url);
  if (!target) return target.error();
  auto publisher = auth::ConnectRedis(*target);
  if (!publisher) return publisher.error();
  std::unique_ptr<StreamSignal> signal(new StreamSignal());
  signal->target_ = std::move(*target);
  signal->channel_ = std::move(channel);
  signal->on_signal_ = std::move(on_signal);
  signal->publisher_.emplace(signal->target_, std::move(*publisher), "live streams");
  auth::RedisContext subscriber = Subscribe(signal->target_, signal->channel_);
  if (!subscriber) {
    return MakeError(ErrorCode::kStorageUnavailable,
                     "redis at " + signal->target_.where() + ": cannot subscribe");
  }
  StreamSignal* self = signal.get();
  signal->listener_ = std::thread([self, first = std::move(subscriber)]() mutable {
    auth::RedisContext context = std::move(first);
    auto retry_at = std::chrono::steady_clock::now();
    while (!self->stop_.load()) {
      if (!context) {
        if (std::chrono::steady_clock::now() < retry_at) {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          continue;
        }
        retry_at = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        context = Subscribe(self->target_, self->channel_);
        // Whatever was announced while away is in the outbox: read it now.
        if (context) self->on_signal_();
        continue;
      }
      pollfd p{context->fd, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      if (redisBufferRead(context.get()) != REDIS_OK) {
        spdlog::warn("live streams: redis at {} went away; reconnecting", self->target_.where());
        context.reset();
        continue;
      }
      void* reply = nullptr;
      bool signalled = false;
      while (redisGetReplyFromReader(context.get(), &reply) == REDIS_OK && reply != nullptr) {
        auto* r = static_cast<redisReply*>(reply);
        signalled = signalled || (r->type == REDIS_REPLY_ARRAY && r->elements == 3);
        freeReplyObject(r);
        reply = nullptr;
      }
      if (signalled) self->on_signal_();
    }
  });
  return signal;
}

StreamSignal::~StreamSignal() {
  stop_ = true;
  if (listener_.joinable()) listener_.join();
}

void StreamSignal::Announce() {
  std::lock_guard lock(publish_mutex_);
  auto* reply = publisher_->Command([&](redisContext* c) {
    return redisCommand(c, "PUBLISH %b 1", channel_.data(), channel_.size());
  });
  if (reply) freeReplyObject(reply);  // null: Redis is away; the others poll
}

}  // namespace docrunch::api
