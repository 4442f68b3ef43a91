// The one HTTP exchange every wire client makes (internal to src/llm): a
// POST through libcurl with the timeouts, retries, Retry-After,
// cancellation and size cap of CallOptions.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "llm/client.h"

namespace docrunch::llm {

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"; secret ones are wiped after the call
  std::string body;
};

struct HttpAnswer {
  long status = 0;
  std::string body;  // the whole body, unless it was streamed to a sink
  std::string content_type;
  std::string retry_after;  // the header's value, "" when none
  bool streamed = false;    // a 2xx body went to the sink
  int attempts = 0;
};

// Takes the bytes of a 2xx answer as they arrive; an error it returns
// aborts the transfer with that error.
using ChunkSink = std::function<Result<void>(std::string_view)>;

// Initializes libcurl for the whole process, once, with allocation
// functions that zero every block libcurl frees (its copies of request
// headers hold keys). Must run before anything else initializes libcurl
// (which would make it a no-op): the binary's main() calls it first;
// PostJson calls it too.
void InitHttpClient();

// POSTs `request` (JSON), retrying 429/5xx and connection failures per
// options.retry. Returns the final answer whatever its status (the wire
// client reads the provider's error body); errors: LLM_TIMEOUT,
// INTERRUPTED, LLM_PROVIDER_ERROR (connection, size cap, truncated
// transfer), RATE_LIMITED (a Retry-After beyond max_retry_after).
// `label` names the provider in messages ("openai at https://...").
Result<HttpAnswer> PostJson(HttpRequest request, const CallOptions& options, const ChunkSink* sink,
                            const std::string& label);

// "HTTP 401: <the provider's message>" from an error answer, where
// `message` is what the wire format's error body said ("" when it said
// nothing usable: the body is then described, never echoed if HTML).
Error HttpFailure(const HttpAnswer& answer, const std::string& message, const std::string& label);

// Splits a byte stream into Server-Sent Events (event name, data).
class SseParser {
 public:
  // Calls `on_event(event, data)` for every complete event in `bytes`.
  Result<void> Feed(
      std::string_view bytes,
      const std::function<Result<void>(const std::string&, const std::string&)>& on_event);

 private:
  std::string buffer_;
  std::string event_, data_;
  bool has_data_ = false;
};

// Splits a byte stream into lines (NDJSON).
class LineSplitter {
 public:
  Result<void> Feed(std::string_view bytes,
                    const std::function<Result<void>(const std::string&)>& on_line);
  const std::string& rest() const { return buffer_; }

 private:
  std::string buffer_;
};

}  // namespace docrunch::llm
