#include "config/schema.h"

#include <array>

namespace docrunch::config {
namespace {

using namespace std::chrono_literals;
using Kind = StringRule::Kind;

constexpr std::array<std::string_view, 2> kStorageBackends{"sqlite", "postgres"};
constexpr std::array<std::string_view, 2> kJobsBackends{"inprocess", "redis"};
constexpr std::array<std::string_view, 3> kBudgetScopes{"overall", "agent", "provider"};
constexpr std::array<std::string_view, 3> kBudgetPeriods{"day", "week", "month"};
constexpr std::array<std::string_view, 2> kWorkflowEngines{"database", "temporal"};
constexpr std::array<std::string_view, 2> kTransports{"stdio", "http"};
constexpr std::array<std::string_view, 2> kModes{"local", "hosted"};
constexpr std::array<std::string_view, 3> kRoles{"reader", "agent", "admin"};
constexpr std::array<std::string_view, 3> kThemes{"system", "light", "dark"};
constexpr std::array<std::string_view, 2> kLogFormats{"text", "json"};

constexpr IntRange kPort{1, 65535};
constexpr IntRange kPercent{0, 100};
constexpr IntRange kPositive{1, 1'000'000};
constexpr IntRange kNonNegative{0, 1'000'000'000};
constexpr RealRange kMoney{0, 1e9};

StringRule Rule(Kind kind) {
  return {kind, {}, {}};
}

const StringRule kAnyText = Rule(Kind::kAny);
const StringRule kEnvName = Rule(Kind::kEnvName);
const StringRule kCron = Rule(Kind::kCron);
const StringRule kHost = Rule(Kind::kHost);
const StringRule kPath = Rule(Kind::kPath);
const StringRule kName = Rule(Kind::kIdentifier);

StringRule Url(std::vector<std::string> schemes) {
  return {Kind::kUrl, std::move(schemes), {}};
}
StringRule OneOf(std::vector<std::string> values) {
  return {Kind::kAny, {}, std::move(values)};
}

template <class E, std::size_t N>
void Enum(SchemaVisitor& v, std::string_view key, E& value,
          const std::array<std::string_view, N>& names) {
  int index = static_cast<int>(value);
  v.Choice(key, index, names);
  value = static_cast<E>(index);
}

template <class T, class Fn>
void Nested(SchemaVisitor& v, std::string_view key, T& section, Fn fn) {
  v.Section(key, [&](SchemaVisitor& sub) { fn(sub, section); });
}

void VisitProject(SchemaVisitor& v, ProjectConfig& c) {
  v.String("name", c.name, kAnyText);
  v.String("description", c.description, kAnyText);
  v.String("version", c.version, kAnyText);
}

void VisitScanning(SchemaVisitor& v, ScanningConfig& c) {
  v.StringList("languages", c.languages,
               OneOf({"python", "typescript", "tsx", "javascript", "jsx", "go", "rust", "java", "c",
                      "cpp", "csharp", "ruby", "php", "bash", "sql", "css", "scss"}));
  v.StringList("ignore", c.ignore, kAnyText);
  v.Int("max_file_size_kb", c.max_file_size_kb, {1, 1'048'576});
  v.Int("parallel_workers", c.parallel_workers, {0, 256});
}

void VisitLightrag(SchemaVisitor& v, LightragConfig& c) {
  v.Bool("enabled", c.enabled);
  v.String("base_url", c.base_url, Url({"http", "https"}));
  v.String("api_key_env", c.api_key_env, kEnvName);
  v.Int("chunk_size", c.chunk_size, {100, 100'000});
  v.Int("chunk_overlap", c.chunk_overlap, {0, 50'000});
  v.Time("timeout", c.timeout, {1s, 10min});
}

void VisitSync(SchemaVisitor& v, SyncConfig& c) {
  v.Bool("enabled", c.enabled);
  v.StringList("targets", c.targets, OneOf({"index", "markdown", "lightrag"}));
  v.Int("max_retries", c.max_retries, {0, 100});
  v.Int("backoff_seconds", c.backoff_seconds, {1, 3600});
  v.Int("max_backoff_seconds", c.max_backoff_seconds, {1, 86400});
  v.Int("report_sla_seconds", c.report_sla_seconds, {1, 86400});
  v.Int("scan_sla_seconds", c.scan_sla_seconds, {1, 86400});
  v.Int("poll_interval_seconds", c.poll_interval_seconds, {1, 3600});
  v.Bool("prioritize_reports", c.prioritize_reports);
}

void VisitStorage(SchemaVisitor& v, StorageConfig& c) {
  Enum(v, "backend", c.backend, kStorageBackends);
  v.String("sqlite_path", c.sqlite_path, kPath);
  v.String("postgres_url_env", c.postgres_url_env, kEnvName);
  v.String("postgres_url", c.postgres_url, Url({"postgres", "postgresql"}));
  v.Int("postgres_pool_size", c.postgres_pool_size, {1, 256});
  v.Time("connect_timeout", c.connect_timeout, {1s, 5min});
  v.String("docs_output", c.docs_output, kPath);
  Nested(v, "lightrag", c.lightrag, VisitLightrag);
  Nested(v, "sync", c.sync, VisitSync);
}

void VisitJobs(SchemaVisitor& v, JobsConfig& c) {
  Enum(v, "backend", c.backend, kJobsBackends);
  v.String("redis_url_env", c.redis_url_env, kEnvName);
  v.String("redis_url", c.redis_url, Url({"redis"}));
  v.String("queue_name", c.queue_name, kName);
  v.Time("visibility_timeout", c.visibility_timeout, {1s, std::chrono::hours(24)});
  v.Bool("run_in_serve", c.run_in_serve);
  Nested(v, "scheduler", c.scheduler, [](SchemaVisitor& s, SchedulerConfig& sc) {
    s.Bool("enabled", sc.enabled);
    s.Time("lease", sc.lease, {2s, 10min});
    s.String("scan_cron", sc.scan_cron, kCron);
    s.String("sync_cron", sc.sync_cron, kCron);
  });
  v.SectionList(
      "schedules", c.schedules.size(), [&](std::size_t n) { c.schedules.resize(n); },
      [&](std::size_t i, SchemaVisitor& s) {
        s.String("name", c.schedules[i].name, kName);
        s.String("cron", c.schedules[i].cron, kCron);
        s.String("job", c.schedules[i].job, OneOf(JobTypeNames()));
        s.String("input", c.schedules[i].input, Rule(Kind::kJsonObject));
      });
}

void VisitWorkflows(SchemaVisitor& v, WorkflowsConfig& c) {
  Enum(v, "engine", c.engine, kWorkflowEngines);
  v.Time("lease", c.lease, {1s, std::chrono::hours(1)});
  Nested(v, "temporal", c.temporal, [](SchemaVisitor& s, TemporalConfig& t) {
    s.String("server_url", t.server_url, Rule(Kind::kHostPort));
    s.String("namespace", t.namespace_name, kName);
    s.String("task_queue", t.task_queue, kName);
  });
}

void VisitWatch(SchemaVisitor& v, WatchConfig& c) {
  v.Bool("enabled", c.enabled);
  v.Int("debounce_ms", c.debounce_ms, {10, 60'000});
  v.StringList("include", c.include, kAnyText);
}

void VisitTasks(SchemaVisitor& v, TasksConfig& c) {
  v.Time("claim_ttl", c.claim_ttl, {1min, std::chrono::hours(24 * 30)});
  v.Int("max_text_kb", c.max_text_kb, {1, 10'240});
}

void VisitHttp(SchemaVisitor& v, HttpConfig& c) {
  v.Bool("enabled", c.enabled);
  v.String("host", c.host, kHost);
  v.Int("port", c.port, kPort);
  v.String("base_path", c.base_path, Rule(Kind::kUrlPath));
  v.StringList("cors_origins", c.cors_origins, Url({"http", "https"}));
  v.Time("ws_heartbeat", c.ws_heartbeat, {std::chrono::milliseconds(100), std::chrono::minutes(5)});
  v.String("web_root", c.web_root, kPath);
  Nested(v, "auth", c.auth, [](SchemaVisitor& s, HttpAuthConfig& a) {
    s.Bool("enabled", a.enabled);
    s.String("jwt_secret_env", a.jwt_secret_env, kEnvName);
    s.Time("access_ttl", a.access_ttl, {1min, std::chrono::hours(24 * 30)});
    s.Time("refresh_ttl", a.refresh_ttl, {1min, std::chrono::hours(24 * 365)});
  });
}

void VisitMcp(SchemaVisitor& v, McpConfig& c) {
  v.Bool("enabled", c.enabled);
  Enum(v, "transport", c.transport, kTransports);
  v.String("host", c.host, kHost);
  v.Int("port", c.port, kPort);
  v.Time("session_idle", c.session_idle, {1s, std::chrono::hours(24)});
  v.Time("header_timeout", c.header_timeout, {100ms, 5min});
  Nested(v, "rate_limit", c.rate_limit, [](SchemaVisitor& s, RateLimitConfig& r) {
    // 0: no limit (the rate limiter admits every call).
    s.Int("queries_per_minute", r.queries_per_minute, kNonNegative);
    s.Int("writes_per_minute", r.writes_per_minute, kNonNegative);
    s.Int("max_tokens_per_request", r.max_tokens_per_request, kNonNegative);
  });
  Nested(v, "auth", c.auth, [](SchemaVisitor& s, McpAuthConfig& a) {
    s.Bool("enabled", a.enabled);
    s.SectionList(
        "tokens", a.tokens.size(), [&](std::size_t n) { a.tokens.resize(n); },
        [&](std::size_t i, SchemaVisitor& t) {
          t.String("name", a.tokens[i].name, kName);
          Enum(t, "role", a.tokens[i].role, kRoles);
          t.String("token_env", a.tokens[i].token_env, kEnvName);
        });
  });
}

void VisitLlm(SchemaVisitor& v, LlmConfig& c) {
  v.String("default_profile", c.default_profile,
           OneOf({"manager", "librarian", "qa", "security", "ui_ux", "chat", "analyzer"}));
  std::vector<std::string> models;
  for (const auto& [model, price] : c.pricing) models.push_back(model);
  v.SectionMap(
      "pricing", models, [&](const std::string& model) { c.pricing[model]; },
      [&](const std::string& model, SchemaVisitor& p) {
        p.Real("input_per_1k", c.pricing[model].input_per_1k, kMoney);
        p.Real("output_per_1k", c.pricing[model].output_per_1k, kMoney);
      });
  Nested(v, "budgets", c.budgets, [](SchemaVisitor& s, LlmBudgets& b) {
    s.Real("daily_usd", b.daily_usd, kMoney);
    s.Real("monthly_usd", b.monthly_usd, kMoney);
  });
}

void VisitCost(SchemaVisitor& v, CostConfig& c) {
  Nested(v, "alerts", c.alerts, [](SchemaVisitor& s, CostAlertsConfig& a) {
    s.Real("daily_limit", a.daily_limit, kMoney);
    s.Real("monthly_limit", a.monthly_limit, kMoney);
    s.IntList("thresholds", a.thresholds, {1, 1000});
  });
  v.Bool("hard_stop", c.hard_stop);
  v.SectionList(
      "budgets", c.budgets.size(), [&](std::size_t n) { c.budgets.resize(n); },
      [&](std::size_t i, SchemaVisitor& s) {
        Enum(s, "scope", c.budgets[i].scope, kBudgetScopes);
        s.String("name", c.budgets[i].name, kName);
        Enum(s, "period", c.budgets[i].period, kBudgetPeriods);
        s.Real("limit_usd", c.budgets[i].limit_usd, kMoney);
      });
}

void VisitRollback(SchemaVisitor& v, RollbackConfig& c) {
  v.Bool("enabled", c.enabled);
  Nested(v, "auto_snapshot", c.auto_snapshot, [](SchemaVisitor& s, AutoSnapshotConfig& a) {
    s.Bool("on_scan", a.on_scan);
    s.Bool("on_task_complete", a.on_task_complete);
    s.Bool("before_migrate", a.before_migrate);
    s.Bool("before_restore", a.before_restore);
  });
  Nested(v, "retention", c.retention, [](SchemaVisitor& s, RetentionConfig& r) {
    s.Int("max_snapshots", r.max_snapshots, {1, 10'000});
    s.Int("max_age_days", r.max_age_days, {1, 3650});
    s.Int("keep_minimum", r.keep_minimum, {0, 10'000});
  });
  v.String("path", c.path, kPath);
}

}  // namespace

void VisitConfig(SchemaVisitor& v, Config& c) {
  Nested(v, "project", c.project, VisitProject);
  Nested(v, "scanning", c.scanning, VisitScanning);
  Nested(v, "storage", c.storage, VisitStorage);
  Nested(v, "jobs", c.jobs, VisitJobs);
  Nested(v, "workflows", c.workflows, VisitWorkflows);
  Nested(v, "watch", c.watch, VisitWatch);
  Nested(v, "tasks", c.tasks, VisitTasks);
  v.Section("server", [&](SchemaVisitor& s) {
    Nested(s, "http", c.server.http, VisitHttp);
    Nested(s, "mcp", c.server.mcp, VisitMcp);
  });
  Nested(v, "security", c.security, [](SchemaVisitor& s, SecurityConfig& sc) {
    s.String("kms_key_env", sc.kms_key_env, kEnvName);
    Enum(s, "mode", sc.mode, kModes);
  });
  Nested(v, "llm", c.llm, VisitLlm);
  Nested(v, "cost", c.cost, VisitCost);
  Nested(v, "audit", c.audit,
         [](SchemaVisitor& s, AuditConfig& a) { s.Bool("enabled", a.enabled); });
  Nested(v, "rollback", c.rollback, VisitRollback);
  Nested(v, "dashboard", c.dashboard,
         [](SchemaVisitor& s, DashboardConfig& d) { Enum(s, "theme", d.theme, kThemes); });
  Nested(v, "logging", c.logging, [](SchemaVisitor& s, LoggingConfig& l) {
    s.String("level", l.level, Rule(Kind::kLogLevel));
    Enum(s, "format", l.format, kLogFormats);
  });
  v.Section("search", [&](SchemaVisitor& s) {
    Nested(s, "embeddings", c.search.embeddings, [](SchemaVisitor& e, EmbeddingsConfig& ec) {
      e.Bool("enabled", ec.enabled);
      e.String("base_url", ec.base_url, Url({"http", "https"}));
      e.String("model", ec.model, kAnyText);
      e.String("api_key_env", ec.api_key_env, kEnvName);
      e.Int("dimensions", ec.dimensions, {0, 16'384});
      e.Int("batch_size", ec.batch_size, {1, 2048});
      e.Time("timeout", ec.timeout, {1s, 10min});
    });
  });
  Nested(v, "cli_proxy", c.cli_proxy, [](SchemaVisitor& s, CliProxyConfig& p) {
    s.String("host", p.host, kHost);
    s.Int("port", p.port, kPort);
    s.String("api_key_env", p.api_key_env, kEnvName);
    s.String("url", p.url, Url({"http", "https"}));
    s.Int("max_concurrent", p.max_concurrent, {1, 256});
    s.Int("max_request_kb", p.max_request_kb, {1, 65'536});
    s.Int("max_output_kb", p.max_output_kb, {1, 65'536});
    s.Time("default_timeout", p.default_timeout, {1s, std::chrono::hours(24)});
    s.Time("max_timeout", p.max_timeout, {1s, std::chrono::hours(24)});
    s.String("models_file", p.models_file, kPath);
  });
}

const std::vector<std::string>& JobTypeNames() {
  static const std::vector<std::string> kNames{
      "analysis", "ai-task",      "demo",      "embeddings", "index-file",
      "mark",     "publish-task", "repo-scan", "snapshot",   "sync-apply"};
  return kNames;
}

std::string_view StorageBackendName(StorageBackend v) {
  return kStorageBackends[int(v)];
}
std::string_view McpTransportName(McpTransport v) {
  return kTransports[int(v)];
}
std::string_view SecurityModeName(SecurityMode v) {
  return kModes[int(v)];
}
std::string_view RoleName(Role v) {
  return kRoles[int(v)];
}

bool LooksLikeSecretKey(std::string_view key) {
  for (std::string_view word : {"password", "passwd", "secret", "token", "api_key", "apikey",
                                "private_key", "kms_key", "credential"}) {
    if (key.find(word) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace docrunch::config
