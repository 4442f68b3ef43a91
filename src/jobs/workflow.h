// Durable workflows (PRODUCT §12): long, multi-step work that survives a
// killed worker, resumes after its last completed step, undoes its
// completed steps when it fails (a saga), and waits for timers and signals.
//
// WorkflowEngine is the interface callers use (CLI, REST, the router). Today
// DbWorkflowEngine (jobs/db_workflow.h) implements it on the source-of-truth
// database, as DBOS Transact does on PostgreSQL; a Temporal backend could
// implement the same interface later (its server is not installable from the
// registries this project uses), with WorkflowContext mapped onto Temporal
// activities, timers and signals.
//
// Workflow code is ordinary C++: a WorkflowFn registered by name. It must be
// deterministic between its step boundaries: every run of it makes the same
// Step/Sleep/WaitForSignal calls in the same order given the same input and
// step results (anything that varies, such as time, randomness, files or the
// network, belongs inside a step, whose result is recorded).
//
// Suspension: when a run must stop here (a timer or signal wait, a retry's
// backoff, a cancellation, a lost lease), a context call returns an Error
// with code INTERRUPTED whose message begins with kWorkflowSuspended. The
// workflow propagates it like any error (DOCRUNCH_TRY or `return r.error()`);
// the engine decides what happens from its own record, so a workflow that
// swallows the error changes nothing: every later context call suspends
// too, and whatever the function returns is ignored.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace docrunch::jobs {

// The prefix of a suspension error's message (code INTERRUPTED).
inline constexpr std::string_view kWorkflowSuspended = "workflow run suspended";

// Whether `error` is the suspension a context call returned.
bool IsWorkflowSuspension(const Error& error);

// Run statuses: pending (started, not yet taken), running (a worker holds
// its lease), waiting (parked until wake_at or a signal), and the final
// completed, failed, compensated, cancelled.
bool IsFinalRunStatus(std::string_view status);
bool IsRunStatus(std::string_view status);

struct WorkflowStepInfo {
  int seq = 0;
  std::string name;
  std::string kind;    // step | sleep | signal
  std::string status;  // running | completed | failed | compensating | compensated |
                       // compensation_failed
  int attempts = 0;
  std::optional<nlohmann::json> result;
  std::string error;
  std::string started_at;
  std::string finished_at;
};

struct WorkflowSignalInfo {
  std::int64_t id = 0;
  std::string name;
  nlohmann::json data;
  std::string created_at;
  std::string consumed_at;  // "" while unconsumed
};

struct WorkflowRun {
  std::string id;  // "wf-<16 hex>"
  std::string workflow;
  std::string status;
  nlohmann::json input;
  std::optional<nlohmann::json> result;
  std::string error;
  std::string lease_owner;
  std::string lease_until;
  std::string wake_at;
  bool cancel_requested = false;
  std::string created_at;
  std::string updated_at;
  std::string finished_at;
  std::vector<WorkflowStepInfo> steps;      // by seq; filled by Get
  std::vector<WorkflowSignalInfo> signals;  // oldest first; filled by Get

  nlohmann::json ToJson() const;
};

class WorkflowEngine {
 public:
  virtual ~WorkflowEngine() = default;

  // Starts a run of a registered workflow with `input` (JSON text, at most
  // 1 MB); returns its id. INVALID_PARAMS naming the field for an unknown
  // workflow or input that is not JSON; nothing is written then.
  virtual Result<std::string> Start(const std::string& workflow, const std::string& input) = 0;

  // Requests cancellation. A pending run ends `cancelled` at once; a waiting
  // or running one at its next step boundary, after its compensations.
  // STORAGE_NOT_FOUND for an unknown run; TASK_INVALID_TRANSITION for a
  // finished run or one whose cancellation was already requested.
  virtual Result<void> Cancel(const std::string& id) = 0;

  // Delivers a signal (name: [a-z0-9_-], 1-64; data: JSON text) that a
  // WaitForSignal of that name consumes, oldest first; wakes the run if it
  // waits for it. STORAGE_NOT_FOUND for an unknown run,
  // TASK_INVALID_TRANSITION for a finished one, INVALID_PARAMS for a bad
  // name or data.
  virtual Result<void> Signal(const std::string& id, const std::string& name,
                              const std::string& data) = 0;

