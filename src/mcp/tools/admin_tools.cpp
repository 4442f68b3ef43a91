// The admin tools: create, assign and review tasks. Only the admin role
// sees them.
#include "mcp/tools/tool_services.h"
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
}

}  // namespace docrunch::mcp
