// TaskService: the agent reports (claim, progress, completion, finding,
// decision, blocker) and claim expiry.
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "tasks/review_policy.h"
#include "tasks/task_service.h"
#include "tasks/task_writes.h"

namespace docrunch::tasks {
namespace {

using internal::Change;
using nlohmann::json;

bool Holds(const Task& task, const std::string& agent) {
  return task.assigned_to && *task.assigned_to == agent;
}

bool Claimed(const Task& task) {
  return task.status == TaskStatus::kAssigned || task.status == TaskStatus::kWorking;
}

Error NotClaimant(const Task& task, const std::string& agent, const char* what) {
  std::string holder =
      task.assigned_to ? "it is held by " + *task.assigned_to : "nobody holds a claim on it";
  return MakeError(ErrorCode::kTaskNotClaimant, std::string(what) + " on " + task.IdText() +
                                                    " from " + agent +
                                                    " refused: only the agent holding the claim "
                                                    "may report it, and " +
                                                    holder);
}

// Why `agent` may not report on `task` now: someone else holds it, or
// (when the agent does) it is not in a state that takes reports (blocked,
// say): then the agent is not told that it holds no claim.
Error NotReportable(const Task& task, const std::string& agent, const char* what) {
  if (!Holds(task, agent)) return NotClaimant(task, agent, what);
  return MakeError(ErrorCode::kTaskInvalidTransition,
                   std::string(what) + " on " + task.IdText() + " refused: it is " +
                       std::string(TaskStatusName(task.status)) +
                       ", not assigned or working (a blocked task takes reports again once its "
                       "blocker is resolved)");
}

// The title a finding row needs: the description's first line, shortened.
std::string FindingTitle(const std::string& description) {
  std::string line = description.substr(0, description.find('\n'));
  return line.size() > 80 ? line.substr(0, 77) + "..." : line;
}

// Refreshes the claim of `agent` on a task it holds (any report counts).
Result<void> TouchClaim(store::Tx& tx, std::int64_t task_id, const std::string& agent) {
  auto n = tx.Exec(
      "UPDATE tasks SET last_report_at = $1 WHERE id = $2 AND assigned_to = $3 AND status IN "
      "('assigned', 'working')",
      {FormatIso8601(tx.clock().Now()), task_id, agent});
  if (!n) return n.error();
  return Ok();
}

}  // namespace

Error TaskService::ClaimConflict(const Task& task, const std::string& agent, TaskAction action) {
  if (Claimed(task) && !Holds(task, agent)) {
    std::string how = task.status == TaskStatus::kWorking ? "claimed by " : "assigned to ";
    return MakeError(ErrorCode::kTaskAlreadyClaimed,
                     task.IdText() + " is already " + how + task.assigned_to.value_or("?"));
  }
  return InvalidTransition(task.id, action, task.status, TaskStatus::kWorking);
}

Result<Task> TaskService::Claim(const ClaimReport& report) {
  auto when = ValidateClaim(report, options_.limits, clock_.Now());
  if (!when) return when.error();
  auto id = ParseTaskId(report.task_id);
  auto expired = ExpireStaleClaims();
  if (!expired) return expired.error();
  const std::string& agent = report.reported_by;
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto task = LoadTask(tx, repository_id_, *id);
    if (!task) return task.error();
    if (task->status == TaskStatus::kWorking && Holds(*task, agent)) return Ok();  // a retry
    bool claimable = task->status == TaskStatus::kTodo ||
                     (task->status == TaskStatus::kAssigned && Holds(*task, agent));
    if (!claimable) return ClaimConflict(*task, agent, TaskAction::kClaim);
    std::vector<std::string> pending;
    for (auto dep_id : task->depends_on) {
      auto dep = LoadTask(tx, repository_id_, dep_id);
      if (!dep) return dep.error();
      if (dep->status != TaskStatus::kDone) {
        pending.push_back(dep->IdText() + " (" + std::string(TaskStatusName(dep->status)) + ")");
      }
    }
    if (!pending.empty()) {
      return MakeError(
          ErrorCode::kTaskDependenciesPending,
          task->IdText() + " cannot be claimed yet: it waits for " + Join(pending, ", "));
    }
    std::string now = Now();
    std::vector<Change> changes{{"assigned_to", agent},
                                {"claimed_at", now},
                                {"last_report_at", now},
                                {"started_at", task->started_at.empty() ? now : task->started_at}};
    // The WHERE clause decides the winner: only one claimer still finds the
    // task in its old status with no (other) holder.
    bool reserved = task->status == TaskStatus::kAssigned;
    auto n = internal::UpdateTaskIf(tx, *task, task->status, TaskStatus::kWorking, changes,
                                    reserved ? "assigned_to = $E1" : "",
                                    reserved ? store::Params{agent} : store::Params{});
    if (!n) return n.error();
    if (*n != 1) {
      auto now_task = LoadTask(tx, repository_id_, *id);
      if (!now_task) return now_task.error();
      if (now_task->status == TaskStatus::kWorking && Holds(*now_task, agent)) return Ok();
      if (now_task->status == task->status) {
        return MakeError(ErrorCode::kTaskAlreadyClaimed,
                         task->IdText() + " was claimed concurrently; try again");
      }
      return ClaimConflict(*now_task, agent, TaskAction::kClaim);
    }
    return internal::RecordTaskChange(
        tx, *task, "claim", agent,
        {{"from", TaskStatusName(task->status)}, {"reported_at", report.reported_at}});
  });
  if (!done) return done.error();
  return LoadTask(store_, repository_id_, *id);
}

