#include "auth/audit.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace docrunch::auth {

void AuditLog::Record(const AuditEntry& e) {
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec(
        "INSERT INTO audit_log (at, actor, action, target, outcome, details) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {FormatIso8601(tx.clock().Now()), e.actor, e.action,
         e.target.empty() ? store::Value{} : store::Value{e.target}, e.outcome,
         e.details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
    if (!r) return r.error();
    return Ok();
  });
  if (!done) spdlog::warn("audit: could not record {}: {}", e.action, done.error().ToString());
}

nlohmann::json SummarizeArguments(const nlohmann::json& arguments) {
  nlohmann::json out = nlohmann::json::object();
  if (!arguments.is_object()) return out;
  for (const auto& [key, value] : arguments.items()) {
    std::string lower = key;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower.find("token") != std::string::npos || lower.find("password") != std::string::npos ||
        lower.find("secret") != std::string::npos || lower.find("key") != std::string::npos) {
      out[key] = "[redacted]";
    } else if (value.is_string()) {
      const std::string& s = value.get_ref<const std::string&>();
      out[key] = s.size() <= 80 ? s : s.substr(0, 77) + "...";
    } else if (value.is_array()) {
      out[key] = std::to_string(value.size()) + " items";
    } else if (value.is_object()) {
      out[key] = "{...}";
    } else {
      out[key] = value;
    }
  }
  return out;
}

}  // namespace docrunch::auth
