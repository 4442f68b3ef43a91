// What the REST routes call: the services CLI and MCP use too. Everything
// pointed to must outlive the RestServer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/login_throttle.h"
#include "api/streams.h"
#include "api/tickets.h"
#include "auth/audit.h"
#include "auth/sessions.h"
#include "auth/tokens.h"
#include "core/clock.h"
#include "jobs/workflow.h"
#include "obs/health.h"
#include "obs/metrics.h"
#include "search/search.h"
#include "search/traces.h"
#include "store/store.h"
#include "tasks/task_service.h"

namespace docrunch::chat {
class ChatService;
}

namespace docrunch::llm {
class CallObserver;
}

namespace docrunch::cost {
class Ledger;
}

namespace docrunch::ops {
struct SnapshotEnv;
}

namespace docrunch::api {

struct ApiServices {
  store::Store* store = nullptr;
  std::int64_t repository_id = 0;
  tasks::TaskService* tasks = nullptr;
  search::SearchOptions search;
  std::filesystem::path docs_root;
  std::string version;
  std::string base_path = "/api";  // server.http.base_path, for Location headers
  auth::AuditLog* audit = nullptr;
  auth::SessionService* sessions = nullptr;
  const Clock* clock = nullptr;
  // An agent bearer token -> who it is (auth::Authenticate with the
  // configured tokens); MCP_UNAUTHORIZED when unknown or revoked.
  std::function<Result<auth::TokenInfo>(const std::string& token)> authenticate_token;
  // The live streams behind /ws/... (null: no WebSockets).
  StreamHub* streams = nullptr;
  // WebSocket tickets shared by every process (Redis); null: this process's.
  TicketBook* tickets = nullptr;
  // Sign-in failures counted across processes (Redis); null: this process's.
  LoginThrottle* throttle = nullptr;
  // Where searches leave their traces (null: searches are not traced).
  search::TraceLog* traces = nullptr;
  // The sync targets this deployment runs (storage.sync.targets, markdown
  // only with a docs folder, lightrag only when enabled), and the SLAs.
  std::vector<std::string> sync_targets{"index", "markdown"};
  int report_sla_seconds = 60;
  int scan_sla_seconds = 300;
  // What /system/health checks besides the database (its store and
  // repository are the fields above; a Redis URL may hold a password).
  std::string redis_url;
  bool lightrag_enabled = false;
  sync::LightRagClientOptions lightrag;
  // The CLI proxy /system/health probes ("": none); its key, never shown.
  std::string cli_proxy_url;
  std::string cli_proxy_api_key;
  // The /llm admin routes: the process's environment, which holds the KMS
  // key in the variable security.kms_key_env names (null: secrets can be
  // neither set nor used); what records provider tests (the cost ledger;
  // may be null); the CLI model registry (cli_proxy.models_file).
  const std::map<std::string, std::string>* env = nullptr;
  std::string kms_key_env = "DOCRUNCH_KMS_KEY";
  llm::CallObserver* llm_observer = nullptr;
  std::filesystem::path cli_models_path;
  // Called after a write through the API succeeded (nudges the embedded
  // sync worker); may be empty.
  std::function<void()> wrote;
  // Durable workflows (null: the /workflows routes answer 503).
  jobs::WorkflowEngine* workflows = nullptr;
  // Chat sessions and answers (null: the /chat routes answer 503).
  chat::ChatService* chat = nullptr;
  // The /snapshots routes' folder and live database settings, and the
  // cost ledger behind /cost (null: those routes answer 503).
  const ops::SnapshotEnv* snapshots = nullptr;
  cost::Ledger* ledger = nullptr;
  // What GET /metrics exposes (null: obs::DefaultRegistry()).
  obs::Registry* metrics = nullptr;
};

}  // namespace docrunch::api
