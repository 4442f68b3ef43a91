#include "api/rest_server.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <deque>
#include <map>
#include <mutex>

#include "api/answer_cache.h"
#include "api/login_throttle.h"
#include "api/openapi.h"
#include "api/routes.h"
#include "api/schemas.h"
#include "api/tickets.h"
#include "config/schema.h"
#include "config/values.h"
#include "core/clock.h"
#include "core/json_schema.h"
#include "core/json_writer.h"
#include "core/utf8.h"
#include "http/encoding.h"
#include "obs/catalog.h"
#include "obs/request_id.h"

namespace docrunch::api {
namespace {

constexpr int kMaxBodyNesting = 32;
constexpr const char* kRefreshCookie = "docrunch_refresh";

// --- answers ---

// Room for every header an answer gets (Finish adds about eight).
constexpr std::size_t kAnswerHeaders = 14;

http::Response Json(int status, const json& body) {
  http::Response r;
  r.headers.reserve(kAnswerHeaders);
  r.status = status;
  r.Set("Content-Type", "application/json");
  r.body = WriteJson(body);
  return r;
}

http::Response Failure(int status, const std::string& code, const std::string& message,
                       json details = nullptr) {
  json error{{"code", code}, {"message", message}};
  if (!details.is_null()) error["details"] = std::move(details);
  return Json(status, json{{"success", false}, {"error", std::move(error)}});
}

// The HTTP status and public code of a service error.
std::pair<int, std::string> StatusOf(const Error& e) {
  switch (e.code) {
    case ErrorCode::kUsage:
      return {400, "INVALID_REQUEST"};
    case ErrorCode::kInvalidParams:
      return {422, "INVALID_PARAMS"};
    case ErrorCode::kUnauthorized:
      return {401, "UNAUTHORIZED"};
    case ErrorCode::kForbidden:
      return {403, "FORBIDDEN"};
    case ErrorCode::kStorageNotFound:
      return {404, "STORAGE_NOT_FOUND"};
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kStorageConstraint:
    case ErrorCode::kTaskInvalidTransition:
    case ErrorCode::kTaskAlreadyClaimed:
    case ErrorCode::kTaskDependenciesPending:
    case ErrorCode::kTaskNotClaimant:
    case ErrorCode::kTaskDependencyCycle:
      return {409, std::string(ErrorCodeName(e.code))};
    case ErrorCode::kRateLimited:
      return {429, "RATE_LIMITED"};
    case ErrorCode::kLlmBudgetExceeded:
      return {402, "LLM_BUDGET_EXCEEDED"};
    // The provider's own error text (secrets already scrubbed by the
    // gateway) is what the caller needs to fix a provider.
    case ErrorCode::kLlmProviderError:
      return {502, "LLM_PROVIDER_ERROR"};
    case ErrorCode::kLlmTimeout:
      return {504, "LLM_TIMEOUT"};
    // The server's own key is wrong: a 500 whose details (the variable,
    // the key ids) stay in the server log.
    case ErrorCode::kKmsKeyInvalid:
      return {500, "KMS_KEY_INVALID"};
    case ErrorCode::kStorageUnavailable:
    case ErrorCode::kStorageReadOnly:
      return {503, std::string(ErrorCodeName(e.code))};
    default:
      return {500, "INTERNAL"};
  }
}

bool EqualNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool ConstantTimeEqual(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// --- URL parts ---

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding ('+' is a space in a query); nullopt for a broken
// escape, a NUL or text that is not UTF-8.
std::optional<std::string> Decode(std::string_view text, bool query) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && query) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  if (out.find('\0') != std::string::npos || !IsValidUtf8(out)) return std::nullopt;
  return out;
}

// The name=value pairs of a query string, decoded; nullopt when one is
// not valid percent-encoded UTF-8.
std::optional<std::vector<std::pair<std::string, std::string>>> QueryPairs(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!text.empty()) {
    auto amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = Decode(pair.substr(0, eq), true);
    auto value = Decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    pairs.emplace_back(std::move(*name), std::move(*value));
  }
  return pairs;
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

std::string CookieValue(const http::Request& req, const std::string& name) {
  std::string cookies = req.Header("Cookie");
  std::size_t pos = 0;
  while (pos < cookies.size()) {
    auto end = cookies.find(';', pos);
    if (end == std::string::npos) end = cookies.size();
    std::string part = cookies.substr(pos, end - pos);
    auto start = part.find_first_not_of(' ');
    if (start != std::string::npos) part = part.substr(start);
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

// The client's address. Behind a reverse proxy on this host (nginx
// terminating TLS) every peer is loopback, and the proxy's X-Forwarded-For
// names the client: its last entry is the address the proxy itself saw.
// Trusted only from a loopback peer, and only when it looks like an address.
std::string ClientAddress(const http::Request& req) {
  if (!config::IsLoopbackHost(req.remote)) return req.remote;
  std::string forwarded = req.Header("X-Forwarded-For");
  if (forwarded.empty()) return req.remote;
  auto comma = forwarded.rfind(',');
  std::string last = forwarded.substr(comma == std::string::npos ? 0 : comma + 1);
  auto begin = last.find_first_not_of(' ');
  auto end = last.find_last_not_of(' ');
  if (begin == std::string::npos) return req.remote;
  last = last.substr(begin, end - begin + 1);
  if (last.size() > 45 || last.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
    return req.remote;
  }
  return last;
}

struct CompiledRoute {
  const Route* route = nullptr;
  std::vector<std::string> segments;  // "{id}" for a parameter
  std::unique_ptr<obs::HttpRouteMetrics> metrics;
};

// Methods as metrics labels: the usual ones, else "other" (a client must
// not be able to make series without end).
constexpr std::array<std::string_view, 8> kMethodLabels = {"GET",   "HEAD",   "POST",    "PUT",
                                                           "PATCH", "DELETE", "OPTIONS", "other"};
std::size_t MethodIndex(std::string_view method) {
  for (std::size_t i = 0; i + 1 < kMethodLabels.size(); ++i) {
    if (method == kMethodLabels[i]) return i;
  }
  return kMethodLabels.size() - 1;
}

// Requests outside the route table, counted by what they were.
enum class OtherRequest { kUnmatched, kWebSocket, kMetrics, kDashboard };
constexpr std::array<std::string_view, 4> kOtherRoutes = {"unmatched", "/ws", "/metrics",
                                                          "dashboard"};

}  // namespace

struct RestServer::Impl {
  ApiServices services;
  RestOptions options;
  Routes routes;
  AnswerCache answers;  // of the `cached` routes
  std::vector<CompiledRoute> compiled;
  // Sign-in failures (login_throttle.h): the configured one, or this process's.
  std::unique_ptr<LoginThrottle> own_throttle;
  LoginThrottle* throttle_ptr = nullptr;
  LoginThrottle& throttle() { return *throttle_ptr; }
  // WebSocket tickets (tickets.h): the configured book, or this process's.
  std::unique_ptr<TicketBook> own_tickets;
  TicketBook* tickets = nullptr;

  Impl(ApiServices s, RestOptions o) : services(std::move(s)), options(std::move(o)) {
    throttle_ptr = services.throttle;
    if (!throttle_ptr) {
      own_throttle =
          MakeLocalLoginThrottle({options.login_failures_per_user,
                                  options.login_failures_per_address, options.login_window});
      throttle_ptr = own_throttle.get();
    }
  }

  // `metrics` receives the series the request is counted in.
  http::Response Handle(http::Request& req, http::Exchange& exchange,
                        obs::HttpRouteMetrics*& metrics);
  // GET /metrics: loopback callers, or an admin's token.
  http::Response Metrics(const http::Request& req);
  // The series of requests outside the route table, by method: made once
  // in the constructor, so looking one up takes no lock.
  obs::HttpRouteMetrics* OtherRoute(OtherRequest what, std::string_view method);
  std::array<std::array<std::unique_ptr<obs::HttpRouteMetrics>, kMethodLabels.size()>,
             kOtherRoutes.size()>
      other_routes;
  // A route's OPTIONS (preflights), made on first use.
  obs::HttpRouteMetrics* OptionsRoute(const std::string& route);
  std::mutex options_mutex;
  std::map<std::string, std::unique_ptr<obs::HttpRouteMetrics>>
      options_routes;  // GUARDED_BY(options_mutex)
  http::Response WebSocket(http::Request& req, http::Exchange& exchange, bool cross_origin);
  std::optional<http::Response> CheckHost(const http::Request& req) const;
  // "" when the request may go on; "cross" when it is an allowed
  // cross-origin request (CORS headers go on the answer); nullopt: refused.
  std::optional<std::string> CheckOrigin(const http::Request& req) const;
  void Finish(http::Response& res, const http::Request& req, bool cross_origin) const;
  // The routes of a path, each with the parameters it matched.
  using Matched = std::pair<const CompiledRoute*, std::map<std::string, std::string>>;
  std::vector<Matched> Match(std::string_view path, bool& bad_escape) const;
  // `mark`: the database's change mark, taken here when the token is a JWT
  // (the session check can then be skipped while nothing was committed).
  Result<Caller> Identify(const http::Request& req, std::string& mark);
  // Fills `mark` with Store::ChangeMark unless it holds one; false when it
  // cannot be had (no store, or the database failed: nothing is kept then).
  bool TakeMark(std::string& mark);
  // Once a second (the listener's tick): tells /ws/system/lineage when the
  // database changed without a new outbox event, as when a worker applied
  // events or gave up on one (new events are announced as they come).
  void AnnounceCommits();
  std::string lineage_mark;  // the tick's own; the accept loop's thread only
  // A kept answer as sent: gzipped (once, then kept too) when the client
  // takes gzip and the body is worth it.
  http::Response KeptAnswer(int status, AnswerCache::Kept kept, const std::string& key,
                            const std::string& mark, const http::Request& req);
  Result<json> ReadQuery(const Route& route, const http::Request& req) const;
  Result<json> ReadBody(const Route& route, const http::Request& req, int& status) const;
  void Audit(const Caller& caller, const Route& route, const Call& call,
             const std::string& outcome) const;

  // --- the auth routes (they need the throttle, the cookie and the local token) ---
  void AddAuthRoutes();
  json SessionData(const auth::TokenPair& pair, Call& call, bool cookie) const;
  std::string RefreshCookie(const std::string& value, std::int64_t max_age) const;
  std::string PresentedRefresh(const Call& call) const;
};

std::optional<http::Response> RestServer::Impl::CheckHost(const http::Request& req) const {
  std::string host = http::HostName(req.Header("Host"));
  if (host.empty()) return Failure(400, "INVALID_REQUEST", "Host: header required");
  if (config::IsLoopbackHost(options.host) && !config::IsLoopbackHost(host)) {
    return Failure(403, "FORBIDDEN", "Host: " + host.substr(0, 64) + " is not allowed");
  }
  return std::nullopt;
}

std::optional<std::string> RestServer::Impl::CheckOrigin(const http::Request& req) const {
  std::string origin = req.Header("Origin");
  if (origin.empty()) return "";  // not a browser, or a same-origin GET
  std::string host = req.Header("Host");
  if (origin == "http://" + host || origin == "https://" + host) return "";
  // Behind a TLS proxy on this host (deploy/nginx/docrunch.conf), Host is
  // the loopback name the proxy uses and the public name comes in
  // X-Forwarded-Host. Trusted only on a loopback listener: whoever reaches
  // it is on this host, and a browser's own cross-site request cannot make
  // the header without a preflight, which this check refuses.
  if (config::IsLoopbackHost(options.host)) {
    std::string forwarded = req.Header("X-Forwarded-Host");
    if (!forwarded.empty() && origin == "https://" + forwarded) return "";
  }
  for (const auto& allowed : options.cors_origins) {
    if (origin == allowed) return "cross";
  }
  return std::nullopt;
}

void RestServer::Impl::Finish(http::Response& res, const http::Request& req,
                              bool cross_origin) const {
  // The dashboard's files come with their own policy and caching.
  bool page = false;
  for (const auto& header : res.headers) page = page || header.first == "Content-Security-Policy";
  if (!page) {
    res.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    res.Set("Cache-Control", "no-store");
  }
  res.Set("X-Content-Type-Options", "nosniff");
  res.Set("Referrer-Policy", "no-referrer");
  res.Set("X-Frame-Options", "DENY");
  if (cross_origin) {
    res.Set("Access-Control-Allow-Origin", req.Header("Origin"));
    res.Set("Access-Control-Allow-Credentials", "true");
    res.Set("Access-Control-Expose-Headers", "Retry-After");
    std::string vary = "Origin";
    for (const auto& [name, value] : res.headers) {
      if (name == "Vary" && value.find("Origin") == std::string::npos) vary = value + ", Origin";
    }
    res.Set("Vary", vary);
  }
}

std::vector<RestServer::Impl::Matched> RestServer::Impl::Match(std::string_view path,
                                                               bool& bad_escape) const {
  std::vector<Matched> out;
  auto segments = Segments(path);
  for (const auto& c : compiled) {
    if (c.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> found;
    bool ok = true;
    for (std::size_t i = 0; ok && i < segments.size(); ++i) {
      const std::string& want = c.segments[i];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        auto value = Decode(segments[i], false);
        if (segments[i].empty()) {
          ok = false;
        } else if (!value) {
          bad_escape = true;
          ok = false;
        } else {
          found[want.substr(1, want.size() - 2)] = *value;
        }
      } else {
        ok = segments[i] == want;
      }
    }
    if (ok) out.emplace_back(&c, std::move(found));
  }
  return out;
}

void RestServer::Impl::AnnounceCommits() {
  if (!services.streams || !services.store || !services.streams->Listened(kLineageChannel)) {
    lineage_mark.clear();
    return;
  }
  auto mark = services.store->ChangeMark();
  if (!mark || *mark == lineage_mark) return;
  if (!lineage_mark.empty()) {
    services.streams->Publish(kLineageChannel, "lineage.changed", {{"reason", "committed"}});
  }
  lineage_mark = std::move(*mark);
}

bool RestServer::Impl::TakeMark(std::string& mark) {
  if (!mark.empty()) return true;
  if (!services.store) return false;
  auto taken = services.store->ChangeMark();
  if (!taken) return false;
  mark = std::move(*taken);
  return true;
}

http::Response RestServer::Impl::KeptAnswer(int status, AnswerCache::Kept kept,
                                            const std::string& key, const std::string& mark,
                                            const http::Request& req) {
  http::Response res;
  res.headers.reserve(kAnswerHeaders);
  res.status = status;
  res.Set("Content-Type", "application/json");
  res.Set("Vary", "Accept-Encoding");
  constexpr std::size_t kWorthPacking = 1024;
  if (kept.body->size() >= kWorthPacking &&
      http::AcceptsEncoding(req.Header("Accept-Encoding"), "gzip")) {
    if (!kept.gzip) {
      std::string packed = http::Gzip(*kept.body);
      if (!packed.empty()) {
        kept.gzip = std::make_shared<const std::string>(std::move(packed));
        answers.AddGzip(key, mark, kept.gzip);
      }
    }
    if (kept.gzip) {
      res.Set("Content-Encoding", "gzip");
      res.shared_body = std::move(kept.gzip);
      return res;
    }
  }
  res.shared_body = std::move(kept.body);
  return res;
}

Result<Caller> RestServer::Impl::Identify(const http::Request& req, std::string& mark) {
  std::string auth = req.Header("Authorization");
  if (auth.empty()) return Caller{};
  if (auth.size() < 8 || !EqualNoCase(auth.substr(0, 7), "Bearer ")) {
    return MakeError(ErrorCode::kUnauthorized, "Authorization: expected 'Bearer <token>'");
  }
  std::string token = auth.substr(7);
  if (token.rfind("drt_", 0) == 0 && services.authenticate_token) {
    auto info = services.authenticate_token(token);
    if (!info) return info.error();  // UNAUTHORIZED, or the database's failure
    return Caller{info->name, info->role, true, "token"};
  }
  if (!options.auth_enabled && !options.local_token.empty() &&
      ConstantTimeEqual(token, options.local_token)) {
    return Caller{"local", config::Role::kAdmin, true, "local"};
  }
  if (!services.sessions) return MakeError(ErrorCode::kUnauthorized, "unknown token");
  TakeMark(mark);
  auto who = services.sessions->VerifyAccess(token, mark);
  if (!who) return who.error();  // UNAUTHORIZED, or the database's failure
  return Caller{who->name, who->role, true, "jwt"};
}

Result<json> RestServer::Impl::ReadQuery(const Route& route, const http::Request& req) const {
  json query = json::object();
  const json& properties = route.query_schema.value("properties", json::object());
  auto pairs = QueryPairs(req.query);
  if (!pairs) {
    return MakeError(ErrorCode::kUsage, "query: a parameter is not valid percent-encoded UTF-8");
  }
  for (const auto& [name, value] : *pairs) {
    std::string field = name.substr(0, 64);
    auto property = properties.find(name);
    if (property == properties.end()) {
      return MakeError(ErrorCode::kUsage, field + ": unknown query parameter");
    }
    if (query.contains(name)) return MakeError(ErrorCode::kUsage, field + ": given twice");
    std::string type = property->value("type", json("string")).is_string()
                           ? property->value("type", "string")
                           : "string";
    if (type == "integer") {
      long long n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc() || ptr != value.data() + value.size()) {
        return MakeError(ErrorCode::kUsage, field + ": must be an integer");
      }
      query[name] = n;
    } else if (type == "boolean") {
      if (value != "true" && value != "false") {
        return MakeError(ErrorCode::kUsage, field + ": must be true or false");
      }
      query[name] = value == "true";
    } else {
      query[name] = value;
    }
  }
  std::string problems = CheckSchema(route.query_schema, query);
  if (!problems.empty()) return MakeError(ErrorCode::kUsage, problems);
  return query;
}

Result<json> RestServer::Impl::ReadBody(const Route& route, const http::Request& req,
                                        int& status) const {
  if (route.body_schema.is_null()) return json();
  json body = json::object();
  if (!req.body.empty()) {
    std::string type = req.Header("Content-Type");
    if (type.find("application/json") == std::string::npos) {
      status = 415;
      return MakeError(ErrorCode::kUsage, "Content-Type: must be application/json");
    }
    if (JsonNesting(req.body, kMaxBodyNesting) > kMaxBodyNesting) {
      return MakeError(ErrorCode::kUsage, "body: arrays and objects nested deeper than " +
                                              std::to_string(kMaxBodyNesting) + " levels");
    }
    body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) {
      return MakeError(ErrorCode::kUsage, "body: not valid JSON (or not UTF-8)");
    }
  }
  std::string problems = CheckSchema(route.body_schema, body, "body");
  if (!problems.empty()) return MakeError(ErrorCode::kUsage, problems);
  return body;
}

