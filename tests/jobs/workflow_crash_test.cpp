// A worker process that crashes in a step (issue 14: "SIGSEGV in a step:
// the run resumes elsewhere and the step counts an attempt"). A forked
// child runs the run in its own process on its own connections; its step
// raises SIGSEGV, so the child dies holding the lease with nothing more
// written. This process then takes the run over once the lease lapses.
// The workflow is registered only in this test binary: Docrunch has no
// path that crashes on purpose.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>

#include "jobs/db_workflow.h"
#include "store/store_test_env.h"

namespace docrunch::jobs {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

// The value, or `otherwise` (and a test failure naming the error).
template <class T>
T Or(const Result<T>& r, T otherwise) {
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  return r.ok() ? *r : otherwise;
}

class WorkflowCrashTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ReopenWithClock(clock_);
    if (HasFatalFailure()) return;
    MigrateStore();
  }

  std::unique_ptr<DbWorkflowEngine> MakeEngine(store::Store& store, const std::string& owner,
                                               int max_attempts) {
    WorkflowWorkerOptions o;
    o.owner = owner;
    o.lease = 30s;
    o.heartbeat = 10s;
    o.concurrency = 1;
    auto engine = std::make_unique<DbWorkflowEngine>(store, clock_, o);
    const pid_t parent = parent_;
    // "crashy": a step that segfaults in any process but this test's own.
    engine->Register("crashy", [parent, max_attempts](WorkflowContext& ctx) -> Result<json> {
      auto first = ctx.Step(
          "first", [](StepCall&) -> Result<json> { return json("one"); }, {},
          [](const json&) -> Result<void> { return Ok(); });
      if (!first) return first.error();
      StepOptions options;
      options.max_attempts = max_attempts;
      options.backoff = 1s;
      return ctx.Step(
          "crashes",
          [parent](StepCall& call) -> Result<json> {
            if (getpid() != parent) raise(SIGSEGV);
            return json{{"attempt", call.attempt}};
          },
          options);
    });
    return engine;
  }

  // Runs what is due in a child process on its own store; the child's
  // wait status.
  int RunInChild() {
    pid_t child = fork();
    if (child == 0) {
      rlimit no_core{0, 0};
      setrlimit(RLIMIT_CORE, &no_core);
      store::StoreOptions o = Options();
      o.clock = &clock_;
      auto store = store::OpenStore(o);
      if (!store) _exit(3);
      auto engine = MakeEngine(**store, "child", 2);
      auto ran = engine->RunDue();
      _exit(ran ? 0 : 4);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return status;
  }

  ManualClock clock_{*ParseIso8601("2026-12-06T20:00:00Z")};
  pid_t parent_ = getpid();
};

TEST_P(WorkflowCrashTest, ARunWhoseWorkerSegfaultsResumesElsewhereAndTheStepCountsAnAttempt) {
  auto engine = MakeEngine(*store_, "parent", 2);
  auto id = engine->Start("crashy", "{}");
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  int status = RunInChild();
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGSEGV);
  // The dead child still holds the run; its step's attempt is on record.
  auto held = engine->Get(*id);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->status, "running");
  EXPECT_THAT(held->lease_owner, HasSubstr("child"));
  ASSERT_EQ(held->steps.size(), 2u);
  EXPECT_EQ(held->steps[0].status, "completed");
  EXPECT_EQ(held->steps[1].status, "running");
  EXPECT_EQ(held->steps[1].attempts, 1);
  // Not before the lease lapses...
  EXPECT_EQ(Or(engine->RunDue(), -1), 0);
  clock_.Advance(31s);
  // ...then here: the first step answers from its record, the crashed one
  // runs again as attempt 2.
  EXPECT_EQ(Or(engine->RunDue(), -1), 1);
  auto done = engine->Get(*id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, "completed");
  EXPECT_EQ(done->steps[0].attempts, 1);
  EXPECT_EQ(done->steps[1].attempts, 2);
  EXPECT_EQ(done->steps[1].status, "completed");
  EXPECT_EQ((*done->result)["attempt"], 2);
  EXPECT_EQ(done->lease_owner, "");
}

TEST_P(WorkflowCrashTest, ACrashOnTheLastAttemptFailsTheStepAndCompensates) {
  auto engine = MakeEngine(*store_, "parent", 1);
  auto id = engine->Start("crashy", "{}");
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  int status = RunInChild();  // the child allows 2 attempts, but the record says 1 is used
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGSEGV);
  clock_.Advance(31s);
  EXPECT_EQ(Or(engine->RunDue(), -1), 1);
  auto done = engine->Get(*id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, "compensated");
  EXPECT_THAT(done->error, HasSubstr("out of attempts (1)"));
  EXPECT_EQ(done->steps[1].attempts, 1);
  EXPECT_EQ(done->steps[1].status, "failed");
  EXPECT_EQ(done->steps[0].status, "compensated");
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowCrashTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::jobs
