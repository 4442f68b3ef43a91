// Dashboard users and their sessions (PRODUCT §11, §15): people sign in to
// the REST API with a name and password and get a short-lived access token
// (a JWT, jwt.h) and a long-lived refresh token.
//
// Passwords are hashed with Argon2id (libsodium crypto_pwhash_str, interactive
// limits); only the hash is stored (table `users`). A refresh token is a
// random opaque string ("drr_" + 64 hex digits) stored as its BLAKE2b hash
// (table `refresh_tokens`), one row per token, all the tokens of one sign-in
// sharing a `family_id`. Refresh rotates: the presented token is marked used
// and a new one of the same family is issued. Presenting a used token again
// is reuse (it was stolen, or the client is confused): the whole family is
// revoked and every access token of that sign-in stops working too, because
// access tokens carry the family as `sid` and VerifyAccess checks it.
// Logout revokes the family the same way.
//
// Every failure of Login, Refresh and VerifyAccess is UNAUTHORIZED with a
// message that never repeats a token or a password and, for Login, never
// says whether the name exists. Thread-safe; all state is in the Store.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace docrunch::auth {

struct UserInfo {
  std::int64_t id = 0;
  std::string name;  // 1-64 of [A-Za-z0-9._@-], starting with a letter or digit
  config::Role role = config::Role::kReader;
  std::string created_at;     // ISO-8601 UTC
  std::string last_login_at;  // "" when never
  std::string disabled_at;    // "" while enabled
};

// --- users (the `docrunch user` commands and the admin REST routes) ---
// INVALID_PARAMS for a bad name or a password shorter than 8 or longer than
// 1024 bytes; ALREADY_EXISTS when the name is taken.
Result<UserInfo> CreateUser(store::Store& store, const Clock& clock, const std::string& name,
                            config::Role role, const std::string& password);
Result<std::vector<UserInfo>> ListUsers(store::Store& store);
// STORAGE_NOT_FOUND for an unknown name.
Result<UserInfo> GetUser(store::Store& store, const std::string& name);
// Changes the password and revokes every session of the user.
Result<void> SetPassword(store::Store& store, const Clock& clock, const std::string& name,
                         const std::string& password);
// Disables the user and revokes every session; a disabled user cannot sign in.
Result<void> DisableUser(store::Store& store, const Clock& clock, const std::string& name);

// --- sessions ---
struct SessionOptions {
  std::string secret;  // the HS256 key (the variable server.http.auth.jwt_secret_env names)
  std::chrono::seconds access_ttl{24 * 3600};
  std::chrono::seconds refresh_ttl{7 * 24 * 3600};
  std::string issuer = "docrunch";
  std::string audience = "docrunch-api";
  std::chrono::seconds leeway{30};
  // Whether sessions without a user (StartTrusted: the local sign-in link
  // with auth off) are valid. False when auth is on, so a local session
  // started before auth was turned on is refused, not kept alive by refresh.
  bool allow_trusted = true;
};

struct TokenPair {
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_in = 0;          // seconds the access token lives
  std::int64_t refresh_expires_in = 0;  // seconds the refresh token lives
};

// Who an access token stands for.
struct Principal {
  std::string name;  // the user name (JWT `sub`)
  config::Role role = config::Role::kReader;
  std::string session_id;  // the refresh family (JWT `sid`)
};

class SessionService {
 public:
  // `store` and `clock` must outlive the service.
  SessionService(store::Store& store, const Clock& clock, SessionOptions options);

  // Checks the password (Argon2id verify), records last_login_at, starts a
  // new family. UNAUTHORIZED "invalid username or password" for an unknown
  // name, a wrong password or a disabled user (same message, and an unknown
  // name still costs one hash verification, so timing does not tell).
  Result<TokenPair> Login(const std::string& name, const std::string& password);
  // Rotates: the presented token is used up, a new pair is issued in the
  // same family. A used, revoked, expired or unknown token: UNAUTHORIZED;
  // a used one also revokes its family (reuse detection).
  Result<TokenPair> Refresh(const std::string& refresh_token);
  // Revokes the token's family. An unknown or already revoked token is
  // UNAUTHORIZED.
  Result<void> Logout(const std::string& refresh_token);
  // A session for `name` without a password: the local sign-in link of
  // `serve` (auth off) exchanges its one-time token for this.
  Result<TokenPair> StartTrusted(const std::string& name, config::Role role);
  // The JWT checks of jwt.h, then: the family is not revoked and the user
  // exists and is enabled (one indexed query). Sessions from StartTrusted
  // have no users row and skip the user check.
  //
  // With `mark` (Store::ChangeMark, taken before this call): a token found
  // valid under the same mark is not decoded or looked up again, only its
  // expiry is checked; every commit moves the mark, so a sign-out, a
  // revoked session or a disabled user is seen at once.
  Result<Principal> VerifyAccess(const std::string& access_token, const std::string& mark = "");

 private:
  struct Verified {
    std::string mark;
    Principal who;
    std::int64_t exp = 0;
  };
  Result<Principal> VerifyAccessUncached(const std::string& access_token, std::int64_t& exp);

  Result<TokenPair> Issue(store::Tx& tx, std::int64_t user_id, const std::string& name,
                          config::Role role, const std::string& family);
  store::Store& store_;
  const Clock& clock_;
  SessionOptions options_;
  std::shared_mutex verified_mu_;
  std::unordered_map<std::string, Verified> verified_;  // by token; GUARDED_BY(verified_mu_)
};

}  // namespace docrunch::auth
