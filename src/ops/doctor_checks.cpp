// The doctor's checks, each from its inputs alone.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <sys/statvfs.h>

#include <cstring>
#include <memory>

#include "ops/doctor.h"

#include "llm/key_check.h"

namespace docrunch::ops {
using nlohmann::json;

Check Pass(std::string name, std::string reason) {
  return {std::move(name), "pass", std::move(reason), ""};
}
Check Warn(std::string name, std::string reason, std::string fix) {
  return {std::move(name), "warn", std::move(reason), std::move(fix)};
}
Check Fail(std::string name, std::string reason, std::string fix) {
  return {std::move(name), "fail", std::move(reason), std::move(fix)};
}

json ToJson(const std::vector<Check>& checks) {
  json list = json::array();
  for (const auto& c : checks) {
    list.push_back({{"name", c.name}, {"status", c.status}, {"reason", c.reason}, {"fix", c.fix}});
  }
  return {{"checks", list}};
}

std::string ToText(const std::vector<Check>& checks) {
  std::string out;
  int pass = 0, warn = 0, fail = 0;
  for (const auto& c : checks) {
    (c.status == "pass" ? pass : c.status == "warn" ? warn : fail)++;
    out += (c.status == "pass"   ? "pass  "
            : c.status == "warn" ? "WARN  "
                                 : "FAIL  ") +
           c.name + ": " + c.reason + "\n";
    if (!c.fix.empty()) out += "      fix: " + c.fix + "\n";
  }
  out += std::to_string(pass) + " passed, " + std::to_string(warn) + " warnings, " +
         std::to_string(fail) + " failures\n";
  return out;
}

int DoctorExitCode(const std::vector<Check>& checks) {
  int code = 0;
  for (const auto& c : checks) {
    if (c.status == "fail") return 2;
    if (c.status == "warn") code = 1;
  }
  return code;
}

Check CheckSchema(const Result<store::SchemaStatus>& status) {
  const char* name = "schema";
  if (!status) {
    return Fail(name, "the database cannot be read: " + status.error().message,
                "start the database or fix storage.* in the config");
  }
  const std::string at = "version " + std::to_string(status->current_version) + " of " +
                         std::to_string(status->latest_version);
  if (status->ahead()) {
    return Fail(name, at + ": the database was migrated by a newer docrunch",
                "upgrade docrunch to the version that migrated it");
  }
  if (status->behind()) {
    return Fail(name, at + ": " + std::to_string(status->pending.size()) + " migrations pending",
                "docrunch db migrate");
  }
  return Pass(name, "schema current (" + at + ")");
}

Check CheckAudit(const config::Config& c, bool hosted) {
  if (c.audit.enabled) return Pass("audit", "audit logging is on");
  const std::string reason = "audit logging is off: agent connections and reports are not recorded";
  const std::string fix = "docrunch config set audit.enabled true";
  return hosted ? Fail("audit", reason, fix) : Warn("audit", reason, fix);
}

Check CheckCostBudgets(const config::Config& c, std::optional<std::int64_t> providers) {
  const char* name = "cost_budgets";
  if (!providers) {
    return Pass(name, "skipped: this database has no LLM providers table (nothing to budget)");
  }
  if (*providers == 0) return Pass(name, "skipped: no LLM provider configured");
  const bool budget = c.llm.budgets.daily_usd > 0 || c.llm.budgets.monthly_usd > 0 ||
                      c.cost.alerts.daily_limit > 0 || c.cost.alerts.monthly_limit > 0;
  if (!budget) {
    return Warn(name,
                std::to_string(*providers) + " LLM provider(s) and no budget: spend is unbounded",
                "docrunch config set cost.alerts.daily_limit 20 cost.alerts.monthly_limit 300");
  }
  if (c.cost.alerts.thresholds.empty()) {
    return Warn(name, "budgets are set but no alert thresholds",
                "set cost.alerts.thresholds, e.g. [80, 100]");
  }
  return Pass(name, "budgets and alert thresholds are configured");
}

Check CheckSnapshotAge(const config::RollbackConfig& r, std::optional<TimePoint> newest,
                       TimePoint now) {
  const char* name = "snapshot";
  if (!r.enabled) {
    return Warn(name, "the rollback system is off (rollback.enabled: false)",
                "docrunch config set rollback.enabled true");
  }
  if (!newest) return Warn(name, "no snapshot exists", "docrunch snapshot create");
  const auto age = std::chrono::duration_cast<std::chrono::hours>(now - *newest);
  const auto limit = std::chrono::hours(24) * r.retention.max_age_days;
  const std::string days = std::to_string(age.count() / 24) + " day(s)";
  if (age > limit) {
    return Warn(name,
                "the newest snapshot is " + days +
                    " old, beyond rollback.retention.max_age_days (" +
                    std::to_string(r.retention.max_age_days) + ")",
                "docrunch snapshot create");
  }
  return Pass(name, "the newest snapshot is " + days + " old");
}

namespace {

bool InternalV4(std::uint32_t a) {
  const auto in = [a](std::uint32_t net, int bits) {
    return (a >> (32 - bits)) == (net >> (32 - bits));
  };
  return in(0x7f000000u, 8) || in(0x0a000000u, 8) || in(0xac100000u, 12) || in(0xc0a80000u, 16) ||
         in(0xa9fe0000u, 16) || in(0x64400000u, 10);
}

bool InternalAddress(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    return InternalV4(ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr));
  }
  if (sa->sa_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a) || IN6_IS_ADDR_LINKLOCAL(&a)) return true;
    if ((a.s6_addr[0] & 0xfe) == 0xfc) return true;  // fc00::/7, unique local
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      std::uint32_t v4;
      std::memcpy(&v4, &a.s6_addr[12], 4);
      return InternalV4(ntohl(v4));
    }
  }
  return false;
}

}  // namespace

