// Providers, profiles, the key check value and rotation on both backends:
// what is stored is only ciphertext, masks in reads, validation naming the
// field, profiles holding on to their providers, and a rotation that fails
// half-way leaving every secret readable with the old key.
#include "llm/providers.h"

#include <gmock/gmock.h>

#include "llm/gateway.h"
#include "llm/key_check.h"
#include "llm_standin.h"
#include "store_test_env.h"

namespace docrunch::store {
namespace {

using llm::ProviderChanges;
using llm::Secret;
using llm::SecretBox;
using llm::SecretKey;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kKey = "sk-live-ABCDEFGHIJKLMNOP1234wxyz";
const std::string kProxyKey = "proxy-secret-QRSTUVWX5678";

class ProvidersTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    MigrateStore();
  }

  static ProviderChanges OpenAi(const std::string& key = kKey) {
    ProviderChanges c;
    c.type = "openai";
    c.model = "gpt-4o-mini";
    c.api_key = Secret(key);
    return c;
  }

  void AddOk(const std::string& name, ProviderChanges c) {
    auto added = llm::AddProvider(*store_, name, std::move(c), &box_, "KMS");
    ASSERT_TRUE(added.ok()) << added.error().ToString();
  }

  // Every text value of every row of the provider and key-check tables.
  std::string AllStoredText() {
    std::string all;
    for (const char* table : {"llm_providers", "kms_key_check", "llm_profiles"}) {
      auto rows = store_->Query(std::string("SELECT * FROM ") + table);
      EXPECT_TRUE(rows.ok());
      if (!rows.ok()) continue;
      for (const auto& row : rows->rows) {
        for (const auto& v : row) {
          if (const auto* s = std::get_if<std::string>(&v)) all += *s + "\n";
        }
      }
    }
    return all;
  }

  SecretBox box_{SecretKey::Generate()};
};

TEST_P(ProvidersTest, StoresOnlyCiphertextAndListsMasks) {
  AddOk("openai", OpenAi());
  ProviderChanges bridge;
  bridge.type = "cli_bridge";
  bridge.base_url = "http://127.0.0.1:9999/";
  bridge.model = "gemini-2.5-pro";
  bridge.cli_type = "gemini";
  bridge.proxy_api_key = Secret(kProxyKey);
  AddOk("bridge", std::move(bridge));

  auto list = llm::ListProviders(*store_);
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  ASSERT_EQ(list->size(), 2u);
  const auto& b = (*list)[0];
  const auto& o = (*list)[1];
  EXPECT_EQ(o.name, "openai");
  EXPECT_EQ(o.base_url, "https://api.openai.com/v1") << "the type's default";
  EXPECT_EQ(o.api_key_hint, "sk-…wxyz");
  EXPECT_EQ(b.base_url, "http://127.0.0.1:9999") << "trailing slash dropped";
  EXPECT_EQ(b.cli_type, "gemini");
  EXPECT_EQ(b.proxy_api_key_hint, "…5678");
  EXPECT_TRUE(b.api_key_hint.empty());

  const std::string stored = AllStoredText();
  EXPECT_THAT(stored, Not(HasSubstr(kKey)));
  EXPECT_THAT(stored, Not(HasSubstr(kProxyKey)));
  EXPECT_THAT(stored, Not(HasSubstr("ABCDEFGHIJKLMNOP")));
  EXPECT_THAT(stored, HasSubstr("drsb1.")) << "sealed values are stored";

  auto check = llm::ReadKeyCheck(*store_);
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->present) << "the first secret writes the key check value";
  EXPECT_EQ(check->key_id, box_.key_id());

  auto sealed = llm::GetProvider(*store_, "openai");
  ASSERT_TRUE(sealed.ok());
  auto opened = box_.Open(sealed->api_key_sealed, "llm_providers/openai/api_key");
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  EXPECT_EQ(opened->view(), kKey);
}

