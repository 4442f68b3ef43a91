#include "jobs/db_workflow.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "jobs/job_types.h"

namespace docrunch::jobs {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxJson = 1024 * 1024;

// What a worker may take: pending; running whose worker let the lease pass
// (it died or hangs); waiting whose wake-up time came (a timer, a retry's
// backoff, a signal wait's timeout; Signal and Cancel set it to now).
constexpr std::string_view kRunnable =
    "(status = 'pending' OR (status = 'running' AND lease_until <= $1) OR "
    "(status = 'waiting' AND wake_at <= $1))";

Result<json> ParseField(const std::string& text, const std::string& field) {
  if (text.size() > kMaxJson)
    return MakeError(ErrorCode::kInvalidParams, field + ": more than 1 MB");
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) return MakeError(ErrorCode::kInvalidParams, field + ": not valid JSON");
  return value;
}

json ParseStored(const std::optional<std::string>& text) {
  if (!text) return json();
  json value = json::parse(*text, nullptr, false);
  return value.is_discarded() ? json(*text) : value;
}

constexpr std::string_view kRunColumns =
    "id, workflow, status, input, result, error, lease_owner, lease_until, wake_at, "
    "cancel_requested, created_at, updated_at, finished_at";

WorkflowRun RunFrom(const store::Rows& rows, std::size_t i) {
  WorkflowRun run;
  run.id = rows.Text(i, "id").value_or("");
  run.workflow = rows.Text(i, "workflow").value_or("");
  run.status = rows.Text(i, "status").value_or("");
  run.input = ParseStored(rows.Text(i, "input"));
  if (auto r = rows.Text(i, "result")) run.result = ParseStored(r);
  run.error = rows.Text(i, "error").value_or("");
  run.lease_owner = rows.Text(i, "lease_owner").value_or("");
  run.lease_until = rows.Text(i, "lease_until").value_or("");
  run.wake_at = rows.Text(i, "wake_at").value_or("");
  run.cancel_requested = rows.Int(i, "cancel_requested").value_or(0) != 0;
  run.created_at = rows.Text(i, "created_at").value_or("");
  run.updated_at = rows.Text(i, "updated_at").value_or("");
  run.finished_at = rows.Text(i, "finished_at").value_or("");
  return run;
}

Error NotFound(const std::string& id) {
  return MakeError(ErrorCode::kStorageNotFound, "id: no workflow run '" + id.substr(0, 64) + "'");
}

// Why a run that is not live refused `what`; NotFound when there is none.
Error Refusal(store::Tx& tx, const std::string& id, const std::string& what) {
  auto rows = tx.Query("SELECT status FROM workflow_runs WHERE id = $1", {id});
  if (!rows) return rows.error();
  if (rows->empty()) return NotFound(id);
  return MakeError(ErrorCode::kTaskInvalidTransition,
                   "run " + id + " is " + rows->Text(0, "status").value_or("") + ": " + what);
}

// Takes the oldest runnable run in `tx` under a new lease; `claim` stays
// empty when there is none (or another worker took it first).
Result<void> ClaimRunnable(store::Tx& tx, TimePoint now, const std::string& owner,
                           std::chrono::milliseconds lease, IdGenerator& ids,
                           std::optional<RunClaim>& claim) {
  claim.reset();
  const std::string at = FormatIso8601(now);
  auto due = tx.Query(
      "SELECT id, workflow, input, status, cancel_requested FROM workflow_runs "
      "WHERE " +
          std::string(kRunnable) + " ORDER BY updated_at, id LIMIT 1" +
          std::string(tx.SkipLockedClause()),
      {at});
  if (!due) return due.error();
  if (due->empty()) return Ok();
  RunClaim c;
  c.id = *due->Text(0, "id");
  c.workflow = due->Text(0, "workflow").value_or("");
  c.input = due->Text(0, "input").value_or("null");
  c.cancel_requested = due->Int(0, "cancel_requested").value_or(0) != 0;
  c.fresh = due->Text(0, "status").value_or("") == "pending";
  c.token = owner + "/" + ids.NewId().substr(0, 8);
  // Conditional, so two takers that read the same row cannot both win.
  auto taken = tx.Exec(
      "UPDATE workflow_runs SET status = 'running', lease_owner = $2, "
      "lease_until = $3, wake_at = NULL, updated_at = $1 WHERE id = $4 AND " +
          std::string(kRunnable),
      {at, c.token, FormatIso8601(now + lease), c.id});
  if (!taken) return taken.error();
  if (*taken != 1) return Ok();
  DOCRUNCH_TRY(EmitWorkflowEvent(tx, c.id, "running"));
  claim = std::move(c);
  return Ok();
}

}  // namespace

