// Streamable HTTP (MCP 2025-03-26 and later) at /mcp: POST carries client
// messages and answers with JSON (or an SSE stream when the request asked
// for progress), GET opens a server-to-client SSE stream (several may be
// open; Last-Event-ID resumes one), DELETE ends a session. Sessions are
// named by Mcp-Session-Id and expire when idle (http_session.h has the
// stream routing and the shared ownership that lets a late notification
// meet a deleted session safely). Every request passes, in order: Host
// check, Origin check (DNS rebinding), bearer auth when on, session lookup,
// MCP-Protocol-Version check (absent: 2025-03-26 assumed; unsupported:
// 400); bodies over max_body_bytes get 413, a client that does not finish
// its headers within header_timeout is disconnected.
//
// The protocol lives in the sessions; this file only moves bytes. One
// thread per connection (Beast over a socket whose every read and write
// has a deadline), which keeps the code linear.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "mcp/server/mcp_server.h"

namespace docrunch::mcp {

struct HttpOptions {
  std::string host = "localhost";
  int port = 3334;
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds session_idle{30 * 60'000};
  bool auth_enabled = false;
  // Bearer token -> identity (MCP_UNAUTHORIZED when unknown).
  std::function<Result<Identity>(const std::string& token)> authenticate;
  // A server for a new session.
  std::function<std::shared_ptr<McpServer>(const Identity&)> make_server;
  // Called when a session starts and ends (e.g. to feed it resource
  // changes). Whoever keeps the server past on_close must hold it weakly.
  std::function<void(const std::shared_ptr<McpServer>&)> on_open;
  std::function<void(const std::shared_ptr<McpServer>&)> on_close;
};

// Serves until `stop`; `on_listening` gets "http://host:port/mcp" once the
// socket listens. Refuses (CONFIG_INVALID) a non-loopback host without auth.
Result<void> ServeHttp(const HttpOptions& options, const std::atomic<bool>& stop,
                       const std::function<void(const std::string&)>& on_listening);

// Whether `host` (a name or address) is loopback.
bool IsLoopbackHost(const std::string& host);

}  // namespace docrunch::mcp