TEST_P(ProvidersTest, ValidationNamesTheFieldAndWritesNothing) {
  struct Case {
    std::string name;
    std::function<void(ProviderChanges&)> edit;
    std::string message;
  };
  std::vector<Case> cases = {
      {"bad name!", [](ProviderChanges&) {}, "name: only letters"},
      {"-x", [](ProviderChanges&) {}, "name: must start"},
      {"p", [](ProviderChanges& c) { c.type = "opena"; }, "did you mean 'openai'?"},
      {"p", [](ProviderChanges& c) { c.type = "claude"; }, "type: unknown provider type 'claude'"},
      {"p", [](ProviderChanges& c) { c.type.reset(); }, "type: is required"},
      {"p", [](ProviderChanges& c) { c.base_url = "ftp://host/v1"; }, "base_url: URL scheme"},
      {"p", [](ProviderChanges& c) { c.base_url = "https://"; }, "base_url:"},
      {"p", [](ProviderChanges& c) { c.base_url = "https://u:pw@host/v1"; }, "user or password"},
      {"p", [](ProviderChanges& c) { c.base_url = "https://host/v1?key=1"; }, "query"},
      {"p", [](ProviderChanges& c) { c.base_url = "https://ho st/v1"; }, "base_url: contains"},
      {"p", [](ProviderChanges& c) { c.model = ""; }, "model: is required"},
      {"p", [](ProviderChanges& c) { c.model = "../etc"; }, "model: must not contain"},
      {"p", [](ProviderChanges& c) { c.api_key.reset(); }, "api_key: is required for type openai"},
      {"p", [](ProviderChanges& c) { c.api_key = Secret(std::string("a\nb")); }, "control"},
      {"p", [](ProviderChanges& c) { c.cli_type = "gemini"; }, "cli_type: only cli_bridge"},
      {"p", [](ProviderChanges& c) { c.proxy_api_key = Secret(std::string("x12345678")); },
       "proxy_api_key: only cli_bridge"},
      {"p",
       [](ProviderChanges& c) {
         c.type = "openai-compatible";
         c.api_key.reset();
       },
       "base_url: is required for type openai-compatible"},
      {"p",
       [](ProviderChanges& c) {
         c.type = "cli_bridge";
         c.base_url = "http://127.0.0.1:9999";
         c.api_key.reset();
       },
       "cli_type: is required"},
  };
  for (auto& c : cases) {
    ProviderChanges changes = OpenAi();
    c.edit(changes);
    auto added = llm::AddProvider(*store_, c.name, std::move(changes), &box_, "KMS");
    ASSERT_FALSE(added.ok()) << c.message;
    EXPECT_EQ(added.error().code, ErrorCode::kInvalidParams) << c.message;
    EXPECT_THAT(added.error().message, HasSubstr(c.message));
    EXPECT_THAT(added.error().message, Not(HasSubstr(kKey)));
  }
  EXPECT_EQ(CountRows("llm_providers"), 0);
  EXPECT_EQ(CountRows("kms_key_check"), 0) << "nothing sealed, nothing checked";

  AddOk("openai", OpenAi());
  auto again = llm::AddProvider(*store_, "openai", OpenAi(), &box_, "KMS");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  auto missing = llm::UpdateProvider(*store_, "nope", {}, &box_, "KMS");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kStorageNotFound);
}

TEST_P(ProvidersTest, AWrongKeyIsRefusedBeforeAnythingIsSealed) {
  AddOk("openai", OpenAi());
  SecretBox other(SecretKey::Generate());
  auto added = llm::AddProvider(*store_, "second", OpenAi(), &other, "MY_KMS");
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code, ErrorCode::kKmsKeyInvalid);
  EXPECT_THAT(added.error().message, HasSubstr("MY_KMS"));
  EXPECT_THAT(added.error().message, HasSubstr(other.key_id()));
  EXPECT_THAT(added.error().message, HasSubstr(box_.key_id()));
  EXPECT_EQ(CountRows("llm_providers"), 1);
  auto verified = llm::VerifyKeyCheck(*store_, other, "MY_KMS");
  EXPECT_FALSE(verified.ok());
  EXPECT_TRUE(llm::VerifyKeyCheck(*store_, box_, "MY_KMS").ok());
}

