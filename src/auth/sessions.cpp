#include "auth/sessions.h"

#include <sodium.h>

#include <cctype>
#include <optional>

#include "auth/jwt.h"
#include "auth/tokens.h"
#include "config/schema.h"

namespace docrunch::auth {
namespace {

constexpr std::string_view kRefreshPrefix = "drr_";
constexpr std::size_t kRefreshHexDigits = 64;
constexpr std::size_t kMinPassword = 8, kMaxPassword = 1024, kMaxName = 64;
// The one Login failure message: it must not tell which part was wrong.
constexpr const char* kBadLogin = "invalid username or password";

Result<void> InitSodium() {
  static const int ready = sodium_init();
  if (ready < 0) return MakeError(ErrorCode::kInternal, "libsodium failed to initialize");
  return Ok();
}

Error Unauthorized(std::string message) {
  return MakeError(ErrorCode::kUnauthorized, std::move(message));
}

std::string Hex(const unsigned char* data, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string out = Hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  sodium_memzero(raw.data(), raw.size());
  return out;
}

// BLAKE2b-256 as hex, as tokens.cpp stores agent tokens: a refresh token
// is 256 random bits, so a fast hash is enough (no salt, no stretching)
// and lets the row be found by an indexed equality lookup.
std::string HashToken(std::string_view token) {
  unsigned char hash[crypto_generichash_BYTES];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return Hex(hash, sizeof hash);
}

bool LooksLikeRefreshToken(const std::string& token) {
  if (token.size() != kRefreshPrefix.size() + kRefreshHexDigits) return false;
  if (token.compare(0, kRefreshPrefix.size(), kRefreshPrefix) != 0) return false;
  return token.find_first_not_of("0123456789abcdef", kRefreshPrefix.size()) == std::string::npos;
}

std::string CheckName(const std::string& name) {
  if (name.empty() || name.size() > kMaxName) return "name: must be 1 to 64 characters";
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) {
    return "name: must start with a letter or a digit";
  }
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || !(std::isalnum(u) || c == '.' || c == '_' || c == '@' || c == '-')) {
      return "name: only letters, digits and . _ @ - are allowed";
    }
  }
  return "";
}

Result<void> CheckPassword(const std::string& password) {
  if (password.size() < kMinPassword || password.size() > kMaxPassword) {
    return MakeError(ErrorCode::kInvalidParams, "password: must be 8 to 1024 bytes");
  }
  return Ok();
}

Result<std::string> HashPassword(const std::string& password) {
  DOCRUNCH_TRY(InitSodium());
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return MakeError(ErrorCode::kInternal, "password hashing ran out of memory");
  }
  return std::string(hash);
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

// What an unknown name is verified against, so it costs what a known one
// does. A fixed Argon2id hash of a random password nobody kept, made with
// the interactive limits; should libsodium's limits ever change, one of
// the new cost is made instead (the timing must match real users' hashes).
const std::string& DummyHash() {
  static const std::string hash = [] {
    std::string fixed =
        "$argon2id$v=19$m=65536,t=2,p=1$cKkNw+6fZ1jcqidW/sywUQ$"
        "5GrE8RP6vkocqZto1QD1nWBXQWMVWTKWyeLbIWddQ8Q";
    if (crypto_pwhash_str_needs_rehash(fixed.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                       crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0) {
      return fixed;
    }
    auto made = HashPassword(RandomHex(32));
    return made ? *made : fixed;
  }();
  return hash;
}

std::int64_t UnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

config::Role RoleOf(const store::Rows& rows, std::size_t i, std::string_view column) {
  return ParseRole(rows.Text(i, column).value_or("")).value_or(config::Role::kReader);
}

UserInfo ReadUser(const store::Rows& rows, std::size_t i) {
  UserInfo u;
  u.id = rows.Int(i, "id").value_or(0);
  u.name = rows.Text(i, "name").value_or("");
  u.role = RoleOf(rows, i, "role");
  u.created_at = rows.Text(i, "created_at").value_or("");
  u.last_login_at = rows.Text(i, "last_login_at").value_or("");
  u.disabled_at = rows.Text(i, "disabled_at").value_or("");
  return u;
}

constexpr std::string_view kUserColumns = "id, name, role, created_at, last_login_at, disabled_at";

Result<void> RevokeUserSessions(store::Tx& tx, const std::string& name, const std::string& now,
                                const std::string& reason) {
  auto revoked = tx.Exec(
      "UPDATE auth_sessions SET revoked_at = $1, revoked_reason = $2 WHERE revoked_at IS NULL "
      "AND user_id = (SELECT id FROM users WHERE name = $3)",
      {now, reason, name});
  if (!revoked) return revoked.error();
  return Ok();
}

// Revokes one family (reuse, logout); how many rows changed (0: it was
// already revoked).
Result<std::int64_t> RevokeFamily(store::Tx& tx, const std::string& family, const std::string& now,
                                  const std::string& reason) {
  return tx.Exec(
      "UPDATE auth_sessions SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND "
      "revoked_at IS NULL",
      {now, reason, family});
}

Error NotFound(const std::string& name) {
  return MakeError(ErrorCode::kStorageNotFound, "name: no user named '" + name + "'");
}

}  // namespace

