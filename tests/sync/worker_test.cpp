// The sync worker over both backends, with a scripted projection and the
// real index and Markdown projections.
#include "sync/worker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "core/files.h"
#include "search/search.h"
#include "store/batch.h"
#include "store/entity_key.h"
#include "store/pending_events.h"
#include "store_test_env.h"
#include "sync/dataflow.h"
#include "sync/index_projection.h"
#include "sync/markdown_projection.h"
#include "sync/sync_admin.h"

namespace docrunch::sync {
namespace {

using std::chrono::seconds;

// Records what it was asked to apply; fails while `failing` is set.
class ScriptedProjection final : public Projection {
 public:
  explicit ScriptedProjection(std::string name = "scripted") : name_(std::move(name)) {}
  std::string_view Target() const override { return name_; }
  Result<void> Apply(const store::SyncEvent& e, store::Tx&) override {
    applied.push_back(e.entity_type + ":" + e.entity_id + "@" + e.content_hash);
    if (failing) return MakeError(failing_code, "target down");
    return Ok();
  }
  Result<void> Delete(const EntityRef& e, store::Tx&) override {
    applied.push_back("delete " + e.type + ":" + e.id);
    return Ok();
  }
  ProjectionHealth Health() override { return {true, ""}; }
  Result<void> Rebuild(store::Tx&) override { return Ok(); }

  std::vector<std::string> applied;
  bool failing = false;
  ErrorCode failing_code = ErrorCode::kIo;

 private:
  std::string name_;
};

// What the projections below leave alone: applying succeeds without
// effect, they are healthy and rebuild to nothing.
class QuietProjection : public Projection {
 public:
  Result<void> Apply(const store::SyncEvent&, store::Tx&) override { return Ok(); }
  Result<void> Delete(const EntityRef&, store::Tx&) override { return Ok(); }
  ProjectionHealth Health() override { return {true, ""}; }
  Result<void> Rebuild(store::Tx&) override { return Ok(); }
};

// Splits its batches; records the threads it applied and rendered on.
class ThreadRecordingProjection final : public QuietProjection {
 public:
  std::string_view Target() const override { return "recording"; }
  std::vector<Result<void>> ApplyBatch(const std::vector<store::SyncEvent>& events,
                                       store::Tx&) override {
    applied_on.push_back(std::this_thread::get_id());
    return std::vector<Result<void>>(events.size(), Ok());
  }
  bool SplitsBatches() const override { return true; }
  std::vector<Result<void>> RenderBatch(const std::vector<store::SyncEvent>& events,
                                        store::Reader&) override {
    rendered_on.push_back(std::this_thread::get_id());
    return std::vector<Result<void>>(events.size(), Ok());
  }

  std::vector<std::thread::id> applied_on, rendered_on;
};

class SyncWorkerTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ReopenWithClock(clock_);
    if (HasFatalFailure()) return;
    MigrateStore();
    repo_ = AddBareRepository();
    ASSERT_GT(repo_, 0);
  }

  WorkerOptions Options_(int batch = 200) {
    WorkerOptions o;
    o.repository_id = repo_;
    o.batch_size = batch;
    o.retry = {3, seconds(2), seconds(120)};
    o.clock = &clock_;
    o.random = [] { return 0.0; };
    return o;
  }

  void Emit(std::vector<store::SyncEvent> events) {
    for (auto& e : events) e.repository_id = repo_;
    auto done = store_->Transact(
        [&](store::Tx& tx) -> Result<void> { return store::EmitSyncEvents(tx, events); });
    ASSERT_TRUE(done.ok()) << done.error().ToString();
  }

  std::string StatusOf(const std::string& target, const std::string& id, int* attempts = nullptr) {
    auto rows = store_->Query(
        "SELECT status, attempts FROM storage_sync WHERE target = $1 AND entity_id = $2",
        {target, id});
    EXPECT_TRUE(rows.ok());
    if (!rows || rows->empty()) return "";
    if (attempts) *attempts = static_cast<int>(*rows->Int(0, "attempts"));
    return *rows->Text(0, "status");
  }

  // The hash `target` last synced for the entity `id`; its one row expected.
  std::optional<std::string> SyncedHash(const std::string& target, const std::string& id) {
    auto rows = store_->Query(
        "SELECT last_synced_hash FROM storage_sync WHERE target = $1 AND entity_id = $2",
        {target, id});
    EXPECT_TRUE(rows.ok()) << rows.error().ToString();
    if (!rows) return std::nullopt;
    EXPECT_EQ(rows->size(), 1u) << target << " " << id;
    if (rows->size() != 1) return std::nullopt;
    return rows->Text(0, "last_synced_hash");
  }

  // The note n0 changed (h2) in a batch of four with n1..n3 (h1), then
  // changed back (h1) at the head of the next, followed by `more` notes
  // n4, n5, ...
  void EmitChangeBack(int more) {
    std::vector<store::SyncEvent> events{{0, "note", "n0", "h2", "upsert", std::nullopt, 0}};
    for (int i = 1; i <= 3; ++i) {
      events.push_back({0, "note", "n" + std::to_string(i), "h1", "upsert", std::nullopt, 0});
    }
    events.push_back({0, "note", "n0", "h1", "upsert", std::nullopt, 0});  // changed back
    for (int i = 4; i < 4 + more; ++i) {
      events.push_back({0, "note", "n" + std::to_string(i), "h1", "upsert", std::nullopt, 0});
    }
    Emit(events);
  }

  // `n` tasks and an upsert event for each (not emitted).
  std::vector<store::SyncEvent> AddTasks(int n) {
    std::vector<store::SyncEvent> events;
    auto added = store_->Transact([&](store::Tx& tx) -> Result<void> {
      for (int i = 0; i < n; ++i) {
        auto r = tx.Query(
            "INSERT INTO tasks (repository_id, type, title, status, created_at, updated_at) "
            "VALUES ($1, 'feature', $2, 'todo', $3, $3) RETURNING id",
            {repo_, "Stream the pager " + std::to_string(i), FormatIso8601(clock_.Now())});
        if (!r) return r.error();
        events.push_back({0, "task", "task-" + std::to_string(*r->Int(0, "id")), "h1", "upsert",
                          std::nullopt, 10});
      }
      return Ok();
    });
    EXPECT_TRUE(added.ok()) << added.error().ToString();
    return events;
  }

  // Emits one event each for the entities n0, n1, ... (type "note").
  std::vector<store::SyncEvent> EmitNotes(int n) {
    std::vector<store::SyncEvent> events;
    for (int i = 0; i < n; ++i) {
      events.push_back({0, "note", "n" + std::to_string(i), "h1", "upsert", std::nullopt, 0});
    }
    Emit(events);
    return events;
  }

  // No event pending, and every entity of `events` ok in each target.
  void ExpectAllSynced(const std::vector<store::SyncEvent>& events,
                       const std::vector<std::string>& targets) {
    EXPECT_EQ(CountPending(), 0);
    for (const auto& e : events) {
      for (const auto& target : targets) {
        EXPECT_EQ(StatusOf(target, e.entity_id), "ok") << target << " " << e.entity_id;
      }
    }
  }

  ManualClock clock_{*ParseIso8601("2026-11-27T12:00:00Z")};
  std::int64_t repo_ = 0;
};

