// The durable workflow worker behind `docrunch workflows run` and
// `docrunch worker start --workflows`.
#pragma once

#include "app/context.h"
#include "core/result.h"

#include <string>

namespace docrunch::app {

// Starts a run of a built-in workflow with `input` (JSON text); its id.
Result<std::string> StartWorkflow(AppContext& ctx, const std::string& name,
                                  const std::string& input);

// Runs the built-in workflows' runs with `concurrency` threads until
// SIGTERM/SIGINT; `once`: what is due now, then prints "ran N executions".
Result<void> RunWorkflowWorker(AppContext& ctx, int concurrency, bool once);

}  // namespace docrunch::app
