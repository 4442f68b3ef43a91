// Private to DbWorkflowEngine: one execution of a claimed run, from the top
// of its workflow function to its next park or its end (see db_workflow.h
// for the model).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "core/clock.h"
#include "jobs/workflow.h"
#include "store/store.h"

namespace docrunch::jobs {

// A run a worker has just taken under a lease.
struct RunClaim {
  std::string id;
  std::string workflow;
  std::string input;  // JSON text
  std::string token;  // the lease_owner written by the claim
  bool cancel_requested = false;
  bool fresh = false;  // it was pending: nothing of it is recorded yet
};

struct ExecutionEnv {
  store::Store& store;
  const Clock& clock;
  std::chrono::milliseconds lease;
  std::chrono::milliseconds heartbeat;
  // If set, called last in the transaction that parks or ends the run, so
  // a worker takes its next run in the same commit. An error fails that
  // transaction, as any write of the execution would.
  std::function<Result<void>(store::Tx&)> at_end = nullptr;
};

// Runs `claim` with `fn` (nullptr: not registered here, the run fails)
// until it parks or ends, writing every change under the claim's lease.
// Returns an error only for what the caller should log; the run itself is
// then picked up again when its lease expires.
Result<void> ExecuteRun(const ExecutionEnv& env, const RunClaim& claim, const WorkflowFn& fn,
                        const std::atomic<bool>& stop);

// Emits the outbox event of a workflow change ("<status>" or
// "step:<seq>:<status>") in `tx`.
Result<void> EmitWorkflowEvent(store::Tx& tx, const std::string& run_id, const std::string& what);

}  // namespace docrunch::jobs