TEST_P(SyncWorkerTest, AppliesEachEntityOnceAndSkipsHashesAlreadySynced) {
  ScriptedProjection target;
  SyncWorker worker(*store_, {&target}, Options_());
  Emit({{0, "file", "a.py", "h1", "upsert", std::nullopt, 0},
        {0, "file", "b.py", "h1", "upsert", std::nullopt, 0},
        {0, "file", "a.py", "h2", "upsert", std::nullopt, 0}});  // supersedes the first
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->events, 3);
  EXPECT_EQ(stats->applied, 2);
  EXPECT_THAT(target.applied, ::testing::ElementsAre("file:a.py@h2", "file:b.py@h1"));
  EXPECT_EQ(CountRows("storage_sync"), 2);

  // The same content again (a rescan, an at-least-once redelivery): skipped.
  Emit({{0, "file", "a.py", "h2", "upsert", std::nullopt, 0},
        {0, "file", "b.py", "h3", "upsert", std::nullopt, 0}});
  stats = worker.Drain();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->skipped, 1);
  EXPECT_EQ(stats->applied, 1);
  EXPECT_EQ(target.applied.back(), "file:b.py@h3");
  EXPECT_EQ(CountRows("sync_events"), 5);
  EXPECT_EQ(CountPending(), 0);
}

// PostgreSQL: a fresh database's first backlog has no statistics until
// autovacuum's first pass, and without them the planner read whole tables
// for each batch's lookups. The worker analyzes the outbox tables itself.
TEST_P(SyncWorkerTest, AFirstBacklogOnPostgresGetsTheOutboxTablesAnalyzed) {
  if (GetParam() != std::string("postgres")) GTEST_SKIP() << "PostgreSQL's statistics";
  // Autovacuum could analyze the new rows while the test waits for the
  // statistics to see them (it did once: "analyzed before the drain").
  auto quiet = store_->Transact([](store::Tx& tx) -> Result<void> {
    auto done = tx.Exec("ALTER TABLE sync_events SET (autovacuum_enabled = false)");
    if (!done) return done.error();
    return Ok();
  });
  ASSERT_TRUE(quiet.ok()) << quiet.error().ToString();
  std::vector<store::SyncEvent> events;
  for (int i = 0; i < 1500; ++i) {
    events.push_back({0, "file", "f" + std::to_string(i) + ".py", "h", "upsert", std::nullopt, 0});
  }
  Emit(events);
  auto stats_of = [&](const std::string& table) {
    return store_->Query(
        "SELECT n_live_tup, (last_analyze IS NOT NULL) AS analyzed FROM pg_stat_user_tables "
        "WHERE schemaname = current_schema() AND relname = $1",
        {table});
  };
  // The statistics system sees the new rows once the writer flushes its
  // counts (about a second after its commit).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::int64_t live = 0;
  while (std::chrono::steady_clock::now() < until) {
    auto row = stats_of("sync_events");
    ASSERT_TRUE(row.ok()) << row.error().ToString();
    live = row->empty() ? 0 : row->Int(0, "n_live_tup").value_or(0);
    if (live >= 1000) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(live, 1000) << "the statistics never showed the seeded events";
  auto before = stats_of("sync_events");
  ASSERT_TRUE(before.ok() && !before->empty());
  ASSERT_EQ(before->Int(0, "analyzed").value_or(1), 0) << "analyzed before the drain";

  ScriptedProjection target;
  SyncWorker worker(*store_, {&target}, Options_());
  auto drained = worker.Drain();
  ASSERT_TRUE(drained.ok()) << drained.error().ToString();
  EXPECT_EQ(drained->events, 1500);
  auto after = stats_of("sync_events");
  ASSERT_TRUE(after.ok() && !after->empty());
  EXPECT_EQ(after->Int(0, "analyzed").value_or(0), 1) << "the worker analyzed sync_events";
}

// The targets' own tables too (Projection::Tables): the index's documents,
// written by the drain itself, are analyzed once they outgrow 64 KB.
TEST_P(SyncWorkerTest, AFirstBacklogOnPostgresGetsTheIndexTablesAnalyzed) {
  if (GetParam() != std::string("postgres")) GTEST_SKIP() << "PostgreSQL's statistics";
  Emit(AddTasks(1500));
  IndexProjection index(repo_);
  SyncWorker worker(*store_, {&index}, Options_());
  auto drained = worker.Drain();
  ASSERT_TRUE(drained.ok()) << drained.error().ToString();
  EXPECT_EQ(drained->events, 1500);
  auto analyzed = store_->Query(
      "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() AND "
      "relname = 'search_docs' AND last_analyze IS NOT NULL");
  ASSERT_TRUE(analyzed.ok()) << analyzed.error().ToString();
  EXPECT_EQ(analyzed->size(), 1u) << "the worker analyzed search_docs";
}

TEST_P(SyncWorkerTest, AFirstPassLeavesItsEventsToAFullDrainThatSkipsWhatItApplied) {
  // The repo-scan workflow's `index` step, then its `markdown` step.
  ScriptedProjection index("index"), markdown("markdown");
  Emit({{0, "file", "a.py", "h1", "upsert", std::nullopt, 0},
        {0, "file", "b.py", "h1", "upsert", std::nullopt, 0},
        {0, "file", "c.py", "h1", "upsert", std::nullopt, 0}});
  WorkerOptions pass = Options_(2);  // two batches: the pass's cursor moves on
  pass.leave_pending = true;
  SyncWorker first(*store_, {&index}, pass);
  auto stats = first.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->events, 3);
  EXPECT_EQ(stats->applied, 3);
  EXPECT_EQ(stats->batches, 3) << "batches of two and one events, then the empty one that ends it";
  EXPECT_THAT(index.applied,
              ::testing::ElementsAre("file:a.py@h1", "file:b.py@h1", "file:c.py@h1"));
  EXPECT_EQ(CountPending(), 3) << "left for the full drain";

  SyncWorker full(*store_, {&index, &markdown}, Options_(2));
  stats = full.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->events, 3);
  EXPECT_EQ(stats->skipped, 3) << "the index applied them in the pass";
  EXPECT_EQ(stats->applied, 3);
  EXPECT_EQ(index.applied.size(), 3u);
  EXPECT_EQ(markdown.applied.size(), 3u);
  EXPECT_EQ(CountPending(), 0);
}

TEST_P(SyncWorkerTest, ReportEventsAreAppliedBeforeEarlierScanEvents) {
  ScriptedProjection target;
  SyncWorker worker(*store_, {&target}, Options_(1));
  Emit({{0, "file", "a.py", "h", "upsert", std::nullopt, 0},
        {0, "file", "b.py", "h", "upsert", std::nullopt, 0},
        {0, "decision", "decision-1", "h", "upsert", std::nullopt, 10}});
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_THAT(target.applied,
              ::testing::ElementsAre("decision:decision-1@h", "file:a.py@h", "file:b.py@h"));
}

TEST_P(SyncWorkerTest, FailuresRetryWithBackoffThenFailAndRetryCommandRevivesThem) {
  ScriptedProjection target;
  target.failing = true;
  SyncWorker worker(*store_, {&target}, Options_());
  Emit({{0, "task", "task-1", "h", "upsert", std::nullopt, 10}});
  ASSERT_TRUE(worker.Drain().ok());
  int attempts = 0;
  EXPECT_EQ(StatusOf("scripted", "task-1", &attempts), "pending");
  EXPECT_EQ(attempts, 1);
  // Not due before the backoff (2 s with this jitter) has passed.
  clock_.Advance(std::chrono::milliseconds(1999));
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(target.applied.size(), 1u);
  clock_.Advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(target.applied.size(), 2u);
  StatusOf("scripted", "task-1", &attempts);
  EXPECT_EQ(attempts, 2);
  clock_.Advance(seconds(4));  // the second wait doubles
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(StatusOf("scripted", "task-1", &attempts), "failed");
  EXPECT_EQ(attempts, 3);
  clock_.Advance(seconds(3600));
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(target.applied.size(), 3u);  // failed entries wait for `sync retry`

  auto status = LoadSyncStatus(*store_, repo_, {"scripted"}, {60, 300}, clock_.Now());
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->targets[0].failed, 1);

  target.failing = false;
  auto revived = ScheduleRetry(*store_, repo_, false);
  ASSERT_TRUE(revived.ok());
  EXPECT_EQ(*revived, 1);
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(StatusOf("scripted", "task-1"), "ok");
}

