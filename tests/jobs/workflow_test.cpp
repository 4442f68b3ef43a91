// The durable workflow engine on the database, on both backends, with a
// manual clock: replay never runs a completed step twice (also after a
// worker dies and another engine on its own connection takes the run
// over), retries with backoff, timeouts, compensations in reverse order,
// cancellation while waiting and while running, signals and their
// timeouts, timers that survive a new engine, two workers racing for one
// run, determinism errors, and bad input.
#include "jobs/db_workflow.h"

#include <gmock/gmock.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "store/store_test_env.h"

namespace docrunch::jobs {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class WorkflowTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ReopenWithClock(clock_);
    if (HasFatalFailure()) return;
    MigrateStore();
    engine_ = MakeEngine(*store_, "w1");
  }
  void TearDown() override {
    engine_.reset();
    StoreTest::TearDown();
  }

  std::unique_ptr<DbWorkflowEngine> MakeEngine(store::Store& store, const std::string& owner) {
    WorkflowWorkerOptions o;
    o.owner = owner;
    o.lease = 30s;
    o.heartbeat = 20ms;
    o.concurrency = 1;
    o.poll = 20ms;
    auto engine = std::make_unique<DbWorkflowEngine>(store, clock_, o);
    RegisterAll(*engine);
    return engine;
  }
  // A second store on the same database, as another process would have.
  std::unique_ptr<store::Store> OpenSecondStore() {
    store::StoreOptions o = Options();
    o.clock = &clock_;
    auto opened = store::OpenStore(o);
    EXPECT_TRUE(opened.ok()) << opened.error().ToString();
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  // A step that counts its executions under `name`.
  StepFn Counted(const std::string& name, json result = json()) {
    return [this, name, result](StepCall&) -> Result<json> {
      Count(name);
      return result.is_null() ? json(name + " done") : result;
    };
  }
  CompensateFn Undo(const std::string& name) {
    return [this, name](const json&) -> Result<void> {
      std::lock_guard lock(mu_);
      undone_.push_back(name);
      return Ok();
    };
  }
  void Count(const std::string& name) {
    std::lock_guard lock(mu_);
    ++runs_[name];
  }
  int Runs(const std::string& name) {
    std::lock_guard lock(mu_);
    return runs_[name];
  }

  void RegisterAll(DbWorkflowEngine& engine);

  std::string Start(const std::string& workflow, const std::string& input = "{}") {
    auto id = engine_->Start(workflow, input);
    EXPECT_TRUE(id.ok()) << id.error().ToString();
    return id.ok() ? *id : "";
  }
  int RunDue(DbWorkflowEngine& engine) {
    auto ran = engine.RunDue();
    EXPECT_TRUE(ran.ok()) << ran.error().ToString();
    return ran.ok() ? *ran : -1;
  }
  int RunDue() { return RunDue(*engine_); }
  WorkflowRun Get(const std::string& id) {
    auto run = engine_->Get(id);
    EXPECT_TRUE(run.ok()) << run.error().ToString();
    return run.ok() ? *run : WorkflowRun{};
  }

  ManualClock clock_{*ParseIso8601("2026-12-06T12:00:00Z")};
  std::unique_ptr<DbWorkflowEngine> engine_;
  std::mutex mu_;
  std::map<std::string, int> runs_;  // GUARDED_BY(mu_): executions per step
  std::vector<std::string> undone_;  // GUARDED_BY(mu_): compensations in order
  std::atomic<bool> crash_in_b_{false};
  std::atomic<int> flaky_failures_{0};
  std::atomic<bool> saw_stop_{false};
  std::atomic<bool> slow_{false};
  std::string shifty_first_ = "a";
  DbWorkflowEngine* rival_ = nullptr;  // another worker, for "hang"
  std::atomic<int> rival_ran_{-1};
};

