// Conformance: Transact commits writes and their outbox events together or
// not at all, on every backend.
#include <gmock/gmock.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/store_test_env.h"

namespace docrunch::store {
namespace {

using ::testing::HasSubstr;

// Inserts a repository in `tx` and emits its sync event.
Result<void> AddRepository(Tx& tx, const std::string& root) {
  auto id = tx.Query(
      "INSERT INTO repositories (name, root_path, created_at, updated_at) "
      "VALUES ($1, $2, $3, $3) RETURNING id",
      {"demo", root, FormatIso8601(tx.clock().Now())});
  if (!id) return id.error();
  SyncEvent event{*id->Int(0, "id"),
                  "repository",
                  std::to_string(*id->Int(0, "id")),
                  "hash-1",
                  "upsert",
                  std::nullopt,
                  5};
  auto emitted = tx.EmitSyncEvent(event);
  if (!emitted) return emitted.error();
  return Ok();
}

TEST_P(StoreTest, SuccessCommitsRowAndSyncEventTogether) {
  ASSERT_NO_FATAL_FAILURE(MigrateStore());
  auto done = store_->Transact([](Tx& tx) { return AddRepository(tx, "/src/a"); });
  ASSERT_TRUE(done.ok()) << done.error().ToString();
  EXPECT_EQ(CountRows("repositories"), 1);
  auto events = store_->Query(
      "SELECT repository_id, entity_type, content_hash, action, scan_run_id, priority, "
      "processed_at FROM sync_events");
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->Text(0, "entity_type"), "repository");
  EXPECT_EQ(events->Text(0, "content_hash"), "hash-1");
  EXPECT_EQ(events->Text(0, "action"), "upsert");
  EXPECT_EQ(events->Int(0, "priority"), 5);
  EXPECT_EQ(events->Int(0, "scan_run_id"), std::nullopt);
  EXPECT_EQ(events->Int(0, "processed_at"), std::nullopt);
}

TEST_P(StoreTest, CallbackErrorRollsBackRowAndSyncEvent) {
  ASSERT_NO_FATAL_FAILURE(MigrateStore());
  auto done = store_->Transact([](Tx& tx) -> Result<void> {
    DOCRUNCH_TRY(AddRepository(tx, "/src/a"));
    return MakeError(ErrorCode::kInvalidParams, "title is empty");
  });
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidParams);
  EXPECT_EQ(done.error().message, "title is empty");
  EXPECT_EQ(CountRows("repositories"), 0);
  EXPECT_EQ(CountRows("sync_events"), 0);
}

TEST_P(StoreTest, CallbackExceptionRollsBackAndBecomesInternalError) {
  ASSERT_NO_FATAL_FAILURE(MigrateStore());
  auto done = store_->Transact([](Tx& tx) -> Result<void> {
    DOCRUNCH_TRY(AddRepository(tx, "/src/a"));
    throw std::runtime_error("boom");
  });
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, ErrorCode::kInternal);
  EXPECT_THAT(done.error().message, HasSubstr("boom"));
  EXPECT_EQ(CountRows("repositories"), 0);
  EXPECT_EQ(CountRows("sync_events"), 0);
  // The store is still usable after the rollback.
  EXPECT_TRUE(store_->Transact([](Tx& tx) { return AddRepository(tx, "/src/b"); }).ok());
  EXPECT_EQ(CountRows("sync_events"), 1);
}

TEST_P(StoreTest, UniqueViolationIsStorageConstraintAndRollsBack) {
  ASSERT_NO_FATAL_FAILURE(MigrateStore());
  ASSERT_TRUE(store_->Transact([](Tx& tx) { return AddRepository(tx, "/src/a"); }).ok());
  auto done = store_->Transact([](Tx& tx) -> Result<void> {
    DOCRUNCH_TRY(AddRepository(tx, "/src/other"));
    return AddRepository(tx, "/src/a");  // root_path is unique
  });
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, ErrorCode::kStorageConstraint) << done.error().message;
  EXPECT_EQ(CountRows("repositories"), 1);
  EXPECT_EQ(CountRows("sync_events"), 1);
}

// PostgreSQL aborts a transaction at its first failed statement; the store
// makes SQLite agree, so ignoring an error cannot commit half a change.
TEST_P(StoreTest, FailedStatementDoomsTheTransactionEvenIfIgnored) {
  ASSERT_NO_FATAL_FAILURE(MigrateStore());
  ASSERT_TRUE(store_->Transact([](Tx& tx) { return AddRepository(tx, "/src/a"); }).ok());
  auto done = store_->Transact([](Tx& tx) -> Result<void> {
    DOCRUNCH_TRY(AddRepository(tx, "/src/b"));
    (void)AddRepository(tx, "/src/a");  // unique violation, ignored
    return Ok();
  });
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, ErrorCode::kStorageConstraint) << done.error().message;
  EXPECT_EQ(CountRows("repositories"), 1);
  EXPECT_EQ(CountRows("sync_events"), 1);
}

TEST_P(StoreTest, ForeignKeyAndCheckViolationsAreStorageConstraint) {
  ASSERT_NO_FATAL_FAILURE(MigrateStore());
  auto orphan = store_->Transact([](Tx& tx) -> Result<void> {
    auto n = tx.Exec(
        "INSERT INTO files (repository_id, path, content_hash, last_scanned) VALUES ($1, $2, $3, "
        "$4)",
        {std::int64_t{999}, "a.py", "h", "2026-01-01T00:00:00.000Z"});
    return n ? Ok() : Result<void>(n.error());
  });
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.error().code, ErrorCode::kStorageConstraint) << orphan.error().message;

  auto bad_action = store_->Transact([](Tx& tx) -> Result<void> {
    auto n = tx.Exec(
        "INSERT INTO sync_events (entity_type, entity_id, action, created_at) VALUES ($1, $2, $3, "
        "$4)",
        {"file", "1", "explode", "2026-01-01T00:00:00.000Z"});
    return n ? Ok() : Result<void>(n.error());
  });
  ASSERT_FALSE(bad_action.ok());
  EXPECT_EQ(bad_action.error().code, ErrorCode::kStorageConstraint) << bad_action.error().message;
}

