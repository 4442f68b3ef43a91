// The scheduler on both backends with a manual clock: a due tick fires
// once and queues its job (fast lane) or starts its run (workflow lane);
// two schedulers, even two that both believe they lead, racing on their
// own connections fire every tick exactly once; one leader at a time, and
// another takes over when its lease lapses; missed ticks fire once at
// start-up; schedules from the config, and what cannot fire.
#include "jobs/scheduler.h"

#include <gmock/gmock.h>

#include <thread>

#include "jobs/db_queue.h"
#include "jobs/demo_workflow.h"
#include "store/store_test_env.h"

namespace docrunch::jobs {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// The value, or `otherwise` (and a test failure naming the error).
template <class T>
T Or(const Result<T>& r, T otherwise) {
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  return r.ok() ? *r : otherwise;
}

Schedule Every(const std::string& name, const std::string& cron, const std::string& job,
               const std::string& input = "{}") {
  auto parsed = CronSchedule::Parse(cron);
  EXPECT_TRUE(parsed.ok()) << cron;
  return Schedule{name, std::move(*parsed), job, input};
}

class SchedulerTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ReopenWithClock(clock_);
    if (HasFatalFailure()) return;
    MigrateStore();
  }

  std::unique_ptr<Scheduler> Make(store::Store& store, const std::string& owner,
                                  std::vector<Schedule> schedules,
                                  DbWorkflowEngine* engine = nullptr,
                                  std::chrono::milliseconds lease = 10s) {
    SchedulerOptions o;
    o.owner = owner;
    o.lease = lease;
    o.poll = 1s;
    return std::make_unique<Scheduler>(store, clock_, router_, engine, std::move(schedules), o);
  }

  std::int64_t Count(const std::string& sql) {
    auto rows = store_->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.error().ToString();
    return rows.ok() ? rows->Int(0, "n").value_or(-1) : -1;
  }

  ManualClock clock_{*ParseIso8601("2026-12-06T20:00:30Z")};
  JobRouter router_ = JobRouter::Builtin();
};

TEST_P(SchedulerTest, ADueTickQueuesItsJobOnceWithTheTickRecord) {
  auto scheduler =
      Make(*store_, "a", {Every("minutely", "* * * * *", "mark", R"({"work_ms": 1})")});
  auto fired = scheduler->Tick();
  ASSERT_TRUE(fired.ok()) << fired.error().ToString();
  EXPECT_EQ(*fired, 0);  // nothing due before 20:01
  EXPECT_TRUE(scheduler->leading());
  clock_.Advance(30s);
  EXPECT_EQ(Or(scheduler->Tick(), -1), 1);
  EXPECT_EQ(Or(scheduler->Tick(), -1), 0);  // the same minute: nothing more
  auto rows = store_->Query(
      "SELECT t.tick_at, t.target, j.job_type, j.payload, j.idempotency_key FROM schedule_ticks t "
      "JOIN fast_jobs j ON t.target = 'db:' || j.id");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(*rows->Text(0, "tick_at"), "2026-12-06T20:01:00.000Z");
  EXPECT_EQ(*rows->Text(0, "job_type"), "mark");
  EXPECT_EQ(*rows->Text(0, "payload"), R"({"work_ms": 1})");
  EXPECT_EQ(*rows->Text(0, "idempotency_key"), "schedule:minutely@2026-12-06T20:01:00.000Z");
}

TEST_P(SchedulerTest, AWorkflowTickStartsARun) {
  DbWorkflowEngine engine(*store_, clock_);
  RegisterDemoWorkflow(engine);
  auto scheduler =
      Make(*store_, "a", {Every("demo", "*/5 * * * *", "demo", R"({"title": "t"})")}, &engine);
  EXPECT_EQ(Or(scheduler->Tick(), -1), 0);
  clock_.Advance(5min);
  EXPECT_EQ(Or(scheduler->Tick(), -1), 1);
  auto runs = engine.List("", 10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].workflow, "demo");
  EXPECT_EQ((*runs)[0].input["title"], "t");
  EXPECT_EQ(
      Count("SELECT count(*) AS n FROM schedule_ticks WHERE target = '" + (*runs)[0].id + "'"), 1);
}

