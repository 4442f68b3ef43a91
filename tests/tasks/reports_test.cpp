// Report parsing (presence, JSON types) and validation (values), with
// messages that name the field.
#include "tasks/reports.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace docrunch::tasks {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const TimePoint kNow = *ParseIso8601("2026-11-27T12:00:00Z");

json Progress() {
  return {{"task_id", "task-1"},
          {"percentage", 40},
          {"status", "writing tests"},
          {"reported_by", "claude-1"},
          {"reported_at", "2026-11-27T11:59:00+01:00"}};
}

std::string ProgressError(json j) {
  auto parsed = ParseProgressReport(j);
  if (!parsed) return parsed.error().message;
  auto valid = ValidateProgress(*parsed, {}, kNow);
  return valid ? "" : valid.error().message;
}

TEST(ReportsTest, ValidProgressPasses) {
  EXPECT_EQ(ProgressError(Progress()), "");
  auto parsed = ParseProgressReport(Progress());
  EXPECT_EQ(*ValidateProgress(*parsed, {}, kNow), *ParseIso8601("2026-11-27T10:59:00Z"));
}

TEST(ReportsTest, PercentageMustBeAnIntegerFrom0To100) {
  auto with = [](json v) {
    json j = Progress();
    j["percentage"] = v;
    return ProgressError(j);
  };
  EXPECT_EQ(with(101), "percentage: must be an integer from 0 to 100, got 101");
  EXPECT_EQ(with(-1), "percentage: must be an integer from 0 to 100, got -1");
  EXPECT_EQ(with(50.5), "percentage: expected an integer, got 50.5");
  EXPECT_EQ(with("50"), "percentage: expected an integer, got a string");
  EXPECT_EQ(with(true), "percentage: expected an integer, got a boolean");
  EXPECT_EQ(with(0), "");
  EXPECT_EQ(with(100), "");
}

TEST(ReportsTest, MissingMistypedAndUnknownFieldsAreAllNamed) {
  json j = Progress();
  j.erase("reported_by");
  j["status"] = 7;
  j["percantage"] = 3;
  EXPECT_EQ(ProgressError(j),
            "status: expected a string, got an integer; reported_by: is required; percantage: "
            "unknown field; did you mean 'percentage'?");
  EXPECT_EQ(ProgressError(json::array()), "expected an object, got a list");
}

TEST(ReportsTest, ReportedAtNeedsAZoneAndMustNotBeInTheFuture) {
  auto with = [](const char* at) {
    json j = Progress();
    j["reported_at"] = at;
    return ProgressError(j);
  };
  EXPECT_THAT(with("2026-11-27T11:00:00"), HasSubstr("reported_at: expected an ISO-8601"));
  EXPECT_THAT(with("yesterday"), HasSubstr("reported_at: expected an ISO-8601"));
  EXPECT_THAT(with("2026-02-30T11:00:00Z"), HasSubstr("reported_at: expected an ISO-8601"));
  EXPECT_THAT(with("2026-11-27T12:10:00Z"), HasSubstr("reported_at: '2026-11-27T12:10:00Z' is in "
                                                      "the future"));
  EXPECT_EQ(with("2026-11-27T12:04:00Z"), "");  // within the 5 minute skew
  EXPECT_EQ(with("2026-11-27 07:30:00.250-04:30"), "");
}

TEST(ReportsTest, AgentIdCharset) {
  ReportLimits limits;
  EXPECT_EQ(CheckAgentId("reported_by", "claude-code@laptop:2", limits), "");
  EXPECT_EQ(CheckAgentId("reported_by", "agent.v1_b", limits), "");
  for (const char* bad : {"", "agent 1", "../agent", "-agent", "agent/1", "agent\n", "agént"}) {
    EXPECT_THAT(CheckAgentId("reported_by", bad, limits), HasSubstr("reported_by: ")) << bad;
  }
  EXPECT_THAT(CheckAgentId("reported_by", std::string(65, 'a'), limits),
              HasSubstr("at most 64 characters, got 65"));
}