TEST_P(SyncWorkerTest, ValidationFailuresAreDeadLettersAndOtherEntitiesGoOn) {
  ScriptedProjection target;
  target.failing = true;
  target.failing_code = ErrorCode::kInvalidParams;
  SyncWorker worker(*store_, {&target}, Options_());
  Emit({{0, "task", "task-x", "h", "upsert", std::nullopt, 10}});
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(StatusOf("scripted", "task-x"), "dead_letter");
  clock_.Advance(seconds(3600));
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(target.applied.size(), 1u);
  target.failing = false;
  Emit({{0, "task", "task-2", "h", "upsert", std::nullopt, 10}});
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(StatusOf("scripted", "task-2"), "ok");
}

TEST_P(SyncWorkerTest, UnwritableDocsDelayMarkdownOnlyAndTheBacklogDrainsAfterRecovery) {
  docrunch::testing::TempDir dir;
  // A file where the docs folder's parent should be: unwritable even for root.
  { std::ofstream(dir.path() / "blocked") << "x"; }
  IndexProjection index(repo_);
  MarkdownProjection markdown(dir.path() / "blocked" / "docs", repo_, "repo");
  SyncWorker worker(*store_, {&index, &markdown}, Options_());
  ASSERT_TRUE(store_
                  ->Transact([&](store::Tx& tx) -> Result<void> {
                    auto r = tx.Exec(
                        "INSERT INTO decisions (repository_id, number, title, decision, "
                        "created_at, updated_at) VALUES ($1, 1, 'Keep the outbox', "
                        "'Every write emits an event', $2, $2)",
                        {repo_, FormatIso8601(clock_.Now())});
                    if (!r) return r.error();
                    return Ok();
                  })
                  .ok());
  auto id = store_->Query("SELECT id FROM decisions");
  std::string entity = "decision-" + std::to_string(*id->Int(0, "id"));
  Emit({{0, "decision", entity, "h1", "upsert", std::nullopt, 10}});
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(StatusOf("index", entity), "ok");
  EXPECT_EQ(StatusOf("markdown", entity), "pending");
  auto found = search::Search(*store_, repo_, "outbox event", 5, search::Scope::kReports);
  ASSERT_TRUE(found.ok());
  ASSERT_FALSE(found->empty());
  EXPECT_EQ(found->front().id, "decision:" + entity);

  std::filesystem::remove(dir.path() / "blocked");
  clock_.Advance(seconds(3));
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(StatusOf("markdown", entity), "ok");
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "blocked/docs/decisions/adr-001.md"));
}

// With the index also busy, the Markdown renders on a thread of its own,
// reading beside the worker's transaction; with a single PostgreSQL
// connection (nothing to read beside it) it renders in the transaction.
// Either way both targets apply and record the batch.
TEST_P(SyncWorkerTest, MarkdownRendersBesideTheIndexOrInTheTransactionWithOneConnection) {
  std::vector<int> pool_sizes{8};
  if (IsPostgres()) pool_sizes.push_back(1);
  int number = 0;
  for (int pool_size : pool_sizes) {
    SCOPED_TRACE("pool size " + std::to_string(pool_size));
    store::StoreOptions options = Options();
    options.postgres_pool_size = pool_size;
    options.clock = &clock_;
    auto store = store::OpenStore(options);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    EXPECT_EQ((*store)->ReadsBesideTransactions(), !IsPostgres() || pool_size > 1);
    ++number;
    std::int64_t decision = 0;
    ASSERT_TRUE((*store)
                    ->Transact([&](store::Tx& tx) -> Result<void> {
                      auto r = tx.Query(
                          "INSERT INTO decisions (repository_id, number, title, decision, "
                          "created_at, updated_at) VALUES ($1, $2, 'Render apart', "
                          "'Pages render beside the index', $3, $3) RETURNING id",
                          {repo_, std::int64_t{number}, FormatIso8601(clock_.Now())});
                      if (!r) return r.error();
                      decision = *r->Int(0, "id");
                      return store::EmitSyncEvents(
                          tx, {{repo_, "decision", "decision-" + std::to_string(decision), "h1",
                                "upsert", std::nullopt, 10}});
                    })
                    .ok());
    docrunch::testing::TempDir docs;
    IndexProjection index(repo_);
    MarkdownProjection markdown(docs.path(), repo_, "repo");
    SyncWorker worker(**store, {&index, &markdown}, Options_());
    auto stats = worker.Drain();
    ASSERT_TRUE(stats.ok()) << stats.error().ToString();
    const std::string entity = "decision-" + std::to_string(decision);
    EXPECT_EQ(StatusOf("index", entity), "ok");
    EXPECT_EQ(StatusOf("markdown", entity), "ok");
    char page[32];
    std::snprintf(page, sizeof page, "decisions/adr-%03d.md", number);
    EXPECT_TRUE(std::filesystem::exists(docs.path() / page)) << page;
  }
}

// render_apart false (scanning.parallel_workers 1): a projection that
// splits its batches applies them in the transaction, on the calling
// thread; true: it renders on a thread of its own.
TEST_P(SyncWorkerTest, RenderApartFalseAppliesSplittingTargetsOnTheCallingThread) {
  for (bool apart : {true, false}) {
    SCOPED_TRACE(apart ? "render apart" : "one thread");
    const std::string id = apart ? "a.py" : "b.py";
    Emit({{0, "file", id, "h1", "upsert", std::nullopt, 0}});
    ScriptedProjection other;
    ThreadRecordingProjection recording;
    WorkerOptions options = Options_();
    options.render_apart = apart;
    SyncWorker worker(*store_, {&other, &recording}, options);
    auto stats = worker.Drain();
    ASSERT_TRUE(stats.ok()) << stats.error().ToString();
    EXPECT_EQ(stats->failed, 0);
    EXPECT_EQ(StatusOf("recording", id), "ok");
    if (apart) {
      EXPECT_TRUE(recording.applied_on.empty());
      ASSERT_EQ(recording.rendered_on.size(), 1u);
      EXPECT_NE(recording.rendered_on[0], std::this_thread::get_id());
    } else {
      EXPECT_TRUE(recording.rendered_on.empty());
      ASSERT_EQ(recording.applied_on.size(), 1u);
      EXPECT_EQ(recording.applied_on[0], std::this_thread::get_id());
    }
  }
}

// Applies in the transaction; counts its batches (and can throw once, at
// the batch `throw_at`, which rolls that transaction back).
class BatchCountingProjection final : public QuietProjection {
 public:
  std::string_view Target() const override { return "counting"; }
  std::vector<Result<void>> ApplyBatch(const std::vector<store::SyncEvent>& events,
                                       store::Tx&) override {
    {
      std::lock_guard lock(mu);
      ++batches;
    }
    changed.notify_all();
    if (batches == throw_at) throw std::runtime_error("the disk went away");
    return std::vector<Result<void>>(events.size(), Ok());
  }

  // Waits up to `limit` for `n` batches.
  bool WaitForBatches(int n, std::chrono::milliseconds limit) {
    std::unique_lock lock(mu);
    return changed.wait_for(lock, limit, [&] { return batches >= n; });
  }

  std::mutex mu;
  std::condition_variable changed;
  int batches = 0;
  int throw_at = -1;
};

