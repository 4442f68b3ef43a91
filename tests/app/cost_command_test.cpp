// docrunch cost, as a user runs it: the period's calls grouped as asked,
// the budgets' state, JSON for scripts, and bad flags refused.
#include <nlohmann/json.hpp>

#include "../scan/scan_fixture.h"
#include "app_test_util.h"
#include "cost/ledger.h"

namespace docrunch::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class CostCommand : public ProjectTest {
 protected:
  void SetUp() override {
    WriteSampleRepository(dir_);
    Init({"--template", "minimal"});
    dir_.Write(".docrunch/config.yaml",
               "project:\n  name: sample\nllm:\n  pricing:\n    m1: {input_per_1k: 1.0, "
               "output_per_1k: 2.0}\ncost:\n  budgets:\n    - {scope: agent, name: claude-1, "
               "period: day, limit_usd: 4}\n");
  }
  // Calls recorded through the ledger on the project's database, as a
  // provider call would record them.
  void Record(const std::string& agent, const std::string& provider, cost::Usage usage) {
    store::StoreOptions o;
    o.sqlite_path = (dir_ / ".docrunch" / "docrunch.db").string();
    auto opened = store::OpenStore(o);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    SystemClock clock;
    cost::LedgerOptions options;
    options.pricing["m1"] = {1.0, 2.0};
    cost::Ledger ledger(**opened, clock, options);
    auto r = ledger.Reserve({agent, "task-1", "chat", provider, "m1"}, usage);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    ASSERT_TRUE(ledger.Settle(*r, usage, "", std::chrono::milliseconds(10)).ok());
  }
};

TEST_F(CostCommand, ShowsThePeriodsCallsGroupedAndTheBudgetsState) {
  ProcessResult empty = Docrunch({"cost", "--json"});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  json none = json::parse(empty.out);
  EXPECT_EQ(none["calls"], 0);
  EXPECT_EQ(none["budgets"].size(), 1u);
  EXPECT_EQ(none["budgets"][0]["budget"], "agent:claude-1:day");

  Record("claude-1", "openai", {1000, 500});  // $2
  Record("codex-1", "anthropic", {500, 0});   // $0.50
  ProcessResult by_agent = Docrunch({"cost", "--by", "agent", "--json"});
  ASSERT_EQ(by_agent.exit_code, 0) << by_agent.err;
  json out = json::parse(by_agent.out);
  EXPECT_EQ(out["calls"], 2);
  EXPECT_DOUBLE_EQ(out["total_usd"].get<double>(), 2.5);
  ASSERT_EQ(out["rows"].size(), 2u);
  EXPECT_EQ(out["rows"][0]["agent"], "claude-1");
  EXPECT_DOUBLE_EQ(out["rows"][0]["cost_usd"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(out["budgets"][0]["percent"].get<double>(), 50.0);

  ProcessResult text = Docrunch({"cost", "--period", "month"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("LLM spend this month"));
  EXPECT_THAT(text.out, HasSubstr("openai: $2.0000, 1 call"));
  EXPECT_THAT(text.out, HasSubstr("agent:claude-1:day: $2.0000 of $4.0000 (50.0%)"));
}

TEST_F(CostCommand, BadFlagsAreUsageErrorsNamingTheFlag) {
  ProcessResult period = Docrunch({"cost", "--period", "fortnight"});
  EXPECT_EQ(period.exit_code, 2);
  EXPECT_THAT(period.err, HasSubstr("--period"));
  ProcessResult by = Docrunch({"cost", "--by", "colour"});
  EXPECT_EQ(by.exit_code, 2);
  EXPECT_THAT(by.err, HasSubstr("--by colour"));
}

}  // namespace
}  // namespace docrunch::testing
