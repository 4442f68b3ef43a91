// The services behind the REST data-flow views, over both backends: the
// lineage's live counts, outbox event states, entity locations, the diff
// and its resolution, the schema from the catalog, query traces (written
// off the search's path, trimmed per repository), and backend health.
#include "sync/dataflow.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "obs/health.h"
#include "search/traces.h"
#include "store/batch.h"
#include "store_test_env.h"
#include "support/temp_dir.h"
#include "sync/sync_admin.h"

namespace docrunch::sync {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;

class DataFlowTest : public store::StoreTest {
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

  void Exec(const std::string& sql, const store::Params& params = {}) {
    auto done = store_->Transact([&](store::Tx& tx) -> Result<void> {
      auto n = tx.Exec(sql, params);
      if (!n) return n.error();
      return Ok();
    });
    ASSERT_TRUE(done.ok()) << done.error().ToString();
  }

  void AddFile(const std::string& path, const std::string& hash) {
    Exec(
        "INSERT INTO files (repository_id, path, language, content_hash, last_scanned) "
        "VALUES ($1, $2, 'python', $3, '2026-11-27T12:00:00.000Z')",
        {repo_, path, hash});
  }

  void Emit(const std::string& type, const std::string& id, const std::string& hash) {
    std::vector<store::SyncEvent> events{{repo_, type, id, hash, "upsert", std::nullopt, 0}};
    auto done = store_->Transact(
        [&](store::Tx& tx) -> Result<void> { return store::EmitSyncEvents(tx, events); });
    ASSERT_TRUE(done.ok()) << done.error().ToString();
  }

  void Sync(const std::string& target, const std::string& type, const std::string& id,
            const std::string& hash, const std::string& status, const std::string& error = "") {
    Exec(
        "INSERT INTO storage_sync (repository_id, target, entity_type, entity_id, "
        "last_synced_hash, status, attempts, last_error, updated_at) VALUES ($1, $2, $3, $4, "
        "$5, $6, $7, $8, '2026-11-27T12:00:00.000Z')",
        {repo_, target, type, id, hash, status, std::int64_t{status == "ok" ? 0 : 5},
         error.empty() ? store::Value{} : store::Value{error}});
  }

  // Two files and a task: a.py synced everywhere at h1; b.py failed on the
  // index and dead-lettered on markdown (at no hash); task-1 not yet
  // claimed by any worker.
  void Pipeline() {
    AddFile("a.py", "h1");
    AddFile("b.py", "h1");
    Emit("file", "a.py", "h1");
    Emit("file", "b.py", "h1");
    Exec("UPDATE sync_events SET processed_at = '2026-11-27T12:00:01.000Z'");
    Emit("task", "task-1", "t1");
    Sync("index", "file", "a.py", "h1", "ok");
    Sync("markdown", "file", "a.py", "h1", "ok");
    Exec(
        "INSERT INTO storage_sync (repository_id, target, entity_type, entity_id, status, "
        "attempts, last_error, updated_at) VALUES ($1, 'index', 'file', 'b.py', 'failed', 5, "
        "'disk full', '2026-11-27T12:00:00.000Z'), ($1, 'markdown', 'file', 'b.py', "
        "'dead_letter', 5, 'bad page', '2026-11-27T12:00:00.000Z')",
        {repo_});
  }

  static const json& NodeOf(const json& graph, const std::string& id) {
    for (const auto& n : graph["nodes"]) {
      if (n["id"] == id) return n;
    }
    static const json none;
    ADD_FAILURE() << "no node " << id;
    return none;
  }
  static std::int64_t EdgeCount(const json& graph, const std::string& from, const std::string& to) {
    for (const auto& e : graph["edges"]) {
      if (e["source"] == from && e["target"] == to) return e["count"];
    }
    ADD_FAILURE() << "no edge " << from << " -> " << to;
    return -1;
  }

  std::vector<std::string> EventIds(const EventFilter& filter) {
    auto events = ListEvents(*store_, repo_, filter);
    EXPECT_TRUE(events.ok()) << events.error().ToString();
    std::vector<std::string> out;
    if (!events) return out;
    for (const auto& e : *events) out.push_back(e.entity_id + ":" + e.status);
    return out;
  }

