// The workflow engine on the source of truth (migration 12): runs, steps
// and signals are rows of workflow_runs, workflow_steps, workflow_signals.
//
// Execution by replay: a worker that takes a run calls its WorkflowFn from
// the top; each context call at a position already recorded answers from
// the record (a completed step's result), and the first one not recorded
// runs. So a run resumes after its last completed step on any worker, and a
// completed step never runs twice: its result is written in the same
// transaction that marks it completed, by the holder of the run's lease.
// That transaction is also the next one the run needs (the next step's
// attempt count, a park, the end): one commit per step.
//
// Leases: a worker takes a runnable run (pending; running with an expired
// lease, whose worker died; waiting whose wake_at passed, which also covers
// an arrived signal, a retry's backoff and a cancellation) in one
// transaction (PostgreSQL: FOR UPDATE SKIP LOCKED), renews the lease every
// `heartbeat` while the function runs, and gives it up when the run parks
// or ends (RunWorker takes its next run in that same transaction). Every
// write of an execution first checks that it still holds the lease, so a
// worker that lost its run (it hung past the lease) writes nothing more.
// The step it was running may then run again elsewhere: a step that has
// not completed runs at least once, a completed one once.
//
// Failure (the workflow returns an error, e.g. a step out of attempts): the
// completed steps' compensations run in reverse order, each recorded
// (compensating -> compensated | compensation_failed); the run ends
// `compensated` when every compensation succeeded and there was at least
// one, `failed` otherwise (nothing to undo, or an undo failed: the error
// says which). A cancelled run compensates the same way and ends
// `cancelled`. A determinism error fails the run without compensating: the
// code no longer matches the record, so its compensations cannot be
// trusted to undo the right things.
//
// Lifecycle events go to the outbox (entity_type "workflow", entity_id the
// run id, content_hash "<status>" or "step:<seq>:<status>", no repository)
// in the transaction that makes the change, already marked processed: no
// sync target applies them (the live views read the outbox by id).
//
// Thread-safety: all methods may be called from any thread; Register before
// running workers.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "core/clock.h"
#include "jobs/workflow.h"
#include "jobs/workflow_execution.h"
#include "store/store.h"

namespace docrunch::jobs {

struct WorkflowWorkerOptions {
  std::string owner = "worker";  // unique per worker process: "host:pid"
  std::chrono::milliseconds lease{30000};
  std::chrono::milliseconds heartbeat{10000};  // below lease
  int concurrency = 2;                         // threads
  std::chrono::milliseconds poll{200};         // an idle thread's wait
};

class DbWorkflowEngine final : public WorkflowEngine {
 public:
  // `store`, `clock` and `ids` must outlive the engine. `ids` nullptr: random.
  DbWorkflowEngine(store::Store& store, const Clock& clock, WorkflowWorkerOptions options = {},
                   IdGenerator* ids = nullptr);
  ~DbWorkflowEngine() override;

  // Checks a run's input when it starts and returns it as the run records
  // it (defaults filled in, paths made absolute); an error (INVALID_PARAMS
  // naming the field) refuses the start, writing nothing.
  using InputCheck = std::function<Result<nlohmann::json>(const nlohmann::json& input)>;

  // Registers a workflow under `name` ([a-z0-9_-], 1-64), replacing one of
  // the same name, with the check of its input (nullptr: any JSON).
  void Register(const std::string& name, WorkflowFn fn, InputCheck check = nullptr);

  Result<std::string> Start(const std::string& workflow, const std::string& input) override;
  // Start inside the caller's transaction (the scheduler starts a tick's
  // run with the tick's record): the run exists exactly when `tx` commits.
  Result<std::string> StartIn(store::Tx& tx, const std::string& workflow, const std::string& input);
  Result<void> Cancel(const std::string& id) override;
  Result<void> Signal(const std::string& id, const std::string& name,
                      const std::string& data) override;
  Result<WorkflowRun> Get(const std::string& id) override;
  Result<std::vector<WorkflowRun>> List(const std::string& status, int limit) override;

  // Runs what is runnable now on this thread, one run at a time, until
  // nothing is (at most `max_runs` executions); returns how many ran.
  Result<int> RunDue(int max_runs = 1000);
  // `options.concurrency` threads take and run runs until `stop` is set;
  // then they finish (or park) the runs in hand and return.
  Result<void> RunWorker(const std::atomic<bool>& stop);

 private:
  Result<std::optional<RunClaim>> TakeRunnable();
  Result<void> Execute(const RunClaim& claim, const std::atomic<bool>& stop);
  WorkflowFn Find(const std::string& name);

  store::Store& store_;
  const Clock& clock_;
  WorkflowWorkerOptions options_;
  std::unique_ptr<IdGenerator> own_ids_;
  IdGenerator& ids_;
  std::mutex mu_;
  std::map<std::string, WorkflowFn> workflows_;  // GUARDED_BY(mu_)
  std::map<std::string, InputCheck> checks_;     // GUARDED_BY(mu_)
};

}  // namespace docrunch::jobs
