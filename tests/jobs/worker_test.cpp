// The fast-queue worker on the database queue, on both backends: handlers
// run and acknowledge, failures retry, unknown types and throwing handlers
// neither crash nor loop, and an idempotency key's effect happens once,
// also when several threads share the queue.
#include "jobs/worker.h"

#include <gmock/gmock.h>

#include <atomic>
#include <thread>

#include "jobs/db_queue.h"
#include "store/store_test_env.h"

namespace docrunch::jobs {
namespace {

using namespace std::chrono_literals;

class JobWorkerTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ReopenWithClock(clock_);
    if (HasFatalFailure()) return;
    MigrateStore();
    ASSERT_TRUE(store_
                    ->Transact([](store::Tx& tx) -> Result<void> {
                      auto made = tx.Exec("CREATE TABLE effects (job TEXT NOT NULL)");
                      if (!made) return made.error();
                      return Ok();
                    })
                    .ok());
    QueueOptions options;
    options.max_deliveries = 3;
    options.retry_delay = 1s;
    queue_ = std::make_unique<DbQueue>(*store_, clock_, options);
  }
  void TearDown() override {
    queue_.reset();
    StoreTest::TearDown();
  }
  JobWorker MakeWorker(int concurrency = 1) {
    JobWorkerOptions o;
    o.queue = "fast";
    o.consumer = "test-worker";
    o.concurrency = concurrency;
    o.wait = 50ms;
    JobWorker worker(*queue_, *store_, clock_, o);
    // The effect and the key in one transaction: exactly once.
    worker.Handle("effect", [this](JobRun& run) {
      return store_->Transact([&](store::Tx& tx) -> Result<void> {
        auto wrote = tx.Exec("INSERT INTO effects (job) VALUES ($1)", {run.job.payload});
        if (!wrote) return wrote.error();
        DOCRUNCH_TRY(JobWorker::RecordFinished(tx, run.job.queue, run.job, clock_.Now()));
        run.recorded = true;
        return Ok();
      });
    });
    return worker;
  }
  void Enqueue(const std::string& type, const std::string& payload, const std::string& key = "") {
    auto id = queue_->Enqueue("fast", {type, payload, key});
    ASSERT_TRUE(id.ok()) << id.error().ToString();
  }

  ManualClock clock_{*ParseIso8601("2026-12-06T12:00:00Z")};
  std::unique_ptr<DbQueue> queue_;
};

TEST_P(JobWorkerTest, HandlersRunAndTheirJobsLeaveTheQueue) {
  JobWorker worker = MakeWorker();
  Enqueue("effect", R"("a")");
  Enqueue("effect", R"("b")");
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->done, 2);
  EXPECT_EQ(CountRows("effects"), 2);
  EXPECT_EQ(CountRows("fast_jobs"), 0);
}

TEST_P(JobWorkerTest, AKeysEffectHappensOnce) {
  JobWorker worker = MakeWorker();
  int plain_runs = 0;
  worker.Handle("plain", [&](JobRun&) {
    ++plain_runs;
    return Ok();
  });
  Enqueue("effect", R"("once")", "key-1");
  Enqueue("plain", "{}", "key-2");
  ASSERT_EQ(worker.Drain()->done, 2);
  // The same keys again (a producer retrying): acknowledged, not run.
  Enqueue("effect", R"("once")", "key-1");
  Enqueue("plain", "{}", "key-2");
  auto again = worker.Drain();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->skipped, 2);
  EXPECT_EQ(again->done, 0);
  EXPECT_EQ(CountRows("effects"), 1);
  EXPECT_EQ(plain_runs, 1);
  EXPECT_EQ(CountRows("finished_jobs"), 2);
}

TEST_P(JobWorkerTest, AFailedJobIsRetriedAndAThrowingOneDoesNotCrash) {
  JobWorker worker = MakeWorker();
  int attempts = 0;
  worker.Handle("flaky", [&](JobRun& run) -> Result<void> {
    ++attempts;
    if (run.job.deliveries == 1) return MakeError(ErrorCode::kIo, "disk full");
    return Ok();
  });
  worker.Handle("throws", [](JobRun&) -> Result<void> { throw std::runtime_error("boom"); });
  Enqueue("flaky", "{}");
  Enqueue("throws", "{}");
  Enqueue("nobody-handles-this", "{}");
  auto first = worker.Drain();
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->failed, 2);
  EXPECT_EQ(first->unknown, 1);
  clock_.Advance(1s);
  auto second = worker.Drain();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->done, 1) << "flaky succeeds on its second delivery";
  EXPECT_EQ(attempts, 2);
  // The others run out of deliveries and end as dead letters with their reason.
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(10s);
    ASSERT_TRUE(worker.Drain().ok());
  }
  auto counts = queue_->Counts("fast");
  EXPECT_EQ(counts->dead, 2);
  EXPECT_EQ(counts->waiting + counts->taken, 0);
  auto reasons = store_->Query("SELECT last_error FROM fast_jobs ORDER BY id");
  ASSERT_EQ(reasons->size(), 2u);
  EXPECT_THAT(*reasons->Text(0, "last_error"), ::testing::HasSubstr("the handler threw: boom"));
  EXPECT_THAT(*reasons->Text(1, "last_error"),
              ::testing::HasSubstr("no handler for job type 'nobody-handles-this'"));
}

TEST_P(JobWorkerTest, ThreadsShareTheQueueAndEachEffectHappensOnce) {
  constexpr int kJobs = 120;
  for (int i = 0; i < kJobs; ++i) {
    Enqueue("effect", "\"" + std::to_string(i) + "\"", "job-" + std::to_string(i));
  }
  JobWorker worker = MakeWorker(3);
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    for (int i = 0; i < 400 && CountRows("effects") < kJobs; ++i) {
      std::this_thread::sleep_for(25ms);
    }
    stop = true;
  });
  auto stats = worker.Run(stop);
  stopper.join();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->done, kJobs);
  EXPECT_EQ(CountRows("effects"), kJobs);
  auto distinct = store_->Query("SELECT count(DISTINCT job) AS n FROM effects");
  EXPECT_EQ(distinct->Int(0, "n"), kJobs);
  EXPECT_EQ(CountRows("fast_jobs"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, JobWorkerTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::jobs