  ManualClock clock_{*ParseIso8601("2026-11-27T12:00:05Z")};
  std::int64_t repo_ = 0;
  docrunch::testing::TempDir dir_;
};

TEST_P(DataFlowTest, LineageCountsRowsEventsAndEachTargetsCopies) {
  Pipeline();
  dir_.Write("docs/index.md", "# x\n");
  dir_.Write("docs/modules/a.md", "# a\n");
  dir_.Write("docs/notes.txt", "not a page");
  LineageOptions options{{"index", "markdown"}, dir_.path() / "docs", {}};
  auto graph = LoadLineage(*store_, repo_, options, clock_.Now());
  ASSERT_TRUE(graph.ok()) << graph.error().ToString();
  EXPECT_EQ(NodeOf(*graph, "table:files")["counts"]["rows"], 2);
  EXPECT_EQ(NodeOf(*graph, "table:tasks")["counts"]["rows"], 0);
  EXPECT_EQ(EdgeCount(*graph, "table:files", "sync_events"), 2);  // two file events
  EXPECT_EQ(EdgeCount(*graph, "table:tasks", "sync_events"), 1);
  const json& outbox = NodeOf(*graph, "sync_events")["counts"];
  EXPECT_EQ(outbox["total"], 3);
  EXPECT_EQ(outbox["pending"], 1);
  EXPECT_EQ(outbox["processed"], 2);
  EXPECT_EQ(outbox["failed"], 1);
  EXPECT_EQ(outbox["dead_letter"], 1);
  const json& index = NodeOf(*graph, "worker:index")["counts"];
  EXPECT_EQ(index["ok"], 1);
  EXPECT_EQ(index["failed"], 1);
  EXPECT_EQ(index["dead_letter"], 0);
  EXPECT_EQ(NodeOf(*graph, "worker:markdown")["counts"]["dead_letter"], 1);
  EXPECT_EQ(EdgeCount(*graph, "worker:index", "store:index"), 1);
  EXPECT_EQ(NodeOf(*graph, "store:markdown")["counts"]["pages"], 2);
  EXPECT_EQ(NodeOf(*graph, "store:index")["counts"]["documents"], 0);
  // No lightrag target configured: no lightrag node.
  for (const auto& n : (*graph)["nodes"]) EXPECT_NE(n["id"], "worker:lightrag");
}

TEST_P(DataFlowTest, EventsCarryTheirStateNewestFirstAndFilter) {
  Pipeline();
  EXPECT_THAT(EventIds({}), ElementsAre("task-1:pending", "b.py:dead_letter", "a.py:processed"));
  EXPECT_THAT(EventIds({"failed"}), ElementsAre());  // b.py's worst is its dead letter
  EXPECT_THAT(EventIds({"failed", "index"}), ElementsAre("b.py:failed"));
  EXPECT_THAT(EventIds({"dead_letter", "markdown"}), ElementsAre("b.py:dead_letter"));
  EXPECT_THAT(EventIds({"pending"}), ElementsAre("task-1:pending"));
  EXPECT_THAT(EventIds({"", "", "file"}), ElementsAre("b.py:dead_letter", "a.py:processed"));
  EXPECT_THAT(EventIds({"", "", "", "a.py"}), ElementsAre("a.py:processed"));
  // A page of one holds one more, telling the caller there is a next page.
  EXPECT_THAT(EventIds({"", "", "", "", 1, 1}), ElementsAre("b.py:dead_letter", "a.py:processed"));
  // A newer event supersedes: the old one is processed, the new one pending.
  Emit("file", "b.py", "h2");
  EXPECT_THAT(EventIds({"", "", "", "b.py"}), ElementsAre("b.py:pending", "b.py:processed"));
}

// A failed or dead event says which targets gave up on it and why, so a
// client needs no second request per event.
TEST_P(DataFlowTest, AnUnsettledEventNamesTheTargetsBehindItWithTheirErrors) {
  Pipeline();
  auto events = ListEvents(*store_, repo_, {});
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  ASSERT_EQ(events->size(), 3u);
  const OutboxEvent& b = (*events)[1];
  ASSERT_EQ(b.entity_id, "b.py");
  ASSERT_EQ(b.targets.size(), 2u);
  EXPECT_EQ(b.targets[0].target, "index");
  EXPECT_EQ(b.targets[0].status, "failed");
  EXPECT_EQ(b.targets[0].attempts, 5);
  EXPECT_EQ(b.targets[0].last_error, "disk full");
  EXPECT_EQ(b.targets[1].target, "markdown");
  EXPECT_EQ(b.targets[1].status, "dead_letter");
  EXPECT_EQ(b.targets[1].last_error, "bad page");
  EXPECT_TRUE((*events)[2].targets.empty()) << "a.py is processed everywhere";
  // Judged by one target, only that target's row is told.
  EventFilter one;
  one.target = "markdown";
  auto markdown = ListEvents(*store_, repo_, one);
  ASSERT_TRUE(markdown.ok());
  ASSERT_EQ((*markdown)[1].targets.size(), 1u);
  EXPECT_EQ((*markdown)[1].targets[0].target, "markdown");
  json as_json = ToJson(b);
  EXPECT_EQ(as_json["targets"][0]["last_error"], "disk full");
  EXPECT_EQ(as_json["targets"][0]["next_attempt_at"], nullptr);
}

TEST_P(DataFlowTest, LocatesAnEntityInEveryStoreAndSaysWhichCopyIsCurrent) {
  Pipeline();
  auto key = ResolveEntity(*store_, repo_, "a.py", "");
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  EXPECT_EQ(key->type, "file");
  auto where = LocateEntity(*store_, repo_, *key, {"index", "markdown", "lightrag"});
  ASSERT_TRUE(where.ok()) << where.error().ToString();
  EXPECT_EQ((*where)["source"]["table"], "files");
  EXPECT_EQ((*where)["source"]["exists"], true);
  EXPECT_EQ((*where)["source"]["content_hash"], "h1");
  EXPECT_EQ((*where)["latest_event"]["content_hash"], "h1");
  const json& targets = (*where)["targets"];
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_EQ(targets[0]["status"], "ok");
  EXPECT_EQ(targets[0]["current"], true);
  EXPECT_EQ(targets[2]["status"], "missing");
  EXPECT_EQ(targets[2]["current"], false);

  // The file changed: the copies hold the old hash.
  Exec("UPDATE files SET content_hash = 'h2' WHERE path = 'a.py'");
  Emit("file", "a.py", "h2");
  where = LocateEntity(*store_, repo_, *key, {"index"});
  ASSERT_TRUE(where.ok());
  EXPECT_EQ((*where)["source"]["content_hash"], "h2");
  EXPECT_EQ((*where)["targets"][0]["last_synced_hash"], "h1");
  EXPECT_EQ((*where)["targets"][0]["current"], false);

  auto failed = LocateEntity(*store_, repo_, *ResolveEntity(*store_, repo_, "b.py", ""), {"index"});
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ((*failed)["targets"][0]["status"], "failed");
  EXPECT_EQ((*failed)["targets"][0]["last_error"], "disk full");

  auto task = ResolveEntity(*store_, repo_, "task-1", "");
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(task->type, "task");
  auto located = LocateEntity(*store_, repo_, *task, {"index"});
  ASSERT_TRUE(located.ok());
  EXPECT_EQ((*located)["source"]["exists"], false);  // only its event was written here
  EXPECT_EQ((*located)["latest_event"]["processed_at"], nullptr);
}

TEST_P(DataFlowTest, UnknownEntitiesAndTypesAreRefused) {
  Pipeline();
  auto none = ResolveEntity(*store_, repo_, "../../etc/passwd", "");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kStorageNotFound);
  auto adr = ResolveEntity(*store_, repo_, "adr-007", "");
  ASSERT_FALSE(adr.ok());
  EXPECT_EQ(adr.error().code, ErrorCode::kStorageNotFound);
  auto type = ResolveEntity(*store_, repo_, "a.py", "users");
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.error().code, ErrorCode::kUsage);
  // The type decides: a.py is no task.
  EXPECT_FALSE(ResolveEntity(*store_, repo_, "a.py", "task").ok());
}

