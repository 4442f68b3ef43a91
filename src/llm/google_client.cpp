// Google Gemini API: POST {base}/v1beta/models/{model}:generateContent with
// "x-goog-api-key: KEY"; {contents[{role: user|model, parts[{text}]}],
// systemInstruction?{parts[{text}]}, generationConfig{temperature,
// maxOutputTokens}} -> {candidates[{content{parts[{text}]}, finishReason}],
// usageMetadata{promptTokenCount, candidatesTokenCount}, modelVersion}.
// Streams from :streamGenerateContent?alt=sse as SSE "data:" events, each a
// whole GenerateContentResponse; the last carries a finishReason. Errors:
// {"error": {"code", "message", "status"}}. Embeddings:
// :batchEmbedContents {requests[{model, content{parts[{text}]}}]} ->
// {embeddings[{values}]}.
#include "llm/wire_util.h"

namespace docrunch::llm::wire {
namespace {

std::string ErrorMessage(const json& body) {
  const json* e = nullptr;
  if (body.is_object() && body.contains("error")) e = &body["error"];
  // Streams and some proxies answer with an array of one response.
  if (body.is_array() && !body.empty() && body[0].is_object() && body[0].contains("error")) {
    e = &body[0]["error"];
  }
  if (e == nullptr || !e->is_object()) return "";
  std::string status = StrOr(*e, "status");
  std::string message = StrOr(*e, "message");
  return status.empty() ? message : status + ": " + message;
}

std::string ModelPath(const std::string& model) {
  return model.rfind("models/", 0) == 0 ? model : "models/" + model;
}

// Reads one GenerateContentResponse into `result`; the text it adds.
std::string ReadResponse(const json& j, GenerateResult& result) {
  std::string added;
  if (j.contains("candidates") && j["candidates"].is_array() && !j["candidates"].empty()) {
    const json& c = j["candidates"][0];
    if (c.is_object() && c.contains("content") && c["content"].is_object() &&
        c["content"].contains("parts") && c["content"]["parts"].is_array()) {
      for (const auto& part : c["content"]["parts"]) added += StrOr(part, "text");
    }
    std::string reason = StrOr(c, "finishReason");
    if (!reason.empty()) result.finish_reason = reason;
  }
  if (j.contains("usageMetadata") && j["usageMetadata"].is_object()) {
    result.usage.input_tokens = IntOr(j["usageMetadata"], "promptTokenCount");
    result.usage.output_tokens = IntOr(j["usageMetadata"], "candidatesTokenCount");
    result.usage.reported = true;
  }
  if (j.contains("modelVersion") && j["modelVersion"].is_string()) {
    result.model = j["modelVersion"];
  }
  result.text += added;
  return added;
}

class GoogleClient final : public WireClient {
 public:
  Result<GenerateResult> Generate(const Endpoint& e, const GenerateRequest& r,
                                  const CallOptions& options) override {
    Stopwatch clock;
    json contents = json::array();
    for (const auto& m : r.messages) {
      contents.push_back({{"role", m.role == "assistant" ? "model" : "user"},
                          {"parts", json::array({{{"text", m.content}}})}});
    }
    json body{{"contents", contents}};
    if (!r.system.empty())
      body["systemInstruction"] = {{"parts", json::array({{{"text", r.system}}})}};
    json config = json::object();
    if (r.temperature) config["temperature"] = *r.temperature;
    if (r.max_tokens > 0) config["maxOutputTokens"] = r.max_tokens;
    if (!config.empty()) body["generationConfig"] = config;
    const bool stream = static_cast<bool>(options.on_text);
    const std::string url = e.base_url + "/v1beta/" + ModelPath(ModelOf(e, r)) +
                            (stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
    HttpRequest request{url, SecretHeaders("x-goog-api-key: ", e.api_key), Dump(body)};
    GenerateResult result;
    result.model = ModelOf(e, r);
    SseParser sse;
    ChunkSink sink = [&](std::string_view bytes) -> Result<void> {
      return sse.Feed(bytes, [&](const std::string&, const std::string& data) -> Result<void> {
        json j = Parse(data);
        if (!j.is_object()) return Malformed(e, "a stream event is not JSON");
        if (j.contains("error")) {
          return MakeError(ErrorCode::kLlmProviderError,
                           Label(e) + ": error in the stream: " + ErrorMessage(j));
        }
        std::string piece = ReadResponse(j, result);
        if (!piece.empty()) options.on_text(piece);
        return Ok();
      });
    };
    auto answer =
        PostJsonOk(std::move(request), options, stream ? &sink : nullptr, e, ErrorMessage);
    if (!answer) return answer.error();
    result.attempts = answer->attempts;
    if (stream) {
      if (result.finish_reason.empty()) {
        return Malformed(e, "the stream ended before a finishReason");
      }
    } else {
      json j = Parse(answer->body);
      if (!j.is_object() || !j.contains("candidates") || !j["candidates"].is_array()) {
        return Malformed(e, "no candidates");
      }
      ReadResponse(j, result);
    }
    result.latency = clock.Elapsed();
    return result;
  }

  Result<EmbedResult> Embed(const Endpoint& e, const std::vector<std::string>& texts,
                            const std::string& model, const CallOptions& options) override {
    Stopwatch clock;
    const std::string use = ModelPath(model.empty() ? e.model : model);
    json requests = json::array();
    for (const auto& t : texts) {
      requests.push_back({{"model", use}, {"content", {{"parts", json::array({{{"text", t}}})}}}});
    }
    auto answer = PostJsonOk(
        {e.base_url + "/v1beta/" + use + ":batchEmbedContents",
         SecretHeaders("x-goog-api-key: ", e.api_key), Dump(json{{"requests", requests}})},
        options, nullptr, e, ErrorMessage);
    if (!answer) return answer.error();
    json j = Parse(answer->body);
    if (!j.is_object() || !j.contains("embeddings") || !j["embeddings"].is_array() ||
        j["embeddings"].size() != texts.size()) {
      return Malformed(e, "no embeddings array of " + std::to_string(texts.size()));
    }
    EmbedResult result;
    result.model = use;
    result.vectors.resize(texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (!ReadVector(j["embeddings"][i].value("values", json()), result.vectors[i])) {
        return Malformed(e, "embeddings[" + std::to_string(i) + "] has no values");
      }
    }
    result.attempts = answer->attempts;
    result.latency = clock.Elapsed();
    return result;
  }
};

}  // namespace

std::unique_ptr<WireClient> MakeGoogleClient() {
  return std::make_unique<GoogleClient>();
}

}  // namespace docrunch::llm::wire
