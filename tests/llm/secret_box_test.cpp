// The secret box: keys as hex or base64, key ids, sealing bound to a
// context, and the errors for a missing, malformed or wrong key (naming the
// variable and key ids, never the key or the plaintext).
#include "llm/secret_box.h"

#include <gmock/gmock.h>

#include "llm/key_check.h"

namespace docrunch::llm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kHexKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

SecretBox BoxOf(const std::string& text) {
  auto key = SecretKey::Parse(text, "TEST_KEY");
  EXPECT_TRUE(key.ok()) << key.error().ToString();
  return SecretBox(std::move(*key));
}

TEST(SecretBox, SealsAndOpensWithTheSameKeyAndContext) {
  SecretBox box = BoxOf(kHexKey);
  const std::string plaintext = "sk-test-0123456789abcdef";
  std::string sealed = box.Seal(plaintext, "llm_providers/openai/api_key");
  EXPECT_THAT(sealed, ::testing::StartsWith("drsb1."));
  EXPECT_THAT(sealed, Not(HasSubstr(plaintext)));
  EXPECT_NE(sealed, box.Seal(plaintext, "llm_providers/openai/api_key")) << "a fresh nonce";
  auto opened = box.Open(sealed, "llm_providers/openai/api_key");
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  EXPECT_EQ(opened->view(), plaintext);
  auto header = InspectSealed(sealed);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->version, 1);
  EXPECT_EQ(header->key_id, box.key_id());
  EXPECT_EQ(box.key_id().size(), 16u);
}

TEST(SecretBox, AnotherContextOrAnEditedValueDoesNotOpen) {
  SecretBox box = BoxOf(kHexKey);
  std::string sealed = box.Seal("sk-test-0123456789abcdef", "llm_providers/a/api_key");
  auto moved = box.Open(sealed, "llm_providers/b/api_key");
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, ErrorCode::kStorageCorrupt);
  for (std::size_t at : {sealed.size() - 1, sealed.size() / 2, std::size_t{20}}) {
    std::string edited = sealed;
    edited[at] = edited[at] == 'A' ? 'B' : 'A';
    auto opened = box.Open(edited, "llm_providers/a/api_key");
    EXPECT_FALSE(opened.ok()) << "edited at " << at;
  }
  EXPECT_FALSE(box.Open("drsb1.", "x").ok());
  EXPECT_FALSE(box.Open("plain text", "x").ok());
  EXPECT_FALSE(box.Open("drsb1.!!!!", "x").ok());
}

TEST(SecretBox, AnotherKeyIsNamedByKeyIdNotOpened) {
  SecretBox one = BoxOf(kHexKey);
  SecretBox two(SecretKey::Generate());
  std::string sealed = one.Seal("secret-value-123456", "ctx");
  auto opened = two.Open(sealed, "ctx");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kKmsKeyInvalid);
  EXPECT_THAT(opened.error().message, HasSubstr(one.key_id()));
  EXPECT_THAT(opened.error().message, HasSubstr(two.key_id()));
  EXPECT_THAT(opened.error().message, Not(HasSubstr("secret-value")));
}

TEST(SecretKey, HexAndBothBase64AlphabetsGiveTheSameKey) {
  // The 32 bytes of kHexKey in base64: standard with padding, without, URL-safe.
  const std::string standard = "ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8=";
  std::string urlsafe = standard.substr(0, 43);
  for (char& c : urlsafe) {
    if (c == '/') c = '_';
    if (c == '+') c = '-';
  }
  const std::string id = BoxOf(kHexKey).key_id();
  EXPECT_EQ(BoxOf(standard).key_id(), id);
  EXPECT_EQ(BoxOf(standard.substr(0, 43)).key_id(), id);
  EXPECT_EQ(BoxOf(urlsafe).key_id(), id);
  EXPECT_EQ(BoxOf("  " + kHexKey + "\n").key_id(), id) << "surrounding whitespace";
  std::string upper = kHexKey;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(BoxOf(upper).key_id(), id);
  EXPECT_NE(SecretBox(SecretKey::Generate()).key_id(), id);
}

TEST(SecretKey, MalformedKeysNameTheVariableNotTheValue) {
  for (const std::string& bad :
       {std::string("not-a-key-at-all"), kHexKey.substr(0, 62), kHexKey + "00",
        std::string(64, 'g'), std::string("ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v"),
        std::string(""), std::string("ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v*=")}) {
    auto key = SecretKey::Parse(bad, "MY_KMS_VAR");
    ASSERT_FALSE(key.ok()) << bad;
    EXPECT_EQ(key.error().code, ErrorCode::kKmsKeyInvalid);
    EXPECT_THAT(key.error().message, HasSubstr("MY_KMS_VAR"));
    if (bad.size() > 3) {
      EXPECT_THAT(key.error().message, Not(HasSubstr(bad)));
    }
  }
}

TEST(SecretKey, LoadKeyReportsAnUnsetVariable) {
  auto key = LoadKey({}, "DOCRUNCH_KMS_KEY");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, ErrorCode::kKmsKeyInvalid);
  EXPECT_THAT(key.error().message, HasSubstr("DOCRUNCH_KMS_KEY"));
  EXPECT_THAT(key.error().message, HasSubstr("is not set"));
  auto loaded = LoadKey({{"DOCRUNCH_KMS_KEY", kHexKey}}, "DOCRUNCH_KMS_KEY");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->ToHex(), kHexKey);
}

TEST(Secret, MovesLeaveNothingBehind) {
  Secret a(std::string_view("top-secret"));
  Secret b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.view(), "top-secret");
  Secret c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.view(), "top-secret");
}

}  // namespace
}  // namespace docrunch::llm
