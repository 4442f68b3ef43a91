// docrunch serve --stdio | --http [--host H] [--port P]
//
// Builds the MCP catalog over the task, scan and search services, the
// per-agent identity, rate limiter and audit, then hands a session to the
// chosen transport. stdout carries protocol messages only; every log line
// goes to stderr.
#include <csignal>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>

#include <spdlog/spdlog.h>

#include "app/chat_env.h"
#include "app/commands.h"
#include "app/llm_commands.h"
#include "app/snapshot_support.h"
#include "ops/server_lock.h"

#include "api/rest_server.h"
#include "api/stream_signal.h"
#include "api/streams.h"
#include "api/tickets.h"
#include "app/builtin_workflows.h"
#include "app/sync_runner.h"
#include "app/task_env.h"
#include "auth/audit.h"
#include "auth/rate_limiter.h"
#include "auth/sessions.h"
#include "auth/tokens.h"
#include "config/schema.h"
#include "config/values.h"
#include "http/server.h"
#include "http/static_site.h"
#include "jobs/db_workflow.h"
#include "jobs/queue.h"
#include "mcp/server/mcp_server.h"
#include "mcp/tools/change_feed.h"
#include "mcp/tools/middleware.h"
#include "mcp/tools/tool_services.h"
#include "mcp/transport/http_transport.h"
#include "mcp/transport/stdio_transport.h"
#include "obs/catalog.h"
#include "obs/request_id.h"
#include "obs/store_metrics.h"
#include "search/traces.h"
#include "store/outbox_tail.h"
#include "sync/background_worker.h"

#ifndef DOCRUNCH_VERSION
#define DOCRUNCH_VERSION "0.0.0"
#endif

namespace docrunch::app {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_stop{false};

extern "C" void OnStopServeSignal(int) {
  g_stop = true;
}

struct ServeFlags {
  bool stdio = false;
  bool http = false;
  std::string host;
  int port = -1;  // -1: server.mcp.port; 0: any free port
  std::string api_host;
  int api_port = -1;  // -1: server.http.port; 0: any free port
  int max_message_kb = 4096;
};

// Everything a serving process shares between its sessions.
struct ServeEnv {
  ops::ServerLock server_lock;  // ops/server_lock.h
  TaskEnv tasks;
  mcp::ToolServices services;
  std::unique_ptr<ChatEnv> chat;  // MCP's ask and REST's /chat routes
  // REST's /snapshots (none when the snapshot settings cannot be read).
  std::optional<ops::SnapshotEnv> snapshots;
  mcp::Catalog catalog;
  std::unique_ptr<auth::AuditLog> audit;
  // Where MCP's and REST's searches leave their traces.
  std::unique_ptr<search::TraceLog> traces;
  std::unique_ptr<auth::RateLimiter> limiter;
  std::string redis_url;  // jobs.redis_url(_env); "" without Redis
  // The outbox as this process follows it (MCP resource notifications, the
  // WebSocket streams) and, with Redis, the signal that wakes every
  // process's tail after a write. Before everything that listens to it:
  // the listeners go first, then the tail's thread.
  std::unique_ptr<store::OutboxTail> tail;
  std::unique_ptr<api::StreamSignal> signal;
  // Before the feed, whose listener nudges it: the feed goes first, then
  // the worker (finishing its batch).
  std::unique_ptr<sync::BackgroundWorker> sync_worker;
  std::unique_ptr<mcp::ChangeFeed> feed;
  mcp::ServerOptions options;
  // Last, so stopped first: embedded mode's fast jobs, workflows and
  // schedules (commands.h).
  std::unique_ptr<InProcessJobs> jobs;

