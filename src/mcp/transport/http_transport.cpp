// The only file with Boost.Beast/Asio in the MCP server (they are heavy to
// compile). <utility> must come before any Asio header with g++ 12 in C++20.
#include <utility>
// clang-format off
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "mcp/transport/http_transport.h"

namespace docrunch::mcp {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// One event of a session's GET stream, kept for Last-Event-ID replay.
struct StreamEvent {
  std::int64_t id = 0;
  std::string data;
};

struct HttpSession {
  std::unique_ptr<McpServer> server;
  Identity identity;
  std::chrono::steady_clock::time_point last_used;
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<StreamEvent> events;  // GUARDED_BY(mutex); the last kReplay sent or queued
  std::int64_t next_event = 1;     // GUARDED_BY(mutex)
  bool closed = false;             // GUARDED_BY(mutex)
};

constexpr std::size_t kReplay = 256;

std::string RandomId() {
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

std::string Header(const Request& req, http::field field) {
  auto it = req.find(field);
  return it == req.end() ? "" : std::string(it->value());
}

std::string Header(const Request& req, const char* name) {
  auto it = req.find(name);
  return it == req.end() ? "" : std::string(it->value());
}

// The host part of a Host header or an Origin URL ("[::1]:3334" -> "[::1]").
std::string HostName(std::string value) {
  auto scheme = value.find("://");
  if (scheme != std::string::npos) value = value.substr(scheme + 3);
  value = value.substr(0, value.find('/'));
  if (!value.empty() && value[0] == '[') return value.substr(0, value.find(']') + 1);
  return value.substr(0, value.find(':'));
}

class Server {
 public:
  Server(const HttpOptions& options, const std::atomic<bool>& stop)
      : options_(options), stop_(stop) {}

  void Connection(tcp::socket socket);
  void ExpireIdle();
  void CloseAll();
  int active() const { return active_.load(); }
  std::atomic<int> active_{0};

 private:
  Response Handle(Request& req, tcp::socket& socket, bool& streamed);
  Response Post(Request& req, tcp::socket& socket, bool& streamed, const Identity& who);
  Response Get(Request& req, tcp::socket& socket, bool& streamed);
  Response Delete(const Request& req);
  std::shared_ptr<HttpSession> Find(const std::string& id);
  bool HostAllowed(const Request& req) const;
  bool OriginAllowed(const Request& req) const;
  Response Text(const Request& req, http::status status, const std::string& body,
                const std::string& type = "text/plain") const;
  Response RpcErrorResponse(const Request& req, http::status status, int code,
                            const std::string& message) const;

  const HttpOptions& options_;
  const std::atomic<bool>& stop_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<HttpSession>> sessions_;  // GUARDED_BY(mutex_)
};

Response Server::Text(const Request& req, http::status status, const std::string& body,
                      const std::string& type) const {
  Response res{status, req.version()};
  res.set(http::field::content_type, type);
  res.keep_alive(req.keep_alive());
  res.body() = body;
  res.prepare_payload();
  return res;
}

Response Server::RpcErrorResponse(const Request& req, http::status status, int code,
                                  const std::string& message) const {
  return Text(req, status, MakeErrorResponse(nullptr, {code, message, nullptr}).dump(),
              "application/json");
}

bool Server::HostAllowed(const Request& req) const {
  std::string host = HostName(Header(req, http::field::host));
  if (host.empty()) return false;
  if (IsLoopbackHost(options_.host)) return IsLoopbackHost(host);
  return true;  // beyond loopback auth is required, which is what protects it
}

bool Server::OriginAllowed(const Request& req) const {
  std::string origin = Header(req, http::field::origin);
  if (origin.empty()) return true;  // not a browser
  std::string host = HostName(origin);
  return IsLoopbackHost(host) || host == options_.host;
}

std::shared_ptr<HttpSession> Server::Find(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  it->second->last_used = std::chrono::steady_clock::now();
  return it->second;
}

void Server::ExpireIdle() {
  std::vector<std::shared_ptr<HttpSession>> expired;
  {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (now - it->second->last_used > options_.session_idle) {
        expired.push_back(it->second);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& s : expired) {
    if (options_.on_close) options_.on_close(*s->server);
    std::lock_guard lock(s->mutex);
    s->closed = true;
    s->cv.notify_all();
  }
}

void Server::CloseAll() {
  std::lock_guard lock(mutex_);
  for (auto& [id, s] : sessions_) {
    if (options_.on_close) options_.on_close(*s->server);
    std::lock_guard session_lock(s->mutex);
    s->closed = true;
    s->cv.notify_all();
  }
  sessions_.clear();
}

// Writes an SSE response: headers now, then one chunk per event.
class SseWriter {
 public:
  SseWriter(tcp::socket& socket, const Request& req, const std::string& session_id)
      : socket_(socket) {
    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-cache");
    if (!session_id.empty()) res.set("Mcp-Session-Id", session_id);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    boost::beast::error_code ec;
    http::write_header(socket_, sr, ec);
    ok_ = !ec;
  }
  bool Send(const std::string& event) {
    std::lock_guard lock(mutex_);
    if (!ok_) return false;
    boost::beast::error_code ec;
    net::write(socket_, http::make_chunk(net::buffer(event)), ec);
    ok_ = !ec;
    return ok_;
  }
  void Finish() {
    std::lock_guard lock(mutex_);
    if (!ok_) return;
    boost::beast::error_code ec;
    net::write(socket_, http::make_chunk_last(), ec);
  }

 private:
  tcp::socket& socket_;
  std::mutex mutex_;
  bool ok_ = false;
};

bool WantsProgress(const json& message) {
  auto check = [](const json& m) {
    return m.is_object() && m.contains("params") && m["params"].is_object() &&
           m["params"].contains("_meta") && m["params"]["_meta"].is_object() &&
           m["params"]["_meta"].contains("progressToken");
  };
  if (message.is_array()) {
    for (const auto& m : message) {
      if (check(m)) return true;
    }
    return false;
  }
  return check(message);
}

bool HasRequest(const json& message) {
  if (message.is_array()) {
    for (const auto& m : message) {
      if (Classify(m) == MessageKind::kRequest) return true;
    }
    return message.empty();
  }
  return Classify(message) != MessageKind::kNotification &&
         Classify(message) != MessageKind::kResponse;
}

bool IsInitialize(const json& message) {
  return message.is_object() && message.value("method", json()) == "initialize";
}

Response Server::Post(Request& req, tcp::socket& socket, bool& streamed, const Identity& who) {
  std::string accept = Header(req, http::field::accept);
  if (accept.find("application/json") == std::string::npos ||
      accept.find("text/event-stream") == std::string::npos) {
    return RpcErrorResponse(req, http::status::not_acceptable, rpc::kInvalidRequest,
                            "Not Acceptable: Accept must list application/json and "
                            "text/event-stream");
  }
  if (Header(req, http::field::content_type).find("application/json") == std::string::npos) {
    return RpcErrorResponse(req, http::status::unsupported_media_type, rpc::kInvalidRequest,
                            "Unsupported Media Type: Content-Type must be application/json");
  }
  json message = json::parse(req.body(), nullptr, false);
  if (message.is_discarded()) {
    return RpcErrorResponse(req, http::status::bad_request, rpc::kParseError,
                            "Parse error: not valid JSON");
  }
  std::string session_id = Header(req, "Mcp-Session-Id");
  std::shared_ptr<HttpSession> session;
  if (IsInitialize(message)) {
    if (!session_id.empty() && Find(session_id)) {
      return RpcErrorResponse(req, http::status::bad_request, rpc::kInvalidRequest,
                              "Invalid Request: this session is already initialized");
    }
    session = std::make_shared<HttpSession>();
    session->identity = who;
    session->server = options_.make_server(who);
    session->last_used = std::chrono::steady_clock::now();
    session_id = RandomId();
    HttpSession* raw = session.get();
    session->server->session().SetUnsolicitedSink([raw](const json& m) {
      std::lock_guard lock(raw->mutex);
      raw->events.push_back({raw->next_event++, m.dump()});
      if (raw->events.size() > kReplay) raw->events.pop_front();
      raw->cv.notify_all();
    });
    {
      std::lock_guard lock(mutex_);
      sessions_[session_id] = session;
    }
    if (options_.on_open) options_.on_open(*session->server);
  } else {
    if (session_id.empty()) {
      return RpcErrorResponse(req, http::status::bad_request, rpc::kInvalidRequest,
                              "Bad Request: Mcp-Session-Id header is required");
    }
    session = Find(session_id);
    if (!session) {
      return RpcErrorResponse(req, http::status::not_found, rpc::kInvalidRequest,
                              "Session not found: it expired or was deleted; initialize again");
    }
    if (session->identity.agent_id != who.agent_id) {
      return RpcErrorResponse(req, http::status::forbidden, rpc::kInvalidRequest,
                              "Forbidden: the session belongs to another agent");
    }
    std::string version = Header(req, "MCP-Protocol-Version");
    const auto& versions = SupportedProtocolVersions();
    if (!version.empty() &&
        std::find(versions.begin(), versions.end(), version) == versions.end()) {
      return RpcErrorResponse(req, http::status::bad_request, rpc::kInvalidRequest,
                              "Bad Request: unsupported MCP-Protocol-Version " + version);
    }
  }
  Session& s = session->server->session();
  if (!HasRequest(message)) {
    s.Handle(message, [](const json&) {});
    Response res = Text(req, http::status::accepted, "");
    return res;
  }
  if (WantsProgress(message)) {
    SseWriter sse(socket, req, IsInitialize(message) ? session_id : "");
    std::int64_t n = 0;
    s.Handle(message, [&](const json& m) {
      sse.Send("id: " + std::to_string(++n) + "\nevent: message\ndata: " + m.dump() + "\n\n");
    });
    sse.Finish();
    streamed = true;
    return Response{};
  }
  std::vector<json> out;
  s.Handle(message, [&](const json& m) { out.push_back(m); });
  // Without a stream, only the answer can go back in the body.
  json body = out.empty() ? json() : out.back();
  for (const auto& m : out) {
    if (m.is_array() || m.contains("id")) body = m;
  }
  Response res = Text(req, http::status::ok, body.dump(), "application/json");
  if (IsInitialize(message)) res.set("Mcp-Session-Id", session_id);
  return res;
}

Response Server::Get(Request& req, tcp::socket& socket, bool& streamed) {
  if (Header(req, http::field::accept).find("text/event-stream") == std::string::npos) {
    return RpcErrorResponse(req, http::status::not_acceptable, rpc::kInvalidRequest,
                            "Not Acceptable: Accept must list text/event-stream");
  }
  std::string session_id = Header(req, "Mcp-Session-Id");
  if (session_id.empty()) {
    return RpcErrorResponse(req, http::status::bad_request, rpc::kInvalidRequest,
                            "Bad Request: Mcp-Session-Id header is required");
  }
  auto session = Find(session_id);
  if (!session) {
    return RpcErrorResponse(req, http::status::not_found, rpc::kInvalidRequest,
                            "Session not found");
  }
  std::int64_t last = 0;
  std::string last_event = Header(req, "Last-Event-ID");
  if (!last_event.empty()) {
    try {
      last = std::stoll(last_event);
    } catch (...) {
      last = 0;
    }
  } else {
    std::lock_guard lock(session->mutex);
    last = session->next_event - 1;  // a new stream starts with what comes next
  }
  SseWriter sse(socket, req, "");
  streamed = true;
  if (!sse.Send(": stream open\n\n")) return Response{};
  std::unique_lock lock(session->mutex);
  while (!stop_.load() && !session->closed) {
    std::vector<StreamEvent> pending;
    for (const auto& e : session->events) {
      if (e.id > last) pending.push_back(e);
    }
    if (!pending.empty()) {
      last = pending.back().id;
      lock.unlock();
      for (const auto& e : pending) {
        if (!sse.Send("id: " + std::to_string(e.id) + "\nevent: message\ndata: " + e.data +
                      "\n\n")) {
          return Response{};
        }
      }
      lock.lock();
      continue;
    }
    if (!session->cv.wait_for(lock, std::chrono::seconds(15), [&] {
          return stop_.load() || session->closed ||
                 (!session->events.empty() && session->events.back().id > last);
        })) {
      lock.unlock();
      if (!sse.Send(": keep-alive\n\n")) return Response{};  // the client left
      lock.lock();
    }
  }
  lock.unlock();
  sse.Finish();
  return Response{};
}

Response Server::Delete(const Request& req) {
  std::string session_id = Header(req, "Mcp-Session-Id");
  std::shared_ptr<HttpSession> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(session_id);
    if (it != sessions_.end()) {
      session = it->second;
      sessions_.erase(it);
    }
  }
  if (!session)
    return RpcErrorResponse(req, http::status::not_found, rpc::kInvalidRequest,
                            "Session not found");
  if (options_.on_close) options_.on_close(*session->server);
  {
    std::lock_guard lock(session->mutex);
    session->closed = true;
    session->cv.notify_all();
  }
  return Text(req, http::status::ok, "");
}

Response Server::Handle(Request& req, tcp::socket& socket, bool& streamed) {
  std::string target(req.target());
  if (target.substr(0, target.find('?')) != "/mcp")
    return Text(req, http::status::not_found, "Not Found");
  if (!HostAllowed(req)) return Text(req, http::status::forbidden, "Forbidden: Host not allowed");
  if (!OriginAllowed(req))
    return Text(req, http::status::forbidden, "Forbidden: Origin not allowed");
  Identity who;
  if (options_.auth_enabled) {
    std::string auth = Header(req, http::field::authorization);
    Result<Identity> identity = MakeError(ErrorCode::kUnauthorized, "no bearer token");
    if (auth.rfind("Bearer ", 0) == 0) identity = options_.authenticate(auth.substr(7));
    if (!identity) {
      Response res = RpcErrorResponse(req, http::status::unauthorized, rpc::kInvalidRequest,
                                      "Unauthorized: " + identity.error().message);
      res.set(http::field::www_authenticate, "Bearer realm=\"docrunch\", error=\"invalid_token\"");
      return res;
    }
    who = *identity;
  }
  ExpireIdle();
  switch (req.method()) {
    case http::verb::post:
      return Post(req, socket, streamed, who);
    case http::verb::get:
      return Get(req, socket, streamed);
    case http::verb::delete_:
      return Delete(req);
    default: {
      Response res = Text(req, http::status::method_not_allowed, "Method Not Allowed");
      res.set(http::field::allow, "GET, POST, DELETE");
      return res;
    }
  }
}

void SetReceiveTimeout(tcp::socket& socket, std::chrono::seconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

void Server::Connection(tcp::socket socket) {
  boost::beast::flat_buffer buffer;
  boost::beast::error_code ec;
  while (!stop_.load()) {
    // A client gets header_timeout to send each request; then we hang up,
    // so slow senders cannot hold threads.
    SetReceiveTimeout(socket, options_.header_timeout);
    http::request_parser<http::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    parser.header_limit(16 * 1024);
    http::read(socket, buffer, parser, ec);
    if (ec == http::error::body_limit) {
      Request req;
      req.version(11);
      Response res = RpcErrorResponse(
          req, http::status::payload_too_large, rpc::kInvalidRequest,
          "Payload Too Large: the limit is " + std::to_string(options_.max_body_bytes) + " bytes");
      res.keep_alive(false);
      http::write(socket, res, ec);
      break;
    }
    if (ec) break;
    Request req = parser.release();
    SetReceiveTimeout(socket, std::chrono::seconds(0));
    bool streamed = false;
    Response res = Handle(req, socket, streamed);
    if (streamed) break;  // an SSE response ends the connection when it ends
    bool keep = res.keep_alive();
    http::write(socket, res, ec);
    if (ec || !keep) break;
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]" ||
         host.rfind("127.", 0) == 0;
}

Result<void> ServeHttp(const HttpOptions& options, const std::atomic<bool>& stop,
                       const std::function<void(const std::string&)>& on_listening) {
  if (!IsLoopbackHost(options.host) && !options.auth_enabled) {
    return MakeError(ErrorCode::kConfigInvalid,
                     "server.mcp.host: listening on " + options.host +
                         " (beyond loopback) needs server.mcp.auth.enabled: true");
  }
  if (sodium_init() < 0) return MakeError(ErrorCode::kInternal, "libsodium failed to initialize");
  net::io_context io;
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
  if (ec || endpoints.empty()) {
    return MakeError(ErrorCode::kConfigInvalid, "server.mcp.host: cannot resolve " + options.host);
  }
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo, "cannot listen on " + options.host + ":" +
                                         std::to_string(options.port) + ": " + ec.message());
  }
  int port = acceptor.local_endpoint().port();
  on_listening("http://" + options.host + ":" + std::to_string(port) + "/mcp");
  Server server(options, stop);
  while (!stop.load()) {
    pollfd p{acceptor.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    tcp::socket socket(io);
    acceptor.accept(socket, ec);
    if (ec) continue;
    server.active_++;
    std::thread([&server, s = std::move(socket)]() mutable {
      server.Connection(std::move(s));
      server.active_--;
    }).detach();
  }
  server.CloseAll();
  // Give open connections a moment to see the stop and finish.
  for (int i = 0; i < 50 && server.active() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Ok();
}

}  // namespace docrunch::mcp
