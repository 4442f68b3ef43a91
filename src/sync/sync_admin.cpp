#include "sync/sync_admin.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "docs/code_pages.h"
#include "docs/report_pages.h"
#include "store/batch.h"
#include "store/pending_events.h"
#include "sync/lightrag_projection.h"

namespace docrunch::sync {
namespace {

double Seconds(TimePoint from, TimePoint to) {
  return std::max(0.0, std::chrono::duration<double>(to - from).count());
}

Result<void> LoadClassLag(store::Reader& db, std::int64_t repo, bool reports, TimePoint now,
                          ClassLag& lag) {
  const std::string cls = reports ? " AND priority > 0" : " AND priority <= 0";
  auto pending = db.Query("SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM " +
                              store::PendingEvents("$1") + " AS e WHERE true" + cls,
                          {repo});
  if (!pending) return pending.error();
  lag.pending = pending->Int(0, "n").value_or(0);
  if (auto oldest = pending->Text(0, "oldest")) {
    if (auto t = ParseIso8601(*oldest)) lag.oldest_pending_s = Seconds(*t, now);
  }
  // The last 1,000 applied: events marked one by one, and those of the
  // latest ranges (store/pending_events.h).
  constexpr std::size_t kApplied = 1000;
  auto marked = db.Query(
      "SELECT created_at, processed_at FROM sync_events WHERE repository_id = $1 "
      "AND processed_at IS NOT NULL" +
          cls + " ORDER BY processed_at DESC LIMIT " + std::to_string(kApplied),
      {repo});
  if (!marked) return marked.error();
  std::vector<std::pair<std::string, std::string>> applied;  // (processed, created)
  for (std::size_t i = 0; i < marked->size(); ++i) {
    applied.emplace_back(marked->Text(i, "processed_at").value_or(""),
                         marked->Text(i, "created_at").value_or(""));
  }
  // The latest ranges until they span 1,000 events, then per priority
  // class one read of the ids they span (a class's ranges tile it, so the
  // latest of them are one interval), each event given its range's time.
  auto ranges = db.Query(
      "SELECT priority, first_id, last_id, processed_at FROM sync_processed WHERE "
      "repository_id = $1" +
          cls + " ORDER BY processed_at DESC LIMIT " + std::to_string(kApplied),
      {repo});
  if (!ranges) return ranges.error();
  struct Range {
    std::int64_t first = 0, last = 0;
    std::string at;
  };
  std::map<std::int64_t, std::vector<Range>> by_class;
  std::int64_t spanned = 0;
  for (std::size_t r = 0; r < ranges->size() && spanned < static_cast<std::int64_t>(kApplied);
       ++r) {
    Range range{ranges->Int(r, "first_id").value_or(0), ranges->Int(r, "last_id").value_or(0),
                ranges->Text(r, "processed_at").value_or("")};
    spanned += range.last - range.first + 1;
    by_class[ranges->Int(r, "priority").value_or(0)].push_back(std::move(range));
  }
  for (auto& [priority, of_class] : by_class) {
    std::sort(of_class.begin(), of_class.end(),
              [](const Range& a, const Range& b) { return a.first < b.first; });
    auto events = db.Query(
        "SELECT id, created_at FROM sync_events WHERE id >= $1 AND id <= $2 AND "
        "repository_id = $3 AND priority = $4 AND processed_at IS NULL ORDER BY id DESC LIMIT " +
            std::to_string(kApplied),
        {of_class.front().first, of_class.back().last, repo, priority});
    if (!events) return events.error();
    for (std::size_t i = 0; i < events->size(); ++i) {
      const std::int64_t id = events->Int(i, "id").value_or(0);
      auto range = std::upper_bound(of_class.begin(), of_class.end(), id,
                                    [](std::int64_t v, const Range& x) { return v < x.first; });
      if (range == of_class.begin()) continue;
      --range;
      if (id > range->last) continue;  // not in a range read (a gap never happens)
      applied.emplace_back(range->at, events->Text(i, "created_at").value_or(""));
    }
  }
  std::sort(applied.begin(), applied.end(), std::greater<>());
  if (applied.size() > kApplied) applied.resize(kApplied);
  std::vector<double> lags;
  for (const auto& [processed, created] : applied) {
    auto c = ParseIso8601(created);
    auto p = ParseIso8601(processed);
    if (c && p) lags.push_back(Seconds(*c, *p));
  }
  std::sort(lags.begin(), lags.end());
  if (!lags.empty()) {
    lag.applied_max_s = lags.back();
    lag.applied_median_s = lags[lags.size() / 2];
  }
  lag.sla_breached = lag.oldest_pending_s > lag.sla_seconds || lag.applied_max_s > lag.sla_seconds;
  return Ok();
}

Result<void> LoadTargetLag(store::Reader& db, std::int64_t repo, const std::string& target,
                           bool reports, TimePoint now, int sla_seconds, TargetLag& lag) {
  // An entity is behind for the target while it has an event no worker has
  // claimed yet (every target applies every event), or a copy that is not
  // ok: then its events after the one whose hash the target last synced
  // (all of them when it never synced). The oldest such event is the lag.
  const std::string cls = reports ? "e.priority > 0" : "e.priority <= 0";
  auto rows = db.Query(
      "SELECT COUNT(DISTINCT entity) AS n, MIN(created_at) AS oldest FROM ("
      "SELECT e.entity_type || ':' || e.entity_id AS entity, e.created_at FROM " +
          store::PendingEvents("$1") + " AS e WHERE " + cls +
          " UNION ALL "
          "SELECT s.entity_type || ':' || s.entity_id, e.created_at FROM storage_sync s JOIN "
          "sync_events e ON e.repository_id = s.repository_id AND e.entity_type = "
          "s.entity_type AND e.entity_id = s.entity_id WHERE s.repository_id = $1 AND s.target = "
          "$2 AND s.status IN ('pending', 'failed', 'dead_letter') AND " +
          cls +
          " AND e.id > COALESCE((SELECT MAX(x.id) FROM sync_events x WHERE "
          "x.repository_id = s.repository_id AND x.entity_type = s.entity_type AND "
          "x.entity_id = s.entity_id AND x.content_hash = s.last_synced_hash), 0)"
          ") AS behind",
      {repo, target});
  if (!rows) return rows.error();
  lag.behind = rows->Int(0, "n").value_or(0);
  if (auto oldest = rows->Text(0, "oldest")) {
    if (auto t = ParseIso8601(*oldest)) lag.oldest_s = Seconds(*t, now);
  }
  lag.sla_breached = lag.behind > 0 && lag.oldest_s > sla_seconds;
  return Ok();
}

nlohmann::json TargetLagJson(const TargetLag& l, int sla_seconds) {
  return {{"behind", l.behind},
          {"oldest_seconds", l.oldest_s},
          {"sla_seconds", sla_seconds},
          {"sla", l.sla_breached ? "breached" : "ok"}};
}

nlohmann::json LagJson(const ClassLag& l) {
  return {{"pending", l.pending},
          {"oldest_pending_seconds", l.oldest_pending_s},
          {"applied_lag_max_seconds", l.applied_max_s},
          {"applied_lag_median_seconds", l.applied_median_s},
          {"sla_seconds", l.sla_seconds},
          {"sla", l.sla_breached ? "breached" : "ok"}};
}

std::string Fixed(double v) {
  std::ostringstream out;
  out.precision(1);
  out << std::fixed << v;
  return out.str();
}

std::string LagLine(const char* name, const ClassLag& l) {
  return std::string(name) + ": " + std::to_string(l.pending) + " pending (oldest " +
         Fixed(l.oldest_pending_s) + " s), applied lag median " + Fixed(l.applied_median_s) +
         " s, max " + Fixed(l.applied_max_s) + " s; SLA " + std::to_string(l.sla_seconds) + " s " +
         (l.sla_breached ? "BREACHED" : "ok") + "\n";
}

// Latest event per entity of the repository, as a subquery.
constexpr const char* kLatest =
    "SELECT e.entity_type, e.entity_id, e.content_hash FROM sync_events e JOIN "
    "(SELECT entity_type, entity_id, MAX(id) AS id FROM sync_events WHERE repository_id = $1 "
    "GROUP BY entity_type, entity_id) l ON l.id = e.id";

}  // namespace

Result<SyncStatus> LoadSyncStatus(store::Reader& db, std::int64_t repo,
                                  const std::vector<std::string>& targets, const SlaOptions& sla,
                                  TimePoint now) {
  SyncStatus status;
  for (const auto& name : targets) {
    TargetStatus t{name};
    auto rows = db.Query(
        "SELECT status, COUNT(*) AS n, MAX(updated_at) AS last FROM storage_sync "
        "WHERE repository_id = $1 AND target = $2 AND entity_type NOT IN ('pages', '" +
            std::string(kLightRagDocsType) + "') GROUP BY status",
        {repo, name});
    if (!rows) return rows.error();
    for (std::size_t i = 0; i < rows->size(); ++i) {
      std::string s = rows->Text(i, "status").value_or("");
      std::int64_t n = rows->Int(i, "n").value_or(0);
      if (s == "ok") t.synced = n, t.last_synced = rows->Text(i, "last").value_or("");
      if (s == "pending") t.retrying = n;
      if (s == "failed") t.failed = n;
      if (s == "dead_letter") t.dead_letter = n;
    }
    DOCRUNCH_TRY(LoadTargetLag(db, repo, name, true, now, sla.report_sla_seconds, t.reports));
    DOCRUNCH_TRY(LoadTargetLag(db, repo, name, false, now, sla.scan_sla_seconds, t.scans));
    status.targets.push_back(std::move(t));
  }
  status.reports.sla_seconds = sla.report_sla_seconds;
  status.scans.sla_seconds = sla.scan_sla_seconds;
  DOCRUNCH_TRY(LoadClassLag(db, repo, true, now, status.reports));
  DOCRUNCH_TRY(LoadClassLag(db, repo, false, now, status.scans));
  return status;
}

nlohmann::json ToJson(const SyncStatus& s) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : s.targets) {
    targets.push_back(
        {{"target", t.target},
         {"last_synced", t.last_synced.empty() ? nlohmann::json() : nlohmann::json(t.last_synced)},
         {"synced", t.synced},
         {"pending", s.reports.pending + s.scans.pending + t.retrying},
         {"retrying", t.retrying},
         {"failed", t.failed},
         {"dead_letter", t.dead_letter},
         {"lag",
          {{"reports", TargetLagJson(t.reports, s.reports.sla_seconds)},
           {"scans", TargetLagJson(t.scans, s.scans.sla_seconds)}}},
         {"sla", t.sla_breached() ? "breached" : "ok"}});
  }
  return {{"targets", targets},
          {"lag", {{"reports", LagJson(s.reports)}, {"scans", LagJson(s.scans)}}},
          {"sla", s.sla_breached() ? "breached" : "ok"}};
}

