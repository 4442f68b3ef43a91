// The one HTTP server layer (Boost.Beast underneath, never in this header):
// REST, WebSocket, SSE, MCP's Streamable HTTP and static files all run on
// it. A Listener is an address and a Handler; one Serve call runs every
// listener of a process (REST on server.http.port, MCP on server.mcp.port)
// with the same connection rules:
//
// - one thread per connection, over a non-blocking socket whose every wait
//   has a deadline: request headers must arrive within header_timeout, a
//   body within 60 s, a write may stall 30 s, a kept-alive connection may
//   idle 30 s; a stop of the server ends every wait within 200 ms;
// - a body over max_body_bytes gets the listener's own 413 answer and the
//   connection closes; headers over 16 KB end the connection;
// - a handler answers with a Response, or takes over the connection with
//   Exchange::Stream (a chunked body written as it comes: SSE) or
//   Exchange::AcceptWebSocket, after which the connection ends.
//
// Handlers run on the connection's thread and may block; they must not
// throw (an exception is caught, logged and answered with the listener's
// 500 answer, so a handler bug never ends the process).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace docrunch::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // as sent, upper-case ("GET", "POST", ...)
  std::string target;  // as sent: "/api/tasks?limit=5"
  std::string path;    // the target before '?', not decoded
  std::string query;   // the target after '?', "" when none
  Headers headers;     // as sent
  std::string body;
  std::string remote;  // the peer's address
  bool keep_alive = true;

  // The first header of that name (case-insensitive), "" when absent.
  std::string Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // Instead of `body`: a body the handler keeps (a cached answer, a static
  // file), sent without a copy. Wins over `body` when set.
  std::shared_ptr<const std::string> shared_body;
  bool close = false;  // end the connection after this answer

  // Replaces every header of that name (case-insensitive) with one.
  Response& Set(std::string_view name, std::string value);
};

// The body of a streamed response, written as it comes (one chunk each).
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // False once the client is gone (every later Send is false too).
  virtual bool Send(const std::string& chunk) = 0;
};

// A WebSocket after the handshake. Text messages only.
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  enum class Wait { kReadable, kWoken, kTimeout, kClosed };
  // Waits until the client sent something, `wake_fd` (an eventfd or pipe;
  // -1: none) became readable, `timeout` passed or the server stops.
  virtual Wait WaitFor(int wake_fd, std::chrono::milliseconds timeout) = 0;
  // Reads one message (after kReadable); false when the client closed the
  // socket, sent something that is not a valid frame, or did not finish a
  // message within 30 s. Control frames (ping, pong, close) are answered on
  // the way, and reading goes on to the next message: a client that only
  // pings holds the session in Read until its next message or the 30 s.
  virtual bool Read(std::string& message) = 0;
  virtual bool Send(const std::string& text) = 0;
  virtual void Close(std::string_view reason) = 0;
};

class Exchange {
 public:
  virtual ~Exchange() = default;
  // Writes `head` (status and headers, chunked body), then lets `body`
  // write; the connection ends when it returns.
  virtual void Stream(const Response& head, const std::function<void(BodyStream&)>& body) = 0;
  // Whether the request is a WebSocket upgrade (GET with Upgrade: websocket).
  virtual bool IsWebSocketUpgrade() const = 0;
  // Completes the WebSocket handshake (adding `headers` to its answer),
  // then runs `session`; the connection ends when it returns. False when
  // the handshake failed (the client then got a 400).
  virtual bool AcceptWebSocket(const Headers& headers,
                               const std::function<void(WebSocket&)>& session) = 0;
  // Set when the server is stopping: long-running handlers end soon after.
  virtual const std::atomic<bool>& stopping() const = 0;
};

using Handler = std::function<Response(Request& request, Exchange& exchange)>;

struct Listener {
  std::string name;  // for log lines: "REST", "MCP"
  std::string host = "localhost";
  int port = 0;  // 0: any free port
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  // Connections served at once (each holds a thread); one more is closed
  // as soon as it is accepted.
  std::size_t max_connections = 4096;
  Handler handler;
  // The listener's own answer for a failure the server detects itself
  // (413 body too large, 500 a handler threw), in the handler's format.
  std::function<Response(int status, const std::string& message)> failure;
  // Called every `tick_every` from the accept loop (expiring idle
  // sessions, say), and once when the server stops, before it waits for
  // its connections to end.
  std::function<void()> tick;
  std::chrono::milliseconds tick_every{1000};
  std::function<void()> on_stop;
};

// Binds every listener (an error names the one that failed, and nothing
// is served), calls `on_listening(listener, port)` for each, then serves
// until `stop`. Returns once every connection has ended (each notices the
// stop within 200 ms of its current wait), so nothing a handler uses is
// destroyed under it.
Result<void> Serve(const std::vector<Listener>& listeners, const std::atomic<bool>& stop,
                   const std::function<void(const Listener&, int port)>& on_listening);

// Helpers for handlers.
// The host part of a Host header or an Origin URL ("[::1]:3334" -> "[::1]").
std::string HostName(std::string value);
// `bytes` random bytes as hex (libsodium).
std::string RandomHex(std::size_t bytes);
// The reason phrase of a status ("Not Found").
std::string_view StatusText(int status);

}  // namespace docrunch::http
