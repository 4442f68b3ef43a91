#include "cost/ledger.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace docrunch::cost {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxName = 200;

bool Applies(const Budget& b, const std::string& agent, const std::string& provider) {
  switch (b.scope) {
    case BudgetScope::kOverall:
      return true;
    case BudgetScope::kAgent:
      return agent == b.name;
    case BudgetScope::kProvider:
      return provider == b.name;
  }
  return false;
}

// Settled costs plus open reservations' estimates of `b` in the period
// holding `at`.
Result<std::int64_t> Spent(store::Reader& db, const Budget& b, TimePoint at) {
  auto [from, to] = PeriodBounds(b.period, at);
  std::string sql =
      "SELECT COALESCE(SUM(COALESCE(cost_micros, estimate_micros)), 0) AS spent FROM llm_calls "
      "WHERE status <> 'refused' AND started_at >= $1 AND started_at < $2";
  store::Params params{FormatIso8601(from), FormatIso8601(to)};
  if (b.scope == BudgetScope::kAgent) {
    sql += " AND agent = $3";
    params.push_back(b.name);
  } else if (b.scope == BudgetScope::kProvider) {
    sql += " AND provider = $3";
    params.push_back(b.name);
  }
  auto rows = db.Query(sql, params);
  if (!rows) return rows.error();
  return rows->Int(0, "spent").value_or(0);
}

Result<void> Audit(store::Tx& tx, TimePoint at, const std::string& actor, const std::string& action,
                   const std::string& target, const std::string& outcome, const json& details) {
  auto r = tx.Exec(
      "INSERT INTO audit_log (at, actor, action, target, outcome, details) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {FormatIso8601(at), actor.empty() ? std::string("docrunch") : actor, action, target, outcome,
       details.dump()});
  if (!r) return r.error();
  return Ok();
}

Error Invalid(const std::string& what) {
  return MakeError(ErrorCode::kInvalidParams, what);
}

Result<void> CheckName(const std::string& value, const char* field, bool required) {
  if (required && value.empty()) return Invalid(std::string(field) + ": is required");
  if (value.size() > kMaxName) {
    return Invalid(std::string(field) + ": at most " + std::to_string(kMaxName) + " characters");
  }
  return Ok();
}

Result<void> CheckUsage(const Usage& u, const char* what) {
  if (u.input_tokens < 0 || u.output_tokens < 0) {
    return Invalid(std::string(what) + ": token counts cannot be negative");
  }
  return Ok();
}

}  // namespace

std::string_view PeriodName(BudgetPeriod period) {
  switch (period) {
    case BudgetPeriod::kDay:
      return "day";
    case BudgetPeriod::kWeek:
      return "week";
    case BudgetPeriod::kMonth:
      return "month";
  }
  return "day";
}

std::string_view ScopeName(BudgetScope scope) {
  switch (scope) {
    case BudgetScope::kOverall:
      return "overall";
    case BudgetScope::kAgent:
      return "agent";
    case BudgetScope::kProvider:
      return "provider";
  }
  return "overall";
}

Result<BudgetPeriod> ParsePeriod(std::string_view text, std::string_view field) {
  for (auto p : {BudgetPeriod::kDay, BudgetPeriod::kWeek, BudgetPeriod::kMonth}) {
    if (text == PeriodName(p)) return p;
  }
  return Invalid(std::string(field) + ": '" + std::string(text.substr(0, 32)) +
                 "' is not a period (day, week or month)");
}

std::pair<TimePoint, TimePoint> PeriodBounds(BudgetPeriod period, TimePoint now) {
  using namespace std::chrono;
  const sys_days today = floor<days>(now);
  switch (period) {
    case BudgetPeriod::kDay:
      return {today, today + days(1)};
    case BudgetPeriod::kWeek: {
      const sys_days monday = today - (weekday(today) - Monday);
      return {monday, monday + days(7)};
    }
    case BudgetPeriod::kMonth: {
      const year_month_day ymd(today);
      const year_month month = ymd.year() / ymd.month();
      return {sys_days(month / 1), sys_days((month + months(1)) / 1)};
    }
  }
  return {today, today + days(1)};
}

std::int64_t ToMicros(double usd) {
  return static_cast<std::int64_t>(std::llround(usd * 1e6));
}

double ToUsd(std::int64_t micros) {
  return static_cast<double>(micros) / 1e6;
}

std::string FormatUsd(std::int64_t micros) {
  char text[64];
  std::snprintf(text, sizeof text, "$%.4f", ToUsd(micros));
  return text;
}

