// The scan pipeline as the CLI runs it (`scan`, `watch`, offline scans):
// configuration -> walker options, the tree-sitter parser, then the sync
// worker drained in-process to bring the search index and Markdown up to date.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "app/context.h"
#include "scan/parser/parser.h"
#include "scan/scan_service.h"

namespace docrunch::app {

struct ScanRequest {
  std::filesystem::path root;         // the repository to scan
  std::filesystem::path docs_output;  // where Markdown goes; empty: no docs
  std::string project_name;
  bool full = false;
  std::function<void(std::size_t done, std::size_t total)> progress;
  // Set by a signal handler: the scan, or the drain after it, stops between
  // two batches and RunScan returns INTERRUPTED. Not owned; may be null.
  const std::atomic<bool>* stop = nullptr;
};

struct ScanOutcome {
  scan::ScanSummary summary;
  int pages_changed = 0;
  int pages_total = 0;
  std::string docs_error;  // Markdown could not be written (the scan itself succeeded)
  // The drain's wall time. Its targets' own times are steps of the summary
  // (index, markdown); they may overlap, the Markdown rendering beside the
  // index's transaction.
  std::chrono::milliseconds sync_time{0};
};

// `path` as given, or under `base` when relative.
std::filesystem::path ResolveAgainst(const std::filesystem::path& base, const std::string& path);

// The scan's parse function over `parser` (which must outlive it): a file
// the parser gives up on becomes a PARSE_FAILED diagnostic.
scan::ParseFunction ParseWith(const scan::Parser& parser);

// Walker options from the configuration (ignore rules, languages, limits).
scan::WalkOptions WalkOptionsFor(const config::Config& config, const std::filesystem::path& root);

// Scans into `store`, then applies the scan's outbox events to the
// configured targets (and regenerates missing docs).
Result<ScanOutcome> RunScan(store::Store& store, const config::Config& config,
                            const ScanRequest& request);

}  // namespace docrunch::app
