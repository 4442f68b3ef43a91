// LLM clients: one per wire format, behind one interface (PRODUCT §14).
//
//   OpenAI chat completions  openai, openai-compatible, xai   (SSE streams, embeddings)
//   Anthropic messages       anthropic                        (SSE streams)
//   Google generateContent   google                           (SSE streams, embeddings)
//   Ollama chat              ollama                           (NDJSON streams, embeddings)
//   CLI Bridge proxy         cli_bridge                       (POST /execute; no stream)
//
// Every call: a timeout per attempt, retries with exponential backoff and
// full jitter on 429 and 5xx (and connection failures) that honour
// Retry-After, cancellation through a flag checked while the transfer runs
// and while waiting, a cap on the answer's size, and the token usage the
// provider reported. Streaming calls are retried only before the first
// byte of an answer. Error messages never contain the key (the gateway
// also scrubs anything a provider echoes). Callers normally go through
// llm/gateway.h, the one place every call passes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "llm/providers.h"

namespace docrunch::llm {

struct ChatMessage {
  std::string role;  // "user" or "assistant"
  std::string content;
};

struct GenerateRequest {
  std::string model;   // "" = the provider's
  std::string system;  // "" = none
  std::vector<ChatMessage> messages;
  std::optional<double> temperature;
  int max_tokens = 0;  // 0 = the default (Anthropic requires one: 1024)
};

struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  bool reported = false;  // the provider said how many
};

struct GenerateResult {
  std::string text;
  std::string model;          // as the provider named it
  std::string finish_reason;  // "stop", "length", "end_turn", "STOP", ...
  Usage usage;
  int attempts = 0;
  std::chrono::milliseconds latency{0};  // all attempts and waits
};

struct EmbedResult {
  std::vector<std::vector<float>> vectors;  // one per input, in order
  std::string model;
  Usage usage;
  int attempts = 0;
  std::chrono::milliseconds latency{0};
};

struct RetryPolicy {
  int max_attempts = 3;  // 1: no retries
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{20000};
  // A Retry-After longer than this is not waited for: the call fails at
  // once with RATE_LIMITED naming the wait.
  std::chrono::milliseconds max_retry_after{60000};
};

struct CallOptions {
  std::chrono::milliseconds timeout{120000};  // per attempt, the whole transfer
  std::chrono::milliseconds connect_timeout{10000};
  RetryPolicy retry;
  // Checked while the transfer runs and while waiting to retry; set: the
  // call ends with INTERRUPTED. Not owned.
  const std::atomic<bool>* cancel = nullptr;
  // Set: the call streams, and each piece of text is passed here as it
  // arrives (GenerateResult::text still holds all of it).
  std::function<void(std::string_view)> on_text;
  std::size_t max_response_bytes = 8u << 20;
  // Whom the call is for, as the cost ledger records it ("" when no one:
  // a person's command).
  std::string agent;
  std::string task;
};

// A provider with its opened secrets (borrowed: they live in the caller's
// Secret values for the length of the call).
struct Endpoint {
  ProviderType type = ProviderType::kOpenAi;
  std::string base_url;
  std::string model;
  std::string cli_type;  // cli_bridge
  std::string_view api_key;
  std::string_view proxy_api_key;
};

class WireClient {
 public:
  virtual ~WireClient() = default;
  virtual Result<GenerateResult> Generate(const Endpoint& endpoint, const GenerateRequest& request,
                                          const CallOptions& options) = 0;
  // INVALID_PARAMS for wire formats without embeddings.
  virtual Result<EmbedResult> Embed(const Endpoint& endpoint, const std::vector<std::string>& texts,
                                    const std::string& model, const CallOptions& options);
};

// The client of a provider type's wire format.
std::unique_ptr<WireClient> MakeWireClient(ProviderType type);

}  // namespace docrunch::llm
