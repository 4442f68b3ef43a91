// Turns the outbox (sync_events) into resource change notifications: every
// interval it reads the events after the last one it saw and tells each
// listener which docs:// URIs changed, and whether the resource list
// changed (a task created, a module added or removed by a rescan: after
// events that can do that it compares the list source's URIs with the last
// ones). Because it reads the database, it sees changes from any process:
// a report made through another server, a rescan, the CLI.
//
// Thread-safety: Add/Remove/PollOnce may be called from any thread;
// listeners run on the polling thread. Once Remove returns, the removed
// listener is not running and will not run again, so it may refer to
// things its owner destroys next. A listener must not call Add or Remove.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace docrunch::mcp {

// The docs:// URIs whose content an outbox event changes.
std::vector<std::string> UrisForEvent(const std::string& entity_type, const std::string& entity_id);

class ChangeFeed {
 public:
  using Listener = std::function<void(const std::vector<std::string>& uris, bool list_changed)>;
  using ListSource = std::function<std::vector<std::string>()>;

  ChangeFeed(store::Store& store, std::int64_t repository_id);
  ~ChangeFeed();

  // The URIs resources/list shows; without one, list_changed is never set.
  // Call before Start.
  void SetListSource(ListSource source) { list_source_ = std::move(source); }
  // Starts after the newest event now in the outbox; polls every
  // `interval` on its own thread until destroyed.
  Result<void> Start(std::chrono::milliseconds interval);
  int Add(Listener listener);
  void Remove(int id);
  // One poll: reads new events and notifies the listeners.
  Result<void> PollOnce();

 private:
  store::Store& store_;
  std::int64_t repository_id_;
  std::mutex mutex_;
  std::map<int, Listener> listeners_;  // GUARDED_BY(mutex_)
  int next_id_ = 1;                    // GUARDED_BY(mutex_)
  ListSource list_source_;
  std::int64_t last_event_ = 0;      // GUARDED_BY(poll_mutex_)
  std::vector<std::string> listed_;  // GUARDED_BY(poll_mutex_)
  std::mutex poll_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace docrunch::mcp