bool IsInternalHost(const std::string& host) {
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]" || host == "*") {
    return false;
  }
  if (host[0] == '/') return true;  // a Unix socket folder
  std::string h = host;
  if (h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(h.c_str(), nullptr, &hints, &found) != 0 || !found) return false;
  bool internal = true;
  for (addrinfo* a = found; a; a = a->ai_next) internal = internal && InternalAddress(a->ai_addr);
  freeaddrinfo(found);
  return internal;
}

Check CheckListener(const std::string& name, const std::string& host, bool hosted, bool has_auth) {
  const std::string check = "listener:" + name;
  if (IsInternalHost(host)) {
    return Pass(check, name + " on " + host + " (loopback or internal)");
  }
  const std::string where = host.empty() || host == "0.0.0.0" || host == "::"
                                ? "every interface (" + (host.empty() ? "\"\"" : host) + ")"
                                : host + ", a public address";
  const std::string fix =
      "bind " + name + " to 127.0.0.1 or an internal address and put the TLS proxy in front";
  if (hosted || !has_auth) return Fail(check, name + " listens on " + where, fix);
  return Warn(check, name + " listens on " + where + " (with auth)", fix);
}

Check CheckTlsProxy(const std::string& public_url, const std::string& ca_file, bool hosted,
                    std::chrono::seconds timeout) {
  const char* name = "tls_proxy";
  if (public_url.empty()) {
    if (!hosted) return Pass(name, "skipped: local mode, no public URL given");
    return Warn(name, "no public URL to check the TLS proxy at",
                "docrunch doctor --hosted --public-url https://docrunch.example.com");
  }
  if (public_url.rfind("https://", 0) != 0) {
    return Fail(name, "the public URL " + public_url + " is not https",
                "serve through the TLS proxy (nginx) and give its https:// URL");
  }
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return Fail(name, "libcurl could not start", "");
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl.get(), CURLOPT_URL, public_url.c_str());
  // A GET (some TLS endpoints answer nothing to HEAD); the body is dropped.
  curl_easy_setopt(
      curl.get(), CURLOPT_WRITEFUNCTION,
      +[](char*, size_t size, size_t n, void*) -> size_t { return size * n; });
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  if (!ca_file.empty()) curl_easy_setopt(curl.get(), CURLOPT_CAINFO, ca_file.c_str());
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    return Fail(name,
                "no TLS answer at " + public_url + ": " + (*error ? error : curl_easy_strerror(rc)),
                "start the TLS proxy (see docs/hosting.md) or fix --public-url");
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  return Pass(name,
              "TLS proxy answers at " + public_url + " (HTTP " + std::to_string(status) + ")");
}

