// The metrics Docrunch exposes at GET /metrics (docs/hosting.md lists them
// with what to watch), as functions the subsystems call. Every family lives
// in DefaultRegistry(); RegisterCatalog() creates them all up front, so a
// scrape shows each family (unlabelled ones at zero) before anything
// happened. Thread-safe; the counting functions are cheap (a map lookup
// under a shared lock, then relaxed atomic adds), and hot callers that know
// their labels up front keep the series (HttpRoute).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "obs/metrics.h"

namespace docrunch::obs {

// Creates every family, and docrunch_build_info{version} = 1 and
// docrunch_process_start_time_seconds. Safe to call more than once.
void RegisterCatalog(std::string_view version);

// One HTTP route's series, kept by the router: requests by status class
// (docrunch_http_requests_total{listener,method,route,code="2xx"}) and the
// latency histogram (docrunch_http_request_duration_seconds).
// Series are made on a route's first request (then kept), so routes never
// called add nothing to a scrape and making one of these costs nothing.
class HttpRouteMetrics {
 public:
  HttpRouteMetrics(std::string_view listener, std::string_view method, std::string_view route);
  void Count(int status, double seconds);

 private:
  std::vector<std::string> labels_;                  // listener, method, route, then the class
  std::array<std::atomic<Counter*>, 5> by_class_{};  // 1xx .. 5xx
  std::atomic<Histogram*> latency_{nullptr};
};

// An MCP tool call: docrunch_mcp_tool_calls_total{tool,outcome} (outcome
// "ok" or the error code) and docrunch_mcp_tool_duration_seconds{tool}.
void ObserveToolCall(std::string_view tool, std::string_view outcome, double seconds);
// docrunch_auth_failures_total{surface}: "rest", "ws", "login",
// "mcp_http", "mcp_stdio", "mcp_tool" (a token revoked mid-session).
void CountAuthFailure(std::string_view surface);
// docrunch_rate_limited_total{surface,kind}: ("mcp", "query"|"write"),
// ("rest", "login").
void CountRateLimited(std::string_view surface, std::string_view kind);
// One committed sync batch of this process's worker:
// docrunch_sync_events_processed_total, docrunch_sync_applications_total
// {outcome=applied|skipped|failed}, docrunch_sync_batch_duration_seconds.
void CountSyncBatch(std::int64_t events, std::int64_t applied, std::int64_t skipped,
                    std::int64_t failed, double seconds);
// A finished scan: docrunch_scan_duration_seconds{outcome} and
// docrunch_scan_files_total{outcome}.
void ObserveScan(std::string_view outcome, double seconds, std::int64_t files);

// A database connection pool's gauges (docrunch_db_pool_connections{pool,
// state}); pools change them by deltas, so pools of one kind add up.
struct DbPoolGaugeSet {
  Gauge* open;
  Gauge* in_use;
  Gauge* max;
};
DbPoolGaugeSet DbPoolGauges(std::string_view kind);

// One LLM call, for the LLM layer to report: docrunch_llm_calls_total
// {provider,model,outcome}, docrunch_llm_tokens_total{provider,model,
// direction=input|output}, docrunch_llm_cost_usd_total{provider,model},
// docrunch_llm_call_duration_seconds{provider}.
struct LlmCall {
  std::string provider;  // "openai", "cli_bridge", ...
  std::string model;
  std::string outcome = "ok";  // or an error code
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  double cost_usd = 0;
  double seconds = 0;
};
void RecordLlmCall(const LlmCall& call);

}  // namespace docrunch::obs
