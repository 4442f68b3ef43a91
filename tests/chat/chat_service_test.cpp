// Chat with citations on both backends, over a real scan indexed by the
// real sync worker plus a task and a decision in the index: extractive
// answers without a provider; generated answers from an OpenAI-compatible
// stand-in that refuses a request lacking the retrieved passages; citations
// checked against the passages; the session's history in the prompt; the
// llm_calls row linked; and every failure (bad input, unknown session, a
// provider that fails or answers nothing, a budget's hard stop) leaving no
// message behind.
#include "chat/chat.h"

#include <gmock/gmock.h>

#include <map>

#include "cost/ledger.h"
#include "llm/cost_observer.h"
#include "llm/gateway.h"
#include "llm/providers.h"
#include "llm_standin.h"
#include "scan/parser/parser.h"
#include "scan/scan_service.h"
#include "scan_fixture.h"
#include "search/search.h"
#include "store_test_env.h"
#include "sync/index_projection.h"
#include "sync/worker.h"

namespace docrunch::chat {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

const char* kQuestion = "How is an e-mail address normalized?";
const char* kCodeLabel = "app/models.py:12";  // def normalize_email

TEST(CitedLabels, FindsPathLineTaskAndAdrLabelsOnce) {
  EXPECT_THAT(CitedLabels("It lowers case [app/models.py:12]. See [task-3; ADR-001] and "
                          "[app/models.py:12], [`web/App.tsx:4`]."),
              ElementsAre("app/models.py:12", "task-3", "adr-001", "web/App.tsx:4"));
  // Brackets that are not citations: prose, a checkbox, a list index, a
  // path without a line, an unclosed bracket.
  EXPECT_TRUE(
      CitedLabels("[x] done [1] [see below] [app/models.py] [task-] [a b:3] [task-4").empty());
}

TEST(SessionIds, ParseAndName) {
  EXPECT_EQ(*ParseSessionId("chat-12"), 12);
  EXPECT_EQ(*ParseSessionId("7"), 7);
  EXPECT_EQ(SessionIdText(12), "chat-12");
  for (const char* bad :
       {"", "chat-", "chat-0", "chat--1", "chat-1x", "abc", "12 ", "chat-99999999999999999999"}) {
    auto parsed = ParseSessionId(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidParams);
    EXPECT_THAT(parsed.error().message, HasSubstr("session_id"));
  }
}

class ChatTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    MigrateStore();
    testing::WriteSampleRepository(repo_dir_);
    scan::ScanOptions options;
    options.root = repo_dir_.path();
    options.parse = [this](scan::Language language, std::string_view content) {
      return *parser_.Parse(language, content);
    };
    auto summary = scan::ScanService(*store_).Scan(options);
    ASSERT_TRUE(summary.ok()) << summary.error().ToString();
    repo_ = summary->repository_id;
    sync::IndexProjection index(repo_);
    sync::WorkerOptions worker;
    worker.repository_id = repo_;
    auto drained = sync::SyncWorker(*store_, {&index}, worker).Drain();
    ASSERT_TRUE(drained.ok()) << drained.error().ToString();
    // A task and a decision in the index, as the projection writes them.
    auto added = store_->Transact([&](store::Tx& tx) -> Result<void> {
      DOCRUNCH_TRY(search::IndexDocuments(
          tx, repo_, "task:task-1",
          {{"task:task-1", "task", "task-1: Normalize e-mail addresses on sign-up",
            "Sign-up must normalize every e-mail address before it is stored."}}));
      return search::IndexDocuments(
          tx, repo_, "decision:decision-1",
          {{"decision:decision-1", "decision", "ADR-001: Store e-mail addresses lower-case",
            "Every e-mail address is normalized to lower case."}});
    });
    ASSERT_TRUE(added.ok()) << added.error().ToString();
  }

  // The chat profile on an OpenAI-compatible provider at the stand-in.
  void ConfigureProvider() {
    ASSERT_GT(standin_.port(), 0) << "the stand-in did not start";
    llm::ProviderChanges provider;
    provider.type = "openai-compatible";
    provider.base_url = standin_.url() + "/v1";
    provider.model = "standin-chat";
    auto added = llm::AddProvider(*store_, "local", std::move(provider), nullptr, "KMS");
    ASSERT_TRUE(added.ok()) << added.error().ToString();
    llm::ProfileChanges profile;
    profile.provider = "local";
    auto set = llm::SetProfile(*store_, "chat", profile);
    ASSERT_TRUE(set.ok()) << set.error().ToString();
  }

  std::unique_ptr<ChatService> Service(cost::LedgerOptions ledger_options = {}) {
    ledger_ = std::make_unique<cost::Ledger>(*store_, clock_, std::move(ledger_options));
    costs_ = std::make_unique<llm::CostObserver>(*ledger_);
    gateway_ = std::make_unique<llm::Gateway>(*store_, nullptr, costs_.get());
    return std::make_unique<ChatService>(*store_, repo_, search::SearchOptions{}, gateway_.get());
  }

  static std::vector<std::string> Labels(const std::vector<Citation>& citations) {
    std::vector<std::string> out;
    for (const auto& c : citations) out.push_back(c.label);
    return out;
  }

  void ExpectNothingStored() {
    EXPECT_EQ(CountRows("chat_sessions"), 0);
    EXPECT_EQ(CountRows("chat_messages"), 0);
  }

  testing::TempDir repo_dir_;
  scan::Parser parser_;
  std::int64_t repo_ = 0;
  testing::LlmStandIn standin_;
  SystemClock clock_;
  std::unique_ptr<cost::Ledger> ledger_;
  std::unique_ptr<llm::CostObserver> costs_;
  std::unique_ptr<llm::Gateway> gateway_;
};

