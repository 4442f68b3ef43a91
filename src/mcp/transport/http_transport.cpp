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

#include <algorithm>
#include <cerrno>
#include <climits>
#include <map>
#include <mutex>
#include <thread>

#include "mcp/transport/http_session.h"
#include "mcp/transport/http_transport.h"

namespace docrunch::mcp {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using ErrorCodeT = boost::system::error_code;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// How long a request body may take after its headers, one write may stall,
// and a kept-alive connection may wait for its next request.
constexpr auto kBodyTimeout = std::chrono::seconds(60);
constexpr auto kWriteTimeout = std::chrono::seconds(30);
constexpr auto kKeepAliveIdle = std::chrono::seconds(30);
constexpr auto kSseKeepAlive = std::chrono::seconds(15);

// A non-blocking socket that waits with poll(), so every read has a
// deadline and every write a timeout (a blocking Asio socket retries
// EAGAIN forever, which would let a slow client hold its thread), and so a
// stop of the server ends any wait within 200 ms. Beast reads and writes
// through it as a SyncStream.
class TimedSocket {
 public:
  TimedSocket(tcp::socket socket, const std::atomic<bool>& stop)
      : socket_(std::move(socket)), stop_(stop) {
    ErrorCodeT ec;
    socket_.non_blocking(true, ec);
  }
  void read_deadline(Clock::time_point deadline) { read_deadline_ = deadline; }
  // Whether bytes arrive before `deadline`.
  bool WaitReadable(Clock::time_point deadline) {
    ErrorCodeT ec;
    return Wait(POLLIN, deadline, ec);
  }
  void Shutdown() {
    ErrorCodeT ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
  }
  void ShutdownSend() {
    ErrorCodeT ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }

  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, ErrorCodeT& ec) {
    for (;;) {
      std::size_t n = socket_.read_some(buffers, ec);
      if (ec != net::error::would_block && ec != net::error::try_again) return n;
      if (!Wait(POLLIN, read_deadline_, ec)) return 0;
    }
  }
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers) {
    ErrorCodeT ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers, ErrorCodeT& ec) {
    auto deadline = Clock::now() + kWriteTimeout;
    for (;;) {
      std::size_t n = socket_.write_some(buffers, ec);
      if (ec != net::error::would_block && ec != net::error::try_again) return n;
      if (!Wait(POLLOUT, deadline, ec)) return 0;
    }
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers) {
    ErrorCodeT ec;
    std::size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  bool Wait(short events, Clock::time_point deadline, ErrorCodeT& ec) {
    for (;;) {
      if (stop_.load()) {
        ec = net::error::operation_aborted;
        return false;
      }
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        ec = net::error::timed_out;
        return false;
      }
      pollfd p{socket_.native_handle(), events, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 200)));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) {
        ec = ErrorCodeT(errno, boost::system::system_category());
        return false;
      }
    }
  }

  tcp::socket socket_;
  const std::atomic<bool>& stop_;
  Clock::time_point read_deadline_ = Clock::now();
};

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

std::string FormatEvent(const SseEvent& e) {
  return "id: " + e.id + "\nevent: message\ndata: " + e.data + "\n\n";
}

// Writes an SSE response: headers now, then one chunk per event.
class SseWriter {
 public:
  SseWriter(TimedSocket& socket, const Request& req) : socket_(socket) {
    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-cache");
    res.chunked(true);
    // The connection closes when the stream ends; saying so keeps a client
    // from reusing it for its next request and meeting a closed socket.
    res.keep_alive(false);
    http::response_serializer<http::empty_body> sr{res};
    ErrorCodeT ec;
    http::write_header(socket_, sr, ec);
    ok_ = !ec;
  }
  bool Send(const std::string& text) {
    std::lock_guard lock(mutex_);
    if (!ok_) return false;
    ErrorCodeT ec;
    net::write(socket_, http::make_chunk(net::buffer(text)), ec);
    ok_ = !ec;
    return ok_;
  }
  void Finish() {
    std::lock_guard lock(mutex_);
    if (!ok_) return;
    ErrorCodeT ec;
    net::write(socket_, http::make_chunk_last(), ec);
  }

