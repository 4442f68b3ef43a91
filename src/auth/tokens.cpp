#include "auth/tokens.h"

#include "config/schema.h"

#include <sodium.h>

#include "tasks/reports.h"

namespace docrunch::auth {
namespace {

std::string Hex(const unsigned char* data, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

std::string HashToken(const std::string& token) {
  unsigned char hash[crypto_generichash_BYTES];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return Hex(hash, sizeof hash);
}

bool SameSecret(const std::string& a, const std::string& b) {
  // Hash both so the comparison takes the same time whatever the lengths.
  std::string ha = HashToken(a), hb = HashToken(b);
  return sodium_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

Result<void> InitSodium() {
  if (sodium_init() < 0) return MakeError(ErrorCode::kInternal, "libsodium failed to initialize");
  return Ok();
}

}  // namespace

std::optional<config::Role> ParseRole(std::string_view name) {
  if (name == "reader") return config::Role::kReader;
  if (name == "agent") return config::Role::kAgent;
  if (name == "admin") return config::Role::kAdmin;
  return std::nullopt;
}

Result<std::string> CreateToken(store::Store& store, const std::string& name, config::Role role) {
  DOCRUNCH_TRY(InitSodium());
  std::string problem = tasks::CheckAgentId("name", name, tasks::ReportLimits{});
  if (!problem.empty()) return MakeError(ErrorCode::kInvalidParams, problem);
  unsigned char secret[32];
  randombytes_buf(secret, sizeof secret);
  std::string token = "drt_" + Hex(secret, sizeof secret);
  sodium_memzero(secret, sizeof secret);
  auto done = store.Transact([&](store::Tx& tx) -> Result<void> {
    auto live =
        tx.Query("SELECT 1 FROM agent_tokens WHERE name = $1 AND revoked_at IS NULL", {name});
    if (!live) return live.error();
    if (!live->empty()) {
      return MakeError(ErrorCode::kAlreadyExists,
                       "name: a live token named '" + name + "' exists; revoke it first");
    }
    auto inserted = tx.Exec(
        "INSERT INTO agent_tokens (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4)",
        {name, std::string(config::RoleName(role)), HashToken(token),
         FormatIso8601(tx.clock().Now())});
    if (!inserted) return inserted.error();
    return Ok();
  });
  if (!done) return done.error();
  return token;
}

Result<std::vector<TokenInfo>> ListTokens(store::Store& store) {
  auto rows = store.Query(
      "SELECT name, role, created_at, last_used_at, revoked_at FROM agent_tokens ORDER BY name, "
      "id");
  if (!rows) return rows.error();
  std::vector<TokenInfo> out;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    TokenInfo t;
    t.name = rows->Text(i, "name").value_or("");
    t.role = ParseRole(rows->Text(i, "role").value_or("")).value_or(config::Role::kReader);
    t.created_at = rows->Text(i, "created_at").value_or("");
    t.last_used_at = rows->Text(i, "last_used_at").value_or("");
    t.revoked_at = rows->Text(i, "revoked_at").value_or("");
    out.push_back(std::move(t));
  }
  return out;
}

Result<void> RevokeToken(store::Store& store, const std::string& name) {
  return store.Transact([&](store::Tx& tx) -> Result<void> {
    auto changed =
        tx.Exec("UPDATE agent_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
                {name, FormatIso8601(tx.clock().Now())});
    if (!changed) return changed.error();
    if (*changed == 0) {
      return MakeError(ErrorCode::kStorageNotFound, "name: no live token named '" + name + "'");
    }
    return Ok();
  });
}

Result<TokenInfo> Authenticate(store::Store& store, const std::string& token,
                               const std::vector<config::McpTokenConfig>& configured,
                               const config::Environment& env) {
  DOCRUNCH_TRY(InitSodium());
  if (token.empty()) return MakeError(ErrorCode::kUnauthorized, "no token presented");
  for (const auto& c : configured) {
    auto value = env.find(c.token_env);
    if (value != env.end() && !value->second.empty() && SameSecret(value->second, token)) {
      return TokenInfo{c.name, c.role, "", "", "", true};
    }
  }
  std::string hash = HashToken(token);
  auto rows = store.Query(
      "SELECT name, role, token_hash FROM agent_tokens WHERE token_hash = $1 AND revoked_at IS "
      "NULL",
      {hash});
  if (!rows) return rows.error();
  if (rows->empty()) return MakeError(ErrorCode::kUnauthorized, "unknown or revoked token");
  std::string stored = rows->Text(0, "token_hash").value_or("");
  if (stored.size() != hash.size() || sodium_memcmp(stored.data(), hash.data(), hash.size()) != 0) {
    return MakeError(ErrorCode::kUnauthorized, "unknown or revoked token");
  }
  TokenInfo info;
  info.name = rows->Text(0, "name").value_or("");
  info.role = ParseRole(rows->Text(0, "role").value_or("")).value_or(config::Role::kReader);
  (void)store.Transact([&](store::Tx& tx) -> Result<void> {
    auto r = tx.Exec("UPDATE agent_tokens SET last_used_at = $2 WHERE token_hash = $1",
                     {hash, FormatIso8601(tx.clock().Now())});
    if (!r) return r.error();
    return Ok();
  });
  return info;
}

Result<void> CheckStillLive(store::Store& store, const TokenInfo& info, const std::string& token) {
  if (info.from_config) return Ok();
  DOCRUNCH_TRY(InitSodium());
  auto rows =
      store.Query("SELECT 1 AS live FROM agent_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                  {HashToken(token)});
  if (!rows) return rows.error();
  if (rows->empty()) return MakeError(ErrorCode::kUnauthorized, "the token was revoked");
  return Ok();
}

}  // namespace docrunch::auth
