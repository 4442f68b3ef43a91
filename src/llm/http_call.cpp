#include "llm/http_call.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>

#include <sodium.h>

#include "llm/secret_box.h"

#include <cmath>
#include <cstring>

namespace docrunch::llm {
namespace {

struct Transfer {
  const CallOptions* options = nullptr;
  const ChunkSink* sink = nullptr;
  CURL* curl = nullptr;
  HttpAnswer answer;
  std::size_t bytes = 0;
  bool too_big = false;
  bool delivered = false;  // bytes went to the sink: no retry after this
  std::optional<Error> sink_error;
};

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

std::string TrimmedValue(std::string_view line, std::size_t from) {
  std::string v(line.substr(from));
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  std::size_t start = 0;
  while (start < v.size() && std::isspace(static_cast<unsigned char>(v[start]))) ++start;
  return v.substr(start);
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (StartsWithNoCase(line, "HTTP/")) {  // a new answer (after a 100 Continue, say)
    t->answer.retry_after.clear();
    t->answer.content_type.clear();
  } else if (StartsWithNoCase(line, "retry-after:")) {
    t->answer.retry_after = TrimmedValue(line, 12);
  } else if (StartsWithNoCase(line, "content-type:")) {
    t->answer.content_type = TrimmedValue(line, 13);
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  t->bytes += len;
  if (t->bytes > t->options->max_response_bytes) {
    t->too_big = true;
    return 0;
  }
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->sink != nullptr && status >= 200 && status < 300) {
    t->delivered = true;
    t->answer.streamed = true;
    auto fed = (*t->sink)(std::string_view(data, len));
    if (!fed) {
      t->sink_error = fed.error();
      return 0;
    }
    return len;
  }
  t->answer.body.append(data, len);
  return len;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->options->cancel != nullptr && t->options->cancel->load() ? 1 : 0;
}

bool Retryable(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504 ||
         status == 529;  // Anthropic: overloaded
}

bool Cancelled(const CallOptions& options) {
  return options.cancel != nullptr && options.cancel->load();
}

Error Interrupted(const std::string& label) {
  return MakeError(ErrorCode::kInterrupted, label + ": the call was cancelled");
}

// Retry-After as delta-seconds or an HTTP date; nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> ParseRetryAfter(const std::string& value) {
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (value.size() > 9) return std::chrono::hours(24 * 365);
    return std::chrono::seconds(std::stol(value));
  }
  time_t when = curl_getdate(value.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  auto delta = std::chrono::system_clock::from_time_t(when) - std::chrono::system_clock::now();
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(delta));
}

std::chrono::milliseconds Backoff(const RetryPolicy& policy, int attempt) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  double cap = static_cast<double>(policy.initial_backoff.count()) * std::pow(2.0, attempt - 1);
  cap = std::min(cap, static_cast<double>(policy.max_backoff.count()));
  std::uniform_real_distribution<double> full_jitter(0, std::max(1.0, cap));
  return std::chrono::milliseconds(static_cast<long long>(full_jitter(rng)));
}

// Sleeps `wait`, in slices, returning false when cancelled.
bool Wait(std::chrono::milliseconds wait, const CallOptions& options) {
  auto until = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < until) {
    if (Cancelled(options)) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(20), until - std::chrono::steady_clock::now()));
  }
  return !Cancelled(options);
}

void WipeHeaders(curl_slist* list) {
  for (curl_slist* node = list; node != nullptr; node = node->next) {
    if (node->data != nullptr) sodium_memzero(node->data, std::strlen(node->data));
  }
}

// libcurl copies the request, its headers (a key among them) included, into
// buffers of its own, and frees them without wiping. Its allocations go
// through these instead: each block carries its size in front and is zeroed
// before it is freed, so no copy of a key outlives the call in freed memory.
constexpr std::size_t kBlockHeader = alignof(std::max_align_t);

void* CurlMalloc(std::size_t size) {
  auto* block = static_cast<unsigned char*>(std::malloc(size + kBlockHeader));
  if (block == nullptr) return nullptr;
  std::memcpy(block, &size, sizeof size);
  return block + kBlockHeader;
}

