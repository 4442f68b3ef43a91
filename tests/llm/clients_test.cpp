// The wire clients against the provider stand-in, each format as the
// provider's API reference shows it: requests (paths, headers, bodies),
// answers and usage, streams, error bodies, 429 with Retry-After, slow
// answers, truncated streams, HTML, garbage and huge bodies, cancellation,
// embeddings, and the gateway scrubbing a key a provider echoes.
#include <gmock/gmock.h>

#include <atomic>
#include <thread>

#include "llm/client.h"
#include "llm/gateway.h"
#include "llm_standin.h"

namespace docrunch::llm {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing::LlmStandIn;
using ::testing::Not;

const std::string kKey = "sk-standin-KEY-0123456789";

struct Format {
  ProviderType type;
  std::string model;
  std::string api_path;  // the path the request must take (prefix)
};

class WireFormats : public ::testing::TestWithParam<Format> {
 protected:
  void SetUp() override { ASSERT_GT(standin_.port(), 0) << "the stand-in did not start"; }
  Endpoint EndpointFor() const {
    Endpoint e;
    e.type = GetParam().type;
    e.base_url = standin_.url() + (UsesV1Base() ? "/v1" : "");
    e.model = GetParam().model;
    e.cli_type = "claude";
    e.api_key = kKey;
    e.proxy_api_key = kKey;
    return e;
  }
  bool UsesV1Base() const {
    return GetParam().type == ProviderType::kOpenAi || GetParam().type == ProviderType::kXai ||
           GetParam().type == ProviderType::kOpenAiCompatible;
  }
  bool Streams() const { return GetParam().type != ProviderType::kCliBridge; }
  // A CLI takes one prompt: the system prompt goes in front of it.
  std::string Expected() const {
    return Streams() ? "pong: hello there" : "pong: Be brief.\n\nhello there";
  }
  static GenerateRequest Hello() {
    GenerateRequest r;
    r.system = "Be brief.";
    r.messages = {{"user", "hello there"}};
    r.temperature = 0.5;
    r.max_tokens = 64;
    return r;
  }
  static CallOptions Fast() {
    CallOptions o;
    o.timeout = std::chrono::seconds(20);
    o.retry.initial_backoff = std::chrono::milliseconds(50);
    o.retry.max_backoff = std::chrono::milliseconds(200);
    return o;
  }
  Result<GenerateResult> Call(const CallOptions& options = Fast()) {
    return MakeWireClient(GetParam().type)->Generate(EndpointFor(), Hello(), options);
  }
  Result<GenerateResult> Stream(std::string& pieces, CallOptions options = Fast()) {
    options.on_text = [&](std::string_view piece) { pieces += std::string(piece) + "|"; };
    return Call(options);
  }

  LlmStandIn standin_{kKey};
};

TEST_P(WireFormats, AnswersWithTextAndUsage) {
  auto r = Call();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->text, Expected());
  EXPECT_EQ(r->attempts, 1);
  EXPECT_FALSE(r->finish_reason.empty());
  EXPECT_FALSE(r->model.empty());
  if (GetParam().type != ProviderType::kCliBridge) {
    EXPECT_TRUE(r->usage.reported);
    EXPECT_GT(r->usage.input_tokens, 0);
    EXPECT_EQ(r->usage.output_tokens, 3);
  }
  json last = standin_.Last();
  EXPECT_EQ(last["path"].get<std::string>().rfind(GetParam().api_path, 0), 0u) << last["path"];
  const json& h = last["headers"];
  const json& body = last["body"];
  switch (GetParam().type) {
    case ProviderType::kOpenAi:
    case ProviderType::kXai:
    case ProviderType::kOpenAiCompatible:
      EXPECT_EQ(h["authorization"], "Bearer " + kKey);
      EXPECT_EQ(body["model"], GetParam().model);
      EXPECT_EQ(body["messages"][0], (json{{"role", "system"}, {"content", "Be brief."}}));
      EXPECT_EQ(body["messages"][1], (json{{"role", "user"}, {"content", "hello there"}}));
      EXPECT_EQ(body["max_tokens"], 64);
      EXPECT_EQ(body["temperature"], 0.5);
      EXPECT_FALSE(body.contains("stream"));
      break;
    case ProviderType::kAnthropic:
      EXPECT_EQ(h["x-api-key"], kKey);
      EXPECT_EQ(h["anthropic-version"], "2023-06-01");
      EXPECT_EQ(body["system"], "Be brief.");
      EXPECT_EQ(body["max_tokens"], 64);
      EXPECT_EQ(body["messages"], json::parse(R"([{"role":"user","content":"hello there"}])"));
      break;
    case ProviderType::kGoogle:
      EXPECT_EQ(h["x-goog-api-key"], kKey);
      EXPECT_EQ(last["path"], "/v1beta/models/" + GetParam().model + ":generateContent");
      EXPECT_EQ(body["contents"][0]["role"], "user");
      EXPECT_EQ(body["contents"][0]["parts"][0]["text"], "hello there");
      EXPECT_EQ(body["systemInstruction"]["parts"][0]["text"], "Be brief.");
      EXPECT_EQ(body["generationConfig"]["maxOutputTokens"], 64);
      break;
    case ProviderType::kOllama:
      EXPECT_EQ(body["stream"], false);
      EXPECT_EQ(body["options"]["num_predict"], 64);
      EXPECT_EQ(body["options"]["temperature"], 0.5);
      break;
    case ProviderType::kCliBridge:
      EXPECT_EQ(h["x-api-key"], kKey);
      EXPECT_EQ(body["cli_type"], "claude");
      EXPECT_EQ(body["prompt"], "Be brief.\n\nhello there");
      EXPECT_EQ(body["model"], GetParam().model);
      EXPECT_EQ(body["timeout"], 18);
      break;
  }
}