Result<Task> TaskService::UpdateProgress(const ProgressReport& report) {
  auto when = ValidateProgress(report, options_.limits, clock_.Now());
  if (!when) return when.error();
  // A claim past its TTL is released first, whoever reports: the TTL does not
  // depend on whether someone listed the tasks in between.
  if (auto expired = ExpireStaleClaims(); !expired) return expired.error();
  auto id = ParseTaskId(report.task_id);
  const std::string& agent = report.reported_by;
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto task = LoadTask(tx, repository_id_, *id);
    if (!task) return task.error();
    if (!Holds(*task, agent) || !Claimed(*task)) {
      return NotReportable(*task, agent, "update_progress");
    }
    if (task->status != TaskStatus::kWorking) {
      return MakeError(ErrorCode::kTaskInvalidTransition,
                       task->IdText() + " is " + std::string(TaskStatusName(task->status)) +
                           ": claim it (claim_task) before reporting progress");
    }
    auto n = internal::UpdateTaskIf(tx, *task, TaskStatus::kWorking, TaskStatus::kWorking,
                                    {{"progress", report.percentage},
                                     {"status_note", report.status},
                                     {"last_report_at", Now()}},
                                    "assigned_to = $E1", {agent});
    if (!n) return n.error();
    if (*n != 1) return NotClaimant(*task, agent, "update_progress");
    return internal::RecordTaskChange(tx, *task, "progress", agent,
                                      {{"percentage", report.percentage},
                                       {"status", report.status},
                                       {"reported_at", report.reported_at}});
  });
  if (!done) return done.error();
  return LoadTask(store_, repository_id_, *id);
}

