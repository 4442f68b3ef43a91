// The RepoScanWorkflow on both backends, stopped at every step as a killed
// worker would stop it (a WorkerCrash thrown right after the step's work,
// before its completion is recorded), then taken over once the lease
// expires: each run ends with the database and the Markdown folder equal
// to an uninterrupted inline scan of the same tree (the reference, on
// SQLite), through a first scan and incremental rescans that add, change
// and delete files. A run whose last step fails for good is compensated:
// the knowledge base and its pages are left as before the run.
#include <gmock/gmock.h>

#include <atomic>
#include <fstream>
#include <map>
#include <sstream>

#include "../scan/scan_fixture.h"
#include "app/builtin_workflows.h"
#include "app/scan_runner.h"
#include "jobs/db_workflow.h"
#include "scan_compare.h"
#include "store/store_test_env.h"
#include "support/temp_dir.h"

namespace docrunch::app {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// Forwards to the engine's context; stops the worker (WorkerCrash) right
// after the work of the step named `crash_at`, or fails every attempt of
// the step named `fail_at`.
class StoppingContext final : public jobs::WorkflowContext {
 public:
  StoppingContext(jobs::WorkflowContext& inner, std::string& crash_at, const std::string& fail_at)
      : inner_(inner), crash_at_(crash_at), fail_at_(fail_at) {}
  const std::string& run_id() const override { return inner_.run_id(); }
  const json& input() const override { return inner_.input(); }
  Result<json> Step(const std::string& name, const jobs::StepFn& fn,
                    const jobs::StepOptions& options,
                    const jobs::CompensateFn& compensate) override {
    return inner_.Step(
        name,
        [&](jobs::StepCall& call) -> Result<json> {
          if (name == fail_at_) return MakeError(ErrorCode::kIo, "injected failure");
          auto out = fn(call);
          Stop(name);
          return out;
        },
        options, compensate);
  }
  Result<json> TxStep(const std::string& name, const jobs::TxStepFn& fn,
                      const jobs::StepOptions& options,
                      const jobs::CompensateFn& compensate) override {
    return inner_.TxStep(
        name,
        [&](store::Tx& tx, jobs::StepCall& call) -> Result<json> {
          auto out = fn(tx, call);
          Stop(name);
          return out;
        },
        options, compensate);
  }
  Result<void> Sleep(std::chrono::milliseconds d) override { return inner_.Sleep(d); }
  Result<void> SleepUntil(TimePoint t) override { return inner_.SleepUntil(t); }
  Result<jobs::SignalResult> WaitForSignal(const std::string& name,
                                           std::chrono::milliseconds timeout) override {
    return inner_.WaitForSignal(name, timeout);
  }

 private:
  void Stop(const std::string& name) {
    if (name != crash_at_) return;
    crash_at_.clear();
    throw jobs::WorkerCrash();
  }
  jobs::WorkflowContext& inner_;
  std::string& crash_at_;
  const std::string& fail_at_;
};

class RepoScanWorkflowTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ReopenWithClock(clock_);
    if (HasFatalFailure()) return;
    MigrateStore();
    testing::WriteSampleRepository(repo_);
    // Enough files for several checkpointed parse batches.
    for (int i = 0; i < 450; ++i) {
      repo_.Write(
          "pkg/m" + std::to_string(i) + ".py",
          (i ? "from .m" + std::to_string(i - 1) + " import f" + std::to_string(i - 1) + "\n\n"
             : std::string()) +
              "def f" + std::to_string(i) + "(x):\n    \"\"\"Step " + std::to_string(i) +
              ".\"\"\"\n    return x + " + std::to_string(i) + "\n");
    }
    config_.project.name = "sample";
    store::StoreOptions reference;
    reference.sqlite_path = (reference_dir_.path() / "reference.db").string();
    auto opened = store::OpenStore(reference);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    reference_ = std::move(*opened);
    auto migrated = reference_->Migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.error().ToString();

