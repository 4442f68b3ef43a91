// The fast queue on Redis Streams, against the real Redis of
// DOCRUNCH_TEST_REDIS_URL (skipped when unset), with the behaviours of the
// database queue's tests: idempotency keys, taking in order, a dead
// worker's jobs reclaimed after the visibility timeout (real time: Redis
// keeps the clock), failures retried with backoff, dead letters, several
// workers never taking one job twice, a blocked Take holding nothing up,
// and bad input. Each test works under its own key prefix and deletes it.
#include "jobs/redis_queue.h"

#include <gmock/gmock.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "redis_test_env.h"
#include "support/temp_dir.h"

namespace docrunch::jobs {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using Steady = std::chrono::steady_clock;

class RedisQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = docrunch::testing::EnvOr("DOCRUNCH_TEST_REDIS_URL");
    if (url_.empty()) GTEST_SKIP() << "DOCRUNCH_TEST_REDIS_URL not set";
    raw_ = std::make_unique<RawRedis>(url_);
    ASSERT_TRUE(raw_->ok());
    queue_ = OpenQueue(Options());
    ASSERT_NE(queue_, nullptr);
  }
  void TearDown() override {
    if (raw_ && raw_->ok()) raw_->DeleteKeysUnder(prefix_);
  }
  static QueueOptions Options() {
    QueueOptions o;
    o.visibility = 30s;
    o.max_deliveries = 3;
    o.retry_delay = 300ms;
    return o;
  }
  std::unique_ptr<RedisQueue> OpenQueue(QueueOptions options) {
    auto queue = RedisQueue::Open(url_, prefix_, options);
    EXPECT_TRUE(queue.ok()) << queue.error().ToString();
    return queue.ok() ? std::move(*queue) : nullptr;
  }
  std::string Enqueue(const std::string& type, const std::string& key = "",
                      const std::string& queue = "fast") {
    auto id = queue_->Enqueue(queue, {type, R"({"n": 1})", key});
    EXPECT_TRUE(id.ok()) << id.error().ToString();
    return id.ok() ? *id : "";
  }
  std::vector<TakenJob> Take(const std::string& consumer, int max = 10,
                             std::chrono::milliseconds wait = 0ms) {
    auto taken = queue_->Take("fast", consumer, max, wait);
    EXPECT_TRUE(taken.ok()) << taken.error().ToString();
    return taken.ok() ? *taken : std::vector<TakenJob>{};
  }
  std::string Key(const std::string& suffix = "") const { return prefix_ + ":jobs:fast" + suffix; }

  std::string url_;
  std::string prefix_ = RandomPrefix();
  std::unique_ptr<RawRedis> raw_;
  std::unique_ptr<RedisQueue> queue_;
};

TEST_F(RedisQueueTest, JobsAreTakenInOrderOnceAndLeaveOnAck) {
  std::string a = Enqueue("index-file");
  std::string b = Enqueue("publish-task");
  EXPECT_NE(a, b);
  EXPECT_THAT(a, ::testing::StartsWith("redis:"));
  EXPECT_EQ(queue_->StreamKey("fast"), Key());
  EXPECT_EQ(queue_->Counts("fast")->waiting, 2);
  auto first = Take("w1", 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, a);
  EXPECT_EQ(first[0].queue, "fast");
  EXPECT_EQ(first[0].type, "index-file");
  EXPECT_EQ(first[0].payload, R"({"n": 1})");
  EXPECT_EQ(first[0].deliveries, 1);
  auto second = Take("w2");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, b);
  EXPECT_TRUE(Take("w3").empty()) << "both are taken";
  auto counts = queue_->Counts("fast");
  EXPECT_EQ(counts->taken, 2);
  EXPECT_EQ(counts->waiting, 0);
  ASSERT_TRUE(queue_->Ack(first[0]).ok());
  ASSERT_TRUE(queue_->Ack(first[0]).ok()) << "a second Ack is harmless";
  ASSERT_TRUE(queue_->Ack(second[0]).ok());
  counts = queue_->Counts("fast");
  EXPECT_EQ(counts->waiting + counts->taken + counts->dead, 0);
  EXPECT_EQ(raw_->Integer({"XLEN", Key()}), 0) << "acknowledged messages are deleted";
}

