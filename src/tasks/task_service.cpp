// TaskService: creation, reading and the admin moves. The agent reports are
// in report_service.cpp.
#include "tasks/task_service.h"

#include "store/repositories.h"

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/text.h"
#include "tasks/review_policy.h"
#include "tasks/task_writes.h"

namespace docrunch::tasks {
namespace {

using internal::Change;
using nlohmann::json;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidParams, std::move(message));
}

std::string Quoted(const std::string& s) {
  return "'" + s.substr(0, 60) + "'";
}

int PriorityRank(const std::string& priority) {
  const auto& all = config::TaskPriorities();
  return static_cast<int>(std::find(all.begin(), all.end(), priority) - all.begin());
}

// Serializes writers of cross-task data (dependency lists, decision
// numbers) of one repository: PostgreSQL holds this row lock until commit;
// SQLite has one writer anyway.
Result<void> LockRepository(store::Tx& tx, std::int64_t repository_id) {
  auto n = tx.Exec("UPDATE repositories SET updated_at = $1 WHERE id = $2",
                   {FormatIso8601(tx.clock().Now()), repository_id});
  if (!n) return n.error();
  if (*n != 1) return MakeError(ErrorCode::kStorageNotFound, "repository not found");
  return Ok();
}

// The first cycle through `start` in a graph of depends_on edges, as
// "task-1 -> task-2 -> task-1"; "" when none.
std::string FindCycle(const std::map<std::int64_t, std::vector<std::int64_t>>& edges,
                      std::int64_t start) {
  std::vector<std::int64_t> path{start};
  std::set<std::int64_t> visited;
  std::function<bool(std::int64_t)> walk = [&](std::int64_t node) -> bool {
    auto it = edges.find(node);
    if (it == edges.end()) return false;
    for (std::int64_t next : it->second) {
      path.push_back(next);
      if (next == start) return true;
      if (visited.insert(next).second && walk(next)) return true;
      path.pop_back();
    }
    return false;
  };
  if (!walk(start)) return "";
  std::vector<std::string> names;
  for (auto id : path) names.push_back(TaskIdText(id));
  return Join(names, " -> ");
}

// Adds or removes `id` in the blocks list of task `of`.
Result<void> EditBlocks(store::Tx& tx, const Task& of, std::int64_t id, bool add) {
  std::vector<std::int64_t> blocks = of.blocks;
  blocks.erase(std::remove(blocks.begin(), blocks.end(), id), blocks.end());
  if (add) blocks.push_back(id);
  std::sort(blocks.begin(), blocks.end());
  auto n = tx.Exec("UPDATE tasks SET blocks = $1, updated_at = $2 WHERE id = $3",
                   {internal::JsonIdList(blocks), FormatIso8601(tx.clock().Now()), of.id});
  if (!n) return n.error();
  return internal::RecordTaskChange(tx, of, add ? "dependent_added" : "dependent_removed", "",
                                    {{"task", TaskIdText(id)}});
}

}  // namespace

TaskService::TaskService(store::Store& store, std::int64_t repository_id, const Clock& clock,
                         config::TaskRules rules, TaskServiceOptions options,
                         TaskContextSource* context)
    : store_(store),
      repository_id_(repository_id),
      clock_(clock),
      rules_(std::move(rules)),
      options_(options),
      context_(context) {}

std::string TaskService::Now() const {
  return FormatIso8601(clock_.Now());
}

Result<Task> TaskService::Load(store::Reader& db, std::string_view task_id) {
  auto id = ParseTaskId(task_id);
  if (!id) return id.error();
  return LoadTask(db, repository_id_, *id);
}

Result<void> TaskService::CheckAdmin(const std::string& by) const {
  std::string problem = CheckAgentId("by", by, options_.limits);
  if (problem.empty()) return Ok();
  return Invalid(problem);
}

