// The audit log under concurrent tool calls, on both backends: every row
// lands, each is committed when Record() returns, and a row the database
// refuses costs no other row its place.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "auth/audit.h"
#include "store_test_env.h"

namespace docrunch::auth {
namespace {

class AuditLogTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    MigrateStore();
  }

  std::int64_t RowsOf(const std::string& actor) {
    auto rows = store_->Query("SELECT COUNT(*) AS n FROM audit_log WHERE actor = $1", {actor});
    EXPECT_TRUE(rows.ok()) << rows.error().ToString();
    return rows ? rows->Int(0, "n").value_or(-1) : -1;
  }
};

TEST_P(AuditLogTest, ConcurrentRecordsAllLandAndAreCommittedWhenRecordReturns) {
  AuditLog audit(*store_);
  constexpr int kThreads = 12;
  constexpr int kEach = 40;
  std::vector<std::thread> threads;
  std::vector<int> not_visible(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string actor = "agent-" + std::to_string(t);
      for (int i = 0; i < kEach; ++i) {
        audit.Record({actor, "mcp.tool_call", "search_docs", "ok", {{"call", i}}});
        // Another connection must see the row at once: Record() waited for
        // the commit that carried it.
        if (RowsOf(actor) != i + 1) ++not_visible[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(CountRows("audit_log"), kThreads * kEach);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(not_visible[t], 0) << "agent-" << t;
    EXPECT_EQ(RowsOf("agent-" + std::to_string(t)), kEach);
  }
  auto rows = store_->Query(
      "SELECT action, target, outcome, details FROM audit_log WHERE actor = 'agent-3' ORDER BY id",
      {});
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), static_cast<std::size_t>(kEach));
  EXPECT_EQ(*rows->Text(0, "action"), "mcp.tool_call");
  EXPECT_EQ(*rows->Text(0, "target"), "search_docs");
  EXPECT_EQ(*rows->Text(0, "outcome"), "ok");
  EXPECT_EQ(nlohmann::json::parse(*rows->Text(kEach - 1, "details"))["call"], kEach - 1);
}

TEST_P(AuditLogTest, ARefusedRowCostsNoOtherRowItsPlace) {
  // PostgreSQL refuses text that is not UTF-8; SQLite stores it. Either way
  // every good row recorded alongside lands.
  AuditLog audit(*store_);
  const std::string bad_actor = "bad-\xff\xfe";
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        if (t == 0) {
          audit.Record({bad_actor, "mcp.tool_call", "x", "ok", {}});
        } else {
          audit.Record({"good-" + std::to_string(t), "mcp.tool_call", "x", "ok", {}});
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  auto good = store_->Query("SELECT COUNT(*) AS n FROM audit_log WHERE actor LIKE 'good-%'", {});
  ASSERT_TRUE(good.ok()) << good.error().ToString();
  EXPECT_EQ(good->Int(0, "n").value_or(-1), 7 * 30);
  EXPECT_EQ(CountRows("audit_log"), IsPostgres() ? 7 * 30 : 8 * 30);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditLogTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::auth
