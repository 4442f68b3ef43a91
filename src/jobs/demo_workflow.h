// "demo": a tiny built-in workflow that shows the engine's parts from the
// command line: a step (with a compensation), a wait for an `approve`
// signal, and a publishing step. Both steps are idempotent and have 3
// attempts, so a worker killed inside one runs it again.
//
//   input  {"title": "...", "timeout_s": 86400}   (both optional)
//   result {"title": ..., "approved_by": <approve's data.by>}
//
// Without an approval before the timeout the run fails and its first step
// is compensated (status `compensated`).
#pragma once

#include "jobs/db_workflow.h"

namespace docrunch::jobs {

void RegisterDemoWorkflow(DbWorkflowEngine& engine);

}  // namespace docrunch::jobs
