// The fast queue on the database, on both backends: enqueue with
// idempotency keys, taking in order, visibility timeouts that give a dead
// worker's jobs to another, failures retried with backoff, dead letters,
// several workers never taking one job twice, and bad input.
#include "jobs/db_queue.h"

#include <gmock/gmock.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "store/store_test_env.h"

namespace docrunch::jobs {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class DbQueueTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ReopenWithClock(clock_);
    if (HasFatalFailure()) return;
    MigrateStore();
    queue_ = std::make_unique<DbQueue>(*store_, clock_, Options());
  }
  void TearDown() override {
    queue_.reset();
    StoreTest::TearDown();
  }
  static QueueOptions Options() {
    QueueOptions o;
    o.visibility = 30s;
    o.max_deliveries = 3;
    o.retry_delay = 1s;
    return o;
  }
  std::string Enqueue(const std::string& type, const std::string& key = "",
                      const std::string& queue = "fast") {
    auto id = queue_->Enqueue(queue, {type, R"({"n": 1})", key});
    EXPECT_TRUE(id.ok()) << id.error().ToString();
    return id.ok() ? *id : "";
  }
  std::vector<TakenJob> Take(const std::string& consumer, int max = 10) {
    auto taken = queue_->Take("fast", consumer, max, 0ms);
    EXPECT_TRUE(taken.ok()) << taken.error().ToString();
    return taken.ok() ? *taken : std::vector<TakenJob>{};
  }

  ManualClock clock_{*ParseIso8601("2026-12-06T12:00:00Z")};
  std::unique_ptr<DbQueue> queue_;
};

TEST_P(DbQueueTest, JobsAreTakenInOrderOnceAndLeaveOnAck) {
  std::string a = Enqueue("index-file");
  std::string b = Enqueue("publish-task");
  EXPECT_NE(a, b);
  auto first = Take("w1", 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, a);
  EXPECT_EQ(first[0].type, "index-file");
  EXPECT_EQ(first[0].payload, R"({"n": 1})");
  EXPECT_EQ(first[0].deliveries, 1);
  auto second = Take("w2");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, b);
  EXPECT_TRUE(Take("w3").empty()) << "both are taken";
  EXPECT_EQ(queue_->Counts("fast")->taken, 2);
  ASSERT_TRUE(queue_->Ack(first[0]).ok());
  ASSERT_TRUE(queue_->Ack(first[0]).ok()) << "a second Ack is harmless";
  ASSERT_TRUE(queue_->Ack(second[0]).ok());
  auto counts = queue_->Counts("fast");
  EXPECT_EQ(counts->waiting + counts->taken + counts->dead, 0);
  EXPECT_EQ(CountRows("fast_jobs"), 0);
}

TEST_P(DbQueueTest, AckBatchAcknowledgesItsJobsInOneGoAndNoOthers) {
  Enqueue("index-file");
  Enqueue("index-file");
  Enqueue("index-file");
  auto taken = Take("w1");
  ASSERT_EQ(taken.size(), 3u);
  ASSERT_TRUE(queue_->Ack(taken[0]).ok());
  // The first again (harmless), the second, and not the third.
  ASSERT_TRUE(queue_->AckBatch({taken[0], taken[1]}).ok());
  EXPECT_EQ(queue_->Counts("fast")->taken, 1);
  EXPECT_EQ(CountRows("fast_jobs"), 1);
  ASSERT_TRUE(queue_->AckBatch({taken[2]}).ok());
  ASSERT_TRUE(queue_->AckBatch({}).ok());
  EXPECT_EQ(CountRows("fast_jobs"), 0);
}

TEST_P(DbQueueTest, AnIdempotencyKeyIsEnqueuedOnceWhileItsJobIsPending) {
  std::string a = Enqueue("index-file", "file:app.py");
  EXPECT_EQ(Enqueue("index-file", "file:app.py"), a);
  EXPECT_NE(Enqueue("index-file", "file:app.py", "other"), a) << "keys are per queue";
  EXPECT_NE(Enqueue("index-file", "file:web.py"), a);
  auto taken = Take("w1");
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(Enqueue("index-file", "file:app.py"), a) << "still pending while taken";
  ASSERT_TRUE(queue_->Ack(taken[0]).ok());
  std::string b = Enqueue("index-file", "file:app.py");
  EXPECT_NE(b, a) << "done: the key may be queued again";
  // Ids are never reused, even after the newest row was deleted.
  auto c = Take("w1");
  ASSERT_EQ(c.size(), 1u);
  ASSERT_TRUE(queue_->Ack(c[0]).ok());
  EXPECT_NE(Enqueue("index-file", "x"), b);
}

TEST_P(DbQueueTest, ADeadWorkersJobGoesToAnotherAfterTheVisibilityTimeout) {
  std::string a = Enqueue("index-file");
  ASSERT_EQ(Take("dies").size(), 1u);
  clock_.Advance(29s);
  EXPECT_TRUE(Take("w2").empty());
  clock_.Advance(2s);
  auto again = Take("w2");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, a);
  EXPECT_EQ(again[0].deliveries, 2);
  // The first worker wakes up late: its Ack and Fail no longer count.
  TakenJob late = again[0];
  late.deliveries = 1;
  ASSERT_TRUE(queue_->Ack(late).ok());
  ASSERT_TRUE(queue_->Fail(late, "late").ok());
  EXPECT_EQ(queue_->Counts("fast")->taken, 1) << "still w2's";
  // Taken max_deliveries times without an Ack: a dead letter, not a loop.
  clock_.Advance(31s);
  ASSERT_EQ(Take("w3").size(), 1u);
  clock_.Advance(31s);
  EXPECT_TRUE(Take("w4").empty());
  EXPECT_EQ(queue_->Counts("fast")->dead, 1);
  auto why = store_->Query("SELECT last_error FROM fast_jobs");
  EXPECT_EQ(why->Text(0, "last_error"), "taken 3 times without an acknowledgement");
}

