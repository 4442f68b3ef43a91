// JSON Web Tokens, HS256 only (RFC 7519, RFC 7515 compact form), signed and
// checked with libsodium's HMAC-SHA-256. The algorithm is pinned: a header
// naming any other ("none", "HS512", "RS256", ...) is refused, as is a
// header or payload that is not base64url JSON, a bad signature (compared in
// constant time), and any of the registered claims failing: exp (expired,
// beyond `leeway`), nbf (not yet valid), iat (in the future beyond
// `leeway`), iss, aud (a string or an array holding the expected one), and
// a missing sub, role (reader|agent|admin), jti or sid.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/result.h"

namespace docrunch::auth {

struct JwtClaims {
  std::string sub;  // user name
  config::Role role = config::Role::kReader;
  std::string jti;  // random id of this token
  std::string sid;  // session (refresh family) id
  std::string iss;
  std::string aud;
  std::int64_t iat = 0;  // unix seconds
  std::int64_t nbf = 0;
  std::int64_t exp = 0;
};

// The compact token: base64url(header).base64url(payload).base64url(sig).
std::string SignJwt(const JwtClaims& claims, std::string_view secret);

struct JwtCheck {
  std::string issuer;
  std::string audience;
  std::int64_t now = 0;  // unix seconds
  std::chrono::seconds leeway{30};
};

// The claims of a valid token; UNAUTHORIZED with the reason otherwise
// ("token expired", "unsupported algorithm", "bad signature", ...), never
// echoing the token. exp is required; nbf and iat are checked when present.
// A token longer than 8 KB is refused unread. INTERNAL for an empty secret.
Result<JwtClaims> VerifyJwt(std::string_view token, std::string_view secret, const JwtCheck& check);

// base64url without padding (exposed for tests that forge tokens).
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace docrunch::auth