 private:
  TimedSocket& socket_;
  std::mutex mutex_;
  bool ok_ = false;
};

bool WantsProgress(const json& message) {
  auto check = [](const json& m) {
    return m.is_object() && m.contains("params") && m["params"].is_object() &&
           m["params"].contains("_meta") && m["params"]["_meta"].is_object() &&
           m["params"]["_meta"].contains("progressToken");
  };
  if (message.is_array()) return std::any_of(message.begin(), message.end(), check);
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

bool IsResponse(const json& m) {
  return m.is_array() || (m.is_object() && m.contains("id") && !m.contains("method"));
}

// Priming events (an id and no data, so a client can resume even a stream
// that has not carried a message yet) arrived with 2025-11-25; older
// clients would choke on the empty data.
bool SendsPriming(HttpSession& session) {
  return session.server().session().protocol_version() >= "2025-11-25";
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
  Response Handle(Request& req, TimedSocket& socket, bool& streamed);
  Response Post(Request& req, TimedSocket& socket, bool& streamed, const Identity& who);
  Response Initialize(Request& req, const json& message, const Identity& who);
  Response Get(Request& req, TimedSocket& socket, bool& streamed, const Identity& who);
  Response Delete(const Request& req, const Identity& who);
  // The session a request names, or the refusal (400 no id, 404 unknown,
  // 403 another agent's, 400 bad MCP-Protocol-Version).
  std::shared_ptr<HttpSession> Lookup(const Request& req, const Identity& who,
                                      std::optional<Response>& refusal);
  std::optional<Response> CheckVersion(const Request& req) const;
  void End(const std::shared_ptr<HttpSession>& session);
  bool HostAllowed(const Request& req) const;
  bool OriginAllowed(const Request& req) const;
  void RefuseOversized(TimedSocket& socket);
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

std::optional<Response> Server::CheckVersion(const Request& req) const {
  // Absent: the client predates the header, so 2025-03-26 is assumed.
  std::string version = Header(req, "MCP-Protocol-Version");
  const auto& versions = SupportedProtocolVersions();
  if (version.empty() || std::find(versions.begin(), versions.end(), version) != versions.end()) {
    return std::nullopt;
  }
  std::string supported;
  for (const auto& v : versions) supported += (supported.empty() ? "" : ", ") + v;
  return RpcErrorResponse(req, http::status::bad_request, rpc::kInvalidRequest,
                          "Bad Request: MCP-Protocol-Version: unsupported version '" +
                              version.substr(0, 64) + "' (supported: " + supported + ")");
}

std::shared_ptr<HttpSession> Server::Lookup(const Request& req, const Identity& who,
                                            std::optional<Response>& refusal) {
  std::string id = Header(req, "Mcp-Session-Id");
  if (id.empty()) {
    refusal = RpcErrorResponse(req, http::status::bad_request, rpc::kInvalidRequest,
                               "Bad Request: Mcp-Session-Id header is required");
    return nullptr;
  }
  std::shared_ptr<HttpSession> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it != sessions_.end()) session = it->second;
  }
  if (!session) {
    refusal = RpcErrorResponse(req, http::status::not_found, rpc::kInvalidRequest,
                               "Session not found: it expired or was deleted; initialize again");
    return nullptr;
  }
  if (session->identity().agent_id != who.agent_id) {
    refusal = RpcErrorResponse(req, http::status::forbidden, rpc::kInvalidRequest,
                               "Forbidden: the session belongs to another agent");
    return nullptr;
  }
  refusal = CheckVersion(req);
  return refusal ? nullptr : session;
}

void Server::End(const std::shared_ptr<HttpSession>& session) {
  if (options_.on_close) options_.on_close(session->shared_server());
  session->Close();
}

void Server::ExpireIdle() {
  std::vector<std::shared_ptr<HttpSession>> expired;
  {
    std::lock_guard lock(mutex_);
    auto now = Clock::now();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->second->IdleFor(now, options_.session_idle)) {
        expired.push_back(it->second);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& s : expired) End(s);
}

void Server::CloseAll() {
  std::map<std::string, std::shared_ptr<HttpSession>> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(sessions_);
  }
  for (auto& [id, s] : all) End(s);
}