void CurlFree(void* p) {
  if (p == nullptr) return;
  unsigned char* block = static_cast<unsigned char*>(p) - kBlockHeader;
  std::size_t size = 0;
  std::memcpy(&size, block, sizeof size);
  sodium_memzero(block, size + kBlockHeader);
  std::free(block);
}

void* CurlRealloc(void* p, std::size_t size) {
  if (p == nullptr) return CurlMalloc(size);
  std::size_t old = 0;
  std::memcpy(&old, static_cast<unsigned char*>(p) - kBlockHeader, sizeof old);
  void* moved = CurlMalloc(size);
  if (moved == nullptr) return nullptr;
  std::memcpy(moved, p, std::min(old, size));
  CurlFree(p);
  return moved;
}

char* CurlStrdup(const char* text) {
  const std::size_t size = std::strlen(text) + 1;
  auto* copy = static_cast<char*>(CurlMalloc(size));
  if (copy != nullptr) std::memcpy(copy, text, size);
  return copy;
}

void* CurlCalloc(std::size_t count, std::size_t size) {
  if (size != 0 && count > static_cast<std::size_t>(-1) / size - kBlockHeader) return nullptr;
  void* p = CurlMalloc(count * size);
  if (p != nullptr) std::memset(p, 0, count * size);
  return p;
}

// One attempt. Fills t.answer; returns the curl code.
CURLcode Perform(Transfer& t, const HttpRequest& request, curl_slist* headers, char* errbuf) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return CURLE_FAILED_INIT;
  CURL* c = curl.get();
  t.curl = c;
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(t.options->timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(t.options->connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // never carry a key to another host
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  errbuf[0] = '\0';
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.answer.status);
  t.curl = nullptr;
  return rc;
}

std::string Describe(CURLcode rc, const char* errbuf) {
  std::string what = curl_easy_strerror(rc);
  if (errbuf[0] != '\0') what += " (" + std::string(errbuf) + ")";
  return what;
}

}  // namespace

void InitHttpClient() {
  static std::once_flag once;
  std::call_once(once, [] {
    curl_global_init_mem(CURL_GLOBAL_DEFAULT, CurlMalloc, CurlFree, CurlRealloc, CurlStrdup,
                         CurlCalloc);
  });
}

Result<HttpAnswer> PostJson(HttpRequest request, const CallOptions& options, const ChunkSink* sink,
                            const std::string& label) {
  InitHttpClient();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  for (std::string& h : request.headers) {
    headers = curl_slist_append(headers, h.c_str());
    WipeString(h);  // the list holds its own copy, wiped below
  }
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_guard(headers, [](curl_slist* l) {
    WipeHeaders(l);
    curl_slist_free_all(l);
  });
  const int max_attempts = std::max(1, options.retry.max_attempts);
  char errbuf[CURL_ERROR_SIZE];
  for (int attempt = 1;; ++attempt) {
    if (Cancelled(options)) return Interrupted(label);
    Transfer t;
    t.options = &options;
    t.sink = sink;
    CURLcode rc = Perform(t, request, headers, errbuf);
    t.answer.attempts = attempt;
    if (t.sink_error) return *t.sink_error;
    if (rc == CURLE_ABORTED_BY_CALLBACK || Cancelled(options)) return Interrupted(label);
    if (t.too_big) {
      return MakeError(ErrorCode::kLlmProviderError,
                       label + ": the answer is larger than " +
                           std::to_string(options.max_response_bytes) + " bytes; refused");
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return MakeError(ErrorCode::kLlmTimeout, label + ": timed out: no complete answer within " +
                                                   std::to_string(options.timeout.count()) + " ms" +
                                                   (t.delivered ? " (the stream stalled)" : ""));
    }
    std::optional<std::chrono::milliseconds> wait;
    if (rc != CURLE_OK) {
      if (t.delivered) {
        return MakeError(ErrorCode::kLlmProviderError,
                         label + ": the stream broke off: " + Describe(rc, errbuf));
      }
      if (attempt >= max_attempts) {
        return MakeError(ErrorCode::kLlmProviderError, label + ": " + Describe(rc, errbuf) +
                                                           " after " + std::to_string(attempt) +
                                                           " attempt(s)");
      }
      wait = Backoff(options.retry, attempt);
    } else if (Retryable(t.answer.status) && attempt < max_attempts) {
      auto after = ParseRetryAfter(t.answer.retry_after);
      if (after && *after > options.retry.max_retry_after) {
        return MakeError(
            ErrorCode::kRateLimited,
            label + ": HTTP " + std::to_string(t.answer.status) + ", asked to retry after " +
                std::to_string(after->count() / 1000) + " s (more than the " +
                std::to_string(options.retry.max_retry_after.count() / 1000) + " s a call waits)");
      }
      wait = after ? *after : Backoff(options.retry, attempt);
    } else {
      return std::move(t.answer);
    }
    if (!Wait(*wait, options)) return Interrupted(label);
  }
}