TEST_P(ProvidersTest, UpdateKeepsWhatItIsNotToldToChange) {
  AddOk("openai", OpenAi());
  ProviderChanges c;
  c.model = "gpt-4.1";
  c.enabled = false;
  auto updated = llm::UpdateProvider(*store_, "openai", std::move(c), nullptr, "KMS");
  ASSERT_TRUE(updated.ok()) << updated.error().ToString();
  EXPECT_EQ(updated->model, "gpt-4.1");
  EXPECT_FALSE(updated->enabled);
  EXPECT_EQ(updated->api_key_hint, "sk-…wxyz") << "the key stays";
  ProviderChanges rekey;
  rekey.api_key = Secret(std::string("sk-other-key-000000009999"));
  ASSERT_FALSE(llm::UpdateProvider(*store_, "openai", std::move(rekey), nullptr, "KMS").ok())
      << "a new secret needs the box";
  ProviderChanges rekey2;
  rekey2.api_key = Secret(std::string("sk-other-key-000000009999"));
  updated = llm::UpdateProvider(*store_, "openai", std::move(rekey2), &box_, "KMS");
  ASSERT_TRUE(updated.ok()) << updated.error().ToString();
  EXPECT_EQ(updated->api_key_hint, "sk-…9999");
  ProviderChanges clear;
  clear.clear_api_key = true;
  auto cleared = llm::UpdateProvider(*store_, "openai", std::move(clear), nullptr, "KMS");
  ASSERT_FALSE(cleared.ok()) << "openai needs a key";
  EXPECT_THAT(cleared.error().message, HasSubstr("api_key: is required"));
}

TEST_P(ProvidersTest, ProfilesPointAtProvidersThatCannotVanishUnderThem) {
  AddOk("openai", OpenAi());
  llm::ProfileChanges c;
  c.provider = "openai";
  c.temperature = 0.2;
  c.max_tokens = 512;
  c.system_prompt = "You review code.";
  auto set = llm::SetProfile(*store_, "qa", c);
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  llm::ProfileChanges change_model;
  change_model.model = "gpt-4.1";
  set = llm::SetProfile(*store_, "qa", change_model);
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  EXPECT_EQ(set->provider, "openai");
  EXPECT_EQ(set->model, "gpt-4.1");
  ASSERT_TRUE(set->temperature.has_value());
  EXPECT_DOUBLE_EQ(*set->temperature, 0.2) << "kept";
  EXPECT_EQ(set->system_prompt, "You review code.");

  auto list = llm::ListProfiles(*store_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].max_tokens, 512);

  auto removed = llm::RemoveProvider(*store_, "openai");
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().code, ErrorCode::kStorageConstraint);
  EXPECT_THAT(removed.error().message, HasSubstr("qa"));

  auto bad_role = llm::SetProfile(*store_, "reviewer", c);
  ASSERT_FALSE(bad_role.ok());
  EXPECT_THAT(bad_role.error().message, HasSubstr("role: unknown role 'reviewer'"));
  llm::ProfileChanges hot = c;
  hot.temperature = 3;
  EXPECT_THAT(llm::SetProfile(*store_, "chat", hot).error().message, HasSubstr("temperature"));
  llm::ProfileChanges nobody;
  nobody.provider = "ghost";
  EXPECT_EQ(llm::SetProfile(*store_, "chat", nobody).error().code, ErrorCode::kStorageNotFound);
  EXPECT_THAT(llm::SetProfile(*store_, "chat", {}).error().message,
              HasSubstr("provider: is required"));

  ASSERT_TRUE(llm::RemoveProfile(*store_, "qa").ok());
  EXPECT_EQ(llm::RemoveProfile(*store_, "qa").error().code, ErrorCode::kStorageNotFound);
  ASSERT_TRUE(llm::RemoveProvider(*store_, "openai").ok());
  EXPECT_EQ(CountRows("llm_providers"), 0);
}