TEST_P(WireFormats, StreamsPieceByPiece) {
  std::string pieces;
  auto r = Stream(pieces);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->text, Expected());
  if (Streams()) {
    EXPECT_EQ(pieces, "pong:| hello| there|");
    EXPECT_TRUE(r->usage.reported) << "usage from the stream's last events";
    EXPECT_EQ(r->usage.output_tokens, 3);
    json body = standin_.Last()["body"];
    if (GetParam().type == ProviderType::kOllama) {
      EXPECT_EQ(body["stream"], true);
    } else if (GetParam().type == ProviderType::kGoogle) {
      EXPECT_THAT(standin_.Last()["path"].get<std::string>(),
                  HasSubstr(":streamGenerateContent?alt=sse"));
    } else {
      EXPECT_EQ(body["stream"], true);
    }
  } else {
    EXPECT_EQ(pieces, Expected() + "|") << "the proxy answers in one piece";
  }
}

TEST_P(WireFormats, ATruncatedStreamIsAnErrorNotAShortAnswer) {
  if (!Streams()) GTEST_SKIP() << "the CLI Bridge proxy does not stream";
  standin_.Script(json::array({{{"mode", "truncate"}}}));
  std::string pieces;
  auto r = Stream(pieces);
  ASSERT_FALSE(r.ok()) << r->text;
  EXPECT_EQ(r.error().code, ErrorCode::kLlmProviderError);
  EXPECT_THAT(r.error().message, HasSubstr("stream ended before"));
  EXPECT_EQ(standin_.Requests(), 1) << "a stream that started is not retried";
}

TEST_P(WireFormats, ErrorBodiesBecomeMessages) {
  standin_.Script(json::array({{{"status", 400}, {"message", "max_tokens is too large"}}}));
  auto r = Call();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kLlmProviderError);
  EXPECT_THAT(r.error().message, HasSubstr("HTTP 400"));
  EXPECT_THAT(r.error().message, HasSubstr("max_tokens is too large"));
  EXPECT_EQ(standin_.Requests(), 1) << "a 400 is not retried";
}

TEST_P(WireFormats, RetriesA429AfterItsRetryAfter) {
  standin_.Script(json::array({{{"status", 429}, {"retry_after", "1"}}}));
  auto start = std::chrono::steady_clock::now();
  auto r = Call();
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(r->text, Expected());
  EXPECT_GE(waited, std::chrono::milliseconds(950)) << "Retry-After: 1 was honoured";
}

TEST_P(WireFormats, RetriesServerErrorsWithBackoffThenGivesUp) {
  standin_.Script(json::array({{{"status", 503}}, {{"status", 500}}, {{"status", 502}}}));
  auto r = Call();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kLlmProviderError);
  EXPECT_THAT(r.error().message, HasSubstr("HTTP 502"));
  EXPECT_THAT(r.error().message, HasSubstr("after 3 attempts"));
  EXPECT_EQ(standin_.Requests(), 3);
  standin_.Script(json::array({{{"status", 503}}}));
  auto second = Call();
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_EQ(second->attempts, 2);
}

TEST_P(WireFormats, ALongRetryAfterFailsAtOnceAsRateLimited) {
  standin_.Script(json::array({{{"status", 429}, {"retry_after", "3600"}}}));
  auto start = std::chrono::steady_clock::now();
  auto r = Call();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRateLimited);
  EXPECT_THAT(r.error().message, HasSubstr("3600 s"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  CallOptions once = Fast();
  once.retry.max_attempts = 1;
  standin_.Script(json::array({{{"status", 429}, {"retry_after", "1"}}}));
  r = Call(once);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRateLimited);
}

