// The LLM gateway as a process opens it (chat, serve, the workflow
// workers): the secret box, the cost ledger as the gateway's observer, and
// the gateway itself. Every LLM call of the process goes through this one
// ledger, so budgets see all of them.
#pragma once

#include <memory>
#include <string>

#include "app/context.h"
#include "cost/ledger.h"
#include "llm/cost_observer.h"
#include "llm/gateway.h"
#include "llm/secret_box.h"

namespace docrunch::app {

struct LlmEnv {
  std::unique_ptr<llm::SecretBox> box;  // null: no key (providers without secrets only)
  std::unique_ptr<cost::Ledger> ledger;
  std::unique_ptr<llm::CostObserver> costs;
  std::unique_ptr<llm::Gateway> gateway;
};

// The box is opened when some provider has sealed secrets. `strict_role`
// (non-empty): when that role's profile names an enabled provider with
// sealed secrets, a KMS key that cannot open them is an error now (a CLI
// command that is about to call it). Otherwise a key that cannot is left
// to fail the call that needs one.
Result<std::unique_ptr<LlmEnv>> OpenLlm(AppContext& ctx, store::Store& store,
                                        const std::string& strict_role = "");

}  // namespace docrunch::app
