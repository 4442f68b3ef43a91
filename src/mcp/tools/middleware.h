// The tool-call stages that need the auth subsystem: audit (outermost, so
// it also records calls refused by the later stages) and rate limiting.
#pragma once

#include "auth/audit.h"
#include "auth/rate_limiter.h"
#include "mcp/server/mcp_server.h"

namespace docrunch::mcp {

// One audit row per call: agent, tool, outcome (ok or the error code),
// duration and summarized arguments; refusals by role are also recorded as
// auth failures and by rate as rate-limit rejections.
ToolMiddleware AuditMiddleware(auth::AuditLog& audit);

// Queries count against queries_per_minute, report and admin tools
// against writes_per_minute; over the limit the call fails at once with
// MCP_RATE_LIMITED and retry_after_seconds.
ToolMiddleware RateLimitMiddleware(auth::RateLimiter& limiter);

// Counts each call and its time in the process's metrics
// (docrunch_mcp_tool_calls_total, docrunch_mcp_tool_duration_seconds), and
// the refusals by rate limit and by a token revoked meanwhile. Goes first,
// so the refusals of the middleware after it are counted.
ToolMiddleware MetricsMiddleware();

}  // namespace docrunch::mcp