void WorkflowTest::RegisterAll(DbWorkflowEngine& engine) {
  // a, b, c; b may "crash the worker" once.
  engine.Register("three", [this](WorkflowContext& ctx) -> Result<json> {
    auto a = ctx.Step("a", Counted("a", json{{"n", ctx.input().value("n", 0) + 1}}));
    if (!a) return a.error();
    StepOptions two_attempts;  // a worker dying in it uses one up
    two_attempts.max_attempts = 2;
    auto b = ctx.Step(
        "b",
        [this, a = *a](StepCall&) -> Result<json> {
          Count("b");
          if (crash_in_b_.exchange(false)) throw WorkerCrash();
          if (slow_) std::this_thread::sleep_for(150ms);
          return json{{"n", a["n"].get<int>() * 10}};
        },
        two_attempts);
    if (!b) return b.error();
    auto c = ctx.Step("c", Counted("c"));
    if (!c) return c.error();
    return json{{"b", *b}, {"c", *c}};
  });
  engine.Register("flaky", [this](WorkflowContext& ctx) -> Result<json> {
    StepOptions retry;
    retry.max_attempts = 3;
    retry.backoff = 1s;
    return ctx.Step(
        "flaky",
        [this](StepCall& call) -> Result<json> {
          Count("flaky");
          if (flaky_failures_ > 0) {
            --flaky_failures_;
            return MakeError(ErrorCode::kIo, "attempt " + std::to_string(call.attempt) + " failed");
          }
          return json{{"attempt", call.attempt}};
        },
        retry);
  });
  engine.Register("timeout", [this](WorkflowContext& ctx) -> Result<json> {
    StepOptions o;
    o.max_attempts = 2;
    o.backoff = 1s;
    o.timeout = 5s;
    return ctx.Step(
        "slow",
        [this](StepCall& call) -> Result<json> {
          Count("slow");
          if (call.attempt == 1) {
            clock_.Advance(6s);  // overruns its deadline
            for (int i = 0; i < 200 && !call.stop; ++i) std::this_thread::sleep_for(10ms);
            saw_stop_ = call.stop.load();
            return json{{"late", true}};
          }
          return json{{"late", false}};
        },
        o);
  });
  // a, b, c with compensations; then d (input "fail_d") fails for good.
  engine.Register("saga", [this](WorkflowContext& ctx) -> Result<json> {
    for (const char* name : {"a", "b", "c"}) {
      CompensateFn undo = Undo(name);
      if (ctx.input().value("bad_undo", "") == name) {
        undo = [this](const json&) -> Result<void> {
          std::lock_guard lock(mu_);
          undone_.push_back("b failed");
          return MakeError(ErrorCode::kIo, "cannot undo b");
        };
      }
      DOCRUNCH_TRY(ctx.Step(name, Counted(name), {}, undo));
    }
    DOCRUNCH_TRY(ctx.Step("d", [this](StepCall&) -> Result<json> {
      Count("d");
      return MakeError(ErrorCode::kIo, "d is broken");
    }));
    return json("unreachable");
  });
  // A TxStep that writes a row (may crash or fail after writing it), then
  // a step that may fail for good (input "fail_after"): its compensation
  // deletes the row.
  engine.Register("ledger", [this](WorkflowContext& ctx) -> Result<json> {
    auto wrote = ctx.TxStep(
        "write",
        [this](store::Tx& tx, StepCall& call) -> Result<json> {
          Count("write");
          auto made = tx.Query(
              "INSERT INTO repositories (name, root_path, created_at, updated_at) "
              "VALUES ('ledger', $1, $2, $2) RETURNING id",
              {"/ledger/" + std::to_string(call.attempt), FormatIso8601(tx.clock().Now())});
          if (!made) return made.error();
          if (crash_in_b_.exchange(false)) throw WorkerCrash();
          if (flaky_failures_ > 0) {
            --flaky_failures_;
            return MakeError(ErrorCode::kIo, "failed after writing");
          }
          return json{{"id", *made->Int(0, "id")}};
        },
        {.max_attempts = 3, .backoff = 1s},
        [this](const json& result) -> Result<void> {
          Count("unwrite");
          return store_->Transact([&](store::Tx& tx) -> Result<void> {
            auto gone = tx.Exec("DELETE FROM repositories WHERE id = $1",
                                {result["id"].get<std::int64_t>()});
            if (!gone) return gone.error();
            return Ok();
          });
        });
    if (!wrote) return wrote.error();
    DOCRUNCH_TRY(ctx.Step("after", [&ctx](StepCall&) -> Result<json> {
      if (ctx.input().value("fail_after", false)) {
        return MakeError(ErrorCode::kIo, "after is broken");
      }
      return json("after done");
    }));
    return *wrote;
  });
  engine.Register("no-undo", [this](WorkflowContext& ctx) -> Result<json> {
    DOCRUNCH_TRY(ctx.Step("a", Counted("a")));
    return MakeError(ErrorCode::kInvalidParams, "the workflow gave up");
  });
  // a (undoable), sleep an hour, b.
  engine.Register("sleepy", [this](WorkflowContext& ctx) -> Result<json> {
    DOCRUNCH_TRY(ctx.Step("a", Counted("a"), {}, Undo("a")));
    DOCRUNCH_TRY(ctx.Sleep(1h));
    DOCRUNCH_TRY(ctx.Step("b", Counted("b")));
    return json("woke");
  });
  // a (undoable), b cancels its own run while running (twice), c.
  engine.Register("cancel-inside", [this](WorkflowContext& ctx) -> Result<json> {
    DOCRUNCH_TRY(ctx.Step("a", Counted("a"), {}, Undo("a")));
    const std::string id = ctx.run_id();
    DOCRUNCH_TRY(ctx.Step(
        "b",
        [this, id](StepCall&) -> Result<json> {
          Count("b");
          auto first = engine_->Cancel(id);
          auto second = engine_->Cancel(id);
          return json{{"first", first.ok() ? "ok" : first.error().ToString()},
                      {"second", second.ok() ? "ok" : second.error().ToString()}};
        },
        {}, Undo("b")));
    DOCRUNCH_TRY(ctx.Step("c", Counted("c")));
    return json("not cancelled");
  });
  engine.Register("approval", [this](WorkflowContext& ctx) -> Result<json> {
    DOCRUNCH_TRY(ctx.Step("draft", Counted("draft")));
    auto approval = ctx.WaitForSignal("approve", 1h);
    if (!approval) return approval.error();
    if (approval->timed_out) return json{{"approved", false}};
    auto published = ctx.Step("publish", [this, data = approval->data](StepCall&) -> Result<json> {
      Count("publish");
      return json{{"approved", true}, {"by", data.value("by", "")}};
    });
    return published;
  });
  // Step "long" of the first execution lets 31 s pass on the clock (more
  // than the lease), then a rival worker runs what is due; with input
  // "heartbeat" it waits (real time) for heartbeats 25 s into them.
  engine.Register("hang", [this](WorkflowContext& ctx) -> Result<json> {
    const bool heartbeat = ctx.input().value("heartbeat", false);
    StepOptions twice;
    twice.max_attempts = 2;
    auto long_step = ctx.Step(
        "long",
        [this, heartbeat](StepCall& call) -> Result<json> {
          Count("long");
          if (call.attempt > 1) return json("second");
          if (heartbeat) {
            clock_.Advance(25s);
            std::this_thread::sleep_for(300ms);  // heartbeats renew the lease
            clock_.Advance(6s);
          } else {
            clock_.Advance(31s);
          }
          std::thread rival([this] {
            auto ran = rival_->RunDue();
            rival_ran_ = ran.ok() ? *ran : -2;
          });
          rival.join();
          return json("first");
        },
        twice);
    if (!long_step) return long_step.error();
    DOCRUNCH_TRY(ctx.Step("after", Counted("after")));
    return *long_step;
  });
  engine.Register("shifty", [this](WorkflowContext& ctx) -> Result<json> {
    DOCRUNCH_TRY(ctx.Step(shifty_first_, Counted(shifty_first_), {}, Undo(shifty_first_)));
    DOCRUNCH_TRY(ctx.Sleep(1min));
    return json("done");
  });
}

