#include "obs/request_id.h"

#include <random>

namespace docrunch::obs {
namespace {

thread_local std::string t_request_id;

}  // namespace

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string NewRequestId() {
  // Not a secret: it only has to be unique enough to find one request.
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t bits = engine();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, bits >>= 4) id[static_cast<std::size_t>(i)] = kHex[bits & 15];
  return id;
}

std::string RequestIdFrom(std::string_view header) {
  return IsValidRequestId(header) ? std::string(header) : NewRequestId();
}

const std::string& CurrentRequestId() {
  return t_request_id;
}

RequestIdScope::RequestIdScope(std::string id) : previous_(std::move(t_request_id)) {
  t_request_id = std::move(id);
}

RequestIdScope::~RequestIdScope() {
  t_request_id = std::move(previous_);
}

}  // namespace docrunch::obs