std::string ToText(const SyncStatus& s) {
  std::string out;
  for (const auto& t : s.targets) {
    out += t.target + ": " + std::to_string(t.synced) + " synced, " +
           std::to_string(s.reports.pending + s.scans.pending + t.retrying) + " pending (" +
           std::to_string(t.retrying) + " retrying), " + std::to_string(t.failed) + " failed, " +
           std::to_string(t.dead_letter) + " dead letters; last synced " +
           (t.last_synced.empty() ? "never" : t.last_synced) + "\n";
    for (const auto& [name, lag, sla] : {std::tuple{"reports", t.reports, s.reports.sla_seconds},
                                         std::tuple{"scans", t.scans, s.scans.sla_seconds}}) {
      if (lag.behind == 0) continue;
      out += "  " + std::string(name) + " behind: " + std::to_string(lag.behind) +
             " (oldest change " + Fixed(lag.oldest_s) + " s); SLA " + std::to_string(sla) + " s " +
             (lag.sla_breached ? "BREACHED" : "ok") + "\n";
    }
  }
  out += LagLine("report events", s.reports);
  out += LagLine("scan events", s.scans);
  return out;
}

Result<std::int64_t> ScheduleRetry(store::Store& store, std::int64_t repo, bool all) {
  std::int64_t changed = 0;
  DOCRUNCH_TRY(store.Transact([&](store::Tx& tx) -> Result<void> {
    const std::string now = FormatIso8601(tx.clock().Now());
    auto n = tx.Exec(
        "UPDATE storage_sync SET status = 'pending', attempts = 0, next_attempt_at = $1, "
        "updated_at = $1 WHERE repository_id = $2 AND (status = 'failed'" +
            std::string(all ? " OR status = 'dead_letter' OR status = 'pending')" : ")"),
        {now, repo});
    if (!n) return n.error();
    changed = *n;
    return Ok();
  }));
  return changed;
}

