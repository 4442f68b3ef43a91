// RunDoctor: gathers each check's inputs (the database once, the
// snapshots, the health of every backend) and runs the checks.
#include <algorithm>

#include "auth/redis.h"
#include "ops/doctor.h"
#include "ops/snapshots.h"
#include "store/postgres/pg_url.h"

namespace docrunch::ops {
namespace {

// The host of an http(s)://host:port/... URL.
std::string UrlHost(const std::string& url) {
  auto start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  auto end = url.find_first_of("/?#", start);
  std::string authority =
      url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  if (!authority.empty() && authority[0] == '[')
    return authority.substr(0, authority.find(']') + 1);
  return authority.substr(0, authority.find(':'));
}

std::vector<Check> Listeners(const DoctorInputs& in) {
  const config::Config& c = in.loaded->config;
  std::vector<Check> out;
  if (c.server.http.enabled) {
    out.push_back(CheckListener("rest", c.server.http.host, in.hosted, c.server.http.auth.enabled));
  }
  if (c.server.mcp.enabled && c.server.mcp.transport == config::McpTransport::kHttp) {
    out.push_back(CheckListener("mcp", c.server.mcp.host, in.hosted, c.server.mcp.auth.enabled));
  }
  if (in.store_options.backend == store::StoreOptions::Backend::kPostgres) {
    auto endpoint = store::ParsePostgresUrl(in.store_options.postgres_url);
    out.push_back(endpoint ? CheckListener("postgresql", endpoint->host, in.hosted, true)
                           : Fail("listener:postgresql", "the PostgreSQL URL cannot be parsed",
                                  "fix storage.postgres_url(_env)"));
  }
  if (!in.redis_url.empty()) {
    auto target = auth::ParseRedisUrl(in.redis_url);
    out.push_back(
        target
            ? CheckListener("redis", target->host, in.hosted, !target->password.empty())
            : Fail("listener:redis", "the Redis URL cannot be parsed", "fix jobs.redis_url(_env)"));
  }
  auto proxy = in.env->find("CLI_PROXY_URL");
  if (proxy != in.env->end() && !proxy->second.empty()) {
    out.push_back(CheckListener("cli-proxy", UrlHost(proxy->second), in.hosted,
                                in.env->count("CLI_PROXY_API_KEY") > 0));
  }
  return out;
}

std::optional<std::int64_t> ProviderCount(store::Store& store) {
  auto tables = store.ListTables();
  if (!tables) return std::nullopt;
  const bool has = std::any_of(tables->begin(), tables->end(),
                               [](const store::TableInfo& t) { return t.name == "llm_providers"; });
  if (!has) return std::nullopt;
  auto n = store.Query("SELECT count(*) AS n FROM llm_providers");
  if (!n) return std::nullopt;
  return n->Int(0, "n").value_or(0);
}

}  // namespace

std::vector<Check> RunDoctor(const DoctorInputs& in) {
  static const SystemClock system_clock;
  const Clock& clock = in.clock ? *in.clock : system_clock;
  const config::Config& c = in.loaded->config;
  std::vector<Check> checks;

  auto opened = store::OpenStore(in.store_options);
  store::Store* store = opened ? opened->get() : nullptr;
  Result<store::SchemaStatus> status =
      store ? store->Status() : Result<store::SchemaStatus>(opened.error());
  checks.push_back(CheckSchema(status));
  checks.push_back(CheckAudit(c, in.hosted));
  checks.push_back(CheckCostBudgets(c, store && status ? ProviderCount(*store) : std::nullopt));

  SnapshotEnv snap;
  snap.snapshots_dir = in.snapshots_dir;
  auto list = ListSnapshots(snap);
  std::optional<TimePoint> newest;
  std::uint64_t last_size = 0;
  if (list && !list->snapshots.empty()) {
    newest = ParseIso8601(list->snapshots.back().manifest.created_at);
    last_size = list->snapshots.back().archive_size;
  }
  checks.push_back(CheckSnapshotAge(c.rollback, newest, clock.Now()));
  checks.push_back(CheckSnapshotDisk(in.snapshots_dir, last_size));

  for (auto& l : Listeners(in)) checks.push_back(std::move(l));
  checks.push_back(CheckTlsProxy(in.public_url, in.ca_file, in.hosted, in.timeout));
  checks.push_back(CheckKmsKey(c, *in.env, in.hosted,
                               store && status && status->pending.empty() ? store : nullptr));
  checks.push_back(CheckMcpTransport(c, in.hosted));
  checks.push_back(CheckReaderRole(in.tools));

  if (!store || !status || status->current_version == 0) {
    const std::string why = !store    ? opened.error().message
                            : !status ? status.error().message
                                      : "the database has no schema yet";
    checks.push_back(Fail("backend:database", "down: " + why,
                          "start the database or fix storage.*; docrunch db migrate"));
    return checks;
  }
  auto repo = CurrentRepository(*store, in.project_root);
  obs::HealthOptions health;
  health.store = store;
  health.repository_id = repo ? repo->id : 0;
  health.redis_url = in.redis_url;
  health.lightrag_enabled = c.storage.lightrag.enabled;
  health.lightrag.base_url = c.storage.lightrag.base_url;
  health.lightrag.timeout =
      std::min<std::chrono::milliseconds>(c.storage.lightrag.timeout.value, in.timeout);
  if (auto key = in.env->find(c.storage.lightrag.api_key_env); key != in.env->end()) {
    health.lightrag.api_key = key->second;
  }
  health.docs_root = in.docs_root;
  health.targets = c.storage.sync.targets;
  health.clock = &clock;
  for (auto& b : CheckBackends(obs::CheckAll(health))) checks.push_back(std::move(b));
  if (!repo) {
    checks.push_back(Pass("outbox_lag", "skipped: the project has not been scanned"));
  } else {
    checks.push_back(CheckOutboxLag(sync::LoadSyncStatus(
        *store, repo->id, c.storage.sync.targets,
        {c.storage.sync.report_sla_seconds, c.storage.sync.scan_sla_seconds}, clock.Now())));
  }
  return checks;
}

}  // namespace docrunch::ops
