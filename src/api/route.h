// The REST API as data (PRODUCT §11). Every route is declared once, here in
// this shape: method, path, who may call it, the JSON Schemas of its query
// parameters, body and answer, and the handler. The router, the input
// validation, the role check and the OpenAPI document (openapi.h) all read
// the same table, so they cannot drift apart.
//
// A handler is a thin facade over a service: it gets the validated input
// and the caller, calls the service, and returns the `data` of the answer
// or an Error; the envelope, the status of an error and the headers are the
// server's business (rest_server.h).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "http/server.h"

namespace docrunch::api {

using json = nlohmann::json;

// Who may call a route: anyone, or a caller with at least this role.
enum class Access { kPublic, kReader, kAgent, kAdmin };

struct Caller {
  std::string name;  // the user or agent name ("" when anonymous)
  config::Role role = config::Role::kReader;
  bool authenticated = false;
  std::string via;  // "jwt", "token" (an agent token), "local" (serve's start token)
};

struct Call {
  const http::Request& request;
  std::map<std::string, std::string> params;  // path parameters, decoded ("id" -> "task-3")
  json query = json::object();                // query parameters, typed by the route's schema
  json body;                                  // the parsed body (null for routes without one)
  Caller caller;
  // The TCP peer's own address (request.remote is the client's: behind a
  // proxy on this host, the X-Forwarded-For it sends).
  std::string peer;
  // Set by a handler: extra headers of the answer (Set-Cookie, Location).
  http::Headers headers;
  // Set by a handler: what its audit row adds to the details (which fields
  // changed, never a value that may be secret).
  json audit_details = json::object();
  // Set by the handler of a `cached` route whose answer also goes stale
  // with time: the answer may be served again until then.
  std::optional<TimePoint> fresh_until;
};

struct Route {
  std::string method;  // GET, POST, PATCH, PUT, DELETE
  std::string path;    // below the base path, with {name} parameters: "/tasks/{id}"
  Access access = Access::kReader;
  std::string tag;  // the OpenAPI group ("tasks", "auth", ...)
  std::string summary;
  // An object schema of the query parameters (values arrive as text and
  // are converted to the declared integer/boolean types first).
  json query_schema = json::object();
  json body_schema;  // null: the route takes no body
  json data_schema;  // the schema of `data` in a successful answer
  int status = 200;  // of a successful answer
  std::function<Result<json>(Call&)> handler;
  // A GET whose answer depends only on the database, the path and the query
  // text (never on the caller): answers are kept and served again until the
  // database changes (answer_cache.h).
  bool cached = false;
  // Error statuses beyond the ones every route may answer, with what they
  // mean, for the OpenAPI document (502 for a provider's error, say).
  std::map<int, std::string> errors;
};

using Routes = std::vector<Route>;

}  // namespace docrunch::api