void RestServer::Impl::Audit(const Caller& caller, const Route& route, const Call& call,
                             const std::string& outcome) const {
  if (!services.audit) return;
  json target = json::object();
  for (const auto& [k, v] : call.params) target[k] = v;
  json details = call.audit_details;
  details["via"] = caller.via;
  details["address"] = call.request.remote;
  services.audit->Record({caller.authenticated ? caller.name : "anonymous",
                          "rest." + route.method + " " + route.path,
                          call.params.empty() ? "" : target.dump(), outcome, std::move(details)});
}

obs::HttpRouteMetrics* RestServer::Impl::OtherRoute(OtherRequest what, std::string_view method) {
  return other_routes[static_cast<std::size_t>(what)][MethodIndex(method)].get();
}

obs::HttpRouteMetrics* RestServer::Impl::OptionsRoute(const std::string& route) {
  std::lock_guard lock(options_mutex);
  auto& slot = options_routes[route];
  if (!slot) slot = std::make_unique<obs::HttpRouteMetrics>("rest", "OPTIONS", route);
  return slot.get();
}

http::Response RestServer::Impl::Metrics(const http::Request& req) {
  if (req.method != "GET" && req.method != "HEAD") {
    http::Response res = Failure(405, "METHOD_NOT_ALLOWED", "/metrics is read with GET");
    res.Set("Allow", "GET, HEAD");
    return res;
  }
  // A loopback peer is Prometheus on this host. Whatever came through a
  // proxy (X-Forwarded-For) needs a token, even from a loopback client of
  // that proxy: the open door is the direct one only.
  if (!config::IsLoopbackHost(req.remote) || !req.Header("X-Forwarded-For").empty()) {
    std::string mark;
    auto caller = Identify(req, mark);
    if (!caller || !caller->authenticated) {
      obs::CountAuthFailure("rest");
      if (services.audit) {
        services.audit->Record({"anonymous",
                                "rest.auth_failure",
                                "GET /metrics",
                                "UNAUTHORIZED",
                                {{"address", req.remote}}});
      }
      http::Response res = Failure(
          401, "UNAUTHORIZED", "/metrics: loopback only, or Authorization: Bearer <admin token>");
      res.Set("WWW-Authenticate", "Bearer realm=\"docrunch\"");
      return res;
    }
    if (caller->role != config::Role::kAdmin) {
      return Failure(403, "FORBIDDEN", "/metrics needs role admin");
    }
  }
  http::Response res;
  res.status = 200;
  res.Set("Content-Type", std::string(obs::kExpositionContentType));
  obs::Registry& registry = services.metrics ? *services.metrics : obs::DefaultRegistry();
  res.body = registry.Expose();
  return res;
}

