#include "api/streams.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "tasks/records.h"
#include "tasks/task_json.h"

namespace docrunch::api {
namespace {

std::string Message(const std::string& type, const json& data) {
  return json{{"type", type}, {"data", data}, {"at", FormatIso8601(std::chrono::system_clock::now())}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

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
      queue_.push_back(Message("resync", json{{"reason", "you fell behind; reload"}}));
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
  std::string text = Message(type, data);
  for (auto& s : targets) s->Push(text);
}

std::size_t StreamHub::subscribers() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [channel, set] : channels_) n += set.size();
  return n;
}

std::string WorkflowChannel(const std::string& id) {
  return "workflows." + id;
}

OutboxStreamer::OutboxStreamer(store::Store& store, std::int64_t repository_id, StreamHub& hub)
    : store_(store), repository_id_(repository_id), hub_(hub) {}

OutboxStreamer::~OutboxStreamer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<void> OutboxStreamer::Start(std::chrono::milliseconds interval) {
  auto rows = store_.Query("SELECT max(id) AS last FROM sync_events");
  if (!rows) return rows.error();
  {
    std::lock_guard lock(poll_mutex_);
    last_event_ = rows->Int(0, "last").value_or(0);
  }
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait_for(lock, interval, [this] { return stop_ || nudged_; });
      if (stop_) return;
      nudged_ = false;
      lock.unlock();
      if (auto polled = PollOnce(); !polled) {
        spdlog::warn("live streams: reading the outbox failed: {}", polled.error().ToString());
      }
      lock.lock();
    }
  });
  return Ok();
}

void OutboxStreamer::Nudge() {
  {
    std::lock_guard lock(mutex_);
    nudged_ = true;
  }
  wake_.notify_all();
}

Result<void> OutboxStreamer::PollOnce() {
  std::lock_guard poll(poll_mutex_);
  auto rows = store_.Query(
      "SELECT id, entity_type, entity_id, action, priority, content_hash, created_at FROM "
      "sync_events WHERE id > $1 AND (repository_id = $2 OR repository_id IS NULL) ORDER BY id "
      "LIMIT 1000",
      {last_event_, repository_id_});
  if (!rows) return rows.error();
  for (std::size_t i = 0; i < rows->size(); ++i) {
    std::int64_t id = rows->Int(i, "id").value_or(0);
    last_event_ = std::max(last_event_, id);
    std::string type = rows->Text(i, "entity_type").value_or("");
    std::string entity = rows->Text(i, "entity_id").value_or("");
    std::string action = rows->Text(i, "action").value_or("");
    hub_.Publish(kSyncEventsChannel, "sync.event",
                 {{"id", id},
                  {"entity_type", type},
                  {"entity_id", entity},
                  {"action", action},
                  {"priority", rows->Int(i, "priority").value_or(0)},
                  {"content_hash", rows->Text(i, "content_hash").value_or("")},
                  {"created_at", rows->Text(i, "created_at").value_or("")}});
    if (type != "task") continue;
    if (action == "delete") {
      hub_.Publish(kTasksChannel, "task.deleted", {{"id", entity}});
      continue;
    }
    auto task_id = tasks::ParseTaskId(entity);
    if (!task_id) continue;
    auto task = tasks::LoadTask(store_, repository_id_, *task_id);
    if (task) hub_.Publish(kTasksChannel, "task.changed", tasks::ToJson(*task));
  }
  if (!rows->empty()) {
    hub_.Publish(kLineageChannel, "lineage.changed", {{"last_event", last_event_}});
  }
  return Ok();
}

}  // namespace docrunch::api
