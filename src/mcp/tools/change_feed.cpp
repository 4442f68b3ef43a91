#include "mcp/tools/change_feed.h"

#include <set>

namespace docrunch::mcp {

ChangeFeed::ChangeFeed(store::Store& store, std::int64_t repository_id)
    : store_(store), repository_id_(repository_id) {}

ChangeFeed::~ChangeFeed() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<void> ChangeFeed::Start(std::chrono::milliseconds interval) {
  auto rows = store_.Query("SELECT max(id) AS last FROM sync_events");
  if (!rows) return rows.error();
  {
    std::lock_guard lock(poll_mutex_);
    last_event_ = rows->Int(0, "last").value_or(0);
    if (list_source_) listed_ = list_source_();
  }
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(mutex_);
    while (!stop_cv_.wait_for(lock, interval, [this] { return stop_; })) {
      lock.unlock();
      (void)PollOnce();  // a failed poll is retried on the next tick
      lock.lock();
    }
  });
  return Ok();
}

int ChangeFeed::Add(Listener listener) {
  std::lock_guard lock(mutex_);
  listeners_[next_id_] = std::move(listener);
  return next_id_++;
}

void ChangeFeed::Remove(int id) {
  {
    std::lock_guard lock(mutex_);
    listeners_.erase(id);
  }
  // A poll in progress may still hold a copy of the listener: wait it out.
  std::lock_guard poll(poll_mutex_);
}

Result<void> ChangeFeed::PollOnce() {
  std::lock_guard poll(poll_mutex_);
  auto rows = store_.Query(
      "SELECT id, entity_type, entity_id FROM sync_events WHERE id > $1 AND "
      "(repository_id = $2 OR repository_id IS NULL) ORDER BY id LIMIT 5000",
      {last_event_, repository_id_});
  if (!rows) return rows.error();
  if (rows->empty()) return Ok();
  std::set<std::string> uris;
  bool may_change_list = false;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    last_event_ = std::max(last_event_, rows->Int(i, "id").value_or(0));
    std::string type = rows->Text(i, "entity_type").value_or("");
    may_change_list = may_change_list || type == "task" || type == "file";
    for (auto& uri : UrisForEvent(type, rows->Text(i, "entity_id").value_or(""))) {
      uris.insert(std::move(uri));
    }
  }
  bool list_changed = false;
  if (may_change_list && list_source_) {
    std::vector<std::string> listed = list_source_();
    list_changed = listed != listed_;
    listed_ = std::move(listed);
  }
  std::vector<std::string> changed(uris.begin(), uris.end());
  std::vector<Listener> listeners;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, l] : listeners_) listeners.push_back(l);
  }
  for (auto& l : listeners) l(changed, list_changed);
  return Ok();
}

}  // namespace docrunch::mcp