TEST_P(ChatTest, RetrievesCodeTasksAndDecisionsWithTheirLabels) {
  auto chat = Service();
  auto passages = chat->Retrieve(kQuestion);
  ASSERT_TRUE(passages.ok()) << passages.error().ToString();
  std::vector<std::string> labels;
  for (const auto& p : *passages) labels.push_back(p.label);
  EXPECT_THAT(labels, Contains(kCodeLabel));
  EXPECT_THAT(labels, Contains("task-1"));
  EXPECT_THAT(labels, Contains("adr-001"));
  for (const auto& p : *passages) {
    EXPECT_LE(p.text.size(), kPassageBytes + 3) << p.label;
    if (p.label == kCodeLabel) {
      EXPECT_EQ(p.path, "app/models.py");
      EXPECT_EQ(p.line, 12);
      EXPECT_THAT(p.text, HasSubstr("Lower-case an e-mail address."));
    }
  }
}

TEST_P(ChatTest, WithoutAProviderTheAnswerIsTheBestPassagesWithCitations) {
  auto chat = Service();
  auto answer = chat->Ask({kQuestion, "", "ann", "", ""});
  ASSERT_TRUE(answer.ok()) << answer.error().ToString();
  EXPECT_TRUE(answer->new_session);
  EXPECT_EQ(answer->answer.mode, "extractive");
  EXPECT_THAT(answer->answer.content, HasSubstr("[" + std::string(kCodeLabel) + "]"));
  EXPECT_THAT(answer->answer.content, HasSubstr("Lower-case an e-mail address."));
  ASSERT_FALSE(answer->answer.citations.empty());
  for (const auto& c : answer->answer.citations) {
    EXPECT_TRUE(c.verified) << c.label;
    EXPECT_THAT(answer->answer.content, HasSubstr("[" + c.label + "]"));
  }
  EXPECT_THAT(Labels(answer->answer.citations), Contains(kCodeLabel));
  EXPECT_EQ(CountRows("llm_calls"), 0);  // no provider was called

  // Stored: the session (titled by the question) and both messages.
  auto session = chat->GetSession(answer->session.id);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->title, kQuestion);
  EXPECT_EQ(session->created_by, "ann");
  EXPECT_EQ(session->messages, 2);
  auto messages = chat->Messages(answer->session.id);
  ASSERT_TRUE(messages.ok());
  ASSERT_EQ(messages->size(), 2u);
  EXPECT_EQ((*messages)[0].role, "user");
  EXPECT_EQ((*messages)[0].content, kQuestion);
  EXPECT_EQ((*messages)[1].role, "assistant");
  EXPECT_EQ((*messages)[1].content, answer->answer.content);
  EXPECT_EQ(Labels((*messages)[1].citations), Labels(answer->answer.citations));
  EXPECT_TRUE((*messages)[1].prompt.empty());
  EXPECT_FALSE((*messages)[1].llm_call_id.has_value());

  // Nothing matches: an answer that says so, with no citation.
  auto none = chat->Ask({"zzqx qqzv", "", "", "", ""});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->answer.citations.empty());
  EXPECT_THAT(none->answer.content, HasSubstr("Nothing in the knowledge base"));
}

