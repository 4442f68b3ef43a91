#include "mcp/tools/change_feed.h"

#include <set>

namespace docrunch::mcp {

ChangeFeed::ChangeFeed(store::OutboxTail& tail, ListSource list_source)
    : tail_(tail), list_source_(std::move(list_source)) {
  if (list_source_) listed_ = list_source_();
  tail_listener_ =
      tail_.Add([this](const std::vector<store::OutboxEvent>& events) { OnEvents(events); });
}

ChangeFeed::~ChangeFeed() {
  tail_.Remove(tail_listener_);
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
  // A delivery in progress may still hold a copy of the listener: wait it out.
  std::lock_guard delivering(deliver_mutex_);
}

void ChangeFeed::OnEvents(const std::vector<store::OutboxEvent>& events) {
  std::lock_guard delivering(deliver_mutex_);
  std::set<std::string> uris;
  bool may_change_list = false;
  for (const auto& e : events) {
    may_change_list = may_change_list || e.entity_type == "task" || e.entity_type == "file";
    for (auto& uri : UrisForEvent(e.entity_type, e.entity_id)) uris.insert(std::move(uri));
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
}

}  // namespace docrunch::mcp
