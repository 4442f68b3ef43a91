// Reading and writing a repository's scan results in the source of truth.
//
// Every write goes through Store::Transact in batches, each file's rows
// together with its sync event, so a failure leaves whole files behind,
// never half of one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "scan/analyzer.h"
#include "scan/model.h"
#include "store/store.h"

namespace docrunch::scan {

struct StoredFile {
  std::int64_t id = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string content_hash;
};

// A file whose content (or metadata) changed, with what the parser found.
struct FileRecord {
  std::string path;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string content_hash;
  ParsedFile parsed;
};

struct ScanRunCounts {
  std::int64_t files_scanned = 0;
  std::int64_t files_changed = 0;
};

// The facts LoadFacts returns for a file whose rows were written from
// `parsed`, copied from `parsed` instead of read back: the language by
// path, symbols with kind, names, bases and implements only, imports,
// exports, calls and uses. (Copied, not moved: strings allocated by the
// parse threads and kept to the end of the scan fragmented the heap, +5 MB
// peak RSS on python3.11.)
FileFacts StoredFacts(const std::string& path, const ParsedFile& parsed);

class ScanStore {
 public:
  explicit ScanStore(store::Store& store) : store_(store) {}

  // The repository row for `root_path`, created on first use.
  Result<std::int64_t> EnsureRepository(const std::string& root_path, const std::string& name);

  // path -> what the last scan stored.
  Result<std::map<std::string, StoredFile>> LoadFiles(std::int64_t repository_id);

  // A "running" row whose summary names this process (pid and host) until
  // FinishScanRun replaces it.
  Result<std::int64_t> BeginScanRun(std::int64_t repository_id, bool full);
  // Marks failed the repository's runs still "running" whose process, on
  // this host, is gone (killed: no signal handler ran); returns how many.
  // Runs of live processes and of other hosts are left alone.
  Result<int> CloseAbandonedRuns(std::int64_t repository_id);
  // Whether the latest scan run of the repository completed (true when
  // there is none). A failed or interrupted run may have stored files
  // without their relationships.
  Result<bool> LastRunCompleted(std::int64_t repository_id);
  Result<void> FinishScanRun(std::int64_t run_id, const ScanRunCounts& counts,
                             const std::string& summary_json, const std::string& error);

  // Extra per-file writes in the same transaction (path, parsed or nullptr
  // for a deleted file).
  using FileHook =
      std::function<Result<void>(store::Tx&, const std::string& path, const ParsedFile* parsed)>;

  // Replaces each file's rows (symbols, imports, exports) and emits one
  // "file" upsert event per file, in transactions of up to `batch` files.
  Result<void> WriteFiles(std::int64_t repository_id, std::int64_t run_id,
                          const std::vector<FileRecord>& files, const FileHook& hook = nullptr,
                          std::size_t batch = 200);

  // Updates only size/mtime of files whose content hash is unchanged.
  Result<void> TouchFiles(std::int64_t repository_id, const std::vector<FileRecord>& files);

  // Removes files (their rows cascade) and emits "file" delete events.
  Result<void> DeleteFiles(std::int64_t repository_id, std::int64_t run_id,
                           const std::vector<std::string>& paths, const FileHook& hook = nullptr);

  // Every stored file's facts, enough to re-run the analyzer, in path
  // (byte) order.
  Result<std::vector<FileFacts>> LoadFacts(std::int64_t repository_id);

  // Makes the stored relationships equal to `relationships` (a diff: only
  // changed rows are written). Emits one "relationships" event if anything
  // changed, or if `nodes_changed` (files or symbols came or went: the
  // graph's nodes, so its scores, changed). Returns whether relationships
  // changed.
  Result<bool> ReplaceRelationships(std::int64_t repository_id, std::int64_t run_id,
                                    const std::vector<Relationship>& relationships,
                                    bool nodes_changed);

  Result<std::vector<Relationship>> LoadRelationships(std::int64_t repository_id);

 private:
  store::Store& store_;
};

// The writes of ScanStore inside a transaction the caller holds, for a scan
// whose whole store step must commit at once (the RepoScanWorkflow's).
Result<void> WriteFilesIn(store::Tx& tx, std::int64_t repository_id, std::int64_t run_id,
                          const std::vector<FileRecord>& files, std::size_t start, std::size_t end,
                          const ScanStore::FileHook& hook = nullptr);
Result<void> TouchFilesIn(store::Tx& tx, std::int64_t repository_id,
                          const std::vector<FileRecord>& files);
Result<void> DeleteFilesIn(store::Tx& tx, std::int64_t repository_id, std::int64_t run_id,
                           const std::vector<std::string>& paths,
                           const ScanStore::FileHook& hook = nullptr);
Result<std::vector<FileFacts>> LoadFactsFrom(store::Reader& db, std::int64_t repository_id);
// Sorted, as ReplaceRelationships compares them.
Result<std::vector<Relationship>> LoadRelationshipsFrom(store::Reader& db,
                                                        std::int64_t repository_id);

// What ReplaceRelationships changes: both sorted.
struct RelationshipDiff {
  std::vector<Relationship> removed;
  std::vector<Relationship> added;
  bool changed() const { return !removed.empty() || !added.empty(); }
};
// `stored` and `wanted` sorted.
RelationshipDiff DiffRelationships(const std::vector<Relationship>& stored,
                                   const std::vector<Relationship>& wanted);
// Applies `diff` and emits the "relationships" event of `run_id` (content
// "run-N"; "undo-N" with `undo`, so a target that applied the run's graph
// applies the restored one too instead of skipping the same content).
Result<void> ApplyRelationshipDiff(store::Tx& tx, std::int64_t repository_id, std::int64_t run_id,
                                   const RelationshipDiff& diff, bool undo = false);

}  // namespace docrunch::scan
