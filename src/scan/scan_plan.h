// The parts of a scan that ScanService (inline) and the scan steps of the
// RepoScanWorkflow (scan/scan_steps.h) share.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "scan/scan_service.h"
#include "scan/scan_store.h"
#include "scan/walker.h"
#include "store/store.h"

namespace docrunch::scan {

// What a scan starts from: the repository's row and stored files, and the
// walk of its tree.
struct ScanStart {
  std::filesystem::path root;  // canonical
  std::int64_t repository_id = 0;
  std::map<std::string, StoredFile> stored;
  WalkResult walk;
  bool previous_completed = true;  // the last scan run completed (or there is none)
};

// Checks options.root (INVALID_PARAMS naming it when it is not a folder),
// finds or makes the repository row, walks the tree (reusing stored hashes
// unless options.full) and closes the runs of killed scans.
Result<ScanStart> StartScan(store::Store& store, const ScanOptions& options);

// What a scan does to each walked and stored file.
struct Plan {
  std::vector<const WalkedFile*> to_parse;  // into the walk's files
  std::vector<FileRecord> touched;          // same content, new size/mtime
  std::vector<std::string> deleted;
  std::size_t unchanged = 0;
};

// Files to parse: new, changed (or all with `full`); stored files the walk
// no longer saw are deleted, unless the walk could not look where they are.
Plan MakePlan(const WalkResult& walk, const std::map<std::string, StoredFile>& stored, bool full);

// Adds to `summary` the parse diagnostics stored for the files `plan`
// leaves as they are (an unchanged file that failed to parse still fails).
Result<void> AddStoredDiagnostics(store::Reader& store, std::int64_t repository_id,
                                  const Plan& plan, ScanSummary& summary);

// Fills the summary's counts (files by language, symbols by kind, imports,
// relationships, modules) from what is stored.
Result<void> CountStored(store::Reader& store, std::int64_t repository_id, ScanSummary& summary);

}  // namespace docrunch::scan