  // After a write of this process (MCP or REST): read the outbox now, and
  // tell the other processes to.
  void Wrote() {
    tail->Nudge();
    if (signal) signal->Announce();
  }
};

// Embedded mode: the server applies the outbox itself, every
// poll_interval_seconds and right after each write it makes (a tool that is
// not read-only) or notices (the change feed sees events of any process).
// Hosted mode leaves it to `docrunch worker start --queue sync`.
Result<void> StartSyncWorker(const config::Config& c, ServeEnv& env) {
  if (!c.storage.sync.enabled || c.security.mode == config::SecurityMode::kHosted) return Ok();
  SyncSetup setup{env.tasks.repository_id, env.tasks.docs_root, env.tasks.project_name};
  auto targets = MakeConfiguredTargets(c, setup);
  if (!targets) return targets.error();
  DOCRUNCH_TRY(PrepareWorker(*env.tasks.store, env.tasks.repository_id, env.tasks.docs_root,
                             env.tasks.repository_root, *targets));
  auto poll = std::chrono::seconds(std::max(1, c.storage.sync.poll_interval_seconds));
  env.sync_worker = std::make_unique<sync::BackgroundWorker>(
      *env.tasks.store, std::move(*targets), WorkerOptionsFor(c, env.tasks.repository_id), poll);
  sync::BackgroundWorker* worker = env.sync_worker.get();
  env.options.middleware.push_back([worker](mcp::ToolCall& call, const mcp::ToolNext& next) {
    mcp::ToolResult result = next(call);
    if (!call.tool.annotations.read_only && !result.error) worker->Nudge();
    return result;
  });
  env.feed->Add([worker](const std::vector<std::string>&, bool) { worker->Nudge(); });
  worker->Start();
  return Ok();
}

Result<std::unique_ptr<ServeEnv>> OpenServe(AppContext& ctx) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  const config::Config& c = (*loaded)->config;
  auto tasks = OpenTasks(ctx);
  if (!tasks) return tasks.error();
  DOCRUNCH_TRY(CheckSecretsAtStart(ctx));  // a wrong KMS key is found now, not at a first call
  auto env = std::make_unique<ServeEnv>();
  // Held while serving: a snapshot restore refuses to run meanwhile.
  // A project folder that cannot be written (a read-only checkout) serves
  // without it: no restore could write there either.
  auto lock = ops::HoldServerLock((*loaded)->project_root);
  if (lock) {
    env->server_lock = std::move(*lock);
  } else if (lock.error().code == ErrorCode::kIo) {
    spdlog::warn("{} (a snapshot restore cannot tell this server runs)", lock.error().message);
  } else {
    return lock.error();
  }
  env->tasks = std::move(*tasks);
  env->services = {
      env->tasks.store, env->tasks.repository_id, env->tasks.service.get(), env->tasks.docs_root,
      c.project.name.empty() ? (*loaded)->project_root.filename().string() : c.project.name};
  env->services.search.embedder = ConfiguredEmbedder(c);
  env->traces = std::make_unique<search::TraceLog>(*env->tasks.store);
  env->services.traces = env->traces.get();
  auto chat =
      OpenChat(ctx, *env->tasks.store, env->tasks.repository_id, env->services.search, false);
  if (!chat) return chat.error();
  env->chat = std::move(*chat);
  env->services.chat = env->chat->service.get();
  if (auto snapshots = SnapshotEnvFor(ctx)) {
    env->snapshots = std::move(*snapshots);
    env->services.snapshots = &*env->snapshots;
  } else {
    spdlog::warn("snapshots are not served: {}", snapshots.error().message);
  }
  env->catalog = mcp::BuildCatalog(env->services);
  env->audit = std::make_unique<auth::AuditLog>(*env->tasks.store, nullptr, c.audit.enabled);
  env->redis_url = RedisUrl(c, ctx.env());
  const std::string& redis = env->redis_url;
  if (!redis.empty()) {
    auto limiter = auth::MakeRedisRateLimiter(redis, c.server.mcp.rate_limit, ctx.clock(),
                                              c.jobs.queue_name + ":");
    if (!limiter) return limiter.error();
    env->limiter = std::move(*limiter);
  } else {
    env->limiter = auth::MakeLocalRateLimiter(c.server.mcp.rate_limit, ctx.clock());
  }
  // Without Redis the tail reads the outbox ten times a second (writes of
  // this process wake it at once): at 1,000 events a second from other
  // processes a read then holds about 100, within the 256 a stream client
  // may have waiting (at twice a second they overflowed into resyncs); with
  // Redis every process is woken by the
  // others' writes, and polling every storage.sync.poll_interval_seconds
  // only covers writes that announce nothing (the CLI).
  env->tail = std::make_unique<store::OutboxTail>(*env->tasks.store, env->tasks.repository_id);
  if (!redis.empty()) {
    store::OutboxTail* tail = env->tail.get();
    auto signal =
        api::StreamSignal::Connect(redis, c.jobs.queue_name + ":outbox", [tail] { tail->Nudge(); });
    if (!signal) return signal.error();
    env->signal = std::move(*signal);
  }
  DOCRUNCH_TRY(env->tail->Start(
      redis.empty()
          ? std::chrono::milliseconds(100)
          : std::chrono::milliseconds(1000 * std::max(1, c.storage.sync.poll_interval_seconds))));
  mcp::ToolServices* services = &env->services;
  env->feed = std::make_unique<mcp::ChangeFeed>(
      *env->tail, [services] { return mcp::ListedResourceUris(*services); });
  env->options.version = DOCRUNCH_VERSION;
  ServeEnv* self = env.get();
  obs::RegisterCatalog(DOCRUNCH_VERSION);
  env->options.middleware = {mcp::MetricsMiddleware(), mcp::AuditMiddleware(*env->audit),
                             mcp::RateLimitMiddleware(*env->limiter),
                             [self](mcp::ToolCall& call, const mcp::ToolNext& next) {
                               mcp::ToolResult result = next(call);
                               if (!call.tool.annotations.read_only && !result.error) {
                                 self->Wrote();
                               }
                               return result;
                             }};
  auth::AuditLog* audit = env->audit.get();
  env->options.on_connect = [audit](const mcp::Identity& who, const nlohmann::json& client) {
    audit->Record({who.agent_id,
                   "mcp.connect",
                   "",
                   "ok",
                   {{"client", client}, {"role", config::RoleName(who.role)}}});
  };
  DOCRUNCH_TRY(StartSyncWorker(c, *env));
  if (c.jobs.backend == config::JobsBackend::kInprocess && c.jobs.run_in_serve &&
      c.security.mode != config::SecurityMode::kHosted) {
    env->jobs = InProcessJobs::Start(ctx, 2);
  }
  return env;
}

