// SQLite-only behaviour: opening bad files, WAL, and waiting for writers in
// other connections (processes) instead of deadlocking.
#include <gmock/gmock.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>
#include <tuple>
#include <vector>

#include "store/entity_key.h"
#include "store/store.h"
#include "support/temp_dir.h"

namespace docrunch::store {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

StoreOptions SqliteAt(const std::filesystem::path& path) {
  StoreOptions options;
  options.backend = StoreOptions::Backend::kSqlite;
  options.sqlite_path = path.string();
  return options;
}

// A raw connection holding SQLite's write lock, as another process would.
class ForeignWriter {
 public:
  explicit ForeignWriter(const std::filesystem::path& path) {
    sqlite3_open(path.c_str(), &db_);
    sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  }
  ~ForeignWriter() { sqlite3_close(db_); }
  void Commit() { sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr); }

 private:
  sqlite3* db_ = nullptr;
};

Result<void> Touch(Tx& tx) {
  auto n = tx.Exec("INSERT INTO audit_log (at, actor, action, outcome) VALUES ($1, $2, $3, $4)",
                   {"2026-01-01T00:00:00.000Z", "test", "touch", "ok"});
  return n ? Ok() : Result<void>(n.error());
}

TEST(SqliteStoreTest, GarbageFileIsStorageCorruptNotACrash) {
  docrunch::testing::TempDir dir;
  for (const std::string& garbage :
       {std::string("garbage bytes here"), std::string(8192, '\x5a')}) {
    dir.Write("docrunch.db", garbage);
    auto store = OpenStore(SqliteAt(dir / "docrunch.db"));
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, ErrorCode::kStorageCorrupt);
    EXPECT_EQ(store.error().message, (dir / "docrunch.db").string() +
                                         " is not a Docrunch SQLite database or is corrupted");
  }
}

TEST(SqliteStoreTest, EmptyPathIsRefused) {
  auto store = OpenStore(SqliteAt(""));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kConfigInvalid);
}

TEST(SqliteStoreTest, MissingFolderIsStorageUnavailableAndNotCreated) {
  docrunch::testing::TempDir dir;
  auto store = OpenStore(SqliteAt(dir / "nope/.docrunch/docrunch.db"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_THAT(store.error().message, HasSubstr((dir / "nope/.docrunch").string()));
  EXPECT_FALSE(std::filesystem::exists(dir / "nope"));
}

TEST(SqliteStoreTest, CreatesTheFileInWalModeWithForeignKeysOn) {
  docrunch::testing::TempDir dir;
  auto store = OpenStore(SqliteAt(dir / "docrunch.db"));
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir / "docrunch.db"));
  auto mode = (*store)->Query("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok()) << mode.error().ToString();
  EXPECT_EQ(mode->Text(0, "journal_mode"), "wal");
  auto fks = (*store)->Query("PRAGMA foreign_keys");
  ASSERT_TRUE(fks.ok());
  EXPECT_EQ(fks->Int(0, "foreign_keys"), 1);
}

// The SQL function storage_sync_key gives what the C++ gives (the worker's
// claim compares its result to keys written from C++), for any text,
// including bytes that are not UTF-8 and an embedded NUL; NULL for NULL.
TEST(SqliteStoreTest, StorageSyncKeyInSqlIsTheSameAsInCpp) {
  docrunch::testing::TempDir dir;
  auto store = OpenStore(SqliteAt(dir / "docrunch.db"));
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  const std::vector<std::tuple<std::int64_t, std::string, std::string>> cases{
      {1, "file", "src/a.py"},
      {42, "symbol", "pkg.mod.Class.method"},
      {-7, "", ""},
      {9007199254740993, "task", "task-\xc3\xa9\xff"},
      {3, "note", std::string("a\0b", 3)}};
  for (const auto& [repo, type, id] : cases) {
    auto rows = (*store)->Query("SELECT storage_sync_key($1, $2, $3) AS k", {repo, type, id});
    ASSERT_TRUE(rows.ok()) << rows.error().ToString();
    EXPECT_EQ(rows->Int(0, "k"), StorageSyncKey(repo, type, id)) << type << ":" << id;
  }
  EXPECT_NE(StorageSyncKey(1, "file", "a"), StorageSyncKey(2, "file", "a"));
  EXPECT_NE(StorageSyncKey(1, "file", "ab"), StorageSyncKey(1, "filea", "b"));
  auto null = (*store)->Query("SELECT storage_sync_key(1, NULL, 'x') AS k");
  ASSERT_TRUE(null.ok()) << null.error().ToString();
  EXPECT_EQ(null->Int(0, "k"), std::nullopt);
}

TEST(SqliteStoreTest, WriterWaitsForAnotherConnectionToCommit) {
  docrunch::testing::TempDir dir;
  auto store = OpenStore(SqliteAt(dir / "docrunch.db"));
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  ASSERT_TRUE((*store)->Migrate().ok());
  ForeignWriter other(dir / "docrunch.db");
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    other.Commit();
  });
  auto start = Clock::now();
  auto done = (*store)->Transact(Touch);
  releaser.join();
  ASSERT_TRUE(done.ok()) << done.error().ToString();
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(250));
}

