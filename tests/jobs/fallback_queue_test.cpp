// Hosted mode's fast queue when Redis goes away mid-run, against a private
// redis-server (a child process on a free port: the shared test Redis must
// not be stopped under other tests) and the database queue on both
// backends: enqueueing falls back to the database (nothing refused, nothing
// lost), the outage is logged once, and when the same Redis comes back the
// backlog drains: every job is taken exactly once and both queues end
// empty.
#include "jobs/fallback_queue.h"

#include <signal.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <gmock/gmock.h>

#include <atomic>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "redis_test_env.h"
#include "store/store_test_env.h"

namespace docrunch::jobs {
namespace {

using namespace std::chrono_literals;
using ::testing::StartsWith;
using Steady = std::chrono::steady_clock;

class FallbackQueueTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!PrivateRedis::Installed()) GTEST_SKIP() << "redis-server is not installed";
    MigrateStore();
    port_ = FreePort();
    ASSERT_GT(port_, 0);
    ASSERT_TRUE(redis_.Start(port_)) << "redis-server did not start on port " << port_;
    QueueOptions options;
    options.visibility = 20s;  // no reclaim during the run: each take is a first one
    auto redis = RedisQueue::Open(redis_.url(), "docrunch", options);
    ASSERT_TRUE(redis.ok()) << redis.error().ToString();
    queue_ = std::make_unique<FallbackQueue>(std::move(*redis),
                                             std::make_unique<DbQueue>(*store_, clock_, options));
    log_sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    spdlog::default_logger()->sinks().push_back(log_sink_);
  }
  void TearDown() override {
    if (log_sink_) {
      auto& sinks = spdlog::default_logger()->sinks();
      sinks.erase(std::remove(sinks.begin(), sinks.end(), log_sink_), sinks.end());
    }
    queue_.reset();
    redis_.Stop(SIGKILL);
    StoreTest::TearDown();
  }

  Result<std::string> Enqueue(int n) {
    return queue_->Enqueue("fast", {"index-file", "{\"n\": " + std::to_string(n) + "}", ""});
  }
  // Records the job's number; acknowledges it, retrying while its backend
  // is away (an unacknowledged job would be taken again later).
  void Finish(const TakenJob& job) {
    {
      std::lock_guard lock(mu_);
      ++taken_[job.payload];
      order_.push_back(job.id);
    }
    const auto until = Steady::now() + 15s;
    while (!queue_->Ack(job).ok() && Steady::now() < until) std::this_thread::sleep_for(50ms);
  }
  // Takes and acknowledges until both queues are empty (or 30 s pass).
  void Drain() {
    const auto until = Steady::now() + 30s;
    while (Steady::now() < until) {
      auto taken = queue_->Take("fast", "drain", 10, 100ms);
      if (taken && !taken->empty()) {
        for (const auto& job : *taken) Finish(job);
        continue;
      }
      auto counts = queue_->Counts("fast");
      if (counts && counts->waiting + counts->taken + counts->dead == 0) return;
    }
    ADD_FAILURE() << "the queues did not drain";
  }
  void ExpectEachTakenOnce(int jobs) {
    std::lock_guard lock(mu_);
    EXPECT_EQ(taken_.size(), static_cast<std::size_t>(jobs));
    for (int n = 0; n < jobs; ++n) {
      EXPECT_EQ(taken_["{\"n\": " + std::to_string(n) + "}"], 1) << "job " << n;
    }
  }
  void ExpectBothEmpty() {
    EXPECT_EQ(CountRows("fast_jobs"), 0);
    RawRedis raw(redis_.url());
    EXPECT_EQ(raw.Integer({"XLEN", "docrunch:jobs:fast"}), 0);
    EXPECT_EQ(raw.Integer({"ZCARD", "docrunch:jobs:fast:delayed"}), 0);
    EXPECT_EQ(raw.Integer({"XLEN", "docrunch:jobs:fast:dead"}), 0);
    auto counts = queue_->Counts("fast");
    ASSERT_TRUE(counts.ok()) << counts.error().ToString();
    EXPECT_EQ(counts->waiting + counts->taken + counts->dead, 0);
  }
  int LogLines(const std::string& text) {
    std::istringstream lines(log_.str());
    int n = 0;
    for (std::string line; std::getline(lines, line);) n += line.find(text) != line.npos;
    return n;
  }

  SystemClock clock_;
  PrivateRedis redis_;
  int port_ = 0;
  std::unique_ptr<FallbackQueue> queue_;
  std::ostringstream log_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> log_sink_;
  std::mutex mu_;
  std::map<std::string, int> taken_;  // payload -> times taken; GUARDED_BY(mu_)
  std::vector<std::string> order_;    // ids in the order taken; GUARDED_BY(mu_)
};