TEST_P(WorkflowTest, ACompletedStepNeverRunsTwiceWhenAnotherWorkerTakesOverADeadOnesRun) {
  std::string id = Start("three", R"({"n": 4})");
  crash_in_b_ = true;
  EXPECT_EQ(RunDue(), 1);
  WorkflowRun crashed = Get(id);
  EXPECT_EQ(crashed.status, "running") << "the dead worker still holds the lease";
  ASSERT_EQ(crashed.steps.size(), 2u);
  EXPECT_EQ(crashed.steps[0].status, "completed");
  EXPECT_EQ(crashed.steps[1].status, "running");
  EXPECT_EQ(crashed.steps[1].attempts, 1) << "counted before it ran";

  auto other_store = OpenSecondStore();
  ASSERT_NE(other_store, nullptr);
  auto other = MakeEngine(*other_store, "w2");
  EXPECT_EQ(RunDue(*other), 0) << "the lease has not expired";
  clock_.Advance(31s);
  EXPECT_EQ(RunDue(*other), 1);

  WorkflowRun done = Get(id);
  EXPECT_EQ(done.status, "completed") << done.error;
  EXPECT_EQ(done.result, (json{{"b", {{"n", 50}}}, {"c", "c done"}}));
  EXPECT_EQ(Runs("a"), 1) << "completed before the crash: never again";
  EXPECT_EQ(Runs("b"), 2) << "the crashed attempt and the one that completed";
  EXPECT_EQ(Runs("c"), 1);
  ASSERT_EQ(done.steps.size(), 3u);
  EXPECT_EQ(done.steps[1].attempts, 2);
  EXPECT_EQ(done.lease_owner, "");
  EXPECT_FALSE(done.finished_at.empty());
  // Running the engines again changes nothing.
  EXPECT_EQ(RunDue(), 0);
  EXPECT_EQ(Runs("a") + Runs("b") + Runs("c"), 4);
}

