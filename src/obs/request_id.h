// The request id (PRODUCT §17): one id per HTTP request, taken from the
// client's X-Request-Id when it is valid (1-64 characters of [A-Za-z0-9._:-],
// so nothing a client sends can break a log line or a header), else made
// here, and returned in the answer's X-Request-Id header. While a handler
// runs, RequestIdScope makes it the thread's current id, which JSON log
// lines, audit rows (details.request_id) and query traces (request_id)
// carry, so one id finds a request in all three.
#pragma once

#include <string>
#include <string_view>

namespace docrunch::obs {

bool IsValidRequestId(std::string_view id);
// 16 random hex digits.
std::string NewRequestId();
// The client's id when valid, else a new one.
std::string RequestIdFrom(std::string_view header);

// The current thread's request id, "" outside a request.
const std::string& CurrentRequestId();

// Sets the thread's request id for its lifetime, restoring the previous one.
class RequestIdScope {
 public:
  explicit RequestIdScope(std::string id);
  ~RequestIdScope();
  RequestIdScope(const RequestIdScope&) = delete;
  RequestIdScope& operator=(const RequestIdScope&) = delete;

 private:
  std::string previous_;
};

}  // namespace docrunch::obs