Result<CompletionOutcome> TaskService::SubmitCompletion(const CompletionReport& report) {
  auto when = ValidateCompletion(report, options_.limits, clock_.Now());
  if (!when) return when.error();
  // A claim past its TTL is released first, whoever reports: the TTL does not
  // depend on whether someone listed the tasks in between.
  if (auto expired = ExpireStaleClaims(); !expired) return expired.error();
  auto id = ParseTaskId(report.task_id);
  const std::string& agent = report.reported_by;
  CompletionOutcome outcome;
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto task = LoadTask(tx, repository_id_, *id);
    if (!task) return task.error();
    if (task->status == TaskStatus::kReview || task->status == TaskStatus::kApproved ||
        task->status == TaskStatus::kDone) {
      return MakeError(ErrorCode::kTaskInvalidTransition,
                       "submit_completion on " + task->IdText() + " refused: it is " +
                           std::string(TaskStatusName(task->status)) +
                           " and already has a completion (complete allows working -> review)");
    }
    if (!Holds(*task, agent) || !Claimed(*task)) {
      return NotReportable(*task, agent, "submit_completion");
    }
    DOCRUNCH_TRY(
        CheckTransition(task->id, TaskAction::kComplete, task->status, TaskStatus::kReview));
    AutoApproval verdict = DecideAutoApproval(rules_, task->review_mode, task->type, report);
    std::string now = Now();
    auto n = internal::UpdateTaskIf(tx, *task, TaskStatus::kWorking, TaskStatus::kReview,
                                    {{"progress", std::int64_t{100}}, {"last_report_at", now}},
                                    "assigned_to = $E1", {agent});
    if (!n) return n.error();
    if (*n != 1) return NotClaimant(*task, agent, "submit_completion");

    json details{{"notes", report.notes},
                 {"review", verdict.approved ? "auto_approved" : "review"},
                 {"review_reasons", verdict.reasons}};
    auto rows = tx.Query(
        "INSERT INTO completion_reports (repository_id, task_id, agent, summary, files_changed, "
        "tests_passed, details, reported_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
        "$9) RETURNING id",
        {repository_id_, task->id, agent, report.summary, internal::JsonList(report.changes),
         std::int64_t{report.tests_passed ? 1 : 0}, details.dump(), report.reported_at, now});
    if (!rows) return rows.error();
    std::int64_t report_id = rows->Int(0, "id").value_or(0);
    for (const auto& finding : report.findings) {
      std::int64_t finding_id = 0;
      DOCRUNCH_TRY(InsertFinding(tx, task->id, finding, agent, report.reported_at, finding_id));
      outcome.findings.push_back(finding_id);
    }
    for (const auto& decision : report.decisions) {
      auto d = InsertDecision(tx, task->id, decision, agent, report.reported_at);
      if (!d) return d.error();
      outcome.decisions.push_back(*d);
    }
    json adrs = json::array();
    for (const auto& d : outcome.decisions) adrs.push_back(d.IdText());
    DOCRUNCH_TRY(internal::RecordTaskChange(tx, *task, "complete", agent,
                                            {{"completion_report", report_id},
                                             {"tests_passed", report.tests_passed},
                                             {"files_changed", report.changes.size()},
                                             {"findings", outcome.findings},
                                             {"decisions", adrs},
                                             {"reported_at", report.reported_at}}));
    outcome.auto_approved = verdict.approved;
    outcome.review_reasons = verdict.reasons;
    if (!verdict.approved) return Ok();
    auto reviewed = LoadTask(tx, repository_id_, task->id);
    if (!reviewed) return reviewed.error();
    auto m = internal::UpdateTaskIf(tx, *reviewed, TaskStatus::kReview, TaskStatus::kApproved, {});
    if (!m) return m.error();
    return internal::RecordTaskChange(tx, *reviewed, "auto_approve", "",
                                      {{"from", "review"}, {"to", "approved"}});
  });
  if (!done) return done.error();
  auto task = LoadTask(store_, repository_id_, *id);
  if (!task) return task.error();
  auto reports = LoadCompletions(store_, *id);
  if (!reports) return reports.error();
  outcome.task = *task;
  outcome.report = reports->back();
  if (options_.after_completion) options_.after_completion(outcome);
  return outcome;
}

Result<void> TaskService::InsertFinding(store::Tx& tx, std::int64_t task_id,
                                        const FindingInput& finding, const std::string& agent,
                                        const std::string& reported_at, std::int64_t& id) {
  store::Value first_file =
      finding.files.empty() ? store::Value{} : store::Value{finding.files.front()};
  auto rows = tx.Query(
      "INSERT INTO findings (repository_id, task_id, agent, kind, title, description, file_path, "
      "files, reported_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
      "RETURNING id",
      {repository_id_, task_id, agent, finding.type, FindingTitle(finding.description),
       finding.description, first_file, internal::JsonList(finding.files), reported_at, Now()});
  if (!rows) return rows.error();
  id = rows->Int(0, "id").value_or(0);
  return Ok();
}

