// The audit log on both backends: rows recorded from many threads all land
// exactly once (written in group commits off the callers' path), Flush and
// the destructor wait for them, a failed write neither hangs nor crashes,
// and arguments are summarized without secrets.
#include "auth/audit.h"

#include <gmock/gmock.h>

#include <thread>

#include "store_test_env.h"

namespace docrunch::store {
namespace {

using ::testing::HasSubstr;

class AuditLogTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    // Skipped (PostgreSQL without DOCRUNCH_TEST_POSTGRES_URL): no store.
    if (IsSkipped() || HasFatalFailure()) return;
    MigrateStore();
  }
};

TEST_P(AuditLogTest, RowsFromManyThreadsLandExactlyOnce) {
  constexpr int kThreads = 8, kEach = 150;
  {
    auth::AuditLog log(*store_);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kEach; ++i) {
          log.Record({"agent-" + std::to_string(t),
                      "mcp.tool_call",
                      i % 2 ? "search_docs" : "",
                      "ok",
                      {{"n", i}}});
        }
      });
    }
    for (auto& th : threads) th.join();
    log.Flush();
    EXPECT_EQ(CountRows("audit_log"), kThreads * kEach) << "Flush waits for every recorded row";
  }
  auto rows = store_->Query(
      "SELECT actor, count(*) AS n, count(target) AS targets FROM audit_log GROUP BY actor "
      "ORDER BY actor");
  ASSERT_TRUE(rows) << rows.error().ToString();
  ASSERT_EQ(rows->size(), static_cast<std::size_t>(kThreads));
  for (std::size_t i = 0; i < rows->size(); ++i) {
    EXPECT_EQ(rows->Int(i, "n"), kEach);
    EXPECT_EQ(rows->Int(i, "targets"), kEach / 2) << "an empty target is stored as NULL";
  }
}

TEST_P(AuditLogTest, DestructorWritesWhatIsStillQueued) {
  {
    auth::AuditLog log(*store_);
    for (int i = 0; i < 500; ++i) log.Record({"a", "mcp.connect", "", "ok"});
  }
  EXPECT_EQ(CountRows("audit_log"), 500);
  auto details = store_->Query("SELECT details, outcome FROM audit_log LIMIT 1");
  ASSERT_TRUE(details);
  EXPECT_EQ(details->Text(0, "details"), "{}");
}

TEST_P(AuditLogTest, AFailedWriteIsDroppedWithoutHangingOrFailingTheCaller) {
  ASSERT_TRUE(store_->Transact([](Tx& tx) -> Result<void> {
    auto dropped = tx.Exec("DROP TABLE audit_log");
    if (!dropped) return dropped.error();
    return Ok();
  }));
  auth::AuditLog log(*store_);
  log.Record({"a", "mcp.connect", "", "ok"});
  log.Flush();  // returns: the row was dropped with a warning
  SUCCEED();
}

TEST_P(AuditLogTest, ARefusedRowCostsNoOtherRowItsPlace) {
  // PostgreSQL refuses text that is not UTF-8; SQLite stores it. Either way
  // every good row recorded alongside, in the same group commit or not, lands.
  const std::string bad_actor = "bad-\xff\xfe";
  {
    auth::AuditLog log(*store_);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 30; ++i) {
          log.Record(
              {t == 0 ? bad_actor : "good-" + std::to_string(t), "mcp.tool_call", "x", "ok"});
        }
      });
    }
    for (auto& t : threads) t.join();
    log.Flush();
  }
  auto good = store_->Query("SELECT COUNT(*) AS n FROM audit_log WHERE actor LIKE 'good-%'");
  ASSERT_TRUE(good) << good.error().ToString();
  EXPECT_EQ(good->Int(0, "n").value_or(-1), 7 * 30);
  EXPECT_EQ(CountRows("audit_log"), IsPostgres() ? 7 * 30 : 8 * 30);
}

TEST(AuditSummary, SecretsNeverAndLongValuesCut) {
  nlohmann::json args = {{"query", std::string(200, 'q')},
                         {"api_key", "sk-123"},
                         {"Token", "drt_abc"},
                         {"files", {"a", "b", "c"}},
                         {"percentage", 40}};
  nlohmann::json out = auth::SummarizeArguments(args);
  EXPECT_EQ(out["api_key"], "[redacted]");
  EXPECT_EQ(out["Token"], "[redacted]");
  EXPECT_EQ(out["files"], "3 items");
  EXPECT_EQ(out["percentage"], 40);
  EXPECT_EQ(out["query"].get<std::string>().size(), 80u);
  EXPECT_THAT(out.dump(), ::testing::Not(HasSubstr("drt_abc")));
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditLogTest, ::testing::Values("sqlite", "postgres"),
                         BackendParamName);

}  // namespace
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreTest);
}  // namespace docrunch::store
