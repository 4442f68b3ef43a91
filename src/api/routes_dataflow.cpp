// The data-flow views (PRODUCT §11, §17): how data moves from the source
// of truth through the outbox to the derived stores and to the agents.
// Each handler reads its input and calls one service of obs/, sync/,
// search/ or store/.
#include <charconv>

#include "api/routes.h"
#include "api/schemas.h"
#include "obs/health.h"
#include "search/traces.h"
#include "sync/dataflow.h"
#include "sync/sync_admin.h"

namespace docrunch::api {
namespace {

using namespace schema;

const std::vector<std::string> kTargets{"index", "markdown", "lightrag"};

json HealthItem() {
  return Object({{"name", Str("the backend; sqlite or postgres for the database")},
                 {"status", Enum({"healthy", "degraded", "down", "unknown", "not_configured"})},
                 {"latency_ms", Nullable(Num())},
                 {"records", Nullable(Int("rows, pages or documents it holds", 0, 1LL << 62))},
                 {"last_error", Nullable(Str())},
                 {"detail", Nullable(Str("what was checked, or why it is not configured"))},
                 {"checked_at", Str("ISO-8601")}},
                {"name", "status", "latency_ms", "records", "last_error", "detail", "checked_at"});
}

json EventItem() {
  return Object(
      {{"id", Int("", 0, 1LL << 62)},
       {"entity_type", Str()},
       {"entity_id", Str()},
       {"content_hash", Str()},
       {"action", Enum({"upsert", "delete"})},
       {"priority", Int("", -1000, 1000)},
       {"created_at", Str()},
       {"processed_at", Nullable(Str())},
       {"status", Enum(sync::kEventStates)},
       {"targets",
        Array(Object({{"target", Str()},
                      {"status", Enum({"pending", "failed", "dead_letter"})},
                      {"attempts", Int("", 0, 1 << 30)},
                      {"last_error", Nullable(Str())},
                      {"next_attempt_at", Nullable(Str())}},
                     {"target", "status", "attempts", "last_error", "next_attempt_at"}))}},
      {"id", "entity_type", "entity_id", "content_hash", "action", "priority", "created_at",
       "processed_at", "status", "targets"});
}

json DiffItem() {
  return Object({{"target", Str()},
                 {"entity_type", Str()},
                 {"entity_id", Str()},
                 {"state", Enum({"missing", "stale"})},
                 {"detail", Str()},
                 {"found_in", Enum({"bookkeeping", "store"})}},
                {"target", "entity_type", "entity_id", "state", "detail", "found_in"});
}

json LocationSchema() {
  json copy = Object({{"target", Str()},
                      {"status", Enum({"ok", "pending", "failed", "dead_letter", "missing"})},
                      {"last_synced_hash", Nullable(Str())},
                      {"attempts", Int("", 0, 1LL << 31)},
                      {"last_error", Nullable(Str())},
                      {"next_attempt_at", Nullable(Str())},
                      {"updated_at", Nullable(Str())},
                      {"current", Bool("the copy holds the source's current hash")}},
                     {"target", "status", "last_synced_hash", "attempts", "last_error",
                      "next_attempt_at", "updated_at", "current"});
  json event = Nullable(Object({{"id", Int("", 0, 1LL << 62)},
                                {"action", Enum({"upsert", "delete"})},
                                {"content_hash", Str()},
                                {"created_at", Str()},
                                {"processed_at", Nullable(Str())}},
                               {"id", "action", "content_hash", "created_at", "processed_at"}));
  return Object({{"entity", Object({{"type", Str()}, {"id", Str()}}, {"type", "id"})},
                 {"source", Object({{"table", Str()},
                                    {"exists", Bool()},
                                    {"content_hash", Nullable(Str("the source's current hash"))}},
                                   {"table", "exists", "content_hash"})},
                 {"latest_event", event},
                 {"targets", Array(copy)}},
                {"entity", "source", "latest_event", "targets"});
}

json TraceSchema() {
  return Object({{"id", Str()},
                 {"query", Str()},
                 {"scope", Enum({"docs", "reports", "all"})},
                 {"engine", Str("index, fulltext; empty when the search failed first")},
                 {"limit", Int("", 0, 1000)},
                 {"result_ids", Array(Str())},
                 {"timings", AnyObject("milliseconds per stage, and total")},
                 {"created_at", Str()},
                 {"caller", Str("rest:NAME, mcp:NAME or cli")},
                 {"error", Nullable(Str("the search's error code"))},
                 {"request_id", Nullable(Str("the X-Request-Id of the HTTP request it was made "
                                             "in; null outside one (the CLI)"))}},
                {"id", "query", "scope", "engine", "limit", "result_ids", "timings", "created_at",
                 "caller", "error"});
}

obs::HealthOptions HealthOf(const ApiServices& s) {
  obs::HealthOptions o;
  o.store = s.store;
  o.repository_id = s.repository_id;
  o.redis_url = s.redis_url;
  o.lightrag_enabled = s.lightrag_enabled;
  o.lightrag = s.lightrag;
  o.docs_root = s.docs_root;
  o.targets = s.sync_targets;
  o.cli_proxy_url = s.cli_proxy_url;
  o.cli_proxy_api_key = s.cli_proxy_api_key;
  o.env = s.env;
  o.kms_key_env = s.kms_key_env;
  o.clock = s.clock;
  return o;
}

TimePoint Now(const ApiServices& s) {
  return s.clock ? s.clock->Now() : std::chrono::system_clock::now();
}

void AddHealthRoutes(Routes& routes, ApiServices& s) {
  routes.push_back({"GET", "/system/health", Access::kReader, "dataflow",
                    "Health of every backend: the database, Redis, LightRAG, Temporal, the "
                    "Markdown folder, the CLI proxy, the KMS key",
                    json::object(), nullptr,
                    Object({{"status", Enum({"healthy", "degraded", "down"})},
                            {"backends", Array(HealthItem())}},
                           {"status", "backends"}),
                    200, [&s](Call&) -> Result<json> {
                      auto report = obs::CheckAll(HealthOf(s));
                      json backends = json::array();
                      for (const auto& b : report.backends) backends.push_back(obs::ToJson(b));
                      return json{{"status", report.status}, {"backends", std::move(backends)}};
                    }});
  routes.push_back({"GET", "/system/health/{backend}", Access::kReader, "dataflow",
                    "Health of one backend: database (or sqlite/postgres), redis, lightrag, "
                    "temporal, markdown, cli_proxy, kms",
                    json::object(), nullptr, HealthItem(), 200, [&s](Call& call) -> Result<json> {
                      auto health = obs::CheckBackend(HealthOf(s), call.params.at("backend"));
                      if (!health) return health.error();
                      return obs::ToJson(*health);
                    }});
}

void AddLineageRoutes(Routes& routes, ApiServices& s) {
  routes.push_back({"GET", "/system/lineage", Access::kReader, "dataflow",
                    "The outbox pipeline as a graph with live counts: scanner -> source tables -> "
                    "sync_events -> sync workers -> derived stores -> MCP -> agents",
                    json::object(), nullptr,
                    Object({{"nodes", Array(Object({{"id", Str()},
                                                    {"label", Str()},
                                                    {"kind", Enum({"producer", "source", "outbox",
                                                                   "worker", "store", "consumer"})},
                                                    {"counts", AnyObject("numbers by name")}},
                                                   {"id", "label", "kind", "counts"}))},
                            {"edges", Array(Object({{"source", Str()},
                                                    {"target", Str()},
                                                    {"label", Str()},
                                                    {"count", Int("", 0, 1LL << 62)}},
                                                   {"source", "target", "label", "count"}))}},
                           {"nodes", "edges"}),
                    200, [&s](Call&) -> Result<json> {
                      sync::LineageOptions options{
                          s.sync_targets, s.docs_root, {s.report_sla_seconds, s.scan_sla_seconds}};
                      return sync::LoadLineage(*s.store, s.repository_id, options, Now(s));
                    }});
}

void AddOutboxRoutes(Routes& routes, ApiServices& s) {
  routes.push_back(
      {"GET", "/sync/events", Access::kReader, "dataflow",
       "Outbox events, newest first, with their state, filtered by state, target and entity",
       PageQuery({{"status", Enum(sync::kEventStates)},
                  {"target", Enum(kTargets, "judge the state by this target alone")},
                  {"entity_type", Str("file, task, decision, relationships, repository", 64)},
                  {"entity_id", Str("", 1000)}}),
       nullptr, Page(EventItem()), 200, [&s](Call& call) -> Result<json> {
         auto page = ReadPage(call);
         if (!page) return page.error();
         sync::EventFilter filter{call.query.value("status", ""),
                                  call.query.value("target", ""),
                                  call.query.value("entity_type", ""),
                                  call.query.value("entity_id", ""),
                                  page->offset,
                                  page->limit};
         auto events = sync::ListEvents(*s.store, s.repository_id, filter);
         if (!events) return events.error();
         json items = json::array();
         for (std::size_t i = 0; i < events->size() && i < page->limit; ++i) {
           items.push_back(sync::ToJson((*events)[i]));
         }
         json next = events->size() > page->limit
                         ? json("p" + std::to_string(page->offset + page->limit))
                         : json(nullptr);
         return json{{"items", std::move(items)}, {"next_cursor", std::move(next)}};
       }});
  routes.push_back({"POST", "/sync/events/retry", Access::kAdmin, "dataflow",
                    "Make failed copies due now with fresh attempts (all: dead letters and "
                    "waiting retries too), as `docrunch sync retry [--all]`",
                    json::object(), Object({{"all", Bool("also dead letters")}}),
                    Object({{"retried", Int("entries scheduled", 0, 1LL << 62)}}, {"retried"}), 200,
                    [&s](Call& call) -> Result<json> {
                      auto n = sync::ScheduleRetry(*s.store, s.repository_id,
                                                   call.body.value("all", false));
                      if (!n) return n.error();
                      return json{{"retried", *n}};
                    }});
}

void AddDiffRoutes(Routes& routes, ApiServices& s) {
  routes.push_back(
      {"GET", "/sync/diff", Access::kReader, "dataflow",
       "Entities whose derived copies are missing or stale, per target (as `docrunch sync diff`)",
       PageQuery({{"target", Enum(kTargets)}, {"state", Enum({"missing", "stale"})}}), nullptr,
       Page(DiffItem()), 200, [&s](Call& call) -> Result<json> {
         auto page = ReadPage(call);
         if (!page) return page.error();
         auto diff =
             sync::DiffTargets(*s.store, s.repository_id, s.sync_targets, s.docs_root.string());
         if (!diff) return diff.error();
         json items = json::array();
         for (const auto& e : *diff) {
           if (call.query.contains("target") && e.target != call.query["target"]) continue;
           if (call.query.contains("state") && e.state != call.query["state"]) continue;
           items.push_back({{"target", e.target},
                            {"entity_type", e.entity_type},
                            {"entity_id", e.entity_id},
                            {"state", e.state},
                            {"detail", e.detail},
                            {"found_in", e.found_in}});
         }
         return MakePage(std::move(items), *page);
       }});
  routes.push_back({"GET", "/sync/diff/stats", Access::kReader, "dataflow",
                    "The diff counted per target and per entity type", json::object(), nullptr,
                    Object({{"total", Int("", 0, 1LL << 62)},
                            {"per_target", AnyObject("{total, missing, stale} by target")},
                            {"per_kind", AnyObject("{missing, stale} by entity type")}},
                           {"total", "per_target", "per_kind"}),
                    200, [&s](Call&) -> Result<json> {
                      auto diff = sync::DiffTargets(*s.store, s.repository_id, s.sync_targets,
                                                    s.docs_root.string());
                      if (!diff) return diff.error();
                      return sync::DiffStats(*diff);
                    }});
  routes.push_back(
      {"POST", "/sync/diff/resolve", Access::kAdmin, "dataflow",
       "Queue again what the diff lists: failed, dead-letter and waiting copies are retried now; "
       "copies one target lacks are queued again; what a derived store lost behind ok "
       "bookkeeping is counted (sync rebuild fixes it)",
       json::object(), Object({}),
       Object({{"retried", Int("", 0, 1LL << 62)},
               {"requeued", Int("", 0, 1LL << 62)},
               {"need_rebuild", Int("", 0, 1LL << 62)}},
              {"retried", "requeued", "need_rebuild"}),
       200, [&s](Call&) -> Result<json> {
         auto r =
             sync::ResolveDiff(*s.store, s.repository_id, s.sync_targets, s.docs_root.string());
         if (!r) return r.error();
         return json{
             {"retried", r->retried}, {"requeued", r->requeued}, {"need_rebuild", r->need_rebuild}};
       }});
}

void AddEntityAndSchemaRoutes(Routes& routes, ApiServices& s) {
  routes.push_back(
      {"GET", "/entities/{id}/locations", Access::kReader, "dataflow",
       "Where one outbox entity lives: its source row, latest event, and each target's copy "
       "(task-3, adr-001, a file path percent-encoded; ?type= to disambiguate)",
       Object({{"type", Enum({"file", "task", "decision", "relationships", "repository"})}}),
       nullptr, LocationSchema(), 200, [&s](Call& call) -> Result<json> {
         const std::string& id = call.params.at("id");
         if (id.size() > 1000) return MakeError(ErrorCode::kUsage, "id: longer than 1000 bytes");
         auto key =
             sync::ResolveEntity(*s.store, s.repository_id, id, call.query.value("type", ""));
         if (!key) return key.error();
         return sync::LocateEntity(*s.store, s.repository_id, *key, s.sync_targets);
       }});
  json column = Object({{"name", Str()}, {"type", Str()}, {"nullable", Bool()}},
                       {"name", "type", "nullable"});
  routes.push_back(
      {"GET", "/schema", Access::kReader, "dataflow",
       "The source of truth's tables with their columns and row counts, from the database's "
       "own catalog",
       json::object(), nullptr,
       Object({{"backend", Enum({"sqlite", "postgres"})},
               {"tables",
                Array(Object(
                    {{"name", Str()}, {"rows", Int("", 0, 1LL << 62)}, {"columns", Array(column)}},
                    {"name", "rows", "columns"}))}},
              {"backend", "tables"}),
       200, [&s](Call&) -> Result<json> {
         auto tables = store::DescribeTables(*s.store);
         if (!tables) return tables.error();
         json list = json::array();
         for (const auto& t : *tables) {
           json columns = json::array();
           for (const auto& c : t.columns) {
             columns.push_back({{"name", c.name}, {"type", c.type}, {"nullable", c.nullable}});
           }
           list.push_back({{"name", t.name}, {"rows", t.rows}, {"columns", std::move(columns)}});
         }
         return json{{"backend", std::string(s.store->BackendName())}, {"tables", std::move(list)}};
       }});
}

void AddQueryRoutes(Routes& routes, ApiServices& s) {
  routes.push_back({"GET", "/queries/trace/{id}", Access::kReader, "dataflow",
                    "One search's trace: query, engine, results, timings per stage", json::object(),
                    nullptr, TraceSchema(), 200, [&s](Call& call) -> Result<json> {
                      const std::string& id = call.params.at("id");
                      if (!search::IsTraceId(id)) {
                        return MakeError(ErrorCode::kUsage,
                                         "id: not a trace id (qt- and 16 hex digits)");
                      }
                      auto trace = search::LoadTrace(*s.store, s.repository_id, id);
                      if (!trace) return trace.error();
                      if (!*trace)
                        return MakeError(ErrorCode::kStorageNotFound, "trace " + id + " not found");
                      return search::ToJson(**trace);
                    }});
  routes.push_back(
      {"GET", "/queries/stats", Access::kReader, "dataflow",
       "Searches since a time (default: the last 24 hours): count, per engine, latency p50/p95, "
       "top queries",
       Object({{"since", Str("ISO-8601 with its zone", 40)}}), nullptr,
       Object({{"since", Str()},
               {"count", Int("", 0, 1LL << 62)},
               {"per_engine", AnyObject("searches by engine")},
               {"latency_ms",
                Object({{"p50", Num()}, {"p95", Num()}, {"max", Num()}}, {"p50", "p95", "max"})},
               {"top_queries", Array(Object({{"query", Str()}, {"count", Int("", 0, 1LL << 62)}},
                                            {"query", "count"}))}},
              {"since", "count", "per_engine", "latency_ms", "top_queries"}),
       200, [&s](Call& call) -> Result<json> {
         TimePoint since = Now(s) - std::chrono::hours(24);
         if (call.query.contains("since")) {
           const std::string text = call.query["since"];
           // Clock time points count nanoseconds in 64 bits: years past
           // 2262 would wrap around, so the range is checked on the text.
           int year = 0;
           auto [end, ec] = std::from_chars(
               text.data(), text.data() + std::min<std::size_t>(4, text.size()), year);
           auto parsed = ParseIso8601(text);
           if (!parsed || ec != std::errc() || end != text.data() + 4 || year < 1970 ||
               year > 2200) {
             return MakeError(ErrorCode::kUsage,
                              "since: not an ISO-8601 time with its zone between 1970 and 2200");
           }
           since = *parsed;
         }
         auto stats = search::LoadQueryStats(*s.store, s.repository_id, FormatIso8601(since));
         if (!stats) return stats.error();
         return search::ToJson(*stats);
       }});
}

}  // namespace

void AddDataFlowRoutes(Routes& routes, ApiServices& s) {
  AddHealthRoutes(routes, s);
  AddLineageRoutes(routes, s);
  AddOutboxRoutes(routes, s);
  AddDiffRoutes(routes, s);
  AddEntityAndSchemaRoutes(routes, s);
  AddQueryRoutes(routes, s);
}

}  // namespace docrunch::api