// Renders apart and past the commit; its first batch waits to see the
// counting target apply the next batch, and looks how many of its own
// events are still pending meanwhile.
class OverlapProbe final : public QuietProjection {
 public:
  OverlapProbe(BatchCountingProjection& partner, std::chrono::milliseconds patience)
      : partner_(partner), patience_(patience) {}
  std::string_view Target() const override { return "probe"; }
  // In the transaction (alone in a batch, or on PostgreSQL with one connection).
  Result<void> Apply(const store::SyncEvent& e, store::Tx&) override {
    rendered.push_back(e.entity_id);
    return Ok();
  }
  bool SplitsBatches() const override { return true; }
  bool RendersPastCommit(const std::vector<store::SyncEvent>&) const override { return true; }
  std::vector<Result<void>> RenderBatch(const std::vector<store::SyncEvent>& events,
                                        store::Reader& reader) override {
    for (const auto& e : events) rendered.push_back(e.entity_id);
    if (++renders == 1) {
      beside_next = partner_.WaitForBatches(2, patience_);
      store::Params params;
      std::vector<std::string> ids;
      for (const auto& e : events) ids.push_back(e.entity_id);
      const std::string list = store::AppendInList(params, ids.begin(), ids.end());
      auto rows = reader.Query("SELECT count(*) AS n FROM sync_events e WHERE " +
                                   store::IsPending("e") + " AND entity_id IN (" + list + ")",
                               params);
      if (rows) pending_while_rendering = *rows->Int(0, "n");
      if (stop_after_first) *stop_after_first = true;
    }
    return std::vector<Result<void>>(events.size(), Ok());
  }

  int renders = 0;
  bool beside_next = false;
  std::int64_t pending_while_rendering = -1;
  std::vector<std::string> rendered;
  std::atomic<bool>* stop_after_first = nullptr;

 private:
  BatchCountingProjection& partner_;
  std::chrono::milliseconds patience_;
};

// On SQLite a drain's full batch renders on past its commit, beside the
// next batch, whose transaction records it and marks its events
// processed; PostgreSQL renders each batch within its transaction.
TEST_P(SyncWorkerTest, ABatchRendersBesideTheNextOnSqliteAndIsRecordedByIt) {
  const auto events = EmitNotes(10);
  BatchCountingProjection counting;
  OverlapProbe probe(counting, IsPostgres() ? std::chrono::milliseconds(0) : seconds(10));
  SyncWorker worker(*store_, {&counting, &probe}, Options_(4));
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->events, 10);
  EXPECT_EQ(stats->applied, 20);
  EXPECT_EQ(stats->failed, 0);
  EXPECT_EQ(probe.renders, 3);  // 4 + 4 + 2
  EXPECT_EQ(probe.beside_next, !IsPostgres());
  // While it rendered (past its commit on SQLite), its events were pending.
  EXPECT_EQ(probe.pending_while_rendering, 4);
  ExpectAllSynced(events, {"counting", "probe"});
}

// An entity changed in a batch that renders past its commit and changed
// back in the next: the next batch reads the rendering target's row before
// the first batch records it (the old hash, the same as the change back),
// yet renders the entity again instead of skipping it on that row. The
// target ends at the latest content's hash.
TEST_P(SyncWorkerTest, AChangeBackBesideARenderingIsNotSkippedOnTheRowItHasYetToRecord) {
  {
    BatchCountingProjection counting;
    OverlapProbe probe(counting, std::chrono::milliseconds(0));
    Emit({{0, "note", "n0", "h1", "upsert", std::nullopt, 0}});
    SyncWorker first(*store_, {&counting, &probe}, Options_(4));
    ASSERT_TRUE(first.Drain().ok());
  }
  EmitChangeBack(4);
  BatchCountingProjection counting;
  OverlapProbe probe(counting, IsPostgres() ? std::chrono::milliseconds(0) : seconds(10));
  SyncWorker worker(*store_, {&counting, &probe}, Options_(4));
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(probe.beside_next, !IsPostgres());
  EXPECT_EQ(std::count(probe.rendered.begin(), probe.rendered.end(), "n0"), 2)
      << ::testing::PrintToString(probe.rendered);
  EXPECT_EQ(SyncedHash("probe", "n0"), "h1");
  EXPECT_EQ(CountPending(), 0);
}

// The same with the rendering target alone: at the claim every target's
// row (its only one) holds the old hash, the same as the change back's, yet
// the entity is not skipped there.
TEST_P(SyncWorkerTest, AChangeBackBesideARenderingIsNotSkippedAtTheClaimEither) {
  BatchCountingProjection unused;  // the probe's partner, not a target
  {
    OverlapProbe probe(unused, std::chrono::milliseconds(0));
    Emit({{0, "note", "n0", "h1", "upsert", std::nullopt, 0}});
    SyncWorker first(*store_, {&probe}, Options_(4));
    ASSERT_TRUE(first.Drain().ok());
  }
  EmitChangeBack(0);
  OverlapProbe probe(unused, std::chrono::milliseconds(0));
  SyncWorker worker(*store_, {&probe}, Options_(4));
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(std::count(probe.rendered.begin(), probe.rendered.end(), "n0"), 2)
      << ::testing::PrintToString(probe.rendered);
  EXPECT_EQ(SyncedHash("probe", "n0"), "h1");
  EXPECT_EQ(CountPending(), 0);
}

// The transaction behind a batch still rendering fails: that batch is
// forgotten, not lost (its events are still pending and are applied
// again), and nothing is recorded twice.
TEST_P(SyncWorkerTest, ATransactionFailingBehindARenderingLosesNoEvent) {
  const auto events = EmitNotes(10);
  BatchCountingProjection counting;
  counting.throw_at = 2;
  OverlapProbe probe(counting, std::chrono::milliseconds(0));
  SyncWorker worker(*store_, {&counting, &probe}, Options_(4));
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->failed, 0);
  ExpectAllSynced(events, {"counting", "probe"});
  // n0..n3 rendered by the first batch; on SQLite again (alone: the
  // counting target has them) after the second transaction, which was to
  // record them, rolled back.
  const auto n0 = std::count(probe.rendered.begin(), probe.rendered.end(), "n0");
  EXPECT_EQ(n0, IsPostgres() ? 1 : 2) << ::testing::PrintToString(probe.rendered);
}

// A drain stopped while a batch renders past its commit records that
// batch before it returns: every event it claimed is processed and
// recorded, the others are left pending with no row.
TEST_P(SyncWorkerTest, ADrainStoppedBehindARenderingRecordsItBeforeReturning) {
  EmitNotes(12);
  std::atomic<bool> stop{false};
  BatchCountingProjection counting;
  OverlapProbe probe(counting, std::chrono::milliseconds(0));
  probe.stop_after_first = &stop;
  SyncWorker worker(*store_, {&counting, &probe}, Options_(4));
  auto stats = worker.Drain(SyncWorker::kUntilEmpty, &stop);
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  ASSERT_GE(stats->events, 4);
  ASSERT_LT(stats->events, 12);
  EXPECT_EQ(CountPending(), 12 - stats->events);
  for (int i = 0; i < 12; ++i) {
    const std::string id = "n" + std::to_string(i);
    const bool claimed = i < stats->events;  // claimed in id order (one priority)
    EXPECT_EQ(StatusOf("counting", id), claimed ? "ok" : "") << id;
    EXPECT_EQ(StatusOf("probe", id), claimed ? "ok" : "") << id;
  }
}

