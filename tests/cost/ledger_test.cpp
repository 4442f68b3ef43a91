// The cost ledger on both backends: prices, periods, budgets per scope,
// the hard stop, alerts fired once per threshold, and 32 concurrent calls
// against a nearly spent budget.
#include "cost/ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store_test_env.h"

namespace docrunch::cost {
namespace {

using std::chrono::milliseconds;

TimePoint At(const char* iso) {
  return *ParseIso8601(iso);
}

TEST(CostPeriods, DaysWeeksFromMondayAndCalendarMonthsInUtc) {
  // 2026-12-06 is a Sunday.
  const TimePoint sunday = At("2026-12-06T23:59:59Z");
  auto [day_from, day_to] = PeriodBounds(BudgetPeriod::kDay, sunday);
  EXPECT_EQ(FormatIso8601(day_from), FormatIso8601(At("2026-12-06T00:00:00Z")));
  EXPECT_EQ(FormatIso8601(day_to), FormatIso8601(At("2026-12-07T00:00:00Z")));
  auto [week_from, week_to] = PeriodBounds(BudgetPeriod::kWeek, sunday);
  EXPECT_EQ(FormatIso8601(week_from), FormatIso8601(At("2026-11-30T00:00:00Z")));
  EXPECT_EQ(FormatIso8601(week_to), FormatIso8601(At("2026-12-07T00:00:00Z")));
  auto monday = PeriodBounds(BudgetPeriod::kWeek, At("2026-12-07T00:00:00Z"));
  EXPECT_EQ(FormatIso8601(monday.first), FormatIso8601(At("2026-12-07T00:00:00Z")));
  auto [month_from, month_to] = PeriodBounds(BudgetPeriod::kMonth, At("2026-12-31T12:00:00Z"));
  EXPECT_EQ(FormatIso8601(month_from), FormatIso8601(At("2026-12-01T00:00:00Z")));
  EXPECT_EQ(FormatIso8601(month_to), FormatIso8601(At("2027-01-01T00:00:00Z")));
  EXPECT_FALSE(ParsePeriod("fortnight").ok());
  EXPECT_EQ(ParsePeriod("fortnight").error().code, ErrorCode::kInvalidParams);
}

TEST(CostBudgets, TheOlderKeysGiveOverallBudgetsAndTheLowerOneCounts) {
  config::Config c;
  c.llm.budgets.daily_usd = 5;
  c.cost.alerts.daily_limit = 3;
  c.cost.alerts.monthly_limit = 40;
  c.cost.budgets.push_back({BudgetScope::kAgent, "claude-1", BudgetPeriod::kWeek, 2.5});
  auto budgets = BudgetsFromConfig(c);
  ASSERT_EQ(budgets.size(), 3u);
  EXPECT_EQ(budgets[0].Key(), "overall:day");
  EXPECT_EQ(budgets[0].limit_micros, 3'000'000);
  EXPECT_EQ(budgets[1].Key(), "overall:month");
  EXPECT_EQ(budgets[2].Key(), "agent:claude-1:week");
  EXPECT_EQ(budgets[2].limit_micros, 2'500'000);
}

class LedgerTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ReopenWithClock(clock_);
    if (HasFatalFailure()) return;
    MigrateStore();
  }

  LedgerOptions Options(std::vector<Budget> budgets, bool hard_stop = false) {
    LedgerOptions o;
    o.budgets = std::move(budgets);
    // $1 per 1,000 input tokens, $2 per 1,000 output tokens.
    o.pricing["m1"] = {1.0, 2.0};
    o.thresholds = {100, 50};  // sorted by the ledger
    o.hard_stop = hard_stop;
    return o;
  }

  // One call settled at `actual` tokens; its reservation's error if refused.
  Result<void> Call(Ledger& ledger, const CallScope& scope, Usage estimate, Usage actual) {
    auto r = ledger.Reserve(scope, estimate);
    if (!r) return r.error();
    return ledger.Settle(*r, actual, "", milliseconds(120));
  }

  std::int64_t Alerts() { return CountRows("cost_alerts"); }

  ManualClock clock_{At("2026-12-06T10:00:00Z")};
  CallScope claude_{"claude-1", "task-7", "chat", "openai", "m1"};
};

