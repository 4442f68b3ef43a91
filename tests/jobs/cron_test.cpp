// The cron evaluator: next fire times for the forms the config accepts
// (lists, ranges, steps, names, macros, the day-of-month/day-of-week rule),
// impossible dates, bad expressions, and that the evaluator and the config
// loader agree on what is valid.
#include "jobs/cron.h"

#include <gmock/gmock.h>

#include "config/schema.h"
#include "config/values.h"
#include "jobs/job_types.h"

namespace docrunch::jobs {
namespace {

using ::testing::HasSubstr;

TimePoint At(const std::string& iso) {
  auto t = ParseIso8601(iso);
  EXPECT_TRUE(t.has_value()) << iso;
  return t.value_or(TimePoint());
}

std::string Next(const std::string& cron, const std::string& after) {
  auto schedule = CronSchedule::Parse(cron);
  EXPECT_TRUE(schedule.ok()) << cron;
  if (!schedule) return "";
  auto next = schedule->Next(At(after));
  return next ? FormatIso8601(*next) : "never";
}

TEST(Cron, EveryMinuteIsStrictlyAfter) {
  EXPECT_EQ(Next("* * * * *", "2026-12-06T20:10:00Z"), "2026-12-06T20:11:00.000Z");
  EXPECT_EQ(Next("* * * * *", "2026-12-06T20:10:59.999Z"), "2026-12-06T20:11:00.000Z");
}

TEST(Cron, StepsRangesListsAndNames) {
  EXPECT_EQ(Next("*/15 * * * *", "2026-12-06T20:10:00Z"), "2026-12-06T20:15:00.000Z");
  EXPECT_EQ(Next("*/15 * * * *", "2026-12-06T20:45:00Z"), "2026-12-06T21:00:00.000Z");
  EXPECT_EQ(Next("5/20 * * * *", "2026-12-06T20:26:00Z"), "2026-12-06T20:45:00.000Z");
  EXPECT_EQ(Next("0 3 * * *", "2026-12-06T20:10:00Z"), "2026-12-07T03:00:00.000Z");
  EXPECT_EQ(Next("10-20/5,50 1 * * *", "2026-12-06T01:21:00Z"), "2026-12-06T01:50:00.000Z");
  // 2026-12-06 is a Sunday.
  EXPECT_EQ(Next("0 9 * * mon-fri", "2026-12-06T10:00:00Z"), "2026-12-07T09:00:00.000Z");
  EXPECT_EQ(Next("0 9 * * sat", "2026-12-06T10:00:00Z"), "2026-12-12T09:00:00.000Z");
  EXPECT_EQ(Next("0 0 * * 7", "2026-12-06T10:00:00Z"), "2026-12-13T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 1 jan *", "2026-12-06T10:00:00Z"), "2027-01-01T00:00:00.000Z");
  EXPECT_EQ(Next("30 12 31 * *", "2026-11-01T00:00:00Z"), "2026-12-31T12:30:00.000Z");
}

TEST(Cron, MacrosStandForTheirFields) {
  EXPECT_EQ(Next("@hourly", "2026-12-06T20:10:00Z"), "2026-12-06T21:00:00.000Z");
  EXPECT_EQ(Next("@daily", "2026-12-06T20:10:00Z"), "2026-12-07T00:00:00.000Z");
  EXPECT_EQ(Next("@weekly", "2026-12-06T20:10:00Z"), "2026-12-13T00:00:00.000Z");
  EXPECT_EQ(Next("@monthly", "2026-12-06T20:10:00Z"), "2027-01-01T00:00:00.000Z");
  EXPECT_EQ(Next("@yearly", "2026-12-06T20:10:00Z"), "2027-01-01T00:00:00.000Z");
}

TEST(Cron, BothDayFieldsRestrictedMatchEither) {
  // The 13th, or any Friday (Vixie cron): Friday 2026-12-11 comes first.
  EXPECT_EQ(Next("0 0 13 * fri", "2026-12-06T00:00:00Z"), "2026-12-11T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 13 * fri", "2026-12-11T00:00:00Z"), "2026-12-13T00:00:00.000Z");
  // One of them '*': the other decides alone.
  EXPECT_EQ(Next("0 0 13 * *", "2026-12-06T00:00:00Z"), "2026-12-13T00:00:00.000Z");
}

TEST(Cron, LeapDaysAndImpossibleDates) {
  EXPECT_EQ(Next("0 0 29 2 *", "2026-03-01T00:00:00Z"), "2028-02-29T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 30 2 *", "2026-03-01T00:00:00Z"), "never");
}

TEST(Cron, BadExpressionsNameTheProblem) {
  for (const char* bad :
       {"* * * *", "61 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "*/0 * * * *", "@dayly",
        "1,,2 * * * *", "5-1 * * * *", "0 0 * * funday"}) {
    auto parsed = CronSchedule::Parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidParams) << bad;
    EXPECT_THAT(parsed.error().message, HasSubstr("cron: ")) << bad;
    // The config loader refuses the same expression with the same reason.
    EXPECT_EQ("cron: " + config::CheckCron(bad), parsed.error().message) << bad;
  }
  EXPECT_THAT(CronSchedule::Parse("@dayly").error().message, HasSubstr("did you mean '@daily'"));
}

// jobs.schedules[].job is checked against the config's copy of the job
// type names (the config cannot link this library): they must agree.
TEST(Cron, ConfigKnowsEveryJobType) {
  std::vector<std::string> types;
  for (const auto& type : JobRouter::Builtin().Types()) types.push_back(type.name);
  std::vector<std::string> config_names = config::JobTypeNames();
  std::sort(config_names.begin(), config_names.end());
  EXPECT_EQ(types, config_names);
}

}  // namespace
}  // namespace docrunch::jobs
