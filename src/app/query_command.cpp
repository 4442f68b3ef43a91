// docrunch query TEXT [--limit N] [--scope docs|reports|all] [--format text|json|markdown]
//                     [--explain]
// docrunch export-graph [--view structure|dependencies|components|database] [--output F]
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/commands.h"
#include "app/sync_runner.h"
#include "core/files.h"
#include "scan/graph_view.h"
#include "scan/scan_store.h"
#include "search/search.h"
#include "search/traces.h"

namespace docrunch::app {
namespace {

struct QueryFlags {
  std::string text;
  int limit = 10;
  std::string scope = "all";
  std::string format = "text";
  bool explain = false;
};

// "bm25 4.21 · coverage 1.00 · graph 1.02 · matched url, quot in name, body".
std::string Explanation(const search::SearchResult& r) {
  std::ostringstream out;
  out.precision(3);
  if (r.engine != "index") return "answered by the database's full-text search (no signals)";
  bool first = true;
  for (const auto& [signal, value] : r.signals) {
    out << (first ? "" : " · ") << signal << " " << value;
    first = false;
  }
  if (!r.matched_terms.empty()) {
    out << (first ? "" : " · ") << "matched";
    for (std::size_t i = 0; i < r.matched_terms.size(); ++i)
      out << (i ? ", " : " ") << r.matched_terms[i];
    if (!r.matched_fields.empty()) {
      out << " in";
      for (std::size_t i = 0; i < r.matched_fields.size(); ++i)
        out << (i ? ", " : " ") << r.matched_fields[i];
    }
  }
  return out.str();
}

std::string Location(const search::SearchResult& r) {
  if (!r.file_path) return "";
  return *r.file_path + (r.line_number ? ":" + std::to_string(*r.line_number) : "");
}

Result<void> RunQuery(AppContext& ctx, const QueryFlags& flags) {
  if (flags.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return MakeError(ErrorCode::kUsage, "text must not be empty: say what to look for");
  }
  if (flags.limit < 1 || flags.limit > 1000) {
    return MakeError(ErrorCode::kUsage, "--limit must be between 1 and 1000");
  }
  auto store = ctx.Store();
  if (!store) return store.error();
  auto repo = ProjectRepository(ctx, **store);
  if (!repo) return repo.error();
  search::Scope scope = flags.scope == "docs"      ? search::Scope::kDocs
                        : flags.scope == "reports" ? search::Scope::kReports
                                                   : search::Scope::kAll;
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  search::SearchOptions options;
  options.embedder = ConfiguredEmbedder((*loaded)->config);
  options.explain = flags.explain;
  // The trace is written by the log's own thread; the log's destructor
  // (after the answer is printed) waits for it.
  search::TraceLog traces(**store);
  auto results =
      search::TracedSearch(**store, *repo, flags.text, flags.limit, scope, options, &traces, "cli");
  if (!results) return results.error();
  std::ostringstream out;
  if (flags.format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : *results) list.push_back(search::ToJson(r, flags.explain));
    out << list.dump(2);
  } else if (flags.format == "markdown") {
    out << "# Results for \"" << flags.text << "\"\n";
    int n = 0;
    for (const auto& r : *results) {
      out << "\n## " << ++n << ". `" << r.title << "` (" << r.type
          << (r.deprecated ? ", deprecated" : "") << ")\n\n";
      if (r.file_path) out << "`" << Location(r) << "` · score " << r.score << "\n\n";
      out << "```\n" << r.content << "\n```\n";
      if (flags.explain) out << "\n" << Explanation(r) << "\n";
    }
    if (results->empty()) out << "\nNo results.\n";
  } else {
    int n = 0;
    for (const auto& r : *results) {
      out << ++n << ". [" << r.type << (r.deprecated ? ", deprecated" : "") << "] " << r.title
          << "  " << Location(r) << "  (score " << r.score << ")\n";
      std::string first = r.content.substr(0, r.content.find('\n'));
      if (!first.empty()) out << "   " << first << "\n";
      if (flags.explain) out << "   why: " << Explanation(r) << "\n";
    }
    if (results->empty()) out << "No results for \"" << flags.text << "\".\n";
  }
  Print(out.str());
  return Ok();
}

// Where export-graph may write: a new file, or one an earlier export wrote
// (a JSON object with view, nodes and edges). Not a link, a device or a
// FIFO (replaced by a plain file, their target never written), not Docrunch's
// own folder (the database, the config), not any other file (a source file
// mistyped as the output). INVALID_PARAMS naming --output.
Result<void> CheckGraphOutput(const std::filesystem::path& project_root,
                              const std::string& output) {
  namespace fs = std::filesystem;
  auto refuse = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidParams, "--output " + output + ": " + why);
  };
  std::error_code ec;
  const fs::path path = fs::absolute(output, ec).lexically_normal();
  const fs::path own = fs::weakly_canonical(project_root / ".docrunch", ec);
  const fs::path below = fs::weakly_canonical(path, ec).lexically_relative(own);
  if (!below.empty() && *below.begin() != "..") {
    return refuse("is inside " + own.string() + ", which holds Docrunch's database and config");
  }
  const fs::file_status link = fs::symlink_status(path, ec);
  if (!fs::exists(link)) return Ok();
  if (fs::is_symlink(link)) return refuse("is a symbolic link: name the file itself");
  if (!fs::is_regular_file(link)) return refuse("is not a regular file");
  auto text = ReadFileText(path);
  nlohmann::json previous;
  if (text) previous = nlohmann::json::parse(*text, nullptr, false);
  const bool graph = previous.is_object() && previous.contains("view") &&
                     previous.contains("nodes") && previous.contains("edges");
  if (!graph) {
    return refuse(
        "exists and is not a graph an earlier export wrote; remove it or choose "
        "another file");
  }
  return Ok();
}

