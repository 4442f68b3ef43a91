// Task templates and review rules are validated like config.yaml.
#include "config/task_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/templates.h"
#include "support/temp_dir.h"

namespace docrunch::config {
namespace {

using ::testing::HasSubstr;

const char* kTemplatesFile = ".docrunch/task_templates.yaml";
const char* kRulesFile = ".docrunch/review_rules.yaml";

std::string InitText(const std::string& name) {
  for (const auto& f : InitFiles(InitTemplate::kStandard, "p")) {
    if (f.name == name) return f.content;
  }
  return "";
}

std::vector<ConfigIssue> Issues(const std::string& templates, const std::string& rules,
                                TaskRules* out = nullptr) {
  TaskRules rules_out;
  auto issues = ValidateTaskRules({kTemplatesFile, templates}, {kRulesFile, rules}, rules_out);
  if (out) *out = rules_out;
  return issues;
}

TEST(TaskRulesTest, InitFilesAreValidAndDefineTheSixTypes) {
  TaskRules rules;
  auto issues = Issues(InitText("task_templates.yaml"), InitText("review_rules.yaml"), &rules);
  for (const auto& i : issues) ADD_FAILURE() << i.ToString();
  for (const char* type : {"bug_fix", "feature", "refactor", "docs", "test", "security"}) {
    ASSERT_TRUE(rules.types.count(type)) << type;
    EXPECT_FALSE(rules.types[type].guardrails.empty()) << type;
    EXPECT_FALSE(rules.types[type].acceptance_criteria.empty()) << type;
  }
  EXPECT_EQ(rules.types["security"].review_mode, ReviewMode::kHuman);
  EXPECT_EQ(rules.review.by_priority["low"], ReviewMode::kAuto);
  EXPECT_EQ(rules.review.auto_approve.files_changed_max, 10);
  EXPECT_THAT(rules.review.auto_approve.forbidden_patterns, ::testing::Contains("DROP TABLE"));
}

TEST(TaskRulesTest, MisspelledKeyIsLocatedWithPathAndSuggestion) {
  std::string templates =
      "task_types:\n"
      "  feature:\n"
      "    guardrails: [a]\n"
      "    acceptance_critera: [b]\n";
  auto issues = Issues(templates, "default_mode: manager\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].ToString(),
            ".docrunch/task_templates.yaml:4:5: task_types.feature.acceptance_critera: unknown key "
            "'acceptance_critera' in task_types.feature; did you mean 'acceptance_criteria'?");
}

TEST(TaskRulesTest, BadReviewModeAndTypesAreReported) {
  std::string rules =
      "default_mode: manger\n"
      "by_type:\n"
      "  securty: auto\n"
      "auto_approve:\n"
      "  files_changed_max: -1\n"
      "  never_for_types: [feature, nosuch]\n";
  auto issues = Issues(InitText("task_templates.yaml"), rules);
  std::vector<std::string> lines;
  for (const auto& i : issues) lines.push_back(i.ToString());
  EXPECT_THAT(lines, ::testing::UnorderedElementsAre(
                         HasSubstr("review_rules.yaml:1:15: default_mode: must be one of auto, "
                                   "manager, human; got 'manger'; did you mean 'manager'?"),
                         HasSubstr("review_rules.yaml:3:3: by_type.securty: unknown key "
                                   "'securty' in by_type; did you mean 'security'?"),
                         HasSubstr("review_rules.yaml:5:22: auto_approve.files_changed_max: "
                                   "must be between 0 and 100000, got -1"),
                         HasSubstr("auto_approve.never_for_types[1]: must be one of")));
}

TEST(TaskRulesTest, ReviewRulesMustNameTypesTheTemplatesDefine) {
  // The init review rules mention security; templates without it make that an error.
  auto issues = Issues("task_types:\n  feature: {}\n", InitText("review_rules.yaml"));
  std::vector<std::string> lines;
  for (const auto& i : issues) lines.push_back(i.ToString());
  EXPECT_THAT(lines, ::testing::UnorderedElementsAre(
                         HasSubstr("by_type.security: unknown key 'security' in by_type"),
                         HasSubstr("auto_approve.never_for_types[0]: must be one of feature; got "
                                   "'security'")));
}

TEST(TaskRulesTest, SecurityCanNeverBeAutoApproved) {
  std::string rules = "by_type:\n  security: auto\n";
  auto issues = Issues(InitText("task_templates.yaml"), rules);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].ToString(),
            ".docrunch/review_rules.yaml:2:13: by_type.security: security "
            "tasks are never auto-approved: use manager or human");
}

TEST(TaskRulesTest, InvalidYamlAndWrongShapes) {
  auto broken = Issues("task_types: [\n", "");
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_THAT(broken[0].ToString(), HasSubstr("task_templates.yaml:2:1: invalid YAML"));
  auto shape = Issues("task_types:\n  feature: [x]\n", "by_priority: high\n");
  std::vector<std::string> lines;
  for (const auto& i : shape) lines.push_back(i.ToString());
  EXPECT_THAT(lines, ::testing::Contains(HasSubstr("task_types.feature: expected a mapping")));
  EXPECT_THAT(lines, ::testing::Contains(HasSubstr("by_priority: expected a mapping")));
  auto bad_name = Issues("task_types:\n  Bad-Name:\n    review_mode: auto\n", "");
  ASSERT_FALSE(bad_name.empty());
  EXPECT_THAT(bad_name[0].ToString(), HasSubstr("task_types.Bad-Name: a task type name"));
}

TEST(TaskRulesTest, MissingFilesMeanDefaultsAndBadFilesFailLoading) {
  docrunch::testing::TempDir dir;
  auto defaults = LoadTaskRules(dir.path());
  ASSERT_TRUE(defaults.ok()) << defaults.error().ToString();
  EXPECT_EQ(defaults->types.size(), 6u);
  dir.Write("review_rules.yaml", "default_mode: sometimes\n");
  auto bad = LoadTaskRules(dir.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kConfigInvalid);
  EXPECT_THAT(bad.error().message,
              HasSubstr("review_rules.yaml:1:15: default_mode: must be one of"));
}

}  // namespace
}  // namespace docrunch::config