// A worker starting cleans up the temporary pages of killed writers, and
// only theirs: another worker's page being written (its pid runs) stays,
// or that worker's rename would fail (the crash test's occasional pending
// decision page, when a worker started while another wrote).
TEST(MarkdownTemporaries, OnlyThoseOfWritersThatNoLongerRunAreRemoved) {
  docrunch::testing::TempDir docs;
  pid_t dead = fork();
  ASSERT_GE(dead, 0);
  if (dead == 0) _exit(0);
  int status = 0;
  waitpid(dead, &status, 0);
  const std::string live = std::to_string(getpid());
  docs.Write("decisions/adr-001.md.tmp-" + std::to_string(dead) + "-a1b2c3", "killed");
  docs.Write("decisions/adr-002.md.tmp-" + live + "-d4e5f6", "being written");
  docs.Write("index.md.tmp-Xy12Zq", "an older binary's");
  docs.Write("decisions/adr-003.md", "a page");
  // Written by this process through the real writer: the name carries its pid.
  ASSERT_TRUE(WriteFileAtomic(docs.path() / "decisions/adr-004.md", "page").ok());
  MarkdownProjection markdown(docs.path(), 1, "repo");
  markdown.RemoveLeftoverTemporaries();
  EXPECT_FALSE(std::filesystem::exists(
      docs.path() / ("decisions/adr-001.md.tmp-" + std::to_string(dead) + "-a1b2c3")));
  EXPECT_TRUE(
      std::filesystem::exists(docs.path() / ("decisions/adr-002.md.tmp-" + live + "-d4e5f6")));
  EXPECT_FALSE(std::filesystem::exists(docs.path() / "index.md.tmp-Xy12Zq"));
  EXPECT_TRUE(std::filesystem::exists(docs.path() / "decisions/adr-003.md"));
  EXPECT_TRUE(std::filesystem::exists(docs.path() / "decisions/adr-004.md"));
}

// A worker that takes over from one killed mid-page never rebuilds: its
// first batch sweeps the dead writer's temporary, which otherwise stayed in
// the docs folder (the repo-scan kill drill's one file too many).
TEST_P(SyncWorkerTest, TheFirstIncrementalBatchSweepsTemporariesOfKilledWriters) {
  docrunch::testing::TempDir docs;
  pid_t dead = fork();
  ASSERT_GE(dead, 0);
  if (dead == 0) _exit(0);
  int status = 0;
  waitpid(dead, &status, 0);
  const std::string leftover = "decisions/adr-001.md.tmp-" + std::to_string(dead) + "-q1w2e3";
  docs.Write(leftover, "killed mid-page");
  auto decision = store_->Transact([&](store::Tx& tx) -> Result<void> {
    auto r = tx.Query(
        "INSERT INTO decisions (repository_id, number, title, decision, created_at, updated_at) "
        "VALUES ($1, 1, 'Sweep', 'Temporaries of dead writers go', $2, $2) RETURNING id",
        {repo_, FormatIso8601(clock_.Now())});
    if (!r) return r.error();
    const std::int64_t id = *r->Int(0, "id");
    DOCRUNCH_TRY(store::EmitSyncEvents(tx, {{repo_, "decision", "decision-" + std::to_string(id),
                                             "h1", "upsert", std::nullopt, 10}}));
    return Ok();
  });
  ASSERT_TRUE(decision.ok()) << decision.error().ToString();
  MarkdownProjection markdown(docs.path(), repo_, "repo");
  SyncWorker worker(*store_, {&markdown}, Options_());
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->applied, 1);
  EXPECT_TRUE(std::filesystem::exists(docs.path() / "decisions/adr-001.md"));
  EXPECT_FALSE(std::filesystem::exists(docs.path() / leftover));
}

TEST_P(SyncWorkerTest, IndexEntriesAreWrittenOnceHoweverOftenTheEventIsDelivered) {
  IndexProjection index(repo_);
  SyncWorker worker(*store_, {&index}, Options_(2));
  ASSERT_TRUE(store_
                  ->Transact([&](store::Tx& tx) -> Result<void> {
                    auto r = tx.Exec(
                        "INSERT INTO tasks (repository_id, type, title, status, created_at, "
                        "updated_at) VALUES ($1, 'feature', 'Stream the pager', 'todo', $2, $2)",
                        {repo_, FormatIso8601(clock_.Now())});
                    if (!r) return r.error();
                    return Ok();
                  })
                  .ok());
  auto id = store_->Query("SELECT id FROM tasks");
  std::string entity = "task-" + std::to_string(*id->Int(0, "id"));
  for (int i = 0; i < 5; ++i) Emit({{0, "task", entity, "h" + std::to_string(i), "upsert"}});
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(CountRows("search_docs"), 1);
  auto stream = search::Search(*store_, repo_, "pager", 5, search::Scope::kAll);
  ASSERT_TRUE(stream.ok());
  ASSERT_EQ(stream->size(), 1u);
  EXPECT_EQ(stream->front().type, "task");
  Emit({{0, "task", entity, "", "delete"}});
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(CountRows("search_docs"), 0);
}

// One batch of report events: the index reads its decisions and tasks (with
// reports and findings) and the Markdown its decisions, each kind in one
// query. An id that cannot be parsed fails alone (a dead letter in both
// targets) and an id without a row is nothing to index or write; the
// others in the same batch are applied in full.
TEST_P(SyncWorkerTest, ABatchReadsItsReportsTogetherAndABadIdFailsAlone) {
  std::vector<std::string> decisions;
  std::string task;
  ASSERT_TRUE(
      store_
          ->Transact([&](store::Tx& tx) -> Result<void> {
            const std::string now = FormatIso8601(clock_.Now());
            const char* titles[] = {"Cache the pager", "Shard the outbox", "Pin the grammars"};
            for (int n = 1; n <= 3; ++n) {
              auto r = tx.Query(
                  "INSERT INTO decisions (repository_id, number, title, decision, "
                  "created_at, updated_at) VALUES ($1, $2, $3, 'Because', $4, $4) "
                  "RETURNING id",
                  {repo_, std::int64_t{n}, std::string(titles[n - 1]), now});
              if (!r) return r.error();
              decisions.push_back("decision-" + std::to_string(*r->Int(0, "id")));
            }
            auto t = tx.Query(
                "INSERT INTO tasks (repository_id, type, title, status, created_at, "
                "updated_at) VALUES ($1, 'feature', 'Stream the pager', 'review', $2, "
                "$2) RETURNING id",
                {repo_, now});
            if (!t) return t.error();
            const std::int64_t id = *t->Int(0, "id");
            task = "task-" + std::to_string(id);
            auto r = tx.Exec(
                "INSERT INTO completion_reports (repository_id, task_id, summary, "
                "created_at) VALUES ($1, $2, 'Streamed through a ring buffer', $3)",
                {repo_, id, now});
            if (!r) return r.error();
            r = tx.Exec(
                "INSERT INTO findings (repository_id, task_id, kind, title, "
                "description, created_at) VALUES ($1, $2, 'risk', 'Unbounded queue', "
                "'The backlog grows without a cap', $3)",
                {repo_, id, now});
            if (!r) return r.error();
            return Ok();
          })
          .ok());
  Emit({{0, "decision", decisions[0], "h1", "upsert", std::nullopt, 10},
        {0, "decision", "decision-x1", "h1", "upsert", std::nullopt, 10},
        {0, "decision", decisions[1], "h1", "upsert", std::nullopt, 10},
        {0, "decision", "decision-999999", "h1", "upsert", std::nullopt, 10},
        {0, "task", task, "h1", "upsert", std::nullopt, 10},
        {0, "task", "task-", "h1", "upsert", std::nullopt, 10},
        {0, "decision", decisions[2], "h1", "upsert", std::nullopt, 10}});
  docrunch::testing::TempDir docs;
  IndexProjection index(repo_);
  MarkdownProjection markdown(docs.path(), repo_, "repo");
  SyncWorker worker(*store_, {&index, &markdown}, Options_());
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->events, 7);
  EXPECT_EQ(stats->applied, 10);  // five entities, two targets
  EXPECT_EQ(stats->failed, 4);    // decision-x1 and task- in both
  for (const char* target : {"index", "markdown"}) {
    SCOPED_TRACE(target);
    for (const auto& d : decisions) EXPECT_EQ(StatusOf(target, d), "ok") << d;
    EXPECT_EQ(StatusOf(target, task), "ok");
    EXPECT_EQ(StatusOf(target, "decision-999999"), "ok");
    EXPECT_EQ(StatusOf(target, "decision-x1"), "dead_letter");
    EXPECT_EQ(StatusOf(target, "task-"), "dead_letter");
  }
  // The index: three decisions, the task with its report and finding.
  EXPECT_EQ(CountRows("search_docs"), 6);
  for (const auto& [query, id] : std::vector<std::pair<std::string, std::string>>{
           {"shard outbox", "decision:" + decisions[1]},
           {"grammars", "decision:" + decisions[2]},
           {"ring buffer", ""},
           {"unbounded queue", ""}}) {
    auto found = search::Search(*store_, repo_, query, 5, search::Scope::kAll);
    ASSERT_TRUE(found.ok()) << query;
    ASSERT_FALSE(found->empty()) << query;
    if (!id.empty()) {
      EXPECT_EQ(found->front().id, id) << query;
    }
  }
  // The pages: one per decision with a row, with its own title.
  EXPECT_THAT(docs.Read("decisions/adr-001.md"), ::testing::HasSubstr("Cache the pager"));
  EXPECT_THAT(docs.Read("decisions/adr-002.md"), ::testing::HasSubstr("Shard the outbox"));
  EXPECT_THAT(docs.Read("decisions/adr-003.md"), ::testing::HasSubstr("Pin the grammars"));
  int pages = 0;
  for (const auto& e : std::filesystem::directory_iterator(docs.path() / "decisions")) {
    pages += e.is_regular_file();
  }
  EXPECT_EQ(pages, 3);
}