std::string Budget::Key() const {
  std::string key(ScopeName(scope));
  if (!name.empty()) key += ":" + name;
  return key + ":" + std::string(PeriodName(period));
}

std::vector<Budget> BudgetsFromConfig(const config::Config& config) {
  std::vector<Budget> budgets;
  auto lower = [](double a, double b) {
    if (a <= 0) return b;
    if (b <= 0) return a;
    return std::min(a, b);
  };
  const double daily = lower(config.llm.budgets.daily_usd, config.cost.alerts.daily_limit);
  const double monthly = lower(config.llm.budgets.monthly_usd, config.cost.alerts.monthly_limit);
  if (daily > 0)
    budgets.push_back({BudgetScope::kOverall, "", BudgetPeriod::kDay, ToMicros(daily)});
  if (monthly > 0) {
    budgets.push_back({BudgetScope::kOverall, "", BudgetPeriod::kMonth, ToMicros(monthly)});
  }
  for (const auto& b : config.cost.budgets) {
    Budget budget{b.scope, b.name, b.period, ToMicros(b.limit_usd)};
    // An overall daily or monthly entry replaces the one of the older keys.
    auto same = std::find_if(budgets.begin(), budgets.end(),
                             [&](const Budget& x) { return x.Key() == budget.Key(); });
    if (same != budgets.end()) {
      *same = budget;
    } else {
      budgets.push_back(budget);
    }
  }
  return budgets;
}

LedgerOptions LedgerOptionsFromConfig(const config::Config& config) {
  LedgerOptions options;
  options.budgets = BudgetsFromConfig(config);
  options.pricing = config.llm.pricing;
  options.thresholds = config.cost.alerts.thresholds;
  options.hard_stop = config.cost.hard_stop;
  return options;
}

