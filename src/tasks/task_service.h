// The task pipeline (PRODUCT §8, §9 reports): one service that the CLI, the
// MCP tools and the REST API call. Business rules live here once.
//
// Every operation that changes something runs in one Store::Transact: the
// rows, a task_history row per task change and an outbox event per changed
// entity (priority above scan events) commit together or not at all.
// Inputs are validated before the transaction starts; an operation that
// fails leaves the database exactly as it was.
//
// Status changes follow the table of transitions.h; a move it does not
// allow is TASK_INVALID_TRANSITION naming the current and requested status.
// Claims are one conditional UPDATE whose changed-row count picks the
// winner, so of N concurrent claims (threads or processes, on SQLite or
// PostgreSQL) exactly one succeeds and the others get TASK_ALREADY_CLAIMED.
//
// Time comes from the Clock given at construction (received times, claim
// expiry); ids are assigned by the database. Thread-safe: a TaskService
// holds no mutable state besides what the Store guards.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/task_rules.h"
#include "core/clock.h"
#include "store/store.h"
#include "tasks/records.h"
#include "tasks/reports.h"
#include "tasks/task.h"
#include "tasks/task_context.h"
#include "tasks/transitions.h"

namespace docrunch::tasks {

struct CompletionOutcome;

struct TaskServiceOptions {
  // A claim whose agent sends no report for this long returns to todo.
  std::chrono::milliseconds claim_ttl{std::chrono::minutes(30)};
  ReportLimits limits;
  // Called after a completion is committed (an automatic snapshot is queued
  // there when rollback.auto_snapshot.on_task_complete asks); its failures
  // are its own, the completion stands.
  std::function<void(const CompletionOutcome&)> after_completion;
};

struct CreateTaskRequest {
  std::string type;  // a type of task_templates.yaml
  std::string title;
  std::string description;
  std::string priority = "medium";      // low | medium | high | critical
  std::vector<std::string> depends_on;  // task ids ("task-3")
  bool backlog = false;                 // start in backlog rather than todo
  std::string created_by = "cli";       // an agent id (reports.h charset)
};

struct TaskDetails {
  Task task;
  bool available = false;             // todo and every dependency done
  std::vector<Task> dependencies;     // the tasks in task.depends_on
  std::vector<Task> dependents;       // the tasks in task.blocks
  std::vector<HistoryEntry> history;  // oldest first
  std::vector<CompletionRecord> completions;
  std::vector<FindingRecord> findings;
  std::vector<DecisionRecord> decisions;
  std::vector<BlockerRecord> blockers;
  TaskContext context;
};

struct CompletionOutcome {
  Task task;  // in review, or approved when auto-approved
  CompletionRecord report;
  bool auto_approved = false;
  std::vector<std::string> review_reasons;  // why a reviewer is needed
  std::vector<std::int64_t> findings;       // ids of findings created with it
  std::vector<DecisionRecord> decisions;    // decisions recorded with it
};

class TaskService {
 public:
  // `store`, `clock` and `context` (may be null: no search context) must
  // outlive the service.
  TaskService(store::Store& store, std::int64_t repository_id, const Clock& clock,
              config::TaskRules rules, TaskServiceOptions options,
              TaskContextSource* context = nullptr);

