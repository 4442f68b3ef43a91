// Outbox throughput: events applied per second by SyncWorker to the index
// and Markdown targets, the cost of an idempotent re-run (every hash
// already synced), and a floor: the same number of plain single-row
// INSERTs in one transaction on the same backend.
//
//   docrunch_sync_bench --events N [--sqlite DIR | --postgres URL] [--batch B] [--runs R]
//                       [--docs DIR] [--keep-pages 1]
//
// Each run starts from an empty schema: N decisions with one outbox event
// each (report events, priority 10), then:
//   apply     worker.Drain() with the index and markdown targets
//   rerun     the same N events emitted again (same hashes), drained: all skipped
//   floor     N single-row INSERTs of (id, text) into a scratch table, one transaction
// Prints one JSON line per run and a final line with the medians.
//
// With DOCRUNCH_BENCH_PERF_CTL set to the control fifo of a
// `perf record -D -1 --control fifo:CTL` started around this program, the
// profile covers the re-runs alone ("enable" before, "disable" after).
//
// Pages go under --docs (default: the --sqlite folder, else the temporary
// folder), one folder per run, removed after the last run (not between
// runs), or left to the caller with --keep-pages 1 (run.sh removes its
// scratch folder at the very end). Deleting 100,000 pages just before the
// next run is timed would tax that run: on an ext4 without a journal (this
// machine's) a new file's inode is looked for past every inode deleted in
// the last minute or more of its block group (recently_deleted() in the
// kernel's ialloc.c), which made page creation 5-8x slower.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/batch.h"
#include "store/store.h"
#include "sync/index_projection.h"
#include "sync/markdown_projection.h"
#include "sync/worker.h"

namespace fs = std::filesystem;
using namespace docrunch;
using Steady = std::chrono::steady_clock;