TEST_F(RedisQueueTest, AckBatchAcknowledgesItsJobsInOneGoAndNoOthers) {
  Enqueue("index-file", "k1");
  Enqueue("index-file");
  Enqueue("index-file");
  auto taken = Take("w1");
  ASSERT_EQ(taken.size(), 3u);
  ASSERT_TRUE(queue_->Ack(taken[0]).ok());
  // The first again (harmless), the second, and not the third.
  ASSERT_TRUE(queue_->AckBatch({taken[0], taken[1]}).ok());
  auto counts = queue_->Counts("fast");
  EXPECT_EQ(counts->taken, 1);
  EXPECT_EQ(counts->waiting, 0);
  EXPECT_EQ(raw_->Integer({"XLEN", Key()}), 1);
  EXPECT_EQ(raw_->Integer({"HLEN", Key() + ":keys"}), 0) << "the key left with its job";
  ASSERT_TRUE(queue_->AckBatch({taken[2]}).ok());
  ASSERT_TRUE(queue_->AckBatch({}).ok());
  EXPECT_EQ(raw_->Integer({"XLEN", Key()}), 0);
}

TEST_F(RedisQueueTest, EnqueueBatchQueuesInOrderAndHonoursKeys) {
  std::string first = Enqueue("index-file", "k1");
  auto ids = queue_->EnqueueBatch("fast", {{"publish-task", R"({"n": 2})", ""},
                                           {"index-file", R"({"n": 3})", "k1"},
                                           {"index-file", R"({"n": 4})", "k2"},
                                           {"index-file", R"({"n": 5})", "k2"}});
  ASSERT_TRUE(ids.ok()) << ids.error().ToString();
  ASSERT_EQ(ids->size(), 4u);
  EXPECT_EQ((*ids)[1], first) << "a key already waiting keeps its job";
  EXPECT_EQ((*ids)[3], (*ids)[2]) << "and so does one earlier in the batch";
  auto taken = Take("w1");
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(taken[1].id, (*ids)[0]);
  EXPECT_EQ(taken[1].payload, R"({"n": 2})");
  EXPECT_EQ(taken[2].id, (*ids)[2]);
  auto refused = queue_->EnqueueBatch("fast", {{"index-file", "{}", ""}, {"", "{}", ""}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidParams);
  EXPECT_EQ(queue_->Counts("fast")->waiting, 0) << "a bad job refuses the whole batch";
  EXPECT_TRUE(queue_->EnqueueBatch("fast", {})->empty());
}

TEST_F(RedisQueueTest, AnIdempotencyKeyIsEnqueuedOnceWhileItsJobIsPending) {
  std::string a = Enqueue("index-file", "file:app.py");
  EXPECT_EQ(Enqueue("index-file", "file:app.py"), a);
  // Keys are per queue (stream ids are too: another queue's first id may
  // equal this one's).
  Enqueue("index-file", "file:app.py", "other");
  EXPECT_EQ(queue_->Counts("other")->waiting, 1);
  EXPECT_NE(Enqueue("index-file", "file:web.py"), a);
  auto taken = Take("w1");
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].idempotency_key, "file:app.py");
  EXPECT_EQ(Enqueue("index-file", "file:app.py"), a) << "still pending while taken";
  ASSERT_TRUE(queue_->Ack(taken[0]).ok());
  EXPECT_EQ(raw_->Integer({"HEXISTS", Key(":keys"), "file:app.py"}), 0);
  EXPECT_EQ(raw_->Integer({"HEXISTS", Key(":keys"), "file:web.py"}), 1);
  EXPECT_NE(Enqueue("index-file", "file:app.py"), a) << "done: the key may run again";
}