Error HttpFailure(const HttpAnswer& answer, const std::string& message, const std::string& label) {
  std::string what = message;
  if (what.empty()) {
    if (answer.content_type.find("html") != std::string::npos ||
        answer.body.find("<html") != std::string::npos ||
        answer.body.find("<!DOCTYPE") != std::string::npos) {
      what = "an HTML page, not the provider's JSON error (a proxy or gateway in between?)";
    } else if (answer.body.empty()) {
      what = "an empty body";
    } else {
      std::string shown;
      for (char c : answer.body.substr(0, 200)) {
        shown += (c >= 0x20 && c < 0x7f) ? c : ' ';
      }
      what = "an unreadable body: " + shown;
    }
  }
  if (what.size() > 500) what = what.substr(0, 497) + "...";
  ErrorCode code = ErrorCode::kLlmProviderError;
  if (answer.status == 429) code = ErrorCode::kRateLimited;
  if (answer.status == 408 || answer.status == 504) code = ErrorCode::kLlmTimeout;
  std::string attempts =
      answer.attempts > 1 ? " (after " + std::to_string(answer.attempts) + " attempts)" : "";
  return MakeError(code,
                   label + ": HTTP " + std::to_string(answer.status) + ": " + what + attempts);
}

Result<void> SseParser::Feed(
    std::string_view bytes,
    const std::function<Result<void>(const std::string&, const std::string&)>& on_event) {
  buffer_.append(bytes);
  std::size_t start = 0;
  for (;;) {
    std::size_t end = buffer_.find('\n', start);
    if (end == std::string::npos) break;
    std::string_view line(buffer_.data() + start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {  // dispatch
      if (has_data_) DOCRUNCH_TRY(on_event(event_.empty() ? "message" : event_, data_));
      event_.clear();
      data_.clear();
      has_data_ = false;
      continue;
    }
    if (line.front() == ':') continue;  // comment / keep-alive
    std::size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "event") {
      event_ = std::string(value);
    } else if (field == "data") {
      if (has_data_) data_ += '\n';
      data_ += value;
      has_data_ = true;
    }
  }
  buffer_.erase(0, start);
  if (buffer_.size() > (1u << 20)) {
    return MakeError(ErrorCode::kLlmProviderError, "a stream line is longer than 1 MiB");
  }
  return Ok();
}

Result<void> LineSplitter::Feed(std::string_view bytes,
                                const std::function<Result<void>(const std::string&)>& on_line) {
  buffer_.append(bytes);
  std::size_t start = 0;
  for (;;) {
    std::size_t end = buffer_.find('\n', start);
    if (end == std::string::npos) break;
    std::string line = buffer_.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) DOCRUNCH_TRY(on_line(line));
  }
  buffer_.erase(0, start);
  if (buffer_.size() > (1u << 20)) {
    return MakeError(ErrorCode::kLlmProviderError, "a stream line is longer than 1 MiB");
  }
  return Ok();
}

}  // namespace docrunch::llm
