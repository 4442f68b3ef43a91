// Crash safety of the sync worker (issue 6 item 7), with the real binary:
// 10,000 outbox events, workers killed with SIGKILL in the middle and
// restarted. Afterwards every event is applied to every target exactly
// once (no duplicate index rows, no stray files), and the Markdown equals a
// clean rebuild from the database byte for byte, as do search results.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "store/batch.h"
#include "store/pending_events.h"
#include "store_test_env.h"
#include "support/process.h"
#include "support/temp_dir.h"

extern char** environ;

namespace docrunch::sync {
namespace {

namespace fs = std::filesystem;
using docrunch::testing::ProcessOptions;
using docrunch::testing::ProcessResult;

constexpr int kEvents = 10000;

std::map<std::string, std::string> ReadTree(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    out[fs::relative(e.path(), root).string()] =
        std::string(std::istreambuf_iterator<char>(in), {});
  }
  return out;
}

class SyncCrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      if (store::PostgresAdminUrl().empty()) GTEST_SKIP() << "DOCRUNCH_TEST_POSTGRES_URL unset";
      postgres_.emplace(store::PostgresAdminUrl());
      env_["CRASH_PG_URL"] = postgres_->url();
    }
    dir_.Write("pkg/ranking.py",
               "def rank(query):\n    \"\"\"Orders results.\"\"\"\n    return 1\n");
    dir_.Write("pkg/store.py",
               "from pkg.ranking import rank\n\ndef save(row):\n    return rank(row)\n");
    Check(Docrunch({"init"}));
    if (postgres_) {
      Check(Docrunch({"config", "set", "storage.postgres_url_env", "CRASH_PG_URL"}));
      Check(Docrunch({"config", "set", "storage.backend", "postgres"}));
      Check(Docrunch({"db", "migrate"}));
    }
    Check(Docrunch({"scan", "--quiet"}));
    store::StoreOptions options;
    options.backend =
        postgres_ ? store::StoreOptions::Backend::kPostgres : store::StoreOptions::Backend::kSqlite;
    options.sqlite_path = (dir_.path() / ".docrunch/docrunch.db").string();
    if (postgres_) options.postgres_url = postgres_->url();
    auto opened = store::OpenStore(options);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    store_ = std::move(*opened);
  }

  ProcessResult Docrunch(const std::vector<std::string>& args) {
    ProcessOptions options;
    options.cwd = dir_.path();
    options.env = env_;
    options.unset_env = {"DOCRUNCH_CONFIG", "DOCRUNCH_DEBUG"};
    return docrunch::testing::RunDocrunch(args, options);
  }
  static void Check(const ProcessResult& r) { ASSERT_EQ(r.exit_code, 0) << r.out << r.err; }

  // 10,000 decisions and their events, as a burst of agent reports would leave them.
  void EmitDecisions() {
    auto done = store_->Transact([&](store::Tx& tx) -> Result<void> {
      auto repo = tx.Query("SELECT id FROM repositories");
      if (!repo) return repo.error();
      std::int64_t id = *repo->Int(0, "id");
      std::vector<store::Params> rows;
      for (int i = 1; i <= kEvents; ++i) {
        rows.push_back({id, std::int64_t{i}, "Decision " + std::to_string(i) + " on ranking",
                        "Use approach " + std::to_string(i * 7919 % 1000), "2026-11-27T12:00:00Z",
                        "2026-11-27T12:00:00Z"});
      }
      auto ids = store::InsertRowsReturning(
          tx, "decisions",
          {"repository_id", "number", "title", "decision", "created_at", "updated_at"}, rows, "id");
      if (!ids) return ids.error();
      std::vector<store::SyncEvent> events;
      for (std::size_t i = 0; i < ids->size(); ++i) {
        events.push_back({id, "decision", "decision-" + std::to_string(*ids->Int(i, "id")),
                          "h" + std::to_string(*ids->Int(i, "id")), "upsert", std::nullopt, 10});
      }
      return store::EmitSyncEvents(tx, events);
    });
    ASSERT_TRUE(done.ok()) << done.error().ToString();
  }

  pid_t StartWorker() {
    std::vector<std::string> args{DOCRUNCH_BIN, "worker", "start", "--queue", "sync", "--once"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (const auto& [k, v] : env_) setenv(k.c_str(), v.c_str(), 1);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addchdir_np(&actions, dir_.path().c_str());
    pid_t pid = 0;
    EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
  }

  std::int64_t Processed() {
    auto rows = store_->Query("SELECT COUNT(*) AS n FROM sync_events e WHERE NOT " +
                              store::IsPending("e") + " AND e.entity_type = 'decision'");
    return rows ? *rows->Int(0, "n") : -1;
  }

  // Waits until at least `n` events are processed, then SIGKILLs `pid`.
  // Returns the count at the kill: the test needs it below kEvents.
  std::int64_t KillAfter(pid_t pid, std::int64_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    std::int64_t seen = 0;
    while ((seen = Processed()) < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status)) << "worker finished before it could be killed";
    return seen;
  }

  static void Finish(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }

  void ExpectEverythingAppliedOnce() {
    EXPECT_EQ(Processed(), kEvents);
    auto pending =
        store_->Query("SELECT COUNT(*) AS n FROM sync_events e WHERE " + store::IsPending("e"));
    ASSERT_TRUE(pending.ok()) << pending.error().ToString();
    EXPECT_EQ(*pending->Int(0, "n"), 0);
    for (const char* target : {"index", "markdown"}) {
      auto rows = store_->Query(
          "SELECT status, COUNT(*) AS n FROM storage_sync WHERE target = $1 AND "
          "entity_type = 'decision' GROUP BY status",
          {std::string(target)});
      ASSERT_TRUE(rows.ok());
      if (rows->size() != 1u) {  // say which entities are not synced, and why
        auto bad = store_->Query(
            "SELECT entity_id, status, attempts, last_error, next_attempt_at FROM storage_sync "
            "WHERE target = $1 AND entity_type = 'decision' AND status <> 'ok' LIMIT 5",
            {std::string(target)});
        for (std::size_t i = 0; bad && i < bad->size(); ++i) {
          ADD_FAILURE() << target << " " << bad->Text(i, "entity_id").value_or("") << ": "
                        << bad->Text(i, "status").value_or("") << " after "
                        << bad->Int(i, "attempts").value_or(0) << " attempts, next "
                        << bad->Text(i, "next_attempt_at").value_or("-") << ": "
                        << bad->Text(i, "last_error").value_or("");
        }
      }
      ASSERT_EQ(rows->size(), 1u) << target;
      EXPECT_EQ(*rows->Text(0, "status"), "ok");
      EXPECT_EQ(*rows->Int(0, "n"), kEvents);
    }
    auto docs = store_->Query(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT doc_key) AS keys FROM search_docs "
        "WHERE type = 'decision'");
    EXPECT_EQ(*docs->Int(0, "n"), kEvents);
    EXPECT_EQ(*docs->Int(0, "keys"), kEvents);
    auto tree = ReadTree(dir_.path() / "docrunch-docs");
    int decisions = 0;
    for (const auto& [path, bytes] : tree) {
      EXPECT_EQ(path.find(".tmp-"), std::string::npos) << path;
      if (path.rfind("decisions/", 0) == 0) ++decisions;
    }
    EXPECT_EQ(decisions, kEvents);
  }

  void ExpectCleanRebuildIsIdentical() {
    auto before = ReadTree(dir_.path() / "docrunch-docs");
    ProcessResult query = Docrunch({"query", "ranking approach 42", "--format", "json"});
    Check(query);
    fs::remove_all(dir_.path() / "docrunch-docs");
    ASSERT_TRUE(store_
                    ->Transact([](store::Tx& tx) -> Result<void> {
                      auto a = tx.Exec("DELETE FROM search_terms");
                      if (!a) return a.error();
                      auto s = tx.Exec("DELETE FROM search_segments");
                      if (!s) return s.error();
                      auto b = tx.Exec("DELETE FROM search_docs");
                      if (!b) return b.error();
                      return Ok();
                    })
                    .ok());
    Check(Docrunch({"sync", "rebuild", "--all"}));
    auto after = ReadTree(dir_.path() / "docrunch-docs");
    EXPECT_EQ(before.size(), after.size());
    EXPECT_TRUE(before == after) << "Markdown differs from a clean rebuild";
    ProcessResult again = Docrunch({"query", "ranking approach 42", "--format", "json"});
    EXPECT_EQ(query.out, again.out);
    ProcessResult diff = Docrunch({"sync", "diff"});
    EXPECT_EQ(diff.out, "in sync: every derived copy matches the database\n");
  }

  docrunch::testing::TempDir dir_;
  std::map<std::string, std::string> env_;
  std::optional<store::ScratchPostgresDatabase> postgres_;
  std::unique_ptr<store::Store> store_;
};

TEST_P(SyncCrashTest, KilledWorkersLoseNothingAndDuplicateNothing) {
  EmitDecisions();
  if (HasFatalFailure()) return;
  const auto started = std::chrono::steady_clock::now();
  if (!postgres_) {
    EXPECT_LT(KillAfter(StartWorker(), 1500), kEvents);
    EXPECT_LT(KillAfter(StartWorker(), 5000), kEvents);
    Finish(StartWorker());
  } else {
    // Two workers share the queue; they are killed alternately.
    pid_t a = StartWorker(), b = StartWorker();
    EXPECT_LT(KillAfter(a, 1500), kEvents);
    a = StartWorker();
    EXPECT_LT(KillAfter(b, 4000), kEvents);
    b = StartWorker();
    EXPECT_LT(KillAfter(a, 6500), kEvents);
    a = StartWorker();
    Finish(a);
    Finish(b);
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started);
  std::cout << "[ crash    ] " << GetParam() << ": " << kEvents << " events with kills in "
            << ms.count() << " ms\n";
  ExpectEverythingAppliedOnce();
  ExpectCleanRebuildIsIdentical();
}

INSTANTIATE_TEST_SUITE_P(Backends, SyncCrashTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace docrunch::sync