TEST_P(ChatTest, AProviderAnswersFromThePassagesAndCitesThem) {
  ConfigureProvider();
  if (HasFatalFailure()) return;
  auto chat = Service();
  // The stand-in refuses (400) a request without these passages.
  standin_.Script(
      json::array({{{"mode", "cite"},
                    {"expect",
                     {"[" + std::string(kCodeLabel) + "] ", "Lower-case an e-mail address.",
                      "[task-1] task-1: Normalize e-mail addresses on sign-up",
                      "[adr-001] ADR-001: Store e-mail addresses lower-case", kQuestion}}}}));
  auto answer = chat->Ask({kQuestion, "", "", "agent-7", "task-1"});
  ASSERT_TRUE(answer.ok()) << answer.error().ToString();
  EXPECT_EQ(answer->answer.mode, "generated");
  EXPECT_TRUE(answer->grounded);
  EXPECT_EQ(answer->answer.provider, "local");
  EXPECT_EQ(answer->answer.model, "standin-chat-0001");
  EXPECT_THAT(Labels(answer->answer.citations), Contains(kCodeLabel));
  EXPECT_THAT(Labels(answer->answer.citations), Contains("task-1"));
  EXPECT_THAT(Labels(answer->answer.citations), Contains("adr-001"));
  for (const auto& c : answer->answer.citations) EXPECT_TRUE(c.verified) << c.label;

  // What the provider received: the system prompt's rules and the passages.
  json sent = standin_.Last()["body"];
  EXPECT_THAT(sent["messages"][0]["content"].get<std::string>(), HasSubstr("ONLY"));
  std::string user = sent["messages"].back()["content"];
  EXPECT_THAT(user, HasSubstr("[" + std::string(kCodeLabel) + "]"));
  // Stored with the message: the prompt, the citations, the llm_calls row.
  auto messages = chat->Messages(answer->session.id);
  ASSERT_TRUE(messages.ok());
  ASSERT_EQ(messages->size(), 2u);
  const Message& stored = (*messages)[1];
  json prompt = json::parse(stored.prompt);
  EXPECT_EQ(prompt["messages"].back()["content"], user);
  EXPECT_EQ(Labels(stored.citations), Labels(answer->answer.citations));
  ASSERT_TRUE(stored.llm_call_id.has_value());
  auto call = store_->Query(
      "SELECT profile, provider, agent, task_id, status FROM llm_calls "
      "WHERE id = $1",
      {*stored.llm_call_id});
  ASSERT_TRUE(call.ok());
  ASSERT_EQ(call->size(), 1u);
  EXPECT_EQ(call->Text(0, "profile"), "chat");
  EXPECT_EQ(call->Text(0, "provider"), "local");
  EXPECT_EQ(call->Text(0, "agent"), "agent-7");
  EXPECT_EQ(call->Text(0, "task_id"), "task-1");

  // A follow-up in the same session carries the earlier exchange.
  standin_.Script(json::array({{{"mode", "cite"}, {"expect", {"Question: Why lower case?"}}}}));
  auto follow = chat->Ask({"Why lower case?", SessionIdText(answer->session.id), "", "", ""});
  ASSERT_TRUE(follow.ok()) << follow.error().ToString();
  EXPECT_FALSE(follow->new_session);
  EXPECT_EQ(follow->session.id, answer->session.id);
  json again = standin_.Last()["body"]["messages"];
  ASSERT_EQ(again.size(), 4u);  // system, the first question, its answer, the follow-up
  EXPECT_EQ(again[1]["content"], kQuestion);
  EXPECT_EQ(again[2]["content"], answer->answer.content);
  EXPECT_EQ(CountRows("chat_messages"), 4);
}