// Delivering the same hashes again (an at-least-once redelivery) skips
// every entity without writing its storage_sync row: the rows keep their
// updated_at.
TEST_P(SyncWorkerTest, AnIdempotentRedeliveryLeavesTheSyncRowsUntouched) {
  ScriptedProjection target;
  SyncWorker worker(*store_, {&target}, Options_());
  Emit({{0, "file", "a.py", "h1", "upsert", std::nullopt, 0},
        {0, "file", "b.py", "h1", "upsert", std::nullopt, 0},
        {0, "task", "task-1", "h1", "upsert", std::nullopt, 10}});
  ASSERT_TRUE(worker.Drain().ok());
  auto before = store_->Query(
      "SELECT entity_id, updated_at FROM storage_sync ORDER BY entity_type, entity_id");
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->size(), 3u);
  clock_.Advance(seconds(60));
  Emit({{0, "file", "a.py", "h1", "upsert", std::nullopt, 0},
        {0, "file", "b.py", "h1", "upsert", std::nullopt, 0},
        {0, "task", "task-1", "h1", "upsert", std::nullopt, 10}});
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->events, 3);
  EXPECT_EQ(stats->skipped, 3);
  EXPECT_EQ(stats->applied, 0);
  EXPECT_EQ(target.applied.size(), 3u);
  auto after = store_->Query(
      "SELECT entity_id, updated_at FROM storage_sync ORDER BY entity_type, entity_id");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->rows, before->rows);
}

// storage_sync rows are found by their entity_key, and still found when
// they have none (0: written by a migration, `sync rebuild` or a test's
// SQL) or another entity's (two entities may share a key): matched by
// target, type and id, read by their text key when missed, and given their
// own key then.
TEST_P(SyncWorkerTest, SyncRowsWithoutTheirKeyOrWithAnotherEntitysAreStillFound) {
  ScriptedProjection one("one"), two("two");
  SyncWorker worker(*store_, {&one, &two}, Options_());
  const std::vector<store::SyncEvent> events{{0, "file", "a.py", "h1", "upsert", std::nullopt, 0},
                                             {0, "file", "b.py", "h1", "upsert", std::nullopt, 0},
                                             {0, "file", "c.py", "h1", "upsert", std::nullopt, 0}};
  Emit(events);
  ASSERT_TRUE(worker.Drain().ok());
  auto keys = [&] {
    std::map<std::string, std::set<std::int64_t>> by_entity;
    auto rows = store_->Query("SELECT entity_id, entity_key FROM storage_sync");
    EXPECT_TRUE(rows.ok());
    for (std::size_t i = 0; rows && i < rows->size(); ++i) {
      by_entity[*rows->Text(i, "entity_id")].insert(*rows->Int(i, "entity_key"));
    }
    return by_entity;
  };
  auto written = keys();
  ASSERT_EQ(written.size(), 3u);
  for (const auto& [id, of_entity] : written) {
    ASSERT_EQ(of_entity.size(), 1u) << id << ": both targets' rows share the entity's key";
    EXPECT_NE(*of_entity.begin(), 0) << id;
  }
  EXPECT_NE(written["a.py"], written["b.py"]);
  EXPECT_NE(written["b.py"], written["c.py"]);

  auto rekeyed = store_->Transact([&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec("UPDATE storage_sync SET entity_key = 0 WHERE entity_id = 'a.py'");
    if (!r) return r.error();
    r = tx.Exec("UPDATE storage_sync SET entity_key = $1 WHERE entity_id = 'b.py'",
                {*written["c.py"].begin()});
    if (!r) return r.error();
    return Ok();
  });
  ASSERT_TRUE(rekeyed.ok()) << rekeyed.error().ToString();
  clock_.Advance(seconds(60));
  std::vector<store::SyncEvent> again = events;
  again[2].content_hash = "h2";  // c.py changed; a.py and b.py did not
  Emit(again);
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->skipped, 4);
  EXPECT_EQ(stats->applied, 2);
  EXPECT_EQ(stats->failed, 0);
  EXPECT_THAT(one.applied, ::testing::ElementsAre("file:a.py@h1", "file:b.py@h1", "file:c.py@h1",
                                                  "file:c.py@h2"));
  EXPECT_EQ(two.applied, one.applied);
  EXPECT_EQ(CountRows("storage_sync"), 6);
  EXPECT_EQ(keys(), written);  // each row has its own key back
  ExpectAllSynced(events, {"one", "two"});
}

// An entity is applied when its latest event in a batch has content some
// target has not synced, and skipped once (per target) otherwise, however
// many events it has in the batch. On SQLite the claim already knows the
// synced ones (SyncWorker::SyncedTargets); on PostgreSQL they are read
// under their locks: the same outcome.
TEST_P(SyncWorkerTest, AnEntitysLatestEventInABatchDecidesWhetherItIsApplied) {
  ScriptedProjection one("one"), two("two");
  SyncWorker worker(*store_, {&one, &two}, Options_());
  auto event = [](const char* id, const char* hash) {
    return store::SyncEvent{0, "file", id, hash, "upsert", std::nullopt, 0};
  };
  Emit({event("a.py", "h1"), event("b.py", "h1"), event("c.py", "h1")});
  ASSERT_TRUE(worker.Drain().ok());
  Emit({event("a.py", "h2"), event("a.py", "h1"),    // back to what both targets have
        event("b.py", "h1"), event("b.py", "h2"),    // changed last
        event("c.py", "h1"), event("c.py", "h1")});  // delivered twice
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->events, 6);
  EXPECT_EQ(stats->skipped, 4);  // a.py and c.py, once each per target
  EXPECT_EQ(stats->applied, 2);  // b.py
  EXPECT_THAT(one.applied, ::testing::ElementsAre("file:a.py@h1", "file:b.py@h1", "file:c.py@h1",
                                                  "file:b.py@h2"));
  EXPECT_EQ(two.applied, one.applied);
  EXPECT_EQ(CountPending(), 0);
}