TEST_P(SchedulerTest, TwoLeadersRacingFireEveryTickOnce) {
  auto other_store = OpenAnother();
  ASSERT_NE(other_store, nullptr);
  std::vector<Schedule> schedules;
  schedules.push_back(Every("each-minute", "* * * * *", "mark"));
  schedules.push_back(Every("each-two", "*/2 * * * *", "sync-apply"));
  auto a = Make(*store_, "a", schedules);
  auto b = Make(*other_store, "b", schedules);
  int fired_a = 0, fired_b = 0;
  ASSERT_EQ(Or(a->FireDue(), -1), 0);  // plans: the first tick is 20:01
  ASSERT_EQ(Or(b->FireDue(), -1), 0);
  for (int minute = 0; minute < 20; ++minute) {
    clock_.Advance(1min);
    // Both act as leaders (FireDue skips the lease) on their own
    // connections, at the same moment.
    std::thread ta([&] { fired_a += Or(a->FireDue(), 100); });
    std::thread tb([&] { fired_b += Or(b->FireDue(), 100); });
    ta.join();
    tb.join();
  }
  EXPECT_EQ(fired_a + fired_b, 30);
  EXPECT_EQ(Count("SELECT count(*) AS n FROM schedule_ticks"), 30);
  EXPECT_EQ(Count("SELECT count(*) AS n FROM fast_jobs"), 30);
  EXPECT_EQ(Count("SELECT count(DISTINCT idempotency_key) AS n FROM fast_jobs"), 30);
  EXPECT_EQ(Count("SELECT count(*) AS n FROM fast_jobs WHERE job_type = 'sync-apply'"), 10);
}

TEST_P(SchedulerTest, OneLeaderAtATimeAndATakeOverWhenItsLeaseLapses) {
  auto other_store = OpenAnother();
  ASSERT_NE(other_store, nullptr);
  auto a = Make(*store_, "a", {Every("m", "* * * * *", "mark")}, nullptr, 2min);
  auto b = Make(*other_store, "b", {Every("m", "* * * * *", "mark")}, nullptr, 2min);
  // 20:00 is within a lease of now: a handover may have missed it, so it fires.
  EXPECT_EQ(Or(a->Tick(), -1), 1);
  EXPECT_EQ(Or(b->Tick(), -1), 0);
  EXPECT_TRUE(a->leading());
  EXPECT_FALSE(b->leading());
  clock_.Advance(30s);  // 20:01:00: due
  EXPECT_EQ(Or(b->Tick(), -1), 0);
  EXPECT_EQ(Or(a->Tick(), -1), 1);
  // a stops ticking (its process died): its lease runs until 20:03:00.
  clock_.Advance(1min);
  EXPECT_EQ(Or(b->Tick(), -1), 0);
  EXPECT_FALSE(b->leading());
  // Past the lease, b leads and fires the tick missed meanwhile once
  // (20:03; the 20:02 one is not caught up on its own).
  clock_.Advance(61s);
  EXPECT_EQ(Or(b->Tick(), -1), 1);
  EXPECT_TRUE(b->leading());
  // a comes back: it no longer leads, and fires nothing.
  EXPECT_EQ(Or(a->Tick(), -1), 0);
  EXPECT_FALSE(a->leading());
  // b resigns: a takes over at once, and the next tick is 20:04.
  ASSERT_TRUE(b->Resign().ok());
  EXPECT_EQ(Or(a->Tick(), -1), 0);
  EXPECT_TRUE(a->leading());
  auto ticks = store_->Query("SELECT tick_at, fired_by FROM schedule_ticks ORDER BY tick_at");
  ASSERT_TRUE(ticks.ok());
  ASSERT_EQ(ticks->size(), 3u);
  EXPECT_EQ(*ticks->Text(1, "tick_at"), "2026-12-06T20:01:00.000Z");
  EXPECT_EQ(*ticks->Text(1, "fired_by"), "a");
  EXPECT_EQ(*ticks->Text(2, "tick_at"), "2026-12-06T20:03:00.000Z");
  EXPECT_EQ(*ticks->Text(2, "fired_by"), "b");
}