TEST_P(LedgerTest, ACallIsPricedFromItsTokensAndRecordedWithItsScope) {
  Ledger ledger(*store_, clock_, Options({}));
  EXPECT_EQ(ledger.PriceMicros("m1", {1500, 250}), 2'000'000);  // $1.50 + $0.50
  EXPECT_EQ(ledger.PriceMicros("unpriced", {1500, 250}), 0);
  auto r = ledger.Reserve(claude_, {1000, 1000});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->estimate_micros, 3'000'000);
  // Open, the reservation counts its estimate.
  auto open = ledger.Summary(BudgetPeriod::kDay, "agent");
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].cost_micros, 3'000'000);
  ASSERT_TRUE(ledger.Settle(*r, {1500, 250}, "", milliseconds(321)).ok());
  auto rows = store_->Query(
      "SELECT agent, task_id, profile, provider, model, status, input_tokens, output_tokens, "
      "cost_micros, latency_ms FROM llm_calls");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(*rows->Text(0, "agent"), "claude-1");
  EXPECT_EQ(*rows->Text(0, "task_id"), "task-7");
  EXPECT_EQ(*rows->Text(0, "profile"), "chat");
  EXPECT_EQ(*rows->Text(0, "status"), "ok");
  EXPECT_EQ(*rows->Int(0, "input_tokens"), 1500);
  EXPECT_EQ(*rows->Int(0, "output_tokens"), 250);
  EXPECT_EQ(*rows->Int(0, "cost_micros"), 2'000'000);
  EXPECT_EQ(*rows->Int(0, "latency_ms"), 321);
  auto by_model = ledger.Summary(BudgetPeriod::kMonth, "model");
  ASSERT_TRUE(by_model.ok());
  ASSERT_EQ(by_model->size(), 1u);
  EXPECT_EQ((*by_model)[0].key, "m1");
  EXPECT_EQ((*by_model)[0].calls, 1);
  EXPECT_EQ((*by_model)[0].tokens.input_tokens, 1500);
  EXPECT_EQ((*by_model)[0].cost_micros, 2'000'000);

  // Settled once; unknown calls and bad input are errors that change nothing.
  auto again = ledger.Settle(*r, {1, 1}, "", milliseconds(1));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidParams);
  auto unknown = ledger.Settle({987654, 0}, {1, 1}, "", milliseconds(1));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kStorageNotFound);
  auto negative = ledger.Reserve(claude_, {-1, 0});
  ASSERT_FALSE(negative.ok());
  EXPECT_THAT(negative.error().message, ::testing::HasSubstr("estimate"));
  CallScope nameless = claude_;
  nameless.provider.clear();
  auto no_provider = ledger.Reserve(nameless, {1, 1});
  ASSERT_FALSE(no_provider.ok());
  EXPECT_THAT(no_provider.error().message, ::testing::HasSubstr("provider"));
  EXPECT_FALSE(ledger.Summary(BudgetPeriod::kDay, "colour").ok());
  EXPECT_EQ(CountRows("llm_calls"), 1);
}

TEST_P(LedgerTest, AFailedCallIsRecordedWithItsOutcome) {
  Ledger ledger(*store_, clock_, Options({}));
  auto r = ledger.Reserve(claude_, {100, 100});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(ledger.Settle(*r, {100, 0}, "LLM_RATE_LIMITED", milliseconds(50)).ok());
  auto rows = store_->Query("SELECT status, outcome, cost_micros FROM llm_calls");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows->Text(0, "status"), "failed");
  EXPECT_EQ(*rows->Text(0, "outcome"), "LLM_RATE_LIMITED");
  EXPECT_EQ(*rows->Int(0, "cost_micros"), 100'000);
}

TEST_P(LedgerTest, BudgetsCountTheirScopeInTheirPeriodOnly) {
  Budget overall{BudgetScope::kOverall, "", BudgetPeriod::kDay, 10'000'000};
  Budget agent{BudgetScope::kAgent, "claude-1", BudgetPeriod::kWeek, 10'000'000};
  Budget provider{BudgetScope::kProvider, "anthropic", BudgetPeriod::kMonth, 10'000'000};
  Ledger ledger(*store_, clock_, Options({overall, agent, provider}));
  ASSERT_TRUE(Call(ledger, claude_, {1000, 0}, {1000, 0}).ok());  // $1, claude-1 on openai
  CallScope gemini{"gemini-1", "", "", "anthropic", "m1"};
  ASSERT_TRUE(Call(ledger, gemini, {2000, 0}, {2000, 0}).ok());  // $2, gemini-1 on anthropic
  auto states = ledger.States();
  ASSERT_TRUE(states.ok());
  ASSERT_EQ(states->size(), 3u);
  EXPECT_EQ((*states)[0].spent_micros, 3'000'000);
  EXPECT_EQ((*states)[1].spent_micros, 1'000'000);
  EXPECT_EQ((*states)[2].spent_micros, 2'000'000);
  EXPECT_DOUBLE_EQ((*states)[0].percent, 30.0);
  // The next day (a Monday): the daily and weekly budgets start again,
  // the month goes on.
  clock_.Set(At("2026-12-07T00:00:01Z"));
  states = ledger.States();
  ASSERT_TRUE(states.ok());
  EXPECT_EQ((*states)[0].spent_micros, 0);
  EXPECT_EQ((*states)[1].spent_micros, 0);
  EXPECT_EQ((*states)[2].spent_micros, 2'000'000);
}

