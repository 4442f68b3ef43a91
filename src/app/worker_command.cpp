// docrunch worker start [--queue sync|fast[,sync|fast]] [--workflows] [--concurrency N] [--once]:
// the background workers of one process, each on its own thread until
// SIGTERM/SIGINT: the outbox (sync), the fast queue (fast), durable
// workflows (--workflows), and the scheduler (jobs.schedules and
// jobs.scheduler) beside fast jobs or workflows. Only one process's
// scheduler fires at a time (jobs/scheduler.h).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/llm_commands.h"
#include "app/workflows_command.h"
#include "config/values.h"
#include "core/text.h"
#include "http/server.h"
#include "jobs/scheduler.h"
#include "obs/catalog.h"
#include "ops/server_lock.h"

#ifndef DOCRUNCH_VERSION
#define DOCRUNCH_VERSION "0.0.0"
#endif

namespace docrunch::app {
namespace {

std::atomic<bool> g_stop_worker{false};
extern "C" void OnStopWorker(int) {
  g_stop_worker = true;
}

struct WorkerFlags {
  std::string queues;  // "" : sync, unless --workflows
  bool workflows = false;
  bool once = false;
  int concurrency = 2;
  int metrics_port = -1;  // -1: no /metrics listener; 0: any free port
  std::string metrics_host = "127.0.0.1";
};

// GET /metrics of a worker process (its sync batches, DB pool, build), on
// loopback only: a worker has no sign-in, so the listener must not be
// reachable from elsewhere.
Result<void> ServeWorkerMetrics(const WorkerFlags& flags, const std::atomic<bool>& stop) {
  http::Listener listener;
  listener.name = "metrics";
  listener.host = flags.metrics_host;
  listener.port = flags.metrics_port;
  listener.max_body_bytes = 1024;
  listener.max_connections = 16;
  listener.handler = [](http::Request& req, http::Exchange&) {
    http::Response res;
    res.Set("X-Content-Type-Options", "nosniff");
    if (req.path != "/metrics") {
      res.status = 404;
      res.Set("Content-Type", "text/plain; charset=utf-8");
      res.body = "only /metrics here\n";
    } else if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.Set("Allow", "GET, HEAD");
    } else {
      res.Set("Content-Type", std::string(obs::kExpositionContentType));
      res.body = obs::DefaultRegistry().Expose();
    }
    return res;
  };
  listener.failure = [](int status, const std::string& message) {
    http::Response res;
    res.status = status;
    res.Set("Content-Type", "text/plain; charset=utf-8");
    res.body = message + "\n";
    return res;
  };
  return http::Serve({listener}, stop, [](const http::Listener& l, int port) {
    std::fprintf(stderr, "docrunch: worker metrics at http://%s:%d/metrics\n", l.host.c_str(),
                 port);
  });
}

struct Plan {
  bool sync = false;
  bool fast = false;
  bool workflows = false;
};

Result<Plan> PlanWorkers(const WorkerFlags& flags) {
  Plan plan;
  plan.workflows = flags.workflows;
  std::string queues = flags.queues.empty() && !flags.workflows ? "sync" : flags.queues;
  for (const auto& queue : Split(queues, ',')) {
    if (queue == "sync") {
      plan.sync = true;
    } else if (queue == "fast") {
      plan.fast = true;
    } else if (!queue.empty()) {
      return MakeError(ErrorCode::kUsage, "--queue " + queue + ": the queues are sync and fast");
    }
  }
  return plan;
}

std::string Owner() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(getpid());
}

// The scheduler until `stop`, when the configuration has schedules.
Result<void> RunScheduler(AppContext& ctx, const std::atomic<bool>& stop) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  auto schedules = jobs::SchedulesFromConfig((*loaded)->config.jobs);
  if (!schedules) return schedules.error();
  if (schedules->empty()) return Ok();
  auto store = ctx.Store();
  if (!store) return store.error();
  auto engine = OpenWorkflowEngine(ctx);
  if (!engine) return engine.error();
  static const jobs::JobRouter router = jobs::JobRouter::Builtin();
  jobs::SchedulerOptions options;
  options.owner = Owner();
  options.lease = (*loaded)->config.jobs.scheduler.lease.value;
  options.poll = std::min<std::chrono::milliseconds>(std::chrono::seconds(1), options.lease / 3);
  jobs::Scheduler scheduler(**store, ctx.clock(), router, (*engine)->workflows.get(),
                            std::move(*schedules), options);
  return scheduler.Run(stop);
}