// Two entities may share a storage_sync key (store/entity_key.h): a row of
// another entity under this one's key, holding this event's content, must
// not make the event look synced.
TEST_P(SyncWorkerTest, AnotherEntitysRowUnderTheSameKeyDoesNotHideAChange) {
  ScriptedProjection one("one"), two("two");
  SyncWorker worker(*store_, {&one, &two}, Options_());
  Emit({{0, "file", "a.py", "h1", "upsert", std::nullopt, 0},
        {0, "file", "b.py", "h9", "upsert", std::nullopt, 0}});
  ASSERT_TRUE(worker.Drain().ok());
  auto collided = store_->Transact([&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec("UPDATE storage_sync SET entity_key = $1 WHERE entity_id = 'b.py'",
                     {store::StorageSyncKey(repo_, "file", "a.py")});
    if (!r) return r.error();
    return Ok();
  });
  ASSERT_TRUE(collided.ok()) << collided.error().ToString();
  Emit({{0, "file", "a.py", "h9", "upsert", std::nullopt, 0}});  // b.py's content, a.py's key
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->skipped, 0);
  EXPECT_EQ(stats->applied, 2);
  EXPECT_THAT(one.applied, ::testing::ElementsAre("file:a.py@h1", "file:b.py@h9", "file:a.py@h9"));
  EXPECT_EQ(two.applied, one.applied);
}

// On SQLite a batch all of whose events are skipped is followed by the next
// batch in the same transaction (up to kSkippedBatchesPerTransaction
// batches): a re-delivered backlog costs no commit per batch. PostgreSQL
// reads each entity's rows under its lock, batch by batch.
TEST_P(SyncWorkerTest, SkippedBatchesShareATransactionOnSqlite) {
  const bool sqlite = GetParam() == std::string("sqlite");
  constexpr int kBatch = 2;
  ScriptedProjection target;
  SyncWorker worker(*store_, {&target}, Options_(kBatch));
  const int n = kBatch * SyncWorker::kSkippedBatchesPerTransaction + 3;
  auto events = EmitNotes(n);
  ASSERT_TRUE(worker.Drain().ok());
  Emit(events);  // every one again, unchanged
  auto stats = worker.RunBatch();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  const int first = sqlite ? kBatch * SyncWorker::kSkippedBatchesPerTransaction : kBatch;
  EXPECT_EQ(stats->events, first);
  EXPECT_EQ(stats->skipped, first);
  EXPECT_EQ(CountPending(), n - first);
  // A batch with work ends the run of skipped ones: it is applied in the
  // same transaction, after them.
  Emit({{0, "note", "fresh", "h1", "upsert", std::nullopt, 0}});
  stats = worker.RunBatch();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->events, sqlite ? 4 : 2);  // SQLite: 2 skipped, then 1 skipped and the fresh one
  EXPECT_EQ(stats->skipped, sqlite ? 3 : 2);
  EXPECT_EQ(stats->applied, sqlite ? 1 : 0);
  EXPECT_EQ(CountPending(), n + 1 - first - stats->events);
  auto rest = worker.Drain();
  ASSERT_TRUE(rest.ok()) << rest.error().ToString();
  EXPECT_EQ(target.applied.size(), static_cast<std::size_t>(n) + 1);
  EXPECT_EQ(target.applied.back(), "note:fresh@h1");
  EXPECT_EQ(CountPending(), 0);
}

// Throws from ApplyBatch when the batch holds the entity `poison`: the
// transaction rolls back as a whole.
class PoisonedProjection final : public QuietProjection {
 public:
  std::string_view Target() const override { return "poisoned"; }
  std::vector<Result<void>> ApplyBatch(const std::vector<store::SyncEvent>& events,
                                       store::Tx&) override {
    for (const auto& e : events) {
      if (e.entity_id == poison) throw std::runtime_error("the disk went away");
    }
    return std::vector<Result<void>>(events.size(), Ok());
  }
  std::string poison;
};

// A rolled-back batch is searched one event at a time; the event that
// fails alone is the one set aside. Skipped events before it do not share
// its transaction then (on SQLite they would otherwise follow one another
// into it, and the first of them would be taken for the culprit).
TEST_P(SyncWorkerTest, AFailingEventIsSetAsideNotTheSkippedOnesBeforeIt) {
  PoisonedProjection target;
  SyncWorker worker(*store_, {&target}, Options_(4));
  auto events = EmitNotes(5);
  ASSERT_TRUE(worker.Drain().ok());
  Emit(events);  // unchanged: all skipped
  Emit({{0, "note", "bad", "h1", "upsert", std::nullopt, 0}});
  target.poison = "bad";
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->failed, 1);
  int attempts = 0;
  EXPECT_EQ(StatusOf("poisoned", "bad", &attempts), "pending");
  EXPECT_EQ(attempts, 1);
  for (const auto& e : events) {
    EXPECT_EQ(StatusOf("poisoned", e.entity_id, &attempts), "ok") << e.entity_id;
    EXPECT_EQ(attempts, 0) << e.entity_id;
  }
  EXPECT_EQ(CountPending(), 0);
}

// On SQLite a batch is recorded as one range per priority class
// (sync_processed), not event by event; on PostgreSQL each event's
// processed_at is set. Every reader sees the same: nothing pending, the
// events processed at the batch's time, the lag from it.
TEST_P(SyncWorkerTest, ProcessedEventsAreRangesOnSqliteAndEveryReaderSeesThemProcessed) {
  ScriptedProjection target;
  SyncWorker worker(*store_, {&target}, Options_(3));
  std::vector<store::SyncEvent> events;
  for (int i = 0; i < 5; ++i) {
    events.push_back({0, "note", "n" + std::to_string(i), "h1", "upsert", std::nullopt, 0});
    if (i < 3) {
      events.push_back({0, "task", "task-" + std::to_string(i), "h1", "upsert", std::nullopt, 10});
    }
  }
  Emit(events);
  EXPECT_EQ(CountPending(), 8);
  clock_.Advance(seconds(5));
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->events, 8);
  EXPECT_EQ(CountPending(), 0);
  auto ranges = store_->Query(
      "SELECT priority, first_id, last_id FROM sync_processed ORDER BY priority DESC, last_id");
  ASSERT_TRUE(ranges.ok());
  auto marked =
      store_->Query("SELECT COUNT(*) AS n FROM sync_events WHERE processed_at IS NOT NULL");
  ASSERT_TRUE(marked.ok());
  if (GetParam() == std::string("sqlite")) {
    EXPECT_EQ(*marked->Int(0, "n"), 0) << "no event row written";
    // The reports first (one batch), then the scan events in two: ranges
    // that tile each class from its first event.
    ASSERT_EQ(ranges->size(), 3u);
    EXPECT_EQ(ranges->Int(0, "priority"), 10);
    EXPECT_EQ(ranges->Int(0, "first_id"), 1);
    EXPECT_EQ(ranges->Int(0, "last_id"), 6);  // task-2, the 6th event
    EXPECT_EQ(ranges->Int(1, "priority"), 0);
    EXPECT_EQ(ranges->Int(1, "first_id"), 1);
    EXPECT_EQ(ranges->Int(2, "first_id"), *ranges->Int(1, "last_id") + 1);
    EXPECT_EQ(ranges->Int(2, "last_id"), 8);  // n4, the last event
  } else {
    EXPECT_EQ(*marked->Int(0, "n"), 8);
    EXPECT_TRUE(ranges->empty());
  }
  auto listed = ListEvents(*store_, repo_, {});
  ASSERT_TRUE(listed.ok()) << listed.error().ToString();
  ASSERT_EQ(listed->size(), 8u);
  for (const auto& e : *listed) {
    EXPECT_EQ(e.status, "processed") << e.entity_id;
    EXPECT_EQ(e.processed_at, "2026-11-27T12:00:05.000Z") << e.entity_id;
  }
  auto status = LoadSyncStatus(*store_, repo_, {"scripted"}, {}, clock_.Now());
  ASSERT_TRUE(status.ok()) << status.error().ToString();
  EXPECT_EQ(status->reports.pending, 0);
  EXPECT_EQ(status->scans.pending, 0);
  EXPECT_DOUBLE_EQ(status->reports.applied_max_s, 5.0);
  EXPECT_DOUBLE_EQ(status->scans.applied_median_s, 5.0);

  // New events past the ranges are pending, and then processed too.
  Emit({{0, "note", "n5", "h1", "upsert", std::nullopt, 0},
        {0, "note", "n0", "h2", "upsert", std::nullopt, 0}});
  EXPECT_EQ(CountPending(), 2);
  status = LoadSyncStatus(*store_, repo_, {"scripted"}, {}, clock_.Now());
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->scans.pending, 2);
  EXPECT_EQ(status->reports.pending, 0);
  listed = ListEvents(*store_, repo_, {"pending"});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(CountPending(), 0);
  EXPECT_THAT(target.applied, ::testing::Contains("note:n0@h2"));
}

