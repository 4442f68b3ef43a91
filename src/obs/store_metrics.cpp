#include "obs/store_metrics.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "core/clock.h"
#include "sync/sync_admin.h"

namespace docrunch::obs {
namespace {

struct Snapshot {
  bool ok = false;
  std::vector<Sample> pending, oldest, behind, lag, entities, workflows;
};

Result<void> ReadCounts(store::Store& store, const std::string& sql, std::vector<Sample>& out) {
  auto rows = store.Query(sql);
  if (!rows) return rows.error();
  for (std::size_t i = 0; i < rows->size(); ++i) {
    out.push_back({{rows->Text(i, "a").value_or(""), rows->Text(i, "b").value_or("")},
                   static_cast<double>(rows->Int(i, "n").value_or(0))});
  }
  return Ok();
}

Result<Snapshot> Read(store::Store& store, const StoreMetricsOptions& o) {
  Snapshot s;
  sync::SlaOptions sla{o.report_sla_seconds, o.scan_sla_seconds};
  auto status = sync::LoadSyncStatus(store, o.repository_id, o.targets, sla, SystemClock().Now());
  if (!status) return status.error();
  s.pending = {{{"reports"}, double(status->reports.pending)},
               {{"scans"}, double(status->scans.pending)}};
  s.oldest = {{{"reports"}, status->reports.oldest_pending_s},
              {{"scans"}, status->scans.oldest_pending_s}};
  for (const auto& t : status->targets) {
    s.behind.push_back({{t.target, "reports"}, double(t.reports.behind)});
    s.behind.push_back({{t.target, "scans"}, double(t.scans.behind)});
    s.lag.push_back({{t.target, "reports"}, t.reports.oldest_s});
    s.lag.push_back({{t.target, "scans"}, t.scans.oldest_s});
    s.entities.push_back({{t.target, "ok"}, double(t.synced)});
    s.entities.push_back({{t.target, "retrying"}, double(t.retrying)});
    s.entities.push_back({{t.target, "failed"}, double(t.failed)});
    s.entities.push_back({{t.target, "dead_letter"}, double(t.dead_letter)});
  }
  DOCRUNCH_TRY(ReadCounts(store,
                          "SELECT workflow AS a, status AS b, COUNT(*) AS n FROM workflow_runs "
                          "GROUP BY workflow, status",
                          s.workflows));
  s.ok = true;
  return s;
}

}  // namespace

struct StoreMetrics::State {
  store::Store& store;
  StoreMetricsOptions options;
  std::mutex mutex;
  std::chrono::steady_clock::time_point at{};
  bool have = false;
  Snapshot snapshot;  // GUARDED_BY(mutex)

  State(store::Store& s, StoreMetricsOptions o) : store(s), options(std::move(o)) {}

  Snapshot Get() {
    std::lock_guard lock(mutex);
    auto now = std::chrono::steady_clock::now();
    if (!have || now - at >= options.cache) {
      auto read = Read(store, options);
      if (read) {
        snapshot = std::move(*read);
      } else {
        // The families stay, without samples; docrunch_db_up says why.
        spdlog::warn("metrics: reading the database failed: {}", read.error().ToString());
        snapshot = Snapshot{};
      }
      at = now;
      have = true;
    }
    return snapshot;
  }
};

StoreMetrics::StoreMetrics(Registry& registry, store::Store& store, StoreMetricsOptions options)
    : registry_(registry), state_(std::make_shared<State>(store, std::move(options))) {
  using T = MetricType;
  auto state = state_;
  auto add = [&](const char* name, const char* help, std::vector<std::string> labels,
                 std::vector<Sample> Snapshot::*field) {
    ids_.push_back(registry_.AddCollector(name, help, T::kGauge, std::move(labels),
                                          [state, field] { return state->Get().*field; }));
  };
  add("docrunch_outbox_pending_events", "Outbox events no sync worker has processed yet, by class",
      {"class"}, &Snapshot::pending);
  add("docrunch_outbox_oldest_pending_seconds", "Age of the oldest unprocessed outbox event",
      {"class"}, &Snapshot::oldest);
  add("docrunch_outbox_target_behind", "Entities a sync target has not applied yet",
      {"target", "class"}, &Snapshot::behind);
  add("docrunch_outbox_target_lag_seconds",
      "Age of the oldest change a sync target has not applied (compare with the SLA)",
      {"target", "class"}, &Snapshot::lag);
  add("docrunch_outbox_target_entities", "Entities per sync target by state", {"target", "state"},
      &Snapshot::entities);
  add("docrunch_workflow_runs", "Durable workflow runs by workflow and status",
      {"workflow", "status"}, &Snapshot::workflows);
  ids_.push_back(registry_.AddCollector(
      "docrunch_db_up", "1 when the last scrape could read the database, else 0", T::kGauge, {},
      [state] {
        return std::vector<Sample>{{{}, state->Get().ok ? 1.0 : 0.0}};
      }));
}

StoreMetrics::~StoreMetrics() {
  for (int id : ids_) registry_.RemoveCollector(id);
}

}  // namespace docrunch::obs