TEST(SqliteStoreTest, WriterGivesUpAfterBusyTimeoutWithStorageUnavailable) {
  docrunch::testing::TempDir dir;
  StoreOptions options = SqliteAt(dir / "docrunch.db");
  options.sqlite_busy_timeout_ms = 300;
  auto store = OpenStore(options);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  ASSERT_TRUE((*store)->Migrate().ok());
  {
    ForeignWriter other(dir / "docrunch.db");
    auto start = Clock::now();
    auto done = (*store)->Transact(Touch);
    auto waited = Clock::now() - start;
    ASSERT_FALSE(done.ok());
    EXPECT_EQ(done.error().code, ErrorCode::kStorageUnavailable) << done.error().message;
    EXPECT_THAT(done.error().message, HasSubstr("docrunch.db"));
    EXPECT_GE(waited, std::chrono::milliseconds(250));
    EXPECT_LT(waited, std::chrono::seconds(3));
  }
  EXPECT_TRUE((*store)->Transact(Touch).ok()) << "the store recovers once the lock is gone";
}

// Runs `fn` in a child process as the unprivileged user "nobody" when we
// are root (root ignores file permissions); the child's exit code is
// returned.
int RunUnprivileged(const std::function<int()>& fn) {
  pid_t child = fork();
  if (child == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(100);
    _exit(fn());
  }
  int wstatus = 0;
  waitpid(child, &wstatus, 0);
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

// 0 when opening `path` fails with STORAGE_READ_ONLY naming `named`.
int ExpectReadOnly(const std::filesystem::path& path, const std::filesystem::path& named) {
  auto store = OpenStore(SqliteAt(path));
  if (store.ok()) return 1;
  if (store.error().code != ErrorCode::kStorageReadOnly) return 2;
  return store.error().message.find(named.string()) == std::string::npos ? 3 : 0;
}

TEST(SqliteStoreTest, UnwritableFileOrFolderIsStorageReadOnly) {
  docrunch::testing::TempDir dir;
  {
    auto store = OpenStore(SqliteAt(dir / "docrunch.db"));
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    ASSERT_TRUE((*store)->Migrate().ok());
  }
  std::filesystem::permissions(dir / "docrunch.db", std::filesystem::perms(0644));
  EXPECT_EQ(
      RunUnprivileged([&] { return ExpectReadOnly(dir / "docrunch.db", dir / "docrunch.db"); }), 0);
  EXPECT_EQ(RunUnprivileged([&] { return ExpectReadOnly(dir / "new.db", dir.path()); }), 0);
}

// A read followed by a write in one Transact is serialized across processes
// too: the write lock is taken at BEGIN, so no process reads a value that
// another then overwrites (with a deferred BEGIN one of them would fail with
// SQLITE_BUSY at its first write).
TEST(SqliteStoreTest, ReadThenWriteTransactionsFromTwoProcessesLoseNothing) {
  docrunch::testing::TempDir dir;
  const StoreOptions options = SqliteAt(dir / "docrunch.db");
  {
    auto store = OpenStore(options);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    ASSERT_TRUE((*store)
                    ->Transact([](Tx& tx) -> Result<void> {
                      auto made = tx.Exec("CREATE TABLE counter (n INTEGER NOT NULL)");
                      if (!made) return made.error();
                      auto row = tx.Exec("INSERT INTO counter (n) VALUES (0)");
                      return row ? Ok() : Result<void>(row.error());
                    })
                    .ok());
  }
  constexpr int kIncrements = 100;
  pid_t children[2];
  for (pid_t& child : children) {
    child = fork();
    ASSERT_GE(child, 0);
    if (child != 0) continue;
    auto store = OpenStore(options);
    if (!store) _exit(10);
    for (int i = 0; i < kIncrements; ++i) {
      auto done = (*store)->Transact([](Tx& tx) -> Result<void> {
        auto rows = tx.Query("SELECT n FROM counter");
        if (!rows) return rows.error();
        auto n = tx.Exec("UPDATE counter SET n = $1", {*rows->Int(0, "n") + 1});
        return n ? Ok() : Result<void>(n.error());
      });
      if (!done) _exit(11);
    }
    _exit(0);
  }
  for (pid_t child : children) {
    int wstatus = 0;
    ASSERT_EQ(waitpid(child, &wstatus, 0), child);
    EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "child status " << wstatus;
  }
  auto store = OpenStore(options);
  ASSERT_TRUE(store.ok());
  auto rows = (*store)->Query("SELECT n FROM counter");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Int(0, "n"), 2 * kIncrements);
}

}  // namespace
}  // namespace docrunch::store