Result<Task> TaskService::Create(const CreateTaskRequest& request) {
  std::vector<std::string> problems;
  auto type = rules_.types.find(request.type);
  if (type == rules_.types.end()) {
    std::vector<std::string> names;
    for (const auto& [name, _] : rules_.types) names.push_back(name);
    std::string hint = ClosestMatch(request.type, names);
    problems.push_back("type: unknown task type " + Quoted(request.type) +
                       " (known: " + Join(names, ", ") + ")" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  if (PriorityRank(request.priority) >= static_cast<int>(config::TaskPriorities().size())) {
    problems.push_back("priority: must be one of " + Join(config::TaskPriorities(), ", ") +
                       ", got " + Quoted(request.priority));
  }
  const auto& limits = options_.limits;
  for (std::string p : {CheckLine("title", request.title, limits.max_title_bytes),
                        CheckText("description", request.description, limits.max_text_bytes, false),
                        CheckAgentId("created_by", request.created_by, limits)}) {
    if (!p.empty()) problems.push_back(p);
  }
  std::vector<std::int64_t> deps;
  for (std::size_t i = 0; i < request.depends_on.size(); ++i) {
    auto id = ParseTaskId(request.depends_on[i], "depends_on[" + std::to_string(i) + "]");
    if (!id) {
      problems.push_back(id.error().message);
    } else if (std::find(deps.begin(), deps.end(), *id) == deps.end()) {
      deps.push_back(*id);
    }
  }
  if (!problems.empty()) return Invalid(Join(problems, "; "));

  const config::TaskTypeTemplate& tmpl = type->second;
  config::ReviewMode mode = ReviewModeFor(rules_, request.type, request.priority);
  std::int64_t new_id = 0;
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    std::vector<Task> dep_tasks;
    if (!deps.empty()) DOCRUNCH_TRY(LockRepository(tx, repository_id_));
    for (std::size_t i = 0; i < deps.size(); ++i) {
      auto dep = LoadTask(tx, repository_id_, deps[i]);
      if (!dep) {
        if (dep.error().code != ErrorCode::kStorageNotFound) return dep.error();
        return Invalid("depends_on[" + std::to_string(i) + "]: " + dep.error().message);
      }
      dep_tasks.push_back(*dep);
    }
    std::string now = Now();
    auto rows = tx.Query(
        "INSERT INTO tasks (repository_id, type, title, description, status, priority, depends_on, "
        "guardrails, acceptance_criteria, review_mode, created_by, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        {repository_id_, request.type, request.title, request.description,
         std::string(request.backlog ? "backlog" : "todo"), request.priority,
         internal::JsonIdList(deps), internal::JsonList(tmpl.guardrails),
         internal::JsonList(tmpl.acceptance_criteria), std::string(config::ReviewModeName(mode)),
         request.created_by, now});
    if (!rows) return rows.error();
    new_id = rows->Int(0, "id").value_or(0);
    for (const Task& dep : dep_tasks) DOCRUNCH_TRY(EditBlocks(tx, dep, new_id, true));
    auto created = LoadTask(tx, repository_id_, new_id);
    if (!created) return created.error();
    json deps_json = json::array();
    for (auto d : deps) deps_json.push_back(TaskIdText(d));
    return internal::RecordTaskChange(tx, *created, "created", request.created_by,
                                      {{"type", request.type},
                                       {"priority", request.priority},
                                       {"status", request.backlog ? "backlog" : "todo"},
                                       {"review_mode", config::ReviewModeName(mode)},
                                       {"depends_on", deps_json}});
  });
  if (!done) return done.error();
  return LoadTask(store_, repository_id_, new_id);
}

Result<Task> TaskService::Get(std::string_view task_id) {
  auto expired = ExpireStaleClaims();
  if (!expired) return expired.error();
  return Load(store_, task_id);
}

Result<std::vector<Task>> TaskService::List(const TaskFilter& filter) {
  auto expired = ExpireStaleClaims();
  if (!expired) return expired.error();
  return ListTasks(store_, repository_id_, filter);
}