namespace {

// Standard or URL-safe base64, padding optional; nullopt when malformed.
std::optional<std::string> DecodeBase64(std::string text) {
  while (!text.empty() && (text.back() == '=' || text.back() == '\n')) text.pop_back();
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else
      return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

bool IsHex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

}  // namespace

Result<void> ValidateKmsKey(const std::string& value) {
  if (value.size() == 64 && IsHex(value)) return Ok();
  auto decoded = DecodeBase64(value);
  if (decoded && decoded->size() == 32) return Ok();
  return MakeError(ErrorCode::kConfigInvalid,
                   "is not 32 bytes as base64 or 64 hex digits" +
                       (decoded ? " (it decodes to " + std::to_string(decoded->size()) + " bytes)"
                                : std::string()));
}

Check CheckKmsKey(const config::Config& c, const config::Environment& env, bool hosted,
                  store::Reader* db) {
  const char* name = "kms_key";
  const std::string& var = c.security.kms_key_env;
  const std::string fix = "export " + var + "=\"$(head -c 32 /dev/urandom | base64)\"";
  auto it = env.find(var);
  if (it == env.end() || it->second.empty()) {
    const std::string reason = var + " is not set: provider secrets cannot be sealed";
    return hosted ? Fail(name, reason, fix) : Warn(name, reason, fix);
  }
  auto valid = ValidateKmsKey(it->second);
  if (!valid) return Fail(name, var + " " + valid.error().message, fix);
  auto stored = db ? llm::SecretsStored(*db) : Result<bool>(false);
  if (stored && *stored) {
    // The sealed check value: the message names the variable and the key
    // ids, never a key.
    auto box = llm::OpenSecretBox(*db, env, var);
    if (!box) {
      return Fail(name, box.error().message,
                  "set " + var +
                      " to the key that sealed the secrets, or rotate them to a new "
                      "key with `docrunch secrets rotate --new-key-env VAR`");
    }
    return Pass(name, var + " opens the stored provider secrets (sealed check verified)");
  }
  return Pass(name, var + " holds a 32-byte key");
}

Check CheckMcpTransport(const config::Config& c, bool hosted) {
  const char* name = "mcp_transport";
  const auto& m = c.server.mcp;
  if (!hosted) {
    return Pass(name, m.transport == config::McpTransport::kHttp
                          ? "MCP over HTTP, auth " + std::string(m.auth.enabled ? "on" : "off")
                          : "local mode: MCP over stdio");
  }
  if (!m.enabled) return Pass(name, "MCP is disabled");
  if (m.transport != config::McpTransport::kHttp) {
    return Fail(name, "hosted mode with MCP over stdio",
                "docrunch config set server.mcp.transport http server.mcp.auth.enabled true");
  }
  if (!m.auth.enabled) {
    return Fail(name, "MCP over HTTP without auth",
                "docrunch config set server.mcp.auth.enabled true");
  }
  if (m.rate_limit.queries_per_minute <= 0 || m.rate_limit.writes_per_minute <= 0) {
    return Fail(name, "MCP rate limits are off",
                "set server.mcp.rate_limit.queries_per_minute and writes_per_minute");
  }
  return Pass(name, "MCP over HTTP with auth and rate limits (" +
                        std::to_string(m.rate_limit.queries_per_minute) + " queries, " +
                        std::to_string(m.rate_limit.writes_per_minute) + " writes per minute)");
}

Check CheckReaderRole(const std::vector<ToolAccess>& tools) {
  const char* name = "reader_role";
  std::string writes;
  int readable = 0;
  for (const auto& t : tools) {
    if (!t.reader_allowed) continue;
    ++readable;
    if (!t.read_only) writes += (writes.empty() ? "" : ", ") + t.name;
  }
  if (!writes.empty()) {
    return Fail(name, "the reader role may call write tools: " + writes,
                "a bug: report it (tools must declare Access::kReport or kAdmin)");
  }
  return Pass(name,
              "the reader role sees " + std::to_string(readable) + " tools, none of them writes");
}

std::vector<Check> CheckBackends(const obs::HealthReport& report) {
  std::vector<Check> out;
  for (const auto& b : report.backends) {
    if (b.name == "kms") continue;  // kms_key checks it, with the fix
    const std::string name = "backend:" + b.name;
    std::string reason = b.status;
    if (!b.last_error.empty())
      reason += ": " + b.last_error;
    else if (!b.detail.empty())
      reason += ": " + b.detail;
    if (b.latency_ms) reason += " (" + std::to_string(static_cast<int>(*b.latency_ms)) + " ms)";
    if (b.status == "healthy" || b.status == "not_configured") {
      out.push_back(Pass(name, reason));
    } else if (b.status == "down") {
      out.push_back(Fail(name, reason, "start " + b.name + " or fix its settings"));
    } else {
      out.push_back(Warn(name, reason, "docrunch sync status; docrunch sync retry --all"));
    }
  }
  return out;
}

Check CheckOutboxLag(const Result<sync::SyncStatus>& status) {
  const char* name = "outbox_lag";
  if (!status) {
    return Warn(name, "cannot read the outbox: " + status.error().message, "docrunch sync status");
  }
  const std::string lag = std::to_string(status->reports.pending + status->scans.pending) +
                          " events pending, oldest report " +
                          std::to_string(static_cast<int>(status->reports.oldest_pending_s)) +
                          " s, oldest scan " +
                          std::to_string(static_cast<int>(status->scans.oldest_pending_s)) + " s";
  if (status->sla_breached()) {
    return Warn(name, "outbox behind its SLA: " + lag,
                "run a sync worker (docrunch worker start --queue sync); docrunch sync status");
  }
  return Pass(name, "within SLA: " + lag);
}

Check CheckSnapshotDisk(const std::filesystem::path& dir, std::uint64_t last_archive_size) {
  const char* name = "snapshot_disk";
  std::filesystem::path probe = dir;
  while (!probe.empty() && !std::filesystem::exists(probe)) probe = probe.parent_path();
  struct statvfs fs {};
  if (probe.empty() || statvfs(probe.c_str(), &fs) != 0) {
    return Warn(name, "cannot tell the free space at " + dir.string(), "");
  }
  const std::uint64_t free = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  const std::uint64_t need =
      std::max<std::uint64_t>(last_archive_size * 2, last_archive_size ? 0 : 64ull << 20);
  const std::string have = std::to_string(free >> 20) + " MB free at " + probe.string();
  if (free < last_archive_size) {
    return Fail(
        name,
        have + ", less than the last snapshot (" + std::to_string(last_archive_size >> 20) + " MB)",
        "free disk space or move rollback.path; docrunch snapshot clean");
  }
  if (free < need) {
    return Warn(name, have + ", less than twice the last snapshot",
                "free disk space or move rollback.path; docrunch snapshot clean");
  }
  return Pass(name, have);
}

}  // namespace docrunch::ops