Result<std::int64_t> RequeueDrift(store::Store& store, std::int64_t repo,
                                  const std::vector<std::string>& targets) {
  if (targets.size() < 2) return std::int64_t{0};
  // entity type -> ids; only entities that have events (a target's own
  // bookkeeping rows, such as the code pages' lock or LightRAG's document
  // ids, have none and are no drift) and none pending (a worker applies
  // those anyway: on SQLite a worker killed while a batch's pages
  // rendered past its commit leaves the index's rows without the
  // Markdown's, and the batch's events pending).
  std::map<std::string, std::set<std::string>> drifted;
  for (const auto& target : targets) {
    store::Params params{repo, target};
    std::vector<std::string> others;
    for (const auto& t : targets) {
      if (t != target) others.push_back(t);
    }
    const std::string in = store::AppendInList(params, others.begin(), others.end());
    auto rows = store.Query(
        "SELECT DISTINCT o.entity_type, o.entity_id FROM storage_sync o LEFT JOIN storage_sync t "
        "ON t.repository_id = o.repository_id AND t.target = $2 AND t.entity_type = "
        "o.entity_type AND t.entity_id = o.entity_id WHERE o.repository_id = $1 AND o.target IN "
        "(" +
            in +
            ") AND o.status = 'ok' AND (t.target IS NULL OR (t.status = 'ok' AND "
            "COALESCE(t.last_synced_hash, '') <> COALESCE(o.last_synced_hash, ''))) AND EXISTS "
            "(SELECT 1 FROM sync_events e WHERE e.entity_type = o.entity_type AND e.entity_id = "
            "o.entity_id AND e.repository_id = o.repository_id) AND NOT EXISTS (SELECT 1 FROM "
            "sync_events p WHERE p.entity_type = o.entity_type AND p.entity_id = o.entity_id AND "
            "p.repository_id = o.repository_id AND " +
            store::IsPending("p") + ")",
        params);
    if (!rows) return rows.error();
    for (std::size_t i = 0; i < rows->size(); ++i) {
      drifted[*rows->Text(i, "entity_type")].insert(*rows->Text(i, "entity_id"));
    }
  }
  if (drifted.empty()) return std::int64_t{0};
  // Each entity's latest event, read a few hundred entities per statement
  // in id order: the last row of an entity is its latest.
  std::map<std::pair<std::string, std::string>, store::SyncEvent> latest;
  constexpr std::size_t kPerStatement = 500;
  for (const auto& [type, ids] : drifted) {
    const std::vector<std::string> list(ids.begin(), ids.end());
    for (std::size_t at = 0; at < list.size(); at += kPerStatement) {
      const std::size_t end = std::min(list.size(), at + kPerStatement);
      store::Params params{repo, type};
      const std::string in = store::AppendInList(params, list.begin() + at, list.begin() + end);
      auto rows = store.Query(
          "SELECT entity_id, content_hash, action, priority FROM sync_events WHERE "
          "repository_id = $1 AND entity_type = $2 AND entity_id IN (" +
              in + ") ORDER BY id",
          params);
      if (!rows) return rows.error();
      for (std::size_t i = 0; i < rows->size(); ++i) {
        auto key = std::make_pair(type, *rows->Text(i, "entity_id"));
        latest[key] = {repo,
                       type,
                       key.second,
                       rows->Text(i, "content_hash").value_or(""),
                       *rows->Text(i, "action"),
                       std::nullopt,
                       static_cast<int>(rows->Int(i, "priority").value_or(0))};
      }
    }
  }
  std::vector<store::SyncEvent> events;
  events.reserve(latest.size());
  for (auto& [key, event] : latest) events.push_back(std::move(event));
  DOCRUNCH_TRY(store.Transact(
      [&](store::Tx& tx) -> Result<void> { return store::EmitSyncEvents(tx, events); }));
  return static_cast<std::int64_t>(events.size());
}

