// The REST API's server side (PRODUCT §11, §15): a listener of the shared
// HTTP layer that serves the route table (route.h) under the base path.
//
// Every request passes, in order: the Host check (a server on loopback
// answers only to loopback names, against DNS rebinding), the Origin check
// (a browser's request must come from this server's own origin or one of
// server.http.cors_origins; OPTIONS preflights are answered here), the
// route lookup (404, 405 with Allow), authentication (Bearer: an access
// JWT, an agent token from `docrunch token create`, or, with auth off, the
// per-start token `serve` prints), the role check (401 without a caller,
// 403 below the route's role), the query parameters and the body against
// the route's schemas (400 naming the field; 415 for a body that is not
// JSON; 413 over the size limit), then the handler. Every answer is the
// envelope {success: true, data} or {success: false, error: {code,
// message, details?}} with security headers; writes and sign-in failures
// are audited.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "api/route.h"
#include "api/services.h"
#include "http/server.h"
#include "http/static_site.h"

namespace docrunch::api {

struct RestOptions {
  std::string host = "localhost";
  int port = 3333;
  std::string base_path = "/api";
  std::vector<std::string> cors_origins;  // exact origins ("https://app.example.com")
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  // server.http.auth.enabled: sign-in with users and JWTs. Off: the
  // per-start `local_token` (and agent tokens) only.
  bool auth_enabled = false;
  std::string local_token;  // random per start when auth is off
  // Whether the refresh cookie is marked Secure (it always is but for
  // tests over plain HTTP to a non-localhost name).
  bool secure_cookies = true;
  // Sign-in failures allowed per user name and per address in `window`
  // before 429.
  int login_failures_per_user = 5;
  int login_failures_per_address = 20;
  std::chrono::seconds login_window{15 * 60};
  // A quiet WebSocket stream sends {type: "heartbeat"} this often.
  std::chrono::milliseconds ws_heartbeat{15'000};
  // The dashboard's built files, answered for every GET outside the base
  // path and /ws/ (null: none, such paths are 404).
  std::shared_ptr<const http::StaticSite> site;
};

class RestServer {
 public:
  RestServer(ApiServices services, RestOptions options);
  ~RestServer();

  // The listener for http::Serve; the server must outlive it.
  http::Listener Listener();
  const Routes& routes() const;
  // The OpenAPI 3.1 document of the routes (served at /openapi.json).
  json OpenApi() const;
  // Handles one request (what the listener calls).
  http::Response Handle(http::Request& request, http::Exchange& exchange);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace docrunch::api