TEST_F(RedisQueueTest, ADeadWorkersJobGoesToAnotherAfterTheVisibilityTimeout) {
  QueueOptions options = Options();
  options.visibility = 200ms;
  queue_ = OpenQueue(options);
  ASSERT_NE(queue_, nullptr);
  std::string a = Enqueue("index-file", "k");
  ASSERT_EQ(Take("dies").size(), 1u);
  const auto taken_at = Steady::now();
  auto early = Take("w2");
  if (Steady::now() - taken_at < 150ms) {
    EXPECT_TRUE(early.empty()) << "still within visibility";
  }
  std::this_thread::sleep_for(250ms);
  auto again = Take("w2");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, a) << "a reclaimed job keeps its id";
  EXPECT_EQ(again[0].deliveries, 2);
  // The first worker wakes up late: its Ack and Fail no longer count.
  TakenJob late = again[0];
  late.deliveries = 1;
  ASSERT_TRUE(queue_->Ack(late).ok());
  ASSERT_TRUE(queue_->Fail(late, "late").ok());
  EXPECT_EQ(queue_->Counts("fast")->taken, 1) << "still w2's";
  EXPECT_EQ(raw_->Integer({"ZCARD", Key(":delayed")}), 0);
  EXPECT_EQ(raw_->Integer({"HLEN", Key(":keys")}), 1);
  // Taken max_deliveries times without an Ack: a dead letter, not a loop.
  std::this_thread::sleep_for(250ms);
  auto third = Take("w3");
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].deliveries, 3);
  std::this_thread::sleep_for(250ms);
  EXPECT_TRUE(Take("w4").empty());
  auto counts = queue_->Counts("fast");
  EXPECT_EQ(counts->dead, 1);
  EXPECT_EQ(counts->waiting + counts->taken, 0);
  EXPECT_THAT(raw_->StreamField(Key(":dead"), "error"),
              ::testing::ElementsAre("taken 3 times without an acknowledgement"));
  EXPECT_THAT(raw_->StreamField(Key(":dead"), "id"), ::testing::ElementsAre(a.substr(6)));
  EXPECT_EQ(raw_->Integer({"HLEN", Key(":keys")}), 0) << "a dead letter frees its key";
  EXPECT_EQ(raw_->Integer({"XLEN", Key()}), 0);
}

// Workers read as "host:pid", so each restart is a new consumer: those
// with nothing pending that stopped reading leave the group; one holding a
// job stays (deleting it would drop the job unacknowledged).
TEST_F(RedisQueueTest, ConsumersThatStoppedReadingLeaveTheGroupUnlessTheyHoldAJob) {
  QueueOptions options = Options();
  options.forget_consumers_after = 300ms;
  queue_ = OpenQueue(options);
  ASSERT_NE(queue_, nullptr);
  Enqueue("index-file", "a");
  Enqueue("index-file", "b");
  Enqueue("index-file", "c");
  auto done = Take("exited", 1);
  ASSERT_EQ(done.size(), 1u);
  ASSERT_TRUE(queue_->Ack(done[0]).ok());
  ASSERT_EQ(Take("killed", 1).size(), 1u);  // never acknowledged
  auto consumers = [&] {
    std::set<std::string> names;
    RedisReply reply = raw_->Command({"XINFO", "CONSUMERS", Key(), "workers"});
    for (std::size_t i = 0; reply && i < reply->elements; ++i) {
      const redisReply* c = reply->element[i];
      for (std::size_t f = 0; f + 1 < c->elements; f += 2) {
        if (std::string(c->element[f]->str) == "name") names.insert(c->element[f + 1]->str);
      }
    }
    return names;
  };
  EXPECT_EQ(consumers(), (std::set<std::string>{"exited", "killed"}));
  std::this_thread::sleep_for(400ms);
  // The next Take sweeps: "exited" goes, "killed" keeps its job.
  auto later = Take("restarted", 1);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(consumers(), (std::set<std::string>{"killed", "restarted"}));
  EXPECT_EQ(queue_->Counts("fast")->taken, 2) << "the killed worker's job is still pending";
}