DbWorkflowEngine::DbWorkflowEngine(store::Store& store, const Clock& clock,
                                   WorkflowWorkerOptions options, IdGenerator* ids)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      own_ids_(ids ? nullptr : std::make_unique<RandomIdGenerator>()),
      ids_(ids ? *ids : *own_ids_) {
  if (options_.owner.empty()) options_.owner = "worker";
  if (options_.concurrency < 1) options_.concurrency = 1;
  if (options_.lease < std::chrono::milliseconds(100))
    options_.lease = std::chrono::milliseconds(100);
  if (options_.heartbeat <= std::chrono::milliseconds(0) || options_.heartbeat >= options_.lease) {
    options_.heartbeat = options_.lease / 3;
  }
}

DbWorkflowEngine::~DbWorkflowEngine() = default;

void DbWorkflowEngine::Register(const std::string& name, WorkflowFn fn, InputCheck check) {
  std::lock_guard lock(mu_);
  workflows_[name] = std::move(fn);
  if (check) {
    checks_[name] = std::move(check);
  } else {
    checks_.erase(name);
  }
}

WorkflowFn DbWorkflowEngine::Find(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = workflows_.find(name);
  return it == workflows_.end() ? WorkflowFn() : it->second;
}

Result<std::string> DbWorkflowEngine::Start(const std::string& workflow, const std::string& input) {
  std::string id;
  DOCRUNCH_TRY(store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto started = StartIn(tx, workflow, input);
    if (!started) return started.error();
    id = std::move(*started);
    return Ok();
  }));
  return id;
}

Result<std::string> DbWorkflowEngine::StartIn(store::Tx& tx, const std::string& workflow,
                                              const std::string& input) {
  if (!Find(workflow)) {
    std::string known;
    {
      std::lock_guard lock(mu_);
      for (const auto& [name, fn] : workflows_) known += (known.empty() ? "" : ", ") + name;
    }
    return MakeError(ErrorCode::kInvalidParams, "workflow: '" + workflow.substr(0, 64) +
                                                    "' is not a registered workflow (known: " +
                                                    (known.empty() ? "none" : known) + ")");
  }
  auto parsed = ParseField(input, "input");
  if (!parsed) return parsed.error();
  InputCheck check;
  {
    std::lock_guard lock(mu_);
    auto it = checks_.find(workflow);
    if (it != checks_.end()) check = it->second;
  }
  if (check) {
    auto checked = check(*parsed);
    if (!checked) return checked.error();
    *parsed = std::move(*checked);
  }
  const std::string id = "wf-" + ids_.NewId().substr(0, 16);
  const std::string now = FormatIso8601(clock_.Now());
  auto made = tx.Exec(
      "INSERT INTO workflow_runs (id, workflow, input, status, created_at, updated_at) "
      "VALUES ($1, $2, $3, 'pending', $4, $4)",
      {id, workflow, parsed->dump(), now});
  if (!made) return made.error();
  DOCRUNCH_TRY(EmitWorkflowEvent(tx, id, "pending"));
  return id;
}

