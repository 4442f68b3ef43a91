#include "auth/jwt.h"

#include <sodium.h>

#include <climits>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "auth/tokens.h"
#include "config/schema.h"

namespace docrunch::auth {
namespace {

using nlohmann::json;

// Far more than any token we issue (~400 bytes); a cap keeps a hostile
// header from costing us decoding and parsing work.
constexpr std::size_t kMaxTokenBytes = 8 * 1024;

// sodium_init is idempotent and thread-safe; the HMAC and base64 code
// does not strictly need it, but libsodium asks for it before any call.
void InitSodiumOnce() {
  [[maybe_unused]] static const int ready = sodium_init();
}

Error Refused(std::string reason) {
  return MakeError(ErrorCode::kUnauthorized, std::move(reason));
}

std::string Mac(std::string_view signing_input, std::string_view secret) {
  InitSodiumOnce();
  // The init/update/final form takes a key of any length (the one-shot
  // crypto_auth_hmacsha256 wants exactly 32 bytes).
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  sodium_memzero(&state, sizeof state);
  return mac;
}

// A base64url part decoded and parsed as a JSON object; nullopt otherwise.
std::optional<json> DecodeObject(std::string_view part) {
  auto text = Base64UrlDecode(part);
  if (!text) return std::nullopt;
  json value = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

Result<void> CheckHeader(const json& header) {
  auto alg = header.find("alg");
  // Exactly HS256: "none", "hs256", other HMACs and public-key algorithms
  // (the key confusion attack) are all refused alike.
  if (alg == header.end() || !alg->is_string() || *alg != "HS256") {
    return Refused("unsupported algorithm");
  }
  auto typ = header.find("typ");
  if (typ != header.end() && (!typ->is_string() || *typ != "JWT")) {
    return Refused("unsupported token type");
  }
  // RFC 7515 §4.1.11: extensions we do not understand must not be ignored.
  if (header.contains("crit")) return Refused("unsupported critical header");
  return Ok();
}

Result<std::string> RequiredString(const json& payload, const char* claim) {
  auto it = payload.find(claim);
  if (it == payload.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return Refused(std::string("claim '") + claim + "' missing or not a non-empty string");
  }
  return it->get<std::string>();
}

// An integer NumericDate; nullopt when absent. Fractions are refused: we
// never issue them, so one is a token we did not make.
Result<std::optional<std::int64_t>> OptionalTime(const json& payload, const char* claim) {
  auto it = payload.find(claim);
  if (it == payload.end()) return std::optional<std::int64_t>{};
  const bool fits = it->is_number_integer() &&
                    !(it->is_number_unsigned() &&
                      it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX));
  if (!fits) return Refused(std::string("claim '") + claim + "' is not an integer");
  return std::optional<std::int64_t>{it->get<std::int64_t>()};
}

Result<std::string> CheckAudience(const json& payload, const std::string& expected) {
  auto it = payload.find("aud");
  if (it == payload.end()) {
    if (expected.empty()) return std::string();
    return Refused("wrong audience");
  }
  std::vector<std::string> audiences;
  if (it->is_string()) {
    audiences.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (const auto& a : *it) {
      if (!a.is_string()) return Refused("claim 'aud' is not a string or an array of strings");
      audiences.push_back(a.get<std::string>());
    }
  } else {
    return Refused("claim 'aud' is not a string or an array of strings");
  }
  if (expected.empty()) return audiences.empty() ? std::string() : audiences.front();
  for (const auto& a : audiences) {
    if (a == expected) return a;
  }
  return Refused("wrong audience");
}

Result<void> CheckTimes(JwtClaims& claims, const json& payload, const JwtCheck& check) {
  auto exp = OptionalTime(payload, "exp");
  if (!exp) return exp.error();
  auto nbf = OptionalTime(payload, "nbf");
  if (!nbf) return nbf.error();
  auto iat = OptionalTime(payload, "iat");
  if (!iat) return iat.error();
  // A token without an expiry would be valid forever.
  if (!*exp) return Refused("claim 'exp' missing");
  const std::int64_t leeway = check.leeway.count();
  if (check.now >= **exp + leeway) return Refused("token expired");
  if (*nbf && check.now + leeway < **nbf) return Refused("token not yet valid");
  if (*iat && check.now + leeway < **iat) return Refused("token issued in the future");
  claims.exp = **exp;
  claims.nbf = nbf->value_or(0);
  claims.iat = iat->value_or(0);
  return Ok();
}

Result<JwtClaims> CheckClaims(const json& payload, const JwtCheck& check) {
  JwtClaims claims;
  DOCRUNCH_TRY(CheckTimes(claims, payload, check));
  auto iss = payload.find("iss");
  if (iss != payload.end() && !iss->is_string()) return Refused("claim 'iss' is not a string");
  if (iss != payload.end()) claims.iss = iss->get<std::string>();
  if (!check.issuer.empty() && claims.iss != check.issuer) return Refused("wrong issuer");
  auto aud = CheckAudience(payload, check.audience);
  if (!aud) return aud.error();
  claims.aud = *aud;
  for (auto [claim, field] : {std::pair{"sub", &claims.sub}, std::pair{"jti", &claims.jti},
                              std::pair{"sid", &claims.sid}}) {
    auto value = RequiredString(payload, claim);
    if (!value) return value.error();
    *field = std::move(*value);
  }
  auto role_name = RequiredString(payload, "role");
  if (!role_name) return role_name.error();
  auto role = ParseRole(*role_name);
  if (!role) return Refused("claim 'role' must be reader, agent or admin");
  claims.role = *role;
  return claims;
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  InitSodiumOnce();
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.pop_back();  // the terminating NUL
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  InitSodiumOnce();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t size = 0;
  // No characters to ignore and no end pointer: anything outside the
  // alphabet, padding, and non-zero leftover bits (a second spelling of the
  // same bytes) all fail.
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &size, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

std::string SignJwt(const JwtClaims& claims, std::string_view secret) {
  json payload{{"sub", claims.sub}, {"role", config::RoleName(claims.role)},
               {"jti", claims.jti}, {"sid", claims.sid},
               {"iat", claims.iat}, {"nbf", claims.nbf},
               {"exp", claims.exp}};
  if (!claims.iss.empty()) payload["iss"] = claims.iss;
  if (!claims.aud.empty()) payload["aud"] = claims.aud;
  std::string signing_input =
      Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." +
      // Replace, not throw, should a caller pass a claim that is not UTF-8.
      Base64UrlEncode(payload.dump(-1, ' ', false, json::error_handler_t::replace));
  std::string signature = Base64UrlEncode(Mac(signing_input, secret));
  return signing_input + "." + signature;
}

Result<JwtClaims> VerifyJwt(std::string_view token, std::string_view secret,
                            const JwtCheck& check) {
  if (secret.empty()) return MakeError(ErrorCode::kInternal, "no JWT secret configured");
  if (token.empty()) return Refused("no token presented");
  if (token.size() > kMaxTokenBytes) return Refused("token too large");
  const std::size_t first = token.find('.');
  const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Refused("malformed token: not three dot-separated parts");
  }
  auto header = DecodeObject(token.substr(0, first));
  if (!header) return Refused("malformed token: the header is not a base64url JSON object");
  DOCRUNCH_TRY(CheckHeader(*header));

  // The signature before anything in the payload is believed.
  auto signature = Base64UrlDecode(token.substr(second + 1));
  std::string expected = Mac(token.substr(0, second), secret);
  if (!signature || signature->size() != expected.size() ||
      sodium_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
    return Refused("bad signature");
  }
  auto payload = DecodeObject(token.substr(first + 1, second - first - 1));
  if (!payload) return Refused("malformed token: the payload is not a base64url JSON object");
  return CheckClaims(*payload, check);
}

}  // namespace docrunch::auth