TEST_P(WorkflowTest, AWorkerDyingInAStepUsesUpAnAttempt) {
  std::string id = Start("three");
  crash_in_b_ = true;
  RunDue();
  clock_.Advance(31s);
  crash_in_b_ = true;  // and again: both attempts are gone
  RunDue();
  clock_.Advance(31s);
  EXPECT_EQ(RunDue(), 1);
  WorkflowRun run = Get(id);
  EXPECT_EQ(run.status, "failed");
  EXPECT_THAT(run.error, HasSubstr("step 'b' failed: out of attempts (2)"));
  EXPECT_EQ(run.steps.at(1).attempts, 2);
  EXPECT_EQ(run.steps.at(1).status, "failed");
  EXPECT_EQ(Runs("b"), 2);
  EXPECT_EQ(Runs("a"), 1);
}

TEST_P(WorkflowTest, ATxStepsWritesCommitWithItsCompletionExactlyOnce) {
  std::string id = Start("ledger");
  crash_in_b_ = true;  // the worker dies after the write, before the commit
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(CountRows("repositories"), 0) << "a crash mid-step leaves none of its writes";
  EXPECT_EQ(Get(id).steps.at(0).status, "running");
  clock_.Advance(31s);
  flaky_failures_ = 1;  // the next attempt fails after writing: rolled back too
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(CountRows("repositories"), 0);
  clock_.Advance(2s);  // the backoff
  EXPECT_EQ(RunDue(), 1);
  WorkflowRun run = Get(id);
  EXPECT_EQ(run.status, "completed") << run.error;
  EXPECT_EQ(Runs("write"), 3);
  EXPECT_EQ(run.steps.at(0).attempts, 3);
  EXPECT_EQ(CountRows("repositories"), 1) << "three attempts, one effect";
  auto rows = store_->Query("SELECT root_path FROM repositories");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Text(0, "root_path"), "/ledger/3");
  EXPECT_EQ(run.result, run.steps.at(0).result) << "the recorded result is the committed one";
}

TEST_P(WorkflowTest, ATxStepIsCompensatedWhenALaterStepFailsForGood) {
  std::string id = Start("ledger", R"({"fail_after": true})");
  EXPECT_EQ(RunDue(), 1);
  WorkflowRun run = Get(id);
  EXPECT_EQ(run.status, "compensated") << run.error;
  EXPECT_EQ(run.steps.at(0).status, "compensated");
  EXPECT_EQ(Runs("unwrite"), 1);
  EXPECT_EQ(CountRows("repositories"), 0) << "as before the run";
}

TEST_P(WorkflowTest, AWorkerThatLostItsLeaseWritesNothingMore) {
  auto other_store = OpenSecondStore();
  ASSERT_NE(other_store, nullptr);
  auto other = MakeEngine(*other_store, "w2");
  rival_ = other.get();
  std::string id = Start("hang");
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(rival_ran_.load(), 1) << "the lease expired: the rival took the run over";
  WorkflowRun run = Get(id);
  EXPECT_EQ(run.status, "completed") << run.error;
  EXPECT_EQ(run.result, json("second")) << "the first worker's late result was discarded";
  EXPECT_EQ(Runs("long"), 2) << "an unfinished step runs again elsewhere";
  EXPECT_EQ(Runs("after"), 1);
  EXPECT_EQ(run.steps.at(0).attempts, 2);
}

