// The outbox tail of a serving process: what it hands its listeners.
#include "store/outbox_tail.h"

#include <gtest/gtest.h>

#include "store_test_env.h"

namespace docrunch::store {
namespace {

class OutboxTailTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    MigrateStore();
    repo_ = AddBareRepository();
    ASSERT_GT(repo_, 0);
  }

  // An event with this id, as a transaction that took the id earlier but
  // commits now would leave it.
  void Insert(std::int64_t id, const std::string& entity) {
    auto done = store_->Transact([&](Tx& tx) -> Result<void> {
      auto r = tx.Exec(
          "INSERT INTO sync_events (id, repository_id, entity_type, entity_id, action, "
          "created_at) VALUES ($1, $2, 'task', $3, 'upsert', '2026-12-06T00:00:00.000Z')",
          {id, repo_, entity});
      if (!r) return r.error();
      return Ok();
    });
    ASSERT_TRUE(done.ok()) << done.error().ToString();
  }

  std::int64_t repo_ = 0;
};

TEST_P(OutboxTailTest, HandsOverNewEventsOnceEachAndLateCommitsToo) {
  // The repository row's own event, and one more, are there before the start.
  Insert(100, "task-1");
  OutboxTail tail(*store_, repo_);
  std::vector<std::int64_t> seen;
  tail.Add([&](const std::vector<OutboxEvent>& events) {
    for (const auto& e : events) seen.push_back(e.id);
  });
  ASSERT_TRUE(tail.Start(std::chrono::hours(1)).ok());  // polled by hand below
  Insert(102, "task-2");
  Insert(103, "task-3");
  ASSERT_TRUE(tail.PollOnce().ok());
  EXPECT_EQ(seen, (std::vector<std::int64_t>{102, 103}));
  // An event whose id was taken before 102's but that commits only now.
  Insert(101, "task-late");
  ASSERT_TRUE(tail.PollOnce().ok());
  ASSERT_TRUE(tail.PollOnce().ok());
  EXPECT_EQ(seen, (std::vector<std::int64_t>{102, 103, 101}));
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxTailTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace docrunch::store
