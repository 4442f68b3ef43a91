// The outbox pipeline as data, for the REST data-flow views (PRODUCT §11,
// §17): the lineage graph with live counts, the outbox events with their
// state, where one entity lives in each store, and the diff in numbers.
// Read-only; every function reads one repository.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "store/store.h"
#include "sync/sync_admin.h"

namespace docrunch::sync {

// The source-of-truth tables the outbox carries, with the entity type
// whose events they produce: "file" for files and the rows scanned with
// them, "task" for tasks and the agents' reports on them, ...
struct SourceTable {
  const char* table;
  const char* entity_type;  // the outbox entity its rows travel with
  const char* owner;        // the table whose entity carries it; "" when its own
};
const std::vector<SourceTable>& SourceTables();

// Rows of each SourceTables() table for the repository, in that order.
Result<std::vector<std::pair<std::string, std::int64_t>>> CountSourceRows(
    store::Reader& db, std::int64_t repository_id);

// *.md files under `docs_root` (0 when it does not exist); stops counting
// at 1,000,000.
std::int64_t CountMarkdownPages(const std::filesystem::path& docs_root);

// Documents Docrunch keeps in LightRAG, by its own bookkeeping (the
// document ids recorded per entity in storage_sync).
Result<std::int64_t> CountLightRagDocuments(store::Reader& db, std::int64_t repository_id);

struct LineageOptions {
  std::vector<std::string> targets;  // the configured sync targets, in order
  std::filesystem::path docs_root;   // the markdown target's folder
  SlaOptions sla;
};

// The pipeline as a graph {nodes: [{id, label, kind, counts}], edges:
// [{source, target, label, count}]}: scanner -> source tables -> the
// outbox (sync_events: total, pending, processed, failed, dead_letter)
// -> one sync worker node per target (ok, pending, failed, dead_letter,
// behind, lag_seconds) -> its derived store (index documents, Markdown
// pages, LightRAG documents) -> MCP -> agents. Kinds: producer, source,
// outbox, worker, store, consumer.
Result<nlohmann::json> LoadLineage(store::Reader& db, std::int64_t repository_id,
                                   const LineageOptions& options, TimePoint now);

// --- outbox events ---

// An event's state: "pending" until a worker claimed it, or while a target
// still has to apply its entity (a retry is scheduled); "failed" /
// "dead_letter" when it is its entity's latest event and a target gave up
// on it (failed: `sync retry` may bring it back; dead_letter: only `sync
// retry --all`); "processed" otherwise. With a target given, only that
// target's bookkeeping counts.
inline const std::vector<std::string> kEventStates{"pending", "processed", "failed",
                                                   "dead_letter"};

struct EventFilter {
  std::string status;  // one of kEventStates, or "" for any
  std::string target;  // "" for every target
  std::string entity_type, entity_id;
  std::size_t offset = 0;
  std::size_t limit = 50;
};

// A target that has not applied an event's entity yet (or gave up on it),
// for an event whose state depends on it.
struct TargetTrouble {
  std::string target;
  std::string status;  // pending, failed, dead_letter
  int attempts = 0;
  std::string last_error;       // "" when none
  std::string next_attempt_at;  // "" when none is scheduled
};

struct OutboxEvent {
  std::int64_t id = 0;
  std::string entity_type, entity_id, content_hash, action;
  int priority = 0;
  std::string created_at, processed_at;  // processed_at "" while pending
  std::string status;
  // For a pending, failed or dead-letter event that is its entity's
  // latest: the targets behind on it, with their attempts and last error.
  std::vector<TargetTrouble> targets;
};
nlohmann::json ToJson(const OutboxEvent& event);

// Newest first; up to filter.limit + 1 events (one more than asked tells
// the caller another page exists).
Result<std::vector<OutboxEvent>> ListEvents(store::Reader& db, std::int64_t repository_id,
                                            const EventFilter& filter);

// --- one entity ---

// The outbox entity a client names: "task-3" (a task), "adr-7" or
// "decision-12" (a decision: by number, or by row id as the outbox names
// it), a repository path (a file); `type` ("file", "task", "decision",
// "relationships", "repository") overrides the guess. STORAGE_NOT_FOUND
// when nothing in the outbox or the source tables has that id;
// USAGE for a type that is not an outbox entity type.
struct EntityKey {
  std::string type, id;
};
Result<EntityKey> ResolveEntity(store::Reader& db, std::int64_t repository_id,
                                const std::string& id, const std::string& type);

// Where the entity lives: its source row ({table, exists, content_hash}
// with the source's current hash: the outbox carries it in the same
// transaction as the row, so it is the latest event's, and for a file also
// the row's own), its latest outbox event, and per target its storage_sync
// row and whether that copy is current.
Result<nlohmann::json> LocateEntity(store::Reader& db, std::int64_t repository_id,
                                    const EntityKey& entity,
                                    const std::vector<std::string>& targets);

// --- the diff in numbers ---

// {total, per_target: {target: {total, missing, stale}}, per_kind:
// {entity_type: {missing, stale}}}.
nlohmann::json DiffStats(const std::vector<DiffEntry>& entries);

}  // namespace docrunch::sync
