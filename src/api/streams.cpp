#include "api/streams.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/json_writer.h"
#include "tasks/records.h"
#include "tasks/task_json.h"

namespace docrunch::api {
std::string StreamMessage(const std::string& type, const json& data) {
  return WriteJson(json{
      {"type", type}, {"data", data}, {"at", FormatIso8601(std::chrono::system_clock::now())}});
}

Subscriber::Subscriber(std::size_t max_backlog)
    : max_backlog_(max_backlog), wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

Subscriber::~Subscriber() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Subscriber::Push(std::string text) {
  {
    std::lock_guard lock(mutex_);
    if (overflowed_) return;  // a resync is already waiting
    if (queue_.size() >= max_backlog_) {
      queue_.clear();
      queue_.push_back(StreamMessage("resync", json{{"reason", "you fell behind; reload"}}));
      overflowed_ = true;
      coalesced_++;
    } else {
      queue_.push_back(std::move(text));
    }
  }
  std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

std::vector<std::string> Subscriber::Take() {
  std::uint64_t count = 0;
  (void)!::read(wake_fd_, &count, sizeof count);
  std::lock_guard lock(mutex_);
  std::vector<std::string> out(std::make_move_iterator(queue_.begin()),
                               std::make_move_iterator(queue_.end()));
  queue_.clear();
  overflowed_ = false;
  return out;
}

std::shared_ptr<Subscriber> StreamHub::Subscribe(const std::string& channel) {
  auto subscriber = std::make_shared<Subscriber>();
  std::lock_guard lock(mutex_);
  channels_[channel].insert(subscriber);
  return subscriber;
}

void StreamHub::Unsubscribe(const std::string& channel,
                            const std::shared_ptr<Subscriber>& subscriber) {
  std::lock_guard lock(mutex_);
  auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  it->second.erase(subscriber);
  if (it->second.empty()) channels_.erase(it);
}

void StreamHub::Publish(const std::string& channel, const std::string& type, const json& data) {
  std::vector<std::shared_ptr<Subscriber>> targets;
  {
    std::lock_guard lock(mutex_);
    auto it = channels_.find(channel);
    if (it == channels_.end()) return;
    targets.assign(it->second.begin(), it->second.end());
  }
  std::string text = StreamMessage(type, data);
  for (auto& s : targets) s->Push(text);
}

std::size_t StreamHub::subscribers() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [channel, set] : channels_) n += set.size();
  return n;
}

bool StreamHub::Listened(const std::string& channel) const {
  std::lock_guard lock(mutex_);
  return channels_.count(channel) > 0;
}

std::string WorkflowChannel(const std::string& id) {
  return "workflows." + id;
}

OutboxStreamer::OutboxStreamer(store::OutboxTail& tail, store::Store& store,
                               std::int64_t repository_id, StreamHub& hub)
    : tail_(tail), store_(store), repository_id_(repository_id), hub_(hub) {
  listener_ = tail_.Add([this](const std::vector<store::OutboxEvent>& events) { Publish(events); });
}

OutboxStreamer::~OutboxStreamer() {
  tail_.Remove(listener_);
}

void OutboxStreamer::Publish(const std::vector<store::OutboxEvent>& events) {
  for (const auto& e : events) {
    hub_.Publish(kSyncEventsChannel, "sync.event",
                 {{"id", e.id},
                  {"entity_type", e.entity_type},
                  {"entity_id", e.entity_id},
                  {"action", e.action},
                  {"priority", e.priority},
                  {"content_hash", e.content_hash},
                  {"created_at", e.created_at}});
    if (e.entity_type == "workflow") {
      // A run changed (its status, or a step: "step:2:completed"); a viewer
      // reloads GET /api/workflows/{id}.
      hub_.Publish(WorkflowChannel(e.entity_id), "workflow.changed",
                   {{"id", e.entity_id}, {"change", e.content_hash}, {"event", e.id}});
      continue;
    }
    if (e.entity_type != "task" || !hub_.Listened(kTasksChannel)) continue;
    if (e.action == "delete") {
      hub_.Publish(kTasksChannel, "task.deleted", {{"id", e.entity_id}});
      continue;
    }
    auto task_id = tasks::ParseTaskId(e.entity_id);
    if (!task_id) continue;
    auto task = tasks::LoadTask(store_, repository_id_, *task_id);
    if (task) hub_.Publish(kTasksChannel, "task.changed", tasks::ToJson(*task));
  }
  if (!events.empty()) {
    hub_.Publish(kLineageChannel, "lineage.changed", {{"last_event", events.back().id}});
  }
}

}  // namespace docrunch::api
