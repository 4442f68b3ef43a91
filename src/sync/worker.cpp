#include "sync/worker.h"

#include "obs/catalog.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "store/batch.h"
#include "store/entity_key.h"
#include "store/pending_events.h"

namespace docrunch::sync {

struct SyncWorker::Item {
  std::size_t target = 0;  // index into targets_
  std::int64_t event_id = 0;
  store::SyncEvent event;
  bool retry = false;
  // Loaded under the entity's lock; has_row: its storage_sync row exists.
  bool has_row = false;
  // The batch still rendering past its commit renders this entity for this
  // target too: its row, recorded after that rendering, may not say what
  // the target will have, so the hash cannot skip it.
  bool behind_rendering = false;
  std::optional<std::string> synced_hash;
  std::string status;
  std::optional<std::string> next_attempt_at;
  int attempts = 0;
};

// A batch whose pages render on past its commit (Drain on SQLite).
struct SyncWorker::Overlap {
  std::vector<Item> items;        // what the works' to_apply point into
  std::vector<TargetWork> works;  // each rendering on renderers_[its index]
  std::vector<Claimed> events;    // marked processed once recorded
  // The entities the works render (views into items), with their targets:
  // those storage_sync rows are recorded after the rendering, so until
  // then no hash may skip them (ApplyEvents, PrepareBatch).
  std::map<std::pair<std::string_view, std::string_view>, std::vector<const Projection*>> rendering;
};

namespace {

long long MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// Rows per multi-row statement: a batch of 200 (worker start, serve) in one
// statement, each a round trip on PostgreSQL (where the worker's own
// statements were a third of its waits); at 10 parameters a row far below
// either backend's limit.
constexpr std::size_t kChunk = 250;

const char* kEventColumns =
    "id, repository_id, entity_type, entity_id, content_hash, action, scan_run_id, priority";

// The claim of pending events, oldest first (the most urgent first when
// `by_priority`), through the pending index; `conditions` narrow it and
// `limit` is the LIMIT's placeholder or number. Rows stay claimed until the
// transaction ends (Tx::SkipLockedClause).
std::string ClaimStatement(const store::Tx& tx, const std::string& conditions, bool by_priority,
                           const std::string& limit) {
  return std::string("SELECT ") + kEventColumns + " FROM sync_events" +
         tx.IndexHint("sync_events_pending") +
         " WHERE processed_at IS NULL AND repository_id = $1" + conditions + " ORDER BY " +
         (by_priority ? "priority DESC, id" : "id") + " LIMIT " + limit +
         std::string(tx.SkipLockedClause());
}

// A row of kEventColumns, in their order.
store::SyncEvent EventAt(const store::RowView& row) {
  store::SyncEvent e;
  if (!row.IsNull(1)) e.repository_id = row.Int(1);
  e.entity_type = row.Text(2);
  e.entity_id = row.Text(3);
  e.content_hash = row.Text(4);
  e.action = row.IsNull(5) ? "upsert" : row.Text(5);
  if (!row.IsNull(6)) e.scan_run_id = row.Int(6);
  e.priority = static_cast<int>(row.Int(7));
  return e;
}

// Calls `each(params, list)` once per chunk of at most kChunk of `ids`:
// `params` is `first`, the chunk's ids, then `last`; `list` the ids'
// placeholders ("$2, $3"). Stops at the first error.
template <typename Each>
Result<void> ForEachChunk(const std::vector<std::int64_t>& ids, const store::Params& first,
                          const store::Params& last, Each each) {
  for (std::size_t start = 0; start < ids.size(); start += kChunk) {
    const std::size_t end = std::min(ids.size(), start + kChunk);
    store::Params params = first;
    const std::string list =
        store::AppendInList(params, ids.begin() + static_cast<std::ptrdiff_t>(start),
                            ids.begin() + static_cast<std::ptrdiff_t>(end));
    params.insert(params.end(), last.begin(), last.end());
    DOCRUNCH_TRY(each(params, list));
  }
  return Ok();
}

// "($1, $2), ($3, $4)" for rows=2, columns=2; `tail` is added to each row.
std::string Placeholders(std::size_t first, std::size_t rows, std::size_t columns,
                         const std::string& tail = "") {
  std::string out;
  for (std::size_t r = 0; r < rows; ++r) {
    out += r ? ", (" : "(";
    for (std::size_t c = 0; c < columns; ++c) {
      out += (c ? ", $" : "$") + std::to_string(first + r * columns + c);
    }
    out += tail + ")";
  }
  return out;
}

// The lock key of one entity in one target (Tx::LockKeys): repository,
// target, type and id. Two entities sharing a key only ever wait for each
// other.
std::int64_t EntityKey(std::int64_t repo, std::string_view target, const store::SyncEvent& e) {
  return store::FieldHash().Add(repo).Add(target).Add(e.entity_type).Add(e.entity_id).Value();
}

// storage_sync.entity_key of one entity's rows (store/entity_key.h).
// ReadSyncRows finds the rows by this integer, a quarter of the cost of a
// seek by the four text columns on SQLite, and matches type and id as well.
std::int64_t RowKey(std::int64_t repo, const store::SyncEvent& e) {
  return store::StorageSyncKey(repo, e.entity_type, e.entity_id);
}

// An entity of a claimed batch: its type and id (views into the events).
using BatchEntity = std::pair<std::string_view, std::string_view>;

// What a claimed batch needs: the index of each entity's latest event to
// apply, in key order, and how many entities need nothing.
struct BatchPlan {
  std::vector<std::size_t> apply;
  std::int64_t skipped = 0;
};

// One application per entity: its latest event of the batch (projections
// read the entity's current rows anyway). On SQLite an event whose content
// all `targets` have synced (SyncWorker::SyncedTargets) needs none, unless
// `rendering` has its entity (Overlap::rendering); an entity is skipped when its latest event
// needs none. Only the entities with an event needing one are ordered (an
// idempotent re-run has none): the others are counted by a sort of their
// hashes.
template <typename Event, typename Rendering>
BatchPlan PlanBatch(const std::vector<Event>& events, std::int64_t targets,
                    const Rendering& rendering) {
  auto entity = [&](std::size_t i) {
    return BatchEntity(events[i].event.entity_type, events[i].event.entity_id);
  };
  auto synced = [&](std::size_t i) {
    return events[i].synced_targets == targets && !rendering.contains(entity(i));
  };
  std::set<BatchEntity> unsynced;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!synced(i)) unsynced.insert(entity(i));
  }
  BatchPlan plan;
  std::map<BatchEntity, std::size_t> latest;
  std::vector<std::pair<std::size_t, std::size_t>> done;  // (hash, index)
  const std::hash<std::string_view> hash;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const BatchEntity e = entity(i);
    if (!unsynced.contains(e)) {
      done.emplace_back(hash(e.first) * 31 + hash(e.second), i);
      continue;
    }
    auto [it, fresh] = latest.try_emplace(e, i);
    if (!fresh && events[it->second].claimed.id < events[i].claimed.id) it->second = i;
  }
  std::sort(done.begin(), done.end());
  for (std::size_t a = 0; a < done.size(); ++a) {
    bool seen = false;
    for (std::size_t b = a; b-- > 0 && done[b].first == done[a].first;) {
      seen = seen || entity(done[b].second) == entity(done[a].second);
    }
    if (!seen) ++plan.skipped;
  }
  for (const auto& [e, i] : latest) {
    if (synced(i)) {
      ++plan.skipped;  // back to content every target has
    } else {
      plan.apply.push_back(i);
    }
  }
  return plan;
}

}  // namespace

