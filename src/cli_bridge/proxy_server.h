// The host-side CLI proxy (`docrunch cli-proxy`, PRODUCT §14) as a listener
// of the shared HTTP layer (http/server.h):
//
//   GET  /health  -> {"status": "healthy"|"degraded",
//                     "clis": {"gemini": {"available", "path", "version", "models"}, ...}}
//   POST /execute {"cli_type", "prompt", "model", "timeout"?}
//                 -> {"success", "content", "error", "cli_type", "model", "execution_time_ms"}
//
// Every answer is JSON. /execute answers 200 whenever the CLI ran (its
// success is in `success`: false for a non-zero exit or a timeout, with the
// reason in `error`); 400 for a bad request (unknown CLI, unregistered
// model, bad field: `error` names the field), 401 without the right
// X-API-Key, 413 for a body over max_request_bytes, 415 for a body that is
// not application/json, 429 when max_concurrent runs are already going
// (refused at once, with Retry-After: 1; nothing is queued), 503 when the
// CLI is not installed. Error answers keep the /execute shape.
//
// Protections: with an API key, every route needs X-API-Key (compared in
// constant time); a key is required to listen beyond loopback; a loopback
// listener answers only to loopback Host names (against DNS rebinding);
// POST needs Content-Type: application/json (a browser form cannot send it
// without a CORS preflight, which this server never grants).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "cli_bridge/bridge.h"
#include "core/result.h"
#include "http/server.h"

namespace docrunch::cli_bridge {

struct ProxyOptions {
  std::string host = "localhost";
  int port = 9999;
  std::string api_key;  // "" for none (then only loopback is allowed); never logged
  std::size_t max_concurrent = 4;
  std::size_t max_request_bytes = 4 * 1024 * 1024 + 64 * 1024;
};

// The listener; `bridge` must outlive it. CONFIG_INVALID for a host beyond
// loopback without an API key, or max_concurrent 0.
Result<http::Listener> ProxyListener(const CliBridge& bridge, const ProxyOptions& options);

// The HTTP status of an Execute error.
int StatusFor(ErrorCode code);

}  // namespace docrunch::cli_bridge
