#include "tasks/review_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace docrunch::tasks {
namespace {

using config::ReviewMode;
using ::testing::ElementsAre;

CompletionReport Clean() {
  CompletionReport r;
  r.summary = "Fixed the off-by-one in the pager";
  r.changes = {"src/pager.ts", "tests/pager.test.ts"};
  r.tests_passed = true;
  return r;
}

TEST(ReviewPolicyTest, ModeIsTheStrictestOfTemplateTypeAndPriority) {
  config::TaskRules rules = config::DefaultTaskRules();
  EXPECT_EQ(ReviewModeFor(rules, "docs", "low"), ReviewMode::kAuto);
  EXPECT_EQ(ReviewModeFor(rules, "docs", "medium"), ReviewMode::kManager);
  EXPECT_EQ(ReviewModeFor(rules, "bug_fix", "critical"), ReviewMode::kHuman);
  EXPECT_EQ(ReviewModeFor(rules, "security", "low"), ReviewMode::kHuman);
}

TEST(ReviewPolicyTest, SecurityIsNeverAutoEvenWhenRulesSayAuto) {
  config::TaskRules rules = config::DefaultTaskRules();
  rules.types["security"].review_mode = ReviewMode::kAuto;
  rules.review.by_type.clear();
  rules.review.by_priority.clear();
  rules.review.auto_approve.never_for_types.clear();
  EXPECT_EQ(ReviewModeFor(rules, "security", "low"), ReviewMode::kManager);
  auto verdict = DecideAutoApproval(rules, ReviewMode::kAuto, "security", Clean());
  EXPECT_FALSE(verdict.approved);
  EXPECT_THAT(verdict.reasons, ElementsAre("security tasks are never auto-approved"));
}

TEST(ReviewPolicyTest, AutoApprovalChecksEveryRule) {
  config::TaskRules rules = config::DefaultTaskRules();
  EXPECT_TRUE(DecideAutoApproval(rules, ReviewMode::kAuto, "docs", Clean()).approved);

  CompletionReport r = Clean();
  r.tests_passed = false;
  r.changes.assign(11, "a.ts");
  r.notes = "ran rm -RF on the cache";
  auto verdict = DecideAutoApproval(rules, ReviewMode::kAuto, "docs", r);
  EXPECT_FALSE(verdict.approved);
  EXPECT_THAT(
      verdict.reasons,
      ElementsAre("tests_passed is false", "11 files changed, more than files_changed_max 10",
                  "forbidden pattern 'rm -rf' in the summary, notes or changes"));
  EXPECT_THAT(DecideAutoApproval(rules, ReviewMode::kManager, "docs", Clean()).reasons,
              ElementsAre("review mode is manager"));
  CompletionReport secret = Clean();
  secret.changes.push_back("config/secret.env");
  EXPECT_FALSE(DecideAutoApproval(rules, ReviewMode::kAuto, "docs", secret).approved);
}

}  // namespace
}  // namespace docrunch::tasks