TEST_P(LedgerTest, TheHardStopRefusesACallThatWouldExceedABudgetBeforeItIsMade) {
  Budget agent{BudgetScope::kAgent, "claude-1", BudgetPeriod::kDay, 2'500'000};
  Ledger ledger(*store_, clock_, Options({agent}, true));
  ASSERT_TRUE(Call(ledger, claude_, {2000, 0}, {2000, 0}).ok());  // $2 of $2.50
  auto refused = ledger.Reserve(claude_, {1000, 0});              // $1 more: over
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kLlmBudgetExceeded);
  EXPECT_THAT(refused.error().message, ::testing::HasSubstr("agent:claude-1:day"));
  // Another agent is not held by claude-1's budget; a smaller call fits.
  CallScope other = claude_;
  other.agent = "codex-1";
  EXPECT_TRUE(ledger.Reserve(other, {1000, 0}).ok());
  EXPECT_TRUE(ledger.Reserve(claude_, {500, 0}).ok());
  auto rows = store_->Query("SELECT status, outcome FROM llm_calls WHERE status = 'refused'");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(*rows->Text(0, "outcome"), "LLM_BUDGET_EXCEEDED");
  auto audit = store_->Query(
      "SELECT actor, target, outcome FROM audit_log WHERE action = "
      "'llm.refused'");
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ(*audit->Text(0, "actor"), "claude-1");
  EXPECT_EQ(*audit->Text(0, "target"), "agent:claude-1:day");
}

TEST_P(LedgerTest, EachThresholdAlertsOncePerBudgetAndPeriod) {
  Budget overall{BudgetScope::kOverall, "", BudgetPeriod::kDay, 4'000'000};
  Ledger ledger(*store_, clock_, Options({overall}));             // alerts at 50% and 100%
  ASSERT_TRUE(Call(ledger, claude_, {1000, 0}, {1000, 0}).ok());  // 25%
  EXPECT_EQ(Alerts(), 0);
  ASSERT_TRUE(Call(ledger, claude_, {1000, 0}, {1000, 0}).ok());  // 50%
  EXPECT_EQ(Alerts(), 1);
  ASSERT_TRUE(Call(ledger, claude_, {500, 0}, {500, 0}).ok());  // 62.5%: 50% fired already
  EXPECT_EQ(Alerts(), 1);
  ASSERT_TRUE(Call(ledger, claude_, {3000, 0}, {3000, 0}).ok());  // 137.5%, no hard stop
  EXPECT_EQ(Alerts(), 2);
  auto audit = store_->Query(
      "SELECT target, details FROM audit_log WHERE action = 'cost.alert' ORDER BY id");
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_THAT(*audit->Text(0, "details"), ::testing::HasSubstr("\"threshold_percent\":50"));
  EXPECT_THAT(*audit->Text(1, "details"), ::testing::HasSubstr("\"threshold_percent\":100"));
  auto events = store_->Query(
      "SELECT entity_id, content_hash FROM sync_events WHERE entity_type = 'cost_alert' "
      "ORDER BY id");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_THAT(*events->Text(0, "entity_id"), ::testing::StartsWith("overall:day@2026-12-06"));
  EXPECT_EQ(*events->Text(1, "content_hash"), "100");
  // A new day fires again.
  clock_.Set(At("2026-12-07T09:00:00Z"));
  ASSERT_TRUE(Call(ledger, claude_, {2000, 0}, {2000, 0}).ok());
  EXPECT_EQ(Alerts(), 3);
}

// 32 threads race for the last $0.10 of a $1.00 budget with calls
// estimated at $0.02 (and costing that): no more than five may pass, and the
// budget ends within one call's estimate of its limit.
TEST_P(LedgerTest, ConcurrentCallsAgainstANearlySpentBudgetDoNotOvershootIt) {
  Budget overall{BudgetScope::kOverall, "", BudgetPeriod::kDay, 1'000'000};
  Ledger ledger(*store_, clock_, Options({overall}, true));
  ASSERT_TRUE(Call(ledger, claude_, {900, 0}, {900, 0}).ok());  // $0.90
  std::atomic<int> granted{0}, refused{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&, i] {
      CallScope scope = claude_;
      scope.agent = "agent-" + std::to_string(i);
      auto r = ledger.Reserve(scope, {20, 0});  // $0.02
      if (!r) {
        (r.error().code == ErrorCode::kLlmBudgetExceeded ? refused : failed)++;
        return;
      }
      ++granted;
      if (!ledger.Settle(*r, {20, 0}, "", milliseconds(5))) ++failed;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(granted.load(), 5);
  EXPECT_EQ(refused.load(), 27);
  auto states = ledger.States();
  ASSERT_TRUE(states.ok());
  EXPECT_LE((*states)[0].spent_micros, 1'000'000 + 20'000);
  EXPECT_EQ((*states)[0].spent_micros, 1'000'000);
  std::cout << "[cost] 32 concurrent calls at $0.02 against $0.10 left: " << granted << " granted, "
            << refused << " refused, spent $" << ToUsd((*states)[0].spent_micros) << " of $1.00\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::cost
