// HS256 JWTs: a round trip, and every forged, tampered, malformed or
// out-of-date token refused with its reason and without echoing the token.
#include "auth/jwt.h"

#include <sodium.h>

#include <gmock/gmock.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace docrunch::auth {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kSecret = "test-secret-0123456789-0123456789-abcdef";

JwtClaims Claims() {
  JwtClaims c;
  c.sub = "alice";
  c.role = config::Role::kAdmin;
  c.jti = "jti-1";
  c.sid = "family-1";
  c.iss = "docrunch";
  c.aud = "docrunch-api";
  c.iat = kNow;
  c.nbf = kNow;
  c.exp = kNow + 3600;
  return c;
}

JwtCheck Check(std::int64_t now = kNow) {
  return JwtCheck{"docrunch", "docrunch-api", now, std::chrono::seconds(30)};
}

json Payload() {
  return {{"sub", "alice"},    {"role", "admin"},   {"jti", "jti-1"},
          {"sid", "family-1"}, {"iss", "docrunch"}, {"aud", "docrunch-api"},
          {"iat", kNow},       {"nbf", kNow},       {"exp", kNow + 3600}};
}

std::string HmacSha256(const std::string& input, const std::string& key) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(input.data()),
                                input.size());
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  return mac;
}

// A token built by hand: raw header and payload texts, signed with `key`
// (HMAC-SHA-256, whatever the header says).
std::string Forge(const std::string& header, const std::string& payload,
                  const std::string& key = kSecret) {
  std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  return input + "." + Base64UrlEncode(HmacSha256(input, key));
}

std::string Forge(const json& header, const json& payload, const std::string& key = kSecret) {
  return Forge(header.dump(), payload.dump(), key);
}

const json kHeader = {{"alg", "HS256"}, {"typ", "JWT"}};

// The refusal's message, after checking it is UNAUTHORIZED and does not
// repeat the token or any part of it.
std::string Refusal(const std::string& token, const JwtCheck& check = Check()) {
  auto r = VerifyJwt(token, kSecret, check);
  if (r.ok()) {
    ADD_FAILURE() << "accepted";
    return "";
  }
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthorized);
  std::size_t start = 0;
  while (start < token.size()) {
    std::size_t end = token.find('.', start);
    if (end == std::string::npos) end = token.size();
    if (end - start >= 8) {
      EXPECT_THAT(r.error().message, Not(HasSubstr(token.substr(start, end - start))));
    }
    start = end + 1;
  }
  return r.error().message;
}

TEST(Jwt, RoundTripKeepsEveryClaim) {
  std::string token = SignJwt(Claims(), kSecret);
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  auto claims = VerifyJwt(token, kSecret, Check());
  ASSERT_TRUE(claims.ok()) << claims.error().ToString();
  EXPECT_EQ(claims->sub, "alice");
  EXPECT_EQ(claims->role, config::Role::kAdmin);
  EXPECT_EQ(claims->jti, "jti-1");
  EXPECT_EQ(claims->sid, "family-1");
  EXPECT_EQ(claims->iss, "docrunch");
  EXPECT_EQ(claims->aud, "docrunch-api");
  EXPECT_EQ(claims->iat, kNow);
  EXPECT_EQ(claims->nbf, kNow);
  EXPECT_EQ(claims->exp, kNow + 3600);
  auto header = json::parse(*Base64UrlDecode(token.substr(0, token.find('.'))));
  EXPECT_EQ(header, kHeader);
}

TEST(Jwt, AClaimThatIsNotUtf8IsReplacedNotThrown) {
  JwtClaims c = Claims();
  c.sub = "al\xffice";
  std::string token;
  ASSERT_NO_THROW(token = SignJwt(c, kSecret));
  auto claims = VerifyJwt(token, kSecret, Check());
  ASSERT_TRUE(claims.ok()) << claims.error().ToString();
  EXPECT_EQ(claims->sub, "al\xef\xbf\xbdice");  // U+FFFD
}

TEST(Jwt, HandForgedTokenWithTheRightKeyIsAccepted) {
  // The forging helper is sound, so the refusals below are for their reasons.
  auto claims = VerifyJwt(Forge(kHeader, Payload()), kSecret, Check());
  ASSERT_TRUE(claims.ok()) << claims.error().ToString();
  EXPECT_EQ(claims->sub, "alice");
}

TEST(Jwt, AlgorithmNoneIsRefused) {
  std::string input =
      Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." + Base64UrlEncode(Payload().dump());
  EXPECT_EQ(Refusal(input + "."), "unsupported algorithm");
  EXPECT_EQ(Refusal(Forge(json{{"alg", "none"}}, Payload())), "unsupported algorithm");
}

