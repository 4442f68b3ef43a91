// Agent bearer tokens (PRODUCT §9, §15). `docrunch token create` makes a
// random token, prints it once and stores only its BLAKE2b-256 hash with
// the agent name (the agent id reports must carry) and role. Tokens can
// also come from the configuration (server.mcp.auth.tokens: a name, a role
// and the environment variable holding the token).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/loader.h"
#include "core/result.h"
#include "store/store.h"

namespace docrunch::auth {

struct TokenInfo {
  std::string name;  // the agent id
  config::Role role = config::Role::kAgent;
  std::string created_at;
  std::string last_used_at;  // "" when never used
  std::string revoked_at;    // "" while live
  bool from_config = false;
};

std::optional<config::Role> ParseRole(std::string_view name);

// Creates a token; returns its secret text ("drt_" + 64 hex digits), which
// is not stored. INVALID_PARAMS for a bad name (the agent-id charset) and
// ALREADY_EXISTS when a live token has that name.
Result<std::string> CreateToken(store::Store& store, const std::string& name, config::Role role);
// Every token, live and revoked, by name.
Result<std::vector<TokenInfo>> ListTokens(store::Store& store);
// STORAGE_NOT_FOUND when no live token has that name.
Result<void> RevokeToken(store::Store& store, const std::string& name);

// Who a presented token belongs to: a live stored token, or one of the
// configured ones (compared in constant time). MCP_UNAUTHORIZED otherwise;
// the message never repeats the token.
Result<TokenInfo> Authenticate(store::Store& store, const std::string& token,
                               const std::vector<config::McpTokenConfig>& configured,
                               const config::Environment& env);

// Whether a token Authenticate accepted is still live: a stored token is
// not revoked (read only: one indexed lookup, cheap enough before every
// call of a long session). Configured tokens live as long as the process.
// MCP_UNAUTHORIZED when revoked.
Result<void> CheckStillLive(store::Store& store, const TokenInfo& info, const std::string& token);

}  // namespace docrunch::auth
