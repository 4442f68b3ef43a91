// Search against both backends: the index, the full-text fallback (index
// dropped, emptied or behind) and the relationship-graph signal, over a
// real scan of the sample repository indexed by the real sync worker.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scan/parser/parser.h"
#include "scan/scan_service.h"
#include "scan/scan_store.h"
#include "scan_fixture.h"
#include "search/search.h"
#include "store_test_env.h"
#include "sync/index_projection.h"
#include "sync/worker.h"

namespace docrunch::search {
namespace {

using ::testing::Contains;
using ::testing::Each;
using ::testing::Field;
using ::testing::Not;

class SearchStoreTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    MigrateStore();
    testing::WriteSampleRepository(repo_dir_);
    ScanAndIndex();
  }

  // A scan; its events stay pending (the index is behind) until Drain().
  void ScanOnly() {
    scan::ScanOptions options;
    options.root = repo_dir_.path();
    options.parse = [this](scan::Language language, std::string_view content) {
      return *parser_.Parse(language, content);
    };
    auto summary = scan::ScanService(*store_).Scan(options);
    ASSERT_TRUE(summary.ok()) << summary.error().ToString();
    repo_ = summary->repository_id;
  }

  void Drain() {
    sync::IndexProjection index(repo_);
    sync::WorkerOptions options;
    options.repository_id = repo_;
    auto drained = sync::SyncWorker(*store_, {&index}, options).Drain();
    ASSERT_TRUE(drained.ok()) << drained.error().ToString();
  }

  void ScanAndIndex() {
    ScanOnly();
    if (HasFatalFailure()) return;
    Drain();
  }

  void Exec(const std::string& sql, const store::Params& params = {}) {
    auto done = store_->Transact([&](store::Tx& tx) -> Result<void> {
      auto n = tx.Exec(sql, params);
      if (!n) return n.error();
      return Ok();
    });
    ASSERT_TRUE(done.ok()) << sql << ": " << done.error().ToString();
  }

  std::vector<SearchResult> Find(const std::string& query, Scope scope = Scope::kAll,
                                 SearchOptions options = {}) {
    auto results = Search(*store_, repo_, query, 10, scope, options);
    EXPECT_TRUE(results.ok()) << results.error().ToString();
    return results ? *results : std::vector<SearchResult>{};
  }

  std::string Unavailable() {
    auto reason = IndexUnavailable(*store_, repo_);
    EXPECT_TRUE(reason.ok()) << reason.error().ToString();
    return reason ? *reason : "error";
  }

  docrunch::testing::TempDir repo_dir_;
  scan::Parser parser_;
  std::int64_t repo_ = 0;
};

TEST_P(SearchStoreTest, TheCurrentIndexAnswers) {
  EXPECT_EQ(Unavailable(), "");
  auto results = Find("normalize email");
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results.front().id, "symbol:app/models.py#normalize_email");
  EXPECT_THAT(results, Each(Field(&SearchResult::engine, "index")));
}

TEST_P(SearchStoreTest, FallsBackToFullTextWhenTheIndexTablesAreGone) {
  Exec("DROP TABLE search_postings");
  EXPECT_THAT(Unavailable(), ::testing::HasSubstr("cannot be read"));
  auto results = Find("normalize email");
  ASSERT_FALSE(results.empty());
  const SearchResult& top = results.front();
  EXPECT_EQ(top.engine, "fulltext");
  EXPECT_EQ(top.id, "symbol:app/models.py#normalize_email");
  EXPECT_EQ(top.type, "function");
  EXPECT_EQ(top.title, "normalize_email");
  EXPECT_EQ(top.file_path, "app/models.py");
  EXPECT_EQ(top.line_number, 12);
  EXPECT_THAT(top.content, ::testing::HasSubstr("Lower-case an e-mail address."));
  EXPECT_GT(top.score, 0);
  EXPECT_THAT(results, Each(Field(&SearchResult::engine, "fulltext")));
}

TEST_P(SearchStoreTest, FallsBackWhenTheIndexIsEmptyWhileEntitiesExist) {
  Exec("DELETE FROM search_postings");
  Exec("DELETE FROM search_docs");
  EXPECT_EQ(Unavailable(), "the search index is empty");
  auto results = Find("UserService");
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results.front().id, "symbol:app/service.py#UserService");
  EXPECT_EQ(results.front().type, "class");
  auto modules = Find("models", Scope::kDocs);
  EXPECT_THAT(modules, Contains(Field(&SearchResult::id, "file:app/models.py")));
}

TEST_P(SearchStoreTest, FallsBackWhileIndexEventsArePendingAndReturnsWhenApplied) {
  repo_dir_.Write("app/billing.py",
                  "def compute_invoice_total(lines):\n    \"\"\"Sum invoice lines.\"\"\"\n"
                  "    return sum(lines)\n");
  ScanOnly();  // not drained: the index does not know billing.py yet
  EXPECT_THAT(Unavailable(), ::testing::HasSubstr("behind"));
  auto pending = Find("invoice total");
  ASSERT_FALSE(pending.empty());
  EXPECT_EQ(pending.front().id, "symbol:app/billing.py#compute_invoice_total");
  EXPECT_EQ(pending.front().engine, "fulltext");
  // The index itself has not seen it: forcing it finds nothing.
  EXPECT_TRUE(Find("invoice total", Scope::kAll, {Engine::kIndex}).empty());

  Drain();
  EXPECT_EQ(Unavailable(), "");
  auto applied = Find("invoice total");
  ASSERT_FALSE(applied.empty());
  EXPECT_EQ(applied.front().id, "symbol:app/billing.py#compute_invoice_total");
  EXPECT_EQ(applied.front().engine, "index");
}