TEST_P(DataFlowTest, DiffStatsCountPerTargetAndKindAndResolveRequeuesThem) {
  Pipeline();
  Emit("file", "c.py", "h1");  // on no target yet
  Exec("UPDATE sync_events SET processed_at = '2026-11-27T12:00:02.000Z'");
  const std::string docs = (dir_.path() / "docs").string();  // empty: no page rendered
  auto diff = DiffTargets(*store_, repo_, std::vector<std::string>{"index", "markdown"}, docs);
  ASSERT_TRUE(diff.ok()) << diff.error().ToString();
  json stats = DiffStats(*diff);
  // index: b.py stale (failed), c.py and task-1 missing; also a.py and b.py
  // have no index document (found in the store). markdown: b.py stale,
  // c.py and task-1 missing, and the code pages the files call for.
  EXPECT_EQ(stats["per_target"]["index"]["stale"], 1);
  EXPECT_EQ(stats["per_target"]["index"]["missing"], 4);
  EXPECT_EQ(stats["per_target"]["markdown"]["stale"], 1);
  EXPECT_EQ(stats["per_target"]["markdown"]["missing"], 3);
  EXPECT_EQ(stats["per_kind"]["file"]["stale"], 2);
  EXPECT_EQ(stats["per_kind"]["task"]["missing"], 2);
  EXPECT_EQ(stats["per_kind"]["pages"]["missing"], 1);
  EXPECT_EQ(stats["total"], 9);

  // c.py reached markdown but not the index: drift, queued again; b.py's
  // failed and dead-letter copies are due again.
  Sync("markdown", "file", "c.py", "h1", "ok");
  auto resolved = ResolveDiff(*store_, repo_, {"index", "markdown"}, docs);
  ASSERT_TRUE(resolved.ok()) << resolved.error().ToString();
  EXPECT_EQ(resolved->retried, 2);
  EXPECT_EQ(resolved->requeued, 1);
  EXPECT_EQ(resolved->need_rebuild, 3);  // a.py, b.py: no index documents; the code pages
  auto pending =
      store_->Query("SELECT entity_id FROM sync_events WHERE processed_at IS NULL ORDER BY id");
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(*pending->Text(0, "entity_id"), "c.py");
  // With an event pending, c.py is no longer drift: a second look (a
  // worker starting before one drained it) queues nothing more.
  auto again = RequeueDrift(*store_, repo_, {"index", "markdown"});
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(*again, 0);
  auto retrying = store_->Query(
      "SELECT COUNT(*) AS n FROM storage_sync WHERE entity_id = 'b.py' AND status = 'pending' "
      "AND attempts = 0");
  EXPECT_EQ(*retrying->Int(0, "n"), 2);
}

