#include "mcp/tools/middleware.h"

#include "config/schema.h"
#include "obs/catalog.h"

#include <chrono>

namespace docrunch::mcp {

ToolMiddleware AuditMiddleware(auth::AuditLog& audit) {
  return [&audit](ToolCall& call, const ToolNext& next) {
    auto start = std::chrono::steady_clock::now();
    ToolResult result = next(call);
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
    std::string outcome = result.error ? result.error->code : "ok";
    auth::AuditEntry entry{call.identity.agent_id,
                           "mcp.tool_call",
                           call.tool.name,
                           outcome,
                           {{"duration_ms", static_cast<std::int64_t>(ms.count() * 1000) / 1000.0},
                            {"arguments", auth::SummarizeArguments(call.arguments)},
                            {"role", config::RoleName(call.identity.role)}}};
    if (result.error) entry.details["message"] = result.error->message;
    audit.Record(entry);
    if (outcome == "MCP_UNAUTHORIZED") {
      audit.Record({call.identity.agent_id,
                    "mcp.auth_failure",
                    call.tool.name,
                    outcome,
                    {{"message", result.error->message}}});
    } else if (outcome == "MCP_RATE_LIMITED") {
      audit.Record({call.identity.agent_id,
                    "mcp.rate_limited",
                    call.tool.name,
                    outcome,
                    {{"retry_after_seconds", result.error->retry_after_seconds.value_or(0)}}});
    }
    return result;
  };
}

ToolMiddleware RateLimitMiddleware(auth::RateLimiter& limiter) {
  return [&limiter](ToolCall& call, const ToolNext& next) {
    auto kind =
        call.tool.access == Access::kQuery ? auth::CallKind::kQuery : auth::CallKind::kWrite;
    auth::Admission admission = limiter.Admit(call.identity.agent_id, kind);
    if (!admission.allowed) {
      ToolResult refused = ToolResult::Failure(
          "MCP_RATE_LIMITED", std::string(kind == auth::CallKind::kQuery ? "queries" : "writes") +
                                  " per minute exceeded for agent '" + call.identity.agent_id +
                                  "'");
      refused.error->retry_after_seconds = admission.retry_after_seconds;
      return refused;
    }
    return next(call);
  };
}

ToolMiddleware MetricsMiddleware() {
  return [](ToolCall& call, const ToolNext& next) {
    auto start = std::chrono::steady_clock::now();
    ToolResult result = next(call);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string outcome = result.error ? result.error->code : "ok";
    obs::ObserveToolCall(call.tool.name, outcome, seconds);
    if (outcome == "MCP_RATE_LIMITED") {
      obs::CountRateLimited("mcp", call.tool.access == Access::kQuery ? "query" : "write");
    } else if (outcome == "MCP_UNAUTHORIZED") {
      obs::CountAuthFailure("mcp_tool");
    }
    return result;
  };
}

}  // namespace docrunch::mcp
