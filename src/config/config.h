// Docrunch's configuration as typed structs (PRODUCT §4).
//
// Every section of the contract is here, also those used by later
// subsystems, so that validation is complete from the first release: a
// setting that a later feature reads has already been checked at start-up.
// Defaults are the member initializers. The schema (key names, checks) is
// declared once in schema.cpp and drives loading, validation, `config show`
// and `config set`.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace docrunch::config {

// A duration written as "500ms", "30s", "30m", "24h", "7d" or "1h30m".
struct Duration {
  std::chrono::milliseconds value{0};
  std::string text;  // as written (or the default's spelling)
};

struct ProjectConfig {
  std::string name;
  std::string description;
  std::string version;
};

struct ScanningConfig {
  std::vector<std::string> languages;  // empty: every supported language
  std::vector<std::string> ignore;     // gitignore-style patterns
  int max_file_size_kb = 500;
  int parallel_workers = 0;  // 0: one per core
};

struct LightragConfig {
  bool enabled = false;
  std::string base_url = "http://127.0.0.1:9621";
  std::string api_key_env;  // optional: variable holding the API key
  int chunk_size = 1000;
  int chunk_overlap = 200;
  Duration timeout{std::chrono::seconds(30), "30s"};
};

struct SyncConfig {
  bool enabled = true;
  std::vector<std::string> targets{"index", "markdown"};
  int max_retries = 5;
  int backoff_seconds = 2;
  int max_backoff_seconds = 120;
  int report_sla_seconds = 60;
  int scan_sla_seconds = 300;
  int poll_interval_seconds = 5;
  bool prioritize_reports = true;
};

enum class StorageBackend { kSqlite, kPostgres };

struct StorageConfig {
  StorageBackend backend = StorageBackend::kSqlite;
  std::string sqlite_path = ".docrunch/docrunch.db";
  std::string postgres_url_env;  // variable holding the URL (may carry a password)
  std::string postgres_url;      // literal URL, never with a password
  int postgres_pool_size = 4;
  Duration connect_timeout{std::chrono::seconds(5), "5s"};
  std::string docs_output = "./docrunch-docs/";
  LightragConfig lightrag;
  SyncConfig sync;
};

struct SchedulerConfig {
  bool enabled = false;
  // The leading scheduler's lease: another takes over this long after the
  // leader stopped renewing it.
  Duration lease{std::chrono::seconds(15), "15s"};
  std::string scan_cron = "0 3 * * *";
  std::string sync_cron = "*/15 * * * *";
};

// One entry of jobs.schedules: `job` (a job type) fires at each tick of
// `cron`, with `input` (JSON object text) as its payload or workflow input.
struct ScheduleConfig {
  std::string name;  // unique among the schedules
  std::string cron;
  std::string job;
  std::string input = "{}";
};

enum class JobsBackend { kInprocess, kRedis };

struct JobsConfig {
  JobsBackend backend = JobsBackend::kInprocess;
  std::string redis_url_env;
  std::string redis_url;  // never with a password
  std::string queue_name = "docrunch";
  // A taken fast job not acknowledged within this goes to another worker.
  Duration visibility_timeout{std::chrono::seconds(30), "30s"};
  // With backend inprocess outside hosted mode, `serve` takes fast jobs,
  // runs durable workflows and fires the schedules itself; false leaves
  // them to `docrunch worker start --queue fast --workflows`.
  bool run_in_serve = true;
  SchedulerConfig scheduler;
  std::vector<ScheduleConfig> schedules;
};

struct TemporalConfig {
  std::string server_url = "127.0.0.1:7233";
  std::string namespace_name = "docrunch";
  std::string task_queue = "docrunch";
};

enum class WorkflowEngine { kDatabase, kTemporal };

struct WorkflowsConfig {
  WorkflowEngine engine = WorkflowEngine::kDatabase;
  // A run whose worker has not renewed its lease within this is taken over
  // by another worker (heartbeats every third of it).
  Duration lease{std::chrono::seconds(30), "30s"};
  TemporalConfig temporal;
};

struct WatchConfig {
  bool enabled = false;
  int debounce_ms = 500;
  std::vector<std::string> include;
};

struct TasksConfig {
  Duration claim_ttl{std::chrono::minutes(30), "30m"};
  int max_text_kb = 64;
};

struct HttpAuthConfig {
  bool enabled = false;
  std::string jwt_secret_env = "DOCRUNCH_JWT_SECRET";
  Duration access_ttl{std::chrono::hours(24), "24h"};
  Duration refresh_ttl{std::chrono::hours(24 * 7), "7d"};
};

struct HttpConfig {
  bool enabled = true;
  std::string host = "localhost";
  int port = 3333;
  std::string base_path = "/api";
  std::vector<std::string> cors_origins;
  // A quiet WebSocket stream sends a heartbeat message this often.
  Duration ws_heartbeat{std::chrono::seconds(15), "15s"};
  // The dashboard's built files; "" looks beside the binary (web/, then
  // ../share/docrunch/web/) and serves the API alone when none is there.
  std::string web_root;
  HttpAuthConfig auth;
};

struct RateLimitConfig {
  int queries_per_minute = 60;
  int writes_per_minute = 30;
  int max_tokens_per_request = 0;  // 0: no limit
};

enum class Role { kReader, kAgent, kAdmin };

// A token provisioned from the environment rather than `docrunch token create`.
struct McpTokenConfig {
  std::string name;
  Role role = Role::kAgent;
  std::string token_env;
};

