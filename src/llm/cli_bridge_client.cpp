// The CLI Bridge proxy (PRODUCT §14; `docrunch cli-proxy`): POST
// {base}/execute with "X-API-Key: KEY" (when the provider has one) and
// {cli_type, prompt, model, timeout (seconds)} -> {success, content, error,
// cli_type, model, execution_time_ms}. A CLI has no token counts: usage is
// not reported. The proxy does not stream: a streaming caller gets the whole
// answer as one piece.
#include <cmath>

#include "llm/wire_util.h"

namespace docrunch::llm::wire {
namespace {

// The proxy's refusals say why in `error` (or a framework's `detail`).
std::string ErrorMessage(const json& body) {
  std::string message = StrOr(body, "error");
  return message.empty() ? StrOr(body, "detail") : message;
}

// The conversation as one prompt for a CLI that takes text on stdin.
std::string PromptOf(const GenerateRequest& r) {
  std::string prompt;
  if (!r.system.empty()) prompt += r.system + "\n\n";
  if (r.messages.size() == 1) return prompt + r.messages[0].content;
  for (const auto& m : r.messages) {
    prompt += (m.role == "assistant" ? "Assistant: " : "User: ") + m.content + "\n\n";
  }
  return prompt;
}

class CliBridgeClient final : public WireClient {
 public:
  Result<GenerateResult> Generate(const Endpoint& e, const GenerateRequest& r,
                                  const CallOptions& options) override {
    Stopwatch clock;
    // The CLI gets a little less than our own timeout, so its own answer
    // (a timeout error) arrives before we give up on the proxy.
    const long seconds = std::max(1L, static_cast<long>(options.timeout.count() / 1000) - 2);
    json body{{"cli_type", e.cli_type},
              {"prompt", PromptOf(r)},
              {"model", ModelOf(e, r)},
              {"timeout", seconds}};
    std::vector<std::string> headers;
    if (!e.proxy_api_key.empty()) headers.push_back(SecretHeader("X-API-Key: ", e.proxy_api_key));
    auto answer = PostJsonOk({e.base_url + "/execute", std::move(headers), Dump(body)}, options,
                             nullptr, e, ErrorMessage);
    if (!answer) return answer.error();
    json j = Parse(answer->body);
    if (!j.is_object() || !j.contains("success") || !j["success"].is_boolean()) {
      return Malformed(e, "no success flag");
    }
    if (!j["success"].get<bool>()) {
      std::string error = StrOr(j, "error");
      return MakeError(ErrorCode::kLlmProviderError,
                       Label(e) + ": the " + e.cli_type + " CLI failed: " +
                           (error.empty() ? "no reason given" : error.substr(0, 500)));
    }
    GenerateResult result;
    result.text = StrOr(j, "content");
    result.model = StrOr(j, "model").empty() ? ModelOf(e, r) : StrOr(j, "model");
    result.finish_reason = "stop";
    result.attempts = answer->attempts;
    if (options.on_text && !result.text.empty()) options.on_text(result.text);
    result.latency = clock.Elapsed();
    return result;
  }
};

}  // namespace

std::unique_ptr<WireClient> MakeCliBridgeClient() {
  return std::make_unique<CliBridgeClient>();
}

}  // namespace docrunch::llm::wire
