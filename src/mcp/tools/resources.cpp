// The docs:// resources of PRODUCT §9. Code pages are the Markdown the
// scan generated (docrunch-docs/); task and decision resources render the
// database directly so they are never stale.
#include <fstream>
#include <sstream>

#include "docs/code_pages.h"
#include "docs/report_pages.h"
#include "mcp/tools/change_feed.h"
#include "mcp/tools/tool_services.h"
#include "tasks/task_json.h"

namespace docrunch::mcp {
namespace {

RpcError NotFound(const std::string& uri, const std::string& why) {
  return RpcError{
      rpc::kResourceNotFound, "Resource not found: " + uri + " (" + why + ")", {{"uri", uri}}};
}

// A value from a URI that becomes part of a file name.
bool SafeName(const std::string& value) {
  return !value.empty() && value.size() <= 512 && value.find("..") == std::string::npos &&
         value.find('\0') == std::string::npos && value.front() != '/';
}

ResourceOutcome Page(ToolServices& s, const std::string& uri, const std::string& relative) {
  std::ifstream in(s.docs_root / relative, std::ios::binary);
  if (!in) return NotFound(uri, relative + " is not generated yet; run `docrunch scan`");
  std::ostringstream text;
  text << in.rdbuf();
  return ResourceContent{uri, "text/markdown", text.str()};
}

std::string TaskTable(const std::vector<tasks::Task>& list, const std::string& title) {
  std::ostringstream out;
  out << "# " << title << "\n\n";
  if (list.empty()) out << "None.\n";
  for (const auto& t : list) {
    out << "- **" << t.IdText() << "** [" << tasks::TaskStatusName(t.status) << ", " << t.priority
        << "] " << t.title;
    if (t.assigned_to) out << " (" << *t.assigned_to << ", " << t.progress << "%)";
    out << "\n";
  }
  return out.str();
}

ResourceOutcome TaskListResource(ToolServices& s, const std::string& uri, bool active) {
  Result<std::vector<tasks::Task>> list = active ? s.tasks->List({}) : s.tasks->Available();
  if (!list) return RpcError{rpc::kInternalError, list.error().ToString(), nullptr};
  if (active) {
    std::erase_if(*list, [](const tasks::Task& t) {
      using tasks::TaskStatus;
      return t.status != TaskStatus::kAssigned && t.status != TaskStatus::kWorking &&
             t.status != TaskStatus::kReview && t.status != TaskStatus::kBlocked;
    });
  }
  return ResourceContent{uri, "text/markdown",
                         TaskTable(*list, active ? "Active tasks" : "Available tasks")};
}

ResourceOutcome Decisions(ToolServices& s, const std::string& uri) {
  auto rows = s.store->Query(
      "SELECT number, title, status, decision, rationale, agent FROM decisions "
      "WHERE repository_id = $1 ORDER BY number",
      {s.repository_id});
  if (!rows) return RpcError{rpc::kInternalError, rows.error().ToString(), nullptr};
  std::ostringstream out;
  out << "# Decisions\n\n";
  if (rows->empty()) out << "None recorded yet.\n";
  for (std::size_t i = 0; i < rows->size(); ++i) {
    char number[16];
    std::snprintf(number, sizeof number, "adr-%03lld",
                  static_cast<long long>(rows->Int(i, "number").value_or(0)));
    out << "## " << number << ": " << rows->Text(i, "title").value_or("") << " ("
        << rows->Text(i, "status").value_or("") << ", by " << rows->Text(i, "agent").value_or("-")
        << ")\n\n"
        << rows->Text(i, "decision").value_or("") << "\n\n";
    auto why = rows->Text(i, "rationale").value_or("");
    if (!why.empty()) out << "Rationale: " << why << "\n\n";
  }
  return ResourceContent{uri, "text/markdown", out.str()};
}

ResourceOutcome RecentChanges(ToolServices& s, const std::string& uri) {
  auto runs = s.store->Query(
      "SELECT mode, status, started_at, files_scanned, files_changed FROM scan_runs "
      "WHERE repository_id = $1 ORDER BY id DESC LIMIT 10",
      {s.repository_id});
  auto history = s.store->Query(
      "SELECT h.task_id, h.action, h.agent, h.created_at FROM task_history h JOIN tasks t ON "
      "t.id = h.task_id WHERE t.repository_id = $1 ORDER BY h.id DESC LIMIT 30",
      {s.repository_id});
  if (!runs) return RpcError{rpc::kInternalError, runs.error().ToString(), nullptr};
  if (!history) return RpcError{rpc::kInternalError, history.error().ToString(), nullptr};
  std::ostringstream out;
  out << "# Recent changes\n\n## Scans\n\n";
  for (std::size_t i = 0; i < runs->size(); ++i) {
    out << "- " << runs->Text(i, "started_at").value_or("") << " "
        << runs->Text(i, "mode").value_or("") << " scan, " << runs->Text(i, "status").value_or("")
        << ": " << runs->Int(i, "files_changed").value_or(0) << " of "
        << runs->Int(i, "files_scanned").value_or(0) << " files changed\n";
  }
  out << "\n## Task activity\n\n";
  for (std::size_t i = 0; i < history->size(); ++i) {
    out << "- " << history->Text(i, "created_at").value_or("") << " "
        << tasks::TaskIdText(history->Int(i, "task_id").value_or(0)) << " "
        << history->Text(i, "action").value_or("") << " by "
        << history->Text(i, "agent").value_or("-") << "\n";
  }
  return ResourceContent{uri, "text/markdown", out.str()};
}

// One resource per task and per module, so resources/list shows what
// exists now (and changes when a task is created or a rescan adds or
// removes a module).
std::vector<ListedResource> ListedResources(ToolServices& s) {
  std::vector<ListedResource> out;
  auto tasks = s.store->Query("SELECT id, title FROM tasks WHERE repository_id = $1 ORDER BY id",
                              {s.repository_id});
  if (tasks) {
    for (std::size_t i = 0; i < tasks->size(); ++i) {
      std::string id = tasks::TaskIdText(tasks->Int(i, "id").value_or(0));
      out.push_back({"docs://tasks/" + id, id, tasks->Text(i, "title").value_or(id),
                     "Task " + id + " with its reports and history"});
    }
  }
  for (const auto& module : tool_util::ModuleNames(s, "")) {
    out.push_back({"docs://modules/" + module, "module " + module, module,
                   "Module " + module + ": files, exports, dependencies"});
  }
  return out;
}

}  // namespace

std::vector<std::string> ListedResourceUris(ToolServices& services) {
  std::vector<std::string> uris;
  for (auto& r : ListedResources(services)) uris.push_back(std::move(r.uri));
  return uris;
}

void AddResources(Catalog& catalog, ToolServices& s) {
  auto page = [&s](std::string file) {
    return [&s, file](const std::string& uri) { return Page(s, uri, file); };
  };
  catalog.resources = {
      {"docs://architecture", "architecture", "Architecture",
       "The project's modules and how they depend on each other", "text/markdown",
       page("architecture.md")},
      {"docs://modules", "modules", "Modules", "Every module (directory) with its files",
       "text/markdown", page("index.md")},
      {"docs://schemas", "schemas", "Schemas", "Data schemas found in the code", "text/markdown",
       page("schemas/index.md")},
      {"docs://patterns", "patterns", "Patterns",
       "The most depended-upon code, base classes, and naming, docstring and test conventions",
       "text/markdown", page("patterns/index.md")},
      {"docs://tasks/available", "tasks-available", "Available tasks",
       "Tasks ready to claim, highest priority first", "text/markdown",
       [&s](const std::string& uri) { return TaskListResource(s, uri, false); }},
      {"docs://tasks/active", "tasks-active", "Active tasks",
       "Tasks being worked on, in review or blocked", "text/markdown",
       [&s](const std::string& uri) { return TaskListResource(s, uri, true); }},
      {"docs://decisions", "decisions", "Decisions", "Every recorded decision (ADR)",
       "text/markdown", [&s](const std::string& uri) { return Decisions(s, uri); }},
      {"docs://recent-changes", "recent-changes", "Recent changes",
       "The latest scans and task activity", "text/markdown",
       [&s](const std::string& uri) { return RecentChanges(s, uri); }},
  };
  catalog.listed_resources = [&s] { return ListedResources(s); };
  auto modules = [&s](const std::string& prefix) { return tool_util::ModuleNames(s, prefix); };
  catalog.templates = {
      {"docs://modules/{name}", "module", "Module", "One module: files, exports, dependencies",
       "text/markdown",
       [&s](const std::string& uri, const std::string& name) -> ResourceOutcome {
         if (!SafeName(name)) return RpcError{rpc::kInvalidParams, "uri: bad module name", nullptr};
         return Page(s, uri, "modules/" + docs::ModuleSlug(name) + ".md");
       },
       modules},
      {"docs://functions/{path}", "functions", "Functions of a module",
       "The functions and classes of one module (a directory path)", "text/markdown",
       [&s](const std::string& uri, const std::string& path) -> ResourceOutcome {
         if (!SafeName(path)) return RpcError{rpc::kInvalidParams, "uri: bad path", nullptr};
         return Page(s, uri, "functions/" + docs::ModuleSlug(path) + ".md");
       },
       modules},
      {"docs://schemas/{name}", "schema", "Schema", "One data schema (a name from docs://schemas)",
       "text/markdown",
       [&s](const std::string& uri, const std::string& name) -> ResourceOutcome {
         if (!SafeName(name) || name.find('/') != std::string::npos) {
           return RpcError{rpc::kInvalidParams, "uri: bad schema name", nullptr};
         }
         return Page(s, uri, "schemas/" + name + ".md");
       },
       nullptr},
      {"docs://tasks/{id}", "task", "Task", "One task with its reports and history",
       "text/markdown",
       [&s](const std::string& uri, const std::string& id) -> ResourceOutcome {
         auto details = s.tasks->Show(id);
         if (!details) {
           if (details.error().code == ErrorCode::kStorageNotFound) {
             return NotFound(uri, details.error().message);
           }
           return RpcError{rpc::kInvalidParams, details.error().message, nullptr};
         }
         return ResourceContent{uri, "text/markdown", docs::RenderTaskPage(*details)};
       },
       [&s](const std::string& prefix) { return tool_util::TaskIds(s, prefix); }},
  };
}

std::vector<std::string> UrisForEvent(const std::string& entity_type,
                                      const std::string& entity_id) {
  if (entity_type == "task") {
    return {"docs://tasks/" + entity_id, "docs://tasks/available", "docs://tasks/active",
            "docs://recent-changes"};
  }
  if (entity_type == "decision") return {"docs://decisions"};
  if (entity_type == "file" || entity_type == "relationships" || entity_type == "symbol") {
    std::vector<std::string> uris = {"docs://architecture", "docs://modules", "docs://patterns",
                                     "docs://schemas", "docs://recent-changes"};
    auto slash = entity_id.rfind('/');
    if (entity_type == "file" && slash != std::string::npos) {
      uris.push_back("docs://modules/" + entity_id.substr(0, slash));
      uris.push_back("docs://functions/" + entity_id.substr(0, slash));
    }
    return uris;
  }
  return {};
}

}  // namespace docrunch::mcp
