// The command groups of the docrunch CLI. Each Register function adds its
// subcommands to `app`; when one is chosen, its callback stores the work to
// run in `action`, which main runs after parsing succeeded.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/context.h"
#include "core/result.h"

namespace docrunch::jobs {
class FastQueue;
}

namespace docrunch::app {

using Action = std::function<Result<void>()>;

void RegisterInit(CLI::App& app, AppContext& ctx, Action& action);
void RegisterConfig(CLI::App& app, AppContext& ctx, Action& action);
void RegisterDb(CLI::App& app, AppContext& ctx, Action& action);
void RegisterTask(CLI::App& app, AppContext& ctx, Action& action);
void RegisterScan(CLI::App& app, AppContext& ctx, Action& action);
void RegisterQuery(CLI::App& app, AppContext& ctx, Action& action);  // query, export-graph
void RegisterWatch(CLI::App& app, AppContext& ctx, Action& action);
void RegisterSync(CLI::App& app, AppContext& ctx, Action& action);    // sync
void RegisterWorker(CLI::App& app, AppContext& ctx, Action& action);  // worker start
void RegisterServe(CLI::App& app, AppContext& ctx, Action& action);   // serve --stdio|--http
void RegisterToken(CLI::App& app, AppContext& ctx, Action& action);
void RegisterUser(CLI::App& app, AppContext& ctx, Action& action);
void RegisterMcp(CLI::App& app, AppContext& ctx, Action& action);   // mcp install
void RegisterJobs(CLI::App& app, AppContext& ctx, Action& action);  // jobs status|enqueue
void RegisterWorkflows(CLI::App& app, AppContext& ctx, Action& action);
void RegisterCliProxy(CLI::App& app, AppContext& ctx, Action& action);  // cli-proxy
void RegisterSnapshot(CLI::App& app, AppContext& ctx, Action& action);  // snapshot (ops/)
void RegisterDoctor(CLI::App& app, AppContext& ctx, Action& action);    // doctor (ops/)
void RegisterCost(CLI::App& app, AppContext& ctx, Action& action);      // cost
void RegisterChat(CLI::App& app, AppContext& ctx, Action& action);      // chat

// The workers `worker start` runs (worker_command.cpp), each until `stop`
// (`once`: until nothing is left to do).
// Fast jobs with `concurrency` threads (jobs_command.cpp).
Result<void> RunFastWorker(AppContext& ctx, int concurrency, bool once,
                           const std::atomic<bool>& stop);
// The outbox (sync_command.cpp).
Result<void> RunSyncWorker(AppContext& ctx, bool once, const std::atomic<bool>& stop);

// The configuration's fast queue (jobs_command.cpp): the database's, or
// Redis with the database behind it; and the names of its queues.
Result<std::unique_ptr<jobs::FastQueue>> OpenFastQueue(AppContext& ctx);
std::vector<std::string> FastQueueNames();
// Embedded mode's in-process jobs (jobs.backend inprocess, outside hosted
// mode): `serve` takes fast jobs, runs durable workflows and fires the
// schedules on threads of its own, as `worker start --queue fast
// --workflows` would, so `scan --async` and the scheduler need no other
// process. Stopped and joined when destroyed. A worker that fails is logged
// and started again after a pause rather than taking the server down.
class InProcessJobs {
 public:
  static std::unique_ptr<InProcessJobs> Start(AppContext& ctx, int concurrency);
  ~InProcessJobs();
  InProcessJobs(const InProcessJobs&) = delete;
  InProcessJobs& operator=(const InProcessJobs&) = delete;

 private:
  InProcessJobs() = default;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// The repository row of the current project; STORAGE_NOT_FOUND before the
// first scan.
Result<std::int64_t> ProjectRepository(AppContext& ctx, store::Store& store);

// Prints to stdout; commands print data there and diagnostics on stderr.
void Print(const std::string& text);

}  // namespace docrunch::app