TEST_P(ProvidersTest, RotationReSealsEverySecretAndTheCheckValue) {
  AddOk("a", OpenAi("sk-aaaa-000000000001"));
  AddOk("b", OpenAi("sk-bbbb-000000000002"));
  ProviderChanges bridge;
  bridge.type = "cli_bridge";
  bridge.base_url = "http://127.0.0.1:9999";
  bridge.model = "m";
  bridge.cli_type = "claude";
  bridge.proxy_api_key = Secret(std::string("proxy-000000000003"));
  AddOk("c", std::move(bridge));

  SecretBox next(SecretKey::Generate());
  auto rotated = llm::RotateSecrets(*store_, box_, next, "OLD", "NEW");
  ASSERT_TRUE(rotated.ok()) << rotated.error().ToString();
  EXPECT_EQ(rotated->secrets, 3);
  EXPECT_TRUE(llm::VerifyKeyCheck(*store_, next, "NEW").ok());
  EXPECT_FALSE(llm::VerifyKeyCheck(*store_, box_, "OLD").ok());
  for (auto [name, column, plain] : {std::tuple{"a", "api_key", "sk-aaaa-000000000001"},
                                     std::tuple{"b", "api_key", "sk-bbbb-000000000002"},
                                     std::tuple{"c", "proxy_api_key", "proxy-000000000003"}}) {
    auto p = llm::GetProvider(*store_, name);
    ASSERT_TRUE(p.ok());
    const std::string& sealed =
        std::string(column) == "api_key" ? p->api_key_sealed : p->proxy_api_key_sealed;
    EXPECT_EQ(llm::InspectSealed(sealed)->key_id, next.key_id());
    auto opened = next.Open(sealed, llm::SealContext("llm_providers", name, column));
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    EXPECT_EQ(opened->view(), plain);
  }
  EXPECT_EQ(llm::RotateSecrets(*store_, box_, next, "OLD", "NEW").error().code,
            ErrorCode::kKmsKeyInvalid)
      << "the old key no longer opens the check value";
  EXPECT_EQ(llm::RotateSecrets(*store_, next, next, "NEW", "NEW").error().code,
            ErrorCode::kInvalidParams);
}

TEST_P(ProvidersTest, ARotationThatFailsHalfWayLeavesEverySecretUnderTheOldKey) {
  for (int i = 0; i < 5; ++i)
    AddOk("p" + std::to_string(i), OpenAi("sk-key-00000000000" + std::to_string(i)));
  SecretBox next(SecretKey::Generate());
  for (int fail_at : {1, 3, 5}) {
    auto rotated =
        llm::RotateSecrets(*store_, box_, next, "OLD", "NEW", [&](int n) -> Result<void> {
          if (n == fail_at) return MakeError(ErrorCode::kInternal, "injected");
          return Ok();
        });
    ASSERT_FALSE(rotated.ok());
    EXPECT_TRUE(llm::VerifyKeyCheck(*store_, box_, "OLD").ok());
    for (int i = 0; i < 5; ++i) {
      const std::string name = "p" + std::to_string(i);
      auto p = llm::GetProvider(*store_, name);
      ASSERT_TRUE(p.ok());
      auto opened =
          box_.Open(p->api_key_sealed, llm::SealContext("llm_providers", name, "api_key"));
      ASSERT_TRUE(opened.ok()) << "after a failure at " << fail_at << ", " << name << ": "
                               << opened.error().ToString();
      EXPECT_EQ(opened->view(), "sk-key-00000000000" + std::to_string(i));
    }
  }
}