// --- users ---

Result<UserInfo> CreateUser(store::Store& store, const Clock& clock, const std::string& name,
                            config::Role role, const std::string& password) {
  std::string problem = CheckName(name);
  if (!problem.empty()) return MakeError(ErrorCode::kInvalidParams, problem);
  DOCRUNCH_TRY(CheckPassword(password));
  // Hashed before the transaction: ~0.1 s that must not hold the writer.
  auto hash = HashPassword(password);
  if (!hash) return hash.error();
  UserInfo user;
  auto done = store.Transact([&](store::Tx& tx) -> Result<void> {
    auto rows = tx.Query(
        "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (name) DO NOTHING RETURNING " +
            std::string(kUserColumns),
        {name, std::string(config::RoleName(role)), *hash, FormatIso8601(clock.Now())});
    if (!rows) return rows.error();
    if (rows->empty()) {
      return MakeError(ErrorCode::kAlreadyExists, "name: a user named '" + name + "' exists");
    }
    user = ReadUser(*rows, 0);
    return Ok();
  });
  if (!done) return done.error();
  return user;
}

Result<std::vector<UserInfo>> ListUsers(store::Store& store) {
  auto rows = store.Query("SELECT " + std::string(kUserColumns) + " FROM users ORDER BY name");
  if (!rows) return rows.error();
  std::vector<UserInfo> out;
  for (std::size_t i = 0; i < rows->size(); ++i) out.push_back(ReadUser(*rows, i));
  return out;
}

Result<UserInfo> GetUser(store::Store& store, const std::string& name) {
  auto rows =
      store.Query("SELECT " + std::string(kUserColumns) + " FROM users WHERE name = $1", {name});
  if (!rows) return rows.error();
  if (rows->empty()) return NotFound(name);
  return ReadUser(*rows, 0);
}

Result<void> SetPassword(store::Store& store, const Clock& clock, const std::string& name,
                         const std::string& password) {
  DOCRUNCH_TRY(CheckPassword(password));
  auto hash = HashPassword(password);
  if (!hash) return hash.error();
  return store.Transact([&](store::Tx& tx) -> Result<void> {
    auto changed = tx.Exec("UPDATE users SET password_hash = $1 WHERE name = $2", {*hash, name});
    if (!changed) return changed.error();
    if (*changed == 0) return NotFound(name);
    return RevokeUserSessions(tx, name, FormatIso8601(clock.Now()), "password changed");
  });
}

Result<void> DisableUser(store::Store& store, const Clock& clock, const std::string& name) {
  const std::string now = FormatIso8601(clock.Now());
  return store.Transact([&](store::Tx& tx) -> Result<void> {
    // Disabling twice keeps the first time and still ends any session.
    auto changed = tx.Exec(
        "UPDATE users SET disabled_at = COALESCE(disabled_at, $1) WHERE name = $2", {now, name});
    if (!changed) return changed.error();
    if (*changed == 0) return NotFound(name);
    return RevokeUserSessions(tx, name, now, "user disabled");
  });
}

// --- sessions ---