http::Response RestServer::Impl::Handle(http::Request& req, http::Exchange& exchange,
                                        obs::HttpRouteMetrics*& metrics) {
  const std::string peer = req.remote;
  req.remote = ClientAddress(req);
  metrics = OtherRoute(OtherRequest::kUnmatched, req.method);
  if (auto refused = CheckHost(req)) return *refused;
  auto origin = CheckOrigin(req);
  if (!origin) {
    return Failure(403, "FORBIDDEN",
                   "Origin: " + req.Header("Origin").substr(0, 100) +
                       " is not allowed (server.http.cors_origins)");
  }
  bool cross = *origin == "cross";
  if (req.path.rfind("/ws/", 0) == 0) {
    metrics = OtherRoute(OtherRequest::kWebSocket, req.method);
    return WebSocket(req, exchange, cross);
  }
  if (req.path == "/metrics") {
    metrics = OtherRoute(OtherRequest::kMetrics, req.method);
    return Metrics(req);
  }
  const std::string& base = options.base_path;
  if (req.path.rfind(base + "/", 0) != 0) {
    // Everything outside the API is the dashboard's: its files, and its
    // index.html for the app's own routes.
    if (options.site && req.path != base && (req.method == "GET" || req.method == "HEAD")) {
      metrics = OtherRoute(OtherRequest::kDashboard, req.method);
      return options.site->Answer(req);
    }
    return Failure(404, "NOT_FOUND", "no such route: " + req.path.substr(0, 200));
  }
  std::string_view sub = std::string_view(req.path).substr(base.size());
  bool bad_escape = false;
  auto matches = Match(sub, bad_escape);
  if (matches.empty()) {
    if (bad_escape) return Failure(400, "INVALID_REQUEST", "path: not valid percent-encoded UTF-8");
    return Failure(404, "NOT_FOUND", "no such route: " + req.path.substr(0, 200));
  }
  // Routes are tried in the order they were declared: /tasks/available
  // before /tasks/{id}.
  std::string allow;
  Matched* chosen = nullptr;
  for (auto& m : matches) {
    const std::string& method = m.first->route->method;
    if (allow.find(method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + method;
    if (!chosen && method == req.method) chosen = &m;
  }
  if (req.method == "OPTIONS") {
    metrics = OptionsRoute(base + matches.front().first->route->path);
    http::Response res;
    res.status = 204;
    res.Set("Allow", allow + ", OPTIONS");
    if (cross) {
      res.Set("Access-Control-Allow-Methods", allow);
      res.Set("Access-Control-Allow-Headers", "Authorization, Content-Type");
      res.Set("Access-Control-Max-Age", "600");
    }
    return res;
  }
  if (!chosen && req.method == "HEAD") {
    for (auto& m : matches) {
      if (!chosen && m.first->route->method == "GET") chosen = &m;
    }
  }
  if (!chosen) {
    http::Response res =
        Failure(405, "METHOD_NOT_ALLOWED",
                req.method.substr(0, 16) + " is not allowed here (allowed: " + allow + ")");
    res.Set("Allow", allow);
    return res;
  }
  const Route& route = *chosen->first->route;
  metrics = chosen->first->metrics.get();
  Call call{req, std::move(chosen->second)};
  call.peer = peer;
  auto answer = [&](http::Response res) {
    for (auto& [name, value] : call.headers) res.Set(name, value);
    return res;
  };

  // The security and CORS headers are added by RestServer::Handle, to
  // every answer.
  // Taken before anything is read (see answer_cache.h).
  std::string mark;
  auto caller = Identify(req, mark);
  if (!caller && caller.error().code != ErrorCode::kUnauthorized) {
    // The database failed while checking the token: not the caller's fault.
    spdlog::error("REST {} {}: checking the token failed: {}", route.method, route.path,
                  caller.error().ToString());
    return answer(
        Failure(503, "STORAGE_UNAVAILABLE", "the server cannot check tokens right now; try again"));
  }
  if (!caller && route.access == Access::kPublic) {
    // Sign-in, refresh and health do not need the header: a stale token a
    // client sends along anyway must not stop it from refreshing.
    caller = Caller{};
  }
  if (!caller) {
    obs::CountAuthFailure("rest");
    if (services.audit) {
      services.audit->Record({"anonymous",
                              "rest.auth_failure",
                              route.method + " " + route.path,
                              "UNAUTHORIZED",
                              {{"address", req.remote}, {"message", caller.error().message}}});
    }
    http::Response res = Failure(401, "UNAUTHORIZED", caller.error().message);
    res.Set("WWW-Authenticate", "Bearer realm=\"docrunch\", error=\"invalid_token\"");
    return answer(std::move(res));
  }
  call.caller = *caller;
  if (route.access != Access::kPublic) {
    if (!caller->authenticated) {
      http::Response res =
          Failure(401, "UNAUTHORIZED", "sign in: this route needs Authorization: Bearer <token>");
      res.Set("WWW-Authenticate", "Bearer realm=\"docrunch\"");
      return answer(std::move(res));
    }
    static constexpr config::Role kNeeds[] = {config::Role::kReader, config::Role::kReader,
                                              config::Role::kAgent, config::Role::kAdmin};
    config::Role needs = kNeeds[static_cast<int>(route.access)];
    if (static_cast<int>(caller->role) < static_cast<int>(needs)) {
      Audit(*caller, route, call, "FORBIDDEN");
      return answer(Failure(403, "FORBIDDEN",
                            "role " + std::string(config::RoleName(caller->role)) + " may not " +
                                route.method + " " + base + route.path + " (needs " +
                                std::string(config::RoleName(needs)) + ")"));
    }
  }
  // A kept answer of a cached route, read under the database's current
  // mark (taken before reading, so a commit during the read retires it).
  std::string cache_key;
  if (route.cached && services.clock && TakeMark(mark)) {
    cache_key = req.path + '?' + req.query;
    if (auto kept = answers.Find(cache_key, mark, services.clock->Now()); kept.body) {
      return answer(KeptAnswer(route.status, kept, cache_key, mark, req));
    }
  }
  auto query = ReadQuery(route, req);
  if (!query) return answer(Failure(400, "INVALID_REQUEST", query.error().message));
  call.query = std::move(*query);
  int body_status = 400;
  auto body = ReadBody(route, req, body_status);
  if (!body) {
    return answer(Failure(body_status,
                          body_status == 415 ? "UNSUPPORTED_MEDIA_TYPE" : "INVALID_REQUEST",
                          body.error().message));
  }
  call.body = std::move(*body);

  Result<json> data = MakeError(ErrorCode::kInternal, "no answer");
  try {
    data = route.handler(call);
  } catch (const std::exception& e) {
    spdlog::error("REST {} {} failed: {}", route.method, route.path, e.what());
    data = MakeError(ErrorCode::kInternal, e.what());
  }
  bool writes = route.method != "GET" && route.method != "HEAD";
  if (!data) {
    auto [status, code] = StatusOf(data.error());
    std::string message = data.error().message;
    if (status == 500) {
      spdlog::error("REST {} {}: {}", route.method, route.path, data.error().ToString());
      message = "internal error; the server log has the details";
    }
    if (writes) Audit(call.caller, route, call, code);
    return answer(Failure(status, code, message));
  }
  if (writes) {
    Audit(call.caller, route, call, "ok");
    if (services.wrote) services.wrote();
  }
  http::Response res = Json(route.status, json{{"success", true}, {"data", std::move(*data)}});
  if (!cache_key.empty()) {
    AnswerCache::Kept kept{std::make_shared<const std::string>(std::move(res.body)), nullptr};
    answers.Put(cache_key, mark, call.fresh_until, kept.body);
    res = KeptAnswer(route.status, kept, cache_key, mark, req);
    for (auto& [name, value] : call.headers) res.Set(name, value);
  }
  return answer(std::move(res));
}

// --- WebSockets ---

// /ws/tasks, /ws/sync/events, /ws/system/lineage, /ws/queries,
// /ws/workflows/{id}: after the upgrade, the channel's messages as they
// come, a heartbeat every 15 s of quiet, until either side closes.
http::Response RestServer::Impl::WebSocket(http::Request& req, http::Exchange& exchange,
                                           bool cross_origin) {
  auto refuse = [&](int status, const std::string& code, const std::string& message) {
    http::Response res = Failure(status, code, message);
    Finish(res, req, cross_origin);
    return res;
  };
  std::string channel;
  std::string_view rest = std::string_view(req.path).substr(4);
  if (rest == "tasks") {
    channel = kTasksChannel;
  } else if (rest == "sync/events") {
    channel = kSyncEventsChannel;
  } else if (rest == "system/lineage") {
    channel = kLineageChannel;
  } else if (rest == "queries") {
    channel = kQueriesChannel;
  } else if (rest.rfind("workflows/", 0) == 0 && rest.size() > 10 && rest.size() <= 74 &&
             rest.substr(10).find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") ==
                 std::string_view::npos) {
    channel = WorkflowChannel(std::string(rest.substr(10)));
  } else {
    return refuse(404, "NOT_FOUND", "no such stream: " + req.path.substr(0, 200));
  }
  if (req.method != "GET") {
    http::Response res = refuse(405, "METHOD_NOT_ALLOWED", "a stream is opened with GET");
    res.Set("Allow", "GET");
    return res;
  }
  if (!services.streams) return refuse(404, "NOT_FOUND", "live streams are off");
  std::string ticket;
  if (auto pairs = QueryPairs(req.query)) {
    for (auto& [name, value] : *pairs) {
      if (name == "ticket") ticket = value;
    }
  }
  auto caller = tickets->Redeem(ticket);
  if (!caller) {
    obs::CountAuthFailure("ws");
    if (services.audit) {
      services.audit->Record({"anonymous",
                              "rest.auth_failure",
                              "GET " + req.path.substr(0, 100),
                              "UNAUTHORIZED",
                              {{"address", req.remote}}});
    }
    return refuse(401, "UNAUTHORIZED",
                  "ticket: a fresh ticket from POST " + options.base_path +
                      "/auth/ws-ticket is required (single use, 30 s)");
  }
  if (!exchange.IsWebSocketUpgrade()) {
    return refuse(400, "INVALID_REQUEST", "this is a WebSocket: send Upgrade: websocket");
  }
  auto subscriber = services.streams->Subscribe(channel);
  StreamHub* hub = services.streams;
  exchange.AcceptWebSocket({}, [&](http::WebSocket& ws) {
    bool open = ws.Send(StreamMessage("hello", {{"channel", channel}, {"name", caller->name}}));
    auto quiet_since = std::chrono::steady_clock::now();
    const auto heartbeat = options.ws_heartbeat;
    while (open && !exchange.stopping().load()) {
      auto left = heartbeat - (std::chrono::steady_clock::now() - quiet_since);
      auto wait = ws.WaitFor(subscriber->wake_fd(),
                             std::max<std::chrono::milliseconds>(
                                 std::chrono::milliseconds(1),
                                 std::chrono::duration_cast<std::chrono::milliseconds>(left)));
      switch (wait) {
        case http::WebSocket::Wait::kReadable: {
          std::string ignored;  // clients only listen; a close is handled in Read
          open = ws.Read(ignored);
          break;
        }
        case http::WebSocket::Wait::kWoken:
          for (const auto& message : subscriber->Take()) {
            if (!(open = ws.Send(message))) break;
          }
          quiet_since = std::chrono::steady_clock::now();
          break;
        case http::WebSocket::Wait::kTimeout:
          // A message, not a protocol ping: browsers cannot see pings, and
          // a write to a client that is gone fails, which ends the stream.
          if (std::chrono::steady_clock::now() - quiet_since >= heartbeat) {
            open = ws.Send(StreamMessage("heartbeat", json::object()));
            quiet_since = std::chrono::steady_clock::now();
          }
          break;
        case http::WebSocket::Wait::kClosed:
          open = false;
          break;
      }
    }
  });
  hub->Unsubscribe(channel, subscriber);
  return http::Response{};
}

// --- auth routes ---

std::string RestServer::Impl::RefreshCookie(const std::string& value, std::int64_t max_age) const {
  return std::string(kRefreshCookie) + "=" + value + "; Path=" + options.base_path +
         "/auth; Max-Age=" + std::to_string(max_age) + "; HttpOnly; SameSite=Strict" +
         (options.secure_cookies ? "; Secure" : "");
}

json RestServer::Impl::SessionData(const auth::TokenPair& pair, Call& call, bool cookie) const {
  json data{{"access_token", pair.access_token},
            {"token_type", "Bearer"},
            {"expires_in", pair.expires_in}};
  if (cookie) {
    call.headers.emplace_back("Set-Cookie",
                              RefreshCookie(pair.refresh_token, pair.refresh_expires_in));
  } else {
    data["refresh_token"] = pair.refresh_token;
  }
  return data;
}

std::string RestServer::Impl::PresentedRefresh(const Call& call) const {
  if (call.body.is_object() && call.body.contains("refresh_token")) {
    return call.body["refresh_token"];
  }
  return CookieValue(call.request, kRefreshCookie);
}

void RestServer::Impl::AddAuthRoutes() {
  using namespace schema;
  json session = Object({{"access_token", Str()},
                         {"refresh_token", Str("absent when it went into the cookie")},
                         {"token_type", Enum({"Bearer"})},
                         {"expires_in", Int("seconds", 0, 1LL << 40)}},
                        {"access_token", "token_type", "expires_in"});
  routes.push_back(
      {"POST", "/auth/login", Access::kPublic, "auth",
       "Sign in with a name and password; answers an access token (JWT) and a refresh token "
       "(in the body, or with cookie: true as an HttpOnly cookie)",
       json::object(),
       Object({{"username", Str("", 64)},
               {"password", Str("", 1024)},
               {"cookie", Bool("put the refresh token in an HttpOnly cookie")}},
              {"username", "password"}),
       session, 200, [this](Call& call) -> Result<json> {
         std::string user = call.body["username"];
         const std::string& address = call.request.remote;
         // A name no user can have is refused before the throttle and the
         // database see it (a NUL would otherwise shorten it on PostgreSQL,
         // and every variant would get a throttle bucket of its own).
         bool plausible =
             !user.empty() && user.find_first_not_of(
                                  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789._@-") == std::string::npos;
         if (!plausible) {
           throttle().Failed("", address);
           return MakeError(ErrorCode::kUnauthorized, "invalid username or password");
         }
         if (long long wait = throttle().RetryAfter(user, address); wait > 0) {
           obs::CountRateLimited("rest", "login");
           call.headers.emplace_back("Retry-After", std::to_string(wait));
           if (services.audit) {
             services.audit->Record(
                 {user, "rest.login", "", "RATE_LIMITED", {{"address", address}}});
           }
           return MakeError(ErrorCode::kRateLimited, "too many failed sign-ins; try again in " +
                                                         std::to_string(wait) + " s");
         }
         auto pair = services.sessions->Login(user, call.body["password"]);
         if (services.audit) {
           services.audit->Record(
               {user, "rest.login", "", pair ? "ok" : "UNAUTHORIZED", {{"address", address}}});
         }
         if (!pair) {
           if (pair.error().code == ErrorCode::kUnauthorized) obs::CountAuthFailure("login");
           throttle().Failed(user, address);
           return pair.error();
         }
         throttle().Succeeded(user);
         return SessionData(*pair, call, call.body.value("cookie", false));
       }});
  routes.push_back(
      {"POST", "/auth/refresh", Access::kPublic, "auth",
       "Trade a refresh token (body, or the cookie) for a new pair; the old one is used up, and "
       "using it again signs the whole session out",
       json::object(), Object({{"refresh_token", Str("", 200)}}), session, 200,
       [this](Call& call) -> Result<json> {
         bool from_cookie = !call.body.contains("refresh_token");
         std::string token = PresentedRefresh(call);
         if (token.empty())
           return MakeError(ErrorCode::kUsage,
                            "refresh_token: required (in the body or the cookie)");
         auto pair = services.sessions->Refresh(token);
         if (!pair) {
           if (services.audit) {
             services.audit->Record(
                 {"anonymous",
                  "rest.refresh",
                  "",
                  "UNAUTHORIZED",
                  {{"address", call.request.remote}, {"message", pair.error().message}}});
           }
           return pair.error();
         }
         return SessionData(*pair, call, from_cookie);
       }});
  routes.push_back({"POST", "/auth/logout", Access::kPublic, "auth",
                    "Sign out: revokes the session of a refresh token (body, or the cookie)",
                    json::object(), Object({{"refresh_token", Str("", 200)}}),
                    Object({{"signed_out", Bool()}}, {"signed_out"}), 200,
                    [this](Call& call) -> Result<json> {
                      std::string token = PresentedRefresh(call);
                      if (token.empty()) {
                        return MakeError(ErrorCode::kUsage,
                                         "refresh_token: required (in the body or the cookie)");
                      }
                      DOCRUNCH_TRY(services.sessions->Logout(token));
                      call.headers.emplace_back("Set-Cookie", RefreshCookie("", 0));
                      return json{{"signed_out", true}};
                    }});
  routes.push_back(
      {"GET", "/auth/local", Access::kPublic, "auth",
       "With auth off: the sign-in link `serve` prints; trades its per-start token for a session "
       "cookie and redirects to the dashboard",
       Object({{"token", Str("the token of the link", 200)}}, {"token"}), nullptr,
       Object({{"signed_in", Bool()}}, {"signed_in"}), 303, [this](Call& call) -> Result<json> {
         const std::string& address = call.request.remote;
         if (options.auth_enabled || options.local_token.empty()) {
           return MakeError(ErrorCode::kStorageNotFound,
                            "sign-in links exist only with server.http.auth.enabled: false");
         }
         // A page of another site can make a browser open this link (an
         // image, a redirect); the browser says so, and such a request must
         // not use up the address's sign-in failures.
         if (call.request.Header("Sec-Fetch-Site") == "cross-site") {
           return MakeError(ErrorCode::kForbidden,
                            "the sign-in link must be opened directly, not from another site");
         }
         if (long long wait = throttle().RetryAfter("", address); wait > 0) {
           call.headers.emplace_back("Retry-After", std::to_string(wait));
           return MakeError(ErrorCode::kRateLimited, "too many failed sign-ins");
         }
         // Counted per address only: the 192-bit token needs no per-name
         // limit, and one would let anyone lock the link out.
         if (!ConstantTimeEqual(call.query["token"], options.local_token)) {
           throttle().Failed("", address);
           if (services.audit) {
             services.audit->Record(
                 {"anonymous", "rest.local_sign_in", "", "UNAUTHORIZED", {{"address", address}}});
           }
           return MakeError(ErrorCode::kUnauthorized, "token: not this server's sign-in token");
         }
         auto pair = services.sessions->StartTrusted("local", config::Role::kAdmin);
         if (!pair) return pair.error();
         SessionData(*pair, call, /*cookie=*/true);
         call.headers.emplace_back("Location", "/");
         return json{{"signed_in", true}};
       }});
  routes.push_back({"POST", "/auth/ws-ticket", Access::kReader, "auth",
                    "A single-use ticket (30 s) to open a WebSocket: /ws/...?ticket=",
                    json::object(), Object({}), Object({{"ticket", Str()}}, {"ticket"}), 200,
                    [this](Call& call) -> Result<json> {
                      return json{{"ticket", tickets->Issue(call.caller)}};
                    }});
  routes.push_back({"GET", "/auth/me", Access::kReader, "auth", "Who the token stands for",
                    json::object(), nullptr,
                    Object({{"name", Str()},
                            {"role", Enum({"reader", "agent", "admin"})},
                            {"via", Enum({"jwt", "token", "local"})}},
                           {"name", "role", "via"}),
                    200, [](Call& call) -> Result<json> {
                      return json{{"name", call.caller.name},
                                  {"role", config::RoleName(call.caller.role)},
                                  {"via", call.caller.via}};
                    }});
}

RestServer::RestServer(ApiServices services, RestOptions options)
    : impl_(std::make_unique<Impl>(std::move(services), std::move(options))) {
  impl_->tickets = impl_->services.tickets;
  if (!impl_->tickets) {
    impl_->own_tickets = MakeLocalTicketBook();
    impl_->tickets = impl_->own_tickets.get();
  }
  for (std::size_t what = 0; what < kOtherRoutes.size(); ++what) {
    for (std::size_t m = 0; m < kMethodLabels.size(); ++m) {
      impl_->other_routes[what][m] =
          std::make_unique<obs::HttpRouteMetrics>("rest", kMethodLabels[m], kOtherRoutes[what]);
    }
  }
  impl_->AddAuthRoutes();
  AddSystemRoutes(impl_->routes, impl_->services);
  AddKnowledgeRoutes(impl_->routes, impl_->services);
  AddTaskRoutes(impl_->routes, impl_->services);
  AddAdminRoutes(impl_->routes, impl_->services);
  AddDataFlowRoutes(impl_->routes, impl_->services);
  AddWorkflowRoutes(impl_->routes, impl_->services);
  AddChatRoutes(impl_->routes, impl_->services);
  AddLlmRoutes(impl_->routes, impl_->services);
  AddOpsRoutes(impl_->routes, impl_->services);
  Impl* impl = impl_.get();
  impl_->routes.push_back(
      {"GET", "/openapi.json", Access::kReader, "system", "This API's OpenAPI 3.1 document",
       json::object(), nullptr, schema::AnyObject("an OpenAPI 3.1 document"), 200,
       [impl](Call&) -> Result<json> {
         return OpenApiDocument(impl->routes, impl->options.base_path, impl->services.version);
       }});
  for (const auto& route : impl_->routes) {
    CompiledRoute c{&route,
                    {},
                    std::make_unique<obs::HttpRouteMetrics>("rest", route.method,
                                                            impl_->options.base_path + route.path)};
    for (auto s : Segments(route.path)) c.segments.emplace_back(s);
    impl_->compiled.push_back(std::move(c));
  }
}

RestServer::~RestServer() = default;

const Routes& RestServer::routes() const {
  return impl_->routes;
}

json RestServer::OpenApi() const {
  return OpenApiDocument(impl_->routes, impl_->options.base_path, impl_->services.version);
}

http::Response RestServer::Handle(http::Request& request, http::Exchange& exchange) {
  const auto started = std::chrono::steady_clock::now();
  // The request's id: logs, audit rows and query traces written while it
  // is handled carry it (obs/request_id.h).
  std::string request_id = obs::RequestIdFrom(request.Header("X-Request-Id"));
  obs::RequestIdScope scope(request_id);
  obs::HttpRouteMetrics* metrics = nullptr;
  http::Response res = impl_->Handle(request, exchange, metrics);
  res.Set("X-Request-Id", std::move(request_id));
  // Every answer carries the security headers, refusals of Host, Origin
  // and unknown paths included (CORS headers only where the Origin is
  // one of server.http.cors_origins).
  auto origin = impl_->CheckOrigin(request);
  impl_->Finish(res, request, origin && *origin == "cross");
  if (metrics) {
    // A WebSocket's answer is empty (status 200 by default) after the
    // session: count it as the 101 it was.
    int status = res.status;
    if (request.path.rfind("/ws/", 0) == 0 && exchange.IsWebSocketUpgrade() && res.body.empty() &&
        res.status == 200) {
      status = 101;
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics->Count(status, seconds);
    // The access line: debug for every request; a server error or a slow
    // answer (not a stream) also at warn. With logging.format: json it
    // carries the request id.
    bool stream = status == 101;
    auto level = res.status >= 500 || (!stream && seconds >= 1.0) ? spdlog::level::warn
                                                                  : spdlog::level::debug;
    if (spdlog::should_log(level)) {
      spdlog::log(level, "REST {} {} {} {:.1f} ms", request.method.substr(0, 16),
                  request.path.substr(0, 200), status, seconds * 1000);
    }
  }
  return res;
}

http::Listener RestServer::Listener() {
  http::Listener listener;
  listener.name = "REST";
  listener.host = impl_->options.host;
  listener.port = impl_->options.port;
  listener.max_body_bytes = impl_->options.max_body_bytes;
  listener.header_timeout = impl_->options.header_timeout;
  listener.handler = [this](http::Request& req, http::Exchange& exchange) {
    return Handle(req, exchange);
  };
  listener.failure = [](int status, const std::string& message) {
    std::string code = status == 413 ? "PAYLOAD_TOO_LARGE" : "INTERNAL";
    return Failure(status, code, message);
  };
  listener.tick = [this] { impl_->AnnounceCommits(); };
  return listener;
}

}  // namespace docrunch::api