TEST_P(WorkflowTest, HeartbeatsKeepALongStepsLease) {
  WorkflowWorkerOptions o;
  o.owner = "beating";
  o.lease = 30s;
  o.heartbeat = 20ms;
  DbWorkflowEngine beating(*store_, clock_, o);
  RegisterAll(beating);
  auto other_store = OpenSecondStore();
  ASSERT_NE(other_store, nullptr);
  auto other = MakeEngine(*other_store, "w2");
  rival_ = other.get();
  // The step takes 31 s of the clock, but heartbeats renewed the 30 s
  // lease 25 s into them: the rival finds nothing to take.
  std::string id = Start("hang", R"({"heartbeat": true})");
  EXPECT_EQ(RunDue(beating), 1);
  EXPECT_EQ(rival_ran_.load(), 0);
  WorkflowRun run = Get(id);
  EXPECT_EQ(run.status, "completed") << run.error;
  EXPECT_EQ(run.result, json("first"));
  EXPECT_EQ(Runs("long"), 1);
}

TEST_P(WorkflowTest, AFailingStepIsRetriedWithBackoffUntilItSucceeds) {
  flaky_failures_ = 2;
  std::string id = Start("flaky");
  EXPECT_EQ(RunDue(), 1);
  WorkflowRun first = Get(id);
  EXPECT_EQ(first.status, "waiting");
  EXPECT_EQ(first.wake_at, "2026-12-06T12:00:01.000Z");
  EXPECT_THAT(first.steps.at(0).error, HasSubstr("attempt 1 failed"));
  clock_.Advance(999ms);
  EXPECT_EQ(RunDue(), 0) << "the backoff has not passed";
  clock_.Advance(1ms);
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(Get(id).wake_at, "2026-12-06T12:00:03.000Z") << "the second backoff doubles";
  clock_.Advance(1s);
  EXPECT_EQ(RunDue(), 0);
  clock_.Advance(1s);
  EXPECT_EQ(RunDue(), 1);
  WorkflowRun done = Get(id);
  EXPECT_EQ(done.status, "completed") << done.error;
  EXPECT_EQ(done.result, (json{{"attempt", 3}}));
  EXPECT_EQ(done.steps.at(0).attempts, 3);
  EXPECT_EQ(done.steps.at(0).status, "completed");
  EXPECT_EQ(Runs("flaky"), 3);
}

TEST_P(WorkflowTest, AStepOutOfAttemptsFailsTheRun) {
  flaky_failures_ = 5;
  std::string id = Start("flaky");
  for (int i = 0; i < 3; ++i) {
    RunDue();
    clock_.Advance(10s);
  }
  WorkflowRun run = Get(id);
  EXPECT_EQ(run.status, "failed") << "nothing to compensate";
  EXPECT_THAT(run.error, HasSubstr("attempt 3 failed"));
  EXPECT_THAT(run.error, HasSubstr("nothing to compensate"));
  EXPECT_EQ(run.steps.at(0).status, "failed");
  EXPECT_EQ(Runs("flaky"), 3);
}

TEST_P(WorkflowTest, AnAttemptThatOverrunsItsTimeoutIsStoppedAndDiscarded) {
  std::string id = Start("timeout");
  EXPECT_EQ(RunDue(), 1);
  EXPECT_TRUE(saw_stop_) << "the step was told to stop once its deadline passed";
  WorkflowRun first = Get(id);
  EXPECT_EQ(first.status, "waiting");
  ASSERT_EQ(first.steps.size(), 1u);
  EXPECT_THAT(first.steps[0].error, HasSubstr("timed out after 5000 ms"));
  EXPECT_FALSE(first.steps[0].result.has_value()) << "the late result is discarded";
  clock_.Advance(1s);
  EXPECT_EQ(RunDue(), 1);
  WorkflowRun done = Get(id);
  EXPECT_EQ(done.status, "completed");
  EXPECT_EQ(done.result, (json{{"late", false}}));
  EXPECT_EQ(Runs("slow"), 2);
}

TEST_P(WorkflowTest, APermanentFailureCompensatesTheCompletedStepsInReverseOrder) {
  std::string id = Start("saga");
  EXPECT_EQ(RunDue(), 1);
  WorkflowRun run = Get(id);
  EXPECT_EQ(run.status, "compensated");
  EXPECT_THAT(run.error, HasSubstr("d is broken"));
  EXPECT_THAT(undone_, ElementsAre("c", "b", "a"));
  ASSERT_EQ(run.steps.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run.steps[i].status, "compensated") << i;
  EXPECT_EQ(run.steps[3].status, "failed");
  EXPECT_EQ(Runs("d"), 1);
  EXPECT_EQ(RunDue(), 0);
  EXPECT_EQ(undone_.size(), 3u) << "compensated once";
}

