// docrunch jobs status [--json] | list [--status S] [--json] | enqueue TYPE [--payload JSON]
// [--key K] [--batch FILE] [--queue Q] [--lane fast|workflow]; and the fast-queue worker behind
// `docrunch worker start --queue fast [--concurrency N] [--once]`.
//
// The fast queue is the database's (jobs/db_queue.h), with Redis Streams in
// front of it when jobs.backend is redis (jobs/fallback_queue.h); jobs
// routed to the workflow lane start a durable workflow run instead (as
// `docrunch workflows start` does, workflows_command.cpp).
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/sync_runner.h"
#include "app/task_env.h"
#include "app/workflows_command.h"
#include "docs/report_pages.h"
#include "jobs/db_queue.h"
#include "jobs/fallback_queue.h"
#include "jobs/job_types.h"
#include "jobs/mark_job.h"
#include "jobs/worker.h"
#include "tasks/task.h"

namespace docrunch::app {
namespace {

constexpr const char* kQueues[] = {"fast"};

// The database's queue; with jobs.backend: redis, Redis Streams in front of
// it (the database takes what Redis cannot while it is away). A Redis that
// is away when the command starts leaves the database's queue alone, with
// a warning: work is queued either way.
Result<std::unique_ptr<jobs::FastQueue>> OpenQueue(AppContext& ctx) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  const config::Config& c = (*loaded)->config;
  auto store = ctx.Store();
  if (!store) return store.error();
  jobs::QueueOptions options;
  options.visibility = c.jobs.visibility_timeout.value;
  auto database = std::make_unique<jobs::DbQueue>(**store, ctx.clock(), options);
  if (c.jobs.backend != config::JobsBackend::kRedis) {
    return std::unique_ptr<jobs::FastQueue>(std::move(database));
  }
  const std::string url = RedisUrl(c, ctx.env());
  if (url.empty()) {
    return MakeError(ErrorCode::kConfigInvalid,
                     "jobs.backend: redis needs jobs.redis_url or jobs.redis_url_env");
  }
  auto redis = jobs::RedisQueue::Open(url, c.jobs.queue_name, options);
  if (!redis) {
    spdlog::warn("jobs: {}; queueing in the database until Redis answers",
                 redis.error().ToString());
    return std::unique_ptr<jobs::FastQueue>(std::move(database));
  }
  return std::unique_ptr<jobs::FastQueue>(
      std::make_unique<jobs::FallbackQueue>(std::move(*redis), std::move(database)));
}

Result<void> Status(AppContext& ctx, bool as_json) {
  auto queue = OpenQueue(ctx);
  if (!queue) return queue.error();
  nlohmann::json out = {{"backend", (*queue)->Backend()}, {"queues", nlohmann::json::array()}};
  std::string text = "fast queue on the " + std::string((*queue)->Backend()) + "\n";
  for (const char* name : kQueues) {
    auto counts = (*queue)->Counts(name);
    if (!counts) return counts.error();
    out["queues"].push_back({{"name", name},
                             {"waiting", counts->waiting},
                             {"taken", counts->taken},
                             {"dead", counts->dead}});
    text += "  " + std::string(name) + ": " + std::to_string(counts->waiting) + " waiting, " +
            std::to_string(counts->taken) + " taken, " + std::to_string(counts->dead) + " dead\n";
  }
  out["job_types"] = nlohmann::json::array();
  for (const auto& type : jobs::JobRouter::Builtin().Types()) {
    auto routed = jobs::JobRouter::Builtin().Route(type.name);
    out["job_types"].push_back({{"name", type.name},
                                {"lane", jobs::LaneName(routed->lane)},
                                {"estimate_ms", type.estimate.count()},
                                {"steps", type.steps},
                                {"compensates", type.compensates}});
  }
  Print(as_json ? out.dump(2) : text.substr(0, text.size() - 1));
  return Ok();
}

struct ListFlags {
  std::string queue = "fast";
  std::string status;
  int limit = 50;
  bool json = false;
};

Result<void> List(AppContext& ctx, const ListFlags& flags) {
  auto queue = OpenQueue(ctx);
  if (!queue) return queue.error();
  auto jobs = (*queue)->List(flags.queue, flags.status, flags.limit);
  if (!jobs) return jobs.error();
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& j : *jobs) {
      out.push_back(
          {{"id", j.id},
           {"type", j.type},
           {"status", j.status},
           {"deliveries", j.deliveries},
           {"idempotency_key", j.idempotency_key.empty() ? nlohmann::json(nullptr)
                                                         : nlohmann::json(j.idempotency_key)},
           {"last_error",
            j.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(j.last_error)}});
    }
    Print(out.dump(2));
    return Ok();
  }
  if (jobs->empty()) {
    Print("no jobs" + (flags.status.empty() ? std::string() : " " + flags.status) + " in " +
          flags.queue);
    return Ok();
  }
  std::string text;
  for (const auto& j : *jobs) {
    text += j.id + "  " + j.status + "  " + j.type + "  deliveries " +
            std::to_string(j.deliveries) +
            (j.idempotency_key.empty() ? "" : "  key " + j.idempotency_key) +
            (j.last_error.empty() ? "" : "  error: " + j.last_error.substr(0, 200)) + "\n";
  }
  text.pop_back();
  Print(text);
  return Ok();
}

