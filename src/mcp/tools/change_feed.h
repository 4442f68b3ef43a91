// Turns the outbox (sync_events, as the process's OutboxTail reads it)
// into resource change notifications: it tells each listener which docs://
// URIs changed, and whether the resource list changed (a task created, a
// module added or removed by a rescan: after events that can do that it
// compares the list source's URIs with the last ones). Because the tail
// reads the database, it sees changes from any process: a report made
// through another server, a rescan, the CLI.
//
// Thread-safety: Add/Remove may be called from any thread; listeners run
// on the tail's polling thread. Once Remove returns, the removed listener
// is not running and will not run again, so it may refer to things its
// owner destroys next. A listener must not call Add or Remove.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/outbox_tail.h"

namespace docrunch::mcp {

// The docs:// URIs whose content an outbox event changes.
std::vector<std::string> UrisForEvent(const std::string& entity_type, const std::string& entity_id);

class ChangeFeed {
 public:
  using Listener = std::function<void(const std::vector<std::string>& uris, bool list_changed)>;
  using ListSource = std::function<std::vector<std::string>()>;

  // Listens to `tail` (which must outlive the feed) from now on. The list
  // source gives the URIs resources/list shows; without one, list_changed
  // is never set.
  ChangeFeed(store::OutboxTail& tail, ListSource list_source = nullptr);
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  int Add(Listener listener);
  void Remove(int id);

 private:
  void OnEvents(const std::vector<store::OutboxEvent>& events);

  store::OutboxTail& tail_;
  ListSource list_source_;
  std::mutex mutex_;
  std::map<int, Listener> listeners_;  // GUARDED_BY(mutex_)
  int next_id_ = 1;                    // GUARDED_BY(mutex_)
  std::mutex deliver_mutex_;           // held while listeners run
  std::vector<std::string> listed_;    // GUARDED_BY(deliver_mutex_)
  int tail_listener_ = 0;
};

}  // namespace docrunch::mcp
