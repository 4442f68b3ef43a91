// The LightRAG target against the stand-in server (tests/support/
// lightrag_standin.py, LightRAG's wire format), over both backends: inserts,
// replacements, deletes, an outage and its recovery, a busy pipeline, the
// API key, and a rebuild from the database alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/batch.h"
#include "store_test_env.h"
#include "support/lightrag_standin.h"
#include "support/process.h"
#include "sync/lightrag_projection.h"
#include "sync/sync_admin.h"
#include "sync/worker.h"

namespace docrunch::sync {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kKey = "lr-secret-key-123";

TEST(LightRagText, ChunksCoverTheTextWithOverlapAndNeverSplitACharacter) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "wörd" + std::to_string(i) + " ";
  auto chunks = ChunkText(text, 100, 20);
  ASSERT_GT(chunks.size(), 5u);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_LE(chunks[i].size(), 100u);
    // Valid UTF-8: normalizing (which drops broken sequences) keeps it whole.
    EXPECT_EQ(NormalizeText("<" + chunks[i] + ">"), "<" + chunks[i] + ">") << i;
    // Each chunk starts inside the previous one (the overlap).
    if (i > 0) {
      EXPECT_NE(chunks[i - 1].find(chunks[i].substr(0, 8)), std::string::npos) << i;
    }
  }
  EXPECT_EQ(text.substr(0, chunks[0].size()), chunks[0]);
  EXPECT_EQ(text.substr(text.size() - chunks.back().size()), chunks.back());
  EXPECT_EQ(ChunkText("short", 100, 20), std::vector<std::string>{"short"});
  EXPECT_EQ(NormalizeText("  a\x01 & b\x7f\n "), "a \xEF\xBC\x86 b");
}

class LightRagTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ReopenWithClock(clock_);
    if (HasFatalFailure()) return;
    MigrateStore();
    repo_ = AddBareRepository();
    ASSERT_GT(repo_, 0);
    standin_ = std::make_unique<docrunch::testing::LightRagStandIn>(dir_.path(), kKey);
    if (docrunch::testing::Run({"python3", "--version"}).exit_code != 0) {
      GTEST_SKIP() << "python3 is not installed: no LightRAG stand-in";
    }
    ASSERT_TRUE(standin_->Start()) << "the LightRAG stand-in did not start";
  }

  LightRagOptions Lr(std::string key = kKey) {
    LightRagOptions o;
    o.client.base_url = standin_->url();
    o.client.api_key = std::move(key);
    o.client.timeout = std::chrono::milliseconds(5000);
    o.chunk_size = 200;
    o.chunk_overlap = 40;
    return o;
  }

  WorkerOptions Work() {
    WorkerOptions o;
    o.repository_id = repo_;
    o.retry = {4, seconds(2), seconds(120)};
    o.clock = &clock_;
    o.random = [] { return 0.0; };
    return o;
  }

  // A decision row and its outbox event; returns its entity id.
  std::string Decide(const std::string& title, const std::string& text, int number) {
    std::string entity;
    auto done = store_->Transact([&](store::Tx& tx) -> Result<void> {
      auto rows = tx.Query(
          "INSERT INTO decisions (repository_id, number, title, decision, created_at, "
          "updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
          {repo_, std::int64_t{number}, title, text, FormatIso8601(clock_.Now())});
      if (!rows) return rows.error();
      entity = "decision-" + std::to_string(*rows->Int(0, "id"));
      return store::EmitSyncEvents(
          tx, {{repo_, "decision", entity, title + text, "upsert", std::nullopt, 10}});
    });
    EXPECT_TRUE(done.ok()) << done.error().ToString();
    return entity;
  }

  void Change(const std::string& entity, const std::string& text) {
    auto done = store_->Transact([&](store::Tx& tx) -> Result<void> {
      auto r = tx.Exec("UPDATE decisions SET decision = $1 WHERE id = $2",
                       {text, std::stoll(entity.substr(9))});
      if (!r) return r.error();
      return store::EmitSyncEvents(tx,
                                   {{repo_, "decision", entity, text, "upsert", std::nullopt, 10}});
    });
    ASSERT_TRUE(done.ok()) << done.error().ToString();
  }

  // Contents of the stand-in's documents, by id.
  std::map<std::string, std::string> Docs() {
    std::map<std::string, std::string> out;
    auto state = standin_->State();
    for (auto& [id, doc] : state["documents"].items()) out[id] = doc["content"];
    return out;
  }

  std::string Status(const std::string& entity, std::string* error = nullptr) {
    auto rows = store_->Query(
        "SELECT status, last_error FROM storage_sync WHERE target = 'lightrag' AND entity_id = $1",
        {entity});
    if (!rows || rows->empty()) return "";
    if (error) *error = rows->Text(0, "last_error").value_or("");
    return *rows->Text(0, "status");
  }

  ManualClock clock_{*ParseIso8601("2026-11-27T12:00:00Z")};
  std::int64_t repo_ = 0;
  docrunch::testing::TempDir dir_;
  std::unique_ptr<docrunch::testing::LightRagStandIn> standin_;
};