namespace {

double Since(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

[[noreturn]] void Die(const std::string& what, const Error& e) {
  std::cerr << "sync_bench: " << what << ": " << e.ToString() << "\n";
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

struct Args {
  int events = 10000;
  std::string sqlite_dir;
  std::string postgres_url;
  int batch = 200;
  int runs = 3;
  std::string docs_dir;
  bool keep_pages = false;
};

std::unique_ptr<store::Store> FreshStore(const Args& a, int run) {
  store::StoreOptions o;
  if (!a.postgres_url.empty()) {
    o.backend = store::StoreOptions::Backend::kPostgres;
    o.postgres_url = a.postgres_url;
    auto s = Must(store::OpenStore(o), "open postgres");
    Must(s->Transact([](store::Tx& tx) -> Result<void> {
      auto r = tx.Exec("DROP SCHEMA public CASCADE");
      if (!r) return r.error();
      r = tx.Exec("CREATE SCHEMA public");
      if (!r) return r.error();
      return Ok();
    }),
         "reset schema");
    s.reset();
    auto fresh = Must(store::OpenStore(o), "open postgres");
    Must(fresh->Migrate(), "migrate");
    return fresh;
  }
  fs::path path = fs::path(a.sqlite_dir) / ("bench-" + std::to_string(run) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
  o.sqlite_path = path.string();
  auto s = Must(store::OpenStore(o), "open sqlite");
  Must(s->Migrate(), "migrate");
  return s;
}

// One upsert event per decision id in `ids` (a Rows with an "id" column).
Result<void> EmitDecisionEvents(store::Tx& tx, std::int64_t repo, const store::Rows& ids) {
  std::vector<store::SyncEvent> events;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::string id = std::to_string(*ids.Int(i, "id"));
    events.push_back({repo, "decision", "decision-" + id, "h" + id, "upsert", std::nullopt, 10});
  }
  return store::EmitSyncEvents(tx, events);
}

std::int64_t Seed(store::Store& s, int n) {
  std::int64_t repo = 0;
  Must(s.Transact([&](store::Tx& tx) -> Result<void> {
    auto rows = tx.Query(
        "INSERT INTO repositories (name, root_path, created_at, updated_at) "
        "VALUES ('bench', '/bench', '2026-11-27T12:00:00Z', '2026-11-27T12:00:00Z') RETURNING id");
    if (!rows) return rows.error();
    repo = *rows->Int(0, "id");
    std::vector<store::Params> decisions;
    for (int i = 1; i <= n; ++i) {
      decisions.push_back(
          {repo, std::int64_t{i}, "Decision " + std::to_string(i) + " on ranking",
           "Use approach " + std::to_string(i * 7919 % 1000) + " for the cache and the pager",
           "2026-11-27T12:00:00Z", "2026-11-27T12:00:00Z"});
    }
    auto ids = store::InsertRowsReturning(
        tx, "decisions",
        {"repository_id", "number", "title", "decision", "created_at", "updated_at"}, decisions,
        "id");
    if (!ids) return ids.error();
    return EmitDecisionEvents(tx, repo, *ids);
  }),
       "seed");
  return repo;
}

void EmitAgain(store::Store& s, std::int64_t repo) {
  Must(s.Transact([&](store::Tx& tx) -> Result<void> {
    auto ids = tx.Query("SELECT id FROM decisions WHERE repository_id = $1", {repo});
    if (!ids) return ids.error();
    return EmitDecisionEvents(tx, repo, *ids);
  }),
       "emit again");
}

double Floor(store::Store& s, int n) {
  Must(s.Transact([](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec("CREATE TABLE IF NOT EXISTS bench_floor (id BIGINT PRIMARY KEY, body TEXT)");
    if (!r) return r.error();
    r = tx.Exec("DELETE FROM bench_floor");
    if (!r) return r.error();
    return Ok();
  }),
       "floor table");
  auto start = Steady::now();
  Must(s.Transact([&](store::Tx& tx) -> Result<void> {
    for (int i = 1; i <= n; ++i) {
      auto r = tx.Exec("INSERT INTO bench_floor (id, body) VALUES ($1, $2)",
                       {std::int64_t{i}, "Decision " + std::to_string(i) + " on ranking"});
      if (!r) return r.error();
    }
    return Ok();
  }),
       "floor");
  return Since(start);
}

// Writes a command to perf's control fifo (DOCRUNCH_BENCH_PERF_CTL), if set.
void PerfControl(const char* command) {
  const char* fifo = std::getenv("DOCRUNCH_BENCH_PERF_CTL");
  if (fifo == nullptr || *fifo == '\0') return;
  std::FILE* f = std::fopen(fifo, "w");
  if (f == nullptr) return;
  std::fprintf(f, "%s\n", command);
  std::fclose(f);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--events")
      a.events = std::stoi(v);
    else if (k == "--sqlite")
      a.sqlite_dir = v;
    else if (k == "--postgres")
      a.postgres_url = v;
    else if (k == "--batch")
      a.batch = std::stoi(v);
    else if (k == "--runs")
      a.runs = std::stoi(v);
    else if (k == "--docs")
      a.docs_dir = v;
    else if (k == "--keep-pages")
      a.keep_pages = v != "0";
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  if (a.sqlite_dir.empty() == a.postgres_url.empty()) {
    std::cerr << "give one of --sqlite DIR or --postgres URL\n";
    return 2;
  }
  const std::string backend = a.postgres_url.empty() ? "sqlite" : "postgres";
  const fs::path scratch = !a.docs_dir.empty()    ? fs::path(a.docs_dir)
                           : a.sqlite_dir.empty() ? fs::temp_directory_path()
                                                  : fs::path(a.sqlite_dir);
  std::vector<fs::path> pages;
  std::vector<double> apply, rerun, floor;
  for (int run = 0; run < a.runs; ++run) {
    auto s = FreshStore(a, run);
    std::int64_t repo = Seed(*s, a.events);
    fs::path docs = scratch / ("bench-docs-" + backend + "-" + std::to_string(a.events) + "-" +
                               std::to_string(run));
    fs::remove_all(docs);
    pages.push_back(docs);
    sync::IndexProjection index(repo);
    sync::MarkdownProjection markdown(docs, repo, "bench");
    sync::WorkerOptions options;
    options.repository_id = repo;
    options.batch_size = a.batch;
    sync::SyncWorker worker(*s, {&index, &markdown}, options);
    auto start = Steady::now();
    auto stats = Must(worker.Drain(), "drain");
    double t_apply = Since(start);
    if (stats.applied != 2LL * a.events) {
      std::cerr << "applied " << stats.applied << ", expected " << 2LL * a.events << "\n";
      return 1;
    }
    EmitAgain(*s, repo);
    PerfControl("enable");
    start = Steady::now();
    auto again = Must(worker.Drain(), "re-run");
    double t_rerun = Since(start);
    PerfControl("disable");
    if (again.skipped != 2LL * a.events || again.applied != 0) {
      std::cerr << "re-run applied " << again.applied << ", skipped " << again.skipped << "\n";
      return 1;
    }
    double t_floor = Floor(*s, a.events);
    apply.push_back(t_apply);
    rerun.push_back(t_rerun);
    floor.push_back(t_floor);
    // Where the apply went: each target's own time (the Markdown renders
    // on a thread beside the index, so they overlap).
    nlohmann::json targets;
    for (const auto& [name, time] : stats.target_time) targets[name + "_s"] = time.count() / 1000.0;
    std::cout << nlohmann::json{{"backend", backend}, {"events", a.events}, {"run", run + 1},
                                {"apply_s", t_apply}, {"rerun_s", t_rerun}, {"floor_s", t_floor},
                                {"targets", targets}}
                     .dump()
              << std::endl;
  }
  if (!a.keep_pages) {
    for (const auto& docs : pages) fs::remove_all(docs);
  }
  double ma = Median(apply), mr = Median(rerun), mf = Median(floor);
  std::cout << nlohmann::json{{"backend", backend},
                              {"events", a.events},
                              {"batch", a.batch},
                              {"median_apply_s", ma},
                              {"events_per_s", a.events / ma},
                              {"median_rerun_s", mr},
                              {"rerun_events_per_s", a.events / mr},
                              {"median_floor_s", mf},
                              {"floor_inserts_per_s", a.events / mf},
                              {"apply_vs_floor", ma / mf},
                              {"rerun_vs_floor", mr / mf}}
                   .dump()
            << std::endl;
  return 0;
}