WorkerStats& WorkerStats::operator+=(const WorkerStats& o) {
  events += o.events;
  applied += o.applied;
  skipped += o.skipped;
  failed += o.failed;
  retried += o.retried;
  batches += o.batches;
  for (const auto& [target, time] : o.target_time) target_time[target] += time;
  return *this;
}

SyncWorker::SyncWorker(store::Store& store, std::vector<Projection*> targets, WorkerOptions options)
    : store_(store),
      targets_(std::move(targets)),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : system_clock_),
      ranges_(store.BackendName() == "sqlite") {
  if (!options_.random) options_.random = SystemRandom();
  options_.batch_size = std::max(1, options_.batch_size);
  unsettled_.assign(targets_.size(), 0);
  BeginTransaction();
}

// The renderers go first (the last member), each waiting for its task.
SyncWorker::~SyncWorker() = default;

void SyncWorker::BeginTransaction() {
  tx_applied_.assign(targets_.size(), 0);
  tx_settled_.assign(targets_.size(), 0);
}

void SyncWorker::EndTransaction(bool committed) {
  for (std::size_t t = 0; committed && t < targets_.size(); ++t) {
    if (tx_settled_[t]) {
      unsettled_[t] = 0;
    } else if (tx_applied_[t]) {
      unsettled_[t] = 1;
    }
  }
  BeginTransaction();
}

Result<void> SyncWorker::Settle(store::Tx& tx) {
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    if (!unsettled_[t] && !tx_applied_[t]) continue;
    DOCRUNCH_TRY(targets_[t]->Settle(tx));
    tx_settled_[t] = 1;
  }
  return Ok();
}

