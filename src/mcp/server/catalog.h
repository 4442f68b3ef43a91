// What an MCP server offers, declared as data: tools with their JSON
// Schemas and annotations, resources, resource templates and prompts, each
// with the function that serves it. One Catalog is built per process and
// shared (read-only) by every session.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "mcp/protocol/session.h"

namespace docrunch::mcp {

// Who is calling: the agent id (a token's name, or "local" for an
// unauthenticated stdio session) and its role.
struct Identity {
  std::string agent_id = "local";
  config::Role role = config::Role::kAgent;
  bool authenticated = false;  // came from a token
};

// Which roles may call a tool: queries everyone, reports agents and
// admins, admin tools admins.
enum class Access { kQuery, kReport, kAdmin };
bool RoleAllows(config::Role role, Access access);

struct ToolAnnotations {
  bool read_only = false;
  bool destructive = false;
  bool idempotent = false;
};

// A tool failure as the agent sees it: a stable code (MCP_INVALID_PARAMS,
// STORAGE_NOT_FOUND, TASK_ALREADY_CLAIMED, ...) and a message naming the
// field at fault; `retry_after_seconds` for MCP_RATE_LIMITED.
struct ToolError {
  std::string code;
  std::string message;
  std::optional<int> retry_after_seconds;
};

struct ToolResult {
  json structured;   // the structuredContent, matching the output schema
  std::string text;  // a readable rendering of it
  std::optional<ToolError> error;

  static ToolResult Failure(std::string code, std::string message) {
    ToolResult r;
    r.error = ToolError{std::move(code), std::move(message), std::nullopt};
    return r;
  }
};

struct ToolSpec;

struct ToolCall {
  const ToolSpec& tool;
  const json& arguments;
  const Identity& identity;
  RequestContext& rpc;
};

using ToolHandler = std::function<ToolResult(ToolCall&)>;

struct ToolSpec {
  std::string name;
  std::string title;
  std::string description;  // when an agent should use it
  json input_schema;
  json output_schema;
  ToolAnnotations annotations;
  Access access = Access::kQuery;
  ToolHandler handler;
};

struct ResourceContent {
  std::string uri;
  std::string mime_type;
  std::string text;
};

// A failed resource read: -32002 for an unknown URI, -32602 for a bad one.
using ResourceOutcome = std::variant<ResourceContent, RpcError>;

struct ResourceSpec {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type = "text/markdown";
  std::function<ResourceOutcome(const std::string& uri)> read;
};

// A resource resources/list shows that comes and goes with the data (a
// task, a module); it is read through the template its URI matches.
struct ListedResource {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type = "text/markdown";
};

// Completion of one argument: the candidate values starting with `prefix`.
using Completer = std::function<std::vector<std::string>(const std::string& prefix)>;

// "docs://modules/{name}": one variable, at the end, after a fixed prefix.
struct ResourceTemplateSpec {
  std::string uri_template;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type = "text/markdown";
  std::function<ResourceOutcome(const std::string& uri, const std::string& value)> read;
  Completer complete;

  std::string prefix() const { return uri_template.substr(0, uri_template.find('{')); }
  std::string variable() const;
};

struct PromptArgument {
  std::string name;
  std::string description;
  bool required = true;
  Completer complete;
};

using PromptOutcome = std::variant<json, RpcError>;  // {description, messages}

struct PromptSpec {
  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgument> arguments;
  std::function<PromptOutcome(const std::map<std::string, std::string>& arguments)> get;
};

struct Catalog {
  std::vector<ToolSpec> tools;
  std::vector<ResourceSpec> resources;
  // Listed after `resources`; when set, the resource list can change, so
  // the server declares resources.listChanged.
  std::function<std::vector<ListedResource>()> listed_resources;
  std::vector<ResourceTemplateSpec> templates;
  std::vector<PromptSpec> prompts;
  std::string instructions;

  const ToolSpec* FindTool(const std::string& name) const;
};

}  // namespace docrunch::mcp