TEST_P(SearchStoreTest, FallsBackWhenAnIndexSyncFailed) {
  Exec("UPDATE storage_sync SET status = 'failed' WHERE target = 'index' AND entity_id = $1",
       {std::string("app/models.py")});
  EXPECT_EQ(Unavailable(), "the search index is behind (entities failed)");
  auto results = Find("normalize email");
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results.front().engine, "fulltext");
}

// The full-text rows are written by the statement that writes the source
// row: no worker runs here, yet inserts, updates and deletes (also
// cascading ones) show at once.
TEST_P(SearchStoreTest, FullTextNeverLagsTheSourceRows) {
  const std::string now = "2026-11-27T12:00:00.000Z";
  Exec(
      "INSERT INTO decisions (repository_id, number, title, decision, rationale, created_at, "
      "updated_at) VALUES ($1, 7, 'Keep the outbox', 'Every write emits an event', "
      "'Projections replay it', $2, $2)",
      {repo_, now});
  Exec(
      "INSERT INTO tasks (repository_id, type, title, description, status, created_at, "
      "updated_at) VALUES ($1, 'feature', 'Stream the pager', 'Paginate lazily', 'todo', $2, $2)",
      {repo_, now});
  SearchOptions fulltext{Engine::kFullText};
  auto decision = Find("projections replay", Scope::kReports, fulltext);
  ASSERT_EQ(decision.size(), 1u);
  EXPECT_EQ(decision.front().type, "decision");
  EXPECT_EQ(decision.front().title, "ADR-007: Keep the outbox");
  EXPECT_THAT(decision.front().id, ::testing::StartsWith("decision:decision-"));
  EXPECT_EQ(decision.front().file_path, std::nullopt);
  auto task = Find("pager", Scope::kReports, fulltext);
  ASSERT_EQ(task.size(), 1u);
  EXPECT_EQ(task.front().type, "task");
  EXPECT_THAT(task.front().title, ::testing::EndsWith(": Stream the pager"));

  Exec("UPDATE tasks SET title = 'Stream the journal' WHERE repository_id = $1", {repo_});
  EXPECT_TRUE(Find("pager", Scope::kReports, fulltext).empty());
  EXPECT_EQ(Find("journal", Scope::kReports, fulltext).size(), 1u);
  // Deleting a file cascades to its symbols; their full-text rows go too.
  Exec("DELETE FROM files WHERE path = 'app/models.py'");
  EXPECT_THAT(
      Find("normalize email", Scope::kAll, fulltext),
      Each(Field(&SearchResult::file_path, Not(std::optional<std::string>("app/models.py")))));
  Exec("DELETE FROM decisions");
  EXPECT_TRUE(Find("projections replay", Scope::kReports, fulltext).empty());
}

TEST_P(SearchStoreTest, FullTextKeepsToTheScopeAndIgnoresQuerySyntax) {
  SearchOptions fulltext{Engine::kFullText};
  EXPECT_TRUE(Find("normalize", Scope::kReports, fulltext).empty());
  auto docs = Find("button", Scope::kDocs, fulltext);
  ASSERT_FALSE(docs.empty());
  EXPECT_THAT(docs, Contains(Field(&SearchResult::id, "symbol:web/components/Button.tsx#Button")));
  // FTS5 and tsquery operators are plain words here, never syntax.
  for (const char* query : {"\"normalize", "email*", "NEAR(a b)", "a & ! | <->", "'; DROP",
                            "title:x", "^normalize", "(email", "the of"}) {
    auto results = Search(*store_, repo_, query, 5, Scope::kAll, fulltext);
    EXPECT_TRUE(results.ok()) << query << ": " << results.error().ToString();
  }
  EXPECT_TRUE(Find("the of", Scope::kAll, fulltext).empty());
  EXPECT_TRUE(Find("", Scope::kAll, fulltext).empty());
}