// stdio: DOCRUNCH_AGENT_TOKEN names the agent; without one, a local
// session acts as role agent unless auth is on.
Result<mcp::Identity> StdioIdentity(AppContext& ctx, ServeEnv& env) {
  const config::Config& c = (*ctx.Config())->config;
  auto token = ctx.env().find("DOCRUNCH_AGENT_TOKEN");
  if (token == ctx.env().end() || token->second.empty()) {
    if (c.server.mcp.auth.enabled) {
      obs::CountAuthFailure("mcp_stdio");
      env.audit->Record({"anonymous",
                         "mcp.auth_failure",
                         "",
                         "MCP_UNAUTHORIZED",
                         {{"transport", "stdio"}, {"message", "no DOCRUNCH_AGENT_TOKEN"}}});
      return MakeError(ErrorCode::kUnauthorized,
                       "server.mcp.auth is on: set DOCRUNCH_AGENT_TOKEN to a token from "
                       "`docrunch token create`");
    }
    return mcp::Identity{};
  }
  auto info =
      auth::Authenticate(*env.tasks.store, token->second, c.server.mcp.auth.tokens, ctx.env());
  if (!info) {
    obs::CountAuthFailure("mcp_stdio");
    env.audit->Record({"anonymous",
                       "mcp.auth_failure",
                       "",
                       "MCP_UNAUTHORIZED",
                       {{"transport", "stdio"}, {"message", info.error().message}}});
    return MakeError(ErrorCode::kUnauthorized, "DOCRUNCH_AGENT_TOKEN: " + info.error().message);
  }
  // A stdio session lives as long as its client: a token revoked meanwhile
  // ends its requests (HTTP checks the token on every request). Tool calls
  // get a tool error through the middleware, other requests a JSON-RPC one.
  ServeEnv* e = &env;
  std::string presented = token->second;
  auth::TokenInfo who = *info;
  auto still_live = [e, presented, who](const std::string& what) -> std::optional<std::string> {
    auto live = auth::CheckStillLive(*e->tasks.store, who, presented);
    if (live) return std::nullopt;
    e->audit->Record({who.name,
                      "mcp.auth_failure",
                      what,
                      "MCP_UNAUTHORIZED",
                      {{"transport", "stdio"}, {"message", live.error().message}}});
    return "DOCRUNCH_AGENT_TOKEN: " + live.error().message;
  };
  env.options.middleware.insert(
      env.options.middleware.begin(),
      [still_live](mcp::ToolCall& call, const mcp::ToolNext& next) -> mcp::ToolResult {
        if (auto refused = still_live(call.tool.name)) {
          return mcp::ToolResult::Failure("MCP_UNAUTHORIZED", *refused);
        }
        return next(call);
      });
  env.options.authorize = [still_live]() -> std::optional<mcp::RpcError> {
    auto refused = still_live("");
    if (!refused) return std::nullopt;
    return mcp::RpcError{
        mcp::rpc::kInvalidRequest, "MCP_UNAUTHORIZED: " + *refused, {{"code", "MCP_UNAUTHORIZED"}}};
  };
  return mcp::Identity{info->name, info->role, true};
}

