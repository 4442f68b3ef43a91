// The cost ledger as the gateway's observer: every call is reserved in
// llm_calls before it is made (refused under a hard-stop budget, so
// nothing leaves the machine) and settled with the provider's tokens
// after; the metrics count it too (docrunch_llm_*). One per gateway; the
// reservation of a call is kept per thread between BeforeCall and
// AfterCall, which the gateway calls on the calling thread.
#pragma once

#include "cost/ledger.h"
#include "llm/gateway.h"

namespace docrunch::llm {

class CostObserver final : public CallObserver {
 public:
  explicit CostObserver(cost::Ledger& ledger) : ledger_(ledger) {}
  Result<void> BeforeCall(const CallInfo& call) override;
  void AfterCall(const CallInfo& call, const CallOutcome& outcome) override;
  // The llm_calls id of the last call reserved on this thread (0: none),
  // so a caller can link what it stores to the call (chat messages).
  static std::int64_t LastCallId();

 private:
  cost::Ledger& ledger_;
};

}  // namespace docrunch::llm
