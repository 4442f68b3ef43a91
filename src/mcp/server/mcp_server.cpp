#include "mcp/server/mcp_server.h"

#include "config/schema.h"

#include <algorithm>

#include "mcp/protocol/pagination.h"
#include "core/json_schema.h"

namespace docrunch::mcp {
namespace {

// listChanged only where a list can change while a session lives: tools
// and prompts are fixed per process (and role), resources follow the data
// when the catalog lists some of its own.
json Capabilities(const Catalog& catalog) {
  return json{{"tools", json::object()},
              {"resources",
               {{"subscribe", true}, {"listChanged", static_cast<bool>(catalog.listed_resources)}}},
              {"prompts", json::object()}};
}

RpcError InvalidParams(std::string message) {
  return RpcError{rpc::kInvalidParams, std::move(message), nullptr};
}

// Reads a required string member of params, or says which is missing.
std::optional<std::string> StringParam(const json& params, const char* name, RpcError& error) {
  auto it = params.find(name);
  if (it == params.end() || !it->is_string()) {
    error = InvalidParams(std::string(name) + ": required, a string");
    return std::nullopt;
  }
  return it->get<std::string>();
}

json ToolJson(const ToolSpec& t) {
  json tool{{"name", t.name},
            {"title", t.title},
            {"description", t.description},
            {"inputSchema", t.input_schema},
            {"annotations",
             {{"title", t.title},
              {"readOnlyHint", t.annotations.read_only},
              {"destructiveHint", t.annotations.destructive},
              {"idempotentHint", t.annotations.idempotent},
              {"openWorldHint", false}}}};
  if (!t.output_schema.is_null()) tool["outputSchema"] = t.output_schema;
  return tool;
}

json ResourceContentJson(const ResourceContent& c) {
  return json{
      {"contents", json::array({{{"uri", c.uri}, {"mimeType", c.mime_type}, {"text", c.text}}})}};
}

json CompletionJson(std::vector<std::string> values) {
  constexpr std::size_t kMax = 100;  // the spec's cap per response
  std::size_t total = values.size();
  if (values.size() > kMax) values.resize(kMax);
  return json{{"completion", {{"values", values}, {"total", total}, {"hasMore", total > kMax}}}};
}

template <class T, class F>
HandlerOutcome ListPage(const json& params, const std::vector<T>& items, std::size_t page_size,
                        const char* key, F to_json) {
  auto page = Paginate(params, items.size(), page_size);
  if (!page) return InvalidParams("cursor: invalid (not one this server issued)");
  json list = json::array();
  for (std::size_t i = page->begin; i < page->end; ++i) list.push_back(to_json(items[i]));
  json result{{key, std::move(list)}};
  if (!page->next_cursor.empty()) result["nextCursor"] = page->next_cursor;
  return result;
}

}  // namespace

McpServer::McpServer(const Catalog& catalog, Identity identity, ServerOptions options)
    : catalog_(catalog),
      identity_(std::move(identity)),
      options_(std::move(options)),
      session_(Implementation{"docrunch", "Docrunch", options_.version}, Capabilities(catalog),
               catalog.instructions) {
  RegisterHandlers();
}

void McpServer::RegisterHandlers() {
  if (options_.authorize) {
    // Tool calls are refused by the middleware, as a tool result.
    session_.SetRequestGuard([this](const std::string& method) -> std::optional<RpcError> {
      if (method == "tools/call") return std::nullopt;
      return options_.authorize();
    });
  }
  session_.OnInitialized([this](const json& params) {
    if (options_.on_connect) options_.on_connect(identity_, params.value("clientInfo", json()));
  });
  session_.OnRequest("tools/list", [this](RequestContext& ctx) {
    std::vector<const ToolSpec*> visible;
    for (const auto& t : catalog_.tools) {
      if (RoleAllows(identity_.role, t.access)) visible.push_back(&t);
    }
    return ListPage(ctx.params(), visible, options_.page_size, "tools",
                    [](const ToolSpec* t) { return ToolJson(*t); });
  });
  session_.OnRequest("tools/call", [this](RequestContext& ctx) { return CallTool(ctx); });
  session_.OnRequest("resources/list", [this](RequestContext& ctx) {
    std::vector<ListedResource> all;
    for (const auto& r : catalog_.resources) {
      all.push_back({r.uri, r.name, r.title, r.description, r.mime_type});
    }
    if (catalog_.listed_resources) {
      for (auto& r : catalog_.listed_resources()) all.push_back(std::move(r));
    }
    return ListPage(ctx.params(), all, options_.page_size, "resources",
                    [](const ListedResource& r) {
                      return json{{"uri", r.uri},
                                  {"name", r.name},
                                  {"title", r.title},
                                  {"description", r.description},
                                  {"mimeType", r.mime_type}};
                    });
  });
  session_.OnRequest("resources/templates/list", [this](RequestContext& ctx) {
    return ListPage(ctx.params(), catalog_.templates, options_.page_size, "resourceTemplates",
                    [](const ResourceTemplateSpec& r) {
                      return json{{"uriTemplate", r.uri_template},
                                  {"name", r.name},
                                  {"title", r.title},
                                  {"description", r.description},
                                  {"mimeType", r.mime_type}};
                    });
  });
  session_.OnRequest("resources/read", [this](RequestContext& ctx) { return ReadResource(ctx); });
  auto subscription = [this](bool subscribe) {
    return [this, subscribe](RequestContext& ctx) -> HandlerOutcome {
      RpcError error;
      auto uri = StringParam(ctx.params(), "uri", error);
      if (!uri) return error;
      if (subscribe) {
        if (auto refused = CheckSubscribable(*uri)) return *refused;
      }
      std::lock_guard lock(mutex_);
      if (subscribe) {
        subscriptions_.insert(*uri);
      } else {
        subscriptions_.erase(*uri);
      }
      return json::object();
    };
  };
  session_.OnRequest("resources/subscribe", subscription(true));
  session_.OnRequest("resources/unsubscribe", subscription(false));
  session_.OnRequest("prompts/list", [this](RequestContext& ctx) {
    return ListPage(
        ctx.params(), catalog_.prompts, options_.page_size, "prompts", [](const PromptSpec& p) {
          json args = json::array();
          for (const auto& a : p.arguments) {
            args.push_back(
                {{"name", a.name}, {"description", a.description}, {"required", a.required}});
          }
          return json{{"name", p.name},
                      {"title", p.title},
                      {"description", p.description},
                      {"arguments", args}};
        });
  });
  session_.OnRequest("prompts/get", [this](RequestContext& ctx) { return GetPrompt(ctx); });
  session_.OnRequest("completion/complete", [this](RequestContext& ctx) { return Complete(ctx); });
}

json McpServer::ToolResultJson(const ToolResult& result) {
  if (result.error) {
    const ToolError& e = *result.error;
    json error{{"code", e.code}, {"message", e.message}};
    std::string text = e.code + ": " + e.message;
    if (e.retry_after_seconds) {
      error["retry_after_seconds"] = *e.retry_after_seconds;
      text += " (retry after " + std::to_string(*e.retry_after_seconds) + " s)";
    }
    // No structuredContent: it would have to match the success schema.
    return json{{"content", json::array({{{"type", "text"}, {"text", text}}})},
                {"isError", true},
                {"_meta", {{"docrunch/error", error}}}};
  }
  return json{{"content", json::array({{{"type", "text"}, {"text", result.text}}})},
              {"structuredContent", result.structured},
              {"isError", false}};
}

HandlerOutcome McpServer::CallTool(RequestContext& ctx) {
  RpcError error;
  auto name = StringParam(ctx.params(), "name", error);
  if (!name) return error;
  const ToolSpec* tool = catalog_.FindTool(*name);
  if (!tool) return InvalidParams("name: unknown tool '" + *name + "'");
  json arguments = ctx.params().value("arguments", json::object());
  ToolCall call{*tool, arguments, identity_, ctx};
  ToolNext chain = [this](ToolCall& c) { return RunBuiltIn(c); };
  for (auto it = options_.middleware.rbegin(); it != options_.middleware.rend(); ++it) {
    chain = [middleware = *it, next = std::move(chain)](ToolCall& c) {
      return middleware(c, next);
    };
  }
  return ToolResultJson(chain(call));
}

ToolResult McpServer::RunBuiltIn(ToolCall& call) {
  if (!RoleAllows(call.identity.role, call.tool.access)) {
    return ToolResult::Failure("MCP_UNAUTHORIZED",
                               "role " + std::string(config::RoleName(call.identity.role)) +
                                   " may not call " + call.tool.name);
  }
  if (!call.arguments.is_object()) {
    return ToolResult::Failure("MCP_INVALID_PARAMS", "arguments: must be an object");
  }
  std::string problems = CheckSchema(call.tool.input_schema, call.arguments);
  if (!problems.empty()) return ToolResult::Failure("MCP_INVALID_PARAMS", problems);
  return call.tool.handler(call);
}

std::optional<ResourceOutcome> McpServer::Read(const std::string& uri) const {
  for (const auto& r : catalog_.resources) {
    if (r.uri == uri) return r.read(uri);
  }
  for (const auto& t : catalog_.templates) {
    std::string prefix = t.prefix();
    if (uri.size() > prefix.size() && uri.rfind(prefix, 0) == 0) {
      return t.read(uri, uri.substr(prefix.size()));
    }
  }
  return std::nullopt;
}

std::optional<RpcError> McpServer::CheckSubscribable(const std::string& uri) const {
  // A malformed name is refused as read refuses it. A well-formed one may
  // name what does not exist yet (a task to come), and another URI a
  // resource to come (the conformance suite subscribes to one this server
  // does not have, and expects success).
  auto outcome = Read(uri);
  auto* e = outcome ? std::get_if<RpcError>(&*outcome) : nullptr;
  if (e != nullptr && e->code == rpc::kInvalidParams) return *e;
  return std::nullopt;
}

HandlerOutcome McpServer::ReadResource(RequestContext& ctx) {
  RpcError error;
  auto uri = StringParam(ctx.params(), "uri", error);
  if (!uri) return error;
  auto outcome = Read(*uri);
  if (!outcome) {
    return RpcError{rpc::kResourceNotFound, "Resource not found: " + *uri, {{"uri", *uri}}};
  }
  if (auto* e = std::get_if<RpcError>(&*outcome)) return *e;
  return ResourceContentJson(std::get<ResourceContent>(*outcome));
}

HandlerOutcome McpServer::GetPrompt(RequestContext& ctx) {
  RpcError error;
  auto name = StringParam(ctx.params(), "name", error);
  if (!name) return error;
  auto prompt = std::find_if(catalog_.prompts.begin(), catalog_.prompts.end(),
                             [&](const PromptSpec& p) { return p.name == *name; });
  if (prompt == catalog_.prompts.end())
    return InvalidParams("name: unknown prompt '" + *name + "'");
  std::map<std::string, std::string> args;
  json given = ctx.params().value("arguments", json::object());
  if (!given.is_object()) return InvalidParams("arguments: must be an object");
  for (const auto& [key, value] : given.items()) {
    if (!value.is_string()) return InvalidParams("arguments." + key + ": must be a string");
    args[key] = value.get<std::string>();
  }
  for (const auto& a : prompt->arguments) {
    if (a.required && !args.count(a.name)) {
      return InvalidParams("arguments." + a.name + ": required");
    }
  }
  PromptOutcome outcome = prompt->get(args);
  if (auto* e = std::get_if<RpcError>(&outcome)) return *e;
  return std::get<json>(outcome);
}

HandlerOutcome McpServer::Complete(RequestContext& ctx) {
  const json& params = ctx.params();
  json ref = params.value("ref", json());
  json argument = params.value("argument", json());
  if (!ref.is_object() || !ref.value("type", json()).is_string()) {
    return InvalidParams("ref: required, {type: ref/prompt|ref/resource, ...}");
  }
  if (!argument.is_object() || !argument.value("name", json()).is_string() ||
      !argument.value("value", json()).is_string()) {
    return InvalidParams("argument: required, {name: string, value: string}");
  }
  const std::string type = ref["type"];
  const std::string arg = argument["name"];
  const std::string prefix = argument["value"];
  if (type == "ref/prompt") {
    for (const auto& p : catalog_.prompts) {
      if (p.name != ref.value("name", "")) continue;
      for (const auto& a : p.arguments) {
        if (a.name == arg)
          return CompletionJson(a.complete ? a.complete(prefix) : std::vector<std::string>{});
      }
      return CompletionJson({});
    }
    return InvalidParams("ref.name: unknown prompt");
  }
  if (type == "ref/resource") {
    for (const auto& t : catalog_.templates) {
      if (t.uri_template != ref.value("uri", "")) continue;
      if (t.variable() != arg || !t.complete) return CompletionJson({});
      return CompletionJson(t.complete(prefix));
    }
    return InvalidParams("ref.uri: unknown resource template");
  }
  return InvalidParams("ref.type: must be ref/prompt or ref/resource");
}

void McpServer::ResourcesChanged(const std::vector<std::string>& uris, bool list_changed) {
  if (!session_.initialized()) return;
  std::vector<std::string> hits;
  {
    std::lock_guard lock(mutex_);
    for (const auto& uri : uris) {
      if (subscriptions_.count(uri)) hits.push_back(uri);
    }
  }
  for (const auto& uri : hits) session_.Notify("notifications/resources/updated", {{"uri", uri}});
  if (list_changed && catalog_.listed_resources) {
    session_.Notify("notifications/resources/list_changed", json::object());
  }
}

std::vector<std::string> McpServer::Subscriptions() const {
  std::lock_guard lock(mutex_);
  return {subscriptions_.begin(), subscriptions_.end()};
}

bool RoleAllows(config::Role role, Access access) {
  switch (access) {
    case Access::kQuery:
      return true;
    case Access::kReport:
      return role != config::Role::kReader;
    case Access::kAdmin:
      return role == config::Role::kAdmin;
  }
  return false;
}

std::string ResourceTemplateSpec::variable() const {
  auto open = uri_template.find('{');
  auto close = uri_template.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return "";
  return uri_template.substr(open + 1, close - open - 1);
}

const ToolSpec* Catalog::FindTool(const std::string& name) const {
  for (const auto& t : tools) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace docrunch::mcp
