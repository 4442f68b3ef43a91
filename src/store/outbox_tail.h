// Follows the outbox (sync_events) for the live views of a serving process:
// every interval, or at once after Nudge, it reads the events written since
// the last one it saw (by any process: REST, MCP, the CLI, workers) and
// hands them to each listener. One tail per process feeds both MCP's
// resource notifications (mcp/tools/change_feed.h) and the WebSocket
// streams (api/streams.h), so the outbox is read once per tick, not once
// per consumer.
//
// On PostgreSQL an event whose transaction commits after later events were
// read is still delivered, as long as fewer than 256 events were written
// meanwhile (each poll reads that far back again); an older straggler is
// missed by the live views only, never by the sync workers.
//
// Thread-safety: Add/Remove/Nudge/PollOnce may be called from any thread;
// listeners run on the polling thread. Once Remove returns, the removed
// listener is not running and will not run again. A listener must not call
// Add or Remove.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace docrunch::store {

struct OutboxEvent {
  std::int64_t id = 0;
  std::string entity_type;
  std::string entity_id;
  std::string action;  // upsert | delete
  std::int64_t priority = 0;
  std::string content_hash;
  std::string created_at;
};

class OutboxTail {
 public:
  using Listener = std::function<void(const std::vector<OutboxEvent>& events)>;

  // `store` must outlive the tail. Events of `repository_id` and those of
  // no repository.
  OutboxTail(Store& store, std::int64_t repository_id);
  ~OutboxTail();
  OutboxTail(const OutboxTail&) = delete;
  OutboxTail& operator=(const OutboxTail&) = delete;

  // Starts after the newest event now in the outbox; polls every
  // `interval` (and at once after Nudge) on its own thread until destroyed.
  Result<void> Start(std::chrono::milliseconds interval);
  void Nudge();
  int Add(Listener listener);
  void Remove(int id);
  // One poll: reads new events (at most 5,000) and hands them to the
  // listeners.
  Result<void> PollOnce();

 private:
  Store& store_;
  std::int64_t repository_id_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<int, Listener> listeners_;  // GUARDED_BY(mutex_)
  int next_id_ = 1;                    // GUARDED_BY(mutex_)
  bool nudged_ = false;                // GUARDED_BY(mutex_)
  bool stop_ = false;                  // GUARDED_BY(mutex_)
  // How far behind the newest id each poll looks again for events that
  // committed late (see PollOnce).
  static constexpr std::int64_t kLookBack = 256;
  std::mutex poll_mutex_;
  std::int64_t last_event_ = 0;    // GUARDED_BY(poll_mutex_)
  std::set<std::int64_t> seen_;    // GUARDED_BY(poll_mutex_); ids in the look-back window
  std::thread thread_;
};

}  // namespace docrunch::store
