// Anthropic messages: POST {base}/v1/messages with "x-api-key: KEY" and
// "anthropic-version: 2023-06-01"; {model, max_tokens, system?, messages,
// temperature?, stream?} -> {content[{type: "text", text}], stop_reason,
// usage{input_tokens, output_tokens}}. Streams as SSE events message_start
// (usage.input_tokens), content_block_delta (delta.text), message_delta
// (stop_reason, usage.output_tokens), message_stop; an "error" event
// carries {error{type, message}}. Errors: {"type": "error", "error":
// {"type", "message"}}; 529 is "overloaded" (retried like a 5xx).
#include "llm/wire_util.h"

namespace docrunch::llm::wire {
namespace {

std::string ErrorMessage(const json& body) {
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    std::string type = StrOr(body["error"], "type");
    std::string message = StrOr(body["error"], "message");
    return type.empty() ? message : type + ": " + message;
  }
  return "";
}

class AnthropicClient final : public WireClient {
 public:
  Result<GenerateResult> Generate(const Endpoint& e, const GenerateRequest& r,
                                  const CallOptions& options) override {
    Stopwatch clock;
    json messages = json::array();
    for (const auto& m : r.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
    json body{{"model", ModelOf(e, r)},
              {"max_tokens", r.max_tokens > 0 ? r.max_tokens : 1024},
              {"messages", messages}};
    if (!r.system.empty()) body["system"] = r.system;
    if (r.temperature) body["temperature"] = *r.temperature;
    const bool stream = static_cast<bool>(options.on_text);
    if (stream) body["stream"] = true;
    HttpRequest request{e.base_url + "/v1/messages",
                        SecretHeaders("x-api-key: ", e.api_key, {"anthropic-version: 2023-06-01"}),
                        Dump(body)};
    GenerateResult result;
    result.model = ModelOf(e, r);
    bool stopped = false;
    SseParser sse;
    ChunkSink sink = [&](std::string_view bytes) -> Result<void> {
      return sse.Feed(
          bytes, [&](const std::string& event, const std::string& data) -> Result<void> {
            json j = Parse(data);
            if (!j.is_object()) return Malformed(e, "a stream event is not JSON");
            const std::string type = StrOr(j, "type").empty() ? event : StrOr(j, "type");
            if (type == "error") {
              return MakeError(ErrorCode::kLlmProviderError,
                               Label(e) + ": error in the stream: " + ErrorMessage(j));
            }
            if (type == "message_start" && j.contains("message") && j["message"].is_object()) {
              const json& m = j["message"];
              if (m.contains("model") && m["model"].is_string()) result.model = m["model"];
              if (m.contains("usage")) {
                result.usage.input_tokens = IntOr(m["usage"], "input_tokens");
                result.usage.output_tokens = IntOr(m["usage"], "output_tokens");
                result.usage.reported = true;
              }
            } else if (type == "content_block_delta" && j.contains("delta")) {
              std::string piece = StrOr(j["delta"], "text");
              if (!piece.empty()) {
                result.text += piece;
                options.on_text(piece);
              }
            } else if (type == "message_delta") {
              if (j.contains("delta")) {
                std::string reason = StrOr(j["delta"], "stop_reason");
                if (!reason.empty()) result.finish_reason = reason;
              }
              if (j.contains("usage") && j["usage"].is_object()) {
                // Cumulative: the final count of output tokens.
                result.usage.output_tokens = IntOr(j["usage"], "output_tokens");
                if (IntOr(j["usage"], "input_tokens") > 0) {
                  result.usage.input_tokens = IntOr(j["usage"], "input_tokens");
                }
                result.usage.reported = true;
              }
            } else if (type == "message_stop") {
              stopped = true;
            }
            return Ok();
          });
    };
    auto answer =
        PostJsonOk(std::move(request), options, stream ? &sink : nullptr, e, ErrorMessage);
    if (!answer) return answer.error();
    result.attempts = answer->attempts;
    if (stream) {
      if (!stopped) return Malformed(e, "the stream ended before message_stop");
    } else {
      json j = Parse(answer->body);
      if (!j.is_object() || !j.contains("content") || !j["content"].is_array()) {
        return Malformed(e, "no content array");
      }
      for (const auto& block : j["content"]) {
        if (StrOr(block, "type") == "text") result.text += StrOr(block, "text");
      }
      result.finish_reason = StrOr(j, "stop_reason");
      if (j.contains("model") && j["model"].is_string()) result.model = j["model"];
      if (j.contains("usage") && j["usage"].is_object()) {
        result.usage.input_tokens = IntOr(j["usage"], "input_tokens");
        result.usage.output_tokens = IntOr(j["usage"], "output_tokens");
        result.usage.reported = true;
      }
    }
    result.latency = clock.Elapsed();
    return result;
  }
};

}  // namespace

std::unique_ptr<WireClient> MakeAnthropicClient() {
  return std::make_unique<AnthropicClient>();
}

}  // namespace docrunch::llm::wire