Result<DecisionRecord> TaskService::InsertDecision(store::Tx& tx,
                                                   std::optional<std::int64_t> task_id,
                                                   const DecisionInput& decision,
                                                   const std::string& agent,
                                                   const std::string& reported_at) {
  // Numbers are per repository and gap-free: the repository row lock
  // serializes concurrent recorders (PostgreSQL); SQLite has one writer.
  auto locked =
      tx.Exec("UPDATE repositories SET updated_at = $1 WHERE id = $2", {Now(), repository_id_});
  if (!locked) return locked.error();
  auto next =
      tx.Query("SELECT COALESCE(MAX(number), 0) + 1 AS n FROM decisions WHERE repository_id = $1",
               {repository_id_});
  if (!next) return next.error();
  std::int64_t number = next->Int(0, "n").value_or(1);
  std::string now = Now();
  auto rows = tx.Query(
      "INSERT INTO decisions (repository_id, task_id, agent, title, status, context, decision, "
      "rationale, number, reported_at, created_at, updated_at) VALUES ($1, $2, $3, $4, "
      "'accepted', $5, $6, $7, $8, $9, $10, $10) RETURNING id",
      {repository_id_, task_id ? store::Value{*task_id} : store::Value{}, agent, decision.title,
       decision.context, decision.decision, decision.rationale, number, reported_at, now});
  if (!rows) return rows.error();
  std::int64_t row_id = rows->Int(0, "id").value_or(0);
  auto record = LoadDecision(tx, row_id);
  if (!record) return record.error();
  json content{{"title", record->title},       {"context", record->context},
               {"decision", record->decision}, {"rationale", record->rationale},
               {"number", record->number},     {"status", record->status}};
  DOCRUNCH_TRY(internal::EmitDecisionEvent(tx, repository_id_, row_id, content.dump()));
  return record;
}

Result<FindingRecord> TaskService::LogFinding(const FindingReport& report) {
  auto when = ValidateFinding(report, options_.limits, clock_.Now());
  if (!when) return when.error();
  auto id = ParseTaskId(report.task_id);
  std::int64_t finding_id = 0;
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto task = LoadTask(tx, repository_id_, *id);
    if (!task) return task.error();
    DOCRUNCH_TRY(InsertFinding(tx, task->id, report.finding, report.created_by, report.created_at,
                               finding_id));
    DOCRUNCH_TRY(TouchClaim(tx, task->id, report.created_by));
    return internal::RecordTaskChange(tx, *task, "finding", report.created_by,
                                      {{"finding", "finding-" + std::to_string(finding_id)},
                                       {"type", report.finding.type},
                                       {"reported_at", report.created_at}});
  });
  if (!done) return done.error();
  auto findings = LoadFindings(store_, *id);
  if (!findings) return findings.error();
  for (const auto& f : *findings) {
    if (f.id == finding_id) return f;
  }
  return MakeError(ErrorCode::kInternal, "the new finding was not found");
}

Result<DecisionRecord> TaskService::RecordDecision(const DecisionReport& report) {
  auto when = ValidateDecision(report, options_.limits, clock_.Now());
  if (!when) return when.error();
  std::optional<std::int64_t> task_id;
  if (!report.task_id.empty()) task_id = *ParseTaskId(report.task_id);
  DecisionRecord record;
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    std::optional<Task> task;
    if (task_id) {
      auto loaded = LoadTask(tx, repository_id_, *task_id);
      if (!loaded) return loaded.error();
      task = *loaded;
    }
    auto inserted =
        InsertDecision(tx, task_id, report.decision, report.created_by, report.created_at);
    if (!inserted) return inserted.error();
    record = *inserted;
    if (!task) return Ok();
    DOCRUNCH_TRY(TouchClaim(tx, task->id, report.created_by));
    return internal::RecordTaskChange(
        tx, *task, "decision", report.created_by,
        {{"decision", record.IdText()}, {"reported_at", report.created_at}});
  });
  if (!done) return done.error();
  return record;
}

