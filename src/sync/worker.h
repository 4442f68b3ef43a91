// The outbox worker (PRODUCT §10): claims sync_events, applies each to every
// target projection, and records per (target, entity) in storage_sync the
// last synced content hash, status, attempts, last error and next attempt.
//
// Guarantees:
//  - One batch is one database transaction: claiming the events, locking
//    their entities, the projections' own database writes, the
//    bookkeeping and marking the events processed commit together. A worker
//    killed mid-batch leaves nothing behind but files it rewrote, which the
//    next worker rewrites again (projections are idempotent).
//    One exception, on SQLite: while Drain works through a backlog, the
//    pages of a batch whose target allows it (Projection::
//    RendersPastCommit) go on rendering past the commit, beside the next
//    batch; that next transaction records them and marks the batch's
//    events processed. Until then the events stay pending, so a worker
//    killed in between leaves them to be applied again (the other targets
//    skip them by hash).
//  - Several workers share one PostgreSQL: events are claimed with
//    FOR UPDATE SKIP LOCKED, and each (entity, target) is locked
//    (Tx::LockKeys: an advisory lock, no row written) in one order before
//    its storage_sync row is read, so two workers never apply the same
//    entity to the same target at once. On SQLite the write lock makes one
//    worker run at a time.
//  - An event whose hash a target already synced is skipped (at-least-once
//    delivery, effect once). On SQLite the claim already counts the
//    targets that have synced each event (SyncedTargets), and a batch of
//    only skipped events is followed by the next in the same transaction.
//    Report events (higher priority) go first.
//  - A failed apply is retried with backoff (RetryPolicy) from the entity's
//    latest event, then marked failed or dead_letter; it never blocks the
//    other entities or targets.
//
// Thread-safety: one SyncWorker per thread; any number per database.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/task_thread.h"
#include "store/store.h"
#include "sync/projection.h"
#include "sync/retry_policy.h"

namespace docrunch::sync {

struct WorkerOptions {
  std::int64_t repository_id = 0;  // events of this repository only
  int batch_size = 200;
  RetryPolicy retry;
  bool prioritize_reports = true;  // false: strictly in event order
  // A target that splits its batches (Markdown) renders on a thread of its
  // own beside the others; false: every target applies on the calling
  // thread (scanning.parallel_workers 1).
  bool render_apart = true;
  // A first pass by some of the targets: events are applied in id order
  // and left pending (not marked processed), for a full drain by every
  // target afterwards, which skips what this pass applied (same hashes).
  // A batch that fails ends the pass without an error: the full drain
  // finds and records the failing event. (The repo-scan workflow's `index`
  // step, so a Markdown step killed later does not index again.)
  bool leave_pending = false;
  const Clock* clock = nullptr;  // nullptr: the system clock; not owned
  UniformRandom random;          // empty: SystemRandom()
};

struct WorkerStats {
  std::int64_t events = 0;   // outbox events claimed and marked processed (or passed over)
  std::int64_t applied = 0;  // (target, entity) applications that succeeded
  std::int64_t skipped = 0;  // already synced with the same hash
  std::int64_t failed = 0;   // applications that failed (to retry, failed, dead letter)
  std::int64_t retried = 0;  // due retries attempted
  std::int64_t batches = 0;
  // Time each target spent applying (or rendering) its batches, by target.
  std::map<std::string, std::chrono::milliseconds> target_time;

  WorkerStats& operator+=(const WorkerStats& other);
  bool idle() const { return events == 0 && retried == 0; }
};

class SyncWorker {
 public:
  // `targets` are not owned and must outlive the worker.
  SyncWorker(store::Store& store, std::vector<Projection*> targets, WorkerOptions options);
  ~SyncWorker();

  // Applies due retries, then one batch of pending events. On SQLite, a
  // batch all of whose events are skipped (their content synced by every
  // target) is followed by the next in the same transaction, up to this
  // many batches: a re-delivered backlog costs no commit per batch (and a
  // "batch" of RunBatch and Drain may be that many claims). Not with a
  // batch size of 1, which is also how a failed batch is searched for its
  // failing event.
  static constexpr int kSkippedBatchesPerTransaction = 10;
  Result<WorkerStats> RunBatch();

