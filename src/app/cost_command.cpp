// docrunch cost [--period day|week|month] [--by agent|task|provider|model] [--json]:
// what LLM calls cost in the current period, grouped, and each budget's
// state (cost/ledger.h).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "cost/ledger.h"

namespace docrunch::app {
namespace {

struct CostFlags {
  std::string period = "day";
  std::string by = "provider";
  bool json = false;
};

Result<void> ShowCost(AppContext& ctx, const CostFlags& flags) {
  auto period = cost::ParsePeriod(flags.period, "--period");
  if (!period) return MakeError(ErrorCode::kUsage, period.error().message);
  if (flags.by != "agent" && flags.by != "task" && flags.by != "provider" && flags.by != "model") {
    return MakeError(ErrorCode::kUsage, "--by " + flags.by.substr(0, 32) +
                                            ": group by agent, task, provider or model");
  }
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  auto store = ctx.Store();
  if (!store) return store.error();
  cost::Ledger ledger(**store, ctx.clock(), cost::LedgerOptionsFromConfig((*loaded)->config));
  if (flags.json) {
    auto report = ledger.Report(*period, flags.by);
    if (!report) return report.error();
    Print(report->dump(2));
    return Ok();
  }
  auto rows = ledger.Summary(*period, flags.by);
  if (!rows) return rows.error();
  auto states = ledger.States();
  if (!states) return states.error();
  auto [from, to] = cost::PeriodBounds(*period, ctx.clock().Now());

  std::int64_t total = 0, calls = 0;
  for (const auto& r : *rows) {
    total += r.cost_micros;
    calls += r.calls;
  }
  std::string text = "LLM spend this " + flags.period + " (" + FormatIso8601(from) + " to " +
                     FormatIso8601(to) + "): " + cost::FormatUsd(total) + " in " +
                     std::to_string(calls) + (calls == 1 ? " call\n" : " calls\n");
  for (const auto& r : *rows) {
    text += "  " + (r.key.empty() ? std::string("(none)") : r.key) + ": " +
            cost::FormatUsd(r.cost_micros) + ", " + std::to_string(r.calls) +
            (r.calls == 1 ? " call, " : " calls, ") + std::to_string(r.tokens.input_tokens) +
            " in / " + std::to_string(r.tokens.output_tokens) + " out tokens\n";
  }
  if (states->empty()) {
    text += "no budgets (cost.budgets, llm.budgets, cost.alerts)\n";
  } else {
    text += std::string("budgets") + (ledger.options().hard_stop ? " (hard stop)" : "") + ":\n";
    for (const auto& s : *states) {
      char percent[32];
      std::snprintf(percent, sizeof percent, "%.1f%%", s.percent);
      text += "  " + s.budget.Key() + ": " + cost::FormatUsd(s.spent_micros) + " of " +
              cost::FormatUsd(s.budget.limit_micros) + " (" + percent + ")\n";
    }
  }
  text.pop_back();
  Print(text);
  return Ok();
}

}  // namespace

void RegisterCost(CLI::App& app, AppContext& ctx, Action& action) {
  auto flags = std::make_shared<CostFlags>();
  CLI::App* cmd = app.add_subcommand("cost",
                                     "LLM spend by agent, task, provider or model, and "
                                     "the budgets' state");
  cmd->add_option("--period", flags->period, "day (default), week or month");
  cmd->add_option("--by", flags->by, "agent, task, provider (default) or model");
  cmd->add_flag("--json", flags->json, "Print JSON");
  cmd->callback(
      [&ctx, &action, flags] { action = [&ctx, flags] { return ShowCost(ctx, *flags); }; });
}

}  // namespace docrunch::app