TEST_P(DataFlowTest, SchemaComesFromTheCatalogWithColumnsAndRowCounts) {
  Pipeline();
  auto tables = store::DescribeTables(*store_);
  ASSERT_TRUE(tables.ok()) << tables.error().ToString();
  std::vector<std::string> names;
  const store::TableInfo* files = nullptr;
  const store::TableInfo* traces = nullptr;
  for (const auto& t : *tables) {
    names.push_back(t.name);
    if (t.name == "files") files = &t;
    if (t.name == "query_traces") traces = &t;
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* table : {"tasks", "sync_events", "storage_sync", "schema_migrations"}) {
    EXPECT_THAT(names, ::testing::Contains(table));
  }
  for (const auto& n : names) {
    EXPECT_NE(n.rfind("sqlite_", 0), 0u) << n;
    EXPECT_EQ(n.find("source_fts_"), std::string::npos) << n;  // FTS5's shadow tables
  }
  ASSERT_NE(files, nullptr);
  EXPECT_EQ(files->rows, 2);
  ASSERT_GE(files->columns.size(), 4u);
  EXPECT_EQ(files->columns[0].name, "id");
  EXPECT_FALSE(files->columns[0].nullable);
  EXPECT_EQ(files->columns[2].name, "path");
  EXPECT_FALSE(files->columns[2].nullable);
  EXPECT_EQ(files->columns[3].name, "language");
  EXPECT_TRUE(files->columns[3].nullable);
  EXPECT_THAT(files->columns[2].type, ::testing::MatchesRegex("(TEXT|text)"));
  ASSERT_NE(traces, nullptr);  // migration 10
  EXPECT_EQ(traces->rows, 0);
}

