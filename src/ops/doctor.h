// `docrunch doctor` (PRODUCT §17): the roadmap's production checklist as
// checks. Each check is a small function with its inputs passed in, so it
// can be tested alone; RunDoctor gathers the inputs and runs them all.
//
// A check's status is pass, warn or fail, with a one-line reason and, when
// not pass, the fix. The exit code is 0 when all pass, 1 with a warning,
// 2 with a failure.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/loader.h"
#include "core/clock.h"
#include "core/result.h"
#include "obs/health.h"
#include "store/store.h"
#include "sync/sync_admin.h"

namespace docrunch::ops {

struct Check {
  std::string name;
  std::string status;  // pass | warn | fail
  std::string reason;
  std::string fix;  // "" when pass
};
Check Pass(std::string name, std::string reason);
Check Warn(std::string name, std::string reason, std::string fix);
Check Fail(std::string name, std::string reason, std::string fix);

nlohmann::json ToJson(const std::vector<Check>& checks);
std::string ToText(const std::vector<Check>& checks);
int DoctorExitCode(const std::vector<Check>& checks);

// --- the checks ---

// The schema is exactly current. `status_error` when the database could not
// be reached or read (the reason).
Check CheckSchema(const Result<store::SchemaStatus>& status);

Check CheckAudit(const config::Config& c, bool hosted);

// Budgets and alerts, once LLM providers exist. `providers`: how many rows
// llm_providers holds; nullopt when the table does not exist (providers not
// built into this database yet): then there is nothing to budget.
Check CheckCostBudgets(const config::Config& c, std::optional<std::int64_t> providers);

// A snapshot no older than rollback.retention.max_age_days (nullopt: none).
Check CheckSnapshotAge(const config::RollbackConfig& r, std::optional<TimePoint> newest,
                       TimePoint now);

// Whether `host` names only loopback or private addresses (resolved when it
// is a name; "" and 0.0.0.0 / :: are every interface).
bool IsInternalHost(const std::string& host);

// One listener or service address (REST, MCP, PostgreSQL, Redis, CLI proxy).
Check CheckListener(const std::string& name, const std::string& host, bool hosted, bool has_auth);

// The TLS proxy in front, reached at `public_url` (https only; the
// certificate verified, with `ca_file` when given). In local mode without a
// URL there is nothing to check.
Check CheckTlsProxy(const std::string& public_url, const std::string& ca_file, bool hosted,
                    std::chrono::seconds timeout);

// The KMS key: the variable security.kms_key_env names holds 32 bytes
// (base64 or 64 hex digits). ValidateKmsKey is the one place a stronger
// check (opening a sealed value) plugs in.
Result<void> ValidateKmsKey(const std::string& value);
// With `db` (a database whose schema is current), a key that does not open
// the stored secrets' sealed check value fails too.
Check CheckKmsKey(const config::Config& c, const config::Environment& env, bool hosted,
                  store::Reader* db = nullptr);

// Hosted mode: MCP over HTTP with auth and rate limits.
Check CheckMcpTransport(const config::Config& c, bool hosted);

// The reader role sees no write tool: each tool as (name, reader may call
// it, read-only).
struct ToolAccess {
  std::string name;
  bool reader_allowed = false;
  bool read_only = false;
};
Check CheckReaderRole(const std::vector<ToolAccess>& tools);

// One check per backend of the health report.
std::vector<Check> CheckBackends(const obs::HealthReport& report);

Check CheckOutboxLag(const Result<sync::SyncStatus>& status);

// Room for the next snapshot where snapshots live: at least twice the last
// archive's size (or 64 MB before the first) free.
Check CheckSnapshotDisk(const std::filesystem::path& dir, std::uint64_t last_archive_size);

// --- running them all ---

struct DoctorInputs {
  const config::LoadedConfig* loaded = nullptr;
  const config::Environment* env = nullptr;
  bool hosted = false;  // --hosted, or security.mode: hosted
  store::StoreOptions store_options;
  std::filesystem::path project_root;
  std::filesystem::path docs_root;
  std::filesystem::path snapshots_dir;
  std::string redis_url;
  std::string public_url;
  std::string ca_file;
  std::vector<ToolAccess> tools;
  std::chrono::seconds timeout{5};
  const Clock* clock = nullptr;
};

std::vector<Check> RunDoctor(const DoctorInputs& in);

}  // namespace docrunch::ops
