// Jobs and workflows throughput, the Docrunch side of bench/jobs (the peers,
// BullMQ and DBOS Transact, are bullmq_bench.mjs and dbos_bench.mjs).
//
//   docrunch_jobs_bench jobs --backend redis|postgres|sqlite [--redis URL] [--postgres URL]
//                       [--sqlite DIR] [-n N] [-c C] [--producers P] [--bulk B]
//   docrunch_jobs_bench workflows --postgres URL [-n N] [-c C] [--producers P]
//   docrunch_jobs_bench floor --postgres URL [-n N] [-c C]
//
// jobs: a JobWorker with C threads (batch 8, as `worker start --queue fast`)
// and a no-op handler runs while P threads enqueue N jobs of one fixed small
// payload, one Enqueue each (--bulk B: an EnqueueBatch of B jobs each);
// timed from the first Enqueue until the queue holds nothing (every job
// handled and acknowledged).
//
// workflows: DbWorkflowEngine::RunWorker with C threads (as `worker start
// --workflows --concurrency C`) runs while P threads Start N runs of a
// workflow of three steps, each returning a small JSON object; timed from the
// first Start until every run is completed.
//
// floor: what a durable three-step workflow cannot do without: four commits
// of one single-row INSERT (the start and each step's result), C threads.
//
// Each mode prints one JSON line. The PostgreSQL schema is dropped and
// migrated first, so point it at a database of its own.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "jobs/db_queue.h"
#include "jobs/db_workflow.h"
#include "jobs/redis_queue.h"
#include "jobs/worker.h"
#include "store/store.h"

namespace fs = std::filesystem;
using namespace docrunch;
using Steady = std::chrono::steady_clock;
using nlohmann::json;

namespace {

// The same payload as the peers send.
const std::string kPayload = R"({"task_id":"task-3","path":"src/app/main.cpp","size":4096})";

struct Args {
  std::string mode;
  std::string backend = "redis";
  std::string redis_url;
  std::string postgres_url;
  std::string sqlite_dir;
  int n = 10000;
  int concurrency = 8;
  int producers = 1;
  int bulk = 1;  // jobs per Enqueue call (EnqueueBatch when above 1)
};

[[noreturn]] void Die(const std::string& what, const Error& e) {
  std::cerr << "jobs_bench: " << what << ": " << e.ToString() << "\n";
  std::exit(1);
}

template <class T>
T Must(Result<T> r, const std::string& what) {
  if (!r) Die(what, r.error());
  return std::move(*r);
}
void Must(Result<void> r, const std::string& what) {
  if (!r) Die(what, r.error());
}

double Since(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

// A fresh, migrated store: PostgreSQL's public schema dropped first, or a
// new SQLite file. The pool has room for every worker thread and producer.
std::unique_ptr<store::Store> FreshStore(const Args& a) {
  store::StoreOptions o;
  if (a.backend == "sqlite") {
    fs::path path = fs::path(a.sqlite_dir) / "jobs-bench.db";
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
    o.sqlite_path = path.string();
    auto s = Must(store::OpenStore(o), "open sqlite");
    Must(s->Migrate(), "migrate");
    return s;
  }
  o.backend = store::StoreOptions::Backend::kPostgres;
  o.postgres_url = a.postgres_url;
  o.postgres_pool_size = a.concurrency + a.producers + 1;
  {
    auto s = Must(store::OpenStore(o), "open postgres");
    Must(s->Transact([](store::Tx& tx) -> Result<void> {
      DOCRUNCH_TRY(tx.Exec("DROP SCHEMA public CASCADE"));
      DOCRUNCH_TRY(tx.Exec("CREATE SCHEMA public"));
      return Ok();
    }),
         "reset schema");
  }
  auto s = Must(store::OpenStore(o), "open postgres");
  Must(s->Migrate(), "migrate");
  return s;
}

// Runs `produce(i)` for i in [0, n) on `producers` threads.
void Produce(int n, int producers, const std::function<void(int)>& produce) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) produce(i);
    });
  }
  for (auto& t : threads) t.join();
}

