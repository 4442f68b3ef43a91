// The admin tools: create, assign and review tasks; list, take and compare
// snapshots. Only the admin role sees them.
#include "mcp/tools/tool_services.h"
#include "ops/snapshots.h"
#include "tasks/task_json.h"

namespace docrunch::mcp {
namespace {

using namespace tool_util;

std::optional<ToolResult> CheckActor(const ToolCall& call, const char* field) {
  std::string value = call.arguments.value(field, "");
  if (!call.identity.authenticated || value == call.identity.agent_id) return std::nullopt;
  return ToolResult::Failure("MCP_UNAUTHORIZED",
                             std::string(field) + ": must be your token's agent id '" +
                                 call.identity.agent_id + "', got '" + value + "'");
}

ToolResult TaskOutcome(const Result<tasks::Task>& task, const std::string& what) {
  if (!task) return Failure(task.error());
  ToolResult out;
  out.structured = {{"task", tasks::ToJson(*task)}};
  out.text = what + " " + task->IdText() + ": " + task->title + " (" +
             std::string(tasks::TaskStatusName(task->status)) + ")";
  return out;
}

json TaskResult() {
  return json{{"type", "object"}, {"properties", {{"task", TaskSchema()}}}, {"required", {"task"}}};
}

std::optional<ToolResult> NoSnapshots(const ToolServices& s) {
  if (s.snapshots) return std::nullopt;
  return ToolResult::Failure("MCP_INTERNAL_ERROR", "this server keeps no snapshots");
}

// A failure of the snapshot code without the server's paths.
ToolResult Scrubbed(const ToolServices& s, Error error) {
  error.message = ops::WithoutFolder(*s.snapshots, std::move(error.message));
  return Failure(error);
}

// A snapshot as REST shows it: the archive's name, not its server path.
json SnapshotJson(const ops::SnapshotInfo& info) {
  json j = ops::ToJson(info);
  j["file"] = info.file.filename().string();
  return j;
}

std::string SnapshotLine(const ops::SnapshotInfo& info) {
  const ops::Manifest& m = info.manifest;
  return "snapshot " + std::to_string(m.version) + " (" + m.trigger + ", " + m.created_at +
         (m.note.empty() ? "" : ", \"" + m.note + "\"") + ")";
}

// An output schema of one required field of JSON type `type`.
json ResultOf(const char* field, const char* type) {
  return json{
      {"type", "object"}, {"properties", {{field, {{"type", type}}}}}, {"required", {field}}};
}

void AddSnapshotTools(Catalog& catalog, ToolServices& s) {
  catalog.tools.push_back(
      {"list_snapshots",
       "List snapshots",
       "The project's snapshots, oldest first: version, trigger, note, time, schema, size.",
       Object(json::object(), {}),
       ResultOf("snapshots", "array"),
       {.read_only = true, .destructive = false, .idempotent = true},
       Access::kAdmin,
       [&s](ToolCall&) -> ToolResult {
         if (auto none = NoSnapshots(s)) return *none;
         auto list = ops::ListSnapshots(*s.snapshots);
         if (!list) return Scrubbed(s, list.error());
         ToolResult out;
         out.structured = {{"snapshots", json::array()}};
         for (const auto& info : list->snapshots) {
           out.structured["snapshots"].push_back(SnapshotJson(info));
           out.text += SnapshotLine(info) + "\n";
         }
         if (list->snapshots.empty()) out.text = "No snapshots yet.";
         return out;
       }});
  catalog.tools.push_back(
      {"create_snapshot",
       "Take a snapshot",
       "Snapshot the project now (database, Markdown, index, config) before a risky change; "
       "a person restores one with `docrunch snapshot restore VERSION`.",
       Object({{"note", Str("Why, in a line", 500)}}, {}),
       ResultOf("snapshot", "object"),
       {.read_only = false, .destructive = false, .idempotent = false},
       Access::kAdmin,
       [&s](ToolCall& c) -> ToolResult {
         if (auto none = NoSnapshots(s)) return *none;
         auto made =
             ops::CreateSnapshot(*s.snapshots, *s.store, "manual", c.arguments.value("note", ""));
         if (!made) return Scrubbed(s, made.error());
         ToolResult out;
         out.structured = {{"snapshot", SnapshotJson(*made)}};
         out.text = "Took " + SnapshotLine(*made);
         return out;
       }});
  catalog.tools.push_back(
      {"diff_snapshot",
       "Compare a snapshot",
       "What changed since a snapshot (or between two): tasks, decisions, Markdown pages and "
       "the search index.",
       Object({{"version", Str("The snapshot's version, e.g. 3", 20)},
               {"to", Str("A later version; absent: now", 20)}},
              {"version"}),
       ResultOf("diff", "object"),
       {.read_only = true, .destructive = false, .idempotent = true},
       Access::kAdmin,
       [&s](ToolCall& c) -> ToolResult {
         if (auto none = NoSnapshots(s)) return *none;
         std::optional<std::string> to;
         if (c.arguments.contains("to")) to = c.arguments["to"].get<std::string>();
         auto diff = ops::DiffSnapshots(*s.snapshots, to ? nullptr : s.store,
                                        c.arguments["version"].get<std::string>(), to);
         if (!diff) return Scrubbed(s, diff.error());
         ToolResult out;
         out.structured = {{"diff", ops::ToJson(*diff)}};
         out.text = ops::ToText(*diff);
         return out;
       }});
}

}  // namespace

void AddAdminTools(Catalog& catalog, ToolServices& s) {
  const ToolAnnotations create{.read_only = false, .destructive = false, .idempotent = false};
  const ToolAnnotations change{.read_only = false, .destructive = true, .idempotent = false};
  json actor = Str("Your agent id (with auth on: your token's name)", 64);
  catalog.tools.push_back(
      {"create_task", "Create a task",
       "Add a task to the board from a template type; guardrails, acceptance criteria and "
       "review mode come from task_templates.yaml.",
       Object({{"type", Str("A type of task_templates.yaml, e.g. feature", 64)},
               {"title", Str("One line", 200)},
               {"description", Str("What to do and why")},
               {"priority", Enum("Default medium", {"low", "medium", "high", "critical"})},
               {"depends_on", StrList("Ids of tasks that must be done first")},
               {"backlog", Bool("Start in backlog rather than todo")},
               {"created_by", actor}},
              {"type", "title", "created_by"}),
       TaskResult(), create, Access::kAdmin, [&s](ToolCall& c) -> ToolResult {
         if (auto denied = CheckActor(c, "created_by")) return *denied;
         const json& a = c.arguments;
         tasks::CreateTaskRequest request;
         request.type = a["type"];
         request.title = a["title"];
         request.description = a.value("description", "");
         request.priority = a.value("priority", "medium");
         request.depends_on = a.value("depends_on", std::vector<std::string>{});
         request.backlog = a.value("backlog", false);
         request.created_by = a["created_by"];
         return TaskOutcome(s.tasks->Create(request), "Created");
       }});
  catalog.tools.push_back(
      {"assign_task", "Assign a task", "Reserve a todo task for one agent, who then claims it.",
       Object({{"task_id", Str("The task id", 32)},
               {"agent", Str("The agent id to assign it to", 64)},
               {"assigned_by", actor}},
              {"task_id", "agent", "assigned_by"}),
       TaskResult(), change, Access::kAdmin, [&s](ToolCall& c) -> ToolResult {
         if (auto denied = CheckActor(c, "assigned_by")) return *denied;
         const json& a = c.arguments;
         return TaskOutcome(
             s.tasks->Assign(a["task_id"].get<std::string>(), a["agent"], a["assigned_by"]),
             "Assigned");
       }});
  catalog.tools.push_back(
      {"review_task", "Review a completed task",
       "Approve or reject a task in review. A rejection needs the reason, which the agent "
       "reads when it reopens the task.",
       Object({{"task_id", Str("The task id", 32)},
               {"decision", Enum("approve or reject", {"approve", "reject"})},
               {"note", Str("For approve: an optional note; for reject: the reason (required)")},
               {"reviewed_by", actor}},
              {"task_id", "decision", "reviewed_by"}),
       TaskResult(), change, Access::kAdmin, [&s](ToolCall& c) -> ToolResult {
         if (auto denied = CheckActor(c, "reviewed_by")) return *denied;
         const json& a = c.arguments;
         std::string id = a["task_id"], by = a["reviewed_by"], note = a.value("note", "");
         if (a["decision"] == "approve")
           return TaskOutcome(s.tasks->Approve(id, by, note), "Approved");
         if (note.empty()) {
           return ToolResult::Failure("MCP_INVALID_PARAMS",
                                      "note: required when rejecting (the reason)");
         }
         return TaskOutcome(s.tasks->Reject(id, by, note), "Rejected");
       }});
  AddSnapshotTools(catalog, s);
}

}  // namespace docrunch::mcp
