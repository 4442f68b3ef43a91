#include "llm/cost_observer.h"

#include <vector>

#include <spdlog/spdlog.h>

#include "obs/catalog.h"

namespace docrunch::llm {
namespace {

// The calls of this thread between BeforeCall and AfterCall (a stack: a
// call made while another waits, say a retry's fallback, nests).
thread_local std::vector<cost::Reservation> open_calls;
thread_local std::int64_t last_call_id = 0;

}  // namespace

Result<void> CostObserver::BeforeCall(const CallInfo& call) {
  auto reserved = ledger_.Reserve({call.agent, call.task, call.role, call.provider, call.model},
                                  {call.estimate_input_tokens, call.estimate_output_tokens});
  if (!reserved) return reserved.error();
  open_calls.push_back(*reserved);
  last_call_id = reserved->call_id;
  return Ok();
}

std::int64_t CostObserver::LastCallId() {
  return last_call_id;
}

void CostObserver::AfterCall(const CallInfo& call, const CallOutcome& outcome) {
  const std::string code = outcome.ok ? "" : std::string(ErrorCodeName(outcome.error));
  cost::Usage usage{outcome.usage.input_tokens, outcome.usage.output_tokens};
  if (!open_calls.empty()) {
    const cost::Reservation reservation = open_calls.back();
    open_calls.pop_back();
    // A failed settle leaves the reservation counting its estimate: the
    // ledger errs on the side of spending less.
    if (auto settled = ledger_.Settle(reservation, usage, code, outcome.latency); !settled) {
      spdlog::warn("cost: the call to {} was not settled: {}", call.provider,
                   settled.error().ToString());
    }
  }
  obs::RecordLlmCall({call.provider, call.model, outcome.ok ? "ok" : code, usage.input_tokens,
                      usage.output_tokens, cost::ToUsd(ledger_.PriceMicros(call.model, usage)),
                      std::chrono::duration<double>(outcome.latency).count()});
}

}  // namespace docrunch::llm