TEST(PageRank, RanksTheMostReferencedNodeFirstAndSumsToTheNodeCount) {
  auto ranks = PageRank({{"a", "hub"}, {"b", "hub"}, {"c", "hub"}, {"hub", "d"}, {"a", "a"}});
  ASSERT_EQ(ranks.size(), 5u);
  double sum = 0;
  for (const auto& [node, score] : ranks) sum += score;
  EXPECT_NEAR(sum, 5.0, 1e-6);
  EXPECT_GT(ranks["hub"], ranks["a"]);
  EXPECT_GT(ranks["d"], ranks["a"]);  // all of the hub's rank flows to d
  EXPECT_DOUBLE_EQ(ranks["a"], ranks["b"]);
  EXPECT_DOUBLE_EQ(ranks["a"], ranks["c"]);
  // Two nodes, one edge, y dangling (its rank spread evenly): solving
  // x = (0.15 + 0.85 y) / 2, y = x + 0.85 x, x + y = 1 gives 20/57, 37/57,
  // times the node count.
  auto pair = PageRank({{"x", "y"}});
  EXPECT_NEAR(pair["x"], 40.0 / 57, 1e-8);
  EXPECT_NEAR(pair["y"], 74.0 / 57, 1e-8);
  EXPECT_NEAR(pair["x"] + pair["y"], 2.0, 1e-9);
  // Input order does not matter.
  EXPECT_EQ(PageRank({{"hub", "d"}, {"c", "hub"}, {"b", "hub"}, {"a", "hub"}}),
            PageRank({{"a", "hub"}, {"b", "hub"}, {"c", "hub"}, {"hub", "d"}}));
  EXPECT_TRUE(PageRank({}).empty());
  auto lone = PageRank({{"x", "y"}}, {"z", "x"});
  ASSERT_EQ(lone.size(), 3u);
  EXPECT_GT(lone["z"], 0);
  EXPECT_LT(lone["z"], lone["y"]);
}

TEST_P(SearchStoreTest, GraphScoresArePageRankOfTheStoredRelationships) {
  auto rels = scan::ScanStore(*store_).LoadRelationships(repo_);
  ASSERT_TRUE(rels.ok());
  std::vector<std::pair<std::string, std::string>> edges;
  for (const auto& r : *rels) {
    if (r.type != "exports" && r.target.rfind("ext:", 0) != 0) {
      edges.emplace_back(r.source, r.target);
    }
  }
  std::vector<std::string> nodes;
  auto stored = store_->Query(
      "SELECT f.path || '#' || s.qualified_name AS node FROM symbols s JOIN files f "
      "ON f.id = s.file_id UNION ALL SELECT path AS node FROM files");
  ASSERT_TRUE(stored.ok());
  for (std::size_t i = 0; i < stored->size(); ++i) nodes.push_back(*stored->Text(i, "node"));
  auto expected = PageRank(edges, nodes);
  ASSERT_TRUE(expected.count("app/models.py#normalize_email"));
  auto row = store_->Query(
      "SELECT graph_score FROM search_docs WHERE doc_key = 'symbol:app/models.py#normalize_email'");
  ASSERT_TRUE(row.ok());
  ASSERT_EQ(row->size(), 1u);
  EXPECT_NEAR(*row->Real(0, "graph_score"), expected["app/models.py#normalize_email"], 1e-6);
  EXPECT_GT(*row->Real(0, "graph_score"), 0);
  EXPECT_EQ(CountRows("search_graph"), static_cast<std::int64_t>(expected.size()));
  // A symbol nothing refers to scores like any unreferenced node, not 0.
  auto orders = store_->Query(
      "SELECT graph_score FROM search_docs WHERE doc_key = 'symbol:schema.sql#orders'");
  ASSERT_TRUE(orders.ok());
  ASSERT_EQ(orders->size(), 1u);
  EXPECT_NEAR(*orders->Real(0, "graph_score"), expected["schema.sql#orders"], 1e-6);
  EXPECT_GT(*orders->Real(0, "graph_score"), 0);
  EXPECT_LT(*orders->Real(0, "graph_score"), *row->Real(0, "graph_score"));
}

// Two functions named alike: lexically tied, the one the rest of the code
// calls ranks first once the graph counts, whichever way it is fused.
TEST_P(SearchStoreTest, TheGraphBreaksLexicalTies) {
  repo_dir_.Write("lib/a_format.py", "def format_price(value):\n    return str(value)\n");
  repo_dir_.Write("lib/b_format.py", "def format_price(value):\n    return str(value)\n");
  std::string callers;
  for (int i = 0; i < 4; ++i) {
    repo_dir_.Write("lib/use" + std::to_string(i) + ".py",
                    "from .b_format import format_price\n\ndef show" + std::to_string(i) +
                        "(v):\n    return format_price(v)\n");
  }
  repo_dir_.Write("lib/__init__.py", "");
  ScanAndIndex();
  auto rank_of = [&](GraphFusion fusion) {
    SearchOptions options;
    options.graph = fusion;
    options.graph_weight = fusion == GraphFusion::kRrf ? 1.0 : 0.1;
    auto results = Find("format price", Scope::kDocs, options);
    std::vector<std::string> ids;
    for (const auto& r : results) {
      if (r.title == "format_price") ids.push_back(r.id);
    }
    return ids;
  };
  auto none = rank_of(GraphFusion::kNone);
  ASSERT_EQ(none.size(), 2u);
  EXPECT_EQ(none.front(), "symbol:lib/a_format.py#format_price");  // tie: by key
  for (GraphFusion fusion : {GraphFusion::kPrior, GraphFusion::kRrf}) {
    auto ranked = rank_of(fusion);
    ASSERT_EQ(ranked.size(), 2u);
    EXPECT_EQ(ranked.front(), "symbol:lib/b_format.py#format_price");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SearchStoreTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::search
