#include "llm/client.h"

#include "llm/wire_util.h"

namespace docrunch::llm {

Result<EmbedResult> WireClient::Embed(const Endpoint& endpoint, const std::vector<std::string>&,
                                      const std::string&, const CallOptions&) {
  return MakeError(ErrorCode::kInvalidParams,
                   std::string("provider: type ") + std::string(ProviderTypeName(endpoint.type)) +
                       " has no embeddings API (openai, openai-compatible, xai, google and "
                       "ollama do)");
}

std::unique_ptr<WireClient> MakeWireClient(ProviderType type) {
  switch (type) {
    case ProviderType::kOpenAi:
    case ProviderType::kOpenAiCompatible:
    case ProviderType::kXai:
      return wire::MakeOpenAiClient();
    case ProviderType::kAnthropic:
      return wire::MakeAnthropicClient();
    case ProviderType::kGoogle:
      return wire::MakeGoogleClient();
    case ProviderType::kOllama:
      return wire::MakeOllamaClient();
    case ProviderType::kCliBridge:
      return wire::MakeCliBridgeClient();
  }
  return wire::MakeOpenAiClient();
}

}  // namespace docrunch::llm