TEST_P(FallbackQueueTest, RedisKilledBetweenEnqueuesLosesNothingAndTheBacklogDrainsFirst) {
  for (int n = 0; n < 20; ++n) EXPECT_THAT(*Enqueue(n), StartsWith("redis:")) << n;
  auto before = queue_->Take("fast", "w1", 5, 0ms);
  ASSERT_TRUE(before.ok()) << before.error().ToString();
  ASSERT_EQ(before->size(), 5u);
  for (const auto& job : *before) Finish(job);

  redis_.Stop(SIGKILL);  // a crash: its append-only file keeps what it acknowledged
  for (int n = 20; n < 40; ++n) {
    auto id = Enqueue(n);
    ASSERT_TRUE(id.ok()) << "refused while Redis is away: " << id.error().ToString();
    EXPECT_THAT(*id, StartsWith("db:")) << n;
  }
  EXPECT_TRUE(queue_->RedisAway());
  EXPECT_EQ(LogLines("jobs go to the database queue until Redis is back"), 1)
      << "one warning per outage, not per job:\n"
      << log_.str();
  EXPECT_EQ(queue_->Counts("fast").error().code, ErrorCode::kStorageUnavailable);
  auto during = queue_->Take("fast", "w1", 5, 0ms);
  ASSERT_TRUE(during.ok()) << "the database queue is served while Redis is away";
  ASSERT_EQ(during->size(), 5u);
  for (const auto& job : *during) {
    EXPECT_THAT(job.id, StartsWith("db:"));
    Finish(job);
  }

  ASSERT_TRUE(redis_.Start(port_)) << "redis-server did not come back on port " << port_;
  // Enqueueing returns to Redis (within a second: failed connects back off).
  std::string last;
  for (int n = 40; n < 60; ++n) {
    auto id = Enqueue(n);
    ASSERT_TRUE(id.ok()) << id.error().ToString();
    last = *id;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_THAT(last, StartsWith("redis:"));
  order_.clear();
  Drain();
  ExpectEachTakenOnce(60);
  ExpectBothEmpty();
  // The database's backlog went first.
  auto first_redis = std::find_if(order_.begin(), order_.end(),
                                  [](const std::string& id) { return id.rfind("redis:", 0) == 0; });
  EXPECT_TRUE(std::none_of(first_redis, order_.end(),
                           [](const std::string& id) { return id.rfind("db:", 0) == 0; }));
  EXPECT_EQ(LogLines("Redis is back ("), 1) << log_.str();
}

TEST_P(FallbackQueueTest, RedisStoppedMidRunRefusesNothingAndEveryJobRunsOnce) {
  constexpr int kJobs = 400;
  std::atomic<int> refused{0}, to_database{0}, to_redis{0};
  std::atomic<bool> producing{true};
  std::thread producer([&] {
    for (int n = 0; n < kJobs; ++n) {
      auto id = Enqueue(n);
      if (!id) {
        ++refused;
      } else {
        ++(id->rfind("db:", 0) == 0 ? to_database : to_redis);
      }
      std::this_thread::sleep_for(5ms);
    }
    producing = false;
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      while (producing.load()) {
        auto taken = queue_->Take("fast", "w" + std::to_string(w), 5, 100ms);
        if (taken) {
          for (const auto& job : *taken) Finish(job);
        }
      }
    });
  }
  std::this_thread::sleep_for(600ms);
  redis_.StopCleanly();
  const int redis_before = to_redis.load();
  std::this_thread::sleep_for(800ms);
  ASSERT_TRUE(redis_.Start(port_)) << "redis-server did not come back on port " << port_;
  producer.join();
  for (auto& t : workers) t.join();
  Drain();

  EXPECT_EQ(refused.load(), 0);
  EXPECT_GT(redis_before, 0);
  EXPECT_GT(to_database.load(), 0) << "some jobs arrived while Redis was away";
  EXPECT_GT(to_redis.load(), redis_before) << "Redis took jobs again once back";
  ExpectEachTakenOnce(kJobs);
  ExpectBothEmpty();
  EXPECT_EQ(LogLines("jobs go to the database queue until Redis is back"), 1) << log_.str();
}

