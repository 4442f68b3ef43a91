// The scan pipeline as the CLI runs it (`scan`, `watch`, offline scans):
// configuration -> walker options, the tree-sitter parser, the search index
// written with each batch, and the Markdown projection afterwards.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "app/context.h"
#include "scan/scan_service.h"

namespace docrunch::app {

struct ScanRequest {
  std::filesystem::path root;         // the repository to scan
  std::filesystem::path docs_output;  // where Markdown goes; empty: no docs
  std::string project_name;
  bool full = false;
  std::function<void(std::size_t done, std::size_t total)> progress;
};

struct ScanOutcome {
  scan::ScanSummary summary;
  int pages_changed = 0;
  int pages_total = 0;
  std::string docs_error;  // Markdown could not be written (the scan itself succeeded)
};

// Walker options from the configuration (ignore rules, languages, limits).
scan::WalkOptions WalkOptionsFor(const config::Config& config, const std::filesystem::path& root);

// Scans into `store` and regenerates the docs when anything changed or
// they do not exist yet.
Result<ScanOutcome> RunScan(store::Store& store, const config::Config& config,
                            const ScanRequest& request);

}  // namespace docrunch::app