Result<void> RunStdio(AppContext& ctx, const ServeFlags& flags) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  if ((*loaded)->config.security.mode == config::SecurityMode::kHosted) {
    return MakeError(ErrorCode::kConfigInvalid,
                     "security.mode: hosted deployments serve MCP over HTTP only (stdio has no "
                     "per-request auth); run `docrunch serve --http`");
  }
  auto env = OpenServe(ctx);
  if (!env) return env.error();
  auto identity = StdioIdentity(ctx, **env);
  if (!identity) return identity.error();
  mcp::McpServer server((*env)->catalog, *identity, (*env)->options);
  int listener =
      (*env)->feed->Add([&server](const std::vector<std::string>& uris, bool list_changed) {
        server.ResourcesChanged(uris, list_changed);
      });
  std::signal(SIGTERM, OnStopServeSignal);
  std::signal(SIGINT, OnStopServeSignal);
  std::signal(SIGPIPE, SIG_IGN);
  mcp::StdioOptions options;
  options.max_message_bytes = static_cast<std::size_t>(flags.max_message_kb) * 1024;
  mcp::ServeStdio(server.session(), 0, 1, options, g_stop);
  (*env)->feed->Remove(listener);
  return Ok();
}

// The REST API of `serve --http`: its sessions (JWTs signed with the
// configured secret, or with auth off a random per-start secret and the
// per-start sign-in token) over the same services as MCP.
struct RestEnv {
  SystemClock clock;
  std::unique_ptr<auth::SessionService> sessions;
  std::string local_token;
  // The live streams: the hub and what feeds it from the process's tail.
  api::StreamHub hub;
  std::unique_ptr<api::OutboxStreamer> streamer;
  std::unique_ptr<api::TicketBook> tickets;      // in Redis, when configured
  std::unique_ptr<api::LoginThrottle> throttle;  // in Redis, when configured
  // Durable workflows for /api/workflows (started, listed, signalled and
  // cancelled here; run by `worker start --workflows`).
  std::unique_ptr<jobs::DbWorkflowEngine> workflows;
  // Records and budgets the provider tests made through /api/llm.
  std::unique_ptr<api::RestServer> server;
  // Publishes each query trace on the hub's `queries` channel while the
  // hub lives.
  search::TraceLog* traces = nullptr;
  int trace_listener = 0;
  // GET /metrics's figures read from the database at scrape time, and the
  // fast queue's depth read from the queue (Redis or the database).
  std::unique_ptr<obs::StoreMetrics> store_metrics;
  std::unique_ptr<jobs::FastQueue> fast_queue;
  int queue_collector = 0;
  ~RestEnv() {
    if (queue_collector) obs::DefaultRegistry().RemoveCollector(queue_collector);
    if (traces) traces->RemoveListener(trace_listener);
  }
};

// The sync targets this deployment runs, as MakeConfiguredTargets builds them.
std::vector<std::string> RunningTargets(const config::Config& c,
                                        const std::filesystem::path& docs) {
  std::vector<std::string> names;
  for (const auto& name : c.storage.sync.targets) {
    if (name == "markdown" && docs.empty()) continue;
    if (name == "lightrag" && !c.storage.lightrag.enabled) continue;
    names.push_back(name);
  }
  return names;
}

