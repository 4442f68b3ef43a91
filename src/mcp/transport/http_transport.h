// Streamable HTTP (MCP 2025-03-26 and later) at /mcp, as a listener of the
// shared HTTP server (http/server.h): POST carries client messages and
// answers with JSON (or an SSE stream when the request asked for
// progress), GET opens a server-to-client SSE stream (several may be open;
// Last-Event-ID resumes one), DELETE ends a session. Sessions are named by
// Mcp-Session-Id and expire when idle (http_session.h has the stream
// routing and the shared ownership that lets a late notification meet a
// deleted session safely). Every request passes, in order: Host check,
// Origin check (DNS rebinding), bearer auth when on, session lookup,
// MCP-Protocol-Version check (absent: 2025-03-26 assumed; unsupported:
// 400); bodies over max_body_bytes get 413 (by the server layer, in
// JSON-RPC form).
//
// The protocol lives in the sessions; this file only routes requests.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/server.h"
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

// The /mcp endpoint as a listener for http::Serve; it owns the sessions
// (closed when the server stops). Refuses (CONFIG_INVALID) a non-loopback
// host without auth.
Result<http::Listener> McpHttpListener(HttpOptions options, const std::atomic<bool>& stop);

}  // namespace docrunch::mcp
