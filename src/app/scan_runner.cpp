#include "app/scan_runner.h"

#include "docs/code_pages.h"
#include "scan/parser/parser.h"
#include "search/search.h"

namespace docrunch::app {

scan::WalkOptions WalkOptionsFor(const config::Config& config, const std::filesystem::path& root) {
  scan::WalkOptions options;
  options.ignore.patterns = config.scanning.ignore;
  options.ignore.ignore_file = root / ".docrunch" / "ignore.yaml";
  for (const auto& name : config.scanning.languages) {
    // "jsx" is JavaScript to the parser; the config names it for people.
    scan::Language language = scan::LanguageForPath(name == "jsx" ? "x.jsx" : "x." + name);
    for (int l = 0; l <= static_cast<int>(scan::Language::kSql); ++l) {
      if (scan::LanguageName(static_cast<scan::Language>(l)) == name) {
        language = static_cast<scan::Language>(l);
      }
    }
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
  options.parse = [&parser](scan::Language language, std::string_view content) {
    auto parsed = parser.Parse(language, content);
    if (parsed) return std::move(*parsed);
    scan::ParsedFile failed;
    failed.language = language;
    failed.diagnostics.push_back({"PARSE_FAILED", parsed.error().message, 0});
    return failed;
  };
  options.index = [](store::Tx& tx, std::int64_t repo, const std::string& path,
                     const scan::ParsedFile* parsed) -> Result<void> {
    if (!parsed) return search::RemoveFile(tx, repo, path);
    return search::IndexFile(tx, repo, path, *parsed);
  };
  options.progress = request.progress;

  scan::ScanService service(store);
  auto summary = service.Scan(options);
  if (!summary) return summary.error();
  ScanOutcome outcome{std::move(*summary)};
  if (request.docs_output.empty()) return outcome;

  std::error_code ec;
  bool docs_missing = !std::filesystem::exists(request.docs_output / "index.md", ec);
  if (outcome.summary.changed || docs_missing) {
    docs::DocWriter writer(request.docs_output);
    docs::CodeDocsProjection projection(writer, outcome.summary.repository_id,
                                        request.project_name);
    // A docs folder that cannot be written does not fail the scan: the
    // database holds the truth and the pages can be rebuilt.
    if (auto built = projection.Rebuild(store); !built) {
      outcome.docs_error = built.error().ToString();
    }
    outcome.pages_changed = projection.pages_changed();
    outcome.pages_total = projection.pages_total();
  }
  return outcome;
}

}  // namespace docrunch::app
