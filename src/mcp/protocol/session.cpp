#include "mcp/protocol/session.h"

#include <algorithm>

namespace docrunch::mcp {
namespace {

const std::vector<std::string> kLevels = {"debug", "info",     "notice", "warning",
                                          "error", "critical", "alert",  "emergency"};

// The in-flight map is keyed by the id's JSON text, so 1 and "1" differ.
std::string IdKey(const json& id) {
  return id.dump();
}

RpcError InvalidParams(std::string message) {
  return RpcError{rpc::kInvalidParams, std::move(message), nullptr};
}

}  // namespace

const std::vector<std::string>& SupportedProtocolVersions() {
  static const std::vector<std::string> versions = {"2025-11-25", "2025-06-18", "2025-03-26",
                                                    "2024-11-05"};
  return versions;
}

int LogLevelRank(const std::string& level) {
  auto it = std::find(kLevels.begin(), kLevels.end(), level);
  return it == kLevels.end() ? -1 : static_cast<int>(it - kLevels.begin());
}

RequestContext::RequestContext(Session& session, json id, json params, Reply reply,
                               std::shared_ptr<std::atomic<bool>> cancelled)
    : session_(session),
      id_(std::move(id)),
      params_(std::move(params)),
      reply_(std::move(reply)),
      cancelled_(std::move(cancelled)) {
  if (params_.is_object()) {
    auto meta = params_.find("_meta");
    if (meta != params_.end() && meta->is_object()) {
      progress_token_ = meta->value("progressToken", json());
    }
  }
}

void RequestContext::Progress(double progress, std::optional<double> total,
                              const std::string& message) {
  if (progress_token_.is_null() || Cancelled()) return;
  json params{{"progressToken", progress_token_}, {"progress", progress}};
  if (total) params["total"] = *total;
  if (!message.empty()) params["message"] = message;
  reply_(MakeNotification("notifications/progress", std::move(params)));
}

void RequestContext::Log(const std::string& level, const std::string& logger, const json& data) {
  session_.Log(level, logger, data, &reply_);
}

Session::Session(Implementation info, json capabilities, std::string instructions)
    : info_(std::move(info)),
      capabilities_(std::move(capabilities)),
      instructions_(std::move(instructions)) {
  capabilities_["logging"] = json::object();
  capabilities_["completions"] = json::object();
}

void Session::OnRequest(const std::string& method, RequestHandler handler) {
  requests_[method] = std::move(handler);
}

void Session::OnNotification(const std::string& method, NotificationHandler handler) {
  notifications_[method] = std::move(handler);
}

void Session::SetUnsolicitedSink(Reply sink) {
  std::lock_guard lock(mutex_);
  sink_ = std::move(sink);
}

std::string Session::protocol_version() const {
  std::lock_guard lock(mutex_);
  return protocol_version_;
}

json Session::client_info() const {
  std::lock_guard lock(mutex_);
  return client_info_;
}

void Session::HandleText(const std::string& text, const Reply& reply) {
  json message;
  if (auto refused = ParseMessage(text, message)) {
    reply(MakeErrorResponse(nullptr, *refused));
    return;
  }
  Handle(message, reply);
}

void Session::Handle(const json& message, const Reply& reply) {
  if (message.is_array()) {
    // JSON-RPC batches exist only in protocol revision 2025-03-26.
    if (protocol_version() != "2025-03-26" || message.empty()) {
      reply(MakeErrorResponse(
          nullptr,
          {rpc::kInvalidRequest,
           "Invalid Request: batches are only allowed with protocol version 2025-03-26", nullptr}));
      return;
    }
    json responses = json::array();
    Reply collect = [&](const json& m) {
      if (m.contains("id") && !m.contains("method")) {
        responses.push_back(m);
      } else {
        reply(m);  // progress and log notifications go out at once
      }
    };
    for (const auto& item : message) Handle(item, collect);
    if (!responses.empty()) reply(responses);
    return;
  }
  std::string why;
  switch (Classify(message, &why)) {
    case MessageKind::kRequest:
      HandleRequest(message, reply);
      return;
    case MessageKind::kNotification:
      HandleNotification(message);
      return;
    case MessageKind::kResponse:
      return;  // this server sends no requests, so no response is awaited
    case MessageKind::kInvalid: {
      json id = nullptr;
      if (message.is_object() && message.contains("id") &&
          (message["id"].is_string() || message["id"].is_number_integer())) {
        id = message["id"];
      }
      reply(MakeErrorResponse(id, {rpc::kInvalidRequest, "Invalid Request: " + why, nullptr}));
      return;
    }
  }
}

void Session::HandleRequest(const json& message, const Reply& reply) {
  const json& id = message["id"];
  const std::string method = message["method"];
  json params = message.value("params", json::object());
  if (!params.is_object()) {
    reply(MakeErrorResponse(id, InvalidParams("params: must be an object")));
    return;
  }
  HandlerOutcome outcome;
  if (method == "initialize") {
    outcome = Initialize(params);
  } else if (method == "ping") {
    outcome = json::object();
  } else if (!initialized_.load()) {
    outcome =
        RpcError{rpc::kInvalidRequest,
                 "Invalid Request: the session is not initialized; send initialize first", nullptr};
  } else if (method == "logging/setLevel") {
    auto level = params.find("level");
    if (level == params.end() || !level->is_string() || LogLevelRank(*level) < 0) {
      outcome = InvalidParams(
          "level: must be one of debug, info, notice, warning, error, critical, alert, "
          "emergency");
    } else {
      std::lock_guard lock(mutex_);
      log_level_ = LogLevelRank(*level);
      outcome = json::object();
    }
  } else {
    auto handler = requests_.find(method);
    std::optional<RpcError> refused;
    if (handler != requests_.end() && guard_) refused = guard_(method);
    if (handler == requests_.end()) {
      outcome = RpcError{rpc::kMethodNotFound, "Method not found: " + method, nullptr};
    } else if (refused) {
      outcome = *refused;
    } else {
      auto cancelled = std::make_shared<std::atomic<bool>>(false);
      {
        std::lock_guard lock(mutex_);
        in_flight_[IdKey(id)] = cancelled;
      }
      RequestContext ctx(*this, id, params, reply, cancelled);
      try {
        outcome = handler->second(ctx);
      } catch (const std::exception& e) {
        outcome =
            RpcError{rpc::kInternalError, std::string("Internal error: ") + e.what(), nullptr};
      }
      {
        std::lock_guard lock(mutex_);
        in_flight_.erase(IdKey(id));
      }
      if (cancelled->load()) return;  // a cancelled request gets no answer
    }
  }
  if (auto* error = std::get_if<RpcError>(&outcome)) {
    reply(MakeErrorResponse(id, *error));
  } else {
    reply(MakeResponse(id, std::move(std::get<json>(outcome))));
  }
}

HandlerOutcome Session::Initialize(const json& params) {
  auto requested = params.find("protocolVersion");
  if (requested == params.end() || !requested->is_string()) {
    return InvalidParams("protocolVersion: required, a string such as \"2025-11-25\"");
  }
  auto client = params.find("clientInfo");
  if (client != params.end() && !client->is_object()) {
    return InvalidParams("clientInfo: must be an object");
  }
  const auto& versions = SupportedProtocolVersions();
  // Echo a version we speak; otherwise offer our latest and let the client
  // decide whether it can go on.
  std::string version =
      std::find(versions.begin(), versions.end(), requested->get<std::string>()) != versions.end()
          ? requested->get<std::string>()
          : kLatestProtocolVersion;
  {
    std::lock_guard lock(mutex_);
    protocol_version_ = version;
    client_info_ = client != params.end() ? *client : json::object();
  }
  initialized_ = true;
  json server{{"name", info_.name}, {"version", info_.version}};
  if (!info_.title.empty() && version >= "2025-06-18") server["title"] = info_.title;
  json result{{"protocolVersion", version},
              {"capabilities", capabilities_},
              {"serverInfo", std::move(server)}};
  if (!instructions_.empty()) result["instructions"] = instructions_;
  if (on_initialize_) on_initialize_(params);
  return result;
}

void Session::HandleNotification(const json& message) {
  const std::string method = message["method"];
  json params = message.value("params", json::object());
  if (method == "notifications/cancelled") {
    if (!params.is_object() || !params.contains("requestId")) return;
    std::lock_guard lock(mutex_);
    auto it = in_flight_.find(IdKey(params["requestId"]));
    if (it != in_flight_.end()) it->second->store(true);
    return;
  }
  auto handler = notifications_.find(method);
  if (handler != notifications_.end()) handler->second(params);
  // Unknown notifications are ignored, as JSON-RPC requires.
}

void Session::Notify(const std::string& method, json params) {
  Reply sink;
  {
    std::lock_guard lock(mutex_);
    sink = sink_;
  }
  if (sink) sink(MakeNotification(method, std::move(params)));
}

void Session::Log(const std::string& level, const std::string& logger, const json& data,
                  const Reply* reply) {
  {
    std::lock_guard lock(mutex_);
    if (LogLevelRank(level) < log_level_) return;
  }
  json params{{"level", level}, {"logger", logger}, {"data", data}};
  if (reply) {
    (*reply)(MakeNotification("notifications/message", std::move(params)));
  } else {
    Notify("notifications/message", std::move(params));
  }
}

}  // namespace docrunch::mcp