Result<std::vector<Task>> TaskService::Available() {
  auto all = List({});
  if (!all) return all.error();
  std::set<std::int64_t> done;
  for (const auto& t : *all) {
    if (t.status == TaskStatus::kDone) done.insert(t.id);
  }
  std::vector<Task> out;
  for (const auto& t : *all) {
    bool ready = std::all_of(t.depends_on.begin(), t.depends_on.end(),
                             [&](std::int64_t d) { return done.count(d) > 0; });
    if (t.status == TaskStatus::kTodo && ready) out.push_back(t);
  }
  std::stable_sort(out.begin(), out.end(), [](const Task& a, const Task& b) {
    return PriorityRank(a.priority) > PriorityRank(b.priority);
  });
  return out;
}

Result<TaskDetails> TaskService::Show(std::string_view task_id) {
  auto task = Get(task_id);
  if (!task) return task.error();
  TaskDetails d;
  d.task = *task;
  bool deps_done = true;
  for (auto id : task->depends_on) {
    auto dep = LoadTask(store_, repository_id_, id);
    if (!dep) return dep.error();
    deps_done = deps_done && dep->status == TaskStatus::kDone;
    d.dependencies.push_back(*dep);
  }
  for (auto id : task->blocks) {
    auto dep = LoadTask(store_, repository_id_, id);
    if (!dep) return dep.error();
    d.dependents.push_back(*dep);
  }
  d.available = task->status == TaskStatus::kTodo && deps_done;
  auto history = LoadHistory(store_, task->id);
  auto completions = LoadCompletions(store_, task->id);
  auto findings = LoadFindings(store_, task->id);
  auto decisions = LoadDecisions(store_, repository_id_, task->id);
  auto blockers = LoadBlockers(store_, task->id);
  if (!history) return history.error();
  if (!completions) return completions.error();
  if (!findings) return findings.error();
  if (!decisions) return decisions.error();
  if (!blockers) return blockers.error();
  d.history = std::move(*history);
  d.completions = std::move(*completions);
  d.findings = std::move(*findings);
  d.decisions = std::move(*decisions);
  d.blockers = std::move(*blockers);
  if (context_) {
    auto context = context_->FindContext(store_, *task);
    if (!context) return context.error();
    d.context = std::move(*context);
  }
  return d;
}

Result<Task> TaskService::SetDependencies(std::string_view task_id,
                                          const std::vector<std::string>& depends_on,
                                          const std::string& by) {
  DOCRUNCH_TRY(CheckAdmin(by));
  auto id = ParseTaskId(task_id);
  if (!id) return id.error();
  std::vector<std::int64_t> deps;
  for (std::size_t i = 0; i < depends_on.size(); ++i) {
    auto dep = ParseTaskId(depends_on[i], "depends_on[" + std::to_string(i) + "]");
    if (!dep) return dep.error();
    if (std::find(deps.begin(), deps.end(), *dep) == deps.end()) deps.push_back(*dep);
  }
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    DOCRUNCH_TRY(LockRepository(tx, repository_id_));
    auto task = LoadTask(tx, repository_id_, *id);
    if (!task) return task.error();
    if (task->status != TaskStatus::kBacklog && task->status != TaskStatus::kTodo) {
      return MakeError(ErrorCode::kTaskInvalidTransition,
                       "cannot change the dependencies of " + task->IdText() + ": it is " +
                           std::string(TaskStatusName(task->status)) +
                           ", and only backlog or todo tasks can change them");
    }
    auto all = ListTasks(tx, repository_id_, {});
    if (!all) return all.error();
    std::map<std::int64_t, std::vector<std::int64_t>> edges;
    std::map<std::int64_t, Task> by_id;
    for (const auto& t : *all) {
      edges[t.id] = t.depends_on;
      by_id[t.id] = t;
    }
    for (std::size_t i = 0; i < deps.size(); ++i) {
      if (!by_id.count(deps[i])) {
        return Invalid("depends_on[" + std::to_string(i) + "]: task " + TaskIdText(deps[i]) +
                       " not found");
      }
    }
    edges[task->id] = deps;
    std::string cycle = FindCycle(edges, task->id);
    if (!cycle.empty()) {
      return MakeError(ErrorCode::kTaskDependencyCycle,
                       "depends_on: these dependencies would form a cycle: " + cycle);
    }
    for (auto old : task->depends_on) {
      if (std::find(deps.begin(), deps.end(), old) == deps.end() && by_id.count(old)) {
        DOCRUNCH_TRY(EditBlocks(tx, by_id[old], task->id, false));
      }
    }
    for (auto dep : deps) {
      const auto& old = task->depends_on;
      if (std::find(old.begin(), old.end(), dep) == old.end()) {
        DOCRUNCH_TRY(EditBlocks(tx, by_id[dep], task->id, true));
      }
    }
    auto n = tx.Exec("UPDATE tasks SET depends_on = $1, updated_at = $2 WHERE id = $3",
                     {internal::JsonIdList(deps), Now(), task->id});
    if (!n) return n.error();
    json list = json::array();
    for (auto d : deps) list.push_back(TaskIdText(d));
    return internal::RecordTaskChange(tx, *task, "dependencies_changed", by,
                                      {{"depends_on", list}});
  });
  if (!done) return done.error();
  return LoadTask(store_, repository_id_, *id);
}

