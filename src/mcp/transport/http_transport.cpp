// The /mcp endpoint on the shared HTTP server layer (http/server.h); no
// Beast here: this file routes requests to sessions and back.
#include <algorithm>
#include <map>
#include <mutex>

#include "config/values.h"
#include "mcp/transport/http_session.h"
#include "mcp/transport/http_transport.h"

namespace docrunch::mcp {
namespace {

using Clock = std::chrono::steady_clock;
using http::Request;
using http::Response;

// An idle SSE stream sends a comment this often (which also finds a gone client).
constexpr auto kSseKeepAlive = std::chrono::seconds(15);

std::string FormatEvent(const SseEvent& e) {
  return "id: " + e.id + "\nevent: message\ndata: " + e.data + "\n\n";
}

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
  Server(HttpOptions options, const std::atomic<bool>& stop)
      : options_(std::move(options)), stop_(stop) {}

  Response Handle(Request& req, http::Exchange& exchange);
  void ExpireIdle();
  void CloseAll();
  Response RpcErrorResponse(int status, int code, const std::string& message) const;
  const HttpOptions& options() const { return options_; }

 private:
  Response Post(Request& req, http::Exchange& exchange, const Identity& who);
  Response Initialize(Request& req, const json& message, const Identity& who);
  Response Get(Request& req, http::Exchange& exchange, const Identity& who);
  Response Delete(const Request& req, const Identity& who);
  // The session a request names, or the refusal (400 no id, 404 unknown,
  // 403 another agent's, 400 bad MCP-Protocol-Version).
  std::shared_ptr<HttpSession> Lookup(const Request& req, const Identity& who,
                                      std::optional<Response>& refusal);
  std::optional<Response> CheckVersion(const Request& req) const;
  void End(const std::shared_ptr<HttpSession>& session);
  bool HostAllowed(const Request& req) const;
  bool OriginAllowed(const Request& req) const;
  Response Text(int status, const std::string& body,
                const std::string& type = "text/plain") const;