Result<void> RunExportGraph(AppContext& ctx, const std::string& view, const std::string& output) {
  if (!output.empty()) {
    auto loaded = ctx.Config();
    if (!loaded) return loaded.error();
    DOCRUNCH_TRY(CheckGraphOutput((*loaded)->project_root, output));
  }
  auto store = ctx.Store();
  if (!store) return store.error();
  auto repo = ProjectRepository(ctx, **store);
  if (!repo) return repo.error();
  auto graph = scan::GraphView(**store, *repo, view);
  if (!graph) return graph.error();
  std::string text = graph->dump(2) + "\n";
  if (output.empty()) {
    Print(text);
    return Ok();
  }
  DOCRUNCH_TRY(WriteFileAtomic(output, text));
  Print("wrote " + output + " (" + std::to_string((*graph)["nodes"].size()) + " nodes, " +
        std::to_string((*graph)["edges"].size()) + " edges)");
  return Ok();
}

}  // namespace

Result<std::int64_t> ProjectRepository(AppContext& ctx, store::Store& store) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  std::error_code ec;
  std::string root = std::filesystem::canonical((*loaded)->project_root, ec).string();
  auto rows = store.Query("SELECT id FROM repositories WHERE root_path = $1", {root});
  if (!rows) return rows.error();
  if (rows->empty()) {
    // `docrunch scan OTHER_PATH` in a project that holds only that scan.
    rows = store.Query("SELECT id FROM repositories");
    if (!rows) return rows.error();
    if (rows->size() == 1) return *rows->Int(0, "id");
  }
  if (rows->empty() || rows->size() > 1) {
    return MakeError(ErrorCode::kStorageNotFound,
                     root + " has not been scanned yet: run `docrunch scan` first");
  }
  return *rows->Int(0, "id");
}

void RegisterQuery(CLI::App& app, AppContext& ctx, Action& action) {
  auto flags = std::make_shared<QueryFlags>();
  CLI::App* cmd = app.add_subcommand("query", "Search the knowledge base (code, docs and reports)");
  cmd->add_option("text", flags->text, "What to look for")->required();
  cmd->add_option("--limit", flags->limit, "Results to show (default 10)");
  cmd->add_option("--scope", flags->scope, "docs, reports or all (default)")
      ->check(CLI::IsMember({"docs", "reports", "all"}));
  cmd->add_option("--format", flags->format, "text (default), json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  cmd->add_flag("--explain", flags->explain,
                "Show why each result ranks: each signal's score and the matched terms and fields");
  cmd->callback(
      [&ctx, &action, flags] { action = [&ctx, flags] { return RunQuery(ctx, *flags); }; });

  auto graph = std::make_shared<std::pair<std::string, std::string>>("dependencies", "");
  CLI::App* exp = app.add_subcommand("export-graph", "Write the repository graph as JSON");
  exp->add_option("--view", graph->first,
                  "structure, dependencies (default), components or database")
      ->check(CLI::IsMember({"structure", "dependencies", "components", "database"}));
  exp->add_option("--output", graph->second, "File to write (default: stdout)");
  exp->callback([&ctx, &action, graph] {
    action = [&ctx, graph] { return RunExportGraph(ctx, graph->first, graph->second); };
  });
}

}  // namespace docrunch::app
