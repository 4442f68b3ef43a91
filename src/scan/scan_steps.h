// A scan cut into steps whose outputs are JSON, for the RepoScanWorkflow
// (workflows/repo_scan.h): the engine records each output, so a worker
// killed anywhere resumes after the last recorded step and never redoes it.
//
//   plan    = PlanStep(store, options)                      walk, compare with the stored files
//   batch_k = ParseStep(options, plan, first, count)        parse files [first, first+count)
//   found   = AnalyzeStep(store, options, plan, batches)    relationships over every file
//   stored  = StoreStep(tx, plan, batches, found)           one transaction: rows, events, run
//   UndoStoreStep(store, stored)                            puts back what StoreStep replaced
//
// Nothing touches the stored knowledge base before StoreStep, which writes
// it in the caller's transaction (the workflow records its completion in
// the same one), so the database holds either the scan before or the scan
// after. StoreStep's output carries the rows it replaced (files of the
// plan, with their symbols, imports and exports, as they were, ids
// included) and the relationships it removed and added: what UndoStoreStep
// needs to leave the knowledge base as before the run, with outbox events
// that bring the search index and the Markdown back too.
//
// The result equals the inline ScanService's: the same plan, the same
// parses, the files written in the same order (so with the same ids on
// SQLite), the same relationships.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <vector>

#include "scan/scan_service.h"
#include "store/store.h"

namespace docrunch::scan {

// Files per ParseStep, what the workflow checkpoints.
inline constexpr std::size_t kParseBatch = 200;

// Walks options.root and compares it with the stored files:
// {repository_id, root, full, parse: [[path, size, mtime_ns, hash]...],
//  touched: [...], deleted: [path...], unchanged, problems: [...],
//  unsupported, binary, previous_completed, walk_ms}.
// INVALID_PARAMS for a root that is not a folder.
Result<nlohmann::json> PlanStep(store::Store& store, const ScanOptions& options);

// Parses plan.parse[first, first + count):
// {files: [{path, size, mtime_ns, hash, parsed}...], problems: [...], parse_ms}.
// A file that changed or vanished since the walk is a problem, not a file.
Result<nlohmann::json> ParseStep(const ScanOptions& options, const nlohmann::json& plan,
                                 std::size_t first, std::size_t count);

// The relationships of the repository as it will be: stored facts, minus
// deleted files, with the parsed ones in place of their stored ones:
// {changed, relationships: [[source, target, type, metadata]...], analyze_ms};
// changed false (and no relationships) when the run stores nothing.
Result<nlohmann::json> AnalyzeStep(store::Store& store, const ScanOptions& options,
                                   const nlohmann::json& plan,
                                   const std::vector<nlohmann::json>& batches);

// Writes the scan in `tx`: files, touched metadata, deletions, the
// relationships' difference, outbox events and a completed scan_runs row.
// {scan_run_id, summary (SummaryToJson), undo}.
Result<nlohmann::json> StoreStep(store::Tx& tx, const nlohmann::json& plan,
                                 const std::vector<nlohmann::json>& batches,
                                 const nlohmann::json& analysis);

// Restores what `stored` (StoreStep's output) replaced, in one transaction,
// emitting the events that update the derived stores; marks its scan run
// failed. Running it twice gives the same state.
Result<void> UndoStoreStep(store::Store& store, const nlohmann::json& stored);

}  // namespace docrunch::scan