Result<BlockerRecord> TaskService::ReportBlocker(const BlockerReport& report) {
  auto when = ValidateBlocker(report, options_.limits, clock_.Now());
  if (!when) return when.error();
  // A claim past its TTL is released first, whoever reports: the TTL does not
  // depend on whether someone listed the tasks in between.
  if (auto expired = ExpireStaleClaims(); !expired) return expired.error();
  auto id = ParseTaskId(report.task_id);
  const std::string& agent = report.reported_by;
  std::int64_t blocker_id = 0;
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto task = LoadTask(tx, repository_id_, *id);
    if (!task) return task.error();
    if (Claimed(*task) && !Holds(*task, agent)) return NotClaimant(*task, agent, "report_blocker");
    DOCRUNCH_TRY(CheckTransition(task->id, TaskAction::kBlock, task->status, TaskStatus::kBlocked));
    auto n = internal::UpdateTaskIf(
        tx, *task, task->status, TaskStatus::kBlocked,
        {{"status_before_block", std::string(TaskStatusName(task->status))}});
    if (!n) return n.error();
    if (*n != 1)
      return InvalidTransition(task->id, TaskAction::kBlock, task->status, TaskStatus::kBlocked);
    auto rows = tx.Query(
        "INSERT INTO blockers (repository_id, task_id, agent, reason, needs, reported_at, "
        "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        {repository_id_, task->id, agent, report.description, report.needs, report.reported_at,
         Now()});
    if (!rows) return rows.error();
    blocker_id = rows->Int(0, "id").value_or(0);
    return internal::RecordTaskChange(tx, *task, "block", agent,
                                      {{"from", TaskStatusName(task->status)},
                                       {"to", "blocked"},
                                       {"blocker", blocker_id},
                                       {"needs", report.needs},
                                       {"reported_at", report.reported_at}});
  });
  if (!done) return done.error();
  auto blockers = LoadBlockers(store_, *id);
  if (!blockers) return blockers.error();
  for (const auto& b : *blockers) {
    if (b.id == blocker_id) return b;
  }
  return MakeError(ErrorCode::kInternal, "the new blocker was not found");
}

Result<bool> TaskService::ReleaseIfStale(store::Tx& tx, const Task& task,
                                         const std::string& cutoff) {
  if (!Claimed(task)) return false;
  auto n = internal::UpdateTaskIf(tx, task, task.status, TaskStatus::kTodo,
                                  {{"assigned_to", {}}, {"claimed_at", {}}, {"last_report_at", {}}},
                                  "last_report_at < $E1", {cutoff});
  if (!n) return n.error();
  if (*n != 1) return false;  // a report arrived meanwhile
  long long ttl_s = std::chrono::duration_cast<std::chrono::seconds>(options_.claim_ttl).count();
  DOCRUNCH_TRY(internal::RecordTaskChange(tx, task, "claim_expired", "",
                                          {{"from", TaskStatusName(task.status)},
                                           {"to", "todo"},
                                           {"agent", task.assigned_to.value_or("")},
                                           {"last_report_at", task.last_report_at},
                                           {"claim_ttl_seconds", ttl_s}}));
  return true;
}

Result<int> TaskService::ExpireStaleClaims() {
  std::string cutoff = FormatIso8601(clock_.Now() - options_.claim_ttl);
  auto stale = store_.Query(
      "SELECT id FROM tasks WHERE repository_id = $1 AND status IN ('assigned', 'working') AND "
      "last_report_at < $2 ORDER BY id",
      {repository_id_, cutoff});
  if (!stale) return stale.error();
  int released = 0;
  for (std::size_t i = 0; i < stale->size(); ++i) {
    std::int64_t id = stale->Int(i, "id").value_or(0);
    bool changed = false;
    auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
      auto task = LoadTask(tx, repository_id_, id);
      if (!task) return task.error();
      auto released_now = ReleaseIfStale(tx, *task, cutoff);
      if (!released_now) return released_now.error();
      changed = *released_now;
      return Ok();
    });
    if (!done) return done.error();
    if (changed) ++released;
  }
  return released;
}

Result<std::optional<TimePoint>> TaskService::NextClaimExpiry() {
  auto oldest = store_.Query(
      "SELECT min(last_report_at) AS oldest FROM tasks WHERE repository_id = $1 AND "
      "status IN ('assigned', 'working')",
      {repository_id_});
  if (!oldest) return oldest.error();
  auto text = oldest->empty() ? std::nullopt : oldest->Text(0, "oldest");
  if (!text) return std::optional<TimePoint>();
  auto at = ParseIso8601(*text);
  // An unreadable time: treat the claim as due now (answers are not kept).
  if (!at) return std::optional<TimePoint>(clock_.Now());
  return std::optional<TimePoint>(*at + options_.claim_ttl);
}

}  // namespace docrunch::tasks