TEST_P(StoreTest, TxSeesItsOwnWritesOthersOnlyAfterCommit) {
  ASSERT_NO_FATAL_FAILURE(MigrateStore());
  auto done = store_->Transact([&](Tx& tx) -> Result<void> {
    DOCRUNCH_TRY(AddRepository(tx, "/src/a"));
    auto inside = tx.Query("SELECT count(*) AS n FROM repositories");
    EXPECT_TRUE(inside.ok() && inside->Int(0, "n") == 1);
    EXPECT_EQ(CountRows("repositories"), 0) << "uncommitted row visible outside the Tx";
    return Ok();
  });
  ASSERT_TRUE(done.ok()) << done.error().ToString();
  EXPECT_EQ(CountRows("repositories"), 1);
}

TEST_P(StoreTest, SyncEventTimestampComesFromTheStoreClock) {
  ASSERT_NO_FATAL_FAILURE(MigrateStore());
  store_.reset();
  ManualClock clock(TimePoint(std::chrono::milliseconds(1'790'000'000'123)));
  StoreOptions options = Options();
  options.clock = &clock;
  auto store = OpenStore(options);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  ASSERT_TRUE((*store)->Transact([](Tx& tx) { return AddRepository(tx, "/src/a"); }).ok());
  auto rows = (*store)->Query("SELECT created_at FROM sync_events");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Text(0, "created_at"), FormatIso8601(clock.Now()));
}

TEST_P(StoreTest, SixteenThreadsIncrementingACounterEndExact) {
  ASSERT_NO_FATAL_FAILURE(MigrateStore());
  ASSERT_TRUE(store_
                  ->Transact([](Tx& tx) -> Result<void> {
                    auto made =
                        tx.Exec("CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)");
                    if (!made) return made.error();
                    auto row = tx.Exec("INSERT INTO counter (id, n) VALUES (1, 0)");
                    return row ? Ok() : Result<void>(row.error());
                  })
                  .ok());
  constexpr int kThreads = 16, kIncrements = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        auto done = store_->Transact([](Tx& tx) -> Result<void> {
          auto n = tx.Exec("UPDATE counter SET n = n + $1 WHERE id = 1", {std::int64_t{1}});
          return n ? Ok() : Result<void>(n.error());
        });
        if (!done) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto rows = store_->Query("SELECT n FROM counter WHERE id = 1");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Int(0, "n"), kThreads * kIncrements);
}

// The portable claim pattern of store.h: of many concurrent conditional
// updates exactly one changes the row.
TEST_P(StoreTest, ConcurrentConditionalClaimsHaveExactlyOneWinner) {
  ASSERT_NO_FATAL_FAILURE(MigrateStore());
  ASSERT_TRUE(
      store_
          ->Transact([](Tx& tx) -> Result<void> {
            DOCRUNCH_TRY(AddRepository(tx, "/src/a"));
            auto n = tx.Exec(
                "INSERT INTO tasks (repository_id, type, title, status, created_at, updated_at) "
                "VALUES (1, 'feature', 'claim me', 'todo', $1, $1)",
                {"2026-01-01T00:00:00.000Z"});
            return n ? Ok() : Result<void>(n.error());
          })
          .ok());
  std::atomic<int> winners{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      auto done = store_->Transact([&](Tx& tx) -> Result<void> {
        auto n = tx.Exec(
            "UPDATE tasks SET status = 'assigned', assigned_to = $1 WHERE id = 1 AND status = "
            "'todo'",
            {"agent-" + std::to_string(t)});
        if (!n) return n.error();
        if (*n == 1) ++winners;
        return Ok();
      });
      if (!done) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(winners.load(), 1);
}


// ChangeMark: a commit from this store, from another store on the same
// database (another process) or a failed transaction's absence of one.
TEST_P(StoreTest, ChangeMarkMovesWithEveryCommitFromAnyConnection) {
  ASSERT_NO_FATAL_FAILURE(MigrateStore());
  auto before = store_->ChangeMark();
  ASSERT_TRUE(before.ok()) << before.error().ToString();
  if (!IsPostgres()) {
    // PostgreSQL's snapshot also moves with other databases' transactions
    // (tests run in parallel on one server), so only SQLite can promise a
    // still mark while nobody writes.
    auto again = store_->ChangeMark();
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *before);
    auto rolled_back = store_->Transact([](Tx& tx) -> Result<void> {
      DOCRUNCH_TRY(AddRepository(tx, "/src/never"));
      return MakeError(ErrorCode::kInvalidParams, "changed my mind");
    });
    ASSERT_FALSE(rolled_back.ok());
    auto after_rollback = store_->ChangeMark();
    ASSERT_TRUE(after_rollback.ok());
    EXPECT_EQ(*after_rollback, *before);
  }
  ASSERT_TRUE(store_->Transact([](Tx& tx) { return AddRepository(tx, "/src/a"); }).ok());
  auto after_own = store_->ChangeMark();
  ASSERT_TRUE(after_own.ok());
  EXPECT_NE(*after_own, *before);

  auto other = OpenAnother();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->Transact([](Tx& tx) { return AddRepository(tx, "/src/b"); }).ok());
  auto after_other = store_->ChangeMark();
  ASSERT_TRUE(after_other.ok());
  EXPECT_NE(*after_other, *after_own);
}

}  // namespace
}  // namespace docrunch::store
