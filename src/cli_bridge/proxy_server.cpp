#include "cli_bridge/proxy_server.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>

#include "config/values.h"
#include "core/json_schema.h"

namespace docrunch::cli_bridge {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

std::string Dump(const json& body) {
  // CLI output may hold invalid UTF-8 (or a cap that cut a character).
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

http::Response JsonAnswer(int status, const json& body) {
  http::Response r;
  r.status = status;
  r.body = Dump(body);
  r.Set("Content-Type", "application/json");
  r.Set("Cache-Control", "no-store");
  r.Set("X-Content-Type-Options", "nosniff");
  return r;
}

// An error in the /execute shape.
http::Response Refusal(int status, const std::string& message, const std::string& cli = "",
                       const std::string& model = "") {
  ExecuteResult r;
  r.error = message;
  r.cli_type = cli;
  r.model = model;
  return JsonAnswer(status, ToJson(r));
}

bool SameKey(const std::string& given, const std::string& expected) {
  unsigned char a[crypto_generichash_BYTES], b[crypto_generichash_BYTES];
  crypto_generichash(a, sizeof a, reinterpret_cast<const unsigned char*>(given.data()),
                     given.size(), nullptr, 0);
  crypto_generichash(b, sizeof b, reinterpret_cast<const unsigned char*>(expected.data()),
                     expected.size(), nullptr, 0);
  return sodium_memcmp(a, b, sizeof a) == 0;
}

// A string field of the body, "" with `error` set when absent or not a string.
std::string Field(const json& body, const char* name, std::string& error) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string()) {
    if (error.empty()) error = std::string(name) + ": required, a string";
    return "";
  }
  return it->get<std::string>();
}

class Proxy {
 public:
  Proxy(const CliBridge& bridge, ProxyOptions options)
      : bridge_(bridge), options_(std::move(options)) {}

  http::Response Handle(http::Request& req) {
    if (config::IsLoopbackHost(options_.host) &&
        !config::IsLoopbackHost(http::HostName(req.Header("Host")))) {
      return Refusal(403, "Host: this proxy listens on loopback and answers loopback names only");
    }
    if (!options_.api_key.empty() && !SameKey(req.Header("X-API-Key"), options_.api_key)) {
      spdlog::warn("cli-proxy: {} {} from {}: missing or wrong X-API-Key", req.method, req.path,
                   req.remote);
      return Refusal(401, "X-API-Key: missing or wrong");
    }
    if (req.path == "/health") {
      if (req.method != "GET") return Refusal(405, "GET /health").Set("Allow", "GET");
      return Health();
    }
    if (req.path == "/execute") {
      if (req.method != "POST") return Refusal(405, "POST /execute").Set("Allow", "POST");
      return Execute(req);
    }
    return Refusal(404, "no route " + req.path.substr(0, 100) + "; GET /health, POST /execute");
  }

 private:
  http::Response Health() const {
    json clis = json::object();
    bool any = false;
    for (const auto& s : bridge_.Health()) {
      any = any || s.available;
      clis[s.cli_type] = {{"available", s.available},
                          {"path", s.path.empty() ? json(nullptr) : json(s.path)},
                          {"version", s.version.empty() ? json(nullptr) : json(s.version)},
                          {"models", s.models}};
    }
    return JsonAnswer(200, {{"status", any ? "healthy" : "degraded"}, {"clis", clis}});
  }

  http::Response Execute(http::Request& req) {
    std::string type = req.Header("Content-Type");
    if (type.substr(0, type.find(';')) != "application/json") {
      return Refusal(415, "Content-Type: must be application/json");
    }
    if (JsonNesting(req.body, 8) > 8) return Refusal(400, "body: nested too deeply");
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return Refusal(400, "body: must be a JSON object {cli_type, prompt, model, timeout}");
    }
    std::string error;
    ExecuteRequest q;
    q.cli_type = Field(body, "cli_type", error);
    q.prompt = Field(body, "prompt", error);
    q.model = Field(body, "model", error);
    if (auto t = body.find("timeout"); t != body.end() && !t->is_null()) {
      if (!t->is_number() || t->get<double>() <= 0 || t->get<double>() > 86'400) {
        if (error.empty()) error = "timeout: must be a number of seconds, more than 0";
      } else {
        q.timeout = milliseconds(static_cast<std::int64_t>(t->get<double>() * 1000));
      }
    }
    if (!error.empty()) return Refusal(400, error, q.cli_type, q.model);
    // One slot per run; none free: refused at once (a queue would only hide
    // an overloaded host behind the callers' own timeouts).
    if (running_.fetch_add(1) >= options_.max_concurrent) {
      running_.fetch_sub(1);
      auto r = Refusal(429,
                       "busy: " + std::to_string(options_.max_concurrent) +
                           " CLI runs already going (cli_proxy.max_concurrent); try again",
                       q.cli_type, q.model);
      r.Set("Retry-After", "1");
      return r;
    }
    auto result = bridge_.Execute(q);
    running_.fetch_sub(1);
    if (!result) {
      spdlog::info("cli-proxy: execute {} refused: {}", q.cli_type.substr(0, 32),
                   result.error().message);
      return Refusal(StatusFor(result.error().code), result.error().message, q.cli_type, q.model);
    }
    spdlog::info("cli-proxy: execute {} {}: success={} exit={} {} ms{}", q.cli_type, q.model,
                 result->success, result->exit_code, result->execution_time_ms,
                 result->timed_out ? " (timed out)" : "");
    return JsonAnswer(200, ToJson(*result));
  }

  const CliBridge& bridge_;
  ProxyOptions options_;
  std::atomic<std::size_t> running_{0};
};

}  // namespace

int StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidParams:
      return 400;
    case ErrorCode::kStorageUnavailable:
      return 503;
    default:
      return 500;
  }
}

Result<http::Listener> ProxyListener(const CliBridge& bridge, const ProxyOptions& options) {
  if (!config::IsLoopbackHost(options.host) && options.api_key.empty()) {
    return MakeError(ErrorCode::kConfigInvalid,
                     "cli-proxy: listening on " + options.host +
                         " (beyond loopback) needs an API key: set the variable named by "
                         "--api-key-env (cli_proxy.api_key_env, default CLI_PROXY_API_KEY)");
  }
  if (options.max_concurrent == 0) {
    return MakeError(ErrorCode::kConfigInvalid, "cli_proxy.max_concurrent: must be at least 1");
  }
  if (sodium_init() < 0) return MakeError(ErrorCode::kInternal, "sodium_init failed");
  auto proxy = std::make_shared<Proxy>(bridge, options);
  http::Listener l;
  l.name = "CLI proxy";
  l.host = options.host;
  l.port = options.port;
  l.max_body_bytes = options.max_request_bytes;
  l.handler = [proxy](http::Request& req, http::Exchange&) { return proxy->Handle(req); };
  l.failure = [](int status, const std::string& message) { return Refusal(status, message); };
  return l;
}

}  // namespace docrunch::cli_bridge
