// A derived store kept in step with the source of truth (PRODUCT §10).
//
// The search index, the Markdown docs and LightRAG are projections: each can
// be rebuilt from the database alone, and is updated event by event by the
// sync worker. The worker is generic over this interface.
//
// Every call gets the worker's transaction: reads see the database as of
// this batch, and writes a projection makes to the database (the search
// index tables) commit together with the worker's bookkeeping, or not at
// all. Effects outside the database (files, HTTP) happen before the commit,
// so a crash can repeat them: they must be idempotent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace docrunch::sync {

struct EntityRef {
  std::string type;  // "file", "task", "decision", ...
  std::string id;
};

struct ProjectionHealth {
  bool healthy = true;
  std::string detail;  // e.g. "docs folder not writable"
};

class Projection {
 public:
  virtual ~Projection() = default;

  // The target name stored in storage_sync: "index", "markdown", "lightrag".
  virtual std::string_view Target() const = 0;

  // Brings the derived copy of one entity up to date with the database.
  // Idempotent: applying the same event twice has the effect of once.
  // Entity types the projection does not keep succeed without effect.
  virtual Result<void> Apply(const store::SyncEvent& event, store::Tx& db) = 0;

  // Removes the derived copy of an entity that no longer exists.
  virtual Result<void> Delete(const EntityRef& entity, store::Tx& db) = 0;

  // Applies several events (upserts and deletes, at most one per entity)
  // and returns one result per event, in order. The default applies them
  // one by one; a projection of aggregates (a module page covers many
  // files) overrides it to regenerate once per batch.
  virtual std::vector<Result<void>> ApplyBatch(const std::vector<store::SyncEvent>& events,
                                               store::Tx& db) {
    std::vector<Result<void>> results;
    results.reserve(events.size());
    for (const auto& event : events) {
      results.push_back(event.action == "delete" ? Delete({event.entity_type, event.entity_id}, db)
                                                 : Apply(event, db));
    }
    return results;
  }

  // A projection whose only database writes are rows that serialize
  // workers may split a batch: LockBatch takes those rows in the worker's
  // transaction, then RenderBatch does the rest reading through `reader`,
  // on a thread of its own, while the other targets apply in the
  // transaction. The reader sees committed data: every event's source rows
  // committed before the event could be claimed (each statement may see a
  // newer state, as on PostgreSQL inside a transaction). ApplyBatch must
  // equal LockBatch then RenderBatch on the transaction.
  virtual bool SplitsBatches() const { return false; }
  virtual Result<void> LockBatch(const std::vector<store::SyncEvent>& events, store::Tx& db) {
    (void)events;
    (void)db;
    return Ok();
  }
  virtual std::vector<Result<void>> RenderBatch(const std::vector<store::SyncEvent>& events,
                                                store::Reader& reader) {
    (void)reader;
    return std::vector<Result<void>>(
        events.size(), MakeError(ErrorCode::kInternal, "this projection does not split batches"));
  }

  // Whether RenderBatch of these events may run on past the commit of
  // the batch's transaction, while the worker's next batch applies
  // (SyncWorker::Drain on SQLite): the results are recorded, and the
  // events marked processed, by the next transaction. Only for pages that
  // each depend on their own entity's rows: a worker of another process
  // may take the same events between the two transactions, and the worker
  // then has those entities rendered again (docs/sync.md).
  virtual bool RendersPastCommit(const std::vector<store::SyncEvent>& events) const {
    (void)events;
    return false;
  }

  // Called in the worker's transaction when a drain runs out of events
  // (a batch found fewer than it asked for) after this target applied
  // something: upkeep deferred while a backlog drained (the search index
  // merges its segments down to IndexWriter::kMaxSegments).
  virtual Result<void> Settle(store::Tx& db) {
    (void)db;
    return Ok();
  }

  // The database tables this projection writes (literal names), which the
  // worker analyzes on PostgreSQL when a backlog finds them without
  // statistics (SyncWorker::AnalyzeNewTables).
  virtual std::vector<std::string> Tables() const { return {}; }

  // Whether the target can take writes now. The worker does not call Apply
  // on an unhealthy target: its events wait and retry with backoff.
  virtual ProjectionHealth Health() = 0;

  // Regenerates the whole derived store from the database alone.
  virtual Result<void> Rebuild(store::Tx& db) = 0;
};

}  // namespace docrunch::sync
