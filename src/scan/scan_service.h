// One scan of a repository: walk, parse what changed, store it with its
// outbox events, re-analyze relationships, and report a summary.
//
// Incremental by default: files whose size and mtime are unchanged are not
// read; files whose content hash is unchanged are not parsed; a rescan with
// nothing changed writes nothing but its scan_runs row. `full` re-reads and
// re-parses everything. Deleted files are removed with delete events.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "scan/model.h"
#include "scan/walker.h"
#include "store/store.h"

namespace docrunch::scan {

// Parses one file's content; must be safe to call from several threads.
using ParseFunction = std::function<ParsedFile(Language language, std::string_view content)>;

// Extra writes made inside the transaction that stores a batch of files
// (the search index uses it): `path`, what it parsed into (nullptr when the
// file was deleted).
using IndexHook = std::function<Result<void>(store::Tx& tx, std::int64_t repository_id,
                                             const std::string& path, const ParsedFile* parsed)>;

struct ScanOptions {
  std::filesystem::path root;
  bool full = false;
  WalkOptions walk;  // ignore rules, languages, size limit, workers
  ParseFunction parse;
  IndexHook index;
  // Called from the scanning thread as files are parsed: (done, total).
  std::function<void(std::size_t done, std::size_t total)> progress;
  // Once true (a signal handler sets it), the scan stops after the batch
  // it is storing: what was stored stays, the run is recorded as failed
  // and Scan returns INTERRUPTED. Not owned; may be null.
  const std::atomic<bool>* stop = nullptr;
};

struct FileProblem {
  std::string path;
  std::string code;  // SCAN_* or PARSE_*
  std::string message;
  int line = 0;
};

struct ScanSummary {
  std::int64_t repository_id = 0;
  std::int64_t scan_run_id = 0;
  bool full = false;
  std::size_t files = 0;         // files in the repository after the scan
  std::size_t files_parsed = 0;  // new or changed, parsed this time
  std::size_t files_deleted = 0;
  std::size_t files_unchanged = 0;
  std::map<std::string, std::size_t> files_by_language;
  std::size_t functions = 0, methods = 0, classes = 0, components = 0, schemas = 0;
  std::size_t imports = 0, relationships = 0, modules = 0;
  std::size_t unsupported_files = 0;  // skipped: no parser for their language
  std::size_t binary_files = 0;       // skipped: binary content (NUL bytes) under a source name
  std::vector<FileProblem> problems;  // per-file scan and parse errors
  bool changed = false;               // anything written besides the scan run
  std::chrono::milliseconds duration{0};
  // Where the time went, in order: walk, parse (what the writer waited for
  // the parsers, which run beside it), store, analyze; the caller adds the
  // sync targets' (index, markdown) and sets `duration` to the whole
  // command's.
  std::vector<std::pair<std::string, std::chrono::milliseconds>> steps;
};

nlohmann::json SummaryToJson(const ScanSummary& summary);
std::string SummaryToText(const ScanSummary& summary);

class ScanService {
 public:
  explicit ScanService(store::Store& store) : store_(store) {}

  // Errors: INVALID_PARAMS for a root that is not a folder; storage errors.
  // Per-file problems are not errors: they are listed in the summary.
  Result<ScanSummary> Scan(const ScanOptions& options);

 private:
  store::Store& store_;
};

}  // namespace docrunch::scan