    jobs::WorkflowWorkerOptions o;
    o.owner = "w1";
    o.lease = 30s;
    o.heartbeat = 10s;
    o.concurrency = 1;
    engine_ = std::make_unique<jobs::DbWorkflowEngine>(*store_, clock_, o);
    auto scan = RepoScanWorkflow(*store_, config_, repo_.path());
    engine_->Register("repo-scan", [this, scan](jobs::WorkflowContext& ctx) {
      StoppingContext stopping(ctx, crash_at_, fail_at_);
      return scan(stopping);
    });
  }
  void TearDown() override {
    engine_.reset();
    StoreTest::TearDown();
  }

  // The inline scan of the tree as it is now, into the reference store.
  void ScanReference() {
    ScanRequest request{repo_.path(), reference_docs_, "sample", false, nullptr, nullptr};
    auto scanned = RunScan(*reference_, config_, request);
    ASSERT_TRUE(scanned.ok()) << scanned.error().ToString();
  }

  // A repo-scan run of the tree, its worker stopped after the work of
  // `crash_at` ("" : never), then taken over until it ends.
  jobs::WorkflowRun RunScanWorkflow(const std::string& crash_at) {
    RepoScanInput input{repo_.path(), docs_, "sample", false};
    auto id = engine_->Start("repo-scan", RepoScanInputJson(input).dump());
    EXPECT_TRUE(id.ok()) << id.error().ToString();
    if (!id.ok()) return {};
    crash_at_ = crash_at;
    for (int i = 0; i < 10; ++i) {
      auto ran = engine_->RunDue();
      EXPECT_TRUE(ran.ok()) << ran.error().ToString();
      auto run = engine_->Get(*id);
      EXPECT_TRUE(run.ok());
      if (!run.ok() || jobs::IsFinalRunStatus(run->status))
        return run.ok() ? *run : jobs::WorkflowRun{};
      clock_.Advance(31s);  // the dead worker's lease expires, or a backoff passes
    }
    ADD_FAILURE() << "the run did not end";
    return {};
  }

  void ExpectSameAsReference(const std::string& when) {
    EXPECT_EQ(Dump(*store_), Dump(*reference_)) << when;
    auto ours = Tree(docs_), theirs = Tree(reference_docs_);
    EXPECT_EQ(ours.size(), theirs.size()) << when;
    for (const auto& [path, bytes] : theirs) {
      auto it = ours.find(path);
      if (it == ours.end()) {
        ADD_FAILURE() << when << ": " << path << " is missing";
      } else {
        EXPECT_EQ(it->second, bytes) << when << ": " << path << " differs";
      }
    }
  }

  ManualClock clock_{*ParseIso8601("2026-12-06T12:00:00Z")};
  testing::TempDir repo_, out_, reference_dir_;
  fs::path docs_ = out_.path() / "docs";
  fs::path reference_docs_ = reference_dir_.path() / "docs";
  config::Config config_;
  std::unique_ptr<store::Store> reference_;
  std::unique_ptr<jobs::DbWorkflowEngine> engine_;
  std::string crash_at_, fail_at_;
};

TEST_P(RepoScanWorkflowTest, AWorkerKilledAtAnyStepResumesToTheSameDatabaseAndPages) {
  // A first scan, then rescans after changes, each stopped at another step.
  const std::vector<std::pair<std::string, std::function<void()>>> rounds = {
      {"parse-2", [] {}},  // the first scan: 453 files, three parse batches
      {"walk",
       [this] {
         repo_.Write("pkg/m7.py", "def f7(x):\n    \"\"\"Changed.\"\"\"\n    return -x\n");
         repo_.Write("pkg/new.py", "from .m7 import f7\n\nclass New:\n    pass\n");
       }},
      {"analyze", [this] { fs::remove(repo_ / "pkg/m3.py"); }},
      {"store", [this] { repo_.Write("app/extra.py", "def extra():\n    return 1\n"); }},
      {"index", [this] { repo_.Write("pkg/m100.py", "def f100(y):\n    return y * 2\n"); }},
      {"markdown", [this] { repo_.Write("pkg/m101.py", "def f101(y):\n    return y * 3\n"); }},
  };
  int round = 0;
  for (const auto& [crash_at, change] : rounds) {
    change();
    ScanReference();
    if (HasFatalFailure()) return;
    jobs::WorkflowRun run = RunScanWorkflow(crash_at);
    const std::string when = "round " + std::to_string(++round) + ", stopped after " + crash_at;
    ASSERT_EQ(run.status, "completed") << when << ": " << run.error;
    EXPECT_TRUE(crash_at_.empty()) << when << ": the step was reached";
    int taken_twice = 0;
    for (const auto& step : run.steps) {
      EXPECT_EQ(step.status, "completed") << when << ": " << step.name;
      if (step.name == crash_at) {
        EXPECT_EQ(step.attempts, 2) << when << ": the killed attempt counts";
        ++taken_twice;
      } else {
        EXPECT_EQ(step.attempts, 1) << when << ": " << step.name << " ran once";
      }
    }
    EXPECT_EQ(taken_twice, 1) << when;
    ExpectSameAsReference(when);
  }
}