TEST_P(WorkflowTest, AFailedCompensationOrNothingToUndoEndsFailed) {
  std::string id = Start("saga", R"({"bad_undo": "b"})");
  RunDue();
  WorkflowRun run = Get(id);
  EXPECT_EQ(run.status, "failed");
  EXPECT_THAT(run.error, HasSubstr("the compensation of step 'b' failed"));
  EXPECT_THAT(undone_, ElementsAre("c", "b failed", "a")) << "the others still run";
  EXPECT_EQ(run.steps.at(1).status, "compensation_failed");
  EXPECT_EQ(run.steps.at(0).status, "compensated");

  std::string plain = Start("no-undo");
  RunDue();
  WorkflowRun nothing = Get(plain);
  EXPECT_EQ(nothing.status, "failed");
  EXPECT_THAT(nothing.error, HasSubstr("the workflow gave up"));
  EXPECT_THAT(nothing.error, HasSubstr("nothing to compensate"));
}

TEST_P(WorkflowTest, CancellingAWaitingRunCompensatesAndEndsCancelled) {
  std::string id = Start("sleepy");
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(Get(id).status, "waiting");
  ASSERT_TRUE(engine_->Cancel(id).ok());
  auto twice = engine_->Cancel(id);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, ErrorCode::kTaskInvalidTransition);
  EXPECT_THAT(twice.error().message, HasSubstr("already requested"));
  EXPECT_EQ(RunDue(), 1) << "woken at once, not after the hour";
  WorkflowRun run = Get(id);
  EXPECT_EQ(run.status, "cancelled");
  EXPECT_THAT(undone_, ElementsAre("a"));
  EXPECT_EQ(Runs("b"), 0);
  auto again = engine_->Cancel(id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message,
            "run " + id + " is already cancelled: there is nothing to cancel");
}

TEST_P(WorkflowTest, CancellingARunningRunStopsItAtTheNextStepBoundary) {
  std::string id = Start("cancel-inside");
  EXPECT_EQ(RunDue(), 1);
  WorkflowRun run = Get(id);
  EXPECT_EQ(run.status, "cancelled");
  EXPECT_EQ(Runs("b"), 1);
  EXPECT_EQ(Runs("c"), 0) << "the step after the request never started";
  EXPECT_THAT(undone_, ElementsAre("b", "a"));
  ASSERT_EQ(run.steps.size(), 2u);
  EXPECT_EQ(run.steps[1].result->value("first", ""), "ok");
  EXPECT_THAT(run.steps[1].result->value("second", ""), HasSubstr("already requested"));
}

TEST_P(WorkflowTest, CancellingAPendingRunEndsItAtOnce) {
  std::string id = Start("three");
  ASSERT_TRUE(engine_->Cancel(id).ok());
  EXPECT_EQ(Get(id).status, "cancelled");
  EXPECT_EQ(RunDue(), 0);
  EXPECT_EQ(Runs("a"), 0);
}

TEST_P(WorkflowTest, ASignalWakesAWaitingRun) {
  std::string id = Start("approval");
  EXPECT_EQ(RunDue(), 1);
  WorkflowRun waiting = Get(id);
  EXPECT_EQ(waiting.status, "waiting");
  EXPECT_EQ(waiting.wake_at, "2026-12-06T13:00:00.000Z") << "the wait's timeout";
  EXPECT_EQ(RunDue(), 0);
  ASSERT_TRUE(engine_->Signal(id, "reject", R"({"by": "bob"})").ok());
  RunDue();
  EXPECT_EQ(Get(id).status, "waiting") << "another signal's name does not satisfy the wait";
  ASSERT_TRUE(engine_->Signal(id, "approve", R"({"by": "ann"})").ok());
  ASSERT_TRUE(engine_->Signal(id, "approve", R"({"by": "carl"})").ok());
  EXPECT_EQ(RunDue(), 1);
  WorkflowRun done = Get(id);
  EXPECT_EQ(done.status, "completed") << done.error;
  EXPECT_EQ(done.result, (json{{"approved", true}, {"by", "ann"}})) << "the oldest first";
  EXPECT_EQ(Runs("draft"), 1);
  ASSERT_EQ(done.signals.size(), 3u);
  EXPECT_EQ(done.signals[0].consumed_at, "");
  EXPECT_FALSE(done.signals[1].consumed_at.empty());
  EXPECT_EQ(done.signals[2].consumed_at, "");
  EXPECT_EQ(done.steps.at(1).kind, "signal");
}