  // Runs batches until no pending event and no due retry is left,
  // `max_batches` ran, or `stop` (if given) is set; `stop` is looked at
  // between batches. Errors: the database's (a failing target is not an
  // error). On SQLite a batch's pages may render beside the next batch
  // (see above); none is left rendering when Drain returns.
  static constexpr int kUntilEmpty = std::numeric_limits<int>::max();
  Result<WorkerStats> Drain(int max_batches = kUntilEmpty, const std::atomic<bool>* stop = nullptr);

  // Drains, then waits `poll` (through `wait`, which returns early when
  // asked to stop) and drains again, until `stop` is set (a long backlog
  // stops between two batches).
  Result<WorkerStats> Run(const std::atomic<bool>& stop, std::chrono::milliseconds poll,
                          const std::function<void(std::chrono::milliseconds)>& wait);

 private:
  struct Item;
  struct Overlap;
  // A claimed event: its id and priority class.
  struct Claimed {
    std::int64_t id = 0;
    int priority = 0;
  };
  // A claimed event. On SQLite the claim reads only what the skip needs:
  // the event's type and id (`complete` false until ReadEventColumns) and
  // how many targets have synced its content (SyncedTargets; -1 where not
  // known, on PostgreSQL).
  struct ClaimedEvent {
    Claimed claimed;
    store::SyncEvent event;
    std::int64_t synced_targets = -1;
    bool complete = false;
  };
  // Claims up to `limit` pending events with ids above `after`, the most
  // urgent first when `by_priority` (else in id order), none of `held`.
  // Rows stay claimed until the transaction ends (on PostgreSQL, FOR
  // UPDATE SKIP LOCKED; SQLite's write lock is the transaction's).
  Result<std::vector<ClaimedEvent>> Claim(store::Tx& tx, int limit, std::int64_t after,
                                          bool by_priority, const std::vector<Claimed>& held);
  // A column for a claim on SQLite: how many of the targets have synced the
  // content of the event row `events` (an `ok` storage_sync row of its
  // hash), through the entity's key. An entity all have synced is skipped
  // without reading its rows (ApplyEvents). Not on PostgreSQL, where
  // another worker may be applying the entity: it is read under the
  // entity's lock there (PrepareBatch). Appends the target names to
  // `params`.
  std::string SyncedTargets(const store::Tx& tx, std::string_view events,
                            store::Params& params) const;
  // Reads the whole event of each of `events` at `which` not complete.
  Result<void> ReadEventColumns(store::Tx& tx, std::vector<ClaimedEvent>& events,
                                const std::vector<std::size_t>& which);
  Result<void> ApplyRetries(store::Tx& tx, WorkerStats& stats);
  // Claims a batch and applies it. A batch all of whose events are skipped
  // (SyncedTargets) is followed by the next in the same transaction, up to
  // kSkippedBatchesPerTransaction batches; `round` counts them.
  Result<void> ApplyEvents(store::Tx& tx, int limit, WorkerStats& stats, int round = 0);
  // Applies each item to its target and records the results. `meanwhile`
  // (if given) runs in the transaction while targets render apart. Given
  // `overlap_ids` (the batch's event ids), the rendering may instead run
  // on past the commit (RendersPastCommit): the batch is kept in overlap_
  // with those ids, and `meanwhile` is not called.
  Result<void> ApplyItems(store::Tx& tx, std::vector<Item>& items, WorkerStats& stats,
                          const std::function<Result<void>()>& meanwhile = {},
                          std::vector<Claimed>* overlap_ids = nullptr);
  // The batch rendering past its commit, if any: waits for its rendering,
  // records the results and marks its events processed, in `tx`. Events a
  // worker of another process took meanwhile are not recorded as synced:
  // their entities are left to a retry, which renders them again.
  Result<void> FinishOverlap(store::Tx& tx, WorkerStats& stats);
  // FinishOverlap in two: the batch, once its rendering is done (nullptr
  // if none); then its bookkeeping.
  std::unique_ptr<Overlap> TakeOverlap();
  Result<void> RecordOverlap(store::Tx& tx, Overlap& done, WorkerStats& stats);
  // After a transaction failed: waits for the rendering and forgets the
  // batch, whose events are still pending.
  void DiscardOverlap();
  // Marks those of `events` still pending processed; returns how many. On
  // SQLite a range per priority class (store/pending_events.h), on
  // PostgreSQL each event's processed_at: ids there may commit out of
  // order, so a range could cover an event not visible yet. On SQLite the
  // count is of the events past the watermark, and with `exact` (a batch
  // recorded in a later transaction than its claim) of those not marked
  // one by one meanwhile either.
  Result<std::int64_t> MarkProcessed(store::Tx& tx, const std::vector<Claimed>& events,
                                     bool exact = false);
  // One target's share of a batch: the items to apply (those not already
  // synced), their events, and the results.
  struct TargetWork {
    Projection* target = nullptr;
    std::vector<Item*> to_apply;
    std::vector<store::SyncEvent> events;
    bool healthy = true;
    std::string unhealthy;
    std::vector<Result<void>> results;
    std::chrono::milliseconds spent{0};
  };
  // Reads the storage_sync row of each item (`items` in entity order),
  // every target's together, under the locks ApplyItems took (an entity
  // without one has never been applied to that target).
  // The rows are found by storage_sync.entity_key, those without one by
  // their text key (and given one).
  Result<void> ReadSyncRows(store::Tx& tx, std::vector<Item>& items);
  Result<void> ReadSyncRowsByName(store::Tx& tx, const std::vector<Item*>& items);
  // Picks the items to apply (those not already synced), counts the skipped
  // ones.
  Result<void> PrepareTarget(std::vector<Item*>& items, WorkerStats& stats, TargetWork& work);
  // The first half of ApplyItems: locks the items' entities, reads their
  // storage_sync rows and gives each target its share (PrepareTarget).
  // `overlapping`: a batch renders past its commit (before this one, or
  // this one may), so a splitting target's rows are upserted, whatever
  // was read.
  Result<std::vector<TargetWork>> PrepareBatch(store::Tx& tx, std::vector<Item>& items,
                                               WorkerStats& stats, bool overlapping);
  // Writes each applied item's storage_sync row from its result.
  Result<void> RecordTarget(store::Tx& tx, TargetWork& work, WorkerStats& stats);
  // Renders `work` on `renderer` (RenderBatch through the store's
  // readers), its results and time written into `work`.
  void PostRender(TaskThread& renderer, TargetWork& work);
  // After a batch's transaction failed as a whole (a projection's statement
  // failed), records a failed attempt for the first pending event alone.
  Result<void> QuarantineFirstEvent(const Error& error);
  Result<void> RecordRetryFailure(const Error& error);
  // PostgreSQL: ANALYZE sync_events, storage_sync and the targets' own
  // tables (Projection::Tables) when one takes 64 KB or more on disk and
  // was never analyzed (a fresh database's first backlog, before
  // autovacuum's first pass). Without statistics the planner read the
  // whole table for each batch's lookups: an idempotent re-run of 50,000
  // events took 15 s instead of 2, and the index's share of a 100,000-event
  // apply was 18 s instead of 11 when autovacuum had not come by the
  // search tables (docs/benchmarks.md).
  Result<void> AnalyzeNewTables();
  // Projection::Settle for each target that applied something since it
  // was last settled; called by a batch that found fewer events than it
  // asked for.
  Result<void> Settle(store::Tx& tx);
  // Starts and ends one transaction's record of the targets it applied
  // to and settled; `committed` carries it into unsettled_.
  void BeginTransaction();
  void EndTransaction(bool committed);

  store::Store& store_;
  std::vector<Projection*> targets_;
  WorkerOptions options_;
  SystemClock system_clock_;
  const Clock& clock_;
  const bool ranges_;  // SQLite: batches recorded as ranges (MarkProcessed)
  int isolate_ = 0;    // batches left to run one event at a time
  // leave_pending: the last event id this pass has applied, and whether a
  // failed batch ended the pass.
  std::int64_t cursor_ = 0;
  std::int64_t batch_last_ = 0;  // the batch's last id, until it commits
  bool pass_over_ = false;
  int drained_batches_ = 0;  // full batches drained; statistics checked at every 5th
  // Per target: applied in a committed batch since its last Settle; and
  // the open transaction's own record.
  std::vector<char> unsettled_, tx_applied_, tx_settled_;
  // Drain on SQLite: whether this batch may leave its rendering to the
  // next (a next batch will run); the batch left so, if any.
  bool may_overlap_ = false;
  std::unique_ptr<Overlap> overlap_;
  // The threads that render beside the transaction, one per target that
  // splits its batches, kept from batch to batch. Last: destroyed first,
  // each waiting for its task, which writes into overlap_.
  std::vector<std::unique_ptr<TaskThread>> renderers_;
};

}  // namespace docrunch::sync
