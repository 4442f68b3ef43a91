// One MCP session's server features over the protocol core: tools/list and
// tools/call (role filter, argument schema check, middleware), resources
// (list, templates, read, subscribe), prompts, completion/complete. It
// holds a Session rather than being one, so transports only ever see the
// Session.
//
// Tool calls run through the middleware chain in order (audit, rate limit,
// ...), then the built-in stage: a tool the identity's role may not use is
// MCP_UNAUTHORIZED, arguments that break the input schema are
// MCP_INVALID_PARAMS naming the field, and only then the tool's handler
// runs.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mcp/protocol/session.h"
#include "mcp/server/catalog.h"

namespace docrunch::mcp {

using ToolNext = std::function<ToolResult(ToolCall&)>;
using ToolMiddleware = std::function<ToolResult(ToolCall&, const ToolNext& next)>;

struct ServerOptions {
  std::string version = "0.0.0";
  std::size_t page_size = 50;
  std::vector<ToolMiddleware> middleware;  // outermost first
  // After initialize, e.g. to audit the connect.
  std::function<void(const Identity&, const json& client_info)> on_connect;
  // Before every request after initialize but tools/call (whose middleware
  // does the same): why the session may no longer ask (its token was
  // revoked), or nothing.
  std::function<std::optional<RpcError>()> authorize;
};

class McpServer {
 public:
  // `catalog` must outlive the server.
  McpServer(const Catalog& catalog, Identity identity, ServerOptions options);

  Session& session() { return session_; }
  const Identity& identity() const { return identity_; }

  // The outbox feed calls this with the URIs whose content changed; the
  // session gets notifications/resources/updated for those it subscribed
  // to, and notifications/resources/list_changed when `list_changed`.
  void ResourcesChanged(const std::vector<std::string>& uris, bool list_changed);
  std::vector<std::string> Subscriptions() const;

  // The CallToolResult for a tool outcome.
  static json ToolResultJson(const ToolResult& result);

 private:
  void RegisterHandlers();
  HandlerOutcome CallTool(RequestContext& ctx);
  // What the resource or template `uri` names reads as; nothing when no
  // resource or template matches it.
  std::optional<ResourceOutcome> Read(const std::string& uri) const;
  HandlerOutcome ReadResource(RequestContext& ctx);
  // Why `uri` cannot be subscribed to (a malformed name under one of the
  // templates, refused as resources/read refuses it), or nothing.
  std::optional<RpcError> CheckSubscribable(const std::string& uri) const;
  HandlerOutcome GetPrompt(RequestContext& ctx);
  HandlerOutcome Complete(RequestContext& ctx);
  ToolResult RunBuiltIn(ToolCall& call);

  const Catalog& catalog_;
  Identity identity_;
  ServerOptions options_;
  Session session_;
  mutable std::mutex mutex_;
  std::set<std::string> subscriptions_;  // GUARDED_BY(mutex_)
};

}  // namespace docrunch::mcp
