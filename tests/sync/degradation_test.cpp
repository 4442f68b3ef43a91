// Degradation and SLAs of the outbox sync (issue 6 items 4 and 5) with the
// real binary and real services:
//  - the docs folder unwritable (as the unprivileged user) or LightRAG down:
//    scans and reports still succeed, the events wait and retry, and once
//    the target is back the `serve` loop drains the backlog by itself;
//  - a report event older than report_sla_seconds on a failing target shows
//    as a breach in `sync status --json`;
//  - PostgreSQL going away in the middle of a scan: the scan and later
//    writes stop with an error naming the database, and nothing partial
//    remains;
//  - in embedded mode a recorded decision is found by the very next query.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/clock.h"
#include "store_test_env.h"
#include "support/lightrag_standin.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace docrunch::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kKey = "lr-degradation-key-77";

std::string NowIso() {
  return FormatIso8601(std::chrono::system_clock::now());
}

// A docrunch process in the background (serve, scan), stdin kept open.
class Child {
 public:
  Child(const std::vector<std::string>& args, const fs::path& cwd,
        const std::map<std::string, std::string>& env, bool unprivileged, const fs::path& err) {
    std::vector<std::string> argv;
    if (unprivileged && RunningAsRoot()) {
      argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
    }
    argv.push_back(DOCRUNCH_BIN);
    argv.insert(argv.end(), args.begin(), args.end());
    int in[2];
    if (pipe(in) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      close(in[1]);
      int null = open((err.string() + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
      int errfd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
      dup2(null, 1);
      dup2(errfd, 2);
      if (chdir(cwd.c_str()) != 0) _exit(126);
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      unsetenv("DOCRUNCH_CONFIG");
      std::vector<char*> c;
      for (auto& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      execvp(c[0], c.data());
      _exit(127);
    }
    close(in[0]);
    stdin_ = in[1];
  }
  ~Child() { Stop(SIGKILL); }

  // Writes one line to its stdin (an MCP message over stdio).
  bool Send(const std::string& line) {
    std::string data = line + "\n";
    return stdin_ >= 0 &&
           write(stdin_, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  }

  // Sends `sig` (0: closes stdin only); returns the exit code, -1 on a signal.
  int Stop(int sig = SIGTERM) {
    if (pid_ <= 0) return exit_;
    if (stdin_ >= 0) close(stdin_), stdin_ = -1;
    if (sig) kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_;
  }
  int Wait() {
    if (pid_ <= 0) return exit_;
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (stdin_ >= 0) close(stdin_), stdin_ = -1;
    exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int exit_ = -1;
};

template <class Pred>
bool WaitFor(Pred pred, std::chrono::seconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

class SyncDegradation : public ::testing::Test {
 protected:
  // Once a test hands the project to "nobody", every command runs as
  // nobody (a root-owned SQLite WAL file would lock nobody out).
  ProcessResult Docrunch(const std::vector<std::string>& args, bool unprivileged = false) {
    unprivileged = unprivileged || as_nobody_;
    ProcessOptions options;
    options.cwd = dir_.path();
    options.env = env_;
    options.unset_env = {"DOCRUNCH_CONFIG", "DOCRUNCH_DEBUG"};
    options.unprivileged = unprivileged;
    ProcessResult r = RunDocrunch(args, options);
    outputs_ += r.out + r.err;
    return r;
  }
  ProcessResult Ok(const std::vector<std::string>& args, bool unprivileged = false) {
    ProcessResult r = Docrunch(args, unprivileged);
    EXPECT_EQ(r.exit_code, 0) << "docrunch " << args[0] << ": " << r.out << r.err;
    return r;
  }
  void Set(const std::string& key, const std::string& value) { Ok({"config", "set", key, value}); }

  // A task with a completion report recording one decision.
  void RecordDecision(const std::string& title, const std::string& decision,
                      bool unprivileged = false) {
    Ok({"task", "create", "--type", "feature", "--title", "Store passwords"}, unprivileged);
    json claim{{"task_id", "task-1"}, {"reported_by", "claude-1"}, {"reported_at", NowIso()}};
    Ok({"task", "report", "claim", "--json", claim.dump()}, unprivileged);
    json done{{"task_id", "task-1"},
              {"summary", "Hashing in place"},
              {"changes", {"pkg/auth.py"}},
              {"tests_passed", true},
              {"reported_by", "claude-1"},
              {"reported_at", NowIso()},
              {"decisions",
               {{{"title", title},
                 {"context", "password storage"},
                 {"decision", decision},
                 {"rationale", "slow on purpose"}}}}};
    Ok({"task", "report", "complete", "--json", done.dump()}, unprivileged);
  }

  json Status() {
    ProcessResult r = Ok({"sync", "status", "--json"});
    return json::parse(r.out, nullptr, false);
  }
  // Whether `sync status` shows nothing left for `target`: waiting for the
  // first derived files alone raced the events still queued behind them.
  bool CaughtUp(const std::string& target) {
    json t = Target(Status(), target);
    return t["retrying"] == 0 && t["lag"]["reports"]["behind"] == 0;
  }
  static json Target(const json& status, const std::string& name) {
    for (const auto& t : status["targets"]) {
      if (t["target"] == name) return t;
    }
    return json();
  }

  std::unique_ptr<Child> Serve(bool unprivileged = false) {
    return std::make_unique<Child>(std::vector<std::string>{"serve", "--stdio"}, dir_.path(), env_,
                                   unprivileged, err_dir_.path() / "serve.err");
  }

  TempDir dir_;
  TempDir err_dir_;
  std::map<std::string, std::string> env_;
  std::string outputs_;  // everything the commands printed
  bool as_nobody_ = false;
};

bool TreeContains(const fs::path& root, const std::string& needle) {
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && ReadFile(e.path()).find(needle) != std::string::npos) return true;
  }
  return false;
}

void SetWritable(const fs::path& root, bool writable) {
  auto mode = [&](bool dir) {
    return writable
               ? (dir ? fs::perms::all
                      : fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read)
               : (dir ? fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                            fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec
                      : fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  };
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    fs::permissions(e.path(), mode(e.is_directory()));
  }
  fs::permissions(root, mode(true));
}

TEST_F(SyncDegradation, UnwritableDocsFolderDelaysMarkdownOnlyAndServeDrainsTheBacklog) {
  // Root writes anywhere: the commands run as "nobody", who owns the
  // project but not (for a while) its docs folder.
  dir_.Write("pkg/auth.py", "def login(user):\n    \"\"\"Checks a password.\"\"\"\n    return 1\n");
  Ok({"init"});
  Set("storage.sync.backoff_seconds", "1");
  Set("storage.sync.max_backoff_seconds", "2");
  Set("storage.sync.poll_interval_seconds", "1");
  Ok({"scan", "--quiet"});
  if (RunningAsRoot()) {
    ASSERT_EQ(
        docrunch::testing::Run({"chown", "-R", "65534:65534", dir_.path().string()}).exit_code, 0);
    fs::permissions(err_dir_.path(), fs::perms::all);
    as_nobody_ = true;
  }
  const fs::path docs = dir_.path() / "docrunch-docs";
  ASSERT_TRUE(fs::exists(docs / "index.md"));
  SetWritable(docs, false);

  dir_.Write("pkg/hashing.py", "def hash_password(p):\n    return p\n");
  if (RunningAsRoot())
    docrunch::testing::Run({"chown", "-R", "65534:65534", (dir_.path() / "pkg").string()});
  Ok({"scan"}, true);
  RecordDecision("Use bcrypt", "bcrypt with cost 12", true);
  EXPECT_FALSE(fs::exists(docs / "decisions/adr-001.md"));
  EXPECT_FALSE(fs::exists(docs / "tasks/task-1.md"));
  EXPECT_FALSE(TreeContains(docs, "hash_password"));
  json status = Status();
  EXPECT_GT(Target(status, "markdown")["retrying"].get<int>(), 0) << status.dump(2);
  EXPECT_EQ(Target(status, "index")["retrying"], 0);
  EXPECT_GT(Target(status, "markdown")["lag"]["reports"]["behind"].get<int>(), 0);
  // The index is current: the decision is searchable although its page is not written.
  ProcessResult found = Ok({"query", "bcrypt cost", "--format", "json"});
  EXPECT_THAT(found.out, HasSubstr("Use bcrypt"));

  SetWritable(docs, true);
  if (RunningAsRoot()) docrunch::testing::Run({"chown", "-R", "65534:65534", docs.string()});
  auto serve = Serve(true);
  bool drained = WaitFor(
      [&] {
        return fs::exists(docs / "decisions/adr-001.md") && fs::exists(docs / "tasks/task-1.md") &&
               CaughtUp("markdown");
      },
      std::chrono::seconds(20));
  auto stop_started = std::chrono::steady_clock::now();
  int code = serve->Stop(SIGTERM);
  auto stop_took = std::chrono::steady_clock::now() - stop_started;
  EXPECT_TRUE(drained) << ReadFile(err_dir_.path() / "serve.err") << Status().dump(2);
  EXPECT_EQ(code, 0) << ReadFile(err_dir_.path() / "serve.err");
  EXPECT_LT(stop_took, std::chrono::seconds(5));
  EXPECT_THAT(ReadFile(docs / "decisions/adr-001.md"), HasSubstr("bcrypt with cost 12"));
  EXPECT_TRUE(TreeContains(docs, "hash_password"));  // the code pages caught up too
  status = Status();
  EXPECT_EQ(Target(status, "markdown")["retrying"], 0) << status.dump(2);
  EXPECT_EQ(Target(status, "markdown")["failed"], 0);
  EXPECT_EQ(Target(status, "markdown")["lag"]["reports"]["behind"], 0);
}

TEST_F(SyncDegradation, LightRagDownThenBackSlaBreachShowsAndServeDrains) {
  TempDir state;
  LightRagStandIn lightrag(state.path(), kKey);
  if (docrunch::testing::Run({"python3", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "python3 is not installed: no LightRAG stand-in";
  }
  ASSERT_TRUE(lightrag.Start()) << "the LightRAG stand-in did not start";
  env_["LR_KEY"] = kKey;
  dir_.Write("pkg/auth.py", "def login(user):\n    \"\"\"Checks a password.\"\"\"\n    return 1\n");
  Ok({"init"});
  Set("storage.lightrag.enabled", "true");
  Set("storage.lightrag.base_url", lightrag.url());
  Set("storage.lightrag.api_key_env", "LR_KEY");
  Set("storage.sync.targets", "[index, markdown, lightrag]");
  // Retries at most 2 s apart, so the test need not wait out a long backoff.
  Set("storage.sync.backoff_seconds", "1");
  Set("storage.sync.max_backoff_seconds", "2");
  Set("storage.sync.poll_interval_seconds", "1");
  Set("storage.sync.report_sla_seconds", "1");
  Set("storage.sync.max_retries", "20");
  Ok({"scan", "--quiet"});
  ASSERT_EQ(lightrag.State()["documents"].size(), 1u);  // pkg/auth.py

  lightrag.Stop();
  dir_.Write("pkg/hashing.py", "def hash_password(p):\n    return p\n");
  Ok({"scan", "--quiet"});
  RecordDecision("Use bcrypt", "bcrypt with cost 12");
  EXPECT_TRUE(fs::exists(dir_.path() / "docrunch-docs/decisions/adr-001.md"));
  json status = Status();
  json target = Target(status, "lightrag");
  EXPECT_GT(target["retrying"].get<int>(), 0) << status.dump(2);
  EXPECT_GE(target["lag"]["reports"]["behind"].get<int>(), 2);  // the task and its decision
  // Older than the 1 s SLA while the target fails: a breach, for lightrag only.
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  status = Status();
  target = Target(status, "lightrag");
  EXPECT_EQ(target["lag"]["reports"]["sla"], "breached") << status.dump(2);
  EXPECT_GT(target["lag"]["reports"]["oldest_seconds"].get<double>(), 1.0);
  EXPECT_EQ(target["sla"], "breached");
  EXPECT_EQ(Target(status, "index")["sla"], "ok");
  EXPECT_EQ(status["sla"], "breached");
  EXPECT_THAT(Ok({"sync", "status"}).out, HasSubstr("BREACHED"));

  ASSERT_TRUE(lightrag.Start());
  auto serve = Serve();
  auto has = [&](const std::string& needle) {
    json state = lightrag.State();  // a named copy: items() of a temporary would dangle
    for (const auto& [id, doc] : state["documents"].items()) {
      if (doc["content"].get<std::string>().find(needle) != std::string::npos) return true;
    }
    return false;
  };
  bool drained = WaitFor(
      [&] { return has("bcrypt with cost 12") && has("hash_password") && CaughtUp("lightrag"); },
      std::chrono::seconds(20));
  EXPECT_EQ(serve->Stop(SIGTERM), 0);
  EXPECT_TRUE(drained) << ReadFile(err_dir_.path() / "serve.err") << Status().dump(2);
  status = Status();
  EXPECT_EQ(Target(status, "lightrag")["retrying"], 0) << status.dump(2);
  EXPECT_EQ(Target(status, "lightrag")["sla"], "ok");
  json requests = lightrag.State()["requests"];
  EXPECT_FALSE(requests.empty());
  for (const auto& r : requests) EXPECT_TRUE(r["api_key_ok"].get<bool>());

  // LightRAG loses everything: `sync rebuild --vectors` restores it from the database.
  auto before = lightrag.State()["documents"];
  lightrag.Stop();
  fs::remove(state.path() / "lightrag-standin.json");
  ASSERT_TRUE(lightrag.Start());
  ASSERT_TRUE(lightrag.State()["documents"].empty());
  Ok({"sync", "rebuild", "--vectors"});
  EXPECT_EQ(lightrag.State()["documents"], before);
  // The key is sent, never shown or stored.
  EXPECT_THAT(outputs_, Not(HasSubstr(kKey)));
  EXPECT_THAT(ReadFile(dir_.path() / ".docrunch/docrunch.db"), Not(HasSubstr(kKey)));
}

TEST_F(SyncDegradation, RecordedDecisionIsFoundByTheNextQueryWithinASecond) {
  dir_.Write("pkg/auth.py", "def login(user):\n    return 1\n");
  Ok({"init"});
  Ok({"scan", "--quiet"});
  RecordDecision("Adopt argon2id", "argon2id replaces sha1 for stored credentials");
  auto recorded = std::chrono::steady_clock::now();
  ProcessResult found = Ok({"query", "argon2id stored credentials", "--format", "json"});
  auto elapsed = std::chrono::steady_clock::now() - recorded;
  EXPECT_THAT(found.out, HasSubstr("Adopt argon2id")) << found.out;
  EXPECT_LT(elapsed, std::chrono::seconds(1))
      << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
}

// An MCP write through `serve` reaches the index at once, not at the next
// poll (set to an hour here): the server nudges its own worker.
TEST_F(SyncDegradation, ServeAppliesWritesItMakesWithoutWaitingForThePoll) {
  dir_.Write("pkg/auth.py", "def login(user):\n    return 1\n");
  Ok({"init"});
  Set("storage.sync.poll_interval_seconds", "3600");
  Ok({"scan", "--quiet"});
  auto serve = Serve();
  ASSERT_TRUE(serve->Send(json{{"jsonrpc", "2.0"},
                               {"id", 1},
                               {"method", "initialize"},
                               {"params",
                                {{"protocolVersion", "2025-11-25"},
                                 {"capabilities", json::object()},
                                 {"clientInfo", {{"name", "test"}, {"version", "1"}}}}}}
                              .dump()));
  // A client waits for the answer to initialize before it goes on.
  ASSERT_TRUE(WaitFor(
      [&] {
        return ReadFile(err_dir_.path() / "serve.err.out").find("\"id\":1") != std::string::npos;
      },
      std::chrono::seconds(10)));
  ASSERT_TRUE(serve->Send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  auto sent = std::chrono::steady_clock::now();
  ASSERT_TRUE(serve->Send(json{{"jsonrpc", "2.0"},
                               {"id", 2},
                               {"method", "tools/call"},
                               {"params",
                                {{"name", "record_decision"},
                                 {"arguments",
                                  {{"title", "Compress archived logs"},
                                   {"context", "log volume"},
                                   {"decision", "zstandard level three for archived logs"},
                                   {"rationale", "ratio and speed"},
                                   {"created_by", "agent-1"},
                                   {"created_at", NowIso()}}}}}}
                              .dump()));
  bool found = WaitFor(
      [&] {
        return Docrunch({"query", "zstandard archived", "--format", "json"})
                   .out.find("Compress archived logs") != std::string::npos;
      },
      std::chrono::seconds(10));
  auto took = std::chrono::steady_clock::now() - sent;
  EXPECT_EQ(serve->Stop(SIGTERM), 0);
  EXPECT_TRUE(found) << ReadFile(err_dir_.path() / "serve.err.out")
                     << ReadFile(err_dir_.path() / "serve.err");
  EXPECT_LT(took, std::chrono::seconds(3));
}

// PostgreSQL disappears while a scan is writing.
TEST_F(SyncDegradation, DatabaseDownStopsWritesWithAClearErrorAndLeavesNothingPartial) {
  if (store::PostgresAdminUrl().empty()) GTEST_SKIP() << "DOCRUNCH_TEST_POSTGRES_URL unset";
  store::ScratchPostgresDatabase db(store::PostgresAdminUrl());
  env_["DEG_PG_URL"] = db.url();
  for (int i = 0; i < 60; ++i) {
    dir_.Write("pkg/m" + std::to_string(i) + ".py",
               "def f" + std::to_string(i) + "(x):\n    return x\n");
  }
  Ok({"init"});
  Set("storage.postgres_url_env", "DEG_PG_URL");
  Set("storage.backend", "postgres");
  Set("storage.connect_timeout", "2s");
  Ok({"db", "migrate"});

  store::StoreOptions options;
  options.backend = store::StoreOptions::Backend::kPostgres;
  options.postgres_url = db.url();
  auto opened = store::OpenStore(options);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  auto& store = **opened;
  // Hold the symbols table so the scan stops in the middle of writing files.
  std::atomic<bool> locked{false}, release{false};
  std::thread holder([&] {
    (void)store.Transact([&](store::Tx& tx) -> Result<void> {
      auto r = tx.Exec("LOCK TABLE symbols IN ACCESS EXCLUSIVE MODE");
      if (!r) return r.error();
      locked = true;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      return MakeError(ErrorCode::kInternal, "roll back");
    });
    locked = true;
  });
  ASSERT_TRUE(WaitFor([&] { return locked.load(); }, std::chrono::seconds(10)));
  Child scan({"scan", "--quiet"}, dir_.path(), env_, false, err_dir_.path() / "scan.err");
  auto waiting = [&] {
    auto peer = store::OpenStore(options);
    if (!peer) return false;
    auto rows = (*peer)->Query(
        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND "
        "wait_event_type = 'Lock'");
    return rows.ok() && rows->Int(0, "n").value_or(0) > 0;
  };
  ASSERT_TRUE(WaitFor(waiting, std::chrono::seconds(20))) << ReadFile(err_dir_.path() / "scan.err");
  // The database goes away: no new connections, the open ones cut.
  const std::string admin = store::PostgresAdminUrl();
  ASSERT_EQ(store::ScratchPostgresDatabase::AdminExec(
                admin, "ALTER DATABASE \"" + db.name() + "\" ALLOW_CONNECTIONS false"),
            "");
  ASSERT_EQ(store::ScratchPostgresDatabase::AdminExec(
                admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                           db.name() + "'"),
            "");
  release = true;
  holder.join();
  int scan_exit = scan.Wait();
  std::string scan_err = ReadFile(err_dir_.path() / "scan.err");
  EXPECT_NE(scan_exit, 0) << scan_err;
  EXPECT_THAT(scan_err, HasSubstr("PostgreSQL at 127.0.0.1")) << scan_err;

  ProcessResult write = Docrunch({"task", "create", "--type", "feature", "--title", "Lost?"});
  EXPECT_EQ(write.exit_code, 3) << write.out << write.err;
  EXPECT_THAT(write.err, HasSubstr("STORAGE_UNAVAILABLE"));
  EXPECT_THAT(write.err, HasSubstr("PostgreSQL at 127.0.0.1"));

  // Back: nothing of the interrupted writes is there, and a scan completes.
  ASSERT_EQ(store::ScratchPostgresDatabase::AdminExec(
                admin, "ALTER DATABASE \"" + db.name() + "\" ALLOW_CONNECTIONS true"),
            "");
  auto fresh = store::OpenStore(options);
  ASSERT_TRUE(fresh.ok()) << fresh.error().ToString();
  auto count = [&](const std::string& sql) {
    auto rows = (*fresh)->Query(sql);
    EXPECT_TRUE(rows.ok()) << (rows ? "" : rows.error().ToString());
    return rows ? rows->Int(0, "n").value_or(-1) : -1;
  };
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM tasks"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM files"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM symbols"), 0);
  // Only what committed before the cut as a whole: the repository's row and
  // its event (registered before the scan run began).
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM repositories"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM sync_events WHERE entity_type <> 'repository'"), 0);
  Ok({"scan", "--quiet"});
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM files"), 60);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM symbols"), 60);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM files f WHERE NOT EXISTS (SELECT 1 FROM sync_events "
                  "e WHERE e.entity_type = 'file' AND e.entity_id = f.path)"),
            0);
  EXPECT_THAT(Ok({"sync", "diff"}).out, HasSubstr("in sync"));
}

}  // namespace
}  // namespace docrunch::testing