SessionService::SessionService(store::Store& store, const Clock& clock, SessionOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

namespace {

Result<void> CheckSecret(const SessionOptions& options) {
  DOCRUNCH_TRY(InitSodium());
  if (options.secret.empty()) {
    return MakeError(ErrorCode::kConfigInvalid, "no JWT secret: the signing key is empty");
  }
  return Ok();
}

Result<void> InsertFamily(store::Tx& tx, const std::string& family, store::Value user_id,
                          const std::string& name, config::Role role, const std::string& now) {
  auto inserted = tx.Exec(
      "INSERT INTO auth_sessions (id, user_id, name, role, created_at) VALUES ($1, $2, $3, $4, "
      "$5)",
      {family, std::move(user_id), name, std::string(config::RoleName(role)), now});
  if (!inserted) return inserted.error();
  return Ok();
}

}  // namespace

Result<TokenPair> SessionService::Issue(store::Tx& tx, std::int64_t /*user_id: on the family*/,
                                        const std::string& name, config::Role role,
                                        const std::string& family) {
  const TimePoint now = clock_.Now();
  std::string refresh = std::string(kRefreshPrefix) + RandomHex(kRefreshHexDigits / 2);
  auto inserted = tx.Exec(
      "INSERT INTO refresh_tokens (family_id, token_hash, created_at, expires_at) VALUES ($1, $2, "
      "$3, $4)",
      {family, HashToken(refresh), FormatIso8601(now), FormatIso8601(now + options_.refresh_ttl)});
  if (!inserted) return inserted.error();
  JwtClaims claims;
  claims.sub = name;
  claims.role = role;
  claims.jti = RandomHex(16);
  claims.sid = family;
  claims.iss = options_.issuer;
  claims.aud = options_.audience;
  claims.iat = claims.nbf = UnixSeconds(now);
  claims.exp = claims.iat + options_.access_ttl.count();
  return TokenPair{SignJwt(claims, options_.secret), std::move(refresh),
                   options_.access_ttl.count(), options_.refresh_ttl.count()};
}

Result<TokenPair> SessionService::Login(const std::string& name, const std::string& password) {
  DOCRUNCH_TRY(CheckSecret(options_));
  // Refused before hashing whatever the name: a megabyte "password" must
  // not buy a megabyte of Argon2 work.
  if (password.size() > kMaxPassword) return Unauthorized(kBadLogin);
  auto rows = store_.Query("SELECT id, role, password_hash, disabled_at FROM users WHERE name = $1",
                           {name});
  if (!rows) return rows.error();
  if (rows->empty()) {
    (void)VerifyPassword(DummyHash(), password);
    return Unauthorized(kBadLogin);
  }
  const std::string hash = rows->Text(0, "password_hash").value_or("");
  const bool verified = VerifyPassword(hash, password);
  if (!verified || rows->Text(0, "disabled_at")) return Unauthorized(kBadLogin);
  const std::int64_t user_id = rows->Int(0, "id").value_or(0);
  const config::Role role = RoleOf(*rows, 0, "role");

  std::optional<TokenPair> pair;
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    const std::string now = FormatIso8601(clock_.Now());
    // Still enabled and still the password just verified: a DisableUser or
    // SetPassword that committed meanwhile wins.
    auto current = tx.Exec(
        "UPDATE users SET last_login_at = $1 WHERE id = $2 AND disabled_at IS NULL AND "
        "password_hash = $3",
        {now, user_id, hash});
    if (!current) return current.error();
    if (*current == 0) return Unauthorized(kBadLogin);
    const std::string family = RandomHex(16);
    DOCRUNCH_TRY(InsertFamily(tx, family, user_id, name, role, now));
    auto issued = Issue(tx, user_id, name, role, family);
    if (!issued) return issued.error();
    pair = std::move(*issued);
    return Ok();
  });
  if (!done) return done.error();
  return std::move(*pair);
}

Result<TokenPair> SessionService::Refresh(const std::string& refresh_token) {
  DOCRUNCH_TRY(CheckSecret(options_));
  if (!LooksLikeRefreshToken(refresh_token)) return Unauthorized("unknown refresh token");
  const std::string hash = HashToken(refresh_token);
  std::optional<TokenPair> pair;
  // A refusal that must still commit (reuse revokes the family), so it is
  // carried out of the transaction rather than returned from it.
  std::optional<Error> refused;
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    const TimePoint now = clock_.Now();
    const std::string now_text = FormatIso8601(now);
    auto rows = tx.Query(
        "SELECT r.id, r.family_id, r.expires_at, r.used_at, s.user_id, s.name, s.role, "
        "s.revoked_at FROM refresh_tokens r JOIN auth_sessions s ON s.id = r.family_id "
        "WHERE r.token_hash = $1",
        {hash});
    if (!rows) return rows.error();
    auto refuse = [&](std::string message) -> Result<void> {
      refused = Unauthorized(std::move(message));
      return Ok();
    };
    if (rows->empty()) return refuse("unknown refresh token");
    const std::string family = rows->Text(0, "family_id").value_or("");
    auto reuse = [&]() -> Result<void> {
      auto revoked = RevokeFamily(tx, family, now_text, "refresh token reused");
      if (!revoked) return revoked.error();
      return refuse("refresh token already used: the session is revoked");
    };
    if (rows->Text(0, "revoked_at")) return refuse("session revoked");
    if (!rows->Int(0, "user_id") && !options_.allow_trusted) {
      return refuse("a local sign-in is not valid while auth is on");
    }
    if (rows->Text(0, "used_at")) return reuse();
    auto expires = ParseIso8601(rows->Text(0, "expires_at").value_or(""));
    if (!expires || now >= *expires) return refuse("refresh token expired");
    // The race between two refreshes of one token is decided here: the
    // loser changes no row and is treated as reuse.
    auto used = tx.Exec("UPDATE refresh_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
                        {now_text, rows->Int(0, "id").value_or(0)});
    if (!used) return used.error();
    if (*used == 0) return reuse();
    auto issued = Issue(tx, rows->Int(0, "user_id").value_or(0), rows->Text(0, "name").value_or(""),
                        RoleOf(*rows, 0, "role"), family);
    if (!issued) return issued.error();
    pair = std::move(*issued);
    return Ok();
  });
  if (!done) return done.error();
  if (refused) return *refused;
  return std::move(*pair);
}