TEST_P(WorkflowTest, ASignalSentBeforeTheWaitIsConsumedWithoutWaiting) {
  std::string id = Start("approval");
  ASSERT_TRUE(engine_->Signal(id, "approve", R"({"by": "early"})").ok());
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(Get(id).result, (json{{"approved", true}, {"by", "early"}}));
}

TEST_P(WorkflowTest, AWaitForASignalTimesOut) {
  std::string id = Start("approval");
  RunDue();
  clock_.Advance(59min);
  EXPECT_EQ(RunDue(), 0);
  clock_.Advance(1min);
  EXPECT_EQ(RunDue(), 1);
  WorkflowRun done = Get(id);
  EXPECT_EQ(done.status, "completed");
  EXPECT_EQ(done.result, (json{{"approved", false}}));
  EXPECT_EQ(Runs("publish"), 0);
  EXPECT_EQ(done.steps.at(1).result->value("timed_out", false), true);
}

TEST_P(WorkflowTest, ASleepSurvivesABrandNewEngineOnAnotherConnection) {
  std::string id = Start("sleepy");
  EXPECT_EQ(RunDue(), 1);
  engine_.reset();
  auto other_store = OpenSecondStore();
  ASSERT_NE(other_store, nullptr);
  auto fresh = MakeEngine(*other_store, "w2");
  clock_.Advance(59min);
  EXPECT_EQ(RunDue(*fresh), 0);
  clock_.Advance(1min);
  EXPECT_EQ(RunDue(*fresh), 1);
  auto run = fresh->Get(id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, "completed");
  EXPECT_EQ(Runs("a"), 1);
  EXPECT_EQ(Runs("b"), 1);
  EXPECT_EQ(run->steps.at(1).kind, "sleep");
  EXPECT_EQ(run->steps.at(1).result->value("until", ""), "2026-12-06T13:00:00.000Z");
}

TEST_P(WorkflowTest, TwoWorkersRacingNeverBothRunOneRun) {
  slow_ = true;
  constexpr int kRuns = 4;
  for (int i = 0; i < kRuns; ++i) Start("three", R"({"n": )" + std::to_string(i) + "}");
  auto other_store = OpenSecondStore();
  ASSERT_NE(other_store, nullptr);
  auto other = MakeEngine(*other_store, "w2");
  std::atomic<int> total{0};
  std::atomic<int> errors{0};
  auto work = [&](DbWorkflowEngine& engine) {
    auto ran = engine.RunDue();
    if (ran)
      total += *ran;
    else
      ++errors;
  };
  std::thread t1(work, std::ref(*engine_));
  std::thread t2(work, std::ref(*other));
  t1.join();
  t2.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(total.load(), kRuns);
  EXPECT_EQ(Runs("a"), kRuns);
  EXPECT_EQ(Runs("b"), kRuns);
  EXPECT_EQ(Runs("c"), kRuns);
  auto done = engine_->List("completed", 100);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->size(), static_cast<std::size_t>(kRuns));
}

TEST_P(WorkflowTest, AWorkerPoolRunsWorkflowsUntilStopped) {
  std::string id = Start("three");
  std::atomic<bool> stop{false};
  std::thread worker([&] { ASSERT_TRUE(engine_->RunWorker(stop).ok()); });
  for (int i = 0; i < 200 && Get(id).status != "completed"; ++i) std::this_thread::sleep_for(10ms);
  stop = true;
  worker.join();
  EXPECT_EQ(Get(id).status, "completed");
}

// A worker takes its next run in the transaction that ends the previous
// one: every run still runs once, each step once, each claim recorded.
TEST_P(WorkflowTest, AWorkerPoolTakesItsNextRunAsItEndsOne) {
  constexpr int kRuns = 6;
  std::vector<std::string> ids;
  for (int i = 0; i < kRuns; ++i) ids.push_back(Start("three"));
  std::atomic<bool> stop{false};
  std::thread worker([&] { ASSERT_TRUE(engine_->RunWorker(stop).ok()); });
  auto all_done = [&] {
    auto done = engine_->List("completed", 100);
    return done.ok() && done->size() == static_cast<std::size_t>(kRuns);
  };
  for (int i = 0; i < 500 && !all_done(); ++i) std::this_thread::sleep_for(10ms);
  stop = true;
  worker.join();
  ASSERT_TRUE(all_done());
  EXPECT_EQ(Runs("a"), kRuns);
  EXPECT_EQ(Runs("b"), kRuns);
  EXPECT_EQ(Runs("c"), kRuns);
  for (const auto& id : ids) {
    auto running = store_->Query(
        "SELECT count(*) AS n FROM sync_events WHERE entity_type = 'workflow' AND entity_id = $1 "
        "AND content_hash = 'running'",
        {id});
    ASSERT_TRUE(running.ok());
    EXPECT_EQ(running->Int(0, "n").value_or(0), 1) << id;
    EXPECT_TRUE(Get(id).lease_owner.empty()) << id;
  }
}