Result<Task> TaskService::RunMove(std::string_view task_id, TaskAction action,
                                  std::optional<TaskStatus> to, const std::string& by,
                                  const json& details) {
  DOCRUNCH_TRY(CheckAdmin(by));
  auto id = ParseTaskId(task_id);
  if (!id) return id.error();
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto task = LoadTask(tx, repository_id_, *id);
    if (!task) return task.error();
    TaskStatus target = TaskStatus::kTodo;
    if (to) {
      target = *to;
    } else if (action == TaskAction::kUnblock && task->status_before_block) {
      target = *task->status_before_block;
    } else {
      auto targets = TargetsOf(action, task->status);
      target = targets.empty() ? TaskStatus::kTodo : targets.front();
    }
    DOCRUNCH_TRY(CheckTransition(task->id, action, task->status, target));
    std::string now = Now();
    std::vector<Change> changes;
    switch (action) {
      case TaskAction::kRelease:
      case TaskAction::kReopen:
        changes = {{"assigned_to", {}}, {"claimed_at", {}}, {"last_report_at", {}}};
        break;
      case TaskAction::kFinish:
        changes = {{"completed_at", now}};
        break;
      case TaskAction::kBlock:
        changes = {{"status_before_block", std::string(TaskStatusName(task->status))}};
        break;
      case TaskAction::kUnblock:
        changes = {{"status_before_block", {}}, {"last_report_at", now}};
        break;
      default:
        break;
    }
    auto n = internal::UpdateTaskIf(tx, *task, task->status, target, changes);
    if (!n) return n.error();
    if (*n != 1) return InvalidTransition(task->id, action, task->status, target);
    if (action == TaskAction::kBlock) {
      auto b = tx.Exec(
          "INSERT INTO blockers (repository_id, task_id, agent, reason, needs, reported_at, "
          "created_at) VALUES ($1, $2, $3, $4, '', $5, $5)",
          {repository_id_, task->id, by, details.value("reason", ""), now});
      if (!b) return b.error();
    } else if (action == TaskAction::kUnblock) {
      auto b = tx.Exec(
          "UPDATE blockers SET resolution = $1, resolved_by = $2, resolved_at = $3 "
          "WHERE task_id = $4 AND resolved_at IS NULL",
          {details.value("resolution", ""), by, now, task->id});
      if (!b) return b.error();
    }
    json full = details;
    full["from"] = TaskStatusName(task->status);
    full["to"] = TaskStatusName(target);
    std::string history_action(TaskActionName(action));
    return internal::RecordTaskChange(tx, *task, history_action, by, full);
  });
  if (!done) return done.error();
  return LoadTask(store_, repository_id_, *id);
}