TEST(ReportsTest, OversizedTextsAndPathsAreRefused) {
  json j{{"task_id", "task-1"},
         {"summary", std::string(70 * 1024, 'x')},
         {"changes", {"/etc/passwd", "a/../../b", ""}},
         {"tests_passed", true},
         {"reported_by", "a1"},
         {"reported_at", "2026-11-27T11:00:00Z"}};
  auto parsed = ParseCompletionReport(j);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  auto valid = ValidateCompletion(*parsed, {}, kNow);
  ASSERT_FALSE(valid.ok());
  EXPECT_EQ(valid.error().code, ErrorCode::kInvalidParams);
  EXPECT_THAT(valid.error().message, HasSubstr("summary: at most 65536 bytes, got 71680"));
  EXPECT_THAT(valid.error().message, HasSubstr("changes[0]: must be a path relative"));
  EXPECT_THAT(valid.error().message, HasSubstr("changes[1]: must be a path relative"));
  EXPECT_THAT(valid.error().message, HasSubstr("changes[2]: must not be empty"));
}

TEST(ReportsTest, CompletionNestedFindingsAndDecisionsAreChecked) {
  json j{{"task_id", "task-1"},
         {"summary", "done"},
         {"changes", json::array()},
         {"tests_passed", "yes"},
         {"reported_by", "a1"},
         {"reported_at", "2026-11-27T11:00:00Z"},
         {"findings", {{{"type", "bgu"}, {"description", "x"}}}},
         {"decisions", {{{"title", "t"}}}}};
  auto parsed = ParseCompletionReport(j);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error().message, HasSubstr("tests_passed: expected true or false"));
  EXPECT_THAT(parsed.error().message, HasSubstr("decisions[0].context: is required"));
  j["tests_passed"] = true;
  j["decisions"] = json::array();
  parsed = ParseCompletionReport(j);
  ASSERT_TRUE(parsed.ok());
  auto valid = ValidateCompletion(*parsed, {}, kNow);
  ASSERT_FALSE(valid.ok());
  EXPECT_EQ(valid.error().message,
            "findings[0].type: must be one of bug, improvement, question, blocker, got 'bgu'; did "
            "you mean 'bug'?");
}

// Titles and the progress status line are shown in headings, lists and
// tables: one line each.
TEST(ReportsTest, TitlesAndStatusLinesAreOneLine) {
  json j = Progress();
  j["status"] = "halfway\n---";
  EXPECT_EQ(ProgressError(j),
            "status: must be one line: no line breaks, tabs or control characters");
  auto decision = ParseDecisionReport({{"title", "# Heading\n\n<script>"},
                                       {"context", "c"},
                                       {"decision", "d"},
                                       {"rationale", "r"},
                                       {"created_by", "a1"},
                                       {"created_at", "2026-11-27T11:00:00Z"}});
  ASSERT_TRUE(decision.ok()) << decision.error().message;
  auto valid = ValidateDecision(*decision, {}, kNow);
  ASSERT_FALSE(valid.ok());
  EXPECT_THAT(valid.error().message, HasSubstr("title: must be one line"));
  EXPECT_EQ(CheckLine("title", "Adopt SQLite", 200), "");
  EXPECT_THAT(CheckLine("title", "tab\there", 200), HasSubstr("must be one line"));
}

TEST(ReportsTest, OtherReportsRequireTheirFields) {
  EXPECT_EQ(ParseClaimReport(json::object()).error().message,
            "task_id: is required; reported_by: is required; reported_at: is required");
  EXPECT_THAT(ParseFindingReport({{"task_id", "task-1"}}).error().message,
              HasSubstr("type: is required; description: is required"));
  EXPECT_THAT(ParseDecisionReport({{"title", "x"}}).error().message,
              HasSubstr("context: is required; decision: is required; rationale: is required"));
  EXPECT_THAT(ParseBlockerReport({{"task_id", "task-1"}}).error().message,
              HasSubstr("description: is required; needs: is required"));
  ClaimReport claim{"../../etc/passwd", "a1", "2026-11-27T11:00:00Z"};
  EXPECT_THAT(ValidateClaim(claim, {}, kNow).error().message,
              HasSubstr("task_id: expected a task id such as task-42"));
}

}  // namespace
}  // namespace docrunch::tasks