  // A run with its steps and signals; STORAGE_NOT_FOUND when unknown.
  virtual Result<WorkflowRun> Get(const std::string& id) = 0;

  // Runs, newest first, optionally of one status ("" for all), at most
  // `limit` (1-1000), without steps and signals.
  virtual Result<std::vector<WorkflowRun>> List(const std::string& status, int limit) = 0;
};

// How a step is retried and bounded. A step that fails with
// INVALID_PARAMS (bad input: it would fail again) is not retried.
struct StepOptions {
  int max_attempts = 1;                     // 1: no retry
  std::chrono::milliseconds backoff{1000};  // before the 2nd attempt; doubles after
  std::chrono::milliseconds max_backoff{std::chrono::minutes(10)};
  std::chrono::milliseconds timeout{0};  // 0: none
};

// What a step's function gets: the attempt (1-based), its deadline (when it
// has a timeout) and a flag set when it should give up early (the deadline
// passed, the lease was lost or the worker is stopping). Timeouts are
// cooperative: an attempt that returns after its deadline is a failed
// attempt and its result is discarded.
struct StepCall {
  int attempt = 1;
  std::optional<TimePoint> deadline;
  const std::atomic<bool>& stop;
};

using StepFn = std::function<Result<nlohmann::json>(StepCall&)>;
// A step whose effect is writes to the source of truth (see TxStep).
using TxStepFn = std::function<Result<nlohmann::json>(store::Tx&, StepCall&)>;
// Undoes a completed step; gets the step's recorded result. It runs after
// the workflow function has returned: capture by value, never references
// to the function's locals.
using CompensateFn = std::function<Result<void>(const nlohmann::json& result)>;

// What WaitForSignal returns: the signal's data, or timed_out.
struct SignalResult {
  bool timed_out = false;
  std::string name;
  nlohmann::json data;
};

// The workflow's view of its run. One per execution; used only by the
// thread running the workflow function.
class WorkflowContext {
 public:
  virtual ~WorkflowContext() = default;
  virtual const std::string& run_id() const = 0;
  virtual const nlohmann::json& input() const = 0;

  // The step at the next position: its recorded result when it completed
  // before (never run twice), its recorded error when it failed for good;
  // otherwise runs it (attempts counted before each run, retries with
  // backoff while the run waits, the result recorded with the completion).
  // A recorded step of another name at this position is a determinism
  // error that fails the run. `compensate`, if given, undoes the step when
  // the run fails or is cancelled later.
  virtual Result<nlohmann::json> Step(const std::string& name, const StepFn& fn,
                                      const StepOptions& options = {},
                                      const CompensateFn& compensate = nullptr) = 0;

  // A step whose effect is its writes in `tx`: they commit in the same
  // transaction that records the step completed (with its result), and an
  // error rolls them back with it. So its effect happens exactly once even
  // when a worker is killed mid-step, and a compensation sees exactly what
  // the step did. Attempts, retries, timeouts and replay as for Step. The
  // transaction holds the database's writer for its whole length on SQLite:
  // keep the work inside it to the writes.
  virtual Result<nlohmann::json> TxStep(const std::string& name, const TxStepFn& fn,
                                        const StepOptions& options = {},
                                        const CompensateFn& compensate = nullptr) = 0;

  // Timers, recorded as steps: the run waits (no thread does) and wakes at
  // the time, also after restarts.
  virtual Result<void> Sleep(std::chrono::milliseconds duration) = 0;
  virtual Result<void> SleepUntil(TimePoint time) = 0;

  // Consumes the oldest unconsumed signal `name`, or waits for one for at
  // most `timeout` (0: forever); recorded as a step, so a replay sees the
  // same answer. `name` may list alternatives, "approve|reject": the
  // oldest of any of them is taken, and SignalResult::name says which.
  virtual Result<SignalResult> WaitForSignal(const std::string& name,
                                             std::chrono::milliseconds timeout) = 0;
};

using WorkflowFn = std::function<Result<nlohmann::json>(WorkflowContext&)>;

// A test seam for crash drills: a step that throws this makes the engine
// let go of the run as a killed worker would: nothing more is written, the
// lease stays until it expires, and another worker then takes the run over.
class WorkerCrash : public std::exception {
 public:
  const char* what() const noexcept override { return "simulated worker crash"; }
};

}  // namespace docrunch::jobs