TEST_P(ChatTest, CitationsOutsideThePassagesAreFlaggedNotTrusted) {
  ConfigureProvider();
  if (HasFatalFailure()) return;
  auto chat = Service();
  standin_.Script(
      json::array({{{"mode", "reply"},
                    {"text",
                     "It is lower-cased [app/models.py:12] as decided [adr-001], and cached "
                     "[app/cache.py:40]; see [task-99]."}}}));
  auto answer = chat->Ask({kQuestion, "", "", "", ""});
  ASSERT_TRUE(answer.ok()) << answer.error().ToString();
  ASSERT_EQ(answer->answer.citations.size(), 4u);
  std::map<std::string, bool> verified;
  for (const auto& c : answer->answer.citations) verified[c.label] = c.verified;
  EXPECT_TRUE(verified["app/models.py:12"]);
  EXPECT_TRUE(verified["adr-001"]);
  EXPECT_FALSE(verified["app/cache.py:40"]);
  EXPECT_FALSE(verified["task-99"]);
  EXPECT_TRUE(answer->grounded);
  json stored = ToJson(*answer)["answer"]["citations"];
  EXPECT_EQ(stored[2], (json{{"label", "app/cache.py:40"}, {"verified", false}}));

  // An answer that cites nothing it was given is stored, marked ungrounded.
  standin_.Script(json::array({{{"mode", "reply"}, {"text", "Probably with a regex [x.py:1]."}}}));
  auto loose = chat->Ask({kQuestion, "", "", "", ""});
  ASSERT_TRUE(loose.ok());
  EXPECT_FALSE(loose->grounded);
}

TEST_P(ChatTest, AFailedAnswerLeavesNothingBehind) {
  ConfigureProvider();
  if (HasFatalFailure()) return;
  auto chat = Service();
  // A provider error (after its retries), a body that is not JSON, an empty answer.
  standin_.Script(json::array({{{"status", 500}}, {{"status", 500}}, {{"status", 500}}}));
  auto failed = chat->Ask({kQuestion, "", "", "", ""});
  ASSERT_FALSE(failed.ok());
  ExpectNothingStored();
  standin_.Script(json::array({{{"mode", "garbage"}}}));
  auto garbage = chat->Ask({kQuestion, "", "", "", ""});
  ASSERT_FALSE(garbage.ok());
  ExpectNothingStored();
  standin_.Script(json::array({{{"mode", "reply"}, {"text", "  \n "}}}));
  auto empty = chat->Ask({kQuestion, "", "", "", ""});
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error().message, HasSubstr("no text"));
  ExpectNothingStored();

  // In an existing session the earlier messages stay as they were.
  standin_.Script(json::array({{{"mode", "cite"}}}));
  auto first = chat->Ask({kQuestion, "", "", "", ""});
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  standin_.Script(json::array({{{"mode", "garbage"}}}));
  ASSERT_FALSE(
      chat->Ask({"and the e-mail address?", SessionIdText(first->session.id), "", "", ""}).ok());
  EXPECT_EQ(CountRows("chat_messages"), 2);
}