Result<void> DbWorkflowEngine::Cancel(const std::string& id) {
  return store_.Transact([&](store::Tx& tx) -> Result<void> {
    const std::string now = FormatIso8601(clock_.Now());
    // Nothing ran yet: cancelled at once, nothing to undo.
    auto at_once = tx.Exec(
        "UPDATE workflow_runs SET status = 'cancelled', cancel_requested = 1, error = 'cancelled', "
        "updated_at = $2, finished_at = $2 WHERE id = $1 AND status = 'pending'",
        {id, now});
    if (!at_once) return at_once.error();
    if (*at_once == 1) return EmitWorkflowEvent(tx, id, "cancelled");
    // A waiting run wakes now to compensate; a running one sees the request
    // at its next step boundary.
    auto requested = tx.Exec(
        "UPDATE workflow_runs SET cancel_requested = 1, updated_at = $2, "
        "wake_at = CASE WHEN status = 'waiting' THEN $2 ELSE wake_at END "
        "WHERE id = $1 AND status IN ('running', 'waiting') AND cancel_requested = 0",
        {id, now});
    if (!requested) return requested.error();
    if (*requested == 1) return EmitWorkflowEvent(tx, id, "cancel_requested");
    auto rows = tx.Query("SELECT status, cancel_requested FROM workflow_runs WHERE id = $1", {id});
    if (!rows) return rows.error();
    if (rows->empty()) return NotFound(id);
    const std::string status = rows->Text(0, "status").value_or("");
    if (!IsFinalRunStatus(status)) {
      return MakeError(ErrorCode::kTaskInvalidTransition,
                       "run " + id + ": cancellation was already requested");
    }
    return MakeError(ErrorCode::kTaskInvalidTransition,
                     "run " + id + " is already " + status + ": there is nothing to cancel");
  });
}

Result<void> DbWorkflowEngine::Signal(const std::string& id, const std::string& name,
                                      const std::string& data) {
  if (!IsJobName(name)) {
    return MakeError(ErrorCode::kInvalidParams,
                     "name: '" + name.substr(0, 64) + "' is not a signal name ([a-z0-9_-], 1-64)");
  }
  auto parsed = ParseField(data, "data");
  if (!parsed) return parsed.error();
  return store_.Transact([&](store::Tx& tx) -> Result<void> {
    const std::string now = FormatIso8601(clock_.Now());
    // Touching the row first locks it: a run parking at the same moment
    // either sees this signal or is woken by it (see Execution::Park).
    auto woken = tx.Exec(
        "UPDATE workflow_runs SET updated_at = $2, "
        "wake_at = CASE WHEN status = 'waiting' THEN $2 ELSE wake_at END "
        "WHERE id = $1 AND status IN ('pending', 'running', 'waiting')",
        {id, now});
    if (!woken) return woken.error();
    if (*woken == 0) return Refusal(tx, id, "it takes no more signals");
    auto added = tx.Exec(
        "INSERT INTO workflow_signals (run_id, name, data, created_at) VALUES ($1, $2, $3, $4)",
        {id, name, parsed->dump(), now});
    if (!added) return added.error();
    return EmitWorkflowEvent(tx, id, "signal:" + name);
  });
}

Result<WorkflowRun> DbWorkflowEngine::Get(const std::string& id) {
  auto rows = store_.Query(
      "SELECT " + std::string(kRunColumns) + " FROM workflow_runs WHERE id = $1", {id});
  if (!rows) return rows.error();
  if (rows->empty()) return NotFound(id);
  WorkflowRun run = RunFrom(*rows, 0);
  auto steps = store_.Query(
      "SELECT seq, name, kind, status, attempts, result, error, started_at, finished_at "
      "FROM workflow_steps WHERE run_id = $1 ORDER BY seq",
      {id});
  if (!steps) return steps.error();
  for (std::size_t i = 0; i < steps->size(); ++i) {
    WorkflowStepInfo s;
    s.seq = static_cast<int>(steps->Int(i, "seq").value_or(0));
    s.name = steps->Text(i, "name").value_or("");
    s.kind = steps->Text(i, "kind").value_or("");
    s.status = steps->Text(i, "status").value_or("");
    s.attempts = static_cast<int>(steps->Int(i, "attempts").value_or(0));
    if (auto r = steps->Text(i, "result")) s.result = ParseStored(r);
    s.error = steps->Text(i, "error").value_or("");
    s.started_at = steps->Text(i, "started_at").value_or("");
    s.finished_at = steps->Text(i, "finished_at").value_or("");
    run.steps.push_back(std::move(s));
  }
  auto signals = store_.Query(
      "SELECT id, name, data, created_at, consumed_at FROM workflow_signals WHERE run_id = $1 "
      "ORDER BY id",
      {id});
  if (!signals) return signals.error();
  for (std::size_t i = 0; i < signals->size(); ++i) {
    run.signals.push_back({signals->Int(i, "id").value_or(0), signals->Text(i, "name").value_or(""),
                           ParseStored(signals->Text(i, "data")),
                           signals->Text(i, "created_at").value_or(""),
                           signals->Text(i, "consumed_at").value_or("")});
  }
  return run;
}