Ledger::Ledger(store::Store& store, const Clock& clock, LedgerOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {
  std::sort(options_.thresholds.begin(), options_.thresholds.end());
}

std::int64_t Ledger::PriceMicros(const std::string& model, const Usage& usage) const {
  auto price = options_.pricing.find(model);
  if (price == options_.pricing.end()) return 0;
  const double usd =
      static_cast<double>(usage.input_tokens) / 1000.0 * price->second.input_per_1k +
      static_cast<double>(usage.output_tokens) / 1000.0 * price->second.output_per_1k;
  return ToMicros(usd);
}

Result<Reservation> Ledger::Reserve(const CallScope& scope, const Usage& estimate) {
  DOCRUNCH_TRY(CheckName(scope.provider, "provider", true));
  DOCRUNCH_TRY(CheckName(scope.model, "model", true));
  DOCRUNCH_TRY(CheckName(scope.agent, "agent", false));
  DOCRUNCH_TRY(CheckName(scope.task, "task", false));
  DOCRUNCH_TRY(CheckName(scope.profile, "profile", false));
  DOCRUNCH_TRY(CheckUsage(estimate, "estimate"));
  Reservation reservation;
  reservation.estimate_micros = PriceMicros(scope.model, estimate);
  std::optional<Error> refused;
  DOCRUNCH_TRY(store_.Transact([&](store::Tx& tx) -> Result<void> {
    refused.reset();
    const TimePoint now = clock_.Now();
    // The one lock every reservation takes: whoever holds it sees every
    // reservation committed before, and the next one sees this one.
    auto locked = tx.Exec("UPDATE cost_lock SET reservations = reservations + 1 WHERE id = 1");
    if (!locked) return locked.error();
    json details;
    if (options_.hard_stop) {
      for (const Budget& b : options_.budgets) {
        if (!Applies(b, scope.agent, scope.provider)) continue;
        auto spent = Spent(tx, b, now);
        if (!spent) return spent.error();
        if (*spent + reservation.estimate_micros <= b.limit_micros) continue;
        refused = MakeError(
            ErrorCode::kLlmBudgetExceeded,
            "budget " + b.Key() + ": " + FormatUsd(*spent) + " of " + FormatUsd(b.limit_micros) +
                " spent this " + std::string(PeriodName(b.period)) + "; this call's estimate of " +
                FormatUsd(reservation.estimate_micros) + " would exceed it (cost.hard_stop)");
        details = {{"budget", b.Key()},
                   {"spent_usd", ToUsd(*spent)},
                   {"limit_usd", ToUsd(b.limit_micros)},
                   {"estimate_usd", ToUsd(reservation.estimate_micros)},
                   {"provider", scope.provider},
                   {"model", scope.model}};
        break;
      }
    }
    auto id = tx.Query(
        "INSERT INTO llm_calls (agent, task_id, profile, provider, model, status, outcome, "
        "estimate_micros, started_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10) RETURNING id",
        {scope.agent, scope.task, scope.profile, scope.provider, scope.model,
         std::string(refused ? "refused" : "reserved"),
         refused ? std::string("LLM_BUDGET_EXCEEDED") : std::string(), reservation.estimate_micros,
         FormatIso8601(now), refused ? store::Value{FormatIso8601(now)} : store::Value{}});
    if (!id) return id.error();
    reservation.call_id = id->Int(0, "id").value_or(0);
    if (refused) {
      DOCRUNCH_TRY(Audit(tx, now, scope.agent, "llm.refused", details["budget"].get<std::string>(),
                         "LLM_BUDGET_EXCEEDED", details));
    }
    return Ok();
  }));
  if (refused) {
    spdlog::warn("cost: call to {} ({}) refused: {}", scope.provider, scope.model,
                 refused->message);
    return *refused;
  }
  return reservation;
}

Result<void> Ledger::Settle(const Reservation& reservation, const Usage& actual,
                            const std::string& outcome, std::chrono::milliseconds latency) {
  DOCRUNCH_TRY(CheckUsage(actual, "usage"));
  DOCRUNCH_TRY(CheckName(outcome, "outcome", false));
  struct Fired {
    std::string budget;
    int threshold;
    std::int64_t spent, limit;
  };
  std::vector<Fired> fired;
  DOCRUNCH_TRY(store_.Transact([&](store::Tx& tx) -> Result<void> {
    fired.clear();
    const TimePoint now = clock_.Now();
    auto row =
        tx.Query("SELECT status, agent, provider, model, started_at FROM llm_calls WHERE id = $1",
                 {reservation.call_id});
    if (!row) return row.error();
    if (row->empty()) {
      return MakeError(ErrorCode::kStorageNotFound,
                       "call: no LLM call " + std::to_string(reservation.call_id));
    }
    if (row->Text(0, "status").value_or("") != "reserved") {
      return Invalid("call: LLM call " + std::to_string(reservation.call_id) + " is " +
                     row->Text(0, "status").value_or("") + ", not reserved");
    }
    const std::string agent = row->Text(0, "agent").value_or("");
    const std::string provider = row->Text(0, "provider").value_or("");
    const std::string model = row->Text(0, "model").value_or("");
    const TimePoint started = ParseIso8601(row->Text(0, "started_at").value_or("")).value_or(now);
    const std::int64_t cost = PriceMicros(model, actual);
    auto updated = tx.Exec(
        "UPDATE llm_calls SET status = $2, outcome = $3, input_tokens = $4, output_tokens = $5, "
        "cost_micros = $6, latency_ms = $7, finished_at = $8 WHERE id = $1",
        {reservation.call_id, std::string(outcome.empty() ? "ok" : "failed"), outcome,
         actual.input_tokens, actual.output_tokens, cost,
         static_cast<std::int64_t>(latency.count()), FormatIso8601(now)});
    if (!updated) return updated.error();
    for (const Budget& b : options_.budgets) {
      if (!Applies(b, agent, provider) || b.limit_micros <= 0) continue;
      auto spent = Spent(tx, b, started);
      if (!spent) return spent.error();
      const std::string period_start = FormatIso8601(PeriodBounds(b.period, started).first);
      for (int threshold : options_.thresholds) {
        // spent / limit >= threshold %, in integers.
        if (*spent * 100 < static_cast<std::int64_t>(threshold) * b.limit_micros) break;
        auto inserted = tx.Exec(
            "INSERT INTO cost_alerts (budget, period_start, threshold, spent_micros, "
            "limit_micros, fired_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            {b.Key(), period_start, std::int64_t{threshold}, *spent, b.limit_micros,
             FormatIso8601(now)});
        if (!inserted) return inserted.error();
        if (*inserted != 1) continue;  // fired before in this period
        json details = {{"budget", b.Key()},
                        {"period_start", period_start},
                        {"threshold_percent", threshold},
                        {"spent_usd", ToUsd(*spent)},
                        {"limit_usd", ToUsd(b.limit_micros)}};
        DOCRUNCH_TRY(Audit(tx, now, agent, "cost.alert", b.Key(), "ok", details));
        // For the dashboard's live views; no sync target applies it (as
        // workflow lifecycle events), so it is written processed.
        auto event = tx.Exec(
            "INSERT INTO sync_events (entity_type, entity_id, content_hash, action, priority, "
            "created_at, processed_at) VALUES ('cost_alert', $1, $2, 'upsert', 0, $3, $3)",
            {b.Key() + "@" + period_start, std::to_string(threshold), FormatIso8601(now)});
        if (!event) return event.error();
        fired.push_back({b.Key(), threshold, *spent, b.limit_micros});
      }
    }
    return Ok();
  }));
  for (const auto& f : fired) {
    spdlog::warn("cost: budget {} reached {}%: {} of {}", f.budget, f.threshold, FormatUsd(f.spent),
                 FormatUsd(f.limit));
  }
  return Ok();
}

