#include "sync/lightrag_client.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace docrunch::sync {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t Collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The server's own explanation ("detail" of a FastAPI error), shortened.
std::string Detail(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  std::string detail = body;
  if (json.is_object() && json.contains("detail")) {
    detail = json["detail"].is_string() ? json["detail"].get<std::string>() : json["detail"].dump();
  }
  if (detail.size() > 200) detail = detail.substr(0, 200) + "...";
  return detail;
}

// Decodes one UTF-8 sequence at text[i]; returns its length, 0 if invalid.
std::size_t SequenceAt(const std::string& text, std::size_t i, char32_t& cp) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b = byte(i);
  std::size_t len = b < 0x80           ? 1
                    : (b >> 5) == 0x6  ? 2
                    : (b >> 4) == 0xE  ? 3
                    : (b >> 3) == 0x1E ? 4
                                       : 0;
  if (len == 0 || i + len > text.size()) return 0;
  cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool IsContinuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

}  // namespace

LightRagClient::LightRagClient(LightRagClientOptions options) : options_(std::move(options)) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/')
    options_.base_url.pop_back();
  GlobalInit();
}

Result<nlohmann::json> LightRagClient::Call(const char* method, const std::string& path,
                                            const nlohmann::json* body) const {
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return MakeError(ErrorCode::kInternal, "lightrag: curl_easy_init failed");
  const std::string url = options_.base_url + path;
  std::string payload = body ? body->dump() : "";
  std::string response;
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  if (body) headers = curl_slist_append(headers, "Content-Type: application/json");
  if (!options_.api_key.empty()) {
    headers = curl_slist_append(headers, ("X-API-Key: " + options_.api_key).c_str());
  }
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_list(headers, curl_slist_free_all);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  if (body) {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  }
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<std::int64_t>(options_.timeout.count(), 5000)));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  CURLcode rc = curl_easy_perform(curl.get());
  const std::string where = std::string(method) + " " + url;
  if (rc != CURLE_OK) {
    return MakeError(ErrorCode::kIo, "lightrag " + where + ": " + curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status == 401 || status == 403) {
    return MakeError(ErrorCode::kUnauthorized,
                     "lightrag " + where + ": HTTP " + std::to_string(status) +
                         " (check the key named by storage.lightrag.api_key_env)");
  }
  if (status == 400 || status == 422) {
    return MakeError(
        ErrorCode::kInvalidParams,
        "lightrag " + where + ": HTTP " + std::to_string(status) + ": " + Detail(response));
  }
  if (status < 200 || status >= 300) {
    return MakeError(ErrorCode::kIo, "lightrag " + where + ": HTTP " + std::to_string(status) +
                                         ": " + Detail(response));
  }
  auto json = nlohmann::json::parse(response, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return MakeError(ErrorCode::kIo, "lightrag " + where + ": the answer is not a JSON object");
  }
  return json;
}

Result<InsertOutcome> LightRagClient::InsertText(const std::string& text,
                                                 const std::string& file_source) const {
  nlohmann::json body{{"text", text}, {"file_source", file_source}};
  auto answer = Call("POST", "/documents/text", &body);
  if (!answer) return answer.error();
  InsertOutcome out{answer->value("status", ""), answer->value("track_id", "")};
  if (out.status == "success" || out.status == "duplicated") return out;
  return MakeError(ErrorCode::kIo, "lightrag POST /documents/text: status " + out.status + ": " +
                                       answer->value("message", ""));
}

Result<void> LightRagClient::DeleteDocuments(const std::vector<std::string>& doc_ids) const {
  if (doc_ids.empty()) return Ok();
  nlohmann::json body{{"doc_ids", doc_ids}, {"delete_file", false}};
  auto answer = Call("DELETE", "/documents/delete_document", &body);
  if (!answer) return answer.error();
  std::string status = answer->value("status", "");
  if (status == "deletion_started") return Ok();
  return MakeError(ErrorCode::kIo, "lightrag DELETE /documents/delete_document: status " + status +
                                       ": " + answer->value("message", ""));
}

Result<nlohmann::json> LightRagClient::Query(const std::string& query, const std::string& mode,
                                             int top_k) const {
  nlohmann::json body{{"query", query}, {"mode", mode}, {"top_k", top_k}};
  return Call("POST", "/query", &body);
}

Result<nlohmann::json> LightRagClient::Health() const {
  auto answer = Call("GET", "/health", nullptr);
  if (!answer) return answer.error();
  if (answer->value("status", "") != "healthy") {
    return MakeError(ErrorCode::kIo, "lightrag GET " + options_.base_url + "/health: status " +
                                         answer->value("status", "?"));
  }
  return answer;
}

std::string NormalizeText(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    std::size_t len = SequenceAt(text, i, cp);
    if (len == 0) {  // invalid byte: dropped
      ++i;
      continue;
    }
    bool control =
        (cp < 0x20 && cp != '\n' && cp != '\t' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F);
    if (cp == '&') {
      out += "\xEF\xBC\x86";  // U+FF06 FULLWIDTH AMPERSAND
    } else if (!control && cp != 0xFFFE && cp != 0xFFFF) {
      out.append(text, i, len);
    }
    i += len;
  }
  auto space = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
  std::size_t begin = 0, end = out.size();
  while (begin < end && space(out[begin])) ++begin;
  while (end > begin && space(out[end - 1])) --end;
  return out.substr(begin, end - begin);
}

std::string DocumentId(const std::string& normalized_text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(normalized_text.data(), normalized_text.size(), digest, &length, EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "doc-";
  for (unsigned int i = 0; i < length; ++i) {
    id += kHex[digest[i] >> 4];
    id += kHex[digest[i] & 0xF];
  }
  return id;
}

std::vector<std::string> ChunkText(const std::string& text, int size, int overlap) {
  std::vector<std::string> out;
  const std::size_t n = text.size();
  const std::size_t window = static_cast<std::size_t>(std::max(size, 16));
  const std::size_t back = static_cast<std::size_t>(std::clamp(overlap, 0, size / 2));
  std::size_t start = 0;
  while (start < n) {
    std::size_t end = std::min(n, start + window);
    if (end < n) {
      while (end > start && IsContinuation(text[end])) --end;
      std::size_t cut = text.find_last_of("\n ", end - 1);
      if (cut != std::string::npos && cut > start + window / 2) end = cut + 1;
    }
    out.push_back(text.substr(start, end - start));
    if (end >= n) break;
    std::size_t next = end > start + back ? end - back : end;
    while (next < end && IsContinuation(text[next])) ++next;
    start = std::max(next, start + 1);
  }
  return out;
}

}  // namespace docrunch::sync