  const HttpOptions options_;
  const std::atomic<bool>& stop_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<HttpSession>> sessions_;  // GUARDED_BY(mutex_)
};

Response Server::Text(int status, const std::string& body, const std::string& type) const {
  Response res;
  res.status = status;
  res.Set("Content-Type", type);
  res.body = body;
  return res;
}

Response Server::RpcErrorResponse(int status, int code, const std::string& message) const {
  return Text(status, MakeErrorResponse(nullptr, {code, message, nullptr}).dump(),
              "application/json");
}

bool Server::HostAllowed(const Request& req) const {
  std::string host = http::HostName(req.Header("Host"));
  if (host.empty()) return false;
  if (config::IsLoopbackHost(options_.host)) return config::IsLoopbackHost(host);
  return true;  // beyond loopback auth is required, which is what protects it
}

bool Server::OriginAllowed(const Request& req) const {
  std::string origin = req.Header("Origin");
  if (origin.empty()) return true;  // not a browser
  std::string host = http::HostName(origin);
  return config::IsLoopbackHost(host) || host == options_.host;
}

std::optional<Response> Server::CheckVersion(const Request& req) const {
  // Absent: the client predates the header, so 2025-03-26 is assumed.
  std::string version = req.Header("MCP-Protocol-Version");
  const auto& versions = SupportedProtocolVersions();
  if (version.empty() || std::find(versions.begin(), versions.end(), version) != versions.end()) {
    return std::nullopt;
  }
  std::string supported;
  for (const auto& v : versions) supported += (supported.empty() ? "" : ", ") + v;
  return RpcErrorResponse(400, rpc::kInvalidRequest,
                          "Bad Request: MCP-Protocol-Version: unsupported version '" +
                              version.substr(0, 64) + "' (supported: " + supported + ")");
}

std::shared_ptr<HttpSession> Server::Lookup(const Request& req, const Identity& who,
                                            std::optional<Response>& refusal) {
  std::string id = req.Header("Mcp-Session-Id");
  if (id.empty()) {
    refusal =
        RpcErrorResponse(400, rpc::kInvalidRequest, "Bad Request: Mcp-Session-Id header is required");
    return nullptr;
  }
  std::shared_ptr<HttpSession> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it != sessions_.end()) session = it->second;
  }
  if (!session) {
    refusal = RpcErrorResponse(404, rpc::kInvalidRequest,
                               "Session not found: it expired or was deleted; initialize again");
    return nullptr;
  }
  if (session->identity().agent_id != who.agent_id) {
    refusal = RpcErrorResponse(403, rpc::kInvalidRequest,
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
  (void)req;
  auto session = HttpSession::Create(http::RandomHex(16), who, options_.make_server(who));
  std::vector<json> out;
  session->server().session().Handle(message, [&](const json& m) { out.push_back(m); });
  json body = out.empty() ? json() : out.back();
  Response res = Text(200, body.dump(), "application/json");
  if (!body.contains("result")) return res;  // a failed initialize opens no session
  {
    std::lock_guard lock(mutex_);
    sessions_[session->id()] = session;
  }
  if (options_.on_open) options_.on_open(session->shared_server());
  res.Set("Mcp-Session-Id", session->id());
  return res;
}

Response SseHead() {
  Response head;
  head.Set("Content-Type", "text/event-stream");
  head.Set("Cache-Control", "no-cache");
  return head;
}

Response Server::Post(Request& req, http::Exchange& exchange, const Identity& who) {
  std::string accept = req.Header("Accept");
  if (accept.find("application/json") == std::string::npos ||
      accept.find("text/event-stream") == std::string::npos) {
    return RpcErrorResponse(406, rpc::kInvalidRequest,
                            "Not Acceptable: Accept must list application/json and "
                            "text/event-stream");
  }
  if (req.Header("Content-Type").find("application/json") == std::string::npos) {
    return RpcErrorResponse(415, rpc::kInvalidRequest,
                            "Unsupported Media Type: Content-Type must be application/json");
  }
  json message;
  if (auto refused = ParseMessage(req.body, message)) {
    return RpcErrorResponse(400, refused->code, refused->message);
  }
  if (IsInitialize(message)) {
    std::string id = req.Header("Mcp-Session-Id");
    bool known = false;
    if (!id.empty()) {
      std::lock_guard lock(mutex_);
      known = sessions_.count(id) > 0;
    }
    if (known) {
      return RpcErrorResponse(400, rpc::kInvalidRequest,
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
    return Text(202, "");
  }
  if (WantsProgress(message)) {
    // The answer goes on this POST's own stream, after its notifications.
    StreamCursor cursor = session->OpenStream(/*standalone=*/false);
    exchange.Stream(SseHead(), [&](http::BodyStream& sse) {
      if (SendsPriming(*session)) sse.Send("id: " + std::to_string(cursor.stream) + "-0\ndata: \n\n");
      s.Handle(message, [&](const json& m) {
        if (auto event = session->Append(cursor, m)) sse.Send(FormatEvent(*event));
      });
      session->FinishStream(cursor);
      session->Release(cursor);
    });
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
  return Text(200, body.dump(), "application/json");
}

Response Server::Get(Request& req, http::Exchange& exchange, const Identity& who) {
  if (req.Header("Accept").find("text/event-stream") == std::string::npos) {
    return RpcErrorResponse(406, rpc::kInvalidRequest,
                            "Not Acceptable: Accept must list text/event-stream");
  }
  std::optional<Response> refusal;
  auto session = Lookup(req, who, refusal);
  if (!session) return std::move(*refusal);
  std::optional<StreamCursor> cursor;
  std::string last_event = req.Header("Last-Event-ID");
  if (!last_event.empty()) {
    auto from = ParseEventId(last_event);
    if (!from) {
      return RpcErrorResponse(400, rpc::kInvalidRequest,
                              "Bad Request: Last-Event-ID: not an event id of this server");
    }
    cursor = session->ResumeStream(*from);  // nullopt: forgotten; start afresh
  }
  bool fresh = !cursor;
  if (fresh) cursor = session->OpenStream(/*standalone=*/true);
  exchange.Stream(SseHead(), [&](http::BodyStream& sse) {
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
  });
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
  return Text(200, "");
}

Response Server::Handle(Request& req, http::Exchange& exchange) {
  if (req.path != "/mcp") return Text(404, "Not Found");
  if (!HostAllowed(req)) return Text(403, "Forbidden: Host not allowed");
  if (!OriginAllowed(req)) return Text(403, "Forbidden: Origin not allowed");
  Identity who;
  if (options_.auth_enabled) {
    std::string auth = req.Header("Authorization");
    Result<Identity> identity = MakeError(ErrorCode::kUnauthorized, "no bearer token");
    if (auth.rfind("Bearer ", 0) == 0) identity = options_.authenticate(auth.substr(7));
    if (!identity) {
      Response res = RpcErrorResponse(401, rpc::kInvalidRequest,
                                      "Unauthorized: " + identity.error().message);
      res.Set("WWW-Authenticate", "Bearer realm=\"docrunch\", error=\"invalid_token\"");
      return res;
    }
    who = *identity;
  }
  if (req.method == "POST") return Post(req, exchange, who);
  if (req.method == "GET") return Get(req, exchange, who);
  if (req.method == "DELETE") return Delete(req, who);
  Response res = Text(405, "Method Not Allowed");
  res.Set("Allow", "GET, POST, DELETE");
  return res;
}

}  // namespace

Result<http::Listener> McpHttpListener(HttpOptions options, const std::atomic<bool>& stop) {
  if (!config::IsLoopbackHost(options.host) && !options.auth_enabled) {
    return MakeError(ErrorCode::kConfigInvalid,
                     "server.mcp.host: listening on " + options.host +
                         " (beyond loopback) needs server.mcp.auth.enabled: true");
  }
  auto server = std::make_shared<Server>(std::move(options), stop);
  const HttpOptions& o = server->options();
  http::Listener listener;
  listener.name = "MCP";
  listener.host = o.host;
  listener.port = o.port;
  listener.max_body_bytes = o.max_body_bytes;
  listener.header_timeout = o.header_timeout;
  listener.handler = [server](http::Request& req, http::Exchange& exchange) {
    return server->Handle(req, exchange);
  };
  listener.failure = [server](int status, const std::string& message) {
    return server->RpcErrorResponse(status, rpc::kInvalidRequest, message);
  };
  // Idle sessions are reaped a few times per idle period (at most every second).
  listener.tick = [server] { server->ExpireIdle(); };
  listener.tick_every = std::clamp<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(o.session_idle / 4),
      std::chrono::milliseconds(100), std::chrono::seconds(1));
  listener.on_stop = [server] { server->CloseAll(); };
  return listener;
}

}  // namespace docrunch::mcp
