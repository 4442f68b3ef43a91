#include "auth/audit.h"

#include "obs/request_id.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace docrunch::auth {

namespace {
const Clock& SystemClockInstance() {
  static const SystemClock clock;
  return clock;
}
}  // namespace

AuditLog::AuditLog(store::Store& store, const Clock* clock, bool enabled)
    : store_(store),
      clock_(clock ? *clock : SystemClockInstance()),
      enabled_(enabled),
      writer_([this] { WriteLoop(); }) {}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();  // the loop drains the queue before it returns
}

void AuditLog::Record(const AuditEntry& entry) {
  if (!enabled_) return;
  AuditEntry stamped = entry;
  stamped.at = FormatIso8601(clock_.Now());
  // The request being handled on this thread, so an audit row leads to its
  // log lines and query traces.
  if (const std::string& id = obs::CurrentRequestId();
      !id.empty() && stamped.details.is_object() && !stamped.details.contains("request_id")) {
    stamped.details["request_id"] = id;
  }
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(stamped));
    ++recorded_;
  }
  wake_.notify_one();
}

void AuditLog::Flush() {
  std::unique_lock lock(mutex_);
  std::uint64_t target = recorded_;
  written_.wait(lock, [&] { return finished_ >= target; });
}

void AuditLog::WriteLoop() {
  std::vector<AuditEntry> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      batch.swap(queue_);
    }
    WriteBatch(batch);
    {
      std::lock_guard lock(mutex_);
      finished_ += batch.size();
    }
    written_.notify_all();
    batch.clear();
  }
}

namespace {
Result<void> InsertRow(store::Tx& tx, const AuditEntry& e) {
  auto r = tx.Exec(
      "INSERT INTO audit_log (at, actor, action, target, outcome, details) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {e.at, e.actor, e.action, e.target.empty() ? store::Value{} : store::Value{e.target},
       e.outcome, e.details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  if (!r) return r.error();
  return Ok();
}
}  // namespace

void AuditLog::WriteBatch(const std::vector<AuditEntry>& batch) {
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    for (const AuditEntry& e : batch) DOCRUNCH_TRY(InsertRow(tx, e));
    return Ok();
  });
  if (done) return;
  // One row the database refuses must not cost the others in its group
  // commit their place: write them one at a time.
  for (const AuditEntry& e : batch) {
    auto one = store_.Transact([&](store::Tx& tx) { return InsertRow(tx, e); });
    if (!one) {
      spdlog::warn("audit: could not record a {} row: {}", e.action, one.error().ToString());
    }
  }
}

nlohmann::json SummarizeArguments(const nlohmann::json& arguments) {
  nlohmann::json out = nlohmann::json::object();
  if (!arguments.is_object()) return out;
  for (const auto& [key, value] : arguments.items()) {
    std::string lower = key;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower.find("token") != std::string::npos || lower.find("password") != std::string::npos ||
        lower.find("secret") != std::string::npos || lower.find("key") != std::string::npos) {
      out[key] = "[redacted]";
    } else if (value.is_string()) {
      const std::string& s = value.get_ref<const std::string&>();
      out[key] = s.size() <= 80 ? s : s.substr(0, 77) + "...";
    } else if (value.is_array()) {
      out[key] = std::to_string(value.size()) + " items";
    } else if (value.is_object()) {
      out[key] = "{...}";
    } else {
      out[key] = value;
    }
  }
  return out;
}

}  // namespace docrunch::auth