TEST_P(WorkflowTest, ADifferentStepAtARecordedPositionIsADeterminismError) {
  std::string id = Start("shifty");
  EXPECT_EQ(RunDue(), 1);
  shifty_first_ = "z";  // the code changed while the run slept
  clock_.Advance(1min);
  EXPECT_EQ(RunDue(), 1);
  WorkflowRun run = Get(id);
  EXPECT_EQ(run.status, "failed");
  EXPECT_EQ(run.error,
            "determinism error: step 1 is recorded as step 'a' but the workflow now calls step "
            "'z' there (did its code change while the run was in flight?)");
  EXPECT_EQ(Runs("z"), 0);
  EXPECT_TRUE(undone_.empty()) << "no compensations for code that no longer matches";
}

TEST_P(WorkflowTest, LifecycleEventsGoThroughTheOutbox) {
  std::string id = Start("three");
  RunDue();
  auto events = store_->Query(
      "SELECT content_hash, repository_id FROM sync_events WHERE entity_type = 'workflow' AND "
      "entity_id = $1 ORDER BY id",
      {id});
  ASSERT_TRUE(events.ok());
  std::vector<std::string> what;
  for (std::size_t i = 0; i < events->size(); ++i) what.push_back(*events->Text(i, "content_hash"));
  EXPECT_THAT(what, ElementsAre("pending", "running", "step:1:completed", "step:2:completed",
                                "step:3:completed", "completed"));
  EXPECT_FALSE(events->Int(0, "repository_id").has_value());
  auto pending = store_->Query(
      "SELECT count(*) AS n FROM sync_events WHERE entity_type = 'workflow' AND processed_at IS "
      "NULL");
  EXPECT_EQ(pending->Int(0, "n"), 0) << "no sync target applies them: they never wait for one";
}

TEST_P(WorkflowTest, BadInputIsRefusedWithClearErrorsAndWritesNothing) {
  auto unknown = engine_->Start("nope", "{}");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidParams);
  EXPECT_THAT(unknown.error().message, HasSubstr("workflow: 'nope' is not a registered workflow"));
  auto malformed = engine_->Start("three", "{not json");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().message, "input: not valid JSON");
  EXPECT_EQ(CountRows("workflow_runs"), 0);
  EXPECT_EQ(CountRows("sync_events"), 0);

  auto missing = engine_->Signal("wf-0000000000000000", "approve", "{}");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kStorageNotFound);
  EXPECT_EQ(missing.error().message, "id: no workflow run 'wf-0000000000000000'");
  EXPECT_EQ(engine_->Cancel("wf-0000000000000000").error().code, ErrorCode::kStorageNotFound);
  EXPECT_EQ(engine_->Get("wf-0000000000000000").error().code, ErrorCode::kStorageNotFound);

  std::string id = Start("three");
  EXPECT_EQ(engine_->Signal(id, "Not A Name", "{}").error().code, ErrorCode::kInvalidParams);
  EXPECT_EQ(engine_->Signal(id, "approve", "{oops").error().message, "data: not valid JSON");
  RunDue();
  auto finished = engine_->Signal(id, "approve", "{}");
  ASSERT_FALSE(finished.ok());
  EXPECT_EQ(finished.error().code, ErrorCode::kTaskInvalidTransition);
  EXPECT_EQ(finished.error().message, "run " + id + " is completed: it takes no more signals");
  auto cancel = engine_->Cancel(id);
  ASSERT_FALSE(cancel.ok());
  EXPECT_EQ(cancel.error().code, ErrorCode::kTaskInvalidTransition);
  EXPECT_EQ(CountRows("workflow_signals"), 0);
  EXPECT_EQ(engine_->List("sleeping", 10).error().code, ErrorCode::kInvalidParams);
  EXPECT_EQ(engine_->List("", 0).error().message, "limit: 1 to 1000");
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::jobs