Result<std::vector<WorkflowRun>> DbWorkflowEngine::List(const std::string& status, int limit) {
  if (!status.empty() && !IsRunStatus(status)) {
    return MakeError(ErrorCode::kInvalidParams,
                     "status: '" + status.substr(0, 64) +
                         "' is not one of pending, running, waiting, completed, failed, "
                         "compensated, cancelled");
  }
  if (limit < 1 || limit > 1000) return MakeError(ErrorCode::kInvalidParams, "limit: 1 to 1000");
  std::string sql = "SELECT " + std::string(kRunColumns) + " FROM workflow_runs";
  store::Params params;
  if (!status.empty()) {
    sql += " WHERE status = $1";
    params.push_back(status);
  }
  sql += " ORDER BY created_at DESC, id DESC LIMIT " + std::to_string(limit);
  auto rows = store_.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<WorkflowRun> runs;
  for (std::size_t i = 0; i < rows->size(); ++i) runs.push_back(RunFrom(*rows, i));
  return runs;
}

Result<std::optional<RunClaim>> DbWorkflowEngine::TakeRunnable() {
  std::optional<RunClaim> claim;
  // A read first: an idle worker polls, and on SQLite a write transaction
  // takes the one write lock every other writer of the file waits for.
  auto any = store_.Query(
      "SELECT 1 AS due FROM workflow_runs WHERE " + std::string(kRunnable) + " LIMIT 1",
      {FormatIso8601(clock_.Now())});
  if (!any) return any.error();
  if (any->empty()) return claim;
  DOCRUNCH_TRY(store_.Transact([&](store::Tx& tx) {
    return ClaimRunnable(tx, clock_.Now(), options_.owner, options_.lease, ids_, claim);
  }));
  return claim;
}

Result<void> DbWorkflowEngine::Execute(const RunClaim& claim, const std::atomic<bool>& stop) {
  ExecutionEnv env{store_, clock_, options_.lease, options_.heartbeat};
  return ExecuteRun(env, claim, Find(claim.workflow), stop);
}

Result<int> DbWorkflowEngine::RunDue(int max_runs) {
  std::atomic<bool> never{false};
  int ran = 0;
  while (ran < max_runs) {
    auto claim = TakeRunnable();
    if (!claim) return claim.error();
    if (!*claim) break;
    ++ran;
    DOCRUNCH_TRY(Execute(**claim, never));
  }
  return ran;
}

Result<void> DbWorkflowEngine::RunWorker(const std::atomic<bool>& stop) {
  auto loop = [&] {
    auto nap = [&](std::chrono::milliseconds total) {
      for (auto slept = std::chrono::milliseconds(0); slept < total && !stop;
           slept += std::chrono::milliseconds(20)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    };
    // The next run is taken in the transaction that parks or ends the
    // current one (a commit saved per run). Should that transaction not
    // commit after all, the next run was not taken: its execution then
    // finds the lease is not its own at its first write and does nothing.
    std::optional<RunClaim> next;
    ExecutionEnv env{store_, clock_, options_.lease, options_.heartbeat};
    env.at_end = [&](store::Tx& tx) -> Result<void> {
      next.reset();
      if (stop) return Ok();
      return ClaimRunnable(tx, clock_.Now(), options_.owner, options_.lease, ids_, next);
    };
    while (next || !stop) {
      Result<std::optional<RunClaim>> claim = std::move(next);
      next.reset();
      if (!*claim) claim = TakeRunnable();
      if (!claim) {
        spdlog::warn("workflows: worker {}: {}", options_.owner, claim.error().ToString());
        nap(std::chrono::milliseconds(1000));
        continue;
      }
      if (!*claim) {
        nap(options_.poll);
        continue;
      }
      if (auto ran = ExecuteRun(env, **claim, Find((*claim)->workflow), stop); !ran) {
        spdlog::warn("workflows: run {}: {}", (*claim)->id, ran.error().ToString());
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < options_.concurrency; ++i) threads.emplace_back(loop);
  loop();
  for (auto& t : threads) t.join();
  return Ok();
}

}  // namespace docrunch::jobs
