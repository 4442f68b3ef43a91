// The job router: the 30-second rule, overrides, and bad input.
#include "jobs/job_types.h"

#include <gtest/gtest.h>

namespace docrunch::jobs {
namespace {

using namespace std::chrono_literals;

TEST(JobRouterTest, ShortSingleStepJobsAreFastTheRestAreWorkflows) {
  JobRouter router;
  ASSERT_TRUE(router.Register({"quick", "", 2s, 1, false}).ok());
  ASSERT_TRUE(router.Register({"edge", "", 30s, 1, false}).ok());
  ASSERT_TRUE(router.Register({"steps", "", 1s, 3, false}).ok());
  ASSERT_TRUE(router.Register({"saga", "", 1s, 1, true}).ok());
  EXPECT_EQ(router.Route("quick")->lane, Lane::kFast);
  EXPECT_EQ(router.Route("quick")->reason, "one step, estimate 2 s < 30 s");
  EXPECT_EQ(router.Route("edge")->lane, Lane::kWorkflow) << "30 s is not under 30 s";
  EXPECT_EQ(router.Route("edge")->reason, "estimate 30 s >= 30 s");
  EXPECT_EQ(router.Route("steps")->lane, Lane::kWorkflow);
  EXPECT_EQ(router.Route("steps")->reason, "3 steps");
  EXPECT_EQ(router.Route("saga")->lane, Lane::kWorkflow);
}

TEST(JobRouterTest, AnOverrideWinsUnlessItWouldBreakTheJob) {
  JobRouter router;
  ASSERT_TRUE(router.Register({"quick", "", 2s, 1, false}).ok());
  ASSERT_TRUE(router.Register({"long", "", 5min, 1, false}).ok());
  ASSERT_TRUE(router.Register({"saga", "", 1s, 2, true}).ok());
  EXPECT_EQ(router.Route("quick", Lane::kWorkflow)->lane, Lane::kWorkflow);
  EXPECT_EQ(router.Route("long", Lane::kFast)->lane, Lane::kFast);
  auto refused = router.Route("saga", Lane::kFast);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidParams);
  EXPECT_NE(refused.error().message.find("lane: saga cannot run on the fast queue"),
            std::string::npos)
      << refused.error().message;
}

TEST(JobRouterTest, BadTypesAndNamesAreRefused) {
  JobRouter router;
  EXPECT_EQ(router.Route("nope").error().message, "type: unknown job type 'nope'");
  EXPECT_EQ(router.Register({"Bad Name", "", 1s, 1, false}).error().code,
            ErrorCode::kInvalidParams);
  EXPECT_EQ(router.Register({"x", "", 1s, 0, false}).error().message,
            "steps: a job has at least one step");
  EXPECT_EQ(router.Register({"x", "", -1s, 1, false}).error().code, ErrorCode::kInvalidParams);
  ASSERT_TRUE(router.Register({"x", "", 1s, 1, false}).ok());
  EXPECT_EQ(router.Register({"x", "", 1s, 1, false}).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(ParseLane("sideways").error().message,
            "lane: expected fast or workflow, got 'sideways'");
  EXPECT_FALSE(IsJobName(""));
  EXPECT_FALSE(IsJobName("-lead"));
  EXPECT_FALSE(IsJobName(std::string(65, 'a')));
  EXPECT_FALSE(IsJobName("a/b"));
  EXPECT_TRUE(IsJobName("repo-scan_2"));
}

TEST(JobRouterTest, TheBuiltinTypesFollowTheRule) {
  JobRouter router = JobRouter::Builtin();
  EXPECT_EQ(router.Route("index-file")->lane, Lane::kFast);
  EXPECT_EQ(router.Route("sync-apply")->lane, Lane::kFast);
  EXPECT_EQ(router.Route("repo-scan")->lane, Lane::kWorkflow);
  EXPECT_EQ(router.Route("ai-task")->lane, Lane::kWorkflow);
  EXPECT_EQ(router.Route("embeddings")->lane, Lane::kWorkflow);
  for (const auto& type : router.Types()) {
    EXPECT_TRUE(IsJobName(type.name)) << type.name;
    EXPECT_FALSE(type.summary.empty()) << type.name;
  }
}

}  // namespace
}  // namespace docrunch::jobs