// Counts what the gateway reports, and refuses calls while `refuse` is set
// (a budget's hard stop).
struct RecordingObserver : llm::CallObserver {
  Result<void> BeforeCall(const llm::CallInfo& call) override {
    if (refuse) return MakeError(ErrorCode::kRateLimited, "budget: hard stop for " + call.provider);
    return Ok();
  }
  void AfterCall(const llm::CallInfo& call, const llm::CallOutcome& outcome) override {
    calls.push_back(call);
    outcomes.push_back(outcome);
  }
  bool refuse = false;
  std::vector<llm::CallInfo> calls;
  std::vector<llm::CallOutcome> outcomes;
};

TEST_P(ProvidersTest, TheGatewayCallsForARoleAndReportsEveryCallToItsObserver) {
  testing::LlmStandIn standin(kKey);
  ASSERT_GT(standin.port(), 0);
  ProviderChanges c = OpenAi();
  c.base_url = standin.url() + "/v1";
  AddOk("openai", std::move(c));
  llm::ProfileChanges qa;
  qa.provider = "openai";
  qa.model = "gpt-4.1";
  qa.system_prompt = "You are QA.";
  qa.max_tokens = 77;
  ASSERT_TRUE(llm::SetProfile(*store_, "qa", qa).ok());

  RecordingObserver observer;
  llm::Gateway gateway(*store_, &box_, &observer);
  llm::GenerateRequest request;
  request.messages = {{"user", "check this"}};
  auto answer = gateway.GenerateForRole("qa", request, llm::CallOptions{});
  ASSERT_TRUE(answer.ok()) << answer.error().ToString();
  EXPECT_EQ(answer->text, "pong: check this");
  nlohmann::json sent = standin.Last();
  EXPECT_EQ(sent["body"]["model"], "gpt-4.1") << "the profile's model";
  EXPECT_EQ(sent["body"]["max_tokens"], 77);
  EXPECT_EQ(sent["body"]["messages"][0]["content"], "You are QA.");
  EXPECT_EQ(sent["headers"]["authorization"], "Bearer " + kKey) << "the opened key was sent";
  ASSERT_EQ(observer.calls.size(), 1u);
  EXPECT_EQ(observer.calls[0].role, "qa");
  EXPECT_EQ(observer.calls[0].provider, "openai");
  EXPECT_EQ(observer.calls[0].model, "gpt-4.1-0001") << "as the provider named it";
  EXPECT_TRUE(observer.outcomes[0].ok);
  EXPECT_EQ(observer.outcomes[0].usage.output_tokens, 3);
  EXPECT_GT(observer.outcomes[0].usage.input_tokens, 0);

  auto vectors = gateway.Embed("openai", {"a b", "c"}, llm::CallOptions{});
  ASSERT_TRUE(vectors.ok()) << vectors.error().ToString();
  EXPECT_EQ(vectors->vectors.size(), 2u);
  ASSERT_EQ(observer.calls.size(), 2u);
  EXPECT_EQ(observer.calls[1].kind, "embed");

  standin.Script(nlohmann::json::array({{{"mode", "echo_key"}}}));
  auto failed = gateway.Generate("openai", request, llm::CallOptions{});
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.error().message, HasSubstr("[redacted]"));
  EXPECT_THAT(failed.error().message, Not(HasSubstr(kKey)));
  ASSERT_EQ(observer.outcomes.size(), 3u) << "failures are reported too";
  EXPECT_FALSE(observer.outcomes[2].ok);

  observer.refuse = true;
  const int before = standin.Requests();
  auto refused = gateway.Generate("openai", request, llm::CallOptions{});
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("budget: hard stop"));
  EXPECT_EQ(standin.Requests(), before) << "a refused call sends nothing";

  llm::Gateway keyless(*store_, nullptr);
  auto no_box = keyless.Generate("openai", request, llm::CallOptions{});
  ASSERT_FALSE(no_box.ok());
  EXPECT_EQ(no_box.error().code, ErrorCode::kKmsKeyInvalid);
}

INSTANTIATE_TEST_SUITE_P(Backends, ProvidersTest, ::testing::Values("sqlite", "postgres"),
                         BackendParamName);

}  // namespace
}  // namespace docrunch::store