TEST_P(RepoScanWorkflowTest, AFailureAfterTheStoreIsCompensatedToTheKnowledgeBaseBefore) {
  ScanReference();
  jobs::WorkflowRun first = RunScanWorkflow("");
  ASSERT_EQ(first.status, "completed") << first.error;
  ExpectSameAsReference("after the first scan");
  const std::string before = Dump(*store_);
  const auto pages_before = Tree(docs_);

  repo_.Write("pkg/m5.py", "def changed():\n    return 5\n");
  repo_.Write("pkg/added.py", "def added():\n    return 6\n");
  fs::remove(repo_ / "pkg/m9.py");
  fail_at_ = "markdown";
  jobs::WorkflowRun run = RunScanWorkflow("");
  EXPECT_EQ(run.status, "compensated") << run.error;
  EXPECT_THAT(run.error, HasSubstr("injected failure"));
  ASSERT_GE(run.steps.size(), 3u);
  EXPECT_EQ(run.steps.back().name, "markdown");
  EXPECT_EQ(run.steps.back().status, "failed");
  EXPECT_EQ(run.steps.back().attempts, 3);
  const auto& index_step = run.steps[run.steps.size() - 2];
  EXPECT_EQ(index_step.name, "index");
  EXPECT_EQ(index_step.status, "completed") << "nothing of its own to undo";
  const auto& store_step = run.steps[run.steps.size() - 3];
  EXPECT_EQ(store_step.name, "store");
  EXPECT_EQ(store_step.status, "compensated");
  EXPECT_EQ(Dump(*store_), before) << "the knowledge base is as before the run";
  EXPECT_EQ(Tree(docs_), pages_before) << "and so are its pages";
  auto runs = store_->Query("SELECT status, error FROM scan_runs ORDER BY id DESC LIMIT 1");
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->Text(0, "status"), "failed");
  EXPECT_THAT(runs->Text(0, "error").value_or(""), HasSubstr("COMPENSATED"));

  // The next scan, with nothing failing, stores the change after all.
  fail_at_.clear();
  ScanReference();
  jobs::WorkflowRun again = RunScanWorkflow("");
  ASSERT_EQ(again.status, "completed") << again.error;
  ExpectSameAsReference("after the rescan");
}

TEST_P(RepoScanWorkflowTest, BadInputFailsTheRunWithoutTouchingTheKnowledgeBase) {
  for (const char* input : {R"({"full": "yes"})", R"({"root": "relative/path"})",
                            R"({"colour": "blue"})", R"([1, 2])"}) {
    auto id = engine_->Start("repo-scan", input);
    ASSERT_TRUE(id.ok()) << id.error().ToString();
    ASSERT_TRUE(engine_->RunDue().ok());
    auto run = engine_->Get(*id);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run->status, "failed") << input;
    EXPECT_THAT(run->error, HasSubstr("input")) << input;
  }
  RepoScanInput missing{repo_.path() / "no-such-folder", docs_, "sample", false};
  auto id = engine_->Start("repo-scan", RepoScanInputJson(missing).dump());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(engine_->RunDue().ok());
  auto run = engine_->Get(*id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, "failed");
  EXPECT_THAT(run->error, HasSubstr("does not exist or is not a folder"));
  EXPECT_EQ(CountRows("files"), 0);
  EXPECT_EQ(CountRows("scan_runs"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, RepoScanWorkflowTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::app