TEST_P(SchedulerTest, MissedTicksFireOnceAtStartUp) {
  {
    auto first = Make(*store_, "a", {Every("m", "*/10 * * * *", "mark")});
    clock_.Set(*ParseIso8601("2026-12-06T20:10:30Z"));
    EXPECT_EQ(Or(first->Tick(), -1), 0);  // never fired, 20:10 is older than a lease
    clock_.Set(*ParseIso8601("2026-12-06T20:20:05Z"));
    EXPECT_EQ(Or(first->Tick(), -1), 1);
    ASSERT_TRUE(first->Resign().ok());
  }
  // Nothing ran for an hour and a half (nine ticks): one fires, the latest.
  clock_.Set(*ParseIso8601("2026-12-06T21:55:00Z"));
  auto second = Make(*store_, "b", {Every("m", "*/10 * * * *", "mark")});
  EXPECT_EQ(Or(second->Tick(), -1), 1);
  EXPECT_EQ(Or(second->Tick(), -1), 0);
  EXPECT_EQ(Count("SELECT count(*) AS n FROM schedule_ticks WHERE tick_at = "
                  "'2026-12-06T21:50:00.000Z'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) AS n FROM schedule_ticks"), 2);
  clock_.Set(*ParseIso8601("2026-12-06T22:00:00Z"));
  EXPECT_EQ(Or(second->Tick(), -1), 1);
}

TEST_P(SchedulerTest, ALeaderDyingJustBeforeAFirstTickLeavesItToTheNext) {
  auto other_store = OpenAnother();
  ASSERT_NE(other_store, nullptr);
  auto a = Make(*store_, "a", {Every("m", "* * * * *", "mark")});
  auto b = Make(*other_store, "b", {Every("m", "* * * * *", "mark")});
  clock_.Set(*ParseIso8601("2026-12-06T20:00:55Z"));
  EXPECT_EQ(Or(a->Tick(), -1), 0);
  EXPECT_EQ(Or(b->Tick(), -1), 0);
  // a dies at 20:00:55; its lease (10 s) lapses at 20:01:05, after the
  // 20:01 tick, which nobody fired. b takes over and fires it.
  clock_.Set(*ParseIso8601("2026-12-06T20:01:06Z"));
  EXPECT_EQ(Or(b->Tick(), -1), 1);
  EXPECT_EQ(Count("SELECT count(*) AS n FROM schedule_ticks WHERE tick_at = "
                  "'2026-12-06T20:01:00.000Z' AND fired_by = 'b'"),
            1);
}

TEST_P(SchedulerTest, ATickThatCannotFireIsSkippedAndOthersGoOn) {
  // repo-scan is a workflow no engine here runs: refused, not recorded.
  auto scheduler = Make(*store_, "a",
                        {Every("scan", "* * * * *", "repo-scan"), Every("m", "* * * * *", "mark")});
  EXPECT_EQ(Or(scheduler->Tick(), -1), 0);
  clock_.Advance(1min);
  EXPECT_EQ(Or(scheduler->Tick(), -1), 1);
  EXPECT_EQ(Count("SELECT count(*) AS n FROM schedule_ticks WHERE name = 'scan'"), 0);
  EXPECT_EQ(Count("SELECT count(*) AS n FROM fast_jobs"), 1);
}

TEST(SchedulesFromConfig, BuiltInsWhenEnabledThenTheList) {
  config::JobsConfig jobs;
  jobs.schedules.push_back({"nightly", "0 3 * * *", "mark", ""});
  auto only = SchedulesFromConfig(jobs);
  ASSERT_TRUE(only.ok());
  ASSERT_EQ(only->size(), 1u);
  EXPECT_EQ((*only)[0].input, "{}");
  jobs.scheduler.enabled = true;
  auto all = SchedulesFromConfig(jobs);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].name, "scheduler.scan");
  EXPECT_EQ((*all)[0].job, "repo-scan");
  EXPECT_EQ((*all)[1].name, "scheduler.sync");
  EXPECT_EQ((*all)[1].cron.text(), "*/15 * * * *");
  jobs.schedules[0].cron = "0 25 * * *";
  auto bad = SchedulesFromConfig(jobs);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("jobs.schedules[0].cron: hour field"));
  jobs.schedules[0] = {"x", "@daily", "no-such-job", ""};
  EXPECT_THAT(SchedulesFromConfig(jobs).error().message,
              HasSubstr("jobs.schedules[0].job: unknown job type 'no-such-job'"));
}

INSTANTIATE_TEST_SUITE_P(Backends, SchedulerTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::jobs