// The dashboard's files: server.http.web_root when set (an error when it
// holds no built dashboard), else the first folder beside the binary that
// does; none (the API alone) when there is none.
Result<std::shared_ptr<const http::StaticSite>> LoadDashboard(const config::LoadedConfig& loaded) {
  const std::string& configured = loaded.config.server.http.web_root;
  if (!configured.empty()) {
    fs::path root = fs::path(configured).is_absolute() ? fs::path(configured)
                                                       : loaded.project_root / configured;
    auto site = http::StaticSite::Load(root);
    if (!site) {
      return MakeError(ErrorCode::kConfigInvalid, "server.http.web_root: " + site.error().message);
    }
    return site;
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::shared_ptr<const http::StaticSite>();
  for (const fs::path& root :
       {exe.parent_path() / "web", exe.parent_path().parent_path() / "share/docrunch/web"}) {
    if (!fs::is_regular_file(root / "index.html", ec)) continue;
    auto site = http::StaticSite::Load(root);
    if (!site) return site.error();
    spdlog::info("dashboard: {} files from {}", (*site)->size(), root.string());
    return site;
  }
  spdlog::info("dashboard: not built (no web/index.html beside {}); serving the API alone",
               exe.string());
  return std::shared_ptr<const http::StaticSite>();
}

Result<std::unique_ptr<RestEnv>> OpenRest(AppContext& ctx, const ServeFlags& flags, ServeEnv& e) {
  const config::Config& c = (*ctx.Config())->config;
  const auto& h = c.server.http;
  auto rest = std::make_unique<RestEnv>();
  auth::SessionOptions session;
  session.access_ttl = std::chrono::duration_cast<std::chrono::seconds>(h.auth.access_ttl.value);
  session.refresh_ttl = std::chrono::duration_cast<std::chrono::seconds>(h.auth.refresh_ttl.value);
  session.allow_trusted = !h.auth.enabled;
  if (h.auth.enabled) {
    auto secret = ctx.env().find(h.auth.jwt_secret_env);
    if (secret == ctx.env().end() || secret->second.size() < 32) {
      return MakeError(ErrorCode::kConfigInvalid,
                       "server.http.auth.jwt_secret_env: the variable " + h.auth.jwt_secret_env +
                           " must hold a secret of at least 32 characters");
    }
    session.secret = secret->second;
  } else {
    session.secret = http::RandomHex(32);
    rest->local_token = http::RandomHex(24);
  }
  rest->sessions =
      std::make_unique<auth::SessionService>(*e.tasks.store, rest->clock, std::move(session));
  api::ApiServices services;
  services.store = e.tasks.store;
  services.repository_id = e.tasks.repository_id;
  services.tasks = e.tasks.service.get();
  services.search = e.services.search;
  services.docs_root = e.tasks.docs_root;
  services.version = DOCRUNCH_VERSION;
  services.base_path = h.base_path;
  services.audit = e.audit.get();
  services.sessions = rest->sessions.get();
  services.clock = &rest->clock;
  const config::Environment* environment = &ctx.env();
  const auto* configured = &c.server.mcp.auth.tokens;
  store::Store* store = e.tasks.store;
  services.authenticate_token = [store, environment, configured](const std::string& token) {
    return auth::Authenticate(*store, token, *configured, *environment);
  };
  rest->streamer = std::make_unique<api::OutboxStreamer>(*e.tail, *e.tasks.store,
                                                         e.tasks.repository_id, rest->hub);
  const std::string& redis = e.redis_url;
  if (!redis.empty()) {
    auto tickets = api::MakeRedisTicketBook(redis, c.jobs.queue_name + ":ws-ticket:");
    if (!tickets) return tickets.error();
    rest->tickets = std::move(*tickets);
    services.tickets = rest->tickets.get();
    auto throttle = api::MakeRedisLoginThrottle(redis, c.jobs.queue_name + ":login:", {});
    if (!throttle) return throttle.error();
    rest->throttle = std::move(*throttle);
    services.throttle = rest->throttle.get();
  }
  services.streams = &rest->hub;
  rest->workflows = std::make_unique<jobs::DbWorkflowEngine>(*e.tasks.store, rest->clock);
  const config::LoadedConfig& project = **ctx.Config();
  RegisterBuiltinWorkflows(*rest->workflows, *e.tasks.store, project.config, project.project_root,
                           e.tasks, e.chat->llm->gateway.get());
  services.workflows = rest->workflows.get();
  services.traces = e.traces.get();
  services.chat = e.chat ? e.chat->service.get() : nullptr;
  services.sync_targets = RunningTargets(c, e.tasks.docs_root);
  services.report_sla_seconds = c.storage.sync.report_sla_seconds;
  services.scan_sla_seconds = c.storage.sync.scan_sla_seconds;
  services.redis_url = redis;
  services.lightrag_enabled = c.storage.lightrag.enabled;
  services.lightrag.base_url = c.storage.lightrag.base_url;
  services.lightrag.timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(c.storage.lightrag.timeout.value);
  if (!c.storage.lightrag.api_key_env.empty()) {
    auto key = ctx.env().find(c.storage.lightrag.api_key_env);
    if (key != ctx.env().end()) services.lightrag.api_key = key->second;
  }
  services.cli_proxy_url = c.cli_proxy.url;
  if (auto url = ctx.env().find("CLI_PROXY_URL"); url != ctx.env().end() && !url->second.empty()) {
    services.cli_proxy_url = url->second;
  }
  if (auto key = ctx.env().find(c.cli_proxy.api_key_env); key != ctx.env().end()) {
    services.cli_proxy_api_key = key->second;
  }
  services.env = &ctx.env();
  services.kms_key_env = c.security.kms_key_env;
  services.cli_models_path = project.project_root / c.cli_proxy.models_file;
  // One cost ledger per server: the chat's (which every LLM call of this
  // process records through), for the provider tests of /api/llm too.
  services.llm_observer = e.chat->llm->costs.get();
  services.ledger = e.chat->llm->ledger.get();
  services.snapshots = e.snapshots ? &*e.snapshots : nullptr;
  rest->traces = e.traces.get();
  api::StreamHub* hub = &rest->hub;
  rest->trace_listener = e.traces->AddListener([hub](const search::QueryTrace& trace) {
    // The trace as JSON only for a listening stream: every search has one.
    if (!hub->Listened(api::kQueriesChannel)) return;
    hub->Publish(api::kQueriesChannel, "query.trace", search::ToJson(trace));
  });
  ServeEnv* env = &e;
  services.wrote = [env] {
    if (env->sync_worker) env->sync_worker->Nudge();
    env->Wrote();
  };
  api::RestOptions options;
  options.host = flags.api_host.empty() ? h.host : flags.api_host;
  options.port = flags.api_port >= 0 ? flags.api_port : h.port;
  options.base_path = h.base_path;
  options.cors_origins = h.cors_origins;
  options.ws_heartbeat = h.ws_heartbeat.value;
  options.auth_enabled = h.auth.enabled;
  options.local_token = rest->local_token;
  auto site = LoadDashboard(**ctx.Config());
  if (!site) return site.error();
  options.site = std::move(*site);
  if (!config::IsLoopbackHost(options.host) && !options.auth_enabled) {
    return MakeError(ErrorCode::kConfigInvalid,
                     "server.http.host: listening on " + options.host +
                         " (beyond loopback) needs server.http.auth.enabled: true");
  }
  obs::StoreMetricsOptions metrics;
  metrics.repository_id = services.repository_id;
  metrics.targets = services.sync_targets;
  metrics.report_sla_seconds = services.report_sla_seconds;
  metrics.scan_sla_seconds = services.scan_sla_seconds;
  rest->store_metrics =
      std::make_unique<obs::StoreMetrics>(obs::DefaultRegistry(), *e.tasks.store, metrics);
  if (auto queue = OpenFastQueue(ctx); queue) {
    rest->fast_queue = std::move(*queue);
    jobs::FastQueue* q = rest->fast_queue.get();
    rest->queue_collector = obs::DefaultRegistry().AddCollector(
        "docrunch_jobs", "Fast jobs by queue and status (waiting, taken, dead)",
        obs::MetricType::kGauge, {"backend", "queue", "status"}, obs::CachedCollector([q] {
          std::vector<obs::Sample> samples;
          std::string backend(q->Backend());
          for (const auto& name : FastQueueNames()) {
            auto counts = q->Counts(name);
            if (!counts) {
              spdlog::warn("metrics: counting the {} queue failed: {}", name,
                           counts.error().ToString());
              continue;
            }
            samples.push_back({{backend, name, "waiting"}, double(counts->waiting)});
            samples.push_back({{backend, name, "taken"}, double(counts->taken)});
            samples.push_back({{backend, name, "dead"}, double(counts->dead)});
          }
          return samples;
        }));
  } else {
    spdlog::warn("metrics: no fast-queue figures: {}", queue.error().ToString());
  }
  rest->server = std::make_unique<api::RestServer>(std::move(services), std::move(options));
  return rest;
}

// MCP's listener with the request id (taken from X-Request-Id or made, and
// returned) and its requests counted per method in the process's metrics.
// An SSE stream counts when it ends.
http::Listener InstrumentMcp(http::Listener listener) {
  auto metrics = std::make_shared<std::map<std::string, std::unique_ptr<obs::HttpRouteMetrics>>>();
  for (const char* method : {"GET", "POST", "DELETE", "OPTIONS", "other"}) {
    (*metrics)[method] = std::make_unique<obs::HttpRouteMetrics>("mcp", method, "/mcp");
  }
  listener.handler = [inner = std::move(listener.handler), metrics](
                         http::Request& req, http::Exchange& exchange) -> http::Response {
    const auto started = std::chrono::steady_clock::now();
    std::string id = obs::RequestIdFrom(req.Header("X-Request-Id"));
    obs::RequestIdScope scope(id);
    http::Response res = inner(req, exchange);
    res.Set("X-Request-Id", id);
    auto it = metrics->find(req.method);
    if (it == metrics->end()) it = metrics->find("other");
    it->second->Count(
        res.status,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return res;
  };
  return listener;
}

Result<void> RunHttp(AppContext& ctx, const ServeFlags& flags) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  const config::Config& c = (*loaded)->config;
  auto env = OpenServe(ctx);
  if (!env) return env.error();
  mcp::HttpOptions options;
  options.host = flags.host.empty() ? c.server.mcp.host : flags.host;
  options.port = flags.port >= 0 ? flags.port : c.server.mcp.port;
  options.max_body_bytes = static_cast<std::size_t>(flags.max_message_kb) * 1024;
  options.auth_enabled = c.server.mcp.auth.enabled;
  ServeEnv* e = env->get();
  const config::Environment* environment = &ctx.env();
  const auto* configured = &c.server.mcp.auth.tokens;
  options.authenticate = [e, environment,
                          configured](const std::string& token) -> Result<mcp::Identity> {
    auto info = auth::Authenticate(*e->tasks.store, token, *configured, *environment);
    if (!info) {
      obs::CountAuthFailure("mcp_http");
      e->audit->Record({"anonymous",
                        "mcp.auth_failure",
                        "",
                        "MCP_UNAUTHORIZED",
                        {{"transport", "http"}, {"message", info.error().message}}});
      return info.error();
    }
    return mcp::Identity{info->name, info->role, true};
  };
  options.header_timeout = c.server.mcp.header_timeout.value;
  options.session_idle = c.server.mcp.session_idle.value;
  options.make_server = [e](const mcp::Identity& who) {
    return std::make_shared<mcp::McpServer>(e->catalog, who, e->options);
  };
  // Each session gets the outbox's resource changes while it lives. The
  // listener holds the server weakly: a change that races the session's end
  // finds no server rather than a freed one.
  auto listeners = std::make_shared<std::map<const mcp::McpServer*, int>>();
  auto listeners_mutex = std::make_shared<std::mutex>();
  options.on_open = [e, listeners, listeners_mutex](const std::shared_ptr<mcp::McpServer>& server) {
    std::weak_ptr<mcp::McpServer> weak = server;
    int id = e->feed->Add([weak](const std::vector<std::string>& uris, bool list_changed) {
      if (auto live = weak.lock()) live->ResourcesChanged(uris, list_changed);
    });
    std::lock_guard lock(*listeners_mutex);
    (*listeners)[server.get()] = id;
  };
  options.on_close = [e, listeners,
                      listeners_mutex](const std::shared_ptr<mcp::McpServer>& server) {
    int id = 0;
    {
      std::lock_guard lock(*listeners_mutex);
      auto it = listeners->find(server.get());
      if (it == listeners->end()) return;
      id = it->second;
      listeners->erase(it);
    }
    e->feed->Remove(id);
  };
  std::vector<http::Listener> served;
  if (c.server.mcp.enabled) {
    auto mcp_listener = mcp::McpHttpListener(std::move(options), g_stop);
    if (!mcp_listener) return mcp_listener.error();
    served.push_back(InstrumentMcp(std::move(*mcp_listener)));
  }
  std::unique_ptr<RestEnv> rest;
  if (c.server.http.enabled) {
    auto opened = OpenRest(ctx, flags, *e);
    if (!opened) return opened.error();
    rest = std::move(*opened);
    served.push_back(rest->server->Listener());
  }
  if (served.empty()) {
    return MakeError(ErrorCode::kConfigInvalid,
                     "server.http.enabled and server.mcp.enabled are both false: nothing to serve");
  }
  std::signal(SIGTERM, OnStopServeSignal);
  std::signal(SIGINT, OnStopServeSignal);
  std::signal(SIGPIPE, SIG_IGN);
  const std::string* local_token = rest ? &rest->local_token : nullptr;
  std::string base = c.server.http.base_path;
  return http::Serve(served, g_stop, [local_token, base](const http::Listener& l, int port) {
    std::string url = "http://" + l.host + ":" + std::to_string(port);
    if (l.name == "MCP") {
      std::cerr << "docrunch: MCP over Streamable HTTP at " << url << "/mcp\n";
    } else if (local_token && !local_token->empty()) {
      std::cerr << "docrunch: REST API at " << url << base << "\n"
                << "docrunch: sign in to the dashboard at " << url << base
                << "/auth/local?token=" << *local_token << " (or send Authorization: Bearer "
                << *local_token << ")\n";
    } else {
      std::cerr << "docrunch: REST API at " << url << base << " (sign in: POST " << base
                << "/auth/login)\n";
    }
  });
}

}  // namespace

