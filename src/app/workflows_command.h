// The durable workflow worker behind `docrunch workflows run` and
// `docrunch worker start --workflows`.
#pragma once

#include <atomic>
#include <memory>

#include "app/context.h"
#include "core/result.h"
#include "jobs/db_workflow.h"

namespace docrunch::app {

// The engine on the project's database with every built-in workflow
// registered, its lease from workflows.lease.
Result<std::unique_ptr<jobs::DbWorkflowEngine>> OpenWorkflowEngine(AppContext& ctx,
                                                                   int concurrency = 1);

// Runs the built-in workflows' runs with `concurrency` threads until
// `stop`; `once`: what is due now, then prints "ran N executions".
Result<void> RunWorkflowWorker(AppContext& ctx, int concurrency, bool once,
                               const std::atomic<bool>& stop);

}  // namespace docrunch::app
