#include "obs/health.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "auth/redis.h"
#include "cli_bridge/proxy_probe.h"
#include "llm/key_check.h"
#include "sync/dataflow.h"

namespace docrunch::obs {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

double MsSince(Steady::time_point start) {
  double ms = std::chrono::duration<double, std::milli>(Steady::now() - start).count();
  return std::round(ms * 1000) / 1000;
}

bool Has(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

void Database(const HealthOptions& o, BackendHealth& h) {
  auto start = Steady::now();
  auto ping = o.store->Query("SELECT 1 AS one");
  h.latency_ms = MsSince(start);
  h.detail = o.store->Location();
  if (!ping) {
    h.status = "down";
    h.last_error = ping.error().message;
    return;
  }
  auto counts = sync::CountSourceRows(*o.store, o.repository_id);
  if (!counts) {
    h.status = "degraded";
    h.last_error = counts.error().message;
    return;
  }
  std::int64_t rows = 0;
  for (const auto& [table, n] : *counts) rows += n;
  h.records = rows;
  h.status = "healthy";
}

void Redis(const HealthOptions& o, BackendHealth& h) {
  if (o.redis_url.empty()) {
    h.status = "not_configured";
    h.detail = "jobs.redis_url / jobs.redis_url_env is not set";
    return;
  }
  auto target = auth::ParseRedisUrl(o.redis_url);
  if (!target) {
    h.status = "down";
    h.last_error = target.error().message;
    return;
  }
  h.detail = target->where();
  auto start = Steady::now();
  auto context = auth::ConnectRedis(*target);  // connects, logs in and PINGs
  h.latency_ms = MsSince(start);
  if (!context) {
    h.status = "down";
    h.last_error = context.error().message;
    return;
  }
  auto* reply = static_cast<redisReply*>(redisCommand(context->get(), "DBSIZE"));
  if (reply && reply->type == REDIS_REPLY_INTEGER) h.records = reply->integer;
  if (reply) freeReplyObject(reply);
  h.status = "healthy";
}

void LightRag(const HealthOptions& o, BackendHealth& h) {
  if (!o.lightrag_enabled) {
    h.status = "not_configured";
    h.detail = "storage.lightrag.enabled is false";
    return;
  }
  h.detail = o.lightrag.base_url;
  sync::LightRagClient client(o.lightrag);
  auto start = Steady::now();
  auto answer = client.Health();
  h.latency_ms = MsSince(start);
  auto documents = sync::CountLightRagDocuments(*o.store, o.repository_id);
  if (documents) h.records = *documents;
  if (!answer) {
    h.status = "down";
    h.last_error = answer.error().message;
    return;
  }
  h.status = Has(o.targets, "lightrag") ? "healthy" : "degraded";
  if (h.status == "degraded") h.last_error = "lightrag is not in storage.sync.targets";
}

// The folder must exist and be writable (or be creatable: its parent
// writable); the markdown target's failed and dead-letter entries make it
// degraded.
void Markdown(const HealthOptions& o, BackendHealth& h) {
  namespace fs = std::filesystem;
  if (o.docs_root.empty() || !Has(o.targets, "markdown")) {
    h.status = "not_configured";
    h.detail = "markdown is not in storage.sync.targets";
    return;
  }
  h.detail = o.docs_root.string();
  auto start = Steady::now();
  std::error_code ec;
  bool exists = fs::is_directory(o.docs_root, ec);
  fs::path parent = fs::absolute(o.docs_root, ec).parent_path();
  bool writable =
      exists ? ::access(o.docs_root.c_str(), W_OK) == 0 : ::access(parent.c_str(), W_OK) == 0;
  h.records = sync::CountMarkdownPages(o.docs_root);
  h.latency_ms = MsSince(start);
  if (!writable) {
    h.status = "down";
    h.last_error = (exists ? o.docs_root : parent).string() + " is not writable";
    return;
  }
  auto stuck = o.store->Query(
      "SELECT status, COUNT(*) AS n, MAX(last_error) AS last_error FROM storage_sync WHERE "
      "repository_id = $1 AND target = 'markdown' AND status IN ('failed', 'dead_letter') "
      "GROUP BY status ORDER BY status",
      {o.repository_id});
  if (!stuck) {
    h.status = "unknown";
    h.last_error = stuck.error().message;
    return;
  }
  h.status = exists ? "healthy" : "degraded";
  if (!exists) h.last_error = "the folder does not exist yet (the next render creates it)";
  for (std::size_t i = 0; i < stuck->size(); ++i) {
    h.status = "degraded";
    h.last_error = std::to_string(stuck->Int(i, "n").value_or(0)) + " " +
                   stuck->Text(i, "status").value_or("") + " page update(s); last error: " +
                   stuck->Text(i, "last_error").value_or("none recorded");
  }
}

// GET /health of the proxy: healthy when it answers and finds at least one
// CLI, degraded when it finds none, down when it does not answer.
void CliProxy(const HealthOptions& o, BackendHealth& h) {
  if (o.cli_proxy_url.empty()) {
    h.status = "not_configured";
    h.detail =
        "no CLI proxy: set cli_proxy.url or CLI_PROXY_URL to the one `docrunch cli-proxy` runs";
    return;
  }
  h.detail = o.cli_proxy_url;
  auto start = Steady::now();
  auto answer = cli_bridge::ProbeProxyHealth({o.cli_proxy_url, o.cli_proxy_api_key});
  h.latency_ms = MsSince(start);
  if (!answer) {
    h.status = "down";
    h.last_error = answer.error().message;
    return;
  }
  std::int64_t available = 0;
  std::string found;
  for (const auto& [cli, status] : (*answer)["clis"].items()) {
    if (!status.is_object() || !status.value("available", false)) continue;
    ++available;
    const auto& version = status.contains("version") ? status["version"] : json();
    found += (found.empty() ? "" : ", ") + cli +
             (version.is_string() ? " " + version.get<std::string>() : std::string());
  }
  h.records = available;
  if (!found.empty()) h.detail += " (" + found + ")";
  h.status = available > 0 ? "healthy" : "degraded";
  if (available == 0) h.last_error = "the proxy finds none of gemini, claude, codex on its host";
}

// The KMS key against the sealed check value of the stored secrets (the
// check `serve` runs at start-up and doctor's kms_key runs): healthy when it
// opens it, down when the key is missing, malformed or wrong, not_configured
// while no secret is stored. `records`: the sealed secrets.
void Kms(const HealthOptions& o, BackendHealth& h) {
  if (o.env == nullptr) {
    h.status = "not_configured";
    h.detail = "this process does not use provider secrets";
    return;
  }
  auto start = Steady::now();
  llm::KeyStatus key = llm::CheckKey(*o.store, *o.env, o.kms_key_env);
  h.latency_ms = MsSince(start);
  using State = llm::KeyStatus::State;
  switch (key.state) {
    case State::kVerified:
      h.status = "healthy";
      h.detail = key.message;
      break;
    case State::kNothingSealed:
      h.status = "not_configured";
      h.detail = key.message;
      break;
    case State::kUnknown:
      h.status = "unknown";
      h.last_error = key.message;
      break;
    default:  // not set, malformed, wrong
      h.status = "down";
      h.last_error = key.message;
      h.detail = "security.kms_key_env: " + o.kms_key_env;
      break;
  }
  auto sealed = o.store->Query(
      "SELECT (SELECT COUNT(*) FROM llm_providers WHERE api_key IS NOT NULL) + (SELECT COUNT(*) "
      "FROM llm_providers WHERE proxy_api_key IS NOT NULL) AS n");
  if (sealed && !sealed->empty()) h.records = sealed->Int(0, "n");
}

}  // namespace

json ToJson(const BackendHealth& h) {
  return {{"name", h.name},
          {"status", h.status},
          {"latency_ms", h.latency_ms ? json(*h.latency_ms) : json(nullptr)},
          {"records", h.records ? json(*h.records) : json(nullptr)},
          {"last_error", h.last_error.empty() ? json(nullptr) : json(h.last_error)},
          {"detail", h.detail.empty() ? json(nullptr) : json(h.detail)},
          {"checked_at", h.checked_at}};
}

const std::vector<std::string>& BackendNames() {
  static const std::vector<std::string> names{"database", "redis",     "lightrag", "temporal",
                                              "markdown", "cli_proxy", "kms"};
  return names;
}

Result<BackendHealth> CheckBackend(const HealthOptions& o, const std::string& name) {
  static const SystemClock system_clock;
  const Clock& clock = o.clock ? *o.clock : system_clock;
  const std::string database(o.store->BackendName());
  if (!Has(BackendNames(), name) && name != database) {
    return MakeError(ErrorCode::kStorageNotFound,
                     "no backend " + name.substr(0, 64) +
                         "; one of database, redis, lightrag, temporal, markdown, cli_proxy, kms");
  }
  BackendHealth h;
  h.name = name == "database" ? database : name;
  h.checked_at = FormatIso8601(clock.Now());
  if (h.name == database) {
    Database(o, h);
  } else if (name == "redis") {
    Redis(o, h);
  } else if (name == "lightrag") {
    LightRag(o, h);
  } else if (name == "markdown") {
    Markdown(o, h);
  } else if (name == "temporal") {
    h.status = "not_configured";
    h.detail =
        "no Temporal server in this deployment: workflows run on the database engine "
        "(workflows.engine: database)";
  } else if (name == "kms") {
    Kms(o, h);
  } else {
    CliProxy(o, h);
  }
  return h;
}

HealthReport CheckAll(const HealthOptions& o) {
  HealthReport report{"healthy", {}};
  for (const auto& name : BackendNames()) {
    auto h = CheckBackend(o, name);
    if (!h) continue;  // every listed name is known
    if (h->status == "down" && name == "database") {
      report.status = "down";
    } else if (h->status != "healthy" && h->status != "not_configured" &&
               report.status == "healthy") {
      report.status = "degraded";
    }
    report.backends.push_back(std::move(*h));
  }
  return report;
}

}  // namespace docrunch::obs