TEST(Jwt, OtherAlgorithmsAndAMissingOneAreRefused) {
  for (json alg : {json("HS512"), json("RS256"), json("hs256"), json("HS256 "), json(nullptr),
                   json(256), json::array({"HS256"})}) {
    SCOPED_TRACE(alg.dump());
    EXPECT_EQ(Refusal(Forge(json{{"alg", alg}, {"typ", "JWT"}}, Payload())),
              "unsupported algorithm");
  }
  EXPECT_EQ(Refusal(Forge(json{{"typ", "JWT"}}, Payload())), "unsupported algorithm");
}

TEST(Jwt, TypeOtherThanJwtIsRefusedButMayBeAbsent) {
  EXPECT_EQ(Refusal(Forge(json{{"alg", "HS256"}, {"typ", "at+jwt"}}, Payload())),
            "unsupported token type");
  EXPECT_EQ(Refusal(Forge(json{{"alg", "HS256"}, {"typ", 1}}, Payload())),
            "unsupported token type");
  EXPECT_EQ(Refusal(Forge(json{{"alg", "HS256"}, {"crit", {"exp"}}}, Payload())),
            "unsupported critical header");
  EXPECT_TRUE(VerifyJwt(Forge(json{{"alg", "HS256"}}, Payload()), kSecret, Check()).ok());
}

TEST(Jwt, SignedWithAnotherKeyIsRefused) {
  EXPECT_EQ(Refusal(Forge(kHeader, Payload(), "another-secret-0123456789-0123456789")),
            "bad signature");
  EXPECT_EQ(Refusal(SignJwt(Claims(), kSecret + "x")), "bad signature");
}

TEST(Jwt, TamperedPayloadWithTheOriginalSignatureIsRefused) {
  std::string token = SignJwt(Claims(), kSecret);
  const std::size_t first = token.find('.'), second = token.rfind('.');
  json payload = Payload();
  payload["role"] = "admin";
  payload["sub"] = "mallory";
  std::string tampered =
      token.substr(0, first + 1) + Base64UrlEncode(payload.dump()) + token.substr(second);
  EXPECT_EQ(Refusal(tampered), "bad signature");
  // The signature itself changed in its last character, and cut short.
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(Refusal(flipped), "bad signature");
  EXPECT_EQ(Refusal(token.substr(0, token.size() - 4)), "bad signature");
  EXPECT_EQ(Refusal(token.substr(0, second + 1)), "bad signature");
}

TEST(Jwt, ExpiredBeyondLeewayIsRefusedWithinLeewayAccepted) {
  JwtClaims c = Claims();
  c.exp = kNow - 31;
  EXPECT_EQ(Refusal(SignJwt(c, kSecret)), "token expired");
  c.exp = kNow - 30;
  EXPECT_EQ(Refusal(SignJwt(c, kSecret)), "token expired");
  c.exp = kNow - 29;
  EXPECT_TRUE(VerifyJwt(SignJwt(c, kSecret), kSecret, Check()).ok());
  c.exp = kNow - 10;
  JwtCheck strict = Check();
  strict.leeway = std::chrono::seconds(0);
  EXPECT_EQ(Refusal(SignJwt(c, kSecret), strict), "token expired");
}

TEST(Jwt, NotBeforeAndIssuedAtInTheFutureAreRefused) {
  JwtClaims c = Claims();
  c.nbf = kNow + 60;
  EXPECT_EQ(Refusal(SignJwt(c, kSecret)), "token not yet valid");
  c.nbf = kNow + 20;  // within the leeway
  EXPECT_TRUE(VerifyJwt(SignJwt(c, kSecret), kSecret, Check()).ok());
  c = Claims();
  c.iat = kNow + 3000;
  EXPECT_EQ(Refusal(SignJwt(c, kSecret)), "token issued in the future");
}

TEST(Jwt, MissingExpiryIsRefused) {
  json p = Payload();
  p.erase("exp");
  EXPECT_EQ(Refusal(Forge(kHeader, p)), "claim 'exp' missing");
}

TEST(Jwt, WrongAudienceIsRefusedAndAnArrayHoldingOursAccepted) {
  JwtClaims c = Claims();
  c.aud = "someone-else";
  EXPECT_EQ(Refusal(SignJwt(c, kSecret)), "wrong audience");
  json p = Payload();
  p.erase("aud");
  EXPECT_EQ(Refusal(Forge(kHeader, p)), "wrong audience");
  p["aud"] = json::array({"other", "docrunch-api"});
  auto claims = VerifyJwt(Forge(kHeader, p), kSecret, Check());
  ASSERT_TRUE(claims.ok()) << claims.error().ToString();
  EXPECT_EQ(claims->aud, "docrunch-api");
  p["aud"] = json::array({"other", "more"});
  EXPECT_EQ(Refusal(Forge(kHeader, p)), "wrong audience");
  p["aud"] = json::array({"docrunch-api", 7});
  EXPECT_THAT(Refusal(Forge(kHeader, p)), HasSubstr("claim 'aud'"));
}

