#include "llm/provider_test.h"

namespace docrunch::llm {

Result<GenerateResult> TestProvider(Gateway& gateway, const std::string& name,
                                    const ProviderTestOptions& options) {
  GenerateRequest request;
  request.messages.push_back({"user", options.prompt});
  request.max_tokens = 32;
  CallOptions call;
  call.timeout = options.timeout;
  call.retry.max_attempts = 1;
  return gateway.Generate(name, std::move(request), call);
}

bool NeedsSecrets(const SealedProvider& provider) {
  return !provider.api_key_sealed.empty() || !provider.proxy_api_key_sealed.empty();
}

}  // namespace docrunch::llm