TEST_P(DbQueueTest, FailuresAreRetriedWithBackoffThenDeadLettered) {
  Enqueue("index-file");
  auto taken = Take("w1");
  ASSERT_EQ(taken.size(), 1u);
  ASSERT_TRUE(queue_->Fail(taken[0], "parser crashed").ok());
  EXPECT_TRUE(Take("w1").empty()) << "waits retry_delay first";
  clock_.Advance(1s);
  taken = Take("w1");
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].deliveries, 2);
  ASSERT_TRUE(queue_->Fail(taken[0], "parser crashed again").ok());
  clock_.Advance(1s);
  EXPECT_TRUE(Take("w1").empty()) << "the second delay doubles";
  clock_.Advance(1s);
  taken = Take("w1");
  ASSERT_EQ(taken.size(), 1u);
  ASSERT_TRUE(queue_->Fail(taken[0], "and again").ok());
  auto counts = queue_->Counts("fast");
  EXPECT_EQ(counts->dead, 1);
  EXPECT_EQ(counts->waiting, 0);
  EXPECT_EQ(store_->Query("SELECT last_error FROM fast_jobs")->Text(0, "last_error"), "and again");
  auto dead = queue_->List("fast", "dead", 10);
  ASSERT_TRUE(dead.ok()) << dead.error().ToString();
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].type, "index-file");
  EXPECT_EQ((*dead)[0].deliveries, 3);
  EXPECT_EQ((*dead)[0].last_error, "and again");
  EXPECT_TRUE(queue_->List("fast", "waiting", 10)->empty());
  EXPECT_EQ(queue_->List("fast", "gone", 10).error().code, ErrorCode::kInvalidParams);
  // A dead letter's key may be enqueued afresh.
  ASSERT_TRUE(queue_->Enqueue("fast", {"index-file", "{}", "k"}).ok());
}

TEST_P(DbQueueTest, ManyWorkersNeverTakeOneJobTwice) {
  constexpr int kJobs = 200;
  for (int i = 0; i < kJobs; ++i) Enqueue("index-file");
  std::mutex mu;
  std::multiset<std::string> seen;
  std::atomic<int> errors{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (;;) {
        auto taken = queue_->Take("fast", "w" + std::to_string(w), 7, 0ms);
        if (!taken) {
          ++errors;
          return;
        }
        if (taken->empty()) return;
        for (const auto& job : *taken) {
          {
            std::lock_guard lock(mu);
            seen.insert(job.id);
          }
          if (!queue_->Ack(job)) ++errors;
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());
  EXPECT_EQ(CountRows("fast_jobs"), 0);
}

TEST_P(DbQueueTest, TakeWaitsForAJobToArrive) {
  std::thread producer([&] {
    std::this_thread::sleep_for(100ms);
    (void)queue_->Enqueue("fast", {"index-file", "{}", ""});
  });
  auto taken = queue_->Take("fast", "w1", 1, 5s);
  producer.join();
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->size(), 1u);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(queue_->Take("fast", "w1", 1, 100ms)->empty());
  EXPECT_GE(std::chrono::steady_clock::now() - started, 100ms);
}

TEST_P(DbQueueTest, BadInputIsRefusedAndChangesNothing) {
  auto bad = [&](const std::string& queue, const NewJob& job) {
    auto r = queue_->Enqueue(queue, job);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message;
  };
  EXPECT_THAT(bad("Fast Queue", {"index-file", "{}", ""}), HasSubstr("queue: 'Fast Queue'"));
  EXPECT_THAT(bad("fast", {"", "{}", ""}), HasSubstr("type:"));
  EXPECT_EQ(bad("fast", {"index-file", "{not json", ""}), "payload: not valid JSON");
  EXPECT_EQ(bad("fast", {"index-file", std::string(1024 * 1024 + 1, ' '), ""}),
            "payload: more than 1 MB");
  EXPECT_EQ(bad("fast", {"index-file", "{}", std::string(201, 'k')}),
            "idempotency_key: more than 200 characters");
  EXPECT_EQ(CountRows("fast_jobs"), 0);
  EXPECT_EQ(queue_->Take("no such/queue", "w", 1, 0ms).error().code, ErrorCode::kInvalidParams);
  EXPECT_EQ(queue_->Take("fast", "", 1, 0ms).error().message, "consumer: 1 to 200 characters");
  TakenJob forged{"redis:1-0", "fast", "index-file", "{}", "", 1};
  EXPECT_EQ(queue_->Ack(forged).error().message,
            "id: 'redis:1-0' is not a database queue job id (db:N)");
  forged.id = "db:12abc";
  EXPECT_EQ(queue_->Fail(forged, "x").error().code, ErrorCode::kInvalidParams);
}

INSTANTIATE_TEST_SUITE_P(Backends, DbQueueTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::jobs

namespace docrunch::store {
// This binary reuses the backend fixture for its own suites only.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreTest);
}  // namespace docrunch::store