void RegisterServe(CLI::App& app, AppContext& ctx, Action& action) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* serve =
      app.add_subcommand("serve", "Serve MCP to agents, and with --http the REST API to people");
  auto* stdio = serve->add_flag("--stdio", flags->stdio,
                                "MCP over stdin/stdout (what a local agent launches)");
  auto* http = serve->add_flag(
      "--http", flags->http,
      "HTTP: the REST API on server.http.port and MCP over Streamable HTTP at /mcp");
  stdio->excludes(http);
  serve->add_option("--host", flags->host, "HTTP address (default server.mcp.host)");
  serve
      ->add_option("--port", flags->port,
                   "HTTP port (default server.mcp.port, 3334; 0: any free port)")
      ->check(CLI::Range(0, 65535));
  serve->add_option("--api-host", flags->api_host, "REST API address (default server.http.host)");
  serve
      ->add_option("--api-port", flags->api_port,
                   "REST API port (default server.http.port, 3333; 0: any free port)")
      ->check(CLI::Range(0, 65535));
  serve
      ->add_option("--max-message-kb", flags->max_message_kb,
                   "Largest message or request body accepted (default 4096)")
      ->check(CLI::Range(1, 262144));
  serve->callback([&ctx, &action, flags] {
    action = [&ctx, flags]() -> Result<void> {
      bool http = flags->http;
      if (!flags->stdio && !http) {
        auto loaded = ctx.Config();
        if (!loaded) return loaded.error();
        http = (*loaded)->config.server.mcp.transport == config::McpTransport::kHttp;
      }
      return http ? RunHttp(ctx, *flags) : RunStdio(ctx, *flags);
    };
  });
}

}  // namespace docrunch::app