TEST_F(RedisQueueTest, FailuresAreRetriedWithBackoffThenDeadLettered) {
  std::string first_id = Enqueue("index-file", "k");
  auto taken = Take("w1");
  ASSERT_EQ(taken.size(), 1u);
  ASSERT_TRUE(queue_->Fail(taken[0], "parser crashed").ok());
  auto failed_at = Steady::now();
  auto early = Take("w1");
  if (Steady::now() - failed_at < 250ms) {
    EXPECT_TRUE(early.empty()) << "waits retry_delay first";
  }
  auto counts = queue_->Counts("fast");
  EXPECT_EQ(counts->waiting, 1) << "a delayed retry is waiting";
  EXPECT_EQ(counts->taken, 0);
  auto listed = queue_->List("fast", "", 10);
  ASSERT_TRUE(listed.ok()) << listed.error().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].status, "waiting");
  EXPECT_EQ((*listed)[0].last_error, "parser crashed");
  EXPECT_EQ((*listed)[0].idempotency_key, "k");
  EXPECT_EQ(Enqueue("index-file", "k"), first_id) << "its key is still pending";
  // Take waits for the retry to come due (it is not a new message).
  taken = Take("w1", 10, 3s);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_GE(Steady::now() - failed_at, 280ms);
  EXPECT_EQ(taken[0].deliveries, 2);
  EXPECT_EQ(taken[0].idempotency_key, "k");
  listed = queue_->List("fast", "taken", 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, taken[0].id);
  EXPECT_EQ((*listed)[0].deliveries, 2);
  EXPECT_EQ(Enqueue("index-file", "k"), taken[0].id) << "the key follows the retried job";
  ASSERT_TRUE(queue_->Fail(taken[0], "parser crashed again").ok());
  failed_at = Steady::now();
  early = Take("w1", 10, 300ms);
  if (Steady::now() - failed_at < 550ms) {
    EXPECT_TRUE(early.empty()) << "the second delay doubles";
  }
  taken = Take("w1", 10, 3s);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_GE(Steady::now() - failed_at, 580ms);
  EXPECT_EQ(taken[0].deliveries, 3);
  ASSERT_TRUE(queue_->Fail(taken[0], "and again").ok());
  counts = queue_->Counts("fast");
  EXPECT_EQ(counts->dead, 1);
  EXPECT_EQ(counts->waiting, 0);
  EXPECT_EQ(counts->taken, 0);
  EXPECT_THAT(raw_->StreamField(Key(":dead"), "error"), ::testing::ElementsAre("and again"));
  EXPECT_THAT(raw_->StreamField(Key(":dead"), "deliveries"), ::testing::ElementsAre("3"));
  listed = queue_->List("fast", "dead", 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].status, "dead");
  EXPECT_EQ((*listed)[0].deliveries, 3);
  EXPECT_EQ((*listed)[0].last_error, "and again");
  EXPECT_TRUE(queue_->List("fast", "waiting", 10)->empty());
  ASSERT_TRUE(queue_->Fail(taken[0], "late").ok()) << "failing a dead job changes nothing";
  EXPECT_EQ(queue_->Counts("fast")->dead, 1);
  // A dead letter's key may be enqueued afresh.
  std::string fresh = Enqueue("index-file", "k");
  EXPECT_NE(fresh, first_id);
  EXPECT_NE(fresh, taken[0].id);
}

TEST_F(RedisQueueTest, ManyWorkersNeverTakeOneJobTwice) {
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
  EXPECT_EQ(raw_->Integer({"XLEN", Key()}), 0);
  EXPECT_EQ(queue_->Counts("fast")->taken, 0);
}

