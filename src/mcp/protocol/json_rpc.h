// JSON-RPC 2.0 as MCP uses it: message shapes, the standard error codes and
// the builders the rest of the MCP code uses to answer. Pure data, no I/O.
//
// An id is a string or an integer (MCP forbids null); it is kept as the
// JSON value the peer sent so it is echoed back byte for byte.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace docrunch::mcp {

using nlohmann::json;

namespace rpc {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
// MCP: a resource URI that names nothing.
inline constexpr int kResourceNotFound = -32002;
}  // namespace rpc

// An error answer to a request; `data` is omitted when null.
struct RpcError {
  int code = rpc::kInternalError;
  std::string message;
  json data;
};

enum class MessageKind { kRequest, kNotification, kResponse, kInvalid };

// What one JSON value is. A response carries "result" or "error" and an id;
// a request a "method" and an id; a notification a "method" and no id.
// Anything else (wrong "jsonrpc", id of the wrong type, method not a
// string) is kInvalid, with the reason in `why`.
MessageKind Classify(const json& message, std::string* why = nullptr);

// Parses one message from a peer into `out`; the error to answer instead
// when it is not JSON (-32700) or nests arrays and objects deeper than
// kMaxNesting (-32600): copying and printing a JSON value recurse once per
// level, and a 140 KB message nested 70,000 deep overflowed the stack.
inline constexpr int kMaxNesting = 64;
std::optional<RpcError> ParseMessage(std::string_view text, json& out);

json MakeResponse(const json& id, json result);
json MakeErrorResponse(const json& id, const RpcError& error);
json MakeNotification(const std::string& method, json params);
json MakeRequest(const json& id, const std::string& method, json params);

}  // namespace docrunch::mcp
