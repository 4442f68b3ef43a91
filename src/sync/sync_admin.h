// What `docrunch sync status|retry|diff|rebuild` do, over the outbox and
// storage_sync, for one repository.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "store/store.h"
#include "sync/projection.h"

namespace docrunch::sync {

// Lag of one event class: report events (priority > 0) or scan events.
struct ClassLag {
  std::int64_t pending = 0;     // events not yet applied
  double oldest_pending_s = 0;  // age of the oldest of them
  double applied_max_s = 0;     // created -> processed, recent events (last 1000)
  double applied_median_s = 0;
  int sla_seconds = 0;
  bool sla_breached = false;  // oldest pending or a recent apply took longer than the SLA
};

// How far one target is behind for one event class: the entities whose
// derived copy is not ok (waiting to retry, failed, dead letter), and the
// age of the oldest change among them that the target has not applied (the
// first event after the last synced hash).
struct TargetLag {
  std::int64_t behind = 0;
  double oldest_s = 0;
  bool sla_breached = false;
};

struct TargetStatus {
  std::string target;
  std::string last_synced;  // ISO-8601 of the newest ok row; "" never
  std::int64_t synced = 0;  // entities ok
  std::int64_t retrying = 0, failed = 0, dead_letter = 0;
  TargetLag reports, scans;
  bool sla_breached() const { return reports.sla_breached || scans.sla_breached; }
};

struct SyncStatus {
  std::vector<TargetStatus> targets;
  ClassLag reports, scans;
  bool sla_breached() const {
    bool any = reports.sla_breached || scans.sla_breached;
    for (const auto& t : targets) any = any || t.sla_breached();
    return any;
  }
};

struct SlaOptions {
  int report_sla_seconds = 60;
  int scan_sla_seconds = 300;
};

Result<SyncStatus> LoadSyncStatus(store::Reader& db, std::int64_t repository_id,
                                  const std::vector<std::string>& targets, const SlaOptions& sla,
                                  TimePoint now);
nlohmann::json ToJson(const SyncStatus& status);
std::string ToText(const SyncStatus& status);

// Makes failed (and with `all`, dead-letter) entries due now with a fresh
// set of attempts; returns how many.
Result<std::int64_t> ScheduleRetry(store::Store& store, std::int64_t repository_id, bool all);

// Queues again, with its latest event, every entity whose copy in one of
// `targets` trails the others: the target has no row for it, or its ok
// row holds another hash than another target's ok row. That happens when a
// target is taken out of storage.sync.targets and put back: the events of
// the time between were applied to the others only. The worker's equal-hash
// check makes the up-to-date targets skip them. Compares storage_sync rows
// only (indexed), so it is cheap enough for every drain. Returns how many
// entities were queued; nothing with fewer than two targets.
Result<std::int64_t> RequeueDrift(store::Store& store, std::int64_t repository_id,
                                  const std::vector<std::string>& targets);

struct DiffEntry {
  std::string target;
  std::string entity_type;
  std::string entity_id;
  std::string state;  // "missing" (no derived copy) or "stale" (older hash, failed, pending)
  std::string detail;
  // Where it was found: "bookkeeping" (storage_sync against the latest
  // event) or "store" (the derived store itself lacks it, while the
  // bookkeeping may say ok: only a rebuild or a repair brings it back).
  std::string found_in = "bookkeeping";
};

// Entities whose derived copies are missing or stale, per target: from the
// bookkeeping (latest event hash vs last synced hash) and by looking at the
// derived stores themselves (index documents, report pages on disk).
Result<std::vector<DiffEntry>> DiffTargets(store::Store& store, std::int64_t repository_id,
                                           const std::vector<Projection*>& targets,
                                           const std::string& docs_root);
// The same by target name ("index", "markdown", "lightrag").
Result<std::vector<DiffEntry>> DiffTargets(store::Store& store, std::int64_t repository_id,
                                           const std::vector<std::string>& targets,
                                           const std::string& docs_root);

struct DiffResolution {
  std::int64_t retried = 0;   // failed, dead-letter and waiting copies made due now (ScheduleRetry)
  std::int64_t requeued = 0;  // entities queued again with their latest event (RequeueDrift)
  std::int64_t need_rebuild = 0;  // entries only a rebuild or repair fixes (found_in "store")
};

// Queues again what DiffTargets lists, the way each kind of entry can be
// fixed: copies a target failed, dead-lettered or is waiting to retry are
// made due now with fresh attempts (ScheduleRetry with `all`); copies a
// target lacks or holds at an older hash than another target are queued
// again with their latest event (RequeueDrift). What the derived store
// itself lost while its bookkeeping says ok is only counted: re-sending
// its event would be skipped as already synced (`sync rebuild` fixes it).
Result<DiffResolution> ResolveDiff(store::Store& store, std::int64_t repository_id,
                                   const std::vector<std::string>& targets,
                                   const std::string& docs_root);

// Rebuilds each target from the database alone, each in one transaction,
// and records every entity as synced with its latest hash.
Result<void> RebuildTargets(store::Store& store, std::int64_t repository_id,
                            const std::vector<Projection*>& targets);

}  // namespace docrunch::sync
