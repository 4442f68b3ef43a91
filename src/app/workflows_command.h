// The durable workflow worker behind `docrunch workflows run` and
// `docrunch worker start --workflows`.
#pragma once

#include "app/context.h"
#include "core/result.h"

namespace docrunch::app {

// Runs the built-in workflows' runs with `concurrency` threads until
// SIGTERM/SIGINT; `once`: what is due now, then prints "ran N executions".
Result<void> RunWorkflowWorker(AppContext& ctx, int concurrency, bool once);

}  // namespace docrunch::app
