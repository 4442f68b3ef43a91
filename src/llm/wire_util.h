// What the wire clients share (internal to src/llm).
#pragma once

#include <chrono>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "llm/client.h"
#include "llm/http_call.h"

namespace docrunch::llm::wire {

using nlohmann::json;

// "<prefix><secret>" (a request header) built in one buffer of its final
// size: `prefix + std::string(secret)` would leave a freed, unwiped copy of
// the secret behind. The header list is wiped after the call (PostJson).
inline std::string SecretHeader(std::string_view prefix, std::string_view secret) {
  std::string header;
  header.reserve(prefix.size() + secret.size());
  header.append(prefix).append(secret);
  return header;
}

// A header list whose first header holds the secret (moved in, never copied:
// a braced list of strings would copy it) and then `others`.
inline std::vector<std::string> SecretHeaders(std::string_view prefix, std::string_view secret,
                                              std::initializer_list<const char*> others = {}) {
  std::vector<std::string> headers;
  headers.reserve(1 + others.size());
  headers.push_back(SecretHeader(prefix, secret));
  for (const char* h : others) headers.emplace_back(h);
  return headers;
}

// "openai at https://api.openai.com/v1" for messages.
inline std::string Label(const Endpoint& e) {
  return std::string(ProviderTypeName(e.type)) + " at " + e.base_url;
}

inline std::string ModelOf(const Endpoint& e, const GenerateRequest& r) {
  return r.model.empty() ? e.model : r.model;
}

// JSON of a body; discarded (null) when it is not JSON. Invalid UTF-8 in
// text we send is replaced, not an exception.
inline json Parse(const std::string& body) {
  return json::parse(body, nullptr, false);
}
inline std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

inline Error Malformed(const Endpoint& e, const std::string& what) {
  return MakeError(ErrorCode::kLlmProviderError, Label(e) +
                                                     ": the answer is not in the expected "
                                                     "format: " +
                                                     what);
}

// PostJson, with an answer outside 2xx turned into its error:
// `error_message` reads what the wire format's error body says ("" when it
// says nothing usable).
inline Result<HttpAnswer> PostJsonOk(HttpRequest request, const CallOptions& options,
                                     const ChunkSink* sink, const Endpoint& e,
                                     std::string (*error_message)(const json&)) {
  auto answer = PostJson(std::move(request), options, sink, Label(e));
  if (!answer) return answer.error();
  if (answer->status < 200 || answer->status >= 300) {
    return HttpFailure(*answer, error_message(Parse(answer->body)), Label(e));
  }
  return answer;
}

inline std::int64_t IntOr(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<std::int64_t>()
                                                                        : 0;
}

inline std::string StrOr(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// Measures a call's latency from construction.
struct Stopwatch {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::chrono::milliseconds Elapsed() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  }
};

// Reads a list of numbers into a vector; false if any is not a number.
inline bool ReadVector(const json& values, std::vector<float>& out) {
  if (!values.is_array() || values.empty()) return false;
  out.clear();
  for (const auto& x : values) {
    if (!x.is_number()) return false;
    out.push_back(x.get<float>());
  }
  return true;
}

std::unique_ptr<WireClient> MakeOpenAiClient();
std::unique_ptr<WireClient> MakeAnthropicClient();
std::unique_ptr<WireClient> MakeGoogleClient();
std::unique_ptr<WireClient> MakeOllamaClient();
std::unique_ptr<WireClient> MakeCliBridgeClient();

}  // namespace docrunch::llm::wire
