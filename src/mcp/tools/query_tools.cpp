// The read-only tools: search, components, relations, impact, tasks.
#include <algorithm>
#include <sstream>
#include <thread>

#include "core/fifo_gate.h"
#include "mcp/tools/tool_services.h"
#include "scan/graph.h"
#include "scan/scan_store.h"
#include "search/hits.h"
#include "search/search.h"
#include "search/traces.h"
#include "tasks/context_pack.h"
#include "tasks/task_json.h"

namespace docrunch::mcp {
namespace {

using namespace tool_util;

constexpr ToolAnnotations kReadOnly{.read_only = true, .destructive = false, .idempotent = true};

json TaskList(const std::vector<tasks::Task>& list) {
  json out = json::array();
  for (const auto& t : list) out.push_back(tasks::ToJson(t));
  return out;
}

std::string TaskLines(const std::vector<tasks::Task>& list) {
  if (list.empty()) return "No tasks.";
  std::ostringstream out;
  for (const auto& t : list) {
    out << t.IdText() << " [" << tasks::TaskStatusName(t.status) << ", " << t.priority << "] "
        << t.title << "\n";
  }
  return out.str();
}

json TaskListSchema() {
  return json{{"type", "object"},
              {"properties", {{"tasks", {{"type", "array"}, {"items", TaskSchema()}}}}},
              {"required", {"tasks"}}};
}

json EdgesJson(const std::vector<scan::Edge>& edges) {
  json out = json::array();
  for (const auto& e : edges) out.push_back({{"node", e.node}, {"type", e.type}});
  return out;
}

json EdgeListSchema() {
  return json{{"type", "array"},
              {"items",
               {{"type", "object"},
                {"properties", {{"node", {{"type", "string"}}}, {"type", {{"type", "string"}}}}},
                {"required", {"node", "type"}}}}};
}

// get_task's packed context (tasks::ToJson(PackedTask)).
json PackedContextSchema() {
  return json{
      {"type", "object"},
      {"properties",
       {{"items",
         {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"properties", {{"kind", {{"type", "string"}}}, {"relevance", {{"type", "number"}}}}},
            {"required", {"kind", "relevance"}}}}}},
        {"max_tokens", {{"type", "integer"}}},
        {"used_tokens", {{"type", "integer"}}},
        {"candidates", {{"type", "integer"}}},
        {"omitted", {{"type", "integer"}}},
        {"task_truncated", {{"type", "boolean"}}},
        {"estimate", {{"type", "string"}}}}},
      {"required", {"items", "max_tokens", "used_tokens", "task_truncated"}}};
}

