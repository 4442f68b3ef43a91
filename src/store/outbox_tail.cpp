#include "store/outbox_tail.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace docrunch::store {

OutboxTail::OutboxTail(Store& store, std::int64_t repository_id)
    : store_(store), repository_id_(repository_id) {}

OutboxTail::~OutboxTail() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<void> OutboxTail::Start(std::chrono::milliseconds interval) {
  auto rows = store_.Query("SELECT max(id) AS last FROM sync_events");
  if (!rows) return rows.error();
  {
    std::lock_guard lock(poll_mutex_);
    last_event_ = rows->Int(0, "last").value_or(0);
    // What is already there counts as seen, the look-back window included.
    auto recent = store_.Query("SELECT id FROM sync_events WHERE id > $1",
                               {std::max<std::int64_t>(0, last_event_ - kLookBack)});
    if (!recent) return recent.error();
    for (std::size_t i = 0; i < recent->size(); ++i) seen_.insert(recent->Int(i, "id").value_or(0));
  }
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait_for(lock, interval, [this] { return stop_ || nudged_; });
      if (stop_) return;
      nudged_ = false;
      lock.unlock();
      // A failed poll is retried on the next tick.
      if (auto polled = PollOnce(); !polled) {
        spdlog::warn("reading the outbox failed: {}", polled.error().ToString());
      }
      lock.lock();
    }
  });
  return Ok();
}

void OutboxTail::Nudge() {
  {
    std::lock_guard lock(mutex_);
    nudged_ = true;
  }
  wake_.notify_all();
}

int OutboxTail::Add(Listener listener) {
  std::lock_guard lock(mutex_);
  listeners_[next_id_] = std::move(listener);
  return next_id_++;
}

void OutboxTail::Remove(int id) {
  {
    std::lock_guard lock(mutex_);
    listeners_.erase(id);
  }
  // A poll in progress may still hold a copy of the listener: wait it out.
  std::lock_guard poll(poll_mutex_);
}

Result<void> OutboxTail::PollOnce() {
  std::lock_guard poll(poll_mutex_);
  // Ids are handed out when a transaction inserts its event, not when it
  // commits: on PostgreSQL an event with a lower id can become visible
  // after higher ones were read. So each poll reads again the last
  // kLookBack ids behind the newest it saw, skipping those it has.
  const std::int64_t from = std::max<std::int64_t>(0, last_event_ - kLookBack);
  auto rows = store_.Query(
      "SELECT id, entity_type, entity_id, action, priority, content_hash, created_at FROM "
      "sync_events WHERE id > $1 AND (repository_id = $2 OR repository_id IS NULL) ORDER BY id "
      "LIMIT 5000",
      {from, repository_id_});
  if (!rows) return rows.error();
  std::vector<OutboxEvent> events;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    std::int64_t id = rows->Int(i, "id").value_or(0);
    if (id <= last_event_ && !seen_.insert(id).second) continue;
    if (id > last_event_) seen_.insert(id);
    OutboxEvent e;
    e.id = id;
    e.entity_type = rows->Text(i, "entity_type").value_or("");
    e.entity_id = rows->Text(i, "entity_id").value_or("");
    e.action = rows->Text(i, "action").value_or("");
    e.priority = rows->Int(i, "priority").value_or(0);
    e.content_hash = rows->Text(i, "content_hash").value_or("");
    e.created_at = rows->Text(i, "created_at").value_or("");
    last_event_ = std::max(last_event_, e.id);
    events.push_back(std::move(e));
  }
  seen_.erase(seen_.begin(), seen_.lower_bound(last_event_ - kLookBack));
  if (events.empty()) return Ok();
  std::vector<Listener> listeners;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, l] : listeners_) listeners.push_back(l);
  }
  for (auto& l : listeners) l(events);
  return Ok();
}

}  // namespace docrunch::store
