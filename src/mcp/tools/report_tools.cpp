// The report tools agents call while working a task (PRODUCT §9). Each
// parses the arguments with the task pipeline's own parser (which names
// every field at fault), checks that the reporter is the caller when auth
// is on, and makes one TaskService call.
#include "mcp/tools/tool_services.h"
#include "tasks/reports.h"
#include "tasks/task_json.h"

namespace docrunch::mcp {
namespace {

using namespace tool_util;

// With auth on, an agent reports only as itself.
std::optional<ToolResult> CheckReporter(const ToolCall& call, const std::string& field,
                                        const std::string& value) {
  if (!call.identity.authenticated || value == call.identity.agent_id) return std::nullopt;
  return ToolResult::Failure("MCP_UNAUTHORIZED", field + ": must be your token's agent id '" +
                                                     call.identity.agent_id + "', got '" + value +
                                                     "'");
}

json Reporter() {
  return Str("Your agent id (with auth on: your token's name)", 64);
}
json ReportedAt() {
  return Str("When you report, ISO-8601 with a zone, e.g. 2026-01-31T12:00:00Z", 40);
}

json Wrap(const char* key, json schema) {
  return json{{"type", "object"}, {"properties", {{key, std::move(schema)}}}, {"required", {key}}};
}

ToolResult TaskOutcome(const Result<tasks::Task>& task, const std::string& what) {
  if (!task) return Failure(task.error());
  ToolResult out;
  out.structured = {{"task", tasks::ToJson(*task)}};
  out.text = what + " " + task->IdText() + ": status " +
             std::string(tasks::TaskStatusName(task->status)) + ", progress " +
             std::to_string(task->progress) + "%";
  return out;
}

template <class Report>
ToolResult Run(ToolCall& call, Result<Report> (*parse)(const json&),
               const std::function<ToolResult(const Report&)>& run, std::string Report::*reporter,
               const char* field) {
  auto report = parse(call.arguments);
  if (!report) return Failure(report.error());
  if (auto denied = CheckReporter(call, field, (*report).*reporter)) return *denied;
  return run(*report);
}

}  // namespace

void AddReportTools(Catalog& catalog, ToolServices& s) {
  const ToolAnnotations write{.read_only = false, .destructive = false, .idempotent = false};
  json finding_props = {
      {"type", Enum("bug, improvement, question or blocker", tasks::FindingTypes())},
      {"description", Str("What you found")},
      {"files", StrList("Files it concerns (relative paths)")}};
  json decision_props = {{"title", Str("A short title", 200)},
                         {"context", Str("The situation that needed a decision")},
                         {"decision", Str("What was decided")},
                         {"rationale", Str("Why")}};
  json finding_record = {
      {"type", "object"},
      {"properties", {{"id", {{"type", "string"}}}, {"type", {{"type", "string"}}}}},
      {"required", {"id", "type"}}};
  json decision_record = {
      {"type", "object"},
      {"properties", {{"id", {{"type", "string"}}}, {"title", {{"type", "string"}}}}},
      {"required", {"id", "title"}}};

  catalog.tools.push_back(
      {"claim_task", "Claim a task",
       "Take an available task before starting work on it, so no other agent works on it. "
       "Fails with TASK_ALREADY_CLAIMED if another agent holds it and "
       "TASK_DEPENDENCIES_PENDING if a dependency is not done.",
       Object({{"task_id", Str("The task id, e.g. task-12", 32)},
               {"reported_by", Reporter()},
               {"reported_at", ReportedAt()}},
              {"task_id", "reported_by", "reported_at"}),
       Wrap("task", TaskSchema()), write, Access::kReport, [&s](ToolCall& c) {
         return Run<tasks::ClaimReport>(
             c, tasks::ParseClaimReport,
             [&](const tasks::ClaimReport& r) { return TaskOutcome(s.tasks->Claim(r), "Claimed"); },
             &tasks::ClaimReport::reported_by, "reported_by");
       }});
  catalog.tools.push_back(
      {"update_progress", "Report progress",
       "Tell the team how far a claimed task is (also keeps your claim alive). Send it at "
       "milestones: after planning, after the main change, while testing.",
       Object({{"task_id", Str("The task id", 32)},
               {"percentage", Int("How far, 0 to 100", 0, 100)},
               {"status", Str("What you are doing now, one line")},
               {"reported_by", Reporter()},
               {"reported_at", ReportedAt()}},
              {"task_id", "percentage", "status", "reported_by", "reported_at"}),
       Wrap("task", TaskSchema()), write, Access::kReport, [&s](ToolCall& c) {
         return Run<tasks::ProgressReport>(
             c, tasks::ParseProgressReport,
             [&](const tasks::ProgressReport& r) {
               return TaskOutcome(s.tasks->UpdateProgress(r), "Progress on");
             },
             &tasks::ProgressReport::reported_by, "reported_by");
       }});
  catalog.tools.push_back(
      {"submit_completion", "Submit a completed task",
       "Hand in a task you finished: a summary, the files you changed and whether the tests "
       "passed, optionally with findings and decisions. The task goes to review (or is "
       "approved automatically when its review rules allow).",
       Object(
           {{"task_id", Str("The task id", 32)},
            {"summary", Str("What you did")},
            {"changes", StrList("Files you changed (relative paths)")},
            {"tests_passed", Bool("Whether the test suite passed")},
            {"reported_by", Reporter()},
            {"reported_at", ReportedAt()},
            {"notes", Str("Anything the reviewer should know")},
            {"findings",
             {{"type", "array"}, {"items", Object(finding_props, {"type", "description"})}}},
            {"decisions",
             {{"type", "array"},
              {"items", Object(decision_props, {"title", "context", "decision", "rationale"})}}}},
           {"task_id", "summary", "changes", "tests_passed", "reported_by", "reported_at"}),
       json{{"type", "object"},
            {"properties",
             {{"task", TaskSchema()},
              {"report", {{"type", "object"}}},
              {"auto_approved", {{"type", "boolean"}}},
              {"review_reasons", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
            {"required", {"task", "report", "auto_approved"}}},
       write, Access::kReport, [&s](ToolCall& c) {
         return Run<tasks::CompletionReport>(
             c, tasks::ParseCompletionReport,
             [&](const tasks::CompletionReport& r) -> ToolResult {
               auto outcome = s.tasks->SubmitCompletion(r);
               if (!outcome) return Failure(outcome.error());
               ToolResult out;
               out.structured = tasks::ToJson(*outcome);
               out.text = "Submitted " + outcome->task.IdText() + ": " +
                          std::string(tasks::TaskStatusName(outcome->task.status)) +
                          (outcome->auto_approved ? " (auto-approved)" : " (waiting for review)");
               return out;
             },
             &tasks::CompletionReport::reported_by, "reported_by");
       }});
  json finding_args = finding_props;
  finding_args["task_id"] = Str("The task you found it while working on", 32);
  finding_args["created_by"] = Reporter();
  finding_args["created_at"] = ReportedAt();
  catalog.tools.push_back(
      {"log_finding", "Log a finding",
       "Record something you noticed that is not part of your task: a bug, an improvement, a "
       "question or a blocker for someone else. It becomes searchable for every agent.",
       Object(finding_args, {"task_id", "type", "description", "created_by", "created_at"}),
       Wrap("finding", finding_record), write, Access::kReport, [&s](ToolCall& c) {
         return Run<tasks::FindingReport>(
             c, tasks::ParseFindingReport,
             [&](const tasks::FindingReport& r) -> ToolResult {
               auto f = s.tasks->LogFinding(r);
               if (!f) return Failure(f.error());
               ToolResult out;
               out.structured = {{"finding", tasks::ToJson(*f)}};
               out.text = "Logged " + f->IdText() + " (" + f->type + ")";
               return out;
             },
             &tasks::FindingReport::created_by, "created_by");
       }});
  json decision_args = decision_props;
  decision_args["task_id"] = Str("The task it belongs to, if any", 32);
  decision_args["created_by"] = Reporter();
  decision_args["created_at"] = ReportedAt();
  catalog.tools.push_back(
      {"record_decision", "Record a decision",
       "Record an architectural or design decision (an ADR) with its context and rationale, so "
       "later agents follow it instead of re-deciding.",
       Object(decision_args,
              {"title", "context", "decision", "rationale", "created_by", "created_at"}),
       Wrap("decision", decision_record), write, Access::kReport, [&s](ToolCall& c) {
         return Run<tasks::DecisionReport>(
             c, tasks::ParseDecisionReport,
             [&](const tasks::DecisionReport& r) -> ToolResult {
               auto d = s.tasks->RecordDecision(r);
               if (!d) return Failure(d.error());
               ToolResult out;
               out.structured = {{"decision", tasks::ToJson(*d)}};
               out.text = "Recorded " + d->IdText() + ": " + d->title;
               return out;
             },
             &tasks::DecisionReport::created_by, "created_by");
       }});
  catalog.tools.push_back(
      {"report_blocker", "Report a blocker",
       "Say that you cannot go on with a claimed task and what you need to continue; the task "
       "becomes blocked until someone resolves it.",
       Object({{"task_id", Str("The task id", 32)},
               {"description", Str("What blocks you")},
               {"needs", Str("What would unblock you")},
               {"reported_by", Reporter()},
               {"reported_at", ReportedAt()}},
              {"task_id", "description", "needs", "reported_by", "reported_at"}),
       Wrap("blocker",
            {{"type", "object"},
             {"properties", {{"task_id", {{"type", "string"}}}, {"needs", {{"type", "string"}}}}},
             {"required", {"task_id", "needs"}}}),
       write, Access::kReport, [&s](ToolCall& c) {
         return Run<tasks::BlockerReport>(
             c, tasks::ParseBlockerReport,
             [&](const tasks::BlockerReport& r) -> ToolResult {
               auto b = s.tasks->ReportBlocker(r);
               if (!b) return Failure(b.error());
               ToolResult out;
               out.structured = {{"blocker", tasks::ToJson(*b)}};
               out.text = "Blocked " + tasks::TaskIdText(b->task_id) + ": needs " + b->needs;
               return out;
             },
             &tasks::BlockerReport::reported_by, "reported_by");
       }});
}

}  // namespace docrunch::mcp