Result<WorkerStats> SyncWorker::RunBatch() {
  WorkerStats stats;
  WorkerStats retries;
  auto retried = store_.Transact([&](store::Tx& tx) {
    retries = {};
    BeginTransaction();
    return ApplyRetries(tx, retries);
  });
  EndTransaction(retried.ok());
  if (!retried) {
    DiscardOverlap();
    if (retried.error().code == ErrorCode::kStorageUnavailable) return retried.error();
    DOCRUNCH_TRY(RecordRetryFailure(retried.error()));
    retries = {};
  }
  stats += retries;
  const int limit = isolate_ > 0 ? 1 : options_.batch_size;
  WorkerStats events;
  const auto started = std::chrono::steady_clock::now();
  auto applied = store_.Transact([&](store::Tx& tx) {
    events = {};
    BeginTransaction();
    return ApplyEvents(tx, limit, events);
  });
  EndTransaction(applied.ok());
  if (!applied) DiscardOverlap();
  if (applied && options_.leave_pending) cursor_ = std::max(cursor_, batch_last_);
  if (applied && events.events > 0) {
    spdlog::debug("sync: batch of {} events committed in {} ms", events.events, MsSince(started));
  }
  if (!applied && options_.leave_pending) {
    if (applied.error().code == ErrorCode::kStorageUnavailable) return applied.error();
    spdlog::debug("sync: first pass ended by a failed batch: {}", applied.error().ToString());
    pass_over_ = true;
    return stats;
  }
  if (!applied) {
    if (applied.error().code == ErrorCode::kStorageUnavailable) return applied.error();
    // A statement that failed inside a projection dooms the whole
    // transaction. Go one event at a time to find the one that fails, and
    // record its failure in a transaction of its own so it cannot stall
    // the queue.
    spdlog::warn("sync: batch rolled back: {}", applied.error().ToString());
    if (limit > 1) {
      isolate_ = options_.batch_size;
      return stats;
    }
    DOCRUNCH_TRY(QuarantineFirstEvent(applied.error()));
    events = {};
    events.events = 1;
    events.failed = static_cast<std::int64_t>(targets_.size());
  }
  if (isolate_ > 0) --isolate_;
  stats += events;
  stats.batches = 1;
  if (!stats.idle()) {
    obs::CountSyncBatch(
        stats.events, stats.applied, stats.skipped, stats.failed,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  return stats;
}

Result<WorkerStats> SyncWorker::Drain(int max_batches, const std::atomic<bool>* stop) {
  // SQLite: a batch's pages may render beside the next batch's
  // transaction. Within one transaction the pages waited for the claim,
  // the bookkeeping and the commit, the SQLite run's time beyond the
  // pages' own (docs/benchmarks.md). PostgreSQL keeps each batch's entity
  // locks until its pages are written.
  const bool overlap = options_.render_apart && !options_.leave_pending &&
                       store_.BackendName() == "sqlite" && store_.ReadsBesideTransactions();
  WorkerStats total;
  for (int i = 0; i < max_batches && !(stop != nullptr && *stop); ++i) {
    may_overlap_ = overlap && i + 1 < max_batches;
    auto batch = RunBatch();
    may_overlap_ = false;
    if (!batch) {
      DiscardOverlap();
      return batch.error();
    }
    total += *batch;
    // A backlog: check the tables' statistics at its first full batch and
    // every 5th after (one catalog query; ANALYZE only when missing).
    if (batch->events >= options_.batch_size && drained_batches_++ % 5 == 0) {
      if (auto analyzed = AnalyzeNewTables(); !analyzed) {
        spdlog::warn("sync: analyzing the outbox tables: {}", analyzed.error().ToString());
      }
    }
    if ((batch->idle() && isolate_ == 0) || pass_over_) break;
  }
  if (overlap_) {
    // Stopped (or at max_batches) behind a batch still rendering.
    WorkerStats last;
    auto finished = store_.Transact([&](store::Tx& tx) {
      last = {};
      return FinishOverlap(tx, last);
    });
    if (!finished) {
      DiscardOverlap();
      return finished.error();
    }
    total += last;
  }
  return total;
}

Result<WorkerStats> SyncWorker::Run(const std::atomic<bool>& stop, std::chrono::milliseconds poll,
                                    const std::function<void(std::chrono::milliseconds)>& wait) {
  WorkerStats total;
  while (!stop) {
    auto drained = Drain(kUntilEmpty, &stop);
    if (!drained) return drained.error();
    total += *drained;
    if (!stop) wait(poll);
  }
  return total;
}

Result<void> SyncWorker::ApplyRetries(store::Tx& tx, WorkerStats& stats) {
  // Naming the targets lets storage_sync_by_status (repository_id, target,
  // status, next_attempt_at) find the due rows; without it every batch scanned the
  // whole table (20 ms per batch at 200,000 rows on SQLite).
  store::Params params{options_.repository_id, FormatIso8601(clock_.Now()),
                       std::int64_t{options_.batch_size}};
  std::string targets;
  for (Projection* t : targets_) {
    params.push_back(std::string(t->Target()));
    targets += (targets.empty() ? "$" : ", $") + std::to_string(params.size());
  }
  if (targets_.empty()) return Ok();
  auto due = tx.Query(
      "SELECT target, entity_type, entity_id FROM storage_sync WHERE target IN (" + targets +
          ") AND repository_id = $1 "
          "AND status = 'pending' AND next_attempt_at IS NOT NULL AND next_attempt_at <= $2 "
          "ORDER BY next_attempt_at, target, entity_type, entity_id LIMIT $3",
      params);
  if (!due) return due.error();
  std::vector<Item> items;
  for (std::size_t i = 0; i < due->size(); ++i) {
    std::string target = *due->Text(i, "target");
    auto t = std::find_if(targets_.begin(), targets_.end(),
                          [&](Projection* p) { return p->Target() == target; });
    if (t == targets_.end()) continue;  // a target no longer configured
    std::optional<Item> item;
    DOCRUNCH_TRY(tx.ForEachRow(
        std::string("SELECT ") + kEventColumns +
            " FROM sync_events WHERE entity_type = $1 AND entity_id = $2 "
            "AND repository_id = $3 ORDER BY id DESC LIMIT 1",
        {*due->Text(i, "entity_type"), *due->Text(i, "entity_id"), options_.repository_id},
        [&](const store::RowView& row) {
          item.emplace();
          item->target = static_cast<std::size_t>(t - targets_.begin());
          item->event_id = row.Int(0);
          item->event = EventAt(row);
          item->retry = true;
        }));
    if (item) items.push_back(std::move(*item));
  }
  if (items.empty()) return Ok();  // (a batch rendering past its commit renders on)
  stats.retried = static_cast<std::int64_t>(items.size());
  return ApplyItems(tx, items, stats);
}

std::string SyncWorker::SyncedTargets(const store::Tx& tx, std::string_view events,
                                      store::Params& params) const {
  std::vector<std::string> names;
  for (const Projection* target : targets_) names.emplace_back(target->Target());
  const std::string e(events);
  return "(SELECT COUNT(*) FROM storage_sync AS s" + tx.IndexHint("storage_sync_by_entity_key") +
         " WHERE s.entity_key = " + std::string(store::kStorageSyncKeyFunction) + "(" + e +
         ".repository_id, " + e + ".entity_type, " + e + ".entity_id) AND s.repository_id = " + e +
         ".repository_id AND s.entity_type = " + e + ".entity_type AND s.entity_id = " + e +
         ".entity_id AND s.status = 'ok' AND s.last_synced_hash = " + e +
         ".content_hash AND s.target IN (" +
         store::AppendInList(params, names.begin(), names.end()) + ")) AS synced_targets";
}

Result<std::vector<SyncWorker::ClaimedEvent>> SyncWorker::Claim(store::Tx& tx, int limit,
                                                                std::int64_t after,
                                                                bool by_priority,
                                                                const std::vector<Claimed>& held) {
  const std::int64_t repo = options_.repository_id;
  std::vector<ClaimedEvent> claimed;
  claimed.reserve(static_cast<std::size_t>(limit));
  if (!ranges_) {
    store::Params params{repo, std::int64_t{limit}};
    std::string conditions;
    if (after > 0) {
      params.push_back(after);
      conditions += " AND id > $" + std::to_string(params.size());
    }
    if (!held.empty()) {
      std::vector<std::int64_t> ids;
      for (const Claimed& c : held) ids.push_back(c.id);
      conditions += " AND id NOT IN (" + store::AppendInList(params, ids.begin(), ids.end()) + ")";
    }
    DOCRUNCH_TRY(tx.ForEachRow(ClaimStatement(tx, conditions, by_priority, "$2"), params,
                               [&](const store::RowView& row) {
                                 ClaimedEvent& c = claimed.emplace_back();
                                 c.event = EventAt(row);
                                 c.claimed = {row.Int(0), c.event.priority};
                                 c.complete = true;
                               }));
    return claimed;
  }
  // SQLite: each priority class from its watermark on (store/pending_events.h),
  // the largest class first, each found by one seek into the pending index.
  const std::string hint = tx.IndexHint("sync_events_pending");
  std::optional<std::int64_t> below;  // the class read last
  while (!by_priority || claimed.size() < static_cast<std::size_t>(limit)) {
    store::Params params{repo};
    std::string next = "SELECT priority FROM sync_events" + hint +
                       " WHERE repository_id = $1 AND processed_at IS NULL";
    if (below) {
      params.push_back(*below);
      next += " AND priority < $2";
    }
    auto cls = tx.Query(next + " ORDER BY priority DESC LIMIT 1", params);
    if (!cls) return cls.error();
    if (cls->empty()) break;
    const std::int64_t priority = cls->Int(0, "priority").value_or(0);
    below = priority;
    auto mark = store::ReadWatermark(tx, repo, priority);
    if (!mark) return mark.error();
    params = {repo, priority, std::max(after, *mark)};
    // What the skip needs; the rest of an event is read if it is applied
    // (ReadEventColumns).
    std::string sql = "SELECT id, entity_type, entity_id, " +
                      SyncedTargets(tx, "sync_events", params) + " FROM sync_events" + hint +
                      " WHERE repository_id = $1 AND priority = $2 AND processed_at IS NULL AND "
                      "id > $3";
    std::vector<std::int64_t> held_here;
    for (const Claimed& c : held) {
      if (c.priority == priority) held_here.push_back(c.id);
    }
    if (!held_here.empty()) {
      sql += " AND id NOT IN (" + store::AppendInList(params, held_here.begin(), held_here.end()) +
             ")";
    }
    const std::size_t room = by_priority ? static_cast<std::size_t>(limit) - claimed.size()
                                         : static_cast<std::size_t>(limit);
    params.push_back(static_cast<std::int64_t>(room));
    DOCRUNCH_TRY(tx.ForEachRow(sql + " ORDER BY id LIMIT $" + std::to_string(params.size()), params,
                               [&](const store::RowView& row) {
                                 ClaimedEvent& c = claimed.emplace_back();
                                 c.claimed = {row.Int(0), static_cast<int>(priority)};
                                 c.event.repository_id = repo;
                                 c.event.entity_type = row.Text(1);
                                 c.event.entity_id = row.Text(2);
                                 c.event.priority = static_cast<int>(priority);
                                 c.synced_targets = row.Int(3);
                               }));
  }
  if (!by_priority && !claimed.empty()) {
    // In id order across the classes: each class's share is still the
    // start of its pending events.
    std::sort(claimed.begin(), claimed.end(),
              [](const auto& a, const auto& b) { return a.claimed.id < b.claimed.id; });
    if (claimed.size() > static_cast<std::size_t>(limit)) {
      claimed.resize(static_cast<std::size_t>(limit));
    }
  }
  return claimed;
}

Result<void> SyncWorker::ReadEventColumns(store::Tx& tx, std::vector<ClaimedEvent>& events,
                                          const std::vector<std::size_t>& which) {
  std::unordered_map<std::int64_t, std::size_t> at;
  std::vector<std::int64_t> ids;
  for (std::size_t i : which) {
    if (events[i].complete) continue;
    at.emplace(events[i].claimed.id, i);
    ids.push_back(events[i].claimed.id);
  }
  return ForEachChunk(ids, {}, {}, [&](const store::Params& params, const std::string& list) {
    return tx.ForEachRow(
        std::string("SELECT ") + kEventColumns + " FROM sync_events WHERE id IN (" + list + ")",
        params, [&](const store::RowView& row) {
          ClaimedEvent& c = events[at.at(row.Int(0))];
          c.event = EventAt(row);
          c.complete = true;
        });
  });
}

Result<void> SyncWorker::ApplyEvents(store::Tx& tx, int limit, WorkerStats& stats, int round) {
  // A first pass walks the pending events by id from its cursor. The
  // events of a batch still rendering are pending until this transaction
  // records it (FinishOverlap).
  const bool pass = options_.leave_pending;
  static const std::vector<Claimed> kNone;
  auto claimed = Claim(tx, limit, pass ? cursor_ : 0, options_.prioritize_reports && !pass,
                       overlap_ ? overlap_->events : kNone);
  if (!claimed) return claimed.error();
  // The end of the queue (or of a backlog): targets catch up on upkeep
  // they deferred while it drained.
  const bool drained = claimed->size() < static_cast<std::size_t>(limit);
  if (claimed->empty()) {
    DOCRUNCH_TRY(FinishOverlap(tx, stats));
    return Settle(tx);
  }
  // The batch's commit returns without waiting for PostgreSQL to flush its
  // WAL (20 ms a commit here under load): the guarantee SQLite's WAL with
  // synchronous=NORMAL gives every commit. A database crash may lose the
  // last batches, never part of one; their events are then still
  // unprocessed and are applied again (pages already on disk compare
  // equal). Pages are still synced before the commit is sent.
  if (store_.BackendName() == "postgres") {
    auto relaxed = tx.Exec("SET LOCAL synchronous_commit = off");
    if (!relaxed) return relaxed.error();
  }
  std::vector<ClaimedEvent>& events = *claimed;
  std::vector<Claimed> ids;
  ids.reserve(events.size());
  for (const ClaimedEvent& c : events) ids.push_back(c.claimed);
  // On SQLite the claim said which events every target has synced, but
  // the rows of the batch still rendering past its commit are recorded
  // after it: those entities are read again under their locks.
  static const decltype(Overlap::rendering) kNothingRendering;
  const BatchPlan plan = PlanBatch(events, static_cast<std::int64_t>(targets_.size()),
                                   overlap_ ? overlap_->rendering : kNothingRendering);
  stats.skipped += plan.skipped * static_cast<std::int64_t>(targets_.size());
  const std::vector<std::size_t>& applied = plan.apply;
  DOCRUNCH_TRY(ReadEventColumns(tx, events, applied));
  // In key order (PrepareBatch's), each entity's targets side by side.
  std::vector<Item> items;
  items.reserve(applied.size() * targets_.size());
  for (std::size_t i : applied) {
    for (std::size_t t = 0; t < targets_.size(); ++t) {
      Item item;
      item.target = t;
      item.event_id = ids[i].id;
      item.event = events[i].event;
      items.push_back(std::move(item));
    }
  }
  stats.events += static_cast<std::int64_t>(ids.size());
  if (items.empty() && !pass && !drained && limit > 1 &&
      round + 1 < kSkippedBatchesPerTransaction) {
    // Every event of the batch was skipped: nothing renders or is recorded
    // but the batch's range. The next batch is claimed in this transaction:
    // a re-delivered backlog costs no commit per batch. Not one event at a
    // time: a transaction of one event that fails is taken as that event's
    // failure (QuarantineFirstEvent).
    DOCRUNCH_TRY(FinishOverlap(tx, stats));
    auto marked = MarkProcessed(tx, ids);
    if (!marked) return marked.error();
    return ApplyEvents(tx, limit, stats, round + 1);
  }
  if (pass) {
    DOCRUNCH_TRY(ApplyItems(tx, items, stats));
    if (drained) DOCRUNCH_TRY(Settle(tx));
    // The cursor moves once the batch has committed (RunBatch).
    for (const Claimed& c : ids) batch_last_ = std::max(batch_last_, c.id);
    return Ok();
  }
  // Settling and marking the events processed need no target's result (a
  // failure is recorded in storage_sync): done while pages render. A full
  // batch in a drain on SQLite may leave its pages rendering instead; the
  // next transaction marks its events.
  auto finish = [&]() -> Result<void> {
    if (drained) DOCRUNCH_TRY(Settle(tx));
    auto marked = MarkProcessed(tx, ids);
    if (!marked) return marked.error();
    return Ok();
  };
  const bool overlap = may_overlap_ && !drained && limit > 1;
  return ApplyItems(tx, items, stats, finish, overlap ? &ids : nullptr);
}

Result<std::int64_t> SyncWorker::MarkProcessed(store::Tx& tx, const std::vector<Claimed>& events,
                                               bool exact) {
  const std::string now = FormatIso8601(clock_.Now());
  std::int64_t marked = 0;
  if (ranges_) {
    // One range per priority class, from the class's watermark to the
    // batch's last event of it: the batch claimed the class's first
    // pending events past the watermark (a batch still rendering is
    // recorded before), so everything of the class up to there is
    // processed. Those another worker's range covers meanwhile are not
    // counted.
    std::map<int, std::vector<std::int64_t>> by_class;
    for (const Claimed& c : events) by_class[c.priority].push_back(c.id);
    for (const auto& [priority, ids] : by_class) {
      auto mark = store::ReadWatermark(tx, options_.repository_id, priority);
      if (!mark) return mark.error();
      const std::int64_t w = *mark;
      const std::int64_t last = *std::max_element(ids.begin(), ids.end());
      if (last <= w) continue;
      std::vector<std::int64_t> past;
      for (std::int64_t id : ids) {
        if (id > w) past.push_back(id);
      }
      if (exact) {
        // Of those, the ones another worker has not marked on its own
        // (QuarantineFirstEvent) meanwhile.
        store::Params params;
        const std::string list = store::AppendInList(params, past.begin(), past.end());
        auto still = tx.Query("SELECT COUNT(*) AS n FROM sync_events WHERE id IN (" + list +
                                  ") AND processed_at IS NULL",
                              params);
        if (!still) return still.error();
        marked += still->Int(0, "n").value_or(0);
      } else {
        marked += static_cast<std::int64_t>(past.size());
      }
      auto done = tx.Exec(
          "INSERT INTO sync_processed (repository_id, priority, first_id, last_id, processed_at) "
          "VALUES ($1, $2, $3, $4, $5)",
          {options_.repository_id, std::int64_t{priority}, w + 1, last, now});
      if (!done) return done.error();
    }
    return marked;
  }
  std::vector<std::int64_t> ids;
  for (const Claimed& c : events) ids.push_back(c.id);
  DOCRUNCH_TRY(
      ForEachChunk(ids, {now}, {}, [&](const store::Params& params, const std::string& list) {
        auto done = tx.Exec("UPDATE sync_events SET processed_at = $1 WHERE id IN (" + list +
                                ") AND processed_at IS NULL",
                            params);
        if (!done) return Result<void>(done.error());
        marked += *done;
        return Result<void>(Ok());
      }));
  return marked;
}

Result<std::vector<SyncWorker::TargetWork>> SyncWorker::PrepareBatch(store::Tx& tx,
                                                                     std::vector<Item>& items,
                                                                     WorkerStats& stats,
                                                                     bool overlapping) {
  // One lock per entity and target, all of the batch's in one statement
  // (in one order for every worker: no deadlocks between them), held until
  // the batch commits: a second worker holding an event of the same entity
  // waits here, then reads what this one recorded. The lock writes no row:
  // a storage_sync row locked by an upsert was written twice per
  // application on PostgreSQL (lock, then result), the largest part of the
  // worker's own statements there.
  std::vector<std::int64_t> keys;
  keys.reserve(items.size());
  for (const Item& item : items) {
    keys.push_back(EntityKey(options_.repository_id, targets_[item.target]->Target(), item.event));
  }
  DOCRUNCH_TRY(tx.LockKeys(std::move(keys)));
  // In key order, once: the rows are read by entity type (ReadSyncRows) and
  // the projections see a batch in one order. A batch of events comes in
  // that order already; retries do not.
  auto by_key = [](const Item& a, const Item& b) {
    return std::tie(a.event.entity_type, a.event.entity_id) <
           std::tie(b.event.entity_type, b.event.entity_id);
  };
  if (!std::is_sorted(items.begin(), items.end(), by_key)) {
    std::sort(items.begin(), items.end(), by_key);
  }
  DOCRUNCH_TRY(ReadSyncRows(tx, items));
  // Rows of a batch recorded after this read (the one still rendering,
  // later in this transaction, or this one's, in the next) may exist by
  // the time these are written: a splitting target's rows are upserted.
  if (overlapping) {
    for (Item& item : items) {
      if (targets_[item.target]->SplitsBatches()) item.has_row = true;
    }
  }
  if (overlap_) {
    for (Item& item : items) {
      auto it = overlap_->rendering.find({item.event.entity_type, item.event.entity_id});
      item.behind_rendering =
          it != overlap_->rendering.end() && std::find(it->second.begin(), it->second.end(),
                                                       targets_[item.target]) != it->second.end();
    }
  }
  std::vector<TargetWork> works;
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    std::vector<Item*> mine;
    for (auto& item : items) {
      if (item.target == t) mine.push_back(&item);
    }
    if (mine.empty()) continue;
    TargetWork& work = works.emplace_back();
    work.target = targets_[t];
    DOCRUNCH_TRY(PrepareTarget(mine, stats, work));
    if (!work.to_apply.empty()) tx_applied_[t] = 1;
  }
  return works;
}

Result<void> SyncWorker::ApplyItems(store::Tx& tx, std::vector<Item>& items, WorkerStats& stats,
                                    const std::function<Result<void>()>& meanwhile,
                                    std::vector<Claimed>* overlap_ids) {
  // Retries and a drain's last batch render in their own transaction: the
  // batch before them is recorded first.
  if (overlap_ids == nullptr) DOCRUNCH_TRY(FinishOverlap(tx, stats));
  auto prepared = PrepareBatch(tx, items, stats, overlap_ || overlap_ids != nullptr);
  if (!prepared) return prepared.error();
  std::vector<TargetWork>& works = *prepared;
  // A projection that splits its batches renders on a thread of its own
  // while the others apply in the transaction (the Markdown pages while
  // the search index writes), when there are others; or, overlapping, on
  // past the commit while the next batch applies.
  const bool apart = store_.ReadsBesideTransactions() && options_.render_apart;
  std::size_t busy = 0;
  bool overlap = apart && overlap_ids != nullptr;
  bool splits = false;
  for (const auto& work : works) {
    if (work.to_apply.empty()) continue;
    ++busy;
    if (work.healthy && work.target->SplitsBatches()) {
      splits = true;
      overlap = overlap && work.target->RendersPastCommit(work.events);
    }
  }
  overlap = overlap && splits;
  enum class How { kSkip, kUnhealthy, kApart, kInTransaction };
  std::vector<How> how(works.size(), How::kSkip);
  for (std::size_t w = 0; w < works.size(); ++w) {
    TargetWork& work = works[w];
    if (work.to_apply.empty()) continue;
    how[w] = !work.healthy                                                    ? How::kUnhealthy
             : apart && (overlap || busy > 1) && work.target->SplitsBatches() ? How::kApart
                                                                              : How::kInTransaction;
    if (how[w] == How::kUnhealthy) {
      work.results.assign(work.to_apply.size(),
                          MakeError(ErrorCode::kIo, std::string(work.target->Target()) +
                                                        " unavailable: " + work.unhealthy));
    }
  }
  // Takes a target's locks, then starts its rendering on its thread.
  auto render = [&](TargetWork& work, std::size_t& next_renderer) -> Result<void> {
    if (auto locked = work.target->LockBatch(work.events, tx); !locked) {
      work.results.assign(work.to_apply.size(), locked.error());
      return Ok();
    }
    if (renderers_.size() <= next_renderer) renderers_.push_back(std::make_unique<TaskThread>());
    PostRender(*renderers_[next_renderer++], work);
    return Ok();
  };
  // Waited for on every way out, an exception from another target
  // included: the renderings write into `works`.
  struct Waiter {
    std::vector<std::unique_ptr<TaskThread>>& renderers;
    std::size_t used = 0;
    ~Waiter() {
      for (std::size_t r = 0; r < used; ++r) renderers[r]->Wait();
    }
  } rendering{renderers_};
  if (!overlap) {
    // The threads are free once the batch before has been recorded (here
    // when this batch might have overlapped but cannot).
    DOCRUNCH_TRY(FinishOverlap(tx, stats));
    for (std::size_t w = 0; w < works.size(); ++w) {
      if (how[w] == How::kApart) DOCRUNCH_TRY(render(works[w], rendering.used));
    }
  }
  for (std::size_t w = 0; w < works.size(); ++w) {
    if (how[w] == How::kInTransaction) {
      const auto started = std::chrono::steady_clock::now();
      works[w].results = works[w].target->ApplyBatch(works[w].events, tx);
      works[w].spent = std::chrono::milliseconds(MsSince(started));
      spdlog::debug("sync: {} applied {} events in {} ms", works[w].target->Target(),
                    works[w].events.size(), MsSince(started));
    }
  }
  // What needs no rendered result is done while the pages render: the
  // other targets' bookkeeping, then the caller's (`meanwhile`).
  auto record = [&](std::vector<TargetWork>& of, bool rendered) -> Result<void> {
    for (std::size_t w = 0; w < of.size(); ++w) {
      if (of[w].to_apply.empty() || (how[w] == How::kApart) != rendered) continue;
      stats.target_time[std::string(of[w].target->Target())] += of[w].spent;
      DOCRUNCH_TRY(RecordTarget(tx, of[w], stats));
    }
    return Ok();
  };
  DOCRUNCH_TRY(record(works, false));
  if (overlap) {
    // The batch before rendered beside this one's index: once it is done,
    // this one's rendering starts (and runs on past the commit) while the
    // batch before is recorded.
    std::unique_ptr<Overlap> before = TakeOverlap();
    auto next = std::make_unique<Overlap>();
    for (std::size_t w = 0; w < works.size(); ++w) {
      if (how[w] == How::kApart) next->works.push_back(std::move(works[w]));
    }
    next->items = std::move(items);  // the same elements: to_apply still points at them
    next->events = std::move(*overlap_ids);
    for (const TargetWork& work : next->works) {
      for (const Item* item : work.to_apply) {
        next->rendering[{item->event.entity_type, item->event.entity_id}].push_back(work.target);
      }
    }
    overlap_ = std::move(next);  // before the renderings start: DiscardOverlap waits for them
    std::size_t used = 0;
    for (auto& work : overlap_->works) DOCRUNCH_TRY(render(work, used));
    if (before) DOCRUNCH_TRY(RecordOverlap(tx, *before, stats));
    return Ok();
  }
  if (meanwhile) DOCRUNCH_TRY(meanwhile());
  for (std::size_t r = 0; r < rendering.used; ++r) renderers_[r]->Wait();
  return record(works, true);
}

void SyncWorker::PostRender(TaskThread& renderer, TargetWork& work) {
  renderer.Post([this, &work] {
    const auto started = std::chrono::steady_clock::now();
    try {
      work.results = work.target->RenderBatch(work.events, store_);
      work.spent = std::chrono::milliseconds(MsSince(started));
      spdlog::debug("sync: {} rendered {} events beside the transaction in {} ms",
                    work.target->Target(), work.events.size(), MsSince(started));
    } catch (const std::exception& e) {
      work.results.assign(work.events.size(),
                          MakeError(ErrorCode::kInternal, std::string("exception: ") + e.what()));
    } catch (...) {
      work.results.assign(work.events.size(), MakeError(ErrorCode::kInternal, "unknown exception"));
    }
  });
}

std::unique_ptr<SyncWorker::Overlap> SyncWorker::TakeOverlap() {
  std::unique_ptr<Overlap> done = std::move(overlap_);
  if (done) {
    for (std::size_t r = 0; r < done->works.size() && r < renderers_.size(); ++r) {
      renderers_[r]->Wait();
    }
  }
  return done;
}

Result<void> SyncWorker::RecordOverlap(store::Tx& tx, Overlap& done, WorkerStats& stats) {
  // A worker of another process may have claimed these events between the
  // two transactions and applied them itself, perhaps from newer rows,
  // with this rendering landing after its own: then fewer are still
  // pending to mark than the batch holds, and nothing of the batch is
  // recorded as synced; a retry renders its entities again from their
  // latest events.
  auto marked = MarkProcessed(tx, done.events, /*exact=*/true);
  if (!marked) return marked.error();
  const bool taken = *marked < static_cast<std::int64_t>(done.events.size());
  for (TargetWork& work : done.works) {
    if (taken) {
      work.results.assign(work.to_apply.size(),
                          MakeError(ErrorCode::kInterrupted,
                                    "another worker took these events while their pages "
                                    "rendered: rendering them again"));
    }
    stats.target_time[std::string(work.target->Target())] += work.spent;
    DOCRUNCH_TRY(RecordTarget(tx, work, stats));
  }
  return Ok();
}

Result<void> SyncWorker::FinishOverlap(store::Tx& tx, WorkerStats& stats) {
  std::unique_ptr<Overlap> done = TakeOverlap();
  return done ? RecordOverlap(tx, *done, stats) : Ok();
}

void SyncWorker::DiscardOverlap() {
  if (!overlap_) return;
  for (auto& renderer : renderers_) renderer->Wait();
  overlap_.reset();
}

namespace {

// A storage_sync row's cells into `item` (a SyncWorker::Item), text moved
// out of the row.
template <typename ItemT>
void TakeSyncRow(store::Rows& rows, std::size_t r, std::size_t c_hash, std::size_t c_status,
                 std::size_t c_next, ItemT& item) {
  auto take = [](store::Value& cell) -> std::optional<std::string> {
    auto* text = std::get_if<std::string>(&cell);
    if (text == nullptr) return std::nullopt;
    return std::move(*text);
  };
  auto& row = rows.rows[r];
  item.has_row = true;
  item.synced_hash = take(row[c_hash]);
  item.status = take(row[c_status]).value_or("pending");
  item.attempts = static_cast<int>(rows.Int(r, "attempts").value_or(0));
  item.next_attempt_at = take(row[c_next]);
}

}  // namespace

Result<void> SyncWorker::ReadSyncRows(store::Tx& tx, std::vector<Item>& items) {
  // By entity_key, in chunks of distinct keys; the items by key (those of
  // one entity, every target's, share it). The keys lead the statement's
  // parameters, in order: SQLite binds them by position (a named
  // parameter is looked up through a list, 250 times for 250). The index
  // is named: SQLite's planner otherwise took the primary key for
  // `repository_id = $n` and read every row of the repository per chunk.
  std::unordered_multimap<std::int64_t, Item*> by_key;
  by_key.reserve(items.size());
  std::vector<std::int64_t> keys;
  for (Item& item : items) {
    const std::int64_t key = RowKey(options_.repository_id, item.event);
    if (by_key.find(key) == by_key.end()) keys.push_back(key);
    by_key.emplace(key, &item);
  }
  DOCRUNCH_TRY(ForEachChunk(
      keys, {}, {options_.repository_id},
      [&](const store::Params& params, const std::string& list) {
        auto rows = tx.Query(
            "SELECT entity_key, target, entity_type, entity_id, last_synced_hash, status, "
            "attempts, "
            "next_attempt_at FROM storage_sync" +
                tx.IndexHint("storage_sync_by_entity_key") + " WHERE entity_key IN (" + list +
                ") AND repository_id = $" + std::to_string(params.size()),
            params);
        if (!rows) return Result<void>(rows.error());
        const std::size_t c_target = rows->Column("target"), c_type = rows->Column("entity_type"),
                          c_id = rows->Column("entity_id"),
                          c_hash = rows->Column("last_synced_hash"),
                          c_status = rows->Column("status"),
                          c_next = rows->Column("next_attempt_at");
        for (std::size_t r = 0; r < rows->size(); ++r) {
          const auto& row = rows->rows[r];
          const auto key = rows->Int(r, "entity_key");
          const auto* target = std::get_if<std::string>(&row[c_target]);
          const auto* type = std::get_if<std::string>(&row[c_type]);
          const auto* id = std::get_if<std::string>(&row[c_id]);
          if (!key || target == nullptr || type == nullptr || id == nullptr) continue;
          auto [first, last] = by_key.equal_range(*key);
          for (auto it = first; it != last; ++it) {
            Item& item = *it->second;
            if (item.event.entity_id == *id && item.event.entity_type == *type &&
                targets_[item.target]->Target() == *target) {
              TakeSyncRow(*rows, r, c_hash, c_status, c_next, item);
              break;
            }
          }
        }
        return Result<void>(Ok());
      }));
  // The rest by their text key: never applied, or a row without its
  // entity_key, which is given it here (once per row: its next reads go by
  // the key).
  std::vector<Item*> rest;
  for (Item& item : items) {
    if (!item.has_row) rest.push_back(&item);
  }
  if (rest.empty()) return Ok();
  DOCRUNCH_TRY(ReadSyncRowsByName(tx, rest));
  for (Item* item : rest) {
    if (!item->has_row) continue;
    auto keyed = tx.Exec(
        "UPDATE storage_sync SET entity_key = $1 WHERE repository_id = $2 AND target = $3 "
        "AND entity_type = $4 AND entity_id = $5",
        {RowKey(options_.repository_id, item->event), options_.repository_id,
         std::string(targets_[item->target]->Target()), item->event.entity_type,
         item->event.entity_id});
    if (!keyed) return keyed.error();
  }
  return Ok();
}

Result<void> SyncWorker::ReadSyncRowsByName(store::Tx& tx, const std::vector<Item*>& items) {
  std::set<std::string> targets;
  for (const Item* item : items) targets.emplace(targets_[item->target]->Target());
  // One statement per entity type and chunk of ids (a batch is mostly of
  // one type), every target's rows together. Items are in key order.
  for (std::size_t start = 0; start < items.size();) {
    const std::string& type = items[start]->event.entity_type;
    std::vector<std::string> ids;
    // The chunk's items by target and entity id (views into the items).
    std::vector<std::unordered_map<std::string_view, Item*>> by_id(targets_.size());
    std::size_t end = start;
    for (; end < items.size() && items[end]->event.entity_type == type; ++end) {
      const std::string& id = items[end]->event.entity_id;
      if (ids.empty() || ids.back() != id) {
        if (ids.size() == kChunk) break;
        ids.push_back(id);
      }
      by_id[items[end]->target][id] = items[end];
    }
    store::Params params{options_.repository_id, type};
    const std::string target_list = store::AppendInList(params, targets.begin(), targets.end());
    const std::string id_list = store::AppendInList(params, ids.begin(), ids.end());
    auto rows = tx.Query(
        "SELECT target, entity_id, last_synced_hash, status, attempts, next_attempt_at "
        "FROM storage_sync WHERE repository_id = $1 AND entity_type = $2 AND target IN (" +
            target_list + ") AND entity_id IN (" + id_list + ")",
        params);
    if (!rows) return rows.error();
    const std::size_t c_target = rows->Column("target"), c_id = rows->Column("entity_id"),
                      c_hash = rows->Column("last_synced_hash"), c_status = rows->Column("status"),
                      c_next = rows->Column("next_attempt_at");
    for (std::size_t r = 0; r < rows->size(); ++r) {
      const auto& row = rows->rows[r];
      const auto* target = std::get_if<std::string>(&row[c_target]);
      const auto* id = std::get_if<std::string>(&row[c_id]);
      if (target == nullptr || id == nullptr) continue;
      std::size_t t = 0;
      while (t < targets_.size() && targets_[t]->Target() != *target) ++t;
      if (t == targets_.size()) continue;
      auto it = by_id[t].find(*id);
      if (it == by_id[t].end()) continue;
      TakeSyncRow(*rows, r, c_hash, c_status, c_next, *it->second);
    }
    start = end;
  }
  return Ok();
}

Result<void> SyncWorker::PrepareTarget(std::vector<Item*>& items, WorkerStats& stats,
                                       TargetWork& work) {
  Projection& target = *work.target;
  const std::string now = FormatIso8601(clock_.Now());
  std::vector<Item*>& to_apply = work.to_apply;
  for (Item* item : items) {
    if (item->retry &&
        (item->status != "pending" || !item->next_attempt_at || *item->next_attempt_at > now)) {
      // Another worker took this retry while this one waited for the lock.
      --stats.retried;
      continue;
    }
    bool synced = item->status == "ok" && item->synced_hash == item->event.content_hash &&
                  !item->behind_rendering;
    if (synced && !item->retry) {
      ++stats.skipped;
    } else {
      if (!item->retry) item->attempts = 0;  // new content: a fresh set of attempts
      to_apply.push_back(item);
    }
  }
  if (to_apply.empty()) return Ok();
  ProjectionHealth health = target.Health();
  work.healthy = health.healthy;
  work.unhealthy = health.detail;
  for (Item* item : to_apply) work.events.push_back(item->event);
  return Ok();
}

Result<void> SyncWorker::RecordTarget(store::Tx& tx, TargetWork& work, WorkerStats& stats) {
  const std::string name(work.target->Target());
  const TimePoint now_time = clock_.Now();
  const std::string now = FormatIso8601(now_time);
  const std::vector<Item*>& to_apply = work.to_apply;
  const std::vector<Result<void>>& results = work.results;
  // Rows of entities never recorded for this target are inserted (COPY on
  // PostgreSQL), the others upserted: no other worker can have made one
  // meanwhile, as each entity's lock is held (ApplyItems,
  // QuarantineFirstEvent). A `sync rebuild` racing with this batch may
  // have: the insert then fails and the batch is retried event by event.
  std::vector<store::Params> rows, fresh;
  for (std::size_t i = 0; i < to_apply.size(); ++i) {
    Item& item = *to_apply[i];
    store::Params row{name, item.event.entity_type, item.event.entity_id, options_.repository_id,
                      RowKey(options_.repository_id, item.event)};
    if (results[i]) {
      ++stats.applied;
      row.insert(row.end(), {item.event.content_hash, std::string("ok"), std::int64_t{0},
                             std::monostate{}, std::monostate{}, now});
    } else {
      ++stats.failed;
      int attempts = item.attempts + 1;
      FailureOutcome outcome = options_.retry.Classify(attempts, results[i].error().code);
      store::Value next = std::monostate{};
      if (outcome == FailureOutcome::kRetry) {
        next = FormatIso8601(now_time + options_.retry.Delay(attempts, options_.random));
      }
      store::Value synced = item.synced_hash ? store::Value(*item.synced_hash) : std::monostate{};
      row.insert(row.end(), {synced, StatusName(outcome), std::int64_t{attempts},
                             results[i].error().ToString(), next, now});
      spdlog::debug("sync: {} {}:{} attempt {} failed: {}", name, item.event.entity_type,
                    item.event.entity_id, attempts, results[i].error().ToString());
    }
    (item.has_row ? rows : fresh).push_back(std::move(row));
  }
  DOCRUNCH_TRY(store::InsertRows(
      tx, "storage_sync",
      {"target", "entity_type", "entity_id", "repository_id", "entity_key", "last_synced_hash",
       "status", "attempts", "last_error", "next_attempt_at", "updated_at"},
      fresh));
  for (std::size_t start = 0; start < rows.size(); start += kChunk) {
    std::size_t end = std::min(rows.size(), start + kChunk);
    store::Params params;
    for (std::size_t i = start; i < end; ++i) {
      params.insert(params.end(), rows[i].begin(), rows[i].end());
    }
    auto done = tx.Exec(
        "INSERT INTO storage_sync (target, entity_type, entity_id, repository_id, entity_key, "
        "last_synced_hash, status, attempts, last_error, next_attempt_at, updated_at) VALUES " +
            Placeholders(1, end - start, 11) +
            " ON CONFLICT (repository_id, target, entity_type, entity_id) DO UPDATE SET "
            "entity_key = excluded.entity_key, last_synced_hash = excluded.last_synced_hash, "
            "status = excluded.status, "
            "attempts = excluded.attempts, last_error = excluded.last_error, "
            "next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at",
        params);
    if (!done) return done.error();
  }
  return Ok();
}

Result<void> SyncWorker::AnalyzeNewTables() {
  if (store_.BackendName() != "postgres") return Ok();
  std::set<std::string> tables{"sync_events", "storage_sync"};
  for (Projection* target : targets_) {
    for (auto& table : target->Tables()) tables.insert(std::move(table));
  }
  // Literal names from the code; checked anyway, as they reach ANALYZE.
  for (const auto& table : tables) {
    if (table.empty() ||
        table.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
      return MakeError(ErrorCode::kInternal, "not a table name: '" + table + "'");
    }
  }
  // By size on disk (8 pages), not by the statistics' row count: that one
  // lags the commits by a second or more, longer than a first backlog of
  // new documents takes to outgrow a plan made for an empty table.
  store::Params params;
  const std::string list = store::AppendInList(params, tables.begin(), tables.end());
  auto never = store_.Query(
      "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
      "AND relname IN (" +
          list +
          ") AND last_analyze IS NULL AND last_autoanalyze IS NULL "
          "AND pg_relation_size(relid) >= 65536 ORDER BY relname",
      params);
  if (!never) return never.error();
  for (std::size_t i = 0; i < never->size(); ++i) {
    const std::string table = never->Text(i, "relname").value_or("");
    if (!tables.count(table)) continue;
    const auto started = std::chrono::steady_clock::now();
    auto analyzed = store_.Transact([&](store::Tx& tx) -> Result<void> {
      auto done = tx.Exec("ANALYZE " + table);
      if (!done) return done.error();
      return Ok();
    });
    if (!analyzed) return analyzed.error();
    spdlog::info("sync: analyzed {} (no statistics yet) in {} ms", table, MsSince(started));
  }
  return Ok();
}

Result<void> SyncWorker::QuarantineFirstEvent(const Error& error) {
  return store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto claimed = Claim(tx, 1, 0, options_.prioritize_reports, {});
    if (!claimed) return claimed.error();
    if (claimed->empty()) return Ok();
    DOCRUNCH_TRY(ReadEventColumns(tx, *claimed, {0}));
    const store::SyncEvent& e = claimed->front().event;
    // The entity's locks, as a batch takes them (RecordTarget relies on it).
    std::vector<std::int64_t> keys;
    for (Projection* target : targets_) {
      keys.push_back(EntityKey(options_.repository_id, target->Target(), e));
    }
    DOCRUNCH_TRY(tx.LockKeys(std::move(keys)));
    const TimePoint now_time = clock_.Now();
    const std::string now = FormatIso8601(now_time);
    for (Projection* target : targets_) {
      auto next = FormatIso8601(now_time + options_.retry.Delay(1, options_.random));
      auto done = tx.Exec(
          "INSERT INTO storage_sync (target, entity_type, entity_id, repository_id, status, "
          "attempts, last_error, next_attempt_at, updated_at, entity_key) "
          "VALUES ($1, $2, $3, $4, 'pending', 1, $5, $6, $7, $9) "
          "ON CONFLICT (repository_id, target, entity_type, entity_id) DO UPDATE SET "
          "entity_key = excluded.entity_key, status = CASE WHEN storage_sync.attempts + 1 >= $8 "
          "THEN 'failed' ELSE 'pending' END, "
          "attempts = storage_sync.attempts + 1, last_error = excluded.last_error, "
          "next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at",
          {std::string(target->Target()), e.entity_type, e.entity_id, options_.repository_id,
           error.ToString(), next, now, std::int64_t{options_.retry.max_retries},
           RowKey(options_.repository_id, e)});
      if (!done) return done.error();
    }
    auto marked = tx.Exec("UPDATE sync_events SET processed_at = $1 WHERE id = $2",
                          {now, claimed->front().claimed.id});
    if (!marked) return marked.error();
    return Ok();
  });
}

Result<void> SyncWorker::RecordRetryFailure(const Error& error) {
  // Which retry failed is unknown (the transaction rolled back as a
  // whole), so every due retry is charged an attempt; they end as failed
  // after max_retries instead of looping.
  return store_.Transact([&](store::Tx& tx) -> Result<void> {
    const TimePoint now_time = clock_.Now();
    auto done = tx.Exec(
        "UPDATE storage_sync SET attempts = attempts + 1, last_error = $1, "
        "next_attempt_at = $2, updated_at = $3, "
        "status = CASE WHEN attempts + 1 >= $4 THEN 'failed' ELSE 'pending' END "
        "WHERE repository_id = $5 AND status = 'pending' AND next_attempt_at IS NOT NULL "
        "AND next_attempt_at <= $3",
        {error.ToString(),
         FormatIso8601(now_time +
                       options_.retry.Delay(options_.retry.max_retries, options_.random)),
         FormatIso8601(now_time), std::int64_t{options_.retry.max_retries},
         options_.repository_id});
    if (!done) return done.error();
    return Ok();
  });
}

}  // namespace docrunch::sync