// Waits until `done` reaches `n`, then until `empty()` says so.
void AwaitAll(std::atomic<int>& done, int n, const std::function<bool()>& empty) {
  while (done.load() < n) std::this_thread::sleep_for(std::chrono::microseconds(200));
  while (!empty()) std::this_thread::sleep_for(std::chrono::microseconds(200));
}

json Report(const Args& a, const std::string& system, double seconds) {
  return {{"system", system},   {"mode", a.mode},
          {"n", a.n},           {"concurrency", a.concurrency},
          {"seconds", seconds}, {"per_second", a.n / seconds}};
}

json BenchJobs(const Args& a) {
  SystemClock clock;
  const std::string tmp = a.sqlite_dir.empty() ? fs::temp_directory_path().string() : a.sqlite_dir;
  Args store_args = a;
  if (a.backend == "redis") {
    // The worker's store holds finished idempotency keys; these jobs have
    // none, so it is never read. The database of the run when given.
    store_args.backend = a.postgres_url.empty() ? "sqlite" : "postgres";
    store_args.sqlite_dir = tmp;
  }
  auto store = FreshStore(store_args);
  std::unique_ptr<jobs::FastQueue> queue;
  if (a.backend == "redis") {
    const std::string prefix = "jobsbench" + std::to_string(getpid());
    queue = Must(jobs::RedisQueue::Open(a.redis_url, prefix, {}), "open redis");
  } else {
    queue = std::make_unique<jobs::DbQueue>(*store, clock);
  }
  jobs::JobWorkerOptions options;
  options.queue = "fast";
  options.consumer = "bench:" + std::to_string(getpid());
  options.concurrency = a.concurrency;
  jobs::JobWorker worker(*queue, *store, clock, options);
  std::atomic<int> handled{0};
  worker.Handle("bench", [&](jobs::JobRun&) -> Result<void> {
    ++handled;
    return Ok();
  });
  std::atomic<bool> stop{false};
  Result<jobs::JobWorkerStats> stats = jobs::JobWorkerStats{};
  std::thread running([&] { stats = worker.Run(stop); });

  const auto start = Steady::now();
  const int chunks = (a.n + a.bulk - 1) / a.bulk;
  Produce(chunks, a.producers, [&](int chunk) {
    if (a.bulk == 1) {
      Must(queue->Enqueue("fast", {"bench", kPayload, ""}), "enqueue");
      return;
    }
    const int size = std::min(a.bulk, a.n - chunk * a.bulk);
    Must(queue->EnqueueBatch("fast", std::vector<jobs::NewJob>(size, {"bench", kPayload, ""})),
         "enqueue");
  });
  AwaitAll(handled, a.n, [&] {
    auto counts = Must(queue->Counts("fast"), "counts");
    return counts.waiting == 0 && counts.taken == 0;
  });
  const double seconds = Since(start);
  stop = true;
  running.join();
  Must(std::move(stats), "worker");
  return Report(a, "docrunch-" + a.backend + (a.bulk > 1 ? "-bulk" : ""), seconds);
}