TEST_P(LightRagTest, DocumentIdsAreTheOnesLightRagGives) {
  LightRagClient client(Lr().client);
  std::string text = NormalizeText("Tom & Jerry &amp; friends\x01 \n");
  auto first = client.InsertText(text, "docrunch:test");
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->status, "success");
  auto docs = Docs();
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs.begin()->first, DocumentId(text));
  auto again = client.InsertText(text, "docrunch:other");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, "duplicated");
  // Bad requests are validation failures (not retried); a wrong key is refused.
  auto empty = client.InsertText("   ", "x");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidParams);
  EXPECT_THAT(empty.error().message, HasSubstr("text"));
  LightRagClient stranger(Lr("wrong").client);
  auto refused = stranger.Health();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnauthorized);
  EXPECT_THAT(refused.error().message, Not(HasSubstr("wrong")));
  auto answer = client.Query("Jerry friends");
  ASSERT_TRUE(answer.ok()) << answer.error().ToString();
  EXPECT_THAT((*answer)["response"].get<std::string>(), HasSubstr("Jerry"));
}

TEST_P(LightRagTest, InsertsReplacesAndDeletesAnEntitysDocuments) {
  LightRagProjection target(repo_, Lr());
  SyncWorker worker(*store_, {&target}, Work());
  std::string long_text;
  for (int i = 0; i < 40; ++i) long_text += "Cache invalidation step " + std::to_string(i) + ". ";
  std::string a = Decide("Use the outbox", long_text, 1);
  std::string b = Decide("Rank with BM25", "Field weights over names", 2);
  auto stats = worker.Drain();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->applied, 2);
  auto docs = Docs();
  EXPECT_GT(docs.size(), 3u);  // a is split into several documents
  int parts_of_a = 0;
  for (const auto& [id, content] : docs) {
    EXPECT_EQ(id, DocumentId(content));
    if (content.find("[docrunch decision " + a + ", part") == 0) ++parts_of_a;
  }
  EXPECT_EQ(parts_of_a + 1, static_cast<int>(docs.size()));
  EXPECT_EQ(Status(a), "ok");

  // The same hash again: nothing is sent.
  standin_->Control({{"clear_requests", true}});
  ASSERT_TRUE(store_
                  ->Transact([&](store::Tx& tx) -> Result<void> {
                    return store::EmitSyncEvents(
                        tx, {{repo_, "decision", b, "Rank with BM25Field weights over names",
                              "upsert", std::nullopt, 10}});
                  })
                  .ok());
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_TRUE(standin_->State()["requests"].empty());

  // A change replaces a's documents: the new ones are in, the old ones gone.
  Change(a, "Short now");
  ASSERT_TRUE(worker.Drain().ok());
  docs = Docs();
  ASSERT_EQ(docs.size(), 2u);
  bool found = false;
  for (const auto& [id, content] : docs) found |= content.find("Short now") != std::string::npos;
  EXPECT_TRUE(found);
  auto requests = standin_->State()["requests"];
  EXPECT_FALSE(requests.empty());
  for (const auto& r : requests) EXPECT_TRUE(r["api_key_ok"].get<bool>());

  // Deleting the entity deletes its documents.
  ASSERT_TRUE(store_
                  ->Transact([&](store::Tx& tx) -> Result<void> {
                    return store::EmitSyncEvents(tx, {{repo_, "decision", a, "", "delete"}});
                  })
                  .ok());
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(Docs().size(), 1u);
  EXPECT_EQ(CountRows("storage_sync"), 3);  // a, b, and b's bookkeeping row
  auto status = LoadSyncStatus(*store_, repo_, {"lightrag"}, {60, 300}, clock_.Now());
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->targets[0].synced, 2);  // bookkeeping rows are not entities
}