TEST_P(DataFlowTest, TracesAreWrittenOffThePathTrimmedAndCounted) {
  std::vector<std::string> published;
  std::vector<std::string> ids;
  {
    search::TraceLog log(*store_, &clock_, /*keep_per_repository=*/3);
    int listener =
        log.AddListener([&](const search::QueryTrace& t) { published.push_back(t.query); });
    for (int i = 0; i < 5; ++i) {
      search::QueryTrace t;
      t.repository_id = repo_;
      t.query = i < 3 ? "parser" : "invoice " + std::to_string(i);
      t.scope = "all";
      t.engine = i % 2 ? "fulltext" : "index";
      t.limit = 10;
      t.result_ids = {"file:a.py"};
      t.stages_ms = {{"index_check", 0.5}, {"fetch", 0.25}};
      t.total_ms = 10.0 * (i + 1);
      t.caller = "rest:alice";
      ids.push_back(log.Record(t));
      log.Flush();  // one batch each, so trimming runs after each
    }
    log.RemoveListener(listener);
  }
  EXPECT_EQ(published.size(), 5u);
  EXPECT_EQ(CountRows("query_traces"), 3);
  for (const auto& id : ids) EXPECT_TRUE(search::IsTraceId(id)) << id;
  auto oldest = search::LoadTrace(*store_, repo_, ids[0]);
  ASSERT_TRUE(oldest.ok());
  EXPECT_FALSE(oldest->has_value());  // trimmed
  auto newest = search::LoadTrace(*store_, repo_, ids[4]);
  ASSERT_TRUE(newest.ok() && newest->has_value());
  json j = search::ToJson(**newest);
  EXPECT_EQ(j["query"], "invoice 4");
  EXPECT_EQ(j["engine"], "index");
  EXPECT_EQ(j["caller"], "rest:alice");
  EXPECT_EQ(j["result_ids"], json::array({"file:a.py"}));
  EXPECT_EQ(j["timings"]["index_check"], 0.5);
  EXPECT_EQ(j["timings"]["total"], 50.0);
  EXPECT_EQ(j["created_at"], "2026-11-27T12:00:05.000Z");

  auto stats = search::LoadQueryStats(*store_, repo_, "2026-11-27T00:00:00.000Z");
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->count, 3);  // parser (30 ms), invoice 3 (40), invoice 4 (50)
  EXPECT_EQ(stats->per_engine["index"], 2);
  EXPECT_EQ(stats->per_engine["fulltext"], 1);
  EXPECT_DOUBLE_EQ(stats->p50_ms, 40);
  EXPECT_DOUBLE_EQ(stats->p95_ms, 50);
  ASSERT_FALSE(stats->top_queries.empty());
  auto later = search::LoadQueryStats(*store_, repo_, "2026-11-28T00:00:00.000Z");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->count, 0);
}

