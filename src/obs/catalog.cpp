#include "obs/catalog.h"

#include <chrono>

namespace docrunch::obs {
namespace {

struct Families {
  Family* http_requests;
  Family* http_latency;
  Family* tool_calls;
  Family* tool_latency;
  Family* auth_failures;
  Family* rate_limited;
  Family* sync_events;
  Family* sync_applications;
  Family* sync_batch_latency;
  Family* scan_latency;
  Family* scan_files;
  Family* llm_calls;
  Family* llm_tokens;
  Family* llm_cost;
  Family* llm_latency;
  Family* db_pool;
  Family* build_info;
  Family* start_time;
};

const Families& F() {
  static const Families f = [] {
    Registry& r = DefaultRegistry();
    using T = MetricType;
    Families f{};
    f.http_requests = r.Add("docrunch_http_requests_total",
                            "HTTP requests answered, by listener, method, route and status class",
                            T::kCounter, {"listener", "method", "route", "code"});
    f.http_latency =
        r.Add("docrunch_http_request_duration_seconds",
              "Time to answer an HTTP request (a WebSocket or SSE stream: its whole life)",
              T::kHistogram, {"listener", "method", "route"}, &LatencyBuckets());
    f.tool_calls = r.Add("docrunch_mcp_tool_calls_total",
                         "MCP tool calls, by tool and outcome (ok or the error code)", T::kCounter,
                         {"tool", "outcome"});
    f.tool_latency = r.Add("docrunch_mcp_tool_duration_seconds", "Time an MCP tool call took",
                           T::kHistogram, {"tool"}, &LatencyBuckets());
    f.auth_failures =
        r.Add("docrunch_auth_failures_total",
              "Refused credentials, by surface (rest, ws, login, mcp_http, mcp_stdio, mcp_tool)",
              T::kCounter, {"surface"});
    f.rate_limited =
        r.Add("docrunch_rate_limited_total", "Calls refused by a rate limit, by surface and kind",
              T::kCounter, {"surface", "kind"});
    f.sync_events = r.Add("docrunch_sync_events_processed_total",
                          "Outbox events this process's sync worker processed", T::kCounter);
    f.sync_applications =
        r.Add("docrunch_sync_applications_total",
              "Target applications of outbox events by this process's sync worker, by outcome",
              T::kCounter, {"outcome"});
    f.sync_batch_latency =
        r.Add("docrunch_sync_batch_duration_seconds", "Time one committed sync batch took",
              T::kHistogram, {}, &LatencyBuckets());
    f.scan_latency = r.Add("docrunch_scan_duration_seconds", "Time a repository scan took",
                           T::kHistogram, {"outcome"}, &LongBuckets());
    f.scan_files = r.Add("docrunch_scan_files_total", "Files looked at by finished scans",
                         T::kCounter, {"outcome"});
    f.llm_calls = r.Add("docrunch_llm_calls_total", "LLM calls, by provider, model and outcome",
                        T::kCounter, {"provider", "model", "outcome"});
    f.llm_tokens =
        r.Add("docrunch_llm_tokens_total", "LLM tokens, by provider, model and direction",
              T::kCounter, {"provider", "model", "direction"});
    f.llm_cost = r.Add("docrunch_llm_cost_usd_total", "LLM spend in US dollars", T::kCounter,
                       {"provider", "model"});
    f.llm_latency = r.Add("docrunch_llm_call_duration_seconds", "Time an LLM call took",
                          T::kHistogram, {"provider"}, &LongBuckets());
    f.db_pool = r.Add("docrunch_db_pool_connections",
                      "Database connections of this process by pool (postgres, sqlite_readers: "
                      "the SQLite writer apart) and state (open, in_use, max)",
                      T::kGauge, {"pool", "state"});
    f.build_info =
        r.Add("docrunch_build_info", "Always 1; the version is a label", T::kGauge, {"version"});
    f.start_time = r.Add("docrunch_process_start_time_seconds",
                         "When this process started (Unix time)", T::kGauge);
    return f;
  }();
  return f;
}

std::string S(std::string_view v) {
  return std::string(v);
}

}  // namespace

void RegisterCatalog(std::string_view version) {
  const Families& f = F();
  f.build_info->GaugeWith({S(version)})->Set(1);
  static const double started =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  f.start_time->GaugeWith({})->Set(started);
  // Unlabelled families show their zero from the first scrape.
  f.sync_events->CounterWith({});
  f.sync_batch_latency->HistogramWith({});
}

HttpRouteMetrics::HttpRouteMetrics(std::string_view listener, std::string_view method,
                                   std::string_view route)
    : labels_{S(listener), S(method), S(route), ""} {}

void HttpRouteMetrics::Count(int status, double seconds) {
  static constexpr const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  int cls = status / 100 - 1;
  if (cls >= 0 && cls < 5) {
    Counter* counter = by_class_[cls].load(std::memory_order_acquire);
    if (!counter) {
      std::vector<std::string> labels = labels_;
      labels.back() = kClasses[cls];
      counter = F().http_requests->CounterWith(labels);
      by_class_[cls].store(counter, std::memory_order_release);
    }
    counter->Inc();
  }
  Histogram* latency = latency_.load(std::memory_order_acquire);
  if (!latency) {
    latency = F().http_latency->HistogramWith({labels_[0], labels_[1], labels_[2]});
    latency_.store(latency, std::memory_order_release);
  }
  latency->Observe(seconds);
}

DbPoolGaugeSet DbPoolGauges(std::string_view kind) {
  Family* f = F().db_pool;
  return {f->GaugeWith({S(kind), "open"}), f->GaugeWith({S(kind), "in_use"}),
          f->GaugeWith({S(kind), "max"})};
}

void ObserveToolCall(std::string_view tool, std::string_view outcome, double seconds) {
  const Families& f = F();
  f.tool_calls->CounterWith({S(tool), S(outcome)})->Inc();
  f.tool_latency->HistogramWith({S(tool)})->Observe(seconds);
}

void CountAuthFailure(std::string_view surface) {
  F().auth_failures->CounterWith({S(surface)})->Inc();
}

void CountRateLimited(std::string_view surface, std::string_view kind) {
  F().rate_limited->CounterWith({S(surface), S(kind)})->Inc();
}

void CountSyncBatch(std::int64_t events, std::int64_t applied, std::int64_t skipped,
                    std::int64_t failed, double seconds) {
  const Families& f = F();
  auto n = [](std::int64_t v) { return static_cast<std::uint64_t>(v < 0 ? 0 : v); };
  f.sync_events->CounterWith({})->Inc(n(events));
  f.sync_applications->CounterWith({"applied"})->Inc(n(applied));
  f.sync_applications->CounterWith({"skipped"})->Inc(n(skipped));
  f.sync_applications->CounterWith({"failed"})->Inc(n(failed));
  f.sync_batch_latency->HistogramWith({})->Observe(seconds);
}

void ObserveScan(std::string_view outcome, double seconds, std::int64_t files) {
  const Families& f = F();
  f.scan_latency->HistogramWith({S(outcome)})->Observe(seconds);
  f.scan_files->CounterWith({S(outcome)})->Inc(static_cast<std::uint64_t>(files < 0 ? 0 : files));
}

void RecordLlmCall(const LlmCall& call) {
  const Families& f = F();
  f.llm_calls->CounterWith({call.provider, call.model, call.outcome})->Inc();
  if (call.input_tokens > 0) {
    f.llm_tokens->CounterWith({call.provider, call.model, "input"})
        ->Inc(static_cast<std::uint64_t>(call.input_tokens));
  }
  if (call.output_tokens > 0) {
    f.llm_tokens->CounterWith({call.provider, call.model, "output"})
        ->Inc(static_cast<std::uint64_t>(call.output_tokens));
  }
  f.llm_cost->CounterWith({call.provider, call.model})->Add(call.cost_usd);
  if (call.seconds > 0) f.llm_latency->HistogramWith({call.provider})->Observe(call.seconds);
}

}  // namespace docrunch::obs