TEST_P(WireFormats, ASlowAnswerTimesOut) {
  standin_.Script(json::array({{{"mode", "slow"}, {"seconds", 5}}}));
  CallOptions o = Fast();
  o.timeout = std::chrono::milliseconds(800);
  auto start = std::chrono::steady_clock::now();
  auto r = Call(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kLlmTimeout);
  EXPECT_THAT(r.error().message, HasSubstr("timed out"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST_P(WireFormats, HtmlGarbageAndHugeBodiesAreRefused) {
  CallOptions once = Fast();
  once.retry.max_attempts = 1;
  standin_.Script(json::array({{{"mode", "html"}}}));
  auto html = Call(once);
  ASSERT_FALSE(html.ok());
  EXPECT_THAT(html.error().message, HasSubstr("HTTP 502: an HTML page"));
  EXPECT_THAT(html.error().message, Not(HasSubstr("<html")));

  standin_.Script(json::array({{{"mode", "garbage"}}}));
  auto garbage = Call();
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, ErrorCode::kLlmProviderError);
  EXPECT_THAT(garbage.error().message, HasSubstr("not in the expected format"));

  CallOptions small = Fast();
  small.max_response_bytes = 64 * 1024;
  standin_.Script(json::array({{{"mode", "huge"}, {"bytes", 4 << 20}}}));
  auto huge = Call(small);
  ASSERT_FALSE(huge.ok());
  EXPECT_THAT(huge.error().message, HasSubstr("larger than 65536 bytes"));
}

TEST_P(WireFormats, CancellationStopsAWaitingCall) {
  standin_.Script(json::array({{{"mode", "slow"}, {"seconds", 10}}}));
  std::atomic<bool> cancel{false};
  CallOptions o = Fast();
  o.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  auto start = std::chrono::steady_clock::now();
  auto r = Call(o);
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInterrupted);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_P(WireFormats, AWrongKeyIsTheProvidersAuthenticationError) {
  Endpoint e = EndpointFor();
  e.api_key = "sk-wrong-000000000000";
  e.proxy_api_key = e.api_key;
  auto r = MakeWireClient(GetParam().type)->Generate(e, Hello(), Fast());
  if (GetParam().type == ProviderType::kOllama) {
    EXPECT_TRUE(r.ok()) << "Ollama takes no key";
    return;
  }
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("HTTP 401"));
}

INSTANTIATE_TEST_SUITE_P(
    Providers, WireFormats,
    ::testing::Values(Format{ProviderType::kOpenAi, "gpt-4o-mini", "/v1/chat/completions"},
                      Format{ProviderType::kXai, "grok-3-mini", "/v1/chat/completions"},
                      Format{ProviderType::kAnthropic, "claude-sonnet-4-5", "/v1/messages"},
                      Format{ProviderType::kGoogle, "gemini-2.0-flash", "/v1beta/models/"},
                      Format{ProviderType::kOllama, "llama3.2", "/api/chat"},
                      Format{ProviderType::kCliBridge, "sonnet", "/execute"}),
    [](const ::testing::TestParamInfo<Format>& info) {
      std::string name(ProviderTypeName(info.param.type));
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

// ---- embeddings ----

TEST(Embeddings, OpenAiGoogleAndOllamaReturnOneVectorPerText) {
  LlmStandIn standin(kKey);
  ASSERT_GT(standin.port(), 0);
  const std::vector<std::string> texts{"alpha beta", "gamma"};
  for (auto [type, base, path] :
       {std::tuple{ProviderType::kOpenAi, std::string("/v1"), std::string("/v1/embeddings")},
        std::tuple{ProviderType::kGoogle, std::string(""),
                   std::string("/v1beta/models/text-embedding-004:batchEmbedContents")},
        std::tuple{ProviderType::kOllama, std::string(""), std::string("/api/embed")}}) {
    Endpoint e{type, standin.url() + base, "text-embedding-004", "", kKey, ""};
    auto r = MakeWireClient(type)->Embed(e, texts, "", CallOptions{});
    ASSERT_TRUE(r.ok()) << ProviderTypeName(type) << ": " << r.error().ToString();
    ASSERT_EQ(r->vectors.size(), 2u);
    EXPECT_EQ(r->vectors[0].size(), 8u);
    EXPECT_NE(r->vectors[0], r->vectors[1]);
    EXPECT_EQ(standin.Last()["path"], path);
  }
  auto none = MakeWireClient(ProviderType::kAnthropic)
                  ->Embed(Endpoint{ProviderType::kAnthropic, standin.url(), "m", "", kKey, ""},
                          texts, "", CallOptions{});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidParams);
}

// ---- CLI Bridge specifics ----

TEST(CliBridge, AFailedCliIsAnErrorWithTheProxysReason) {
  LlmStandIn standin(kKey);
  Endpoint e{ProviderType::kCliBridge, standin.url(), "fail", "gemini", "", kKey};
  GenerateRequest r;
  r.messages = {{"user", "hi"}};
  auto answer = MakeWireClient(ProviderType::kCliBridge)->Generate(e, r, CallOptions{});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, ErrorCode::kLlmProviderError);
  EXPECT_THAT(answer.error().message, HasSubstr("the gemini CLI failed: CLI exited with code 1"));
  e.proxy_api_key = "";
  e.model = "m";
  answer = MakeWireClient(ProviderType::kCliBridge)->Generate(e, r, CallOptions{});
  ASSERT_FALSE(answer.ok());
  EXPECT_THAT(answer.error().message, HasSubstr("HTTP 401")) << "X-API-Key required";
}

// ---- the gateway never lets a key through ----

TEST(Scrub, ReplacesEveryOccurrence) {
  EXPECT_EQ(Scrub("key sk-1234 and sk-1234.", "sk-1234"), "key [redacted] and [redacted].");
  EXPECT_EQ(Scrub("short a", "a"), "short a") << "too short to scrub meaningfully";
}

}  // namespace
}  // namespace docrunch::llm
