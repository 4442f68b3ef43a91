// What Docrunch knows about the code and the team's decisions: search,
// modules, functions, decisions, findings and the repository graph.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "api/routes.h"
#include "api/schemas.h"
#include "docs/code_pages.h"
#include "scan/graph_view.h"
#include "scan/model.h"
#include "search/hits.h"
#include "search/search.h"
#include "search/traces.h"
#include "tasks/records.h"
#include "tasks/task_json.h"

namespace docrunch::api {
namespace {

using namespace schema;

json SearchItem() {
  return Object({{"id", Str()},
                 {"type", Str("function, class, module, report, decision, finding, task, ...")},
                 {"title", Str()},
                 {"content", Str("a snippet")},
                 {"score", Num()},
                 {"file_path", Nullable(Str())},
                 {"line_number", Nullable(Int("", 0, 1LL << 31))},
                 {"engine", Enum({"index", "fulltext"})},
                 {"deprecated", Bool("present and true when the symbol, its module or its "
                                     "package is marked deprecated (ranked lower)")},
                 {"signature", Str("a code hit's one-line signature; \"\" for others")},
                 {"summary", Str("the first sentence of its documentation or body; may be \"\"")},
                 {"matched", AnyObject("why it matched: {field: [query terms]}, fields among "
                                       "name, qualified_name, signature, docstring, path, "
                                       "names, title, body")}},
                {"id", "type", "title", "content", "score", "file_path", "line_number", "engine",
                 "signature", "summary", "matched"});
}

json FunctionItem() {
  return Object({{"kind", Str("function, method, class, component, schema, ...")},
                 {"name", Str()},
                 {"qualified_name", Str()},
                 {"file_path", Str()},
                 {"line", Int("", 0, 1LL << 31)},
                 {"end_line", Int("", 0, 1LL << 31)},
                 {"location", Str("file_path:line")},
                 {"signature", Str()},
                 {"docstring", Str()},
                 {"deprecated", Bool("marked deprecated: by its own doc or body, its module, "
                                     "or a package above it")}},
                {"kind", "name", "qualified_name", "file_path", "line", "end_line", "location",
                 "signature", "docstring", "deprecated"});
}

json ModuleItem() {
  return Object({{"name", Str("the folder, relative to the repository")},
                 {"files", Int("", 0, 1LL << 31)},
                 {"languages", AnyObject("files per language")}},
                {"name", "files", "languages"});
}

std::string ModuleOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// Modules (folders holding files) with their file counts per language.
Result<std::map<std::string, json>> LoadModules(ApiServices& s) {
  auto rows = s.store->Query(
      "SELECT path, language FROM files WHERE repository_id = $1 ORDER BY path", {s.repository_id});
  if (!rows) return rows.error();
  std::map<std::string, json> modules;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    std::string path = rows->Text(i, "path").value_or("");
    std::string language = rows->Text(i, "language").value_or("");
    json& m = modules[ModuleOf(path)];
    if (m.is_null()) m = json{{"files", 0}, {"languages", json::object()}};
    m["files"] = m["files"].get<int>() + 1;
    m["languages"][language] = m["languages"].value(language, 0) + 1;
  }
  return modules;
}

// A generated page, or "" when it is not on disk.
std::string ReadDocsPage(const std::filesystem::path& root, const std::string& relative) {
  std::ifstream in(root / relative, std::ios::binary);
  if (!in) return "";
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

void AddKnowledgeRoutes(Routes& routes, ApiServices& s) {
  routes.push_back(
      {"GET", "/search", Access::kReader, "knowledge",
       "Search the knowledge base: code-aware tokens, names over bodies, a graph prior; the "
       "database's full-text search while the index is behind",
       Object({{"q", Str("the query text", 500)},
               {"limit", Int("results (default 10)", 1, 100)},
               {"scope", Enum({"docs", "reports", "all"})}},
              {"q"}),
       nullptr,
       Object({{"query", Str()},
               {"results", Array(SearchItem())},
               {"trace_id",
                Nullable(Str("GET /queries/trace/{id}; null when searches are not traced"))}},
              {"query", "results", "trace_id"}),
       200, [&s](Call& call) -> Result<json> {
         std::string query = call.query["q"];
         int limit = call.query.value("limit", 10);
         std::string scope_name = call.query.value("scope", "all");
         search::Scope scope = scope_name == "docs"      ? search::Scope::kDocs
                               : scope_name == "reports" ? search::Scope::kReports
                                                         : search::Scope::kAll;
         std::string trace;
         auto results =
             search::TracedSearch(*s.store, s.repository_id, query, limit, scope, s.search,
                                  s.traces, "rest:" + call.caller.name, &trace);
         if (!results) return results.error();
         json list = json::array();
         const std::vector<std::string> terms = search::QueryTerms(query);
         for (const auto& r : *results) list.push_back(search::ToJsonWithMatch(r, terms));
         return json{{"query", query},
                     {"results", std::move(list)},
                     {"trace_id", trace.empty() ? json(nullptr) : json(trace)}};
       }});
  routes.push_back(
      {"GET", "/modules", Access::kReader, "knowledge",
       "The repository's modules (folders with files), by name", PageQuery(), nullptr,
       Page(ModuleItem()), 200, [&s](Call& call) -> Result<json> {
         auto page = ReadPage(call);
         if (!page) return page.error();
         auto modules = LoadModules(s);
         if (!modules) return modules.error();
         json items = json::array();
         for (auto& [name, m] : *modules) {
           items.push_back({{"name", name}, {"files", m["files"]}, {"languages", m["languages"]}});
         }
         return MakePage(std::move(items), *page);
       }});
  routes.push_back(
      {"GET", "/modules/{name}", Access::kReader, "knowledge",
       "One module (its name percent-encoded: src%2Fapi): files and its generated Markdown page",
       json::object(), nullptr,
       Object(
           {{"name", Str()},
            {"files",
             Array(Object({{"path", Str()}, {"language", Str()}, {"size", Int("", 0, 1LL << 50)}},
                          {"path", "language", "size"}))},
            {"markdown", Nullable(Str("the generated page, null before the first render"))}},
           {"name", "files", "markdown"}),
       200, [&s](Call& call) -> Result<json> {
         const std::string& name = call.params.at("name");
         auto rows = s.store->Query(
             "SELECT path, language, size FROM files WHERE repository_id = $1 ORDER BY path",
             {s.repository_id});
         if (!rows) return rows.error();
         json files = json::array();
         for (std::size_t i = 0; i < rows->size(); ++i) {
           std::string path = rows->Text(i, "path").value_or("");
           if (ModuleOf(path) != name) continue;
           files.push_back({{"path", path},
                            {"language", rows->Text(i, "language").value_or("")},
                            {"size", rows->Int(i, "size").value_or(0)}});
         }
         if (files.empty()) {
           return MakeError(
               ErrorCode::kStorageNotFound,
               "module " + name.substr(0, 200) + " not found (GET /api/modules lists them)");
         }
         // The slug is built from the stored name only (never a client's
         // path): ModuleSlug keeps it inside modules/.
         std::string page = ReadDocsPage(s.docs_root, "modules/" + docs::ModuleSlug(name) + ".md");
         return json{{"name", name},
                     {"files", std::move(files)},
                     {"markdown", page.empty() ? json(nullptr) : json(page)}};
       }});
  routes.push_back(
      {"GET", "/functions", Access::kReader, "knowledge",
       "Functions, methods and classes with their docs and file:line, filtered by module, file "
       "or name",
       PageQuery({{"module", Str("a module name", 1000)},
                  {"path", Str("a file path", 1000)},
                  {"name", Str("a name or qualified name (exact)", 500)},
                  {"kind", Str("function, method, class, component, schema, ...", 32)}}),
       nullptr, Page(FunctionItem()), 200, [&s](Call& call) -> Result<json> {
         auto page = ReadPage(call);
         if (!page) return page.error();
         std::string sql =
             "SELECT s.kind, s.name, s.qualified_name, f.path, s.start_line, s.end_line, "
             "s.signature, s.docstring, s.deprecated, f.deprecated AS file_deprecated "
             "FROM symbols s JOIN files f ON f.id = s.file_id WHERE s.repository_id = $1";
         store::Params params{s.repository_id};
         auto add = [&](const std::string& clause, const std::string& value) {
           params.push_back(value);
           sql += " AND " + clause + " = $" + std::to_string(params.size());
         };
         if (call.query.contains("path")) add("f.path", call.query["path"]);
         if (call.query.contains("kind")) add("s.kind", call.query["kind"]);
         if (call.query.contains("name")) {
           params.push_back(call.query["name"].get<std::string>());
           std::string n = "$" + std::to_string(params.size());
           sql += " AND (s.name = " + n + " OR s.qualified_name = " + n + ")";
         }
         sql += " ORDER BY f.path, s.start_line, s.qualified_name";
         auto rows = s.store->Query(sql, params);
         if (!rows) return rows.error();
         auto folders = search::DeprecatedFolders(*s.store, s.repository_id);
         if (!folders) return folders.error();
         std::string module = call.query.value("module", "");
         json items = json::array();
         for (std::size_t i = 0; i < rows->size(); ++i) {
           std::string path = rows->Text(i, "path").value_or("");
           if (!module.empty() && ModuleOf(path) != module) continue;
           auto line = rows->Int(i, "start_line").value_or(0);
           items.push_back({{"kind", rows->Text(i, "kind").value_or("")},
                            {"name", rows->Text(i, "name").value_or("")},
                            {"qualified_name", rows->Text(i, "qualified_name").value_or("")},
                            {"file_path", path},
                            {"line", line},
                            {"end_line", rows->Int(i, "end_line").value_or(0)},
                            {"location", path + ":" + std::to_string(line)},
                            {"signature", rows->Text(i, "signature").value_or("")},
                            {"docstring", rows->Text(i, "docstring").value_or("")},
                            {"deprecated", rows->Int(i, "deprecated").value_or(0) != 0 ||
                                               rows->Int(i, "file_deprecated").value_or(0) != 0 ||
                                               scan::UnderAnyFolder(path, *folders)}});
         }
         return MakePage(std::move(items), *page);
       }});
  routes.push_back({"GET", "/decisions", Access::kReader, "knowledge",
                    "Architecture decisions (adr-NNN), oldest first", PageQuery(), nullptr,
                    Page(AnyObject("a decision")), 200, [&s](Call& call) -> Result<json> {
                      auto page = ReadPage(call);
                      if (!page) return page.error();
                      auto list = tasks::LoadDecisions(*s.store, s.repository_id, std::nullopt);
                      if (!list) return list.error();
                      json items = json::array();
                      for (const auto& d : *list) items.push_back(tasks::ToJson(d));
                      return MakePage(std::move(items), *page);
                    }});
  routes.push_back({"GET", "/decisions/{id}", Access::kReader, "knowledge",
                    "One decision (adr-7 or adr-007)", json::object(), nullptr,
                    AnyObject("a decision"), 200, [&s](Call& call) -> Result<json> {
                      auto number = tasks::ParseDecisionId(call.params.at("id"), "id");
                      if (!number) return MakeError(ErrorCode::kUsage, number.error().message);
                      auto list = tasks::LoadDecisions(*s.store, s.repository_id, std::nullopt);
                      if (!list) return list.error();
                      for (const auto& d : *list) {
                        if (d.number == *number) return tasks::ToJson(d);
                      }
                      return MakeError(ErrorCode::kStorageNotFound,
                                       "decision " + call.params.at("id") + " not found");
                    }});
  routes.push_back(
      {"POST", "/decisions", Access::kAgent, "reports",
       "Record an architecture decision as yourself (optionally on a task)", json::object(),
       Object({{"title", Str("", 500)},
               {"context", Str("", 64 * 1024)},
               {"decision", Str("", 64 * 1024)},
               {"rationale", Str("", 64 * 1024)},
               {"task_id", Str("a task id", 32)}},
              {"title", "context", "decision", "rationale"}),
       AnyObject("the decision"), 201, [&s](Call& call) -> Result<json> {
         json report = call.body;
         report["created_by"] = call.caller.name;
         report["created_at"] =
             FormatIso8601(s.clock ? s.clock->Now() : std::chrono::system_clock::now());
         auto parsed = tasks::ParseDecisionReport(report);
         if (!parsed) return parsed.error();
         auto decision = s.tasks->RecordDecision(*parsed);
         if (!decision) return decision.error();
         return tasks::ToJson(*decision);
       }});
  routes.push_back({"GET", "/findings", Access::kReader, "knowledge",
                    "Findings agents logged, oldest first, filtered by task or type",
                    PageQuery({{"task_id", Str("a task id", 32)},
                               {"type", Enum({"bug", "improvement", "question", "blocker"})}}),
                    nullptr, Page(AnyObject("a finding")), 200, [&s](Call& call) -> Result<json> {
                      auto page = ReadPage(call);
                      if (!page) return page.error();
                      std::optional<std::int64_t> task;
                      if (call.query.contains("task_id")) {
                        auto id =
                            tasks::ParseTaskId(call.query["task_id"].get<std::string>(), "task_id");
                        if (!id) return MakeError(ErrorCode::kUsage, id.error().message);
                        task = *id;
                      }
                      auto list = tasks::LoadRepositoryFindings(*s.store, s.repository_id);
                      if (!list) return list.error();
                      json items = json::array();
                      for (const auto& f : *list) {
                        if (task && f.task_id != task) continue;
                        if (call.query.contains("type") && f.type != call.query["type"]) continue;
                        items.push_back(tasks::ToJson(f));
                      }
                      return MakePage(std::move(items), *page);
                    }});
  routes.push_back(
      {"GET", "/graph", Access::kReader, "knowledge",
       "The repository graph for visualizers (what export-graph writes)",
       Object({{"view", Enum({"structure", "dependencies", "components", "database"})}}), nullptr,
       Object({{"view", Str()},
               {"nodes", Array(Object({{"id", Str()}, {"label", Str()}, {"type", Str()}},
                                      {"id", "label", "type"}))},
               {"edges", Array(Object({{"source", Str()}, {"target", Str()}, {"type", Str()}},
                                      {"source", "target", "type"}))}},
              {"view", "nodes", "edges"}),
       200,
       [&s](Call& call) -> Result<json> {
         return scan::GraphView(*s.store, s.repository_id, call.query.value("view", "structure"));
       },
       // Megabytes for a big repository, the same for every reader until
       // the next scan: kept, and gzipped for browsers.
       /*cached=*/true});
}

}  // namespace docrunch::api
