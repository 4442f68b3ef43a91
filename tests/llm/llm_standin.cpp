#include "llm_standin.h"

#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace docrunch::testing {
namespace {

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

LlmStandIn::LlmStandIn(const std::string& key)
    : server_(LLM_STANDIN_SCRIPT,
              key.empty() ? std::vector<std::string>{} : std::vector<std::string>{"--key", key}) {}

std::string LlmStandIn::Http(const std::string& method, const std::string& path,
                             const std::string& body) const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  std::string out, target = url() + path;
  curl_easy_setopt(curl.get(), CURLOPT_URL, target.c_str());
  if (method == "POST") {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
  }
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 10L);
  curl_easy_perform(curl.get());
  return out;
}

void LlmStandIn::Script(const nlohmann::json& items) const {
  Http("POST", "/control", nlohmann::json{{"script", items}}.dump());
}

nlohmann::json LlmStandIn::Last() const {
  return nlohmann::json::parse(Http("GET", "/last", ""), nullptr, false);
}

int LlmStandIn::Requests() const {
  auto j = nlohmann::json::parse(Http("GET", "/stats", ""), nullptr, false);
  return j.is_object() ? j.value("requests", -1) : -1;
}

}  // namespace docrunch::testing