Result<std::vector<BudgetState>> Ledger::States() const {
  std::vector<BudgetState> states;
  const TimePoint now = clock_.Now();
  for (const Budget& b : options_.budgets) {
    auto spent = Spent(store_, b, now);
    if (!spent) return spent.error();
    BudgetState s{b, PeriodBounds(b.period, now).first, *spent, 0};
    s.percent = b.limit_micros > 0
                    ? 100.0 * static_cast<double>(*spent) / static_cast<double>(b.limit_micros)
                    : 0;
    states.push_back(std::move(s));
  }
  return states;
}

Result<std::vector<SummaryRow>> Ledger::Summary(BudgetPeriod period, std::string_view by) const {
  std::string column;
  if (by == "agent") {
    column = "agent";
  } else if (by == "task") {
    column = "task_id";
  } else if (by == "provider") {
    column = "provider";
  } else if (by == "model") {
    column = "model";
  } else {
    return Invalid("by: '" + std::string(by.substr(0, 32)) +
                   "' is not a grouping (agent, task, provider or model)");
  }
  auto [from, to] = PeriodBounds(period, clock_.Now());
  auto rows = store_.Query(
      "SELECT " + column +
          " AS k, COUNT(*) AS calls, COALESCE(SUM(input_tokens), 0) AS input_tokens, "
          "COALESCE(SUM(output_tokens), 0) AS output_tokens, "
          "COALESCE(SUM(COALESCE(cost_micros, estimate_micros)), 0) AS cost FROM llm_calls "
          "WHERE status <> 'refused' AND started_at >= $1 AND started_at < $2 GROUP BY " +
          column + " ORDER BY cost DESC, k",
      {FormatIso8601(from), FormatIso8601(to)});
  if (!rows) return rows.error();
  std::vector<SummaryRow> out;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    out.push_back(
        {rows->Text(i, "k").value_or(""),
         rows->Int(i, "calls").value_or(0),
         {rows->Int(i, "input_tokens").value_or(0), rows->Int(i, "output_tokens").value_or(0)},
         rows->Int(i, "cost").value_or(0)});
  }
  return out;
}

Result<nlohmann::json> Ledger::Report(BudgetPeriod period, std::string_view by) const {
  auto rows = Summary(period, by);
  if (!rows) return rows.error();
  auto states = States();
  if (!states) return states.error();
  auto [from, to] = PeriodBounds(period, clock_.Now());
  std::int64_t total = 0, calls = 0;
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : *rows) {
    total += r.cost_micros;
    calls += r.calls;
    items.push_back({{std::string(by), r.key},
                     {"calls", r.calls},
                     {"input_tokens", r.tokens.input_tokens},
                     {"output_tokens", r.tokens.output_tokens},
                     {"cost_usd", ToUsd(r.cost_micros)}});
  }
  nlohmann::json budgets = nlohmann::json::array();
  for (const auto& s : *states) {
    budgets.push_back({{"budget", s.budget.Key()},
                       {"scope", ScopeName(s.budget.scope)},
                       {"name", s.budget.name},
                       {"period", PeriodName(s.budget.period)},
                       {"period_start", FormatIso8601(s.period_start)},
                       {"limit_usd", ToUsd(s.budget.limit_micros)},
                       {"spent_usd", ToUsd(s.spent_micros)},
                       {"percent", s.percent}});
  }
  return nlohmann::json{{"period", PeriodName(period)},
                        {"from", FormatIso8601(from)},
                        {"to", FormatIso8601(to)},
                        {"by", by},
                        {"calls", calls},
                        {"total_usd", ToUsd(total)},
                        {"rows", std::move(items)},
                        {"budgets", std::move(budgets)},
                        {"hard_stop", options_.hard_stop}};
}

}  // namespace docrunch::cost
