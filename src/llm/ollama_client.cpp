// Ollama: POST {base}/api/chat {model, messages, stream, options{temperature,
// num_predict}} -> {model, message{role, content}, done, done_reason,
// prompt_eval_count, eval_count}; streamed as NDJSON, one such object per
// line with done false, the last with done true and the counts. Errors:
// {"error": "..."}. Embeddings: POST {base}/api/embed {model, input} ->
// {embeddings[[...]], prompt_eval_count}. No key (a proxy in front may take
// one as a bearer token).
#include "llm/wire_util.h"

namespace docrunch::llm::wire {
namespace {

std::string ErrorMessage(const json& body) {
  if (body.is_object() && body.contains("error")) {
    if (body["error"].is_string()) return body["error"];
    if (body["error"].is_object()) return StrOr(body["error"], "message");
  }
  return "";
}

std::vector<std::string> AuthHeaders(const Endpoint& e) {
  std::vector<std::string> headers;
  if (!e.api_key.empty()) headers.push_back(SecretHeader("Authorization: Bearer ", e.api_key));
  return headers;
}

// Reads one chat object; the text it adds. `done` set on the last.
std::string ReadChat(const json& j, GenerateResult& result, bool& done) {
  std::string piece;
  if (j.contains("message") && j["message"].is_object()) piece = StrOr(j["message"], "content");
  result.text += piece;
  if (j.contains("model") && j["model"].is_string()) result.model = j["model"];
  if (j.value("done", false)) {
    done = true;
    result.finish_reason = StrOr(j, "done_reason");
    result.usage.input_tokens = IntOr(j, "prompt_eval_count");
    result.usage.output_tokens = IntOr(j, "eval_count");
    result.usage.reported = true;
  }
  return piece;
}

class OllamaClient final : public WireClient {
 public:
  Result<GenerateResult> Generate(const Endpoint& e, const GenerateRequest& r,
                                  const CallOptions& options) override {
    Stopwatch clock;
    json messages = json::array();
    if (!r.system.empty()) messages.push_back({{"role", "system"}, {"content", r.system}});
    for (const auto& m : r.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
    const bool stream = static_cast<bool>(options.on_text);
    json body{{"model", ModelOf(e, r)}, {"messages", messages}, {"stream", stream}};
    json opts = json::object();
    if (r.temperature) opts["temperature"] = *r.temperature;
    if (r.max_tokens > 0) opts["num_predict"] = r.max_tokens;
    if (!opts.empty()) body["options"] = opts;
    GenerateResult result;
    result.model = ModelOf(e, r);
    bool done = false;
    LineSplitter lines;
    ChunkSink sink = [&](std::string_view bytes) -> Result<void> {
      return lines.Feed(bytes, [&](const std::string& line) -> Result<void> {
        json j = Parse(line);
        if (!j.is_object()) return Malformed(e, "a stream line is not JSON");
        if (j.contains("error")) {
          return MakeError(ErrorCode::kLlmProviderError,
                           Label(e) + ": error in the stream: " + ErrorMessage(j));
        }
        std::string piece = ReadChat(j, result, done);
        if (!piece.empty()) options.on_text(piece);
        return Ok();
      });
    };
    auto answer = PostJsonOk({e.base_url + "/api/chat", AuthHeaders(e), Dump(body)}, options,
                             stream ? &sink : nullptr, e, ErrorMessage);
    if (!answer) return answer.error();
    result.attempts = answer->attempts;
    if (!stream) {
      json j = Parse(answer->body);
      if (!j.is_object() || !j.contains("message")) return Malformed(e, "no message");
      ReadChat(j, result, done);
    }
    if (!done) {
      return Malformed(
          e, std::string(stream ? "the stream" : "the answer") + " ended before \"done\": true");
    }
    result.latency = clock.Elapsed();
    return result;
  }

  Result<EmbedResult> Embed(const Endpoint& e, const std::vector<std::string>& texts,
                            const std::string& model, const CallOptions& options) override {
    Stopwatch clock;
    const std::string use = model.empty() ? e.model : model;
    auto answer = PostJsonOk(
        {e.base_url + "/api/embed", AuthHeaders(e), Dump(json{{"model", use}, {"input", texts}})},
        options, nullptr, e, ErrorMessage);
    if (!answer) return answer.error();
    json j = Parse(answer->body);
    if (!j.is_object() || !j.contains("embeddings") || !j["embeddings"].is_array() ||
        j["embeddings"].size() != texts.size()) {
      return Malformed(e, "no embeddings array of " + std::to_string(texts.size()));
    }
    EmbedResult result;
    result.model = StrOr(j, "model").empty() ? use : StrOr(j, "model");
    result.vectors.resize(texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (!ReadVector(j["embeddings"][i], result.vectors[i])) {
        return Malformed(e, "embeddings[" + std::to_string(i) + "] is not a vector");
      }
    }
    result.usage.input_tokens = IntOr(j, "prompt_eval_count");
    result.usage.reported = j.contains("prompt_eval_count");
    result.attempts = answer->attempts;
    result.latency = clock.Elapsed();
    return result;
  }
};

}  // namespace

std::unique_ptr<WireClient> MakeOllamaClient() {
  return std::make_unique<OllamaClient>();
}

}  // namespace docrunch::llm::wire
