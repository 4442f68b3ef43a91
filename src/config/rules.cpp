// Cross-field rules: what must hold between settings, and which referenced
// environment variables must be set for the configuration to be usable.
#include <algorithm>
#include <cctype>
#include <set>

#include "config/issue_sink.h"
#include "config/schema.h"
#include "config/values.h"

namespace docrunch::config {
namespace {

class RuleChecker {
 public:
  RuleChecker(const Config& c, const Environment& env, IssueSink& sink)
      : c_(c), env_(env), sink_(sink) {}

  void Run() {
    CheckStorage();
    CheckJobs();
    CheckBudgets();
    CheckSync();
    CheckEmbeddings();
    CheckListeners();
    CheckAuthSecrets();
    if (c_.security.mode == SecurityMode::kHosted) CheckHosted();
    if (c_.rollback.retention.keep_minimum > c_.rollback.retention.max_snapshots) {
      sink_.Add("rollback.retention.keep_minimum",
                "must not exceed rollback.retention.max_snapshots");
    }
    if (c_.cli_proxy.default_timeout.value > c_.cli_proxy.max_timeout.value) {
      sink_.Add("cli_proxy.default_timeout", "must not exceed cli_proxy.max_timeout");
    }
  }

 private:
  // The variable's value, or an issue at `key` saying why it is needed.
  const std::string* RequireEnv(const std::string& key, const std::string& name,
                                const std::string& because) {
    auto it = env_.find(name);
    if (it != env_.end() && !it->second.empty()) return &it->second;
    sink_.Add(key, "environment variable " + name + " is not set (needed because " + because + ")");
    return nullptr;
  }

  // A URL given either literally or through an environment variable.
  void CheckUrlSource(const std::string& section, const std::string& name,
                      const std::string& literal, const std::string& env_name,
                      const std::vector<std::string>& schemes, const std::string& because) {
    std::string env_key = section + "." + name + "_env";
    if (!literal.empty() && !env_name.empty()) {
      sink_.Add(env_key, "set only one of " + name + " and " + name + "_env");
      return;
    }
    if (literal.empty() && env_name.empty()) {
      const std::string literal_key = section + "." + name;
      const auto& issues = sink_.issues();
      if (std::any_of(issues.begin(), issues.end(),
                      [&](const ConfigIssue& i) { return i.key == literal_key; })) {
        return;  // a literal URL was given and refused: that issue says it all
      }
      sink_.Add(env_key, "required because " + because + ": set " + name +
                             "_env to the name of the variable holding the URL");
      return;
    }
    if (env_name.empty()) return;  // the literal was checked by the schema
    if (const std::string* url = RequireEnv(env_key, env_name, because)) {
      std::string problem = CheckUrl(*url, schemes);
      if (!problem.empty()) sink_.Add(env_key, "environment variable " + env_name + ": " + problem);
    }
  }

  void CheckStorage() {
    const auto& s = c_.storage;
    if (s.backend == StorageBackend::kPostgres) {
      CheckUrlSource("storage", "postgres_url", s.postgres_url, s.postgres_url_env,
                     {"postgres", "postgresql"}, "storage.backend is postgres");
    }
    if (s.lightrag.enabled && !s.lightrag.api_key_env.empty()) {
      RequireEnv("storage.lightrag.api_key_env", s.lightrag.api_key_env,
                 "storage.lightrag.enabled is true");
    }
    if (s.lightrag.chunk_overlap >= s.lightrag.chunk_size) {
      sink_.Add("storage.lightrag.chunk_overlap",
                "must be smaller than storage.lightrag.chunk_size");
    }
  }

  void CheckJobs() {
    if (c_.jobs.backend == JobsBackend::kRedis) {
      CheckUrlSource("jobs", "redis_url", c_.jobs.redis_url, c_.jobs.redis_url_env, {"redis"},
                     "jobs.backend is redis");
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < c_.jobs.schedules.size(); ++i) {
      const auto& entry = c_.jobs.schedules[i];
      const std::string key = "jobs.schedules[" + std::to_string(i) + "]";
      for (const auto& [field, value] :
           {std::pair{"name", &entry.name}, {"cron", &entry.cron}, {"job", &entry.job}}) {
        const std::string field_key = key + "." + field;
        const auto& issues = sink_.issues();
        bool refused = std::any_of(issues.begin(), issues.end(),
                                   [&](const ConfigIssue& i) { return i.key == field_key; });
        if (value->empty() && !refused) sink_.Add(field_key, "is required");
      }
      if (entry.name.empty()) continue;  // refused, or reported just above
      if (entry.name.rfind("scheduler.", 0) == 0) {
        sink_.Add(key + ".name",
                  "names starting with 'scheduler.' are the built-in schedules' "
                  "(jobs.scheduler)");
      } else if (!names.insert(entry.name).second) {
        sink_.Add(key + ".name", "duplicate schedule name '" + entry.name + "'");
      }
    }
  }

  // cost.budgets: a name for agent and provider budgets (none for overall),
  // a limit, and each (scope, name, period) once.
  void CheckBudgets() {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < c_.cost.budgets.size(); ++i) {
      const auto& b = c_.cost.budgets[i];
      const std::string key = "cost.budgets[" + std::to_string(i) + "]";
      const bool overall = b.scope == BudgetScope::kOverall;
      if (overall && !b.name.empty()) {
        sink_.Add(key + ".name", "an overall budget has no name (scope agent or provider do)");
      } else if (!overall && b.name.empty()) {
        sink_.Add(key + ".name", "is required for an agent or provider budget");
      }
      if (b.limit_usd <= 0) sink_.Add(key + ".limit_usd", "is required (more than 0)");
      const std::string id = std::to_string(static_cast<int>(b.scope)) + "/" + b.name + "/" +
                             std::to_string(static_cast<int>(b.period));
      if (!seen.insert(id).second) sink_.Add(key, "the same scope, name and period twice");
    }
  }

