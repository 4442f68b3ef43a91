#include "app/scan_runner.h"

#include "app/sync_runner.h"
#include "docs/doc_writer.h"
#include "scan/parser/parser.h"

namespace docrunch::app {

std::filesystem::path ResolveAgainst(const std::filesystem::path& base, const std::string& path) {
  std::filesystem::path p(path);
  return (p.is_relative() ? base / p : p).lexically_normal();
}

scan::ParseFunction ParseWith(const scan::Parser& parser) {
  return [&parser](scan::Language language, std::string_view content) {
    auto parsed = parser.Parse(language, content);
    if (parsed) return std::move(*parsed);
    scan::ParsedFile failed;
    failed.language = language;
    failed.diagnostics.push_back({"PARSE_FAILED", parsed.error().message, 0});
    return failed;
  };
}

scan::WalkOptions WalkOptionsFor(const config::Config& config, const std::filesystem::path& root) {
  scan::WalkOptions options;
  options.ignore.patterns = config.scanning.ignore;
  options.ignore.ignore_file = root / ".docrunch" / "ignore.yaml";
  for (const auto& name : config.scanning.languages) {
    // "jsx" is JavaScript to the parser; the config names it for people.
    scan::Language language =
        name == "jsx" ? scan::Language::kJavaScript : scan::LanguageNamed(name);
    if (language != scan::Language::kUnknown) options.languages.push_back(language);
  }
  options.max_file_size_kb = config.scanning.max_file_size_kb;
  options.parallel_workers = config.scanning.parallel_workers;
  return options;
}

Result<ScanOutcome> RunScan(store::Store& store, const config::Config& config,
                            const ScanRequest& request) {
  scan::Parser parser;
  scan::ScanOptions options;
  options.root = request.root;
  options.full = request.full;
  options.walk = WalkOptionsFor(config, request.root);
  options.parse = ParseWith(parser);
  options.progress = request.progress;
  options.stop = request.stop;

  std::error_code ec;
  if (!std::filesystem::is_directory(request.root, ec)) {
    // Checked before the docs folder is claimed: claiming creates it, and
    // with it a repository folder that was moved or deleted.
    return MakeError(ErrorCode::kInvalidParams, "repository path " + request.root.string() +
                                                    " does not exist or is not a folder");
  }
  if (!request.docs_output.empty()) {
    // Refused before anything is written: another repository's pages live there.
    DOCRUNCH_TRY(docs::ClaimDocsFolder(request.docs_output, request.root));
  }
  scan::ScanService service(store);
  auto summary = service.Scan(options);
  if (!summary) return summary.error();
  ScanOutcome outcome{std::move(*summary)};

  // The scan's outbox events reach the search index and the Markdown
  // through the sync worker, drained here in-process (embedded mode). A
  // docs folder that cannot be written does not fail the scan: the database
  // holds the truth, and the events retry.
  SyncSetup setup{outcome.summary.repository_id, request.docs_output, request.project_name,
                  /*repair_docs=*/true};
  const auto draining = std::chrono::steady_clock::now();
  auto drained = DrainSync(store, config, setup, request.stop);
  if (!drained) return drained.error();
  outcome.sync_time = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - draining);
  // The derived stores' share of the time: the index, the Markdown (and
  // LightRAG when configured), in that order.
  for (const char* target : {"index", "markdown", "lightrag"}) {
    auto spent = drained->stats.target_time.find(target);
    if (spent != drained->stats.target_time.end()) {
      outcome.summary.steps.emplace_back(target, spent->second);
    }
  }
  outcome.pages_changed = drained->pages_changed;
  outcome.pages_total = drained->pages_total;
  outcome.docs_error = drained->markdown_error;
  return outcome;
}

}  // namespace docrunch::app