json BenchWorkflows(const Args& a) {
  SystemClock clock;
  auto store = FreshStore(a);
  jobs::WorkflowWorkerOptions options;
  options.owner = "bench:" + std::to_string(getpid());
  options.concurrency = a.concurrency;
  jobs::DbWorkflowEngine engine(*store, clock, options);
  std::atomic<int> returned{0};
  engine.Register("three-steps", [&](jobs::WorkflowContext& ctx) -> Result<json> {
    json results = json::array();
    for (const char* name : {"one", "two", "three"}) {
      auto r = ctx.Step(name, [&](jobs::StepCall&) -> Result<json> {
        return json{{"step", name}, {"i", ctx.input().value("i", 0)}};
      });
      if (!r) return r.error();
      results.push_back(std::move(*r));
    }
    ++returned;
    return results;
  });
  std::atomic<bool> stop{false};
  std::thread running([&] { Must(engine.RunWorker(stop), "workflow worker"); });

  const auto start = Steady::now();
  Produce(a.n, a.producers, [&](int i) {
    Must(engine.Start("three-steps", json{{"i", i}}.dump()), "start");
  });
  AwaitAll(returned, a.n, [&] {
    auto rows = Must(store->Query("SELECT count(*) AS open FROM workflow_runs "
                                  "WHERE status <> 'completed'"),
                     "count open runs");
    return rows.Int(0, "open").value_or(1) == 0;
  });
  const double seconds = Since(start);
  stop = true;
  running.join();
  auto done = Must(store->Query("SELECT count(*) AS n FROM workflow_runs WHERE status = "
                                "'completed'"),
                   "count completed");
  if (done.Int(0, "n").value_or(0) != a.n) {
    Die("check", MakeError(ErrorCode::kInternal, "not every run completed"));
  }
  json out = Report(a, "docrunch", seconds);
  out["ms_per_step"] = seconds * 1000.0 / a.n / 3.0;
  return out;
}

json BenchFloor(const Args& a) {
  auto store = FreshStore(a);
  Must(store->Transact([](store::Tx& tx) -> Result<void> {
    DOCRUNCH_TRY(tx.Exec("CREATE TABLE bench_floor (id BIGINT, seq INT, body TEXT)"));
    return Ok();
  }),
       "floor table");
  const auto start = Steady::now();
  Produce(a.n, a.concurrency, [&](int i) {
    for (int seq = 0; seq <= 3; ++seq) {
      Must(store->Transact([&](store::Tx& tx) -> Result<void> {
        DOCRUNCH_TRY(tx.Exec("INSERT INTO bench_floor (id, seq, body) VALUES ($1, $2, $3)",
                             {std::int64_t{i}, std::int64_t{seq}, json{{"i", i}}.dump()}));
        return Ok();
      }),
           "floor insert");
    }
  });
  const double seconds = Since(start);
  json out = Report(a, "floor", seconds);
  out["ms_per_step"] = seconds * 1000.0 / a.n / 3.0;
  return out;
}

Args Parse(int argc, char** argv) {
  Args a;
  if (argc < 2) {
    std::cerr << "usage: docrunch_jobs_bench jobs|workflows|floor [options]\n";
    std::exit(2);
  }
  a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--backend")
      a.backend = value;
    else if (flag == "--redis")
      a.redis_url = value;
    else if (flag == "--postgres")
      a.postgres_url = value;
    else if (flag == "--sqlite")
      a.sqlite_dir = value;
    else if (flag == "-n")
      a.n = std::atoi(value.c_str());
    else if (flag == "-c")
      a.concurrency = std::atoi(value.c_str());
    else if (flag == "--producers")
      a.producers = std::atoi(value.c_str());
    else if (flag == "--bulk")
      a.bulk = std::max(1, std::atoi(value.c_str()));
    else {
      std::cerr << "jobs_bench: unknown flag " << flag << "\n";
      std::exit(2);
    }
  }
  if (a.mode != "jobs") a.backend = "postgres";
  if (a.backend == "sqlite" && a.sqlite_dir.empty()) a.sqlite_dir = fs::temp_directory_path();
  if ((a.backend == "postgres" && a.postgres_url.empty()) ||
      (a.backend == "redis" && a.redis_url.empty())) {
    std::cerr << "jobs_bench: the " << a.backend << " URL is missing\n";
    std::exit(2);
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  json out;
  if (a.mode == "jobs") {
    out = BenchJobs(a);
  } else if (a.mode == "workflows") {
    out = BenchWorkflows(a);
  } else if (a.mode == "floor") {
    out = BenchFloor(a);
  } else {
    std::cerr << "jobs_bench: unknown mode " << a.mode << "\n";
    return 2;
  }
  std::cout << out.dump() << std::endl;
  return 0;
}