Result<Task> TaskService::Assign(std::string_view task_id, const std::string& agent,
                                 const std::string& by) {
  std::string problem = CheckAgentId("agent", agent, options_.limits);
  if (!problem.empty()) return Invalid(problem);
  DOCRUNCH_TRY(CheckAdmin(by));
  auto id = ParseTaskId(task_id);
  if (!id) return id.error();
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto task = LoadTask(tx, repository_id_, *id);
    if (!task) return task.error();
    DOCRUNCH_TRY(
        CheckTransition(task->id, TaskAction::kAssign, task->status, TaskStatus::kAssigned));
    auto n = internal::UpdateTaskIf(tx, *task, task->status, TaskStatus::kAssigned,
                                    {{"assigned_to", agent}, {"last_report_at", Now()}});
    if (!n) return n.error();
    if (*n != 1) {
      return InvalidTransition(task->id, TaskAction::kAssign, task->status, TaskStatus::kAssigned);
    }
    return internal::RecordTaskChange(
        tx, *task, "assign", by, {{"to", agent}, {"previous", task->assigned_to.value_or("")}});
  });
  if (!done) return done.error();
  return LoadTask(store_, repository_id_, *id);
}

Result<Task> TaskService::Move(std::string_view task_id, TaskStatus to, const std::string& by) {
  auto task = Load(store_, task_id);
  if (!task) return task.error();
  for (TaskAction action : {TaskAction::kReady, TaskAction::kShelve, TaskAction::kRelease,
                            TaskAction::kReopen, TaskAction::kFinish}) {
    if (IsAllowed(action, task->status, to))
      return RunMove(task_id, action, to, by, json::object());
  }
  return MakeError(ErrorCode::kTaskInvalidTransition,
                   "cannot move " + task->IdText() + " from " +
                       std::string(TaskStatusName(task->status)) + " to " +
                       std::string(TaskStatusName(to)) +
                       ": `task move` allows backlog -> todo, todo -> backlog, assigned -> todo, "
                       "rejected -> todo, approved -> done; the other moves are made by claims, "
                       "reports, assign, approve, reject, block and unblock");
}

Result<Task> TaskService::Approve(std::string_view task_id, const std::string& by,
                                  const std::string& note) {
  std::string problem = CheckText("note", note, options_.limits.max_text_bytes, false);
  if (!problem.empty()) return Invalid(problem);
  return RunMove(task_id, TaskAction::kApprove, TaskStatus::kApproved, by, {{"note", note}});
}

Result<Task> TaskService::Reject(std::string_view task_id, const std::string& by,
                                 const std::string& reason) {
  std::string problem = CheckText("reason", reason, options_.limits.max_text_bytes, true);
  if (!problem.empty()) return Invalid(problem);
  return RunMove(task_id, TaskAction::kReject, TaskStatus::kRejected, by, {{"reason", reason}});
}

Result<Task> TaskService::Block(std::string_view task_id, const std::string& by,
                                const std::string& reason) {
  std::string problem = CheckText("reason", reason, options_.limits.max_text_bytes, true);
  if (!problem.empty()) return Invalid(problem);
  return RunMove(task_id, TaskAction::kBlock, TaskStatus::kBlocked, by, {{"reason", reason}});
}

Result<Task> TaskService::Unblock(std::string_view task_id, const std::string& by,
                                  const std::string& resolution) {
  std::string problem = CheckText("resolution", resolution, options_.limits.max_text_bytes, false);
  if (!problem.empty()) return Invalid(problem);
  return RunMove(task_id, TaskAction::kUnblock, std::nullopt, by, {{"resolution", resolution}});
}

Result<std::int64_t> EnsureRepository(store::Store& store, const std::string& root_path,
                                      const std::string& name) {
  return store::EnsureRepository(store, root_path, name);
}

}  // namespace docrunch::tasks
