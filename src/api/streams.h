// The live streams behind the WebSockets (PRODUCT §11): /ws/tasks,
// /ws/sync/events, /ws/system/lineage, /ws/workflows/{id}, /ws/queries.
// Every message is JSON {type, data, at}.
//
// Where events come from: the outbox. Every change to the source of truth
// writes a sync_events row in its transaction (a task moved through REST,
// MCP or the CLI of any process), so the process's OutboxTail, reading the
// rows after the last one it saw, sees every change of every process; the
// OutboxStreamer publishes them to this process's StreamHub. The tail polls
// and is woken at once by Nudge: after a write of this process, and, with
// Redis configured, when another process announces a write on the Redis
// pub/sub channel (stream_signal.h). The database stays the one source of
// events; Redis only carries the wake-up, so a lost Redis message costs
// latency (up to the poll interval), never an event.
//
// Backpressure: each subscriber has a bounded backlog. A client too slow
// to take its messages gets its backlog coalesced: the queued messages are
// dropped and replaced by one {type: "resync"} telling it to reload, so
// memory per client is bounded whatever the event rate.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "api/route.h"
#include "store/outbox_tail.h"
#include "store/store.h"

namespace docrunch::api {

// One stream message as its text: {type, data, at (now)}.
std::string StreamMessage(const std::string& type, const json& data);

class Subscriber {
 public:
  explicit Subscriber(std::size_t max_backlog = 256);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Readable (an eventfd) while messages wait; for poll() beside the socket.
  int wake_fd() const { return wake_fd_; }
  // Queues one message (coalescing when the backlog is full).
  void Push(std::string text);
  // Takes every waiting message and clears the wake-up.
  std::vector<std::string> Take();
  // How many times the backlog was coalesced.
  int coalesced() const { return coalesced_.load(); }

 private:
  const std::size_t max_backlog_;
  int wake_fd_ = -1;
  std::mutex mutex_;
  std::deque<std::string> queue_;  // GUARDED_BY(mutex_)
  bool overflowed_ = false;        // GUARDED_BY(mutex_)
  std::atomic<int> coalesced_{0};
};

class StreamHub {
 public:
  std::shared_ptr<Subscriber> Subscribe(const std::string& channel);
  void Unsubscribe(const std::string& channel, const std::shared_ptr<Subscriber>& subscriber);
  // Sends {type, data, at} to every subscriber of `channel`.
  void Publish(const std::string& channel, const std::string& type, const json& data);
  std::size_t subscribers() const;
  // Whether anyone listens to `channel` (publishers skip work otherwise).
  bool Listened(const std::string& channel) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::set<std::shared_ptr<Subscriber>>> channels_;  // GUARDED_BY(mutex_)
};

// The channel names.
inline constexpr const char* kTasksChannel = "tasks";
inline constexpr const char* kSyncEventsChannel = "sync.events";
inline constexpr const char* kLineageChannel = "system.lineage";
inline constexpr const char* kQueriesChannel = "queries";
std::string WorkflowChannel(const std::string& id);

// Publishes what the process's OutboxTail reads to the hub: every event to
// sync.events, each task change (the task as it is now) to tasks, and a
// lineage.changed after each batch.
class OutboxStreamer {
 public:
  // `tail`, `store` and `hub` must outlive the streamer.
  OutboxStreamer(store::OutboxTail& tail, store::Store& store, std::int64_t repository_id,
                 StreamHub& hub);
  ~OutboxStreamer();
  OutboxStreamer(const OutboxStreamer&) = delete;
  OutboxStreamer& operator=(const OutboxStreamer&) = delete;

  void Publish(const std::vector<store::OutboxEvent>& events);

 private:
  store::OutboxTail& tail_;
  store::Store& store_;
  std::int64_t repository_id_;
  StreamHub& hub_;
  int listener_ = 0;
};

}  // namespace docrunch::api