// search_docs' answer (search::ToJson(HitView), see search/hits.h).
json SearchDocsSchema() {
  json terms_by_field = {
      {"type", "object"},
      {"additionalProperties", {{"type", "array"}, {"items", {{"type", "string"}}}}}};
  json hit = {{"type", "object"},
              {"properties",
               {{"rank", {{"type", "integer"}, {"minimum", 1}}},
                {"kind", {{"type", "string"}}},
                {"name", {{"type", "string"}}},
                {"line", {{"type", "integer"}}},
                {"signature", {{"type", "string"}}},
                {"summary", {{"type", "string"}}},
                {"matched", terms_by_field},
                {"also", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                {"also_more", {{"type", "integer"}}},
                {"deprecated", {{"type", "boolean"}}},
                {"score", {{"type", "number"}}},
                {"id", {{"type", "string"}}}}},
              {"required", {"rank", "kind", "matched", "score"}}};
  json group = {{"type", "object"},
                {"properties",
                 {{"path", {{"type", {"string", "null"}}}},
                  {"path_matched", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                  {"hits", {{"type", "array"}, {"items", hit}}}}},
                {"required", {"path", "hits"}}};
  return json{{"type", "object"},
              {"properties",
               {{"query", {{"type", "string"}}},
                {"engine", {{"type", "string"}, {"enum", {"index", "fulltext"}}}},
                {"hits", {{"type", "integer"}}},
                {"merged", {{"type", "integer"}}},
                {"groups", {{"type", "array"}, {"items", group}}}}},
              {"required", {"query", "engine", "hits", "merged", "groups"}}};
}

Result<scan::DependencyGraph> LoadGraph(ToolServices& s) {
  scan::ScanStore scans(*s.store);
  auto relationships = scans.LoadRelationships(s.repository_id);
  if (!relationships) return relationships.error();
  return scan::DependencyGraph(*relationships);
}

// Whether `node` is a stored file or symbol ("path#Qualified.name").
Result<bool> NodeExists(ToolServices& s, const std::string& node) {
  std::string file = scan::FileOfNode(node);
  auto rows = s.store->Query("SELECT 1 FROM files WHERE repository_id = $1 AND path = $2",
                             {s.repository_id, file});
  if (!rows) return rows.error();
  return !rows->empty();
}

ToolResult SearchDocs(ToolServices& s, ToolCall& call) {
  const json& a = call.arguments;
  std::string query = a["query"];
  int limit = a.value("limit", 10);
  std::string scope_name = a.value("scope", "all");
  search::Scope scope = scope_name == "docs"      ? search::Scope::kDocs
                        : scope_name == "reports" ? search::Scope::kReports
                                                  : search::Scope::kAll;
  call.rpc.Progress(0, 1, "searching");
  // Ranking and building the hits is CPU work: as many calls at a time as
  // there are cores, the others waiting in line (core/fifo_gate.h); at 32
  // clients on 2 cores this halved the p99 (docs/benchmarks.md). Progress
  // is sent and the query embedded (a network call, up to the endpoint's
  // timeout) outside: neither a slow client nor a slow endpoint may hold a
  // place.
  static FifoGate gate(std::max(1u, std::thread::hardware_concurrency()));
  search::SearchOptions options = s.search;
  if (options.embedder && options.query_vector.empty()) {
    auto embedded = options.embedder->Embed({query});
    // An unreachable endpoint leaves the lexical ranking, as in Search.
    if (embedded && !embedded->empty() && !embedded->front().empty()) {
      options.query_vector = std::move(embedded->front());
    } else {
      options.embedder = nullptr;
    }
  }
  ToolResult out;
  {
    FifoGate::Pass pass = gate.Enter();
    // Half as many again, so hits merged into a relative leave room for others.
    const int fetch = std::min(100, limit + (limit + 1) / 2);
    auto results = search::TracedSearch(*s.store, s.repository_id, query, fetch, scope, options,
                                        s.traces, "mcp:" + call.identity.agent_id);
    if (!results) return Failure(results.error());
    search::HitView view = search::ViewHits(*results, query, static_cast<std::size_t>(limit));
    out.structured = {{"query", query},
                      {"engine", results->empty() ? "index" : results->front().engine},
                      {"hits", view.hits},
                      {"merged", view.dropped},
                      {"groups", search::ToJson(view)}};
    out.text = view.hits == 0 ? "No results for \"" + query + "\"." : search::ToText(view);
  }
  call.rpc.Progress(1, 1, "done");
  return out;
}

ToolResult GetComponent(ToolServices& s, ToolCall& call) {
  std::string name = call.arguments["name"];
  auto rows = s.store->Query(
      "SELECT s.kind, s.name, s.qualified_name, f.path, s.start_line, s.end_line, s.signature, "
      "s.docstring, s.deprecated, f.deprecated AS file_deprecated FROM symbols s JOIN files f ON "
      "f.id = s.file_id WHERE s.repository_id = $1 "
      "AND (s.name = $2 OR s.qualified_name = $2) ORDER BY f.path, s.start_line LIMIT 50",
      {s.repository_id, name});
  if (!rows) return Failure(rows.error());
  auto files = s.store->Query(
      "SELECT path, language FROM files WHERE repository_id = $1 AND (path = $2 OR "
      "substr(path, 1, length($2) + 1) = $2 || '/') ORDER BY path LIMIT 200",
      {s.repository_id, name});
  if (!files) return Failure(files.error());
  if (rows->empty() && files->empty()) {
    return ToolResult::Failure("STORAGE_NOT_FOUND", "name: no symbol, file or module called '" +
                                                        name + "' (try search_docs)");
  }
  auto folders = search::DeprecatedFolders(*s.store, s.repository_id);
  if (!folders) return Failure(folders.error());
  json symbols = json::array();
  std::ostringstream text;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const bool deprecated = rows->Int(i, "deprecated").value_or(0) != 0 ||
                            rows->Int(i, "file_deprecated").value_or(0) != 0 ||
                            scan::UnderAnyFolder(rows->Text(i, "path").value_or(""), *folders);
    symbols.push_back({{"kind", rows->Text(i, "kind").value_or("")},
                       {"name", rows->Text(i, "name").value_or("")},
                       {"qualified_name", rows->Text(i, "qualified_name").value_or("")},
                       {"file_path", rows->Text(i, "path").value_or("")},
                       {"start_line", rows->Int(i, "start_line").value_or(0)},
                       {"end_line", rows->Int(i, "end_line").value_or(0)},
                       {"signature", rows->Text(i, "signature").value_or("")},
                       {"docstring", rows->Text(i, "docstring").value_or("")},
                       {"deprecated", deprecated}});
    text << rows->Text(i, "kind").value_or("") << " "
         << rows->Text(i, "qualified_name").value_or("") << "  "
         << rows->Text(i, "path").value_or("") << ":" << rows->Int(i, "start_line").value_or(0)
         << (deprecated ? "  (deprecated)" : "") << "\n";
    auto signature = rows->Text(i, "signature").value_or("");
    if (!signature.empty()) text << "  " << signature << "\n";
  }
  json file_list = json::array();
  for (std::size_t i = 0; i < files->size(); ++i) {
    file_list.push_back({{"path", files->Text(i, "path").value_or("")},
                         {"language", files->Text(i, "language").value_or("")}});
    text << "file " << files->Text(i, "path").value_or("") << "\n";
  }
  ToolResult out;
  out.structured = {{"name", name}, {"symbols", symbols}, {"files", file_list}};
  out.text = text.str();
  return out;
}

ToolResult GetRelations(ToolServices& s, ToolCall& call) {
  std::string path = call.arguments["path"];
  auto graph = LoadGraph(s);
  if (!graph) return Failure(graph.error());
  if (!graph->Contains(path)) {
    auto exists = NodeExists(s, path);
    if (!exists) return Failure(exists.error());
    if (!*exists) {
      return ToolResult::Failure("STORAGE_NOT_FOUND",
                                 "path: no file or symbol '" + path + "' in the last scan");
    }
  }
  auto deps = graph->Dependencies(path);
  auto dependents = graph->Dependents(path);
  std::ostringstream text;
  text << path << " depends on " << deps.size() << ", used by " << dependents.size() << "\n";
  for (const auto& e : deps) text << "  -> " << e.node << " (" << e.type << ")\n";
  for (const auto& e : dependents) text << "  <- " << e.node << " (" << e.type << ")\n";
  ToolResult out;
  out.structured = {
      {"node", path}, {"dependencies", EdgesJson(deps)}, {"dependents", EdgesJson(dependents)}};
  out.text = text.str();
  return out;
}

ToolResult GetImpact(ToolServices& s, ToolCall& call) {
  std::string node = call.arguments["path_or_symbol"];
  call.rpc.Progress(0, 2, "loading the relationship graph");
  auto graph = LoadGraph(s);
  if (!graph) return Failure(graph.error());
  if (!graph->Contains(node)) {
    auto exists = NodeExists(s, node);
    if (!exists) return Failure(exists.error());
    if (!*exists) {
      return ToolResult::Failure(
          "STORAGE_NOT_FOUND", "path_or_symbol: no file or symbol '" + node + "' in the last scan");
    }
  }
  call.rpc.Progress(1, 2, "computing the impact set");
  scan::ImpactSet impact = graph->Impact(node);
  call.rpc.Progress(2, 2, "done");
  std::ostringstream text;
  text << "Changing " << node << " may affect " << impact.files.size() << " files and "
       << impact.symbols.size() << " symbols\n";
  for (const auto& f : impact.files) text << "  " << f << "\n";
  ToolResult out;
  out.structured = {{"node", node}, {"files", impact.files}, {"symbols", impact.symbols}};
  out.text = text.str();
  return out;
}

}  // namespace

