#include "search/embeddings.h"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

namespace docrunch::search {
namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

Error EndpointError(const std::string& url, const std::string& what) {
  return MakeError(ErrorCode::kIo, "embeddings endpoint " + url + ": " + what);
}

void Normalize(std::vector<float>& v) {
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  norm = std::sqrt(norm);
  if (norm > 0) {
    for (float& x : v) x = static_cast<float>(x / norm);
  }
}

class HttpEmbedder final : public Embedder {
 public:
  explicit HttpEmbedder(EmbeddingsOptions options) : options_(std::move(options)) {
    static std::once_flag init;
    std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    url_ = options_.base_url;
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    url_ += "/embeddings";
  }

  const std::string& model() const override { return options_.model; }

  Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) override {
    std::vector<std::vector<float>> out;
    const std::size_t batch = static_cast<std::size_t>(std::max(1, options_.batch_size));
    for (std::size_t start = 0; start < texts.size(); start += batch) {
      std::vector<std::string> part(
          texts.begin() + static_cast<std::ptrdiff_t>(start),
          texts.begin() + static_cast<std::ptrdiff_t>(std::min(texts.size(), start + batch)));
      auto vectors = Post(part);
      if (!vectors) return vectors.error();
      for (auto& v : *vectors) out.push_back(std::move(v));
    }
    return out;
  }

 private:
  Result<std::vector<std::vector<float>>> Post(const std::vector<std::string>& texts) {
    nlohmann::json body{{"model", options_.model}, {"input", texts}, {"encoding_format", "float"}};
    if (options_.dimensions > 0) body["dimensions"] = options_.dimensions;
    // Invalid UTF-8 in source text is replaced, not an exception.
    std::string payload = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return EndpointError(url_, "cannot start an HTTP request");
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    std::string auth;
    if (!options_.api_key.empty()) {
      auth = "Authorization: Bearer " + options_.api_key;
      headers = curl_slist_append(headers, auth.c_str());
    }
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(headers,
                                                                             curl_slist_free_all);
    std::string response;
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) return EndpointError(url_, curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    nlohmann::json answer = nlohmann::json::parse(response, nullptr, false);
    if (status != 200) {
      std::string message = "HTTP " + std::to_string(status);
      if (answer.is_object() && answer.contains("error") && answer["error"].is_object() &&
          answer["error"].value("message", "") != "") {
        message += ": " + answer["error"]["message"].get<std::string>().substr(0, 300);
      }
      return EndpointError(url_, message);
    }
    if (!answer.is_object() || !answer.contains("data") || !answer["data"].is_array()) {
      return EndpointError(url_, "answer has no data array");
    }
    const auto& data = answer["data"];
    if (data.size() != texts.size()) {
      return EndpointError(url_, "asked for " + std::to_string(texts.size()) + " embeddings, got " +
                                     std::to_string(data.size()));
    }
    std::vector<std::vector<float>> out(texts.size());
    std::size_t dims = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
      const auto& item = data[i];
      std::size_t index = i;
      if (item.contains("index") && item["index"].is_number_unsigned()) {
        index = item["index"].get<std::size_t>();
      }
      if (index >= out.size() || !out[index].empty() || !item.contains("embedding") ||
          !item["embedding"].is_array() || item["embedding"].empty()) {
        return EndpointError(url_, "malformed data[" + std::to_string(i) + "]");
      }
      for (const auto& x : item["embedding"]) {
        if (!x.is_number()) return EndpointError(url_, "non-numeric embedding value");
        out[index].push_back(x.get<float>());
      }
      if (dims == 0) dims = out[index].size();
      if (out[index].size() != dims) return EndpointError(url_, "embeddings of different lengths");
      Normalize(out[index]);
    }
    if (options_.dimensions > 0 && dims != static_cast<std::size_t>(options_.dimensions)) {
      return EndpointError(url_, "embeddings have " + std::to_string(dims) +
                                     " dimensions, search.embeddings.dimensions is " +
                                     std::to_string(options_.dimensions));
    }
    return out;
  }

  EmbeddingsOptions options_;
  std::string url_;
};

}  // namespace

std::shared_ptr<Embedder> MakeHttpEmbedder(EmbeddingsOptions options) {
  return std::make_shared<HttpEmbedder>(std::move(options));
}

std::string EncodeVector(const std::vector<float>& v) {
  std::string bytes(v.size() * 4, '\0');
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, &v[i], 4);
    for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xFF);
  }
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<std::uint8_t>(bytes[i + 2]);
    out += kBase64[(n >> 18) & 63];
    out += kBase64[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kBase64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kBase64[n & 63] : '=';
  }
  return out;
}

std::vector<float> DecodeVector(const std::string& text) {
  std::string bytes;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const char* at = std::strchr(kBase64, c);
    if (at == nullptr || c == '\0') return {};
    buffer = (buffer << 6) | static_cast<std::uint32_t>(at - kBase64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (bytes.size() % 4 != 0) return {};
  std::vector<float> out(bytes.size() / 4);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint32_t u = 0;
    for (int b = 0; b < 4; ++b)
      u |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i * 4 + b])) << (8 * b);
    std::memcpy(&out[i], &u, 4);
  }
  return out;
}

}  // namespace docrunch::search
