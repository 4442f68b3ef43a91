// The append-only audit log (PRODUCT §15): who did what, when, with which
// outcome. Recording never fails the caller: a write that fails is logged
// on stderr and dropped.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "store/store.h"

namespace docrunch::auth {

struct AuditEntry {
  std::string actor;    // agent id, or "anonymous"
  std::string action;   // "mcp.connect", "mcp.tool_call", "mcp.auth_failure", "mcp.rate_limited"
  std::string target;   // the tool name, "" when none
  std::string outcome;  // "ok" or an error code
  nlohmann::json details = nlohmann::json::object();
};

class AuditLog {
 public:
  explicit AuditLog(store::Store& store) : store_(store) {}
  void Record(const AuditEntry& entry);

 private:
  store::Store& store_;
};

// Tool arguments as the audit log keeps them: each value cut to a short
// preview, lists as their length, and nothing from a field whose name
// suggests a secret (token, password, secret, key).
nlohmann::json SummarizeArguments(const nlohmann::json& arguments);

}  // namespace docrunch::auth