TEST_P(FallbackQueueTest, AckAndFailFollowTheIdsBackendAndCountsAddBoth) {
  DbQueue database(*store_, clock_);  // another process's fallback, on the same database
  ASSERT_TRUE(database.Enqueue("fast", {"index-file", R"({"n": 0})", ""}).ok());
  ASSERT_THAT(*Enqueue(1), StartsWith("redis:"));
  auto first = queue_->Take("fast", "w1", 1, 0ms);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_THAT((*first)[0].id, StartsWith("db:")) << "the database backlog goes first";
  ASSERT_TRUE(queue_->Fail((*first)[0], "boom").ok());
  auto second = queue_->Take("fast", "w1", 1, 0ms);
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  ASSERT_EQ(second->size(), 1u);
  EXPECT_THAT((*second)[0].id, StartsWith("redis:"));
  ASSERT_TRUE(queue_->Fail((*second)[0], "boom").ok());
  // Each failure waits for its retry in its own backend.
  EXPECT_EQ(database.Counts("fast")->waiting, 1);
  RawRedis raw(redis_.url());
  EXPECT_EQ(raw.Integer({"ZCARD", "docrunch:jobs:fast:delayed"}), 1);
  auto counts = queue_->Counts("fast");
  ASSERT_TRUE(counts.ok()) << counts.error().ToString();
  EXPECT_EQ(counts->waiting, 2);
  EXPECT_EQ(counts->taken, 0);
}

TEST_P(FallbackQueueTest, BadInputIsRefusedByBothAndIsNoOutage) {
  EXPECT_EQ(queue_->Enqueue("Fast Queue", {"index-file", "{}", ""}).error().code,
            ErrorCode::kInvalidParams);
  EXPECT_EQ(queue_->Enqueue("fast", {"index-file", "{oops", ""}).error().message,
            "payload: not valid JSON");
  EXPECT_FALSE(queue_->RedisAway()) << "bad input is not a Redis outage";
  EXPECT_EQ(queue_->Take("fast", "", 1, 0ms).error().message, "consumer: 1 to 200 characters");
  TakenJob forged{"mq:1", "fast", "index-file", "{}", "", 1};
  EXPECT_EQ(queue_->Ack(forged).error().message,
            "id: 'mq:1' is not a fast queue job id (db:N or redis:MS-SEQ)");
  forged.id = "redis:x";
  EXPECT_EQ(queue_->Fail(forged, "e").error().code, ErrorCode::kInvalidParams);
  forged.id = "db:x";
  EXPECT_EQ(queue_->Fail(forged, "e").error().code, ErrorCode::kInvalidParams);
  EXPECT_EQ(CountRows("fast_jobs"), 0);
  auto counts = queue_->Counts("fast");
  ASSERT_TRUE(counts.ok()) << counts.error().ToString();
  EXPECT_EQ(counts->waiting + counts->taken + counts->dead, 0);
  EXPECT_EQ(LogLines("fast queue"), 0) << log_.str();
}

INSTANTIATE_TEST_SUITE_P(Backends, FallbackQueueTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::jobs