// Commits wait out TraceLog::kCommitEvery, so the traces of concurrent
// searches share transactions: none is lost, and a Flush finds its trace
// written.
TEST_P(DataFlowTest, TracesOfConcurrentSearchesAllArrive) {
  auto trace = [&](const std::string& query, const std::string& caller) {
    search::QueryTrace t;
    t.repository_id = repo_;
    t.query = query;
    t.scope = "all";
    t.engine = "index";
    t.caller = caller;
    return t;
  };
  std::atomic<int> published{0};
  {
    search::TraceLog log(*store_, &clock_);
    int listener = log.AddListener([&](const search::QueryTrace&) { ++published; });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          log.Record(trace("q" + std::to_string(t) + "-" + std::to_string(i), "mcp:agent"));
        }
      });
    }
    for (auto& t : threads) t.join();
    log.Flush();
    EXPECT_EQ(CountRows("query_traces"), 200);
    EXPECT_EQ(log.dropped(), 0u);
    // Each Flush sees its own trace written (a writer waiting out the
    // interval is told to commit).
    for (int i = 0; i < 20; ++i) {
      log.Record(trace("flushed " + std::to_string(i), "cli"));
      log.Flush();
      EXPECT_EQ(CountRows("query_traces"), 201 + i);
    }
    log.RemoveListener(listener);
  }
  EXPECT_EQ(published.load(), 220);
  // With a long interval, a Flush still returns as soon as its trace is
  // written: it tells the writer waiting out the interval to commit.
  search::TraceLog slow(*store_, &clock_, 10'000, std::chrono::seconds(30));
  for (int i = 0; i < 3; ++i) {
    slow.Record(trace("slow " + std::to_string(i), "cli"));
    const auto started = std::chrono::steady_clock::now();
    slow.Flush();
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10))
        << "Flush waited out the commit interval";
    EXPECT_EQ(CountRows("query_traces"), 221 + i);
  }
}

TEST_P(DataFlowTest, TracedSearchRecordsTheEngineStagesAndResults) {
  AddFile("shop/invoice.py", "h1");
  Emit("file", "shop/invoice.py", "h1");
  search::TraceLog log(*store_, &clock_);
  std::string id;
  // No index yet while a file exists: the full-text search answers.
  auto found =
      search::TracedSearch(*store_, repo_, "invoice", 5, search::Scope::kAll, {}, &log, "cli", &id);
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  log.Flush();
  auto trace = search::LoadTrace(*store_, repo_, id);
  ASSERT_TRUE(trace.ok() && trace->has_value());
  const search::QueryTrace& t = **trace;
  EXPECT_EQ(t.engine, "fulltext");
  EXPECT_EQ(t.caller, "cli");
  EXPECT_EQ(t.limit, 5);
  EXPECT_EQ(t.result_ids.size(), found->size());
  std::vector<std::string> stages;
  for (const auto& [stage, ms] : t.stages_ms) stages.push_back(stage);
  EXPECT_THAT(stages, ::testing::UnorderedElementsAre("index_check", "fulltext"));
  EXPECT_GE(t.total_ms, 0);
  // A huge query is kept short, cut between characters ("é" is two bytes).
  std::string huge = "a";  // so byte 1000 is the second byte of an "é"
  for (int i = 0; i < 600; ++i) huge += "\xC3\xA9";
  EXPECT_TRUE(
      search::TracedSearch(*store_, repo_, huge, 5, search::Scope::kAll, {}, &log, "cli", &id)
          .ok());
  log.Flush();
  auto cut = search::LoadTrace(*store_, repo_, id);
  ASSERT_TRUE(cut.ok() && cut->has_value());
  EXPECT_EQ((*cut)->query, huge.substr(0, 999));
  // Without a log, nothing is written and no id given.
  EXPECT_TRUE(search::TracedSearch(*store_, repo_, "invoice", 5, search::Scope::kAll, {}, nullptr,
                                   "cli", &id)
                  .ok());
  EXPECT_EQ(id, "");
  EXPECT_EQ(CountRows("query_traces"), 2);
}

obs::HealthOptions HealthFor(store::Store& store, std::int64_t repo) {
  obs::HealthOptions o;
  o.store = &store;
  o.repository_id = repo;
  return o;
}

TEST_P(DataFlowTest, HealthOfTheDatabaseAndTheUnconfiguredBackends) {
  Pipeline();
  auto o = HealthFor(*store_, repo_);
  o.targets = {"index"};
  auto db = obs::CheckBackend(o, "database");
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->name, IsPostgres() ? "postgres" : "sqlite");
  EXPECT_EQ(db->status, "healthy");
  EXPECT_EQ(db->records, 3);  // the repository and two files
  EXPECT_TRUE(db->latency_ms.has_value());
  EXPECT_TRUE(obs::CheckBackend(o, IsPostgres() ? "postgres" : "sqlite").ok());
  for (const char* name : {"redis", "lightrag", "temporal", "cli_proxy", "markdown", "kms"}) {
    auto h = obs::CheckBackend(o, name);
    ASSERT_TRUE(h.ok()) << name;
    EXPECT_EQ(h->status, "not_configured") << name;
    EXPECT_FALSE(h->detail.empty()) << name;
  }
  auto unknown = obs::CheckBackend(o, "mongodb");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kStorageNotFound);
  auto report = obs::CheckAll(o);
  EXPECT_EQ(report.status, "healthy");
  EXPECT_EQ(report.backends.size(), 7u);  // the database and the six above
}