// A batch larger than one multi-row statement (250 rows), of two entity
// types: every row is locked, read, recorded and marked, and a redelivery
// skips them all.
TEST_P(SyncWorkerTest, BatchesLargerThanOneStatementLockAndRecordEveryRow) {
  ScriptedProjection target;
  SyncWorker worker(*store_, {&target}, Options_(700));
  std::vector<store::SyncEvent> events;
  for (int i = 0; i < 600; ++i) {
    events.push_back(
        {0, i % 3 ? "file" : "task", "e" + std::to_string(i), "h1", "upsert", std::nullopt, 0});
  }
  Emit(events);
  auto stats = worker.RunBatch();  // one batch: all 600 events
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->events, 600);
  EXPECT_EQ(stats->applied, 600);
  EXPECT_EQ(CountRows("storage_sync"), 600);
  auto ok = store_->Query("SELECT COUNT(*) AS n FROM storage_sync WHERE status = 'ok'");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok->Int(0, "n"), 600);
  Emit(events);
  stats = worker.RunBatch();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->events, 600);
  EXPECT_EQ(stats->skipped, 600);
  EXPECT_EQ(stats->applied, 0);
  EXPECT_EQ(CountPending(), 0);
}

// While a backlog drains the index merges its segments less often (up to
// kMaxSegmentsDraining of them); when the queue runs out, here with an
// empty batch after a full one, it merges them down to kMaxSegments, and
// every document is still found.
TEST_P(SyncWorkerTest, TheIndexDefersMergesWhileABacklogDrainsAndSettlesAtItsEnd) {
  IndexProjection index(repo_);
  SyncWorker worker(*store_, {&index}, Options_(2));
  std::vector<store::SyncEvent> events = AddTasks(40);
  Emit(events);
  for (int batch = 0; batch < 20; ++batch) {
    auto stats = worker.RunBatch();
    ASSERT_TRUE(stats.ok()) << stats.error().ToString();
    ASSERT_EQ(stats->events, 2);
  }
  EXPECT_EQ(CountRows("search_segments"), 20);  // one per batch, none merged yet
  auto last = worker.RunBatch();                // finds nothing: the end of the backlog
  ASSERT_TRUE(last.ok()) << last.error().ToString();
  EXPECT_EQ(last->events, 0);
  EXPECT_LE(CountRows("search_segments"),
            static_cast<std::int64_t>(search::IndexWriter::kMaxSegments));
  auto found = search::Search(*store_, repo_, "pager", 50, search::Scope::kAll);
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  EXPECT_EQ(found->size(), 40u);
  // Settled: the next empty batch merges nothing more.
  const std::int64_t settled = CountRows("search_segments");
  ASSERT_TRUE(worker.RunBatch().ok());
  EXPECT_EQ(CountRows("search_segments"), settled);
}

// Holds its first application until released, and notes whether two
// applications ever ran at once.
class HoldingProjection final : public QuietProjection {
 public:
  std::string_view Target() const override { return "holding"; }
  Result<void> Apply(const store::SyncEvent& e, store::Tx&) override {
    if (active_.fetch_add(1) > 0) overlapped = true;
    {
      std::lock_guard lock(mutex_);
      applied.push_back(e.entity_id + "@" + e.content_hash);
    }
    if (!entered_.exchange(true)) {
      entered.set_value();
      release_.wait();
    }
    active_.fetch_sub(1);
    return Ok();
  }
  void Release() { release_promise_.set_value(); }

  std::promise<void> entered;
  std::atomic<bool> overlapped{false};
  std::vector<std::string> applied;  // under mutex_ while workers run

 private:
  std::mutex mutex_;
  std::atomic<int> active_{0};
  std::atomic<bool> entered_{false};
  std::promise<void> release_promise_;
  std::shared_future<void> release_ = release_promise_.get_future().share();
};

// Two workers with events of one entity: the second waits for the first's
// batch to commit, then applies the newer content (PostgreSQL: the
// entity's lock, which writes no row; SQLite: the single writer). Without
// the lock, the second worker claims the newer event past the first's
// locked one and applies it while the first is still applying.
TEST_P(SyncWorkerTest, TwoWorkersNeverApplyOneEntityAtOnce) {
  HoldingProjection target;
  Emit({{0, "task", "task-1", "h1", "upsert", std::nullopt, 0},
        {0, "task", "task-1", "h2", "upsert", std::nullopt, 0}});
  SyncWorker first(*store_, {&target}, Options_(1));
  SyncWorker second(*store_, {&target}, Options_(1));
  Result<WorkerStats> first_stats = WorkerStats{}, second_stats = WorkerStats{};
  std::thread a([&] { first_stats = first.RunBatch(); });
  ASSERT_EQ(target.entered.get_future().wait_for(seconds(30)), std::future_status::ready);
  std::thread b([&] { second_stats = second.RunBatch(); });
  // Time for the second worker to get as far as it can while the first
  // holds its application.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  target.Release();
  a.join();
  b.join();
  ASSERT_TRUE(first_stats.ok()) << first_stats.error().ToString();
  ASSERT_TRUE(second_stats.ok()) << second_stats.error().ToString();
  EXPECT_FALSE(target.overlapped);
  EXPECT_THAT(target.applied, ::testing::ElementsAre("task-1@h1", "task-1@h2"));
  EXPECT_EQ(first_stats->applied + second_stats->applied, 2);
  auto row = store_->Query(
      "SELECT last_synced_hash, status FROM storage_sync WHERE target = 'holding' AND "
      "entity_id = 'task-1'");
  ASSERT_TRUE(row.ok());
  ASSERT_EQ(row->size(), 1u);
  EXPECT_EQ(row->Text(0, "last_synced_hash"), "h2");
  EXPECT_EQ(row->Text(0, "status"), "ok");
}

INSTANTIATE_TEST_SUITE_P(Backends, SyncWorkerTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::sync

namespace docrunch::store {
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreTest);
}  // namespace docrunch::store
