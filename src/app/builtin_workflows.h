// The durable workflows Docrunch itself runs (PRODUCT §12; the job types of
// jobs/job_types.cpp), registered on the engine by every process that runs
// or starts workflows: `workflows run`, `worker start --workflows`,
// `workflows start`, `scan --async`.
//
//   repo-scan  RepoScanWorkflow: walk -> parse-1..N (checkpointed batches
//              of scan::kParseBatch files) -> analyze -> store (one
//              transaction, recorded with the step; undone by its
//              compensation) -> index (the search index's pass over the
//              repository's pending events) -> markdown (the sync worker
//              drained for every target: the Markdown, and what the index
//              pass left) ->
//              snapshot (only with rollback.auto_snapshot.on_scan, after a
//              scan that changed something).
//              input {root, docs, name, full}; result {summary, index,
//              sync, snapshot?}.
//   ai-task    AITaskWorkflow: claim -> specialist (the role's LLM profile
//              does the task from its packed context; without a profile a
//              no-op that hands on the input's summary) -> complete -> wait for an
//              `approve` or `reject` signal (timeout_s) -> publish (approve,
//              done, its page). A rejection, a timeout or a failure undoes
//              it: the task goes back to todo, or is blocked with the reason
//              when it was still being worked on.
//              input {task_id, agent?, summary?, timeout_s?, role?,
//              max_tokens?}.
//   analysis   MultiStepAnalysisWorkflow: scan (inline, incremental) ->
//              analyze (import cycles, and the impact of changing `paths`
//              or the five files most others depend on; the report is the
//              step's recorded result) -> publish (an outbox event: the
//              Markdown target renders reports/analysis-<run>.md).
//              input {paths?: [..], full?}.
//   embeddings BatchEmbeddingWorkflow: plan (the index's documents without
//              a vector of search.embeddings' model) -> embed-1..N (batches
//              of `batch`, each checkpointed; the endpoint is called outside
//              any transaction, and a batch run twice stores nothing twice).
//              input {batch?: 1-4096, default 256}; needs search.embeddings.
//   demo       jobs/demo_workflow.h
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "app/context.h"
#include "app/task_env.h"
#include "jobs/db_workflow.h"
#include "llm/gateway.h"

namespace docrunch::app {

// What a repo-scan run works on.
struct RepoScanInput {
  std::filesystem::path root;  // the repository
  std::filesystem::path docs;  // its Markdown folder ("" : none)
  std::string name;            // the project's name in the pages
  bool full = false;
};

nlohmann::json RepoScanInputJson(const RepoScanInput& input);

// A run's input, with what it leaves out taken from the project (`config`
// and its root): the project root, storage.docs_output, project.name.
// INVALID_PARAMS naming the field for a wrong type or an unknown key.
Result<RepoScanInput> ParseRepoScanInput(const nlohmann::json& input, const config::Config& config,
                                         const std::filesystem::path& project_root);

// The RepoScanWorkflow's function (registered as "repo-scan"); tests wrap
// it to stop a run anywhere.
// With `auto_snapshot` (TaskEnv's) and rollback.auto_snapshot.on_scan, a
// scan that changed something ends with a `snapshot` step; a failed
// snapshot is that step's warning, never the scan's failure.
jobs::WorkflowFn RepoScanWorkflow(store::Store& store, const config::Config& config,
                                  const std::filesystem::path& project_root,
                                  AutoSnapshotFn auto_snapshot = {});

// The specialist role an ai-task run of a task of `type` asks when its
// input names none: security -> security, docs -> librarian, test -> qa,
// anything else -> manager.
std::string DefaultSpecialistRole(const std::string& task_type);

// The AITaskWorkflow's function (registered as "ai-task"). `gateway`
// (nullptr: none) makes the specialist step's LLM call.
jobs::WorkflowFn AiTaskWorkflow(TaskEnv& tasks, llm::Gateway* gateway);

// The MultiStepAnalysisWorkflow's function (registered as "analysis").
jobs::WorkflowFn AnalysisWorkflow(TaskEnv& tasks);

// The BatchEmbeddingWorkflow's function (registered as "embeddings").
jobs::WorkflowFn EmbeddingsWorkflow(TaskEnv& tasks);

// Registers every built-in workflow. `config`, `project_root` (the loaded
// project's), `tasks` and `gateway` (nullptr: no LLM calls) must outlive
// the engine.
void RegisterBuiltinWorkflows(jobs::DbWorkflowEngine& engine, store::Store& store,
                              const config::Config& config,
                              const std::filesystem::path& project_root, TaskEnv& tasks,
                              llm::Gateway* gateway);

}  // namespace docrunch::app