TEST_P(DataFlowTest, HealthSaysDownForBackendsThatDoNotAnswer) {
  auto o = HealthFor(*store_, repo_);
  o.redis_url = "redis://127.0.0.1:1/0";  // nothing listens on port 1
  o.lightrag_enabled = true;
  o.lightrag.base_url = "http://127.0.0.1:1";
  o.lightrag.timeout = std::chrono::milliseconds(2000);
  o.targets = {"index", "lightrag"};
  auto redis = obs::CheckBackend(o, "redis");
  ASSERT_TRUE(redis.ok());
  EXPECT_EQ(redis->status, "down");
  EXPECT_THAT(redis->last_error, ::testing::HasSubstr("127.0.0.1:1"));
  auto lightrag = obs::CheckBackend(o, "lightrag");
  ASSERT_TRUE(lightrag.ok());
  EXPECT_EQ(lightrag->status, "down");
  EXPECT_FALSE(lightrag->last_error.empty());
  o.cli_proxy_url = "http://127.0.0.1:1";
  o.cli_proxy_api_key = "proxy-key-never-shown";
  auto proxy = obs::CheckBackend(o, "cli_proxy");
  ASSERT_TRUE(proxy.ok());
  EXPECT_EQ(proxy->status, "down");
  EXPECT_THAT(proxy->last_error, ::testing::HasSubstr("127.0.0.1:1/health"));
  EXPECT_EQ(obs::ToJson(*proxy).dump().find("proxy-key-never-shown"), std::string::npos);
  EXPECT_EQ(obs::CheckAll(o).status, "degraded");
  // A password in the URL never reaches the answer.
  o.redis_url = "redis://:hunter2-secret@127.0.0.1:1/0";
  auto secret = obs::CheckBackend(o, "redis");
  EXPECT_EQ(secret->last_error.find("hunter2"), std::string::npos) << secret->last_error;
}

TEST_P(DataFlowTest, HealthOfARealRedis) {
  const char* url = std::getenv("DOCRUNCH_TEST_REDIS_URL");
  if (!url || !*url) GTEST_SKIP() << "DOCRUNCH_TEST_REDIS_URL is not set";
  auto o = HealthFor(*store_, repo_);
  o.redis_url = url;
  auto redis = obs::CheckBackend(o, "redis");
  ASSERT_TRUE(redis.ok());
  EXPECT_EQ(redis->status, "healthy") << redis->last_error;
  EXPECT_TRUE(redis->records.has_value());
}

TEST_P(DataFlowTest, HealthOfTheMarkdownFolderAndItsTarget) {
  auto o = HealthFor(*store_, repo_);
  o.targets = {"index", "markdown"};
  o.docs_root = dir_.path() / "docs";
  auto missing = obs::CheckBackend(o, "markdown");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, "degraded");  // the next render creates it
  dir_.Write("docs/index.md", "# x\n");
  auto healthy = obs::CheckBackend(o, "markdown");
  EXPECT_EQ(healthy->status, "healthy");
  EXPECT_EQ(healthy->records, 1);
  Pipeline();  // b.py dead-lettered on markdown
  auto stuck = obs::CheckBackend(o, "markdown");
  EXPECT_EQ(stuck->status, "degraded");
  EXPECT_THAT(stuck->last_error, ::testing::HasSubstr("bad page"));
}

TEST(DiffStatsTest, EmptyDiffCountsNothing) {
  json stats = DiffStats({});
  EXPECT_EQ(stats["total"], 0);
  EXPECT_TRUE(stats["per_target"].empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, DataFlowTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::sync
