// The durable workflow worker behind `docrunch workflows run` and
// `docrunch worker start --workflows`.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "app/context.h"
#include "app/llm_env.h"
#include "app/task_env.h"
#include "core/result.h"
#include "jobs/db_workflow.h"

namespace docrunch::app {

// The engine on the project's database with every built-in workflow
// registered (its lease from workflows.lease), with the task service its
// workflows use: keep the whole of it alive while the engine runs.
struct WorkflowEngineEnv {
  TaskEnv tasks;
  std::unique_ptr<LlmEnv> llm;  // the ai-task specialist step's calls
  std::unique_ptr<jobs::DbWorkflowEngine> workflows;
};
Result<std::unique_ptr<WorkflowEngineEnv>> OpenWorkflowEngine(AppContext& ctx, int concurrency = 1);

// Starts a run of a built-in workflow with `input` (JSON text); its id.
Result<std::string> StartWorkflow(AppContext& ctx, const std::string& name,
                                  const std::string& input);

// Runs the built-in workflows' runs with `concurrency` threads until
// `stop`; `once`: what is due now, then prints "ran N executions".
Result<void> RunWorkflowWorker(AppContext& ctx, int concurrency, bool once,
                               const std::atomic<bool>& stop);

}  // namespace docrunch::app
