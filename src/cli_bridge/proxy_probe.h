// The health probe of a running CLI proxy, for the system health view
// (obs/health.h): GET {url}/health with the X-API-Key when one is given,
// bounded by `timeout`. The key is never logged or put in a message.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"

namespace docrunch::cli_bridge {

struct ProbeOptions {
  std::string url;      // the proxy's base URL, "http://127.0.0.1:9999"
  std::string api_key;  // "" for none
  std::chrono::milliseconds timeout{3000};
};

// The /health answer ({"status", "clis": {...}}). IO when the proxy cannot
// be reached or answers something else; UNAUTHORIZED for 401.
Result<nlohmann::json> ProbeProxyHealth(const ProbeOptions& options);

}  // namespace docrunch::cli_bridge