void AddQueryTools(Catalog& catalog, ToolServices& s) {
  json string_array = {{"type", "array"}, {"items", {{"type", "string"}}}};
  catalog.tools.push_back(
      {"search_docs", "Search the knowledge base",
       "Search the project's code knowledge (modules, functions, classes, schemas) and agent "
       "reports with code-aware matching. Use it first when you need to find where something "
       "lives or what is known about a topic. Hits come grouped by file, best first (rank): "
       "kind, qualified name, line, one-line signature, the docstring's first sentence and "
       "which query terms matched in which field; a method and its class are one hit when one "
       "explains the match (the other is dropped or listed under also).",
       Object({{"query", Str("What to look for: words, identifiers, paths", 1000)},
               {"limit", Int("Maximum hits (default 10)", 1, 100)},
               {"scope", Enum("docs: code only, reports: agent reports only, all (default)",
                              {"docs", "reports", "all"})}},
              {"query"}),
       SearchDocsSchema(), kReadOnly, Access::kQuery,
       [&s](ToolCall& c) { return SearchDocs(s, c); }});
  catalog.tools.push_back(
      {"get_component", "Describe a component",
       "Look up a class, function, component or module by name (or qualified name, or a "
       "directory/file path): where it is defined, its signature and documentation. Use it "
       "once you know the name of the thing you are about to change.",
       Object({{"name", Str("A symbol name (Parser), qualified name (Parser.parse), file or "
                            "directory path",
                            1024)}},
              {"name"}),
       json{{"type", "object"},
            {"properties",
             {{"name", {{"type", "string"}}},
              {"symbols", {{"type", "array"}, {"items", {{"type", "object"}}}}},
              {"files", {{"type", "array"}, {"items", {{"type", "object"}}}}}}},
            {"required", {"name", "symbols", "files"}}},
       kReadOnly, Access::kQuery, [&s](ToolCall& c) { return GetComponent(s, c); }});
  catalog.tools.push_back(
      {"get_relations", "Show relations",
       "What a file or symbol depends on (imports, calls, inherits, uses) and what depends on "
       "it, one level deep. Use it to understand a file's neighbours before editing it.",
       Object(
           {{"path", Str("A file path (src/app.py) or a symbol node (src/app.py#App.run)", 1024)}},
           {"path"}),
       json{{"type", "object"},
            {"properties",
             {{"node", {{"type", "string"}}},
              {"dependencies", EdgeListSchema()},
              {"dependents", EdgeListSchema()}}},
            {"required", {"node", "dependencies", "dependents"}}},
       kReadOnly, Access::kQuery, [&s](ToolCall& c) { return GetRelations(s, c); }});
  catalog.tools.push_back(
      {"get_impact", "Estimate the impact of a change",
       "Everything that may break if a file or symbol changes: the transitive set of its "
       "dependents. Use it before changing a shared file, and to choose which tests to run.",
       Object({{"path_or_symbol", Str("A file path or a symbol node (path#Qualified.name)", 1024)}},
              {"path_or_symbol"}),
       json{{"type", "object"},
            {"properties",
             {{"node", {{"type", "string"}}}, {"files", string_array}, {"symbols", string_array}}},
            {"required", {"node", "files", "symbols"}}},
       kReadOnly, Access::kQuery, [&s](ToolCall& c) { return GetImpact(s, c); }});
  catalog.tools.push_back(
      {"get_task", "Get a task",
       "A task with what is needed to work on it, packed into max_tokens (default 2000, "
       "estimated as bytes/4): first the task (description, guardrails, acceptance criteria, "
       "dependencies, its own reports so far), then the most relevant files, symbols (with "
       "signatures), schemas, decisions and findings, each adding something the others do not. "
       "Read it before claiming a task and whenever you resume one; docs://tasks/{id} has the "
       "full record with its history.",
       Object({{"task_id", Str("The task id, e.g. task-12", 32)},
               {"max_tokens", Int("Token budget of the answer's text (default 2000)",
                                  tasks::kMinContextTokens, tasks::kMaxContextTokens)}},
              {"task_id"}),
       json{{"type", "object"},
            {"properties", {{"task", TaskSchema()}, {"context", PackedContextSchema()}}},
            {"required", {"task", "context"}}},
       kReadOnly, Access::kQuery, [&s](ToolCall& c) -> ToolResult {
         auto budget = tasks::ParseMaxTokens(c.arguments.value("max_tokens", json()));
         if (!budget) return Failure(budget.error());
         auto details = s.tasks->Show(c.arguments["task_id"].get<std::string>());
         if (!details) return Failure(details.error());
         tasks::PackedTask packed = tasks::PackTask(*details, *budget);
         ToolResult out;
         out.structured = {{"task", tasks::ToJson(details->task)},
                           {"context", tasks::ToJson(packed)}};
         out.text = std::move(packed.text);
         return out;
       }});
  catalog.tools.push_back(
      {"get_available_tasks", "List tasks ready to claim",
       "Tasks an agent can claim now (todo, every dependency done), highest priority first. "
       "Use it when you are looking for work; then get_task and claim_task.",
       Object({{"agent_type", Str("Only tasks of this type (a type of task_templates.yaml, "
                                  "e.g. feature, bugfix)",
                                  64)}},
              {}),
       TaskListSchema(), kReadOnly, Access::kQuery, [&s](ToolCall& c) -> ToolResult {
         auto list = s.tasks->Available();
         if (!list) return Failure(list.error());
         if (c.arguments.contains("agent_type")) {
           std::string type = c.arguments["agent_type"];
           std::erase_if(*list, [&](const tasks::Task& t) { return t.type != type; });
         }
         ToolResult out;
         out.structured = {{"tasks", TaskList(*list)}};
         out.text = TaskLines(*list);
         return out;
       }});
  catalog.tools.push_back(
      {"list_tasks", "List tasks",
       "Every task of the project, optionally filtered by status or assignee. Use it for an "
       "overview of the board; use get_available_tasks to find work.",
       Object({{"status", Enum("Only tasks in this status", tasks::TaskStatusNames())},
               {"assigned_to", Str("Only tasks assigned to this agent id", 64)}},
              {}),
       TaskListSchema(), kReadOnly, Access::kQuery, [&s](ToolCall& c) -> ToolResult {
         tasks::TaskFilter filter;
         if (c.arguments.contains("status")) {
           filter.status = tasks::ParseTaskStatus(c.arguments["status"].get<std::string>());
         }
         if (c.arguments.contains("assigned_to")) {
           filter.assigned_to = c.arguments["assigned_to"].get<std::string>();
         }
         auto list = s.tasks->List(filter);
         if (!list) return Failure(list.error());
         ToolResult out;
         out.structured = {{"tasks", TaskList(*list)}};
         out.text = TaskLines(*list);
         return out;
       }});
}

}  // namespace docrunch::mcp