struct McpAuthConfig {
  bool enabled = false;
  std::vector<McpTokenConfig> tokens;
};

enum class McpTransport { kStdio, kHttp };

struct McpConfig {
  bool enabled = true;
  McpTransport transport = McpTransport::kStdio;
  std::string host = "localhost";
  int port = 3334;
  // Streamable HTTP: a session unused this long ends (its id then gets
  // 404); a client must finish sending its request headers this fast.
  Duration session_idle{std::chrono::minutes(30), "30m"};
  Duration header_timeout{std::chrono::seconds(10), "10s"};
  RateLimitConfig rate_limit;
  McpAuthConfig auth;
};

struct ServerConfig {
  HttpConfig http;
  McpConfig mcp;
};

enum class SecurityMode { kLocal, kHosted };

struct SecurityConfig {
  std::string kms_key_env = "DOCRUNCH_KMS_KEY";
  SecurityMode mode = SecurityMode::kLocal;
};

struct ModelPrice {
  double input_per_1k = 0;   // USD per 1,000 input tokens
  double output_per_1k = 0;  // USD per 1,000 output tokens
};

struct LlmBudgets {
  double daily_usd = 0;  // 0: no budget
  double monthly_usd = 0;
};

struct LlmConfig {
  std::string default_profile = "chat";
  std::map<std::string, ModelPrice> pricing;  // model id -> price
  LlmBudgets budgets;
};

struct CostAlertsConfig {
  double daily_limit = 0;
  double monthly_limit = 0;
  std::vector<int> thresholds{80, 100};  // percent of a limit
};

enum class BudgetScope { kOverall, kAgent, kProvider };
enum class BudgetPeriod { kDay, kWeek, kMonth };

// One entry of cost.budgets: a spending limit per period (UTC days, weeks
// from Monday, calendar months) over all calls, one agent's or one
// provider's (`name`).
struct BudgetConfig {
  BudgetScope scope = BudgetScope::kOverall;
  std::string name;  // the agent id or provider name; empty for overall
  BudgetPeriod period = BudgetPeriod::kDay;
  double limit_usd = 0;
};

struct CostConfig {
  CostAlertsConfig alerts;
  // Refuse a call (LLM_BUDGET_EXCEEDED) that would take a budget past its
  // limit, before anything leaves the machine.
  bool hard_stop = false;
  std::vector<BudgetConfig> budgets;
};

struct AuditConfig {
  bool enabled = true;
};

struct AutoSnapshotConfig {
  bool on_scan = false;
  bool on_task_complete = false;
  bool before_migrate = true;
  bool before_restore = true;
};

struct RetentionConfig {
  int max_snapshots = 50;
  int max_age_days = 30;
  int keep_minimum = 5;
};

struct RollbackConfig {
  bool enabled = true;
  AutoSnapshotConfig auto_snapshot;
  RetentionConfig retention;
  std::string path = ".docrunch/snapshots/";
};

enum class Theme { kSystem, kLight, kDark };

struct DashboardConfig {
  Theme theme = Theme::kSystem;
};

enum class LogFormat { kText, kJson };

// An OpenAI-compatible embeddings endpoint (POST {base_url}/embeddings).
// Off by default; the key comes only from the variable named by
// api_key_env (none: no Authorization header, for local servers).
struct EmbeddingsConfig {
  bool enabled = false;
  std::string base_url = "http://127.0.0.1:8080/v1";
  std::string model = "text-embedding-3-small";
  std::string api_key_env;
  int dimensions = 0;  // 0: the model's own; else asked for and checked
  int batch_size = 64;
  Duration timeout{std::chrono::seconds(30), "30s"};
  // Not a key: the value of api_key_env, filled in by the loader. Never
  // shown, logged or written.
  std::string api_key;
};

struct SearchConfig {
  EmbeddingsConfig embeddings;
};

struct LoggingConfig {
  std::string level = "info";
  LogFormat format = LogFormat::kText;
};

// The host-side CLI proxy, `docrunch cli-proxy` (PRODUCT §14), and the
// proxy the system health view probes. The API key only ever comes from
// the variable named by api_key_env (unset or empty: no key, and then the
// proxy listens on loopback only).
struct CliProxyConfig {
  std::string host = "localhost";
  int port = 9999;
  std::string api_key_env = "CLI_PROXY_API_KEY";
  // A running proxy for the health view ("": none); CLI_PROXY_URL wins.
  std::string url;
  int max_concurrent = 4;     // CLI runs at once; more are answered 429
  int max_request_kb = 4160;  // request body limit (413 beyond): 4 MB of prompt + JSON
  int max_output_kb = 1024;   // a CLI's stdout kept; the rest is discarded
  Duration default_timeout{std::chrono::minutes(2), "2m"};
  Duration max_timeout{std::chrono::minutes(30), "30m"};
  // The model registry, relative to the project root (else the current
  // folder when cli-proxy runs outside a project).
  std::string models_file = ".docrunch/cli_models.json";
};

struct Config {
  ProjectConfig project;
  ScanningConfig scanning;
  StorageConfig storage;
  JobsConfig jobs;
  WorkflowsConfig workflows;
  WatchConfig watch;
  TasksConfig tasks;
  ServerConfig server;
  SecurityConfig security;
  LlmConfig llm;
  CostConfig cost;
  AuditConfig audit;
  RollbackConfig rollback;
  DashboardConfig dashboard;
  LoggingConfig logging;
  SearchConfig search;
  CliProxyConfig cli_proxy;
};

}  // namespace docrunch::config
