// The chat service as commands open it (chat, serve): the gateway with the
// cost ledger as its observer and the secret box, behind chat::ChatService.
#pragma once

#include <memory>

#include "app/context.h"
#include "chat/chat.h"
#include "cost/ledger.h"
#include "llm/cost_observer.h"
#include "llm/gateway.h"
#include "llm/secret_box.h"

namespace docrunch::app {

struct ChatEnv {
  std::unique_ptr<llm::SecretBox> box;  // null: no KMS key (providers without secrets only)
  std::unique_ptr<cost::Ledger> ledger;
  std::unique_ptr<llm::CostObserver> costs;
  std::unique_ptr<llm::Gateway> gateway;
  std::unique_ptr<chat::ChatService> service;
};

// `strict`: when the chat profile's provider has sealed secrets, the KMS
// key must open them now (the CLI); otherwise (serve) a key that cannot
// is left to fail the call that needs it.
Result<std::unique_ptr<ChatEnv>> OpenChat(AppContext& ctx, store::Store& store,
                                          std::int64_t repository_id, search::SearchOptions search,
                                          bool strict);

}  // namespace docrunch::app
