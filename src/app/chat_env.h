// The chat service as commands open it (chat, serve): the process's LLM
// gateway (app/llm_env.h) behind chat::ChatService.
#pragma once

#include <memory>

#include "app/context.h"
#include "app/llm_env.h"
#include "chat/chat.h"

namespace docrunch::app {

struct ChatEnv {
  std::unique_ptr<LlmEnv> llm;
  std::unique_ptr<chat::ChatService> service;
};

// `strict`: when the chat profile's provider has sealed secrets, the KMS
// key must open them now (the CLI); otherwise (serve) a key that cannot
// is left to fail the call that needs it.
Result<std::unique_ptr<ChatEnv>> OpenChat(AppContext& ctx, store::Store& store,
                                          std::int64_t repository_id, search::SearchOptions search,
                                          bool strict);

}  // namespace docrunch::app
