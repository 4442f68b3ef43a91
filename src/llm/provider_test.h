// One real, minimal call to a provider, as `docrunch provider test` and
// POST /api/llm/providers/{name}/test make it (PRODUCT §14): a short prompt,
// at most 32 tokens back, no retries (a test reports what the provider says
// now), through the gateway, so the call is recorded and budgeted like any
// other and its secrets are opened only for it.
#pragma once

#include <chrono>
#include <string>

#include "llm/gateway.h"

namespace docrunch::llm {

struct ProviderTestOptions {
  std::string prompt = "Reply with the single word: pong";
  std::chrono::seconds timeout{60};
};

// The provider's answer (text, model, usage, latency), or its error:
// LLM_PROVIDER_ERROR / LLM_TIMEOUT from the provider, INVALID_PARAMS for a
// disabled one, STORAGE_NOT_FOUND for an unknown name, KMS_KEY_INVALID when
// the gateway has no key for its secrets, LLM_BUDGET_EXCEEDED.
Result<GenerateResult> TestProvider(Gateway& gateway, const std::string& name,
                                    const ProviderTestOptions& options = {});

// Whether calling `provider` needs the secret box (it holds a sealed key).
bool NeedsSecrets(const SealedProvider& provider);

}  // namespace docrunch::llm
