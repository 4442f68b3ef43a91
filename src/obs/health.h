// Health of each backend Docrunch talks to (PRODUCT §17): the database,
// Redis, LightRAG, Temporal, the Markdown folder and the CLI proxy, and
// the KMS key (whether it opens the stored secrets: PRODUCT §13). Each
// check runs now, bounded by the backend's own client timeout (Redis 2 s,
// LightRAG storage.lightrag.timeout), and never throws: a backend that
// cannot be reached is "down" with the reason in last_error.
//
// Statuses: healthy; degraded (answers, but something needs attention:
// failed sync entries, a missing docs folder); down; unknown (could not
// tell); not_configured (this deployment does not use it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"
#include "sync/lightrag_client.h"

namespace docrunch::obs {

struct BackendHealth {
  std::string name;    // "sqlite" or "postgres" for the database; the backend's name otherwise
  std::string status;  // healthy, degraded, down, unknown, not_configured
  std::optional<double> latency_ms;
  std::optional<std::int64_t> records;
  std::string last_error;  // "" when none
  std::string detail;      // what was checked, or why it is not configured
  std::string checked_at;  // ISO-8601
};
nlohmann::json ToJson(const BackendHealth& health);

struct HealthOptions {
  store::Store* store = nullptr;  // required
  std::int64_t repository_id = 0;
  std::string redis_url;  // "" when jobs.redis_url(_env) is not configured; may hold a password
  bool lightrag_enabled = false;
  sync::LightRagClientOptions lightrag;
  std::filesystem::path docs_root;   // the Markdown target's folder
  std::vector<std::string> targets;  // the configured sync targets
  // The CLI proxy to probe (GET /health): cli_proxy.url, or CLI_PROXY_URL;
  // "" when this deployment has none. The key is never shown.
  std::string cli_proxy_url;
  std::string cli_proxy_api_key;
  // The process's environment and the variable security.kms_key_env names
  // (env null: the KMS key is not checked, "not_configured").
  const std::map<std::string, std::string>* env = nullptr;
  std::string kms_key_env;
  const Clock* clock = nullptr;  // nullptr: the system clock
};

// The names CheckBackend takes, in the order CheckAll reports them.
const std::vector<std::string>& BackendNames();

// One backend by name ("database"; "sqlite" or "postgres" when that is the
// backend in use). STORAGE_NOT_FOUND for any other name.
Result<BackendHealth> CheckBackend(const HealthOptions& options, const std::string& name);

// Every backend, and the overall status: down when the database is down,
// degraded when any configured backend is not healthy, else healthy.
struct HealthReport {
  std::string status;
  std::vector<BackendHealth> backends;
};
HealthReport CheckAll(const HealthOptions& options);

}  // namespace docrunch::obs
