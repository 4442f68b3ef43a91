// The one place every LLM call passes (PRODUCT §13, §14): it loads the
// provider, opens its sealed secrets into Secret values that live only for
// the call, runs the wire client, scrubs any echo of a secret from errors,
// and reports the call to an observer. A cost ledger and budgets (PRODUCT
// §14: llm_calls, alerts, hard stop) plug in as a CallObserver: BeforeCall
// may refuse a call (a hard stop), AfterCall sees every call's provider,
// model, usage, latency and outcome, success or failure.
//
// Thread-safety: a Gateway may be used from several threads when its
// observer is thread-safe; it holds no state between calls.
#pragma once

#include <string>
#include <vector>

#include "llm/client.h"
#include "llm/secret_box.h"
#include "store/store.h"

namespace docrunch::llm {

struct CallInfo {
  std::string kind;  // "generate" | "embed"
  std::string provider;
  ProviderType type = ProviderType::kOpenAi;
  std::string model;
  std::string role;   // the profile's role; "" for a direct call
  std::string agent;  // CallOptions::agent, for the cost ledger
  std::string task;   // CallOptions::task
  // What the call may cost before it is made: the prompt's tokens
  // (bytes / 4) and the most it may answer (max_tokens, or 1,024).
  std::int64_t estimate_input_tokens = 0;
  std::int64_t estimate_output_tokens = 0;
};

struct CallOutcome {
  bool ok = false;
  ErrorCode error = ErrorCode::kInternal;  // when !ok
  Usage usage;
  int attempts = 0;
  std::chrono::milliseconds latency{0};
};

class CallObserver {
 public:
  virtual ~CallObserver() = default;
  // An error refuses the call before anything is sent.
  virtual Result<void> BeforeCall(const CallInfo& call) {
    (void)call;
    return Ok();
  }
  virtual void AfterCall(const CallInfo& call, const CallOutcome& outcome) {
    (void)call;
    (void)outcome;
  }
};

class Gateway {
 public:
  // `box` opens the providers' secrets (nullptr: only providers without
  // secrets can be called). `observer` may be nullptr. Neither is owned.
  Gateway(store::Store& store, const SecretBox* box, CallObserver* observer = nullptr);

  // One generation from the named provider. A disabled provider is refused
  // (INVALID_PARAMS).
  Result<GenerateResult> Generate(const std::string& provider, GenerateRequest request,
                                  const CallOptions& options, const std::string& role = "");
  // One generation for a specialist role: its profile's provider, model,
  // temperature, system prompt and max tokens fill what `request` leaves unset.
  Result<GenerateResult> GenerateForRole(const std::string& role, GenerateRequest request,
                                         const CallOptions& options);
  Result<EmbedResult> Embed(const std::string& provider, const std::vector<std::string>& texts,
                            const CallOptions& options, const std::string& model = "");

 private:
  template <class T, class Fn>
  Result<T> Call(CallInfo call, const std::string& model, Fn&& fn);

  store::Store& store_;
  const SecretBox* box_;
  CallObserver* observer_;
};

// `message` with every occurrence of `secret` (when 4 bytes or longer)
// replaced by "[redacted]".
std::string Scrub(std::string message, std::string_view secret);

}  // namespace docrunch::llm