struct EnqueueFlags {
  std::string type;
  std::string payload = "{}";
  std::string key;
  std::string batch;  // a file of JSON lines, "-" for stdin
  std::string queue = "fast";
  std::string lane;
};

// --batch: one job per line, {"payload": {...}, "key": "..."} (both
// optional); every line is checked before any job is queued.
Result<std::vector<jobs::NewJob>> ReadBatch(const EnqueueFlags& flags) {
  std::ifstream file;
  if (flags.batch != "-") {
    file.open(flags.batch);
    if (!file) return MakeError(ErrorCode::kInvalidParams, "--batch: cannot read " + flags.batch);
  }
  std::istream& in = flags.batch == "-" ? std::cin : file;
  std::vector<jobs::NewJob> jobs;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = "--batch line " + std::to_string(number);
    auto entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_object())
      return MakeError(ErrorCode::kInvalidParams, where + ": not a JSON object");
    jobs::NewJob job{flags.type, "{}", ""};
    if (entry.contains("payload")) job.payload = entry["payload"].dump();
    if (entry.contains("key")) {
      if (!entry["key"].is_string()) {
        return MakeError(ErrorCode::kInvalidParams, where + ": key: a string is required");
      }
      job.idempotency_key = entry["key"].get<std::string>();
    }
    for (const auto& [field, value] : entry.items()) {
      if (field != "payload" && field != "key") {
        return MakeError(ErrorCode::kInvalidParams,
                         where + ": unknown field '" + field + "' (payload, key)");
      }
    }
    if (auto checked = jobs::CheckNewJob(flags.queue, job); !checked) {
      return MakeError(checked.error().code, where + ": " + checked.error().message);
    }
    jobs.push_back(std::move(job));
  }
  return jobs;
}

Result<void> Enqueue(AppContext& ctx, const EnqueueFlags& flags) {
  std::optional<jobs::Lane> lane;
  if (!flags.lane.empty()) {
    auto parsed = jobs::ParseLane(flags.lane, "--lane");
    if (!parsed) return parsed.error();
    lane = *parsed;
  }
  auto routed = jobs::JobRouter::Builtin().Route(flags.type, lane);
  if (!routed) return routed.error();
  if (routed->lane == jobs::Lane::kWorkflow) {
    // The router's other lane: a durable workflow run, its id printed alone.
    auto id = StartWorkflow(ctx, flags.type, flags.payload);
    if (!id) {
      return MakeError(id.error().code, "type: " + flags.type + " runs as a durable workflow (" +
                                            routed->reason + "): " + id.error().message);
    }
    Print(*id);
    return Ok();
  }
  std::vector<jobs::NewJob> batch;
  if (flags.batch.empty()) {
    batch.push_back({flags.type, flags.payload, flags.key});
  } else {
    auto read = ReadBatch(flags);
    if (!read) return read.error();
    batch = std::move(*read);
  }
  for (const auto& job : batch) DOCRUNCH_TRY(jobs::CheckNewJob(flags.queue, job));
  auto queue = OpenQueue(ctx);
  if (!queue) return queue.error();
  std::string ids;
  for (const auto& job : batch) {
    auto id = (*queue)->Enqueue(flags.queue, job);
    if (!id) return id.error();
    ids += *id + "\n";
  }
  if (!ids.empty()) ids.pop_back();
  Print(ids);
  return Ok();
}

