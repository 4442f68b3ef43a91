// docrunch workflows start|list|show|cancel|signal|run, as a user runs
// them: the demo workflow from start to an approval, a cancellation that
// compensates, and bad input with clear errors and exit codes.
#include <nlohmann/json.hpp>

#include "../scan/scan_fixture.h"
#include "app_test_util.h"

namespace docrunch::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class WorkflowsCommand : public ProjectTest {
 protected:
  void SetUp() override {
    WriteSampleRepository(dir_);
    Init({"--template", "minimal"});
  }
  std::string StartOk(const std::string& input) {
    ProcessResult r = Docrunch({"workflows", "start", "demo", "--input", input});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, MatchesRegex("wf-[0-9a-f]{16}\n")) << "the id alone, for scripts";
    return r.out.empty() ? "" : r.out.substr(0, r.out.size() - 1);
  }
  json Show(const std::string& id) {
    ProcessResult r = Docrunch({"workflows", "show", id, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::object();
  }
  void RunOnce() {
    ProcessResult r = Docrunch({"workflows", "run", "--once"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

TEST_F(WorkflowsCommand, TheDemoWaitsForItsApprovalAndCompletes) {
  std::string id = StartOk(R"({"title": "release notes"})");
  EXPECT_EQ(Show(id)["status"], "pending");
  RunOnce();
  json waiting = Show(id);
  EXPECT_EQ(waiting["status"], "waiting");
  EXPECT_EQ(waiting["steps"][0]["status"], "completed");
  EXPECT_EQ(waiting["steps"][1]["kind"], "signal");
  ProcessResult listed = Docrunch({"workflows", "list", "--status", "waiting"});
  EXPECT_THAT(listed.out, HasSubstr(id + "  demo  waiting"));

  ProcessResult signalled =
      Docrunch({"workflows", "signal", id, "approve", "--data", R"({"by": "ann"})"});
  ASSERT_EQ(signalled.exit_code, 0) << signalled.err;
  RunOnce();
  json done = Show(id);
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["result"], (json{{"title", "release notes"}, {"approved_by", "ann"}}));
  EXPECT_EQ(done["signals"][0]["data"]["by"], "ann");
  ProcessResult text = Docrunch({"workflows", "show", id});
  EXPECT_THAT(text.out, HasSubstr("3. step publish: completed, 1 attempt"));

  ProcessResult late = Docrunch({"workflows", "signal", id, "approve"});
  EXPECT_EQ(late.exit_code, 1);
  EXPECT_THAT(late.err, HasSubstr("TASK_INVALID_TRANSITION: run " + id +
                                  " is completed: it takes no more signals"));
}

TEST_F(WorkflowsCommand, WorkerStartWorkflowsRunsWhatIsDue) {
  std::string id = StartOk("{}");
  ProcessResult worked = Docrunch({"worker", "start", "--workflows", "--once"});
  ASSERT_EQ(worked.exit_code, 0) << worked.err;
  EXPECT_THAT(worked.out, HasSubstr("ran 1 execution"));
  EXPECT_EQ(Show(id)["status"], "waiting");
}

TEST_F(WorkflowsCommand, CancellingAWaitingRunCompensatesIt) {
  std::string id = StartOk("{}");
  RunOnce();
  ProcessResult cancelled = Docrunch({"workflows", "cancel", id});
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.err;
  EXPECT_THAT(cancelled.out, HasSubstr("cancellation requested"));
  ProcessResult twice = Docrunch({"workflows", "cancel", id});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_THAT(twice.err, HasSubstr("cancellation was already requested"));
  RunOnce();
  json run = Show(id);
  EXPECT_EQ(run["status"], "cancelled");
  EXPECT_EQ(run["steps"][0]["status"], "compensated");
}

TEST_F(WorkflowsCommand, BadInputGetsClearErrors) {
  ProcessResult unknown = Docrunch({"workflows", "start", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("workflow: 'nope' is not a registered workflow"));
  ProcessResult malformed = Docrunch({"workflows", "start", "demo", "--input", "{x"});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_THAT(malformed.err, HasSubstr("input: not valid JSON"));
  ProcessResult missing = Docrunch({"workflows", "show", "wf-0000000000000000"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("STORAGE_NOT_FOUND"));
  ProcessResult status = Docrunch({"workflows", "list", "--status", "asleep"});
  EXPECT_EQ(status.exit_code, 2);
  EXPECT_THAT(status.err, HasSubstr("status: 'asleep'"));
  ProcessResult listed = Docrunch({"workflows", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(json::parse(listed.out), json::array()) << "nothing was started";
}

}  // namespace
}  // namespace docrunch::testing