Response Server::Initialize(Request& req, const json& message, const Identity& who) {
  auto session = HttpSession::Create(RandomId(), who, options_.make_server(who));
  std::vector<json> out;
  session->server().session().Handle(message, [&](const json& m) { out.push_back(m); });
  json body = out.empty() ? json() : out.back();
  Response res = Text(req, http::status::ok, body.dump(), "application/json");
  if (!body.contains("result")) return res;  // a failed initialize opens no session
  {
    std::lock_guard lock(mutex_);
    sessions_[session->id()] = session;
  }
  if (options_.on_open) options_.on_open(session->shared_server());
  res.set("Mcp-Session-Id", session->id());
  return res;
}

Response Server::Post(Request& req, TimedSocket& socket, bool& streamed, const Identity& who) {
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
  json message;
  if (auto refused = ParseMessage(req.body(), message)) {
    return RpcErrorResponse(req, http::status::bad_request, refused->code, refused->message);
  }
  if (IsInitialize(message)) {
    std::string id = Header(req, "Mcp-Session-Id");
    bool known = false;
    if (!id.empty()) {
      std::lock_guard lock(mutex_);
      known = sessions_.count(id) > 0;
    }
    if (known) {
      return RpcErrorResponse(req, http::status::bad_request, rpc::kInvalidRequest,
                              "Invalid Request: this session is already initialized");
    }
    return Initialize(req, message, who);  // a stale id is simply replaced
  }
  std::optional<Response> refusal;
  auto session = Lookup(req, who, refusal);
  if (!session) return std::move(*refusal);
  HttpSession::Busy busy(*session);
  Session& s = session->server().session();
  if (!HasRequest(message)) {
    s.Handle(message, [&](const json& m) { session->Unsolicited(m); });
    return Text(req, http::status::accepted, "");
  }
  if (WantsProgress(message)) {
    // The answer goes on this POST's own stream, after its notifications.
    StreamCursor cursor = session->OpenStream(/*standalone=*/false);
    SseWriter sse(socket, req);
    if (SendsPriming(*session)) sse.Send("id: " + std::to_string(cursor.stream) + "-0\ndata: \n\n");
    s.Handle(message, [&](const json& m) {
      if (auto event = session->Append(cursor, m)) sse.Send(FormatEvent(*event));
    });
    session->FinishStream(cursor);
    session->Release(cursor);
    sse.Finish();
    streamed = true;
    return Response{};
  }
  // A JSON body holds only the answer; notifications sent while handling
  // it (log lines) take the session's standalone stream instead.
  json body;
  s.Handle(message, [&](const json& m) {
    if (IsResponse(m)) {
      body = m;
    } else {
      session->Unsolicited(m);
    }
  });
  return Text(req, http::status::ok, body.dump(), "application/json");
}

Response Server::Get(Request& req, TimedSocket& socket, bool& streamed, const Identity& who) {
  if (Header(req, http::field::accept).find("text/event-stream") == std::string::npos) {
    return RpcErrorResponse(req, http::status::not_acceptable, rpc::kInvalidRequest,
                            "Not Acceptable: Accept must list text/event-stream");
  }
  std::optional<Response> refusal;
  auto session = Lookup(req, who, refusal);
  if (!session) return std::move(*refusal);
  std::optional<StreamCursor> cursor;
  std::string last_event = Header(req, "Last-Event-ID");
  if (!last_event.empty()) {
    auto from = ParseEventId(last_event);
    if (!from) {
      return RpcErrorResponse(req, http::status::bad_request, rpc::kInvalidRequest,
                              "Bad Request: Last-Event-ID: not an event id of this server");
    }
    cursor = session->ResumeStream(*from);  // nullopt: forgotten; start afresh
  }
  bool fresh = !cursor;
  if (fresh) cursor = session->OpenStream(/*standalone=*/true);
  SseWriter sse(socket, req);
  streamed = true;
  bool open = fresh && SendsPriming(*session)
                  ? sse.Send("id: " + std::to_string(cursor->stream) + "-0\ndata: \n\n")
                  : sse.Send(": stream open\n\n");
  std::vector<SseEvent> events;
  while (open) {
    StreamState state = session->Next(*cursor, kSseKeepAlive, stop_, events);
    if (state == StreamState::kEnded) break;
    if (state == StreamState::kIdle) open = sse.Send(": keep-alive\n\n");  // finds a gone client
    for (const auto& e : events) {
      if (!(open = sse.Send(FormatEvent(e)))) break;
    }
  }
  session->Release(*cursor);
  sse.Finish();
  return Response{};
}

