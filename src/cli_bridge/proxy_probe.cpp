#include "cli_bridge/proxy_probe.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace docrunch::cli_bridge {
namespace {

std::size_t Collect(char* data, std::size_t size, std::size_t n, void* out) {
  auto* text = static_cast<std::string*>(out);
  if (text->size() > 1024 * 1024) return 0;  // a health answer is small: stop
  text->append(data, size * n);
  return size * n;
}

}  // namespace

Result<nlohmann::json> ProbeProxyHealth(const ProbeOptions& o) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::string base = o.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string url = base + "/health";
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return MakeError(ErrorCode::kInternal, "cli proxy: curl_easy_init failed");
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  if (!o.api_key.empty()) headers = curl_slist_append(headers, ("X-API-Key: " + o.api_key).c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_list(headers, curl_slist_free_all);
  std::string response;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    return MakeError(ErrorCode::kIo, "GET " + url + ": " + curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status == 401) {
    return MakeError(ErrorCode::kUnauthorized,
                     "GET " + url + ": HTTP 401 (check the key in CLI_PROXY_API_KEY)");
  }
  if (status != 200) {
    return MakeError(ErrorCode::kIo, "GET " + url + ": HTTP " + std::to_string(status));
  }
  auto body = nlohmann::json::parse(response, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("clis")) {
    return MakeError(ErrorCode::kIo, "GET " + url + ": not a CLI proxy health answer");
  }
  return body;
}

}  // namespace docrunch::cli_bridge
