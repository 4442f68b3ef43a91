// /tasks: the Kanban pipeline over TaskService (the same rules as the CLI
// and MCP: transitions, dependencies, claims, review). Admin moves a task;
// an agent reports on it as itself (reported_by is the caller's name, never
// a field of the body).
#include <algorithm>

#include "api/routes.h"
#include "api/schemas.h"
#include "tasks/task_json.h"

namespace docrunch::api {
namespace {

using namespace schema;

const std::vector<std::string> kPriorities{"low", "medium", "high", "critical"};

json TaskItem() {
  return AnyObject(
      "a task: id (task-N), type, title, description, status, priority, "
      "assigned_to, depends_on, blocks, guardrails, acceptance_criteria, progress, "
      "times");
}

std::string Now(const ApiServices& s) {
  return FormatIso8601(s.clock ? s.clock->Now() : std::chrono::system_clock::now());
}

// The path's task id, checked (INVALID_REQUEST naming `id`).
Result<std::string> TaskId(const Call& call) {
  const std::string& id = call.params.at("id");
  auto parsed = tasks::ParseTaskId(id, "id");
  if (!parsed) return MakeError(ErrorCode::kUsage, parsed.error().message);
  return tasks::TaskIdText(*parsed);
}

// A report body with the path's task and the caller as reporter.
json Report(const Call& call, const std::string& task_id, const ApiServices& s,
            const char* by = "reported_by", const char* at = "reported_at") {
  json report = call.body.is_object() ? call.body : json::object();
  report["task_id"] = task_id;
  report[by] = call.caller.name;
  report[at] = Now(s);
  return report;
}

// A kept task list stays true until the first claim could expire (the
// list would then show the task released).
Result<void> KeepUntilAClaimExpires(const ApiServices& s, Call& call) {
  auto expiry = s.tasks->NextClaimExpiry();
  if (!expiry) return expiry.error();
  call.fresh_until = *expiry;
  return Ok();
}

}  // namespace

void AddTaskRoutes(Routes& routes, ApiServices& s) {
  routes.push_back({"GET", "/tasks", Access::kReader, "tasks",
                    "Tasks, oldest first, filtered by status, assignee, type or priority",
                    PageQuery({{"status", Enum(tasks::TaskStatusNames())},
                               {"assigned_to", Str("an agent id", 64)},
                               {"type", Str("a task type of task_templates.yaml", 64)},
                               {"priority", Enum(kPriorities)}}),
                    nullptr, Page(TaskItem()), 200,
                    [&s](Call& call) -> Result<json> {
                      auto page = ReadPage(call);
                      if (!page) return page.error();
                      tasks::TaskFilter filter;
                      if (call.query.contains("status")) {
                        filter.status =
                            tasks::ParseTaskStatus(call.query["status"].get<std::string>());
                      }
                      for (auto [name, field] : {std::pair{"assigned_to", &filter.assigned_to},
                                                 std::pair{"type", &filter.type},
                                                 std::pair{"priority", &filter.priority}}) {
                        if (call.query.contains(name)) *field = call.query[name].get<std::string>();
                      }
                      // One more than the page tells whether another page follows.
                      filter.offset = page->offset;
                      filter.limit = page->limit + 1;
                      auto list = s.tasks->List(filter);
                      if (!list) return list.error();
                      DOCRUNCH_TRY(KeepUntilAClaimExpires(s, call));
                      json items = json::array();
                      for (const auto& t : *list) items.push_back(tasks::ToJson(t));
                      return MakePageOf(std::move(items), *page);
                    },
                    /*cached=*/true});
  routes.push_back({"GET", "/tasks/available", Access::kReader, "tasks",
                    "Todo tasks whose dependencies are all done, highest priority first",
                    PageQuery(), nullptr, Page(TaskItem()), 200,
                    [&s](Call& call) -> Result<json> {
                      auto page = ReadPage(call);
                      if (!page) return page.error();
                      auto list = s.tasks->Available();
                      if (!list) return list.error();
                      DOCRUNCH_TRY(KeepUntilAClaimExpires(s, call));
                      json items = json::array();
                      for (const auto& t : *list) items.push_back(tasks::ToJson(t));
                      return MakePage(std::move(items), *page);
                    },
                    /*cached=*/true});
  routes.push_back(
      {"GET", "/tasks/{id}", Access::kReader, "tasks",
       "One task with its dependencies, history, claim, reports and search context", json::object(),
       nullptr,
       AnyObject("the task, available, dependencies, dependents, history, completions, findings, "
                 "decisions, blockers, context"),
       200, [&s](Call& call) -> Result<json> {
         auto id = TaskId(call);
         if (!id) return id.error();
         auto details = s.tasks->Show(*id);
         if (!details) return details.error();
         return tasks::ToJson(*details);
       }});
  routes.push_back(
      {"POST", "/tasks", Access::kAdmin, "tasks",
       "Create a task from its type's template (guardrails, acceptance criteria, review mode)",
       json::object(),
       Object({{"type", Str("a task type of task_templates.yaml", 64)},
               {"title", Str("", 500)},
               {"description", Str("", 64 * 1024)},
               {"priority", Enum(kPriorities)},
               {"depends_on", Array(Str("a task id", 32))},
               {"backlog", Bool("start in backlog rather than todo")}},
              {"type", "title"}),
       TaskItem(), 201, [&s](Call& call) -> Result<json> {
         tasks::CreateTaskRequest request;
         request.type = call.body["type"];
         request.title = call.body["title"];
         request.description = call.body.value("description", "");
         request.priority = call.body.value("priority", "medium");
         request.depends_on = call.body.value("depends_on", std::vector<std::string>{});
         request.backlog = call.body.value("backlog", false);
         request.created_by = call.caller.name;
         auto task = s.tasks->Create(request);
         if (!task) return task.error();
         call.headers.emplace_back("Location", s.base_path + "/tasks/" + task->IdText());
         return tasks::ToJson(*task);
       }});
  routes.push_back(
      {"PATCH", "/tasks/{id}", Access::kAdmin, "tasks",
       "Change a task: its dependencies, its assignee (assign), or its status (a move the "
       "transition table allows: ready, shelve, release, reopen, finish)",
       json::object(),
       Object({{"depends_on", Array(Str("a task id", 32))},
               {"assigned_to", Str("an agent id", 64)},
               {"status", Enum(tasks::TaskStatusNames())}}),
       TaskItem(), 200, [&s](Call& call) -> Result<json> {
         auto id = TaskId(call);
         if (!id) return id.error();
         if (call.body.empty()) {
           return MakeError(ErrorCode::kUsage,
                            "body: give at least one of depends_on, assigned_to, status");
         }
         if (call.body.size() > 1) {
           // Each is its own transaction; one at a time keeps a refusal from
           // leaving half of a request applied.
           return MakeError(ErrorCode::kUsage,
                            "body: one change per request (depends_on, assigned_to or status)");
         }
         Result<tasks::Task> task = MakeError(ErrorCode::kInternal, "no change");
         const std::string& by = call.caller.name;
         if (call.body.contains("depends_on")) {
           task = s.tasks->SetDependencies(*id, call.body["depends_on"], by);
         } else if (call.body.contains("assigned_to")) {
           task = s.tasks->Assign(*id, call.body["assigned_to"], by);
         } else {
           task = s.tasks->Move(
               *id, *tasks::ParseTaskStatus(call.body["status"].get<std::string>()), by);
         }
         if (!task) return task.error();
         return tasks::ToJson(*task);
       }});
  struct Action {
    const char* name;
    const char* summary;
    const char* field;  // the body's text field
    bool required;
  };
  for (const Action& a :
       {Action{"approve", "Approve a task in review", "note", false},
        Action{"reject", "Reject a task in review (it returns to todo)", "reason", true},
        Action{"block", "Block a task (an admin block)", "reason", true},
        Action{"unblock", "Resolve a block: the task returns to where it was", "resolution",
               false}}) {
    std::string name = a.name, field = a.field;
    routes.push_back(
        {"POST", "/tasks/{id}/" + name, Access::kAdmin, "tasks", a.summary, json::object(),
         Object({{field, Str("", 64 * 1024)}},
                a.required ? std::vector<std::string>{field} : std::vector<std::string>{}),
         TaskItem(), 200, [&s, name, field](Call& call) -> Result<json> {
           auto id = TaskId(call);
           if (!id) return id.error();
           std::string text = call.body.value(field, "");
           const std::string& by = call.caller.name;
           Result<tasks::Task> task = name == "approve"  ? s.tasks->Approve(*id, by, text)
                                      : name == "reject" ? s.tasks->Reject(*id, by, text)
                                      : name == "block"  ? s.tasks->Block(*id, by, text)
                                                         : s.tasks->Unblock(*id, by, text);
           if (!task) return task.error();
           return tasks::ToJson(*task);
         }});
  }

  // --- an agent's reports, as itself ---
  routes.push_back({"POST", "/tasks/{id}/claim", Access::kAgent, "reports",
                    "Claim a task (atomic: of concurrent claims one wins, the others get 409)",
                    json::object(), Object({}), TaskItem(), 200, [&s](Call& call) -> Result<json> {
                      auto id = TaskId(call);
                      if (!id) return id.error();
                      auto report = tasks::ParseClaimReport(Report(call, *id, s));
                      if (!report) return report.error();
                      auto task = s.tasks->Claim(*report);
                      if (!task) return task.error();
                      return tasks::ToJson(*task);
                    }});
  routes.push_back(
      {"POST", "/tasks/{id}/progress", Access::kAgent, "reports",
       "Report progress on a task you hold", json::object(),
       Object({{"percentage", Int("", 0, 100)}, {"status", Str("what you are doing", 2000)}},
              {"percentage", "status"}),
       TaskItem(), 200, [&s](Call& call) -> Result<json> {
         auto id = TaskId(call);
         if (!id) return id.error();
         auto report = tasks::ParseProgressReport(Report(call, *id, s));
         if (!report) return report.error();
         auto task = s.tasks->UpdateProgress(*report);
         if (!task) return task.error();
         return tasks::ToJson(*task);
       }});
  routes.push_back(
      {"POST", "/tasks/{id}/complete", Access::kAgent, "reports",
       "Submit the completion of a task you hold (to review, or auto-approved by the rules)",
       json::object(),
       Object({{"summary", Str("", 64 * 1024)},
               {"changes", Array(Str("a file changed", 1000))},
               {"tests_passed", Bool()},
               {"notes", Str("", 64 * 1024)}},
              {"summary", "changes", "tests_passed"}),
       AnyObject("the task, the report, auto_approved, review_reasons"), 200,
       [&s](Call& call) -> Result<json> {
         auto id = TaskId(call);
         if (!id) return id.error();
         auto report = tasks::ParseCompletionReport(Report(call, *id, s));
         if (!report) return report.error();
         auto outcome = s.tasks->SubmitCompletion(*report);
         if (!outcome) return outcome.error();
         return tasks::ToJson(*outcome);
       }});
  routes.push_back({"POST", "/tasks/{id}/findings", Access::kAgent, "reports",
                    "Log a finding on a task", json::object(),
                    Object({{"type", Enum({"bug", "improvement", "question", "blocker"})},
                            {"description", Str("", 64 * 1024)},
                            {"files", Array(Str("", 1000))}},
                           {"type", "description"}),
                    AnyObject("the finding"), 201, [&s](Call& call) -> Result<json> {
                      auto id = TaskId(call);
                      if (!id) return id.error();
                      auto report = tasks::ParseFindingReport(
                          Report(call, *id, s, "created_by", "created_at"));
                      if (!report) return report.error();
                      auto finding = s.tasks->LogFinding(*report);
                      if (!finding) return finding.error();
                      return tasks::ToJson(*finding);
                    }});
  routes.push_back({"POST", "/tasks/{id}/blockers", Access::kAgent, "reports",
                    "Report that a task you hold is blocked", json::object(),
                    Object({{"description", Str("", 64 * 1024)},
                            {"needs", Str("what would unblock it", 64 * 1024)}},
                           {"description", "needs"}),
                    AnyObject("the blocker"), 201, [&s](Call& call) -> Result<json> {
                      auto id = TaskId(call);
                      if (!id) return id.error();
                      auto report = tasks::ParseBlockerReport(Report(call, *id, s));
                      if (!report) return report.error();
                      auto blocker = s.tasks->ReportBlocker(*report);
                      if (!blocker) return blocker.error();
                      return tasks::ToJson(*blocker);
                    }});
}

}  // namespace docrunch::api