Response Server::Delete(const Request& req, const Identity& who) {
  std::optional<Response> refusal;
  auto session = Lookup(req, who, refusal);
  if (!session) return std::move(*refusal);
  {
    std::lock_guard lock(mutex_);
    sessions_.erase(session->id());
  }
  End(session);
  return Text(req, http::status::ok, "");
}

Response Server::Handle(Request& req, TimedSocket& socket, bool& streamed) {
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
  switch (req.method()) {
    case http::verb::post:
      return Post(req, socket, streamed, who);
    case http::verb::get:
      return Get(req, socket, streamed, who);
    case http::verb::delete_:
      return Delete(req, who);
    default: {
      Response res = Text(req, http::status::method_not_allowed, "Method Not Allowed");
      res.set(http::field::allow, "GET, POST, DELETE");
      return res;
    }
  }
}

// 413, then read and drop what the client still sends for a moment, so it
// sees the answer instead of a reset connection.
void Server::RefuseOversized(TimedSocket& socket) {
  Request req;
  req.version(11);
  Response res = RpcErrorResponse(
      req, http::status::payload_too_large, rpc::kInvalidRequest,
      "Payload Too Large: the limit is " + std::to_string(options_.max_body_bytes) + " bytes");
  res.keep_alive(false);
  ErrorCodeT ec;
  http::write(socket, res, ec);
  socket.ShutdownSend();
  socket.read_deadline(Clock::now() + std::chrono::seconds(5));
  char sink[64 * 1024];
  for (std::size_t total = 0; !ec && total < 64 * 1024 * 1024;) {
    total += socket.read_some(net::buffer(sink), ec);
  }
}

void Server::Connection(tcp::socket raw) {
  TimedSocket socket(std::move(raw), stop_);
  boost::beast::flat_buffer buffer;
  ErrorCodeT ec;
  for (bool first = true; !stop_.load(); first = false) {
    // A kept-alive connection may wait a while for its next request; once
    // it starts (and always for the first one), the headers must be
    // complete within header_timeout, so slow senders cannot hold threads.
    if (!first && buffer.size() == 0 && !socket.WaitReadable(Clock::now() + kKeepAliveIdle)) break;
    socket.read_deadline(Clock::now() + options_.header_timeout);
    http::request_parser<http::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    parser.header_limit(16 * 1024);
    http::read_header(socket, buffer, parser, ec);
    if (!ec) {
      socket.read_deadline(Clock::now() + kBodyTimeout);
      http::read(socket, buffer, parser, ec);
    }
    if (ec == http::error::body_limit) {
      RefuseOversized(socket);
      break;
    }
    if (ec) break;
    Request req = parser.release();
    bool streamed = false;
    Response res = Handle(req, socket, streamed);
    if (streamed) break;  // an SSE response ends the connection when it ends
    bool keep = res.keep_alive();
    http::write(socket, res, ec);
    if (ec || !keep) break;
  }
  socket.Shutdown();
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
  ErrorCodeT ec;
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
  // Idle sessions are reaped a few times per idle period (at most every second).
  auto reap_every = std::clamp<Clock::duration>(
      options.session_idle / 4, std::chrono::milliseconds(100), std::chrono::seconds(1));
  auto next_reap = Clock::now() + reap_every;
  while (!stop.load()) {
    if (Clock::now() >= next_reap) {
      server.ExpireIdle();
      next_reap = Clock::now() + reap_every;
    }
    pollfd p{acceptor.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
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
  // Every wait of a connection checks `stop` at least every 200 ms.
  for (int i = 0; i < 100 && server.active() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Ok();
}

}  // namespace docrunch::mcp