  void CheckSync() {
    const auto& s = c_.storage.sync;
    if (s.backoff_seconds > s.max_backoff_seconds) {
      sink_.Add("storage.sync.backoff_seconds",
                "must not exceed storage.sync.max_backoff_seconds (" +
                    std::to_string(s.max_backoff_seconds) + ")");
    }
    bool wants_lightrag = std::count(s.targets.begin(), s.targets.end(), "lightrag") > 0;
    if (wants_lightrag && !c_.storage.lightrag.enabled) {
      sink_.Add("storage.sync.targets", "lists lightrag but storage.lightrag.enabled is false");
    }
  }

  void CheckEmbeddings() {
    const auto& e = c_.search.embeddings;
    if (!e.enabled) return;
    if (e.model.empty()) sink_.Add("search.embeddings.model", "required when enabled is true");
    if (!e.api_key_env.empty()) {
      RequireEnv("search.embeddings.api_key_env", e.api_key_env,
                 "search.embeddings.enabled is true");
    }
  }

  // Listening beyond loopback without authentication is refused in any mode.
  void CheckListeners() {
    const auto& http = c_.server.http;
    const auto& mcp = c_.server.mcp;
    if (http.enabled && !IsLoopbackHost(http.host) && !http.auth.enabled) {
      sink_.Add("server.http.host", "listening on " + http.host +
                                        " without authentication is refused: enable "
                                        "server.http.auth or bind to 127.0.0.1");
    }
    bool mcp_http = mcp.enabled && mcp.transport == McpTransport::kHttp;
    if (mcp_http && !IsLoopbackHost(mcp.host) && !mcp.auth.enabled) {
      sink_.Add("server.mcp.host", "listening on " + mcp.host +
                                       " without authentication is refused: enable "
                                       "server.mcp.auth or bind to 127.0.0.1");
    }
    if (http.enabled && mcp_http && http.port == mcp.port && http.host == mcp.host) {
      sink_.Add("server.mcp.port",
                "is the same as server.http.port (" + std::to_string(http.port) + ")");
    }
  }

  void CheckAuthSecrets() {
    const auto& http_auth = c_.server.http.auth;
    if (c_.server.http.enabled && http_auth.enabled) {
      if (http_auth.jwt_secret_env.empty()) {
        sink_.Add("server.http.auth.jwt_secret_env",
                  "required when server.http.auth.enabled is true");
      } else if (const std::string* secret =
                     RequireEnv("server.http.auth.jwt_secret_env", http_auth.jwt_secret_env,
                                "server.http.auth.enabled is true")) {
        if (secret->size() < 32) {
          sink_.Add("server.http.auth.jwt_secret_env", "environment variable " +
                                                           http_auth.jwt_secret_env +
                                                           " must hold at least 32 characters");
        }
      }
    }
    const auto& mcp_auth = c_.server.mcp.auth;
    std::set<std::string> names;
    for (std::size_t i = 0; i < mcp_auth.tokens.size(); ++i) {
      const auto& token = mcp_auth.tokens[i];
      std::string key = "server.mcp.auth.tokens[" + std::to_string(i) + "]";
      if (token.name.empty()) sink_.Add(key + ".name", "is required");
      if (!names.insert(token.name).second) {
        sink_.Add(key + ".name", "duplicate token name '" + token.name + "'");
      }
      if (token.token_env.empty()) {
        sink_.Add(key + ".token_env", "is required");
      } else if (mcp_auth.enabled) {
        RequireEnv(key + ".token_env", token.token_env, "server.mcp.auth.enabled is true");
      }
    }
  }

  void CheckHosted() {
    const std::string because = "security.mode is hosted";
    const auto& mcp = c_.server.mcp;
    if (mcp.enabled && mcp.transport != McpTransport::kHttp) {
      sink_.Add("server.mcp.transport", "must be http when " + because + " (stdio MCP is refused)");
    }
    if (mcp.enabled && !mcp.auth.enabled) {
      sink_.Add("server.mcp.auth.enabled", "must be true when " + because);
    }
    if (c_.server.http.enabled && !c_.server.http.auth.enabled) {
      sink_.Add("server.http.auth.enabled", "must be true when " + because);
    }
    if (c_.security.kms_key_env.empty()) {
      sink_.Add("security.kms_key_env", "is required when " + because);
    } else if (const std::string* key =
                   RequireEnv("security.kms_key_env", c_.security.kms_key_env, because)) {
      if (!IsKmsKey(*key)) {
        sink_.Add("security.kms_key_env",
                  "environment variable " + c_.security.kms_key_env +
                      " must hold a 32-byte key as 64 hex digits or base64");
      }
    }
  }

  static bool IsKmsKey(const std::string& key) {
    auto all = [&](auto pred) { return std::all_of(key.begin(), key.end(), pred); };
    if (key.size() == 64) return all([](unsigned char c) { return std::isxdigit(c); });
    std::string body = key;
    while (!body.empty() && body.back() == '=') body.pop_back();
    bool base64 = std::all_of(body.begin(), body.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '+' || c == '/' || c == '-' || c == '_';
    });
    return base64 && body.size() == 43;  // 32 bytes = 43 base64 digits (+ one '=')
  }

  const Config& c_;
  const Environment& env_;
  IssueSink& sink_;
};

}  // namespace

void CheckRules(const Config& config, const Environment& env, IssueSink& sink) {
  RuleChecker(config, env, sink).Run();
}

}  // namespace docrunch::config