Result<void> StartWorkers(AppContext& ctx, const WorkerFlags& flags) {
  auto plan = PlanWorkers(flags);
  if (!plan) return plan.error();
  if (flags.metrics_port >= 0 && !config::IsLoopbackHost(flags.metrics_host)) {
    return MakeError(ErrorCode::kUsage, "--metrics-host " + flags.metrics_host.substr(0, 64) +
                                            ": the worker's /metrics has no sign-in, so it "
                                            "listens on loopback only");
  }
  obs::RegisterCatalog(DOCRUNCH_VERSION);
  // Loaded once here: the threads below share what the context caches.
  if (auto loaded = ctx.Config(); !loaded) return loaded.error();
  if (auto store = ctx.Store(); !store) return store.error();
  // Held while working: a snapshot restore refuses to run meanwhile.
  // Best effort in a folder that cannot be written (see serve_command.cpp).
  auto lock = ops::HoldServerLock((*ctx.Config())->project_root);
  if (!lock && lock.error().code != ErrorCode::kIo) return lock.error();
  // Workflows call providers (the ai-task specialist step): a wrong or
  // missing KMS key is found now, not at a first call (PRODUCT §13).
  if (plan->workflows) DOCRUNCH_TRY(CheckSecretsAtStart(ctx));
  if (flags.once) {
    if (plan->sync) DOCRUNCH_TRY(RunSyncWorker(ctx, true, g_stop_worker));
    if (plan->fast) DOCRUNCH_TRY(RunFastWorker(ctx, flags.concurrency, true, g_stop_worker));
    if (plan->workflows) {
      DOCRUNCH_TRY(RunWorkflowWorker(ctx, flags.concurrency, true, g_stop_worker));
    }
    return Ok();
  }
  std::signal(SIGTERM, OnStopWorker);
  std::signal(SIGINT, OnStopWorker);
  std::mutex mu;
  std::optional<Error> failure;
  std::vector<std::thread> threads;
  // A worker that fails stops the others: the process exits with its error
  // rather than running on half its duties.
  auto launch = [&](const char* what, std::function<Result<void>()> body) {
    threads.emplace_back([&, what, body = std::move(body)] {
      auto done = body();
      if (done) return;
      spdlog::error("worker: {}: {}", what, done.error().ToString());
      std::lock_guard lock(mu);
      if (!failure) failure = done.error();
      g_stop_worker = true;
    });
  };
  if (plan->sync) launch("sync", [&] { return RunSyncWorker(ctx, false, g_stop_worker); });
  if (plan->fast) {
    launch("fast", [&] { return RunFastWorker(ctx, flags.concurrency, false, g_stop_worker); });
  }
  if (plan->workflows) {
    launch("workflows",
           [&] { return RunWorkflowWorker(ctx, flags.concurrency, false, g_stop_worker); });
  }
  if (plan->fast || plan->workflows) {
    launch("scheduler", [&] { return RunScheduler(ctx, g_stop_worker); });
  }
  if (flags.metrics_port >= 0) {
    launch("metrics", [&] { return ServeWorkerMetrics(flags, g_stop_worker); });
  }
  for (auto& t : threads) t.join();
  if (failure) return *failure;
  return Ok();
}

}  // namespace

std::unique_ptr<InProcessJobs> InProcessJobs::Start(AppContext& ctx, int concurrency) {
  std::unique_ptr<InProcessJobs> jobs(new InProcessJobs());
  std::atomic<bool>& stop = jobs->stop_;
  auto launch = [&](const char* what, std::function<Result<void>()> body) {
    jobs->threads_.emplace_back([what, body = std::move(body), &stop] {
      while (!stop) {
        auto done = body();
        if (done || stop) return;
        spdlog::error("serve: in-process {} worker: {}; starting it again in 5 s", what,
                      done.error().ToString());
        for (int i = 0; i < 50 && !stop; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    });
  };
  AppContext* c = &ctx;
  launch("fast", [c, concurrency, &stop] { return RunFastWorker(*c, concurrency, false, stop); });
  launch("workflows",
         [c, concurrency, &stop] { return RunWorkflowWorker(*c, concurrency, false, stop); });
  launch("scheduler", [c, &stop] { return RunScheduler(*c, stop); });
  return jobs;
}

InProcessJobs::~InProcessJobs() {
  stop_ = true;
  for (auto& t : threads_) t.join();
}

void RegisterWorker(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* worker = app.add_subcommand("worker", "Background workers (hosted mode)");
  worker->require_subcommand(1);
  auto flags = std::make_shared<WorkerFlags>();
  CLI::App* start = worker->add_subcommand("start", "Run workers until SIGTERM");
  start->add_option("--queue", flags->queues,
                    "Queues to serve, comma-separated: sync (the outbox), fast (jobs); "
                    "default sync, or none with --workflows");
  start->add_flag("--workflows", flags->workflows, "Also run durable workflows");
  start
      ->add_option("--concurrency", flags->concurrency,
                   "Threads taking fast jobs, and running workflows (default 2)")
      ->check(CLI::Range(1, 64));
  start->add_flag("--once", flags->once, "Drain what is pending, then exit");
  start
      ->add_option("--metrics-port", flags->metrics_port,
                   "Serve GET /metrics (Prometheus text) on this port (0: any free port); off "
                   "by default")
      ->check(CLI::Range(0, 65535));
  start->add_option("--metrics-host", flags->metrics_host,
                    "Address of --metrics-port (loopback only; default 127.0.0.1)");
  start->callback(
      [&ctx, &action, flags] { action = [&ctx, flags] { return StartWorkers(ctx, *flags); }; });
}

}  // namespace docrunch::app