  // --- admin operations (CLI, MCP admin tools) ---
  // Fills guardrails, acceptance criteria and review mode from the type's
  // template and the review rules. INVALID_PARAMS for an unknown type or
  // priority (with a suggestion), a bad or unknown dependency.
  Result<Task> Create(const CreateTaskRequest& request);
  Result<Task> Get(std::string_view task_id);
  // Task, dependencies, history, reports and search context.
  Result<TaskDetails> Show(std::string_view task_id);
  Result<std::vector<Task>> List(const TaskFilter& filter);
  // Todo tasks whose dependencies are all done, highest priority first.
  Result<std::vector<Task>> Available();
  // Replaces the dependencies of a backlog/todo task; a cycle is
  // TASK_DEPENDENCY_CYCLE naming it ("task-1 -> task-2 -> task-1").
  Result<Task> SetDependencies(std::string_view task_id, const std::vector<std::string>& depends_on,
                               const std::string& by);
  // todo|assigned -> assigned, reserved for `agent` (who then claims it).
  Result<Task> Assign(std::string_view task_id, const std::string& agent, const std::string& by);
  // A move that is no report: ready (backlog->todo), shelve (todo->backlog),
  // release (assigned->todo), reopen (rejected->todo), finish
  // (approved->done). `to` picks the row of the table.
  Result<Task> Move(std::string_view task_id, TaskStatus to, const std::string& by);
  Result<Task> Approve(std::string_view task_id, const std::string& by, const std::string& note);
  Result<Task> Reject(std::string_view task_id, const std::string& by, const std::string& reason);
  // An admin block (a blockers row with no `needs`), and its resolution:
  // the task returns to the status it had before the block.
  Result<Task> Block(std::string_view task_id, const std::string& by, const std::string& reason);
  Result<Task> Unblock(std::string_view task_id, const std::string& by,
                       const std::string& resolution);

  // --- agent reports (MCP report tools) ---
  Result<Task> Claim(const ClaimReport& report);
  Result<Task> UpdateProgress(const ProgressReport& report);
  Result<CompletionOutcome> SubmitCompletion(const CompletionReport& report);
  Result<FindingRecord> LogFinding(const FindingReport& report);
  Result<DecisionRecord> RecordDecision(const DecisionReport& report);
  Result<BlockerRecord> ReportBlocker(const BlockerReport& report);

  // Returns every assigned/working task whose last report is older than
  // claim_ttl to todo (a history row "claim_expired" each); returns how
  // many. Claim, the reports on a claimed task (progress, completion,
  // blocker), Available, List and Show run it first, so a dead agent never
  // holds work past the TTL, and a late report does not bring a claim back.
  Result<int> ExpireStaleClaims();
  // When ExpireStaleClaims would next release a claim if no agent reports
  // before: the oldest last report of an assigned or working task plus
  // claim_ttl; none while no task is claimed. A list read now stays true
  // until then unless the database changes.
  Result<std::optional<TimePoint>> NextClaimExpiry();

  const config::TaskRules& rules() const { return rules_; }
  std::int64_t repository_id() const { return repository_id_; }

 private:
  Result<Task> Load(store::Reader& db, std::string_view task_id);
  std::string Now() const;
  Result<void> CheckAdmin(const std::string& by) const;
  // Runs a status move (one row of the table) with history and event.
  Result<Task> RunMove(std::string_view task_id, TaskAction action, std::optional<TaskStatus> to,
                       const std::string& by, const nlohmann::json& details);
  // Why a claim/report on `task` by `agent` cannot proceed.
  Error ClaimConflict(const Task& task, const std::string& agent, TaskAction action);
  Result<void> InsertFinding(store::Tx& tx, std::int64_t task_id, const FindingInput& finding,
                             const std::string& agent, const std::string& reported_at,
                             std::int64_t& id);
  Result<DecisionRecord> InsertDecision(store::Tx& tx, std::optional<std::int64_t> task_id,
                                        const DecisionInput& decision, const std::string& agent,
                                        const std::string& reported_at);
  Result<bool> ReleaseIfStale(store::Tx& tx, const Task& task, const std::string& cutoff);

  store::Store& store_;
  std::int64_t repository_id_;
  const Clock& clock_;
  config::TaskRules rules_;
  TaskServiceOptions options_;
  TaskContextSource* context_;
};

// The repositories row for `root_path` (created on first use, with its
// outbox event); returns its id.
Result<std::int64_t> EnsureRepository(store::Store& store, const std::string& root_path,
                                      const std::string& name);

}  // namespace docrunch::tasks