Result<std::vector<DiffEntry>> DiffTargets(store::Store& store, std::int64_t repo,
                                           const std::vector<Projection*>& targets,
                                           const std::string& docs_root) {
  std::vector<std::string> names;
  for (Projection* p : targets) names.emplace_back(p->Target());
  return DiffTargets(store, repo, names, docs_root);
}

Result<DiffResolution> ResolveDiff(store::Store& store, std::int64_t repo,
                                   const std::vector<std::string>& targets,
                                   const std::string& docs_root) {
  auto diff = DiffTargets(store, repo, targets, docs_root);
  if (!diff) return diff.error();
  DiffResolution r;
  for (const auto& e : *diff) r.need_rebuild += e.found_in == "store" ? 1 : 0;
  auto retried = ScheduleRetry(store, repo, /*all=*/true);
  if (!retried) return retried.error();
  r.retried = *retried;
  auto requeued = RequeueDrift(store, repo, targets);
  if (!requeued) return requeued.error();
  r.requeued = *requeued;
  return r;
}

Result<std::vector<DiffEntry>> DiffTargets(store::Store& store, std::int64_t repo,
                                           const std::vector<std::string>& targets,
                                           const std::string& docs_root) {
  std::vector<DiffEntry> out;
  for (const std::string& target : targets) {
    auto rows =
        store.Query(std::string("SELECT x.entity_type, x.entity_id, x.content_hash, s.status, "
                                "s.last_synced_hash, s.last_error FROM (") +
                        kLatest +
                        ") x LEFT JOIN storage_sync s ON s.repository_id = $1 AND s.target = $2 "
                        "AND s.entity_type = x.entity_type AND s.entity_id = x.entity_id WHERE "
                        "s.status IS NULL OR s.status <> 'ok' OR "
                        "COALESCE(s.last_synced_hash, '') <> x.content_hash "
                        "ORDER BY x.entity_type, x.entity_id",
                    {repo, target});
    if (!rows) return rows.error();
    for (std::size_t i = 0; i < rows->size(); ++i) {
      auto status = rows->Text(i, "status");
      out.push_back(
          {target, *rows->Text(i, "entity_type"), *rows->Text(i, "entity_id"),
           status ? "stale" : "missing",
           status
               ? *status + (rows->Text(i, "last_error") ? ": " + *rows->Text(i, "last_error") : "")
               : "never synced"});
    }
    // Look at the derived copies themselves: bookkeeping says nothing of a
    // folder or an index someone deleted.
    if (target == "index") {
      auto missing = store.Query(
          "SELECT f.path FROM files f WHERE f.repository_id = $1 AND NOT EXISTS (SELECT 1 FROM "
          "search_docs d WHERE d.repository_id = $1 AND d.source_key = 'file:' || f.path) "
          "ORDER BY f.path",
          {repo});
      if (!missing) return missing.error();
      for (std::size_t i = 0; i < missing->size(); ++i) {
        out.push_back(
            {target, "file", *missing->Text(i, "path"), "missing", "no index document", "store"});
      }
    } else if (target == "markdown") {
      namespace fs = std::filesystem;
      std::error_code ec;
      auto pages = docs::MissingCodePages(store, repo, docs_root);
      if (!pages) return pages.error();
      if (!pages->empty()) {
        // One entry: the code pages are rendered together.
        out.push_back({target, "pages", "code", "missing",
                       std::to_string(pages->size()) + " code page(s), such as " +
                           (fs::path(docs_root) / pages->front()).string(),
                       "store"});
      }
      auto decisions = store.Query(
          "SELECT id, number FROM decisions WHERE repository_id = $1 ORDER BY id", {repo});
      if (!decisions) return decisions.error();
      for (std::size_t i = 0; i < decisions->size(); ++i) {
        auto page = docs::DecisionPagePath(static_cast<int>(*decisions->Int(i, "number")));
        if (!fs::exists(fs::path(docs_root) / page, ec)) {
          out.push_back({target, "decision", "decision-" + std::to_string(*decisions->Int(i, "id")),
                         "missing", page, "store"});
        }
      }
      auto tasks = store.Query(
          "SELECT DISTINCT task_id FROM completion_reports WHERE repository_id = $1 "
          "ORDER BY task_id",
          {repo});
      if (!tasks) return tasks.error();
      for (std::size_t i = 0; i < tasks->size(); ++i) {
        auto page = docs::TaskPagePath(*tasks->Int(i, "task_id"));
        if (!fs::exists(fs::path(docs_root) / page, ec)) {
          out.push_back({target, "task", "task-" + std::to_string(*tasks->Int(i, "task_id")),
                         "missing", page, "store"});
        }
      }
    }
  }
  return out;
}

Result<void> RebuildTargets(store::Store& store, std::int64_t repo,
                            const std::vector<Projection*>& targets) {
  for (Projection* p : targets) {
    DOCRUNCH_TRY(store.Transact([&](store::Tx& tx) -> Result<void> {
      DOCRUNCH_TRY(p->Rebuild(tx));
      const std::string now = FormatIso8601(tx.clock().Now());
      auto marked = tx.Exec(
          std::string("INSERT INTO storage_sync (target, entity_type, entity_id, repository_id, "
                      "last_synced_hash, status, attempts, updated_at) "
                      "SELECT $2, x.entity_type, x.entity_id, $1, x.content_hash, 'ok', 0, $3 "
                      "FROM (") +
              kLatest +
              ") x WHERE true ON CONFLICT (repository_id, target, entity_type, entity_id) "
              "DO UPDATE SET last_synced_hash = excluded.last_synced_hash, status = 'ok', "
              "attempts = 0, "
              "last_error = NULL, next_attempt_at = NULL, updated_at = excluded.updated_at",
          {repo, std::string(p->Target()), now});
      if (!marked) return marked.error();
      return Ok();
    }));
  }
  return Ok();
}

}  // namespace docrunch::sync