TEST_F(RedisQueueTest, TakeWaitsForAJobToArriveWithoutHoldingUpOthers) {
  std::thread producer([&] {
    std::this_thread::sleep_for(100ms);
    (void)queue_->Enqueue("fast", {"index-file", "{}", ""});
  });
  auto taken = queue_->Take("fast", "w1", 1, 5s);
  producer.join();
  ASSERT_TRUE(taken.ok()) << taken.error().ToString();
  EXPECT_EQ(taken->size(), 1u);
  auto started = Steady::now();
  EXPECT_TRUE(queue_->Take("fast", "w1", 1, 100ms)->empty());
  EXPECT_GE(Steady::now() - started, 100ms);
  // A Take blocked on an empty queue has its own connection: an Enqueue on
  // another thread does not wait for it.
  std::thread blocked([&] { (void)queue_->Take("idle", "w2", 1, 1500ms); });
  std::this_thread::sleep_for(100ms);
  started = Steady::now();
  EXPECT_TRUE(queue_->Enqueue("fast", {"index-file", "{}", ""}).ok());
  EXPECT_LT(Steady::now() - started, 500ms);
  blocked.join();
}

TEST_F(RedisQueueTest, ADeletedGroupIsCreatedAgain) {
  Enqueue("index-file");
  ASSERT_EQ(Take("w1").size(), 0u + 1);
  ASSERT_EQ(raw_->Integer({"XGROUP", "DESTROY", Key(), "workers"}), 1);
  Enqueue("index-file");
  auto taken = Take("w1");
  EXPECT_EQ(taken.size(), 2u) << "a new group starts from the stream's first message";
}

TEST_F(RedisQueueTest, BadInputIsRefusedAndChangesNothing) {
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
  EXPECT_EQ(queue_->Take("no such/queue", "w", 1, 0ms).error().code, ErrorCode::kInvalidParams);
  EXPECT_EQ(queue_->Take("fast", "", 1, 0ms).error().message, "consumer: 1 to 200 characters");
  TakenJob forged{"db:1", "fast", "index-file", "{}", "", 1};
  EXPECT_EQ(queue_->Ack(forged).error().message,
            "id: 'db:1' is not a Redis queue job id (redis:MS-SEQ)");
  for (std::string id : {"redis:12abc", "redis:1-", "redis:-1", "redis:1-2-3", "redis:"}) {
    forged.id = id;
    EXPECT_EQ(queue_->Fail(forged, "x").error().code, ErrorCode::kInvalidParams) << id;
  }
  forged = {"redis:1-0", "../fast", "index-file", "{}", "", 1};
  EXPECT_THAT(queue_->Ack(forged).error().message, HasSubstr("queue: '../fast'"));
  EXPECT_EQ(queue_->Counts("a b").error().code, ErrorCode::kInvalidParams);
  EXPECT_THAT(raw_->KeysUnder(prefix_), ::testing::IsEmpty()) << "nothing was written";

  auto prefix = RedisQueue::Open(url_, "has space", Options());
  ASSERT_FALSE(prefix.ok());
  EXPECT_EQ(prefix.error().code, ErrorCode::kInvalidParams);
  EXPECT_THAT(prefix.error().message, HasSubstr("jobs.queue_name: 'has space'"));
  EXPECT_EQ(RedisQueue::Open("http://127.0.0.1:1", "p", Options()).error().code,
            ErrorCode::kConfigInvalid);
}

TEST(RedisQueueAway, IsStorageUnavailableWithoutThePassword) {
  const int port = FreePort();
  ASSERT_GT(port, 0);
  auto queue = RedisQueue::Open("redis://:hunter2-secret@127.0.0.1:" + std::to_string(port) + "/0",
                                "docrunch", {});
  ASSERT_FALSE(queue.ok());
  EXPECT_EQ(queue.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_THAT(queue.error().message, HasSubstr("127.0.0.1:" + std::to_string(port)));
  EXPECT_THAT(queue.error().message, Not(HasSubstr("hunter2")));
}

}  // namespace
}  // namespace docrunch::jobs
