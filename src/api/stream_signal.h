// Live streams across processes: with Redis configured, a `serve` process
// that wrote announces it on a Redis pub/sub channel, and every process
// (itself included) wakes its OutboxStreamer to read the new outbox rows
// at once, instead of at its next poll. The message is only a wake-up; the
// events come from the database (streams.h), so a message lost while
// Redis is away costs latency, never an event.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "auth/redis.h"
#include "core/result.h"

namespace docrunch::api {

class StreamSignal {
 public:
  // Connects twice (one connection publishes, one subscribes to `channel`
  // on its own thread and calls `on_signal` for each message).
  // STORAGE_UNAVAILABLE when Redis cannot be reached at start.
  static Result<std::unique_ptr<StreamSignal>> Connect(const std::string& redis_url,
                                                       std::string channel,
                                                       std::function<void()> on_signal);
  ~StreamSignal();
  StreamSignal(const StreamSignal&) = delete;
  StreamSignal& operator=(const StreamSignal&) = delete;

  // PUBLISH; after a failure a new connection is tried at most once a
  // second, so a Redis outage costs a writer at most one connect timeout a
  // second, not one per write.
  void Announce();

 private:
  StreamSignal() = default;
  void Listen();

  auth::RedisTarget target_;
  std::string channel_;
  std::function<void()> on_signal_;
  std::mutex publish_mutex_;
  std::optional<auth::RedisLink> publisher_;  // GUARDED_BY(publish_mutex_)
  std::atomic<bool> stop_{false};
  std::thread listener_;
};

}  // namespace docrunch::api