TEST_P(ChatTest, ABudgetsHardStopRefusesBeforeTheCallAndStoresNothing) {
  ConfigureProvider();
  if (HasFatalFailure()) return;
  cost::LedgerOptions options;
  options.hard_stop = true;
  options.budgets.push_back({config::BudgetScope::kOverall, "", config::BudgetPeriod::kDay, 1});
  options.pricing["standin-chat"] = config::ModelPrice{1.0, 1.0};
  auto chat = Service(std::move(options));
  const int before = standin_.Requests();
  auto refused = chat->Ask({kQuestion, "", "", "", ""});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kLlmBudgetExceeded);
  EXPECT_EQ(standin_.Requests(), before);  // nothing left the machine
  ExpectNothingStored();
}

TEST_P(ChatTest, BadInputIsRefusedNamingTheField) {
  auto chat = Service();
  auto expect = [&](const AskRequest& request, ErrorCode code, const std::string& text) {
    auto r = chat->Ask(request);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_THAT(r.error().message, HasSubstr(text));
  };
  expect({"", "", "", "", ""}, ErrorCode::kInvalidParams, "question");
  expect({" \n\t ", "", "", "", ""}, ErrorCode::kInvalidParams, "question");
  expect({std::string(kMaxQuestionBytes + 1, 'a'), "", "", "", ""}, ErrorCode::kInvalidParams,
         "question: 8193 bytes is over the limit of 8192");
  expect({"caf\xc3", "", "", "", ""}, ErrorCode::kInvalidParams, "question");
  expect({kQuestion, "nonsense", "", "", ""}, ErrorCode::kInvalidParams, "session_id");
  expect({kQuestion, "chat-999", "", "", ""}, ErrorCode::kStorageNotFound, "chat-999");
  ExpectNothingStored();
  EXPECT_TRUE(
      chat->Ask({std::string(kMaxQuestionBytes - 20, 'a') + " email", "", "", "", ""}).ok());
  auto titled = chat->CreateSession("", "ann");
  ASSERT_FALSE(titled.ok());
  EXPECT_THAT(titled.error().message, HasSubstr("title"));
}

// A conversation is its asker's: with an owner, another's session is not
// found (as one that does not exist) and not listed; without (an admin, the
// local CLI), every one is.
TEST_P(ChatTest, ACallerReadsAndContinuesOnlyItsOwnSessions) {
  auto chat = Service();
  auto ann = chat->Ask({kQuestion, "", "ann", "", "", std::string("ann")});
  ASSERT_TRUE(ann.ok()) << ann.error().ToString();
  auto bob = chat->Ask({kQuestion, "", "bob", "", "", std::string("bob")});
  ASSERT_TRUE(bob.ok()) << bob.error().ToString();
  const std::string anns = SessionIdText(ann->session.id);

  auto listed = chat->ListSessions(50, std::string("bob"));
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, bob->session.id);
  auto all = chat->ListSessions(50);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);

  auto peek = chat->GetSession(ann->session.id, std::string("bob"));
  ASSERT_FALSE(peek.ok());
  EXPECT_EQ(peek.error().code, ErrorCode::kStorageNotFound);
  EXPECT_THAT(peek.error().message, HasSubstr(anns));
  auto intrude = chat->Ask({"and the cache?", anns, "bob", "", "", std::string("bob")});
  ASSERT_FALSE(intrude.ok());
  EXPECT_EQ(intrude.error().code, ErrorCode::kStorageNotFound);
  EXPECT_EQ(chat->GetSession(ann->session.id)->messages, 2) << "nothing added to ann's";

  EXPECT_TRUE(chat->Ask({"and the cache?", anns, "ann", "", "", std::string("ann")}).ok());
  EXPECT_TRUE(chat->Ask({"and the cache?", anns, "", "", "", std::nullopt}).ok())
      << "the local CLI (no owner) continues any";
  EXPECT_EQ(chat->GetSession(ann->session.id)->messages, 6);
}

INSTANTIATE_TEST_SUITE_P(Backends, ChatTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace docrunch::chat
