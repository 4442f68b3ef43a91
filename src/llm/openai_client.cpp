// OpenAI chat completions (also openai-compatible servers and xAI):
// POST {base}/chat/completions with "Authorization: Bearer KEY";
// {choices[0].message.content, finish_reason, usage{prompt_tokens,
// completion_tokens}}; streams as SSE "data: {chunk}" lines ending with
// "data: [DONE]", usage in the last chunk (stream_options.include_usage).
// Errors: {"error": {"message", "type", "code"}}.
// Embeddings: POST {base}/embeddings {model, input} -> {data[{index, embedding}], usage}.
#include "llm/wire_util.h"

namespace docrunch::llm::wire {
namespace {

std::string ErrorMessage(const json& body) {
  if (body.is_object() && body.contains("error")) {
    const json& e = body["error"];
    if (e.is_object()) return StrOr(e, "message");
    if (e.is_string()) return e.get<std::string>();
  }
  return "";
}

std::vector<std::string> AuthHeaders(const Endpoint& e) {
  std::vector<std::string> headers;
  if (!e.api_key.empty()) headers.push_back(SecretHeader("Authorization: Bearer ", e.api_key));
  return headers;
}

void ReadUsage(const json& usage, Usage& out) {
  if (!usage.is_object()) return;
  out.input_tokens = IntOr(usage, "prompt_tokens");
  out.output_tokens = IntOr(usage, "completion_tokens");
  out.reported = true;
}

class OpenAiClient final : public WireClient {
 public:
  Result<GenerateResult> Generate(const Endpoint& e, const GenerateRequest& r,
                                  const CallOptions& options) override {
    Stopwatch clock;
    json messages = json::array();
    if (!r.system.empty()) messages.push_back({{"role", "system"}, {"content", r.system}});
    for (const auto& m : r.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
    json body{{"model", ModelOf(e, r)}, {"messages", messages}};
    if (r.temperature) body["temperature"] = *r.temperature;
    if (r.max_tokens > 0) body["max_tokens"] = r.max_tokens;
    const bool stream = static_cast<bool>(options.on_text);
    if (stream) {
      body["stream"] = true;
      body["stream_options"] = {{"include_usage", true}};
    }
    HttpRequest request{e.base_url + "/chat/completions", AuthHeaders(e), Dump(body)};
    GenerateResult result;
    result.model = ModelOf(e, r);
    bool done = false;
    SseParser sse;
    ChunkSink sink = [&](std::string_view bytes) -> Result<void> {
      return sse.Feed(bytes, [&](const std::string&, const std::string& data) -> Result<void> {
        if (data == "[DONE]") {
          done = true;
          return Ok();
        }
        json chunk = Parse(data);
        if (!chunk.is_object()) return Malformed(e, "a stream event is not JSON");
        if (chunk.contains("error")) {
          return MakeError(ErrorCode::kLlmProviderError,
                           Label(e) + ": error in the stream: " + ErrorMessage(chunk));
        }
        if (chunk.contains("model") && chunk["model"].is_string()) result.model = chunk["model"];
        if (chunk.contains("usage")) ReadUsage(chunk["usage"], result.usage);
        if (chunk.contains("choices") && chunk["choices"].is_array()) {
          for (const auto& choice : chunk["choices"]) {
            const json delta = choice.value("delta", json::object());
            std::string piece = StrOr(delta, "content");
            if (!piece.empty()) {
              result.text += piece;
              options.on_text(piece);
            }
            if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
              result.finish_reason = choice["finish_reason"];
            }
          }
        }
        return Ok();
      });
    };
    auto answer =
        PostJsonOk(std::move(request), options, stream ? &sink : nullptr, e, ErrorMessage);
    if (!answer) return answer.error();
    result.attempts = answer->attempts;
    if (stream) {
      if (!done) return Malformed(e, "the stream ended before data: [DONE]");
    } else {
      json j = Parse(answer->body);
      if (!j.is_object() || !j.contains("choices") || !j["choices"].is_array() ||
          j["choices"].empty() || !j["choices"][0].is_object()) {
        return Malformed(e, "no choices");
      }
      const json& choice = j["choices"][0];
      const json message = choice.value("message", json::object());
      if (!message.is_object()) return Malformed(e, "choices[0].message is not an object");
      result.text = StrOr(message, "content");
      result.finish_reason = StrOr(choice, "finish_reason");
      if (j.contains("model") && j["model"].is_string()) result.model = j["model"];
      if (j.contains("usage")) ReadUsage(j["usage"], result.usage);
    }
    result.latency = clock.Elapsed();
    return result;
  }

  Result<EmbedResult> Embed(const Endpoint& e, const std::vector<std::string>& texts,
                            const std::string& model, const CallOptions& options) override {
    Stopwatch clock;
    const std::string use = model.empty() ? e.model : model;
    json body{{"model", use}, {"input", texts}, {"encoding_format", "float"}};
    auto answer = PostJsonOk({e.base_url + "/embeddings", AuthHeaders(e), Dump(body)}, options,
                             nullptr, e, ErrorMessage);
    if (!answer) return answer.error();
    json j = Parse(answer->body);
    if (!j.is_object() || !j.contains("data") || !j["data"].is_array()) {
      return Malformed(e, "no data array");
    }
    if (j["data"].size() != texts.size()) {
      return Malformed(e, "asked for " + std::to_string(texts.size()) + " embeddings, got " +
                              std::to_string(j["data"].size()));
    }
    EmbedResult result;
    result.model =
        j.contains("model") && j["model"].is_string() ? j["model"].get<std::string>() : use;
    result.vectors.resize(texts.size());
    for (std::size_t i = 0; i < j["data"].size(); ++i) {
      const json& item = j["data"][i];
      std::size_t index =
          item.is_object() && item.contains("index") && item["index"].is_number_unsigned()
              ? item["index"].get<std::size_t>()
              : i;
      if (index >= result.vectors.size() || !result.vectors[index].empty() || !item.is_object() ||
          !ReadVector(item.value("embedding", json()), result.vectors[index])) {
        return Malformed(e, "data[" + std::to_string(i) + "] is not an embedding");
      }
    }
    if (j.contains("usage")) {
      result.usage.input_tokens = IntOr(j["usage"], "prompt_tokens");
      result.usage.reported = true;
    }
    result.attempts = answer->attempts;
    result.latency = clock.Elapsed();
    return result;
  }
};

}  // namespace

std::unique_ptr<WireClient> MakeOpenAiClient() {
  return std::make_unique<OpenAiClient>();
}

}  // namespace docrunch::llm::wire