Result<void> SessionService::Logout(const std::string& refresh_token) {
  DOCRUNCH_TRY(InitSodium());
  if (!LooksLikeRefreshToken(refresh_token)) return Unauthorized("unknown refresh token");
  const std::string hash = HashToken(refresh_token);
  return store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto rows = tx.Query("SELECT family_id FROM refresh_tokens WHERE token_hash = $1", {hash});
    if (!rows) return rows.error();
    if (rows->empty()) return Unauthorized("unknown refresh token");
    auto revoked = RevokeFamily(tx, rows->Text(0, "family_id").value_or(""),
                                FormatIso8601(clock_.Now()), "logout");
    if (!revoked) return revoked.error();
    if (*revoked == 0) return Unauthorized("session already ended");
    return Ok();
  });
}

Result<TokenPair> SessionService::StartTrusted(const std::string& name, config::Role role) {
  DOCRUNCH_TRY(CheckSecret(options_));
  std::string problem = CheckName(name);
  if (!problem.empty()) return MakeError(ErrorCode::kInvalidParams, problem);
  std::optional<TokenPair> pair;
  auto done = store_.Transact([&](store::Tx& tx) -> Result<void> {
    const std::string family = RandomHex(16);
    DOCRUNCH_TRY(
        InsertFamily(tx, family, std::monostate{}, name, role, FormatIso8601(clock_.Now())));
    auto issued = Issue(tx, 0, name, role, family);
    if (!issued) return issued.error();
    pair = std::move(*issued);
    return Ok();
  });
  if (!done) return done.error();
  return std::move(*pair);
}

Result<Principal> SessionService::VerifyAccess(const std::string& access_token,
                                               const std::string& mark) {
  if (mark.empty()) {
    std::int64_t exp = 0;
    return VerifyAccessUncached(access_token, exp);
  }
  const std::int64_t now = UnixSeconds(clock_.Now());
  {
    std::shared_lock lock(verified_mu_);
    auto found = verified_.find(access_token);
    if (found != verified_.end() && found->second.mark == mark &&
        now < found->second.exp + options_.leeway.count()) {
      return found->second.who;
    }
  }
  std::int64_t exp = 0;
  auto who = VerifyAccessUncached(access_token, exp);
  if (!who) return who;
  std::unique_lock lock(verified_mu_);
  // Bounded: tokens of an older mark are dead weight; start over.
  if (verified_.size() >= 10'000) verified_.clear();
  verified_[access_token] = Verified{mark, *who, exp};
  return who;
}

Result<Principal> SessionService::VerifyAccessUncached(const std::string& access_token,
                                                       std::int64_t& exp) {
  DOCRUNCH_TRY(CheckSecret(options_));
  JwtCheck check{options_.issuer, options_.audience, UnixSeconds(clock_.Now()), options_.leeway};
  auto claims = VerifyJwt(access_token, options_.secret, check);
  if (!claims) return claims.error();
  exp = claims->exp;
  // One lookup by primary key, plus the user's row by primary key.
  auto rows = store_.Query(
      "SELECT s.name, s.role, s.revoked_at, s.user_id, u.role AS user_role, u.disabled_at "
      "FROM auth_sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.id = $1",
      {claims->sid});
  if (!rows) return rows.error();
  if (rows->empty()) return Unauthorized("unknown session");
  if (rows->Text(0, "revoked_at")) return Unauthorized("session revoked");
  const std::string role_name(config::RoleName(claims->role));
  if (rows->Text(0, "name") != claims->sub || rows->Text(0, "role") != role_name) {
    return Unauthorized("the token does not match its session");
  }
  if (!rows->Int(0, "user_id") && !options_.allow_trusted) {
    return Unauthorized("a local sign-in is not valid while auth is on");
  }
  if (rows->Int(0, "user_id")) {
    if (rows->Text(0, "disabled_at")) return Unauthorized("user disabled");
    // A role changed since sign-in takes effect now, not at expiry.
    if (rows->Text(0, "user_role") != role_name) return Unauthorized("the user's role changed");
  }
  return Principal{claims->sub, claims->role, claims->sid};
}

}  // namespace docrunch::auth
