// What LLM calls cost, and the budgets that can refuse one (PRODUCT §14).
//
// Every call goes through the ledger twice: Reserve before anything leaves
// the machine, Settle with the tokens the provider reported. A reservation
// counts its estimate against every budget the call falls under until it is
// settled, and reservations take one lock row in turn (the `cost_lock` row:
// SQLite's writer lock, a row lock on PostgreSQL), so calls racing for the
// last of a budget see each other: a budget is overshot by no more than
// what calls' actual costs exceed their estimates. With cost.hard_stop, a
// call that would take a budget past its limit is refused
// (LLM_BUDGET_EXCEEDED) and recorded as refused. Crossing a threshold
// (cost.alerts.thresholds, percent of a limit) fires one alert per budget,
// period and threshold: a `cost_alerts` row, an audit row and an outbox
// event in one transaction, and a log line.
//
// Money is kept in millionths of a USD (integers, summed exactly); periods
// are UTC days, weeks from Monday and calendar months. A reservation never
// settled (its process died) keeps counting its estimate: the ledger errs
// on the side of spending less.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace docrunch::cost {

using config::BudgetPeriod;
using config::BudgetScope;

std::string_view PeriodName(BudgetPeriod period);
std::string_view ScopeName(BudgetScope scope);
// "day", "week" or "month"; INVALID_PARAMS naming `field` otherwise.
Result<BudgetPeriod> ParsePeriod(std::string_view text, std::string_view field = "period");
// [start, end) of the period that holds `now`.
std::pair<TimePoint, TimePoint> PeriodBounds(BudgetPeriod period, TimePoint now);

// USD <-> millionths.
std::int64_t ToMicros(double usd);
double ToUsd(std::int64_t micros);
// "$1.2345": four decimals, for messages and `docrunch cost`.
std::string FormatUsd(std::int64_t micros);

struct Budget {
  BudgetScope scope = BudgetScope::kOverall;
  std::string name;  // agent id or provider name; empty for overall
  BudgetPeriod period = BudgetPeriod::kDay;
  std::int64_t limit_micros = 0;

  // "overall:day", "agent:claude-1:week", "provider:openai:month".
  std::string Key() const;
};

// The budgets of the configuration: cost.budgets, plus an overall daily and
// monthly one from llm.budgets.{daily,monthly}_usd and
// cost.alerts.{daily,monthly}_limit (two names from the original design
// for the same limit: the lower one that is set counts).
std::vector<Budget> BudgetsFromConfig(const config::Config& config);

struct LedgerOptions {
  std::vector<Budget> budgets;
  std::map<std::string, config::ModelPrice> pricing;  // model id -> price
  std::vector<int> thresholds{80, 100};               // percent of a limit
  bool hard_stop = false;
};
LedgerOptions LedgerOptionsFromConfig(const config::Config& config);

// Who makes a call, and to whom.
struct CallScope {
  std::string agent;  // "" when no agent (a person's chat, `provider test`)
  std::string task;   // "task-42", or ""
  std::string profile;
  std::string provider;  // required
  std::string model;     // required
};

struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
};

struct Reservation {
  std::int64_t call_id = 0;
  std::int64_t estimate_micros = 0;
};

struct BudgetState {
  Budget budget;
  TimePoint period_start;
  std::int64_t spent_micros = 0;  // settled costs plus open reservations' estimates
  double percent = 0;
};

struct SummaryRow {
  std::string key;  // the agent, task, provider or model ("" shown as "(none)")
  std::int64_t calls = 0;
  Usage tokens;
  std::int64_t cost_micros = 0;
};

class Ledger {
 public:
  // `store` and `clock` outlive the ledger.
  Ledger(store::Store& store, const Clock& clock, LedgerOptions options);

  // What `usage` costs at the configured price of `model` (0 for a model
  // without a price).
  std::int64_t PriceMicros(const std::string& model, const Usage& usage) const;

  // Records the call as reserved at the price of `estimate`, or refuses it:
  // LLM_BUDGET_EXCEEDED naming the budget (hard stop), INVALID_PARAMS for
  // a scope without provider or model or negative tokens.
  Result<Reservation> Reserve(const CallScope& scope, const Usage& estimate);
  // The call's end: the tokens the provider reported (0 when it reported
  // none), `outcome` "" for success or the error code, and its latency.
  // Fires the alerts of the thresholds it crossed. A reservation settles
  // once: STORAGE_NOT_FOUND for an unknown one, INVALID_PARAMS for a second.
  Result<void> Settle(const Reservation& reservation, const Usage& actual,
                      const std::string& outcome, std::chrono::milliseconds latency);

  // Each configured budget in its current period.
  Result<std::vector<BudgetState>> States() const;
  // The period's calls grouped `by` agent, task, provider or model, most
  // expensive first.
  Result<std::vector<SummaryRow>> Summary(BudgetPeriod period, std::string_view by) const;

  // The period's spend as `cost --json` and REST /cost show it: period,
  // from, to, by, calls, total_usd, rows (Summary), budgets (States),
  // hard_stop. `by` as Summary takes it.
  Result<nlohmann::json> Report(BudgetPeriod period, std::string_view by) const;

  const LedgerOptions& options() const { return options_; }

 private:
  store::Store& store_;
  const Clock& clock_;
  LedgerOptions options_;
};

}  // namespace docrunch::cost