TEST(Jwt, WrongIssuerIsRefused) {
  JwtClaims c = Claims();
  c.iss = "evil";
  EXPECT_EQ(Refusal(SignJwt(c, kSecret)), "wrong issuer");
  json p = Payload();
  p.erase("iss");
  EXPECT_EQ(Refusal(Forge(kHeader, p)), "wrong issuer");
}

TEST(Jwt, MissingOrMistypedRequiredClaimsAreRefused) {
  for (const char* claim : {"sub", "role", "jti", "sid"}) {
    SCOPED_TRACE(claim);
    json p = Payload();
    p.erase(claim);
    EXPECT_THAT(Refusal(Forge(kHeader, p)), HasSubstr(std::string("claim '") + claim + "'"));
    p[claim] = 42;
    EXPECT_THAT(Refusal(Forge(kHeader, p)), HasSubstr(std::string("claim '") + claim + "'"));
    p[claim] = "";
    EXPECT_THAT(Refusal(Forge(kHeader, p)), HasSubstr(std::string("claim '") + claim + "'"));
  }
  json p = Payload();
  p["role"] = "root";
  EXPECT_EQ(Refusal(Forge(kHeader, p)), "claim 'role' must be reader, agent or admin");
  for (json bad : {json("1800003600"), json(1.8e9 + 0.5), json(nullptr)}) {
    p = Payload();
    p["exp"] = bad;
    EXPECT_EQ(Refusal(Forge(kHeader, p)), "claim 'exp' is not an integer");
  }
  p = Payload();
  p["iss"] = json::array({"docrunch"});
  EXPECT_EQ(Refusal(Forge(kHeader, p)), "claim 'iss' is not a string");
}

TEST(Jwt, NonJsonAndNonObjectPartsAreRefused) {
  EXPECT_THAT(Refusal(Forge("not json", Payload().dump())), HasSubstr("the header is not"));
  EXPECT_THAT(Refusal(Forge("[\"HS256\"]", Payload().dump())), HasSubstr("the header is not"));
  EXPECT_THAT(Refusal(Forge(kHeader.dump(), "not json")), HasSubstr("the payload is not"));
  EXPECT_THAT(Refusal(Forge(kHeader.dump(), "[1,2]")), HasSubstr("the payload is not"));
  EXPECT_THAT(Refusal(Forge(kHeader.dump(), "\"alice\"")), HasSubstr("the payload is not"));
  EXPECT_THAT(Refusal(Forge(kHeader.dump(), "")), HasSubstr("the payload is not"));
}

TEST(Jwt, TwoOrFourPartsAreRefused) {
  std::string token = SignJwt(Claims(), kSecret);
  std::string two = token.substr(0, token.rfind('.'));
  EXPECT_THAT(Refusal(two), HasSubstr("not three dot-separated parts"));
  EXPECT_THAT(Refusal(token + ".x"), HasSubstr("not three dot-separated parts"));
  EXPECT_THAT(Refusal(token + "."), HasSubstr("not three dot-separated parts"));
  EXPECT_THAT(Refusal("a.b.c.d"), HasSubstr("not three dot-separated parts"));
  EXPECT_THAT(Refusal("nodots"), HasSubstr("not three dot-separated parts"));
  EXPECT_EQ(Refusal(""), "no token presented");
}

TEST(Jwt, BadBase64UrlIsRefused) {
  std::string token = SignJwt(Claims(), kSecret);
  const std::size_t first = token.find('.');
  // Standard base64 characters, padding, and whitespace are not base64url.
  for (std::string header : {token.substr(0, first) + "=", "eyJ+" + token.substr(4, first - 4),
                             token.substr(0, first - 1) + " " + token.substr(first - 1, 1)}) {
    SCOPED_TRACE(header);
    EXPECT_THAT(Refusal(header + token.substr(first)), HasSubstr("the header is not"));
  }
  std::string payload_start = token.substr(0, first + 1);
  EXPECT_THAT(Refusal(payload_start + "*" + token.substr(first + 1)),
              HasSubstr("bad signature"));  // signed input changed: the signature fails first
  EXPECT_FALSE(Base64UrlDecode("a").has_value()) << "a length of 4n+1 is never valid";
  EXPECT_FALSE(Base64UrlDecode("QR").has_value()) << "leftover bits must be zero";
  EXPECT_EQ(Base64UrlDecode("QQ"), "A");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8"), "\xfb\xff");
  EXPECT_FALSE(Base64UrlDecode("+/8").has_value());
  EXPECT_FALSE(Base64UrlDecode("QQ==").has_value());
}

TEST(Jwt, OversizedTokenIsRefusedBeforeDecoding) {
  json p = Payload();
  p["pad"] = std::string(8 * 1024, 'x');
  EXPECT_EQ(Refusal(Forge(kHeader, p)), "token too large");
  p["pad"] = std::string(4 * 1024, 'x');
  EXPECT_TRUE(VerifyJwt(Forge(kHeader, p), kSecret, Check()).ok()) << "4 KB is still fine";
}

}  // namespace
}  // namespace docrunch::auth