// The fast jobs this worker knows, over the project's services.
void AddHandlers(jobs::JobWorker& worker, TaskEnv& env, const Clock& clock,
                 const std::string& consumer) {
  // Applies the outbox to the derived stores (the sync queue's work, as a
  // job: after a burst of writes, one job instead of a poll).
  worker.Handle("sync-apply", [&env](jobs::JobRun& run) -> Result<void> {
    SyncSetup setup{env.repository_id, env.docs_root, env.project_name, /*repair_docs=*/false};
    auto drained = DrainSync(*env.store, *env.config, setup, &run.stop);
    if (!drained) return drained.error();
    return Ok();
  });
  worker.Handle("mark", jobs::MarkJobHandler(*env.store, clock, consumer));
  // An automatic snapshot (payload: {"trigger": "task_completion" | "auto",
  // "note": "..."}; a schedule's {} is "auto"). rollback.auto_snapshot is
  // read when the job runs: a flag turned off since then skips it.
  worker.Handle("snapshot", [&env](jobs::JobRun& run) -> Result<void> {
    auto payload = nlohmann::json::parse(run.job.payload, nullptr, false);
    if (!payload.is_object())
      return MakeError(ErrorCode::kInvalidParams, "payload: expected an object");
    std::string trigger = "auto", note = "scheduled";
    for (const auto& [key, value] : payload.items()) {
      if (key != "trigger" && key != "note") {
        return MakeError(ErrorCode::kInvalidParams,
                         "payload." + key + ": unknown key (expected trigger, note)");
      }
      if (!value.is_string()) {
        return MakeError(ErrorCode::kInvalidParams, "payload." + key + ": expected a string");
      }
    }
    if (payload.contains("trigger")) trigger = payload["trigger"].get<std::string>();
    if (payload.contains("note")) note = payload["note"].get<std::string>();
    if (trigger != "auto" && trigger != "task_completion") {
      return MakeError(ErrorCode::kInvalidParams,
                       "payload.trigger: expected auto or task_completion, not '" + trigger + "'");
    }
    auto made = env.auto_snapshot(trigger, note);
    if (!made) return made.error();
    return Ok();
  });
  // Writes one task's Markdown page (payload: {"task_id": "task-3"}).
  worker.Handle("publish-task", [&env](jobs::JobRun& run) -> Result<void> {
    auto payload = nlohmann::json::parse(run.job.payload, nullptr, false);
    if (!payload.is_object() || !payload.contains("task_id") || !payload["task_id"].is_string()) {
      return MakeError(ErrorCode::kInvalidParams, "payload.task_id: a task id string is required");
    }
    auto id = tasks::ParseTaskId(payload["task_id"].get<std::string>());
    if (!id) return id.error();
    docs::DocWriter writer(env.docs_root);
    docs::ReportsProjection projection(writer, env.repository_id);
    auto paths = projection.PublishTask(*env.store, *id);
    if (!paths) return paths.error();
    return Ok();
  });
}

}  // namespace

Result<std::unique_ptr<jobs::FastQueue>> OpenFastQueue(AppContext& ctx) {
  return OpenQueue(ctx);
}

std::vector<std::string> FastQueueNames() {
  return {std::begin(kQueues), std::end(kQueues)};
}

Result<void> RunFastWorker(AppContext& ctx, int concurrency, bool once,
                           const std::atomic<bool>& stop) {
  auto env = OpenTasks(ctx);
  if (!env) return env.error();
  auto queue = OpenQueue(ctx);
  if (!queue) return queue.error();
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  jobs::JobWorkerOptions options;
  options.queue = "fast";
  options.consumer = std::string(host) + ":" + std::to_string(getpid());
  options.concurrency = concurrency;
  jobs::JobWorker worker(**queue, *env->store, ctx.clock(), options);
  AddHandlers(worker, *env, ctx.clock(), options.consumer);
  if (once) {
    auto stats = worker.Drain();
    if (!stats) return stats.error();
    Print("done " + std::to_string(stats->done) + ", skipped " + std::to_string(stats->skipped) +
          ", failed " + std::to_string(stats->failed + stats->unknown));
    return Ok();
  }
  auto stats = worker.Run(stop);
  if (!stats) return stats.error();
  return Ok();
}

void RegisterJobs(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* cmd = app.add_subcommand("jobs", "The fast job queue: status, list, enqueue");
  cmd->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  CLI::App* status = cmd->add_subcommand("status", "Jobs waiting, taken and dead, and job types");
  status->add_flag("--json", *json, "Print JSON");
  status->callback([&ctx, &action, json] { action = [&ctx, json] { return Status(ctx, *json); }; });

  auto list_flags = std::make_shared<ListFlags>();
  CLI::App* list = cmd->add_subcommand("list", "Jobs of a queue, with deliveries and last error");
  list->add_option("--status", list_flags->status, "waiting, taken or dead (default: all)");
  list->add_option("--queue", list_flags->queue, "The queue (fast)");
  list->add_option("--limit", list_flags->limit, "At most this many per status (1-1000)")
      ->check(CLI::Range(1, 1000));
  list->add_flag("--json", list_flags->json, "Print JSON");
  list->callback([&ctx, &action, list_flags] {
    action = [&ctx, list_flags] { return List(ctx, *list_flags); };
  });

  auto flags = std::make_shared<EnqueueFlags>();
  CLI::App* enqueue = cmd->add_subcommand("enqueue", "Queue a job; prints its id alone on stdout");
  enqueue->add_option("TYPE", flags->type, "The job type (docrunch jobs status lists them)")
      ->required();
  enqueue->add_option("--payload", flags->payload, "The job's input as JSON (default {})");
  enqueue->add_option("--key", flags->key, "Idempotency key: the job's effect happens once");
  enqueue->add_option("--batch", flags->batch,
                      "Queue one job per line of FILE ('-': stdin): {\"payload\": ..., "
                      "\"key\": ...}; prints the ids");
  enqueue->add_option("--queue", flags->queue, "The queue (fast)");
  enqueue->add_option("--lane", flags->lane, "fast or workflow, instead of the router's choice");
  enqueue->callback(
      [&ctx, &action, flags] { action = [&ctx, flags] { return Enqueue(ctx, *flags); }; });
}

}  // namespace docrunch::app