TEST_P(LightRagTest, AnOutageDelaysOnlyLightRagAndTheBacklogDrainsAfterwards) {
  LightRagProjection target(repo_, Lr());
  SyncWorker worker(*store_, {&target}, Work());
  standin_->Stop();
  std::string a = Decide("Keep the outbox", "Every write emits an event", 1);
  ASSERT_TRUE(worker.Drain().ok());  // the target failing is not the worker's error
  std::string error;
  EXPECT_EQ(Status(a, &error), "pending");
  EXPECT_THAT(error, HasSubstr("lightrag"));
  EXPECT_THAT(error, HasSubstr(standin_->url()));
  EXPECT_THAT(error, Not(HasSubstr(kKey)));

  ASSERT_TRUE(standin_->Start());
  // A busy pipeline refuses deletes: the entity waits again.
  Decide("Second", "Another", 2);
  clock_.Advance(seconds(3));
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(Status(a), "ok");
  EXPECT_EQ(Docs().size(), 2u);
  standin_->Control({{"busy", true}});
  Change(a, "Every write emits one event");
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(Status(a, &error), "pending");
  EXPECT_THAT(error, HasSubstr("busy"));
  EXPECT_EQ(Docs().size(), 3u);  // the new text is in, the old not yet deleted
  standin_->Control({{"busy", false}, {"fail_next", 1}});
  clock_.Advance(seconds(3));
  ASSERT_TRUE(worker.Drain().ok());  // the first request answers 500: waits once more
  EXPECT_EQ(Status(a), "pending");
  clock_.Advance(seconds(5));
  ASSERT_TRUE(worker.Drain().ok());
  EXPECT_EQ(Status(a), "ok");
  auto docs = Docs();
  ASSERT_EQ(docs.size(), 2u);
  for (const auto& [id, content] : docs) {
    EXPECT_EQ(content.find("Every write emits an event"), std::string::npos);
  }
}

TEST_P(LightRagTest, RebuildRestoresEveryDocumentAndDropsWhatTheDatabaseNoLongerHas) {
  LightRagProjection target(repo_, Lr());
  SyncWorker worker(*store_, {&target}, Work());
  std::string a = Decide("Use the outbox", "Writes and events commit together", 1);
  std::string b = Decide("Rank with BM25", "Field weights over names", 2);
  ASSERT_TRUE(worker.Drain().ok());
  auto before = Docs();
  ASSERT_EQ(before.size(), 2u);
  // LightRAG loses a's document; b disappears from the database.
  LightRagClient client(Lr().client);
  std::string a_doc;
  for (const auto& [id, content] : before) {
    if (content.find(a + ",") != std::string::npos) a_doc = id;
  }
  ASSERT_TRUE(client.DeleteDocuments({a_doc}).ok());
  ASSERT_TRUE(store_
                  ->Transact([&](store::Tx& tx) -> Result<void> {
                    auto r =
                        tx.Exec("DELETE FROM decisions WHERE id = $1", {std::stoll(b.substr(9))});
                    if (!r) return r.error();
                    return Ok();
                  })
                  .ok());
  ASSERT_TRUE(RebuildTargets(*store_, repo_, {&target}).ok());
  auto after = Docs();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after.begin()->first, a_doc);
  EXPECT_EQ(after, (std::map<std::string, std::string>{{a_doc, before[a_doc]}}));
}

INSTANTIATE_TEST_SUITE_P(Backends, LightRagTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::sync
