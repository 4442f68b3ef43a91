#include "mcp/protocol/json_rpc.h"

#include "core/json_schema.h"

namespace docrunch::mcp {

MessageKind Classify(const json& message, std::string* why) {
  auto invalid = [&](const char* reason) {
    if (why) *why = reason;
    return MessageKind::kInvalid;
  };
  if (!message.is_object()) return invalid("a message must be a JSON object");
  auto version = message.find("jsonrpc");
  if (version == message.end() || *version != "2.0") return invalid("jsonrpc: must be \"2.0\"");
  auto id = message.find("id");
  bool has_id = id != message.end();
  if (has_id && !id->is_string() && !id->is_number_integer()) {
    return invalid("id: must be a string or an integer");
  }
  auto method = message.find("method");
  if (method != message.end()) {
    if (!method->is_string()) return invalid("method: must be a string");
    auto params = message.find("params");
    if (params != message.end() && !params->is_object() && !params->is_array()) {
      return invalid("params: must be an object");
    }
    return has_id ? MessageKind::kRequest : MessageKind::kNotification;
  }
  if (has_id && (message.contains("result") || message.contains("error"))) {
    return MessageKind::kResponse;
  }
  return invalid("a message needs a method (request, notification) or a result/error (response)");
}

json MakeResponse(const json& id, json result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

std::optional<RpcError> ParseMessage(std::string_view text, json& out) {
  if (JsonNesting(text, kMaxNesting) > kMaxNesting) {
    return RpcError{rpc::kInvalidRequest,
                    "Invalid Request: arrays and objects nested deeper than " +
                        std::to_string(kMaxNesting) + " levels",
                    nullptr};
  }
  out = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) return RpcError{rpc::kParseError, "Parse error: not valid JSON", nullptr};
  return std::nullopt;
}

json MakeErrorResponse(const json& id, const RpcError& error) {
  json e{{"code", error.code}, {"message", error.message}};
  if (!error.data.is_null()) e["data"] = error.data;
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(e)}};
}

json MakeNotification(const std::string& method, json params) {
  json n{{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) n["params"] = std::move(params);
  return n;
}

json MakeRequest(const json& id, const std::string& method, json params) {
  json r{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) r["params"] = std::move(params);
  return r;
}

}  // namespace docrunch::mcp
