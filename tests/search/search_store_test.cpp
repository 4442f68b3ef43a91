// Search against both backends: the index, the full-text fallback (index
// dropped, emptied or behind) and the relationship-graph signal, over a
// real scan of the sample repository indexed by the real sync worker.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <set>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "scan/parser/parser.h"
#include "scan/scan_service.h"
#include "scan/scan_store.h"
#include "scan_fixture.h"
#include "search/embeddings.h"
#include "search/generation.h"
#include "search/search.h"
#include "store_test_env.h"
#include "support/embeddings_standin.h"
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
  void ScanOnly() { repo_ = ScanFolder(repo_dir_.path()); }

  // The repository id of the scanned folder (0 after a failure).
  std::int64_t ScanFolder(const std::filesystem::path& root) {
    scan::ScanOptions options;
    options.root = root;
    options.parse = [this](scan::Language language, std::string_view content) {
      return *parser_.Parse(language, content);
    };
    auto summary = scan::ScanService(*store_).Scan(options);
    EXPECT_TRUE(summary.ok()) << summary.error().ToString();
    return summary ? summary->repository_id : 0;
  }

  void Drain() { DrainRepository(repo_); }

  void DrainRepository(std::int64_t repo, int batch_size = 200) {
    sync::IndexProjection index(repo);
    sync::WorkerOptions options;
    options.repository_id = repo;
    options.batch_size = batch_size;
    auto drained = sync::SyncWorker(*store_, {&index}, options).Drain();
    ASSERT_TRUE(drained.ok()) << drained.error().ToString();
  }

  // After an index is derived again: the index answers, and finds the
  // sample's normalize_email.
  void ExpectTheIndexAnswers() {
    EXPECT_EQ(Unavailable(), "");
    auto results = Find("normalize email");
    ASSERT_FALSE(results.empty());
    EXPECT_EQ(results.front().id, "symbol:app/models.py#normalize_email");
    EXPECT_EQ(results.front().engine, "index");
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

  // Each query's index results as (id, score), in rank order.
  std::vector<std::vector<std::pair<std::string, double>>> Ranked(
      const std::vector<std::string>& queries) {
    std::vector<std::vector<std::pair<std::string, double>>> all;
    for (const auto& q : queries) {
      std::vector<std::pair<std::string, double>> one;
      for (const auto& r : Find(q, Scope::kAll, {Engine::kIndex})) one.emplace_back(r.id, r.score);
      EXPECT_FALSE(one.empty()) << q;
      all.push_back(one);
    }
    return all;
  }

  // The postings the segments hold, live or not; -1 (and a failure) on error.
  std::int64_t SegmentPostingCount() {
    auto sum = store_->Query("SELECT SUM(postings) AS n FROM search_segments");
    EXPECT_TRUE(sum.ok());
    return sum ? sum->Int(0, "n").value_or(-1) : -1;
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

// A word only a function's body holds (an identifier it uses) finds the
// function, and the result says why: the matched term, in the body.
TEST_P(SearchStoreTest, BodyWordsFindTheFunctionAndTheResultExplainsIt) {
  SearchOptions explain;
  explain.explain = true;
  auto results = Find("strip", Scope::kDocs, explain);
  ASSERT_FALSE(results.empty());
  const SearchResult& top = results.front();
  EXPECT_EQ(top.id, "symbol:app/models.py#normalize_email");
  EXPECT_EQ(top.matched_terms, std::vector<std::string>{"strip"});
  EXPECT_THAT(top.matched_fields, Contains("body"));
  EXPECT_THAT(top.matched_fields, Not(Contains("name")));
  EXPECT_GT(top.signals.at("bm25"), 0);
  EXPECT_EQ(top.signals.at("coverage"), 1.0);
  EXPECT_GE(top.signals.at("graph"), 1.0);
  // Stemmed on both sides: "normalizing emails" matches the name.
  auto stemmed = Find("normalizing emails", Scope::kDocs, explain);
  ASSERT_FALSE(stemmed.empty());
  EXPECT_EQ(stemmed.front().id, "symbol:app/models.py#normalize_email");
  EXPECT_THAT(stemmed.front().matched_fields, Contains("name"));
  EXPECT_EQ(stemmed.front().matched_terms, (std::vector<std::string>{"email", "normal"}));
  // Without explain, no fields are computed.
  EXPECT_TRUE(Find("strip", Scope::kDocs).front().matched_fields.empty());
  // The fallback has no signals to show.
  auto fallback = Find("strip", Scope::kDocs, {Engine::kFullText});
  for (const auto& r : fallback) EXPECT_TRUE(r.signals.empty()) << r.id;
}

// Editing a body re-indexes that file only, exactly: the old word is gone,
// the new one found, and a rebuild from the database ranks the same.
TEST_P(SearchStoreTest, AnEditedBodyIsReindexedExactly) {
  auto before = Find("UserService register", Scope::kDocs, {Engine::kIndex});
  repo_dir_.Write("app/models.py",
                  "from sqlalchemy import Column, Integer, String\n"
                  "from sqlalchemy.orm import declarative_base\n\n"
                  "Base = declarative_base()\n\n"
                  "class User(Base):\n"
                  "    \"\"\"A registered user.\"\"\"\n"
                  "    __tablename__ = 'users'\n"
                  "    id = Column(Integer, primary_key=True)\n"
                  "    email = Column(String)\n\n"
                  "def normalize_email(address):\n"
                  "    \"\"\"Lower-case an e-mail address.\"\"\"\n"
                  "    # fold the case of unicode addresses\n"
                  "    return address.casefold()\n");
  ScanAndIndex();
  auto fresh = Find("casefold unicode", Scope::kDocs, {Engine::kIndex});
  ASSERT_FALSE(fresh.empty());
  EXPECT_EQ(fresh.front().id, "symbol:app/models.py#normalize_email");
  EXPECT_THAT(Find("strip", Scope::kDocs, {Engine::kIndex}),
              Not(Contains(Field(&SearchResult::id, "symbol:app/models.py#normalize_email"))));
  // The other file's documents did not change.
  EXPECT_EQ(Find("UserService register", Scope::kDocs, {Engine::kIndex}).front().id,
            before.front().id);
  const std::vector<std::string> queries{"casefold unicode", "UserService register", "clean email",
                                         "normalizing emails"};
  auto incremental = Ranked(queries);
  sync::IndexProjection index(repo_);
  auto rebuilt = store_->Transact([&](store::Tx& tx) { return index.Rebuild(tx); });
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().ToString();
  EXPECT_EQ(Ranked(queries), incremental);
}

// A process keeps the corpus statistics, documents and postings it read per
// index generation. An incremental change through the sync worker replaces
// the generation, and the same process then ranks exactly as one that never
// searched before (another store on the same database), with statistics
// that moved: a new document, and BM25's document count, average length and
// document frequencies. Removing the file again gives back the first scores.
TEST_P(SearchStoreTest, KeptCorpusStatisticsFollowAnIncrementalIndexChange) {
  SearchOptions lexical{Engine::kIndex, GraphFusion::kNone};
  auto scored = [&](store::Reader& db) {
    std::vector<std::pair<std::string, double>> out;
    auto results = Search(db, repo_, "email address", 10, Scope::kDocs, lexical);
    EXPECT_TRUE(results.ok()) << results.error().ToString();
    if (results) {
      for (const auto& r : *results) out.emplace_back(r.id, r.score);
    }
    return out;
  };
  auto generation = [&] {
    auto g = IndexGeneration(*store_, repo_);
    EXPECT_TRUE(g.ok() && g->has_value());
    return g.ok() && g->has_value() ? **g : 0;
  };
  const std::int64_t first = generation();
  auto before = scored(*store_);  // read and kept
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(scored(*store_), before);
  EXPECT_EQ(generation(), first);  // searching writes nothing

  repo_dir_.Write("app/mail.py",
                  "def send_email(address, body):\n"
                  "    \"\"\"Send an email to one address.\"\"\"\n"
                  "    return address\n\n"
                  "def parse_address(text):\n"
                  "    \"\"\"Parse an email address.\"\"\"\n"
                  "    return text\n");
  ScanAndIndex();
  const std::int64_t second = generation();
  EXPECT_NE(second, first);
  auto after = scored(*store_);
  auto another = OpenAnother();
  ASSERT_NE(another, nullptr);
  EXPECT_EQ(after, scored(*another));
  EXPECT_THAT(after, Contains(Field(&std::pair<std::string, double>::first,
                                    "symbol:app/mail.py#parse_address")));
  auto score_of = [](const auto& ranked, const std::string& id) {
    for (const auto& [key, score] : ranked) {
      if (key == id) return score;
    }
    return -1.0;
  };
  const std::string kept = "symbol:app/models.py#normalize_email";
  ASSERT_GT(score_of(before, kept), 0);
  EXPECT_NE(score_of(after, kept), score_of(before, kept));

  // A change that only removes documents is a new generation too.
  std::filesystem::remove(repo_dir_.path() / "app/mail.py");
  ScanAndIndex();
  EXPECT_NE(generation(), second);
  auto removed = scored(*store_);
  EXPECT_EQ(removed, scored(*another));
  EXPECT_EQ(removed, before);
}

// Query analysis: "read line" finds readline (two words spelled as one),
// and a prose word finds an undocumented function through the name part
// that the functions documented with that word share ("percent" -> quote),
// learned from this repository; off, neither is found.
TEST_P(SearchStoreTest, JoinedWordsAndLearnedAssociationsFindWhatTheWordsMiss) {
  repo_dir_.Write("app/codec.py",
                  "def quote_plus(text):\n"
                  "    \"\"\"Percent-encode text for a form, spaces as plus signs.\"\"\"\n"
                  "    return text\n\n"
                  "def quote_from_bytes(data):\n"
                  "    \"\"\"Percent-encode bytes.\"\"\"\n"
                  "    return data\n\n"
                  "def quote_path(path):\n"
                  "    \"\"\"Percent-encode a path.\"\"\"\n"
                  "    return path\n\n"
                  "def unquote(text):\n"
                  "    \"\"\"Decode percent escapes.\"\"\"\n"
                  "    return text\n\n"
                  "def quote(text):\n"
                  "    return text\n\n"
                  "def readline(stream):\n"
                  "    return stream\n");
  ScanAndIndex();
  auto ids = [&](const std::string& query, SearchOptions options) {
    std::vector<std::string> out;
    for (const auto& r : Find(query, Scope::kDocs, options)) out.push_back(r.id);
    return out;
  };
  SearchOptions defaults{Engine::kIndex};
  defaults.association_weight = 0.3;  // off by default (docs/benchmarks.md)
  SearchOptions off = defaults;
  off.joined_weight = 0;
  off.association_weight = 0;
  EXPECT_THAT(ids("read line", defaults), Contains("symbol:app/codec.py#readline"));
  EXPECT_THAT(ids("read line", off), Not(Contains("symbol:app/codec.py#readline")));
  EXPECT_THAT(ids("percent", defaults), Contains("symbol:app/codec.py#quote"));
  EXPECT_THAT(ids("percent", off), Not(Contains("symbol:app/codec.py#quote")));
  // What a query implies is not what it matched.
  for (const auto& r : Find("percent", Scope::kDocs, defaults)) {
    if (r.id == "symbol:app/codec.py#quote") {
      EXPECT_TRUE(r.matched_terms.empty());
    }
  }
}

// Translation (off by default): an undocumented function whose name part
// the repository's documented symbols associate with query words it lacks
// ("percent", "encode" -> quot, from quote_plus, quote_from_bytes and
// quote_path) gets a factor above 1 and ranks over an equal match without
// one; off, the key decides and no factor is shown.
TEST_P(SearchStoreTest, TranslationBridgesProseToAnUndocumentedName) {
  repo_dir_.Write("app/codec.py",
                  "def quote_plus(text):\n"
                  "    \"\"\"Percent-encode text for a form.\"\"\"\n"
                  "    return text\n\n"
                  "def quote_from_bytes(data):\n"
                  "    \"\"\"Percent-encode bytes.\"\"\"\n"
                  "    return data\n\n"
                  "def quote_path(path):\n"
                  "    \"\"\"Percent-encode a path.\"\"\"\n"
                  "    return path\n\n"
                  "def unquote(data):\n"
                  "    \"\"\"Decode percent escapes.\"\"\"\n"
                  "    return data\n\n"
                  "def read_file(path):\n"
                  "    \"\"\"Read a file.\"\"\"\n"
                  "    return path\n\n"
                  "def write_file(path, data):\n"
                  "    \"\"\"Write data to a file.\"\"\"\n"
                  "    return path\n\n"
                  "def escape(text):\n"
                  "    return text\n\n"
                  "def quote(text):\n"
                  "    return text\n");
  ScanAndIndex();
  SearchOptions off{Engine::kIndex, GraphFusion::kNone};
  off.file_lexical_weight = 0;
  SearchOptions on = off;
  on.translation_weight = 1.0;
  auto ranked = [&](SearchOptions options) {
    std::vector<SearchResult> out;
    for (auto& r : Find("percent encode text", Scope::kDocs, options)) {
      if (r.id == "symbol:app/codec.py#quote" || r.id == "symbol:app/codec.py#escape")
        out.push_back(std::move(r));
    }
    return out;
  };
  auto without = ranked(off);
  ASSERT_EQ(without.size(), 2u);
  EXPECT_EQ(without[0].id, "symbol:app/codec.py#escape");
  EXPECT_EQ(without[0].score, without[1].score);
  EXPECT_EQ(without[1].signals.count("translation"), 0u);
  auto with = ranked(on);
  ASSERT_EQ(with.size(), 2u);
  EXPECT_EQ(with[0].id, "symbol:app/codec.py#quote");
  EXPECT_GT(with[0].signals["translation"], 1.0);
  EXPECT_DOUBLE_EQ(with[1].signals["translation"], 1.0);
  EXPECT_GT(with[0].score, with[1].score);
}

// The signals after BM25 (search/rerank.h). Name coverage: an
// undocumented function whose name the query's words cover ("currently"
// covers current) gets its factor, 1 + 0.2; off, the factor and the signal
// go. Whole-file BM25: of two functions that score alike, the one whose
// file says more about the query ranks first (off, the key decides), and
// the part it added is shown.
TEST_P(SearchStoreTest, NameCoverageAndTheWholeFileRankAndExplainThemselves) {
  repo_dir_.Write("app/alpha.py",
                  "def parse_header(line):\n"
                  "    return line\n\n"
                  "def current_task(loop):\n"
                  "    \"\"\"Return the task the loop runs now.\"\"\"\n"
                  "    return loop\n");
  repo_dir_.Write("app/beta.py",
                  "def parse_header(line):\n"
                  "    return line\n\n"
                  "def header_fields(raw):\n"
                  "    \"\"\"Parse the header fields of a raw header.\"\"\"\n"
                  "    return raw\n");
  ScanAndIndex();
  SearchOptions plain{Engine::kIndex, GraphFusion::kNone};
  plain.name_weight = 0;
  plain.file_lexical_weight = 0;
  SearchOptions name = plain;
  name.name_weight = 0.2;
  SearchOptions file = plain;
  file.file_lexical_weight = 0.2;
  auto find = [&](const std::string& query, SearchOptions options, const std::string& id) {
    for (const auto& r : Find(query, Scope::kDocs, options)) {
      if (r.id == id) return r;
    }
    ADD_FAILURE() << id << " not found for " << query;
    return SearchResult{};
  };
  const std::string task = "symbol:app/alpha.py#current_task";
  SearchResult with_name = find("the currently running task", name, task);
  SearchResult without = find("the currently running task", plain, task);
  EXPECT_DOUBLE_EQ(with_name.signals["name"], 1.2);
  EXPECT_EQ(without.signals.count("name"), 0u);
  EXPECT_NEAR(with_name.score, 1.2 * without.score, 0.002);
  EXPECT_EQ(without.signals.count("file_context"), 0u);

  auto ids = [&](SearchOptions options) {
    std::vector<std::string> out;
    for (const auto& r : Find("parse header", Scope::kDocs, options)) {
      if (r.id.find("#parse_header") != std::string::npos) out.push_back(r.id);
    }
    return out;
  };
  const std::vector<std::string> alpha_first{"symbol:app/alpha.py#parse_header",
                                             "symbol:app/beta.py#parse_header"};
  EXPECT_EQ(ids(plain), alpha_first);
  EXPECT_EQ(ids(file), (std::vector<std::string>{alpha_first[1], alpha_first[0]}));
  SearchResult beta = find("parse header", file, alpha_first[1]);
  SearchResult alpha = find("parse header", file, alpha_first[0]);
  EXPECT_GT(beta.signals["file_context"], alpha.signals["file_context"]);
  EXPECT_GT(alpha.signals["file_context"], 0);
}

// Proximity: of two functions whose docstrings hold the same words, the one
// that holds the query's side by side gains 1 + 0.3 (the other less, by
// their distance) and overtakes the other, first by key without it; the
// factor is shown, and asking for one result gives the first of ten.
TEST_P(SearchStoreTest, QueryWordsSideBySideRankFirstAndSaySo) {
  repo_dir_.Write("app/near.py",
                  "def pick(pool):\n"
                  "    \"\"\"Random integer taken from the pool given here.\"\"\"\n"
                  "    return pool\n");
  repo_dir_.Write("app/far.py",
                  "def pick(pool):\n"
                  "    \"\"\"Random pool taken from the integer given here.\"\"\"\n"
                  "    return pool\n");
  ScanAndIndex();
  const std::string near = "symbol:app/near.py#pick", far = "symbol:app/far.py#pick";
  SearchOptions plain{Engine::kIndex, GraphFusion::kNone};
  plain.proximity_weight = 0;
  SearchOptions proximity{Engine::kIndex, GraphFusion::kNone};
  ASSERT_DOUBLE_EQ(proximity.proximity_weight, 0.3);  // the default
  auto first_two = [&](SearchOptions options) {
    std::vector<SearchResult> out;
    for (auto& r : Find("random integer", Scope::kDocs, options)) {
      if (r.id == near || r.id == far) out.push_back(r);
    }
    return out;
  };
  auto without = first_two(plain);
  ASSERT_EQ(without.size(), 2u);
  ASSERT_EQ(without[0].id, far) << "the test's premise: a tie, broken by key";
  ASSERT_DOUBLE_EQ(without[0].score, without[1].score);
  EXPECT_EQ(without[0].signals.count("proximity"), 0u);

  auto with = first_two(proximity);
  ASSERT_EQ(with.size(), 2u);
  EXPECT_EQ(with[0].id, near);
  EXPECT_DOUBLE_EQ(with[0].signals["proximity"], 1.3);
  ASSERT_EQ(with[1].signals.count("proximity"), 1u);
  EXPECT_GT(with[1].signals["proximity"], 1.0);
  EXPECT_LT(with[1].signals["proximity"], 1.3);
  EXPECT_NEAR(with[0].score, 1.3 * without[1].score, 0.002);

  auto one = Search(*store_, repo_, "random integer", 1, Scope::kDocs, proximity);
  ASSERT_TRUE(one.ok()) << one.error().ToString();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().id, near);
}

// A private name is found by its words (its leading underscore belongs to
// no part), and of a public and a private symbol that say the same, the
// public one ranks first; the private one says why it ranks lower.
TEST_P(SearchStoreTest, PrivateNamesMatchByTheirWordsAndRankBelowPublicOnes) {
  repo_dir_.Write("app/paths.py",
                  "def split_path(path):\n"
                  "    \"\"\"Cut a path into head and tail.\"\"\"\n"
                  "    return path\n"
                  "def _split_path(path):\n"
                  "    \"\"\"Cut a path into head and tail.\"\"\"\n"
                  "    return path\n"
                  "def _divide_and_round(a, b):\n"
                  "    return a\n"
                  "def __init__(self):\n"
                  "    return self\n");
  ScanAndIndex();
  // Undocumented, it has only its name to be found by: both words match.
  auto divide = Find("divide and round", Scope::kDocs, {Engine::kIndex, GraphFusion::kNone});
  ASSERT_FALSE(divide.empty());
  EXPECT_EQ(divide[0].id, "symbol:app/paths.py#_divide_and_round");
  EXPECT_EQ(divide[0].matched_terms, (std::vector<std::string>{"divid", "round"}));
  EXPECT_DOUBLE_EQ(divide[0].signals["private"], 0.8);

  const std::string pub = "symbol:app/paths.py#split_path";
  const std::string priv = "symbol:app/paths.py#_split_path";
  auto both = [&](SearchOptions options) {
    std::vector<SearchResult> out;
    for (auto& r : Find("split path head tail", Scope::kDocs, options)) {
      if (r.id == pub || r.id == priv) out.push_back(r);
    }
    return out;
  };
  SearchOptions off{Engine::kIndex, GraphFusion::kNone};
  off.private_weight = 0;
  auto without = both(off);
  ASSERT_EQ(without.size(), 2u);
  ASSERT_EQ(without[0].id, priv) << "the test's premise: a tie, broken by key";
  ASSERT_DOUBLE_EQ(without[0].score, without[1].score);
  EXPECT_EQ(without[0].signals.count("private"), 0u);

  SearchOptions on{Engine::kIndex, GraphFusion::kNone};
  ASSERT_DOUBLE_EQ(on.private_weight, 0.2);  // the default
  auto with = both(on);
  ASSERT_EQ(with.size(), 2u);
  EXPECT_EQ(with[0].id, pub);
  EXPECT_EQ(with[0].signals.count("private"), 0u);
  EXPECT_DOUBLE_EQ(with[1].signals["private"], 0.8);
  EXPECT_LT(with[1].score, with[0].score);
  // A dunder is public protocol, not private.
  auto init = Find("init", Scope::kDocs, on);
  ASSERT_FALSE(init.empty());
  EXPECT_EQ(init[0].id, "symbol:app/paths.py#__init__");
  EXPECT_EQ(init[0].signals.count("private"), 0u);
}

// Deprecated results rank below what replaced them: a package whose
// __init__.py warns DeprecationWarning marks its files, a docstring
// opening "Deprecated" its symbol; results say so either way.
TEST_P(SearchStoreTest, DeprecatedResultsRankBelowTheCurrentOnesAndSaySo) {
  const std::string body =
      "def copy_tree(src, dst):\n"
      "    \"\"\"Copy a whole directory tree.\"\"\"\n"
      "    return dst\n";
  repo_dir_.Write("app/legacy/__init__.py",
                  "import warnings\n"
                  "warnings.warn('app.legacy is deprecated', DeprecationWarning, 2)\n");
  repo_dir_.Write("app/legacy/tree.py", body);
  repo_dir_.Write("app/new/__init__.py", "");
  repo_dir_.Write("app/new/tree.py", body);
  repo_dir_.Write("app/new/shim.py",
                  "def copy_files(src, dst):\n"
                  "    \"\"\"Deprecated, use copy_tree.\"\"\"\n"
                  "    return dst\n");
  // A module (not a package) that warns at import: its symbols are.
  repo_dir_.Write("app/new/slow.py",
                  "import warnings\n"
                  "warnings.warn('app.new.slow is deprecated', DeprecationWarning, 2)\n"
                  "def copy_slowly(src, dst):\n"
                  "    \"\"\"Copy files one at a time.\"\"\"\n"
                  "    return dst\n");
  ScanAndIndex();
  const std::string legacy = "symbol:app/legacy/tree.py#copy_tree",
                    current = "symbol:app/new/tree.py#copy_tree";
  SearchOptions plain{Engine::kIndex, GraphFusion::kNone};
  plain.deprecated_weight = 0;
  SearchOptions demoting{Engine::kIndex, GraphFusion::kNone};
  ASSERT_DOUBLE_EQ(demoting.deprecated_weight, 0.3);  // the default
  auto both = [&](SearchOptions options) {
    std::vector<SearchResult> out;
    for (auto& r : Find("copy directory tree", Scope::kDocs, options)) {
      if (r.id == legacy || r.id == current) out.push_back(r);
    }
    return out;
  };
  auto without = both(plain);
  ASSERT_EQ(without.size(), 2u);
  ASSERT_EQ(without[0].id, legacy) << "the test's premise: a tie, broken by key";
  ASSERT_DOUBLE_EQ(without[0].score, without[1].score);
  EXPECT_TRUE(without[0].deprecated);  // said even when not ranked lower
  EXPECT_FALSE(without[1].deprecated);
  EXPECT_EQ(without[0].signals.count("deprecated"), 0u);

  auto with = both(demoting);
  ASSERT_EQ(with.size(), 2u);
  EXPECT_EQ(with[0].id, current);
  EXPECT_FALSE(with[0].deprecated);
  EXPECT_EQ(with[0].signals.count("deprecated"), 0u);
  EXPECT_TRUE(with[1].deprecated);
  EXPECT_DOUBLE_EQ(with[1].signals["deprecated"], 0.7);
  EXPECT_NEAR(with[1].score, 0.7 * without[0].score, 0.002);
  EXPECT_EQ(ToJson(with[1])["deprecated"], true);
  EXPECT_FALSE(ToJson(with[0]).contains("deprecated"));

  // The package's module, a symbol its own docstring marks and one its
  // module marks.
  const std::string slow = "symbol:app/new/slow.py#copy_slowly";
  bool module_marked = false, shim_marked = false, slow_marked = false;
  for (auto& r : Find("legacy copy files", Scope::kDocs, demoting)) {
    if (r.id == "file:app/legacy/__init__.py") module_marked = r.deprecated;
    if (r.id == "symbol:app/new/shim.py#copy_files") shim_marked = r.deprecated;
    if (r.id == slow) slow_marked = r.deprecated;
  }
  EXPECT_TRUE(module_marked);
  EXPECT_TRUE(shim_marked);
  EXPECT_TRUE(slow_marked);

  // The fallback says so too: by the package's __init__.py, by the
  // symbol's own mark, by its module's, and not of the current copy.
  std::map<std::string, bool> fallback;
  for (auto& r : Find("copy directory tree files", Scope::kDocs, {Engine::kFullText}))
    fallback[r.id] = r.deprecated;
  ASSERT_EQ(fallback.count(legacy), 1u);
  ASSERT_EQ(fallback.count(current), 1u);
  ASSERT_EQ(fallback.count("symbol:app/new/shim.py#copy_files"), 1u);
  ASSERT_EQ(fallback.count(slow), 1u);
  EXPECT_TRUE(fallback[legacy]);
  EXPECT_FALSE(fallback[current]);
  EXPECT_TRUE(fallback["symbol:app/new/shim.py#copy_files"]);
  EXPECT_TRUE(fallback[slow]);
}

TEST_P(SearchStoreTest, FallsBackToFullTextWhenTheIndexTablesAreGone) {
  Exec("DROP TABLE search_terms");
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

// A name defined twice in a file (a property getter and setter, a
// redefinition): both engines give each its own id, the same ids.
TEST_P(SearchStoreTest, BothEnginesNameRedefinedSymbolsAlike) {
  repo_dir_.Write("app/props.py",
                  "class Zebra:\n"
                  "    @property\n"
                  "    def stripes(self):\n"
                  "        return 1\n"
                  "\n"
                  "    @stripes.setter\n"
                  "    def stripes(self, value):\n"
                  "        pass\n"
                  "\n"
                  "def twice(): pass\n"
                  "def other(): pass; \n"
                  "def twice(): pass\n");
  ScanAndIndex();
  auto ids = [&](Engine engine) {
    std::set<std::string> out;
    for (const auto& r : Find("stripes twice", Scope::kAll, {engine})) {
      if (r.file_path == "app/props.py" && r.type == "function") out.insert(r.id);
    }
    return out;
  };
  const std::set<std::string> expected{"symbol:app/props.py#Zebra.stripes",
                                       "symbol:app/props.py#Zebra.stripes@6",
                                       "symbol:app/props.py#twice", "symbol:app/props.py#twice@12"};
  EXPECT_EQ(ids(Engine::kIndex), expected);
  EXPECT_EQ(ids(Engine::kFullText), expected);
}

TEST_P(SearchStoreTest, FallsBackWhenTheIndexIsEmptyWhileEntitiesExist) {
  Exec("DELETE FROM search_terms");
  Exec("DELETE FROM search_segments");
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
  // The index itself has not seen it: forcing it does not find it (other
  // documents may match "total": the orders table's body names its column).
  EXPECT_THAT(
      Find("invoice total", Scope::kAll, {Engine::kIndex}),
      Not(Contains(Field(&SearchResult::id, "symbol:app/billing.py#compute_invoice_total"))));

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

// Every re-index adds a segment and leaves the old postings behind; merges
// keep the segments few, and whatever their history the index ranks
// exactly like one rebuilt from the database.
TEST_P(SearchStoreTest, ReindexingKeepsFewSegmentsAndRanksAsAFreshRebuild) {
  sync::IndexProjection index(repo_);
  for (int round = 0; round < 20; ++round) {
    for (const char* path : {"app/models.py", "app/service.py"}) {
      auto applied = store_->Transact([&](store::Tx& tx) -> Result<void> {
        return index.Apply(
            {repo_, "file", path, "h" + std::to_string(round), "upsert", std::nullopt, 0}, tx);
      });
      ASSERT_TRUE(applied.ok()) << applied.error().ToString();
      EXPECT_LE(CountRows("search_segments"), std::int64_t{IndexWriter::kMaxSegments});
    }
  }
  const std::vector<std::string> queries{"normalize email", "UserService", "models", "user"};
  auto ranked = [&] { return Ranked(queries); };
  auto after_reindexing = ranked();

  auto rebuilt = store_->Transact([&](store::Tx& tx) { return index.Rebuild(tx); });
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().ToString();
  EXPECT_EQ(CountRows("search_segments"), 1);
  EXPECT_EQ(ranked(), after_reindexing);
  const std::int64_t live_postings = SegmentPostingCount();

  // Re-index again, then merge by force: the removed documents' postings go.
  for (int round = 0; round < 3; ++round) {
    auto applied = store_->Transact([&](store::Tx& tx) -> Result<void> {
      return index.Apply({repo_, "file", "app/models.py", "x", "upsert", std::nullopt, 0}, tx);
    });
    ASSERT_TRUE(applied.ok());
  }
  EXPECT_GT(SegmentPostingCount(), live_postings);
  auto merged = store_->Transact([&](store::Tx& tx) { return MergeSegments(tx, repo_, true); });
  ASSERT_TRUE(merged.ok()) << merged.error().ToString();
  EXPECT_EQ(CountRows("search_segments"), 1);
  EXPECT_EQ(SegmentPostingCount(), live_postings);
  EXPECT_EQ(ranked(), after_reindexing);
}

// A large batch is loaded 1,000 files at a time and tokenized on several
// threads: it must index exactly as a rebuild, file by file on one thread,
// does. A file deleted after its event was written is left out, without a
// failure.
TEST_P(SearchStoreTest, ABatchTokenizedOnThreadsIndexesAsARebuildDoes) {
  for (int i = 0; i < 1100; ++i) {
    const std::string n = std::to_string(i);
    repo_dir_.Write("gen/module_" + n + ".py",
                    "class Handler" + n + ":\n    \"\"\"Handles request number " + n +
                        ".\"\"\"\n    def parse_request_" + n +
                        "(self, raw):\n        return raw\n\ndef render_page_" + n +
                        "(title):\n    \"\"\"Render a page titled like " + n + ".\"\"\"\n");
  }
  ScanOnly();
  Exec("DELETE FROM files WHERE path = 'gen/module_1077.py'");
  DrainRepository(repo_, 5000);  // one batch: two lots of files
  auto gone = store_->Query(
      "SELECT (SELECT COUNT(*) FROM search_docs WHERE source_key = 'file:gen/module_1077.py') "
      "AS docs, (SELECT status FROM storage_sync WHERE target = 'index' AND "
      "entity_id = 'gen/module_1077.py') AS status");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->Int(0, "docs"), 0);
  EXPECT_EQ(gone->Text(0, "status"), "ok");
  const std::vector<std::string> queries{"parse request 42", "render page", "Handler7",
                                         "handles request number"};
  auto ranked = [&] { return Ranked(queries); };
  auto drained = ranked();
  const std::int64_t docs = CountRows("search_docs");
  const std::int64_t postings = SegmentPostingCount();
  sync::IndexProjection index(repo_);
  auto rebuilt = store_->Transact([&](store::Tx& tx) { return index.Rebuild(tx); });
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().ToString();
  EXPECT_EQ(ranked(), drained);
  EXPECT_EQ(CountRows("search_docs"), docs);
  EXPECT_EQ(SegmentPostingCount(), postings);
}

// IndexFiles tokenizes on as many threads as configured
// (scanning.parallel_workers), one per 64 files at most, and on the calling
// thread for small batches.
TEST(IndexWriterThreads, FollowTheConfiguredCountAndTheBatchSize) {
  using search::IndexWriter;
  EXPECT_EQ(IndexWriter::TokenizingThreads(1, 10'000), 1u);
  EXPECT_EQ(IndexWriter::TokenizingThreads(2, 10'000), 2u);
  EXPECT_EQ(IndexWriter::TokenizingThreads(8, 150), 2u);
  EXPECT_EQ(IndexWriter::TokenizingThreads(8, 63), 1u);
  EXPECT_EQ(IndexWriter::TokenizingThreads(0, 0), 1u);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  EXPECT_EQ(IndexWriter::TokenizingThreads(0, 64 * 1024), std::min(cores, 1024u));
}

// A file that nothing references and that references nothing is still a
// node of the graph: adding it changes every score, and it gets its own.
TEST_P(SearchStoreTest, AFileWithoutRelationshipsStillGetsAGraphScore) {
  repo_dir_.Write("app/lonely.py", "def stand_alone():\n    return 1\n");
  ScanAndIndex();
  auto row = store_->Query(
      "SELECT graph_score FROM search_docs WHERE doc_key = 'symbol:app/lonely.py#stand_alone'");
  ASSERT_TRUE(row.ok());
  ASSERT_EQ(row->size(), 1u);
  EXPECT_GT(row->Real(0, "graph_score").value_or(0), 0);
}

// A damaged postings row: the index names the term; automatic search goes
// on from the database's full text.
TEST_P(SearchStoreTest, AMalformedPostingsRowIsAnErrorAndTheFallbackAnswers) {
  Exec("UPDATE search_terms SET postings = 'not postings' WHERE term = 'email'");
  auto forced = Search(*store_, repo_, "normalize email", 10, Scope::kAll, {Engine::kIndex});
  ASSERT_FALSE(forced.ok());
  EXPECT_EQ(forced.error().code, ErrorCode::kInternal);
  EXPECT_THAT(forced.error().message, ::testing::HasSubstr("'email'"));
  auto results = Find("normalize email");
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results.front().id, "symbol:app/models.py#normalize_email");
  EXPECT_EQ(results.front().engine, "fulltext");
}

// Migration 7 replaced the postings table: an index written by version 6
// is dropped and every entity it had synced comes back through the outbox.
TEST_P(SearchStoreTest, AnIndexOfVersion6IsRebuiltThroughTheOutbox) {
  // The index tables as version 6 left them.
  Exec("DROP TABLE search_terms");
  Exec("DROP TABLE search_segments");
  Exec(
      "CREATE TABLE search_postings (repository_id BIGINT NOT NULL, term TEXT NOT NULL, "
      "doc_id BIGINT NOT NULL, weight REAL NOT NULL)");
  Exec("DELETE FROM schema_migrations WHERE version = 7");
  // Migration 21 taken back too: SQLite's migration 7 creates search_docs
  // anew, as version 7 knew it.
  Exec("DROP INDEX search_docs_deprecated_modules");
  for (const char* table : {"files", "symbols", "search_docs"}) {
    Exec(std::string("ALTER TABLE ") + table + " DROP COLUMN deprecated");
  }
  Exec("DELETE FROM schema_migrations WHERE version = 21");
  const std::int64_t synced = CountRows("storage_sync");
  auto migrated = store_->Migrate();
  ASSERT_TRUE(migrated.ok()) << migrated.error().ToString();
  EXPECT_EQ(CountRows("search_docs"), 0);
  EXPECT_GT(CountPending(), 0);
  EXPECT_LT(CountRows("storage_sync"), synced);  // the index's rows went
  EXPECT_EQ(Unavailable(), "the search index is empty");
  EXPECT_EQ(Find("normalize email").front().engine, "fulltext");

  Drain();
  ExpectTheIndexAnswers();
}

// Migration 23 changed how terms are spelled (Porter's stemmer, private
// names' words): an index written before holds terms no query asks for, so
// every entity's index row becomes a due retry, the fallback answers until
// the worker has derived them again, and then the index does.
TEST_P(SearchStoreTest, AnIndexOfVersion22IsDerivedAgainThroughRetries) {
  // Terms as no query spells them, in place of an older tokenizer's.
  Exec("UPDATE search_terms SET term = 'v22:' || term");
  auto stale = Search(*store_, repo_, "normalize email", 10, Scope::kAll, {Engine::kIndex});
  ASSERT_TRUE(stale.ok()) << stale.error().ToString();
  EXPECT_TRUE(stale->empty());
  Exec("DELETE FROM schema_migrations WHERE version = 23");
  const std::int64_t synced = CountRows("storage_sync");
  auto migrated = store_->Migrate();
  ASSERT_TRUE(migrated.ok()) << migrated.error().ToString();
  EXPECT_EQ(CountRows("storage_sync"), synced);
  auto pending = store_->Query(
      "SELECT COUNT(*) AS n FROM storage_sync WHERE target = 'index' AND status = 'pending'", {});
  ASSERT_TRUE(pending.ok()) << pending.error().ToString();
  EXPECT_GT(pending->Int(0, "n").value_or(0), 0);
  EXPECT_THAT(Unavailable(), ::testing::HasSubstr("the search index is behind"));
  EXPECT_EQ(Find("normalize email").front().engine, "fulltext");

  Drain();
  ExpectTheIndexAnswers();
}

// Two repositories in one database with the same files: each is synced
// and indexed on its own (storage_sync was keyed without the repository,
// so the second one's events were skipped as already synced).
TEST_P(SearchStoreTest, TwoRepositoriesWithTheSameFilesAreEachIndexed) {
  docrunch::testing::TempDir copy;
  testing::WriteSampleRepository(copy);
  const std::int64_t other = ScanFolder(copy.path());
  ASSERT_GT(other, 0);
  ASSERT_NE(other, repo_);
  DrainRepository(other);
  for (std::int64_t repo : {repo_, other}) {
    SCOPED_TRACE("repository " + std::to_string(repo));
    auto synced = store_->Query(
        "SELECT status FROM storage_sync WHERE repository_id = $1 AND target = 'index' AND "
        "entity_type = 'file' AND entity_id = 'app/models.py'",
        {repo});
    ASSERT_TRUE(synced.ok());
    ASSERT_EQ(synced->size(), 1u);
    EXPECT_EQ(synced->Text(0, "status"), "ok");
    auto results = Search(*store_, repo, "normalize email", 10, Scope::kAll, {Engine::kIndex});
    ASSERT_TRUE(results.ok()) << results.error().ToString();
    ASSERT_FALSE(results->empty());
    EXPECT_EQ(results->front().id, "symbol:app/models.py#normalize_email");
  }
}

// Migration 8 keys storage_sync by repository. Rows that two repositories
// had shared under the old key go, and each repository's latest event of
// such an entity comes again, to be applied for it.
TEST_P(SearchStoreTest, Migration8ResyncsEntitiesTwoRepositoriesShared) {
  docrunch::testing::TempDir copy;
  testing::WriteSampleRepository(copy);
  const std::int64_t other = ScanFolder(copy.path());
  ASSERT_GT(other, 0);
  DrainRepository(other);
  // storage_sync as version 7 left it: one row per (target, entity), here
  // held by the repository that synced last; a decision only repo_ has.
  Exec("DROP TABLE storage_sync");
  Exec(
      "CREATE TABLE storage_sync (target TEXT NOT NULL, entity_type TEXT NOT NULL, "
      "entity_id TEXT NOT NULL, repository_id BIGINT REFERENCES repositories (id) ON DELETE "
      "CASCADE, last_synced_hash TEXT, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
      "last_error TEXT, next_attempt_at TEXT, updated_at TEXT NOT NULL, "
      "PRIMARY KEY (target, entity_type, entity_id))");
  Exec("CREATE INDEX storage_sync_by_status ON storage_sync (target, status, next_attempt_at)");
  Exec(
      "INSERT INTO storage_sync (target, entity_type, entity_id, repository_id, last_synced_hash, "
      "status, updated_at) SELECT 'index', entity_type, entity_id, $1, MAX(content_hash), 'ok', "
      "'2026-11-27T12:00:00.000Z' FROM sync_events WHERE repository_id = $1 "
      "GROUP BY entity_type, entity_id",
      {other});
  Exec(
      "INSERT INTO storage_sync (target, entity_type, entity_id, repository_id, last_synced_hash, "
      "status, updated_at) VALUES ('index', 'decision', 'decision-1', $1, 'h', 'ok', "
      "'2026-11-27T12:00:00.000Z')",
      {repo_});
  Exec("DELETE FROM schema_migrations WHERE version = 8");
  // Migration 22 taken back too: it adds storage_sync.entity_key and
  // creates sync_processed, whose ranges (what the drains processed, on
  // SQLite) are kept aside and put back after it.
  Exec("ALTER TABLE sync_processed RENAME TO sync_processed_kept");
  Exec("DROP INDEX sync_processed_by_time");
  Exec("DELETE FROM schema_migrations WHERE version = 22");
  auto files = store_->Query(
      "SELECT COUNT(DISTINCT entity_id) AS n FROM sync_events WHERE entity_type = 'file' AND "
      "repository_id = $1",
      {repo_});
  ASSERT_TRUE(files.ok());
  const std::int64_t shared = files->Int(0, "n").value_or(0);
  ASSERT_GT(shared, 0);

  auto migrated = store_->Migrate();
  ASSERT_TRUE(migrated.ok()) << migrated.error().ToString();
  Exec("INSERT INTO sync_processed SELECT * FROM sync_processed_kept");
  Exec("DROP TABLE sync_processed_kept");
  for (std::int64_t repo : {repo_, other}) {
    EXPECT_EQ(
        CountPending("e.repository_id = " + std::to_string(repo) + " AND e.entity_type = 'file'"),
        shared)
        << "repository " << repo;
  }
  // The shared files lost their rows; the decision (repo_'s only) kept its.
  auto kept = store_->Query("SELECT entity_type, repository_id FROM storage_sync");
  ASSERT_TRUE(kept.ok());
  int decisions = 0;
  for (std::size_t i = 0; i < kept->size(); ++i) {
    EXPECT_NE(kept->Text(i, "entity_type"), "file");
    if (kept->Text(i, "entity_type") == "decision") {
      ++decisions;
      EXPECT_EQ(kept->Int(i, "repository_id"), repo_);
    }
  }
  EXPECT_EQ(decisions, 1);
  Exec(
      "INSERT INTO storage_sync (repository_id, target, entity_type, entity_id, status, "
      "updated_at) VALUES ($1, 'index', 'decision', 'decision-1', 'ok', 'x')",
      {other});  // the new key holds one row per repository

  DrainRepository(repo_);
  DrainRepository(other);
  for (std::int64_t repo : {repo_, other}) {
    auto synced = store_->Query(
        "SELECT COUNT(*) AS n FROM storage_sync WHERE repository_id = $1 AND target = 'index' "
        "AND entity_type = 'file' AND status = 'ok'",
        {repo});
    ASSERT_TRUE(synced.ok());
    EXPECT_EQ(synced->Int(0, "n").value_or(0), shared) << "repository " << repo;
  }
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

using testing::EmbeddingsStandIn;

class EmbeddingsSearchTest : public SearchStoreTest {
 protected:
  void SetUp() override {
    SearchStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_GT(standin_.port(), 0) << "the stand-in did not start";
    EmbeddingsOptions options;
    options.base_url = standin_.base_url();
    options.model = "stand-in-trigrams";
    options.api_key = kKey;
    options.batch_size = 8;
    embedder_ = MakeHttpEmbedder(options);
  }

  Result<void> Rebuild(std::shared_ptr<Embedder> embedder) {
    sync::IndexProjection index(repo_, std::move(embedder));
    return store_->Transact([&](store::Tx& tx) { return index.Rebuild(tx); });
  }

  static constexpr const char* kKey = "sk-test-secret-4242";
  EmbeddingsStandIn standin_{kKey};
  std::shared_ptr<Embedder> embedder_;
};

TEST_P(EmbeddingsSearchTest, EveryDocumentGetsAVectorInBatches) {
  auto rebuilt = Rebuild(embedder_);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().ToString();
  std::int64_t docs = CountRows("search_docs");
  ASSERT_GT(docs, 8);
  EXPECT_EQ(CountRows("search_vectors"), docs);
  // Batches of 8: fewer requests than documents.
  EXPECT_EQ(standin_.Requests(), static_cast<int>((docs + 7) / 8));
  auto row = store_->Query("SELECT vector, model FROM search_vectors ORDER BY doc_id LIMIT 1");
  ASSERT_TRUE(row.ok());
  ASSERT_EQ(row->size(), 1u);
  EXPECT_EQ(*row->Text(0, "model"), "stand-in-trigrams");
  EXPECT_EQ(DecodeVector(*row->Text(0, "vector")).size(), 64u);
  // A rebuild without an embedder drops nothing it did not own: the
  // documents are new, so are their (absent) vectors.
  ASSERT_TRUE(Rebuild(nullptr).ok());
  EXPECT_EQ(CountRows("search_vectors"), 0);
}

TEST_P(EmbeddingsSearchTest, VectorsFindWhatTheWordsMiss) {
  ASSERT_TRUE(Rebuild(embedder_).ok());
  // Misspelled: no token of the query is in the index.
  const std::string query = "normalise emial adress";
  EXPECT_TRUE(Find(query, Scope::kDocs).empty());
  SearchOptions with_vectors;
  with_vectors.embedder = embedder_;
  auto results = Find(query, Scope::kDocs, with_vectors);
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results.front().id, "symbol:app/models.py#normalize_email");
  EXPECT_EQ(results.front().engine, "index");
  // The query embedded by the caller already (search_docs does, before it
  // waits for a core): the same ranking, no request of its own.
  SearchOptions given = with_vectors;
  auto vector = embedder_->Embed({query});
  ASSERT_TRUE(vector.ok()) << vector.error().ToString();
  given.query_vector = vector->front();
  const int requests = standin_.Requests();
  auto same = Find(query, Scope::kDocs, given);
  EXPECT_EQ(standin_.Requests(), requests);
  ASSERT_EQ(same.size(), results.size());
  for (std::size_t i = 0; i < same.size(); ++i) EXPECT_EQ(same[i].id, results[i].id);
  // Lexical hits keep their place when both agree.
  auto exact = Find("normalize email", Scope::kDocs, with_vectors);
  ASSERT_FALSE(exact.empty());
  EXPECT_EQ(exact.front().id, "symbol:app/models.py#normalize_email");
  // The endpoint down at query time: the lexical ranking, no error.
  standin_.SetFailing(true);
  auto down = Find("normalize email", Scope::kDocs, with_vectors);
  ASSERT_FALSE(down.empty());
  EXPECT_EQ(down.front().id, "symbol:app/models.py#normalize_email");
}

TEST_P(EmbeddingsSearchTest, AFailingEndpointHoldsTheIndexBackAndTheFallbackAnswers) {
  ASSERT_TRUE(Rebuild(embedder_).ok());
  repo_dir_.Write("app/billing.py", "def compute_invoice_total(lines):\n    return sum(lines)\n");
  ScanOnly();
  standin_.SetFailing(true);
  sync::IndexProjection index(repo_, embedder_);
  sync::WorkerOptions options;
  options.repository_id = repo_;
  ASSERT_TRUE(sync::SyncWorker(*store_, {&index}, options).Drain(1).ok());
  auto status = store_->Query(
      "SELECT status, last_error FROM storage_sync WHERE target = 'index' AND entity_id = "
      "'app/billing.py'");
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(status->size(), 1u);
  EXPECT_NE(*status->Text(0, "status"), "ok");
  EXPECT_THAT(status->Text(0, "last_error").value_or(""), ::testing::HasSubstr("HTTP 503"));
  EXPECT_THAT(Unavailable(), ::testing::HasSubstr("behind"));
  auto found = Find("invoice total");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found.front().engine, "fulltext");

  standin_.SetFailing(false);
  ASSERT_TRUE(Rebuild(embedder_).ok());
  EXPECT_EQ(CountRows("search_vectors"), CountRows("search_docs"));
}

TEST_P(EmbeddingsSearchTest, AWrongKeyIsAnErrorThatDoesNotRepeatTheKey) {
  EmbeddingsOptions options;
  options.base_url = standin_.base_url();
  options.model = "m";
  options.api_key = "sk-wrong-key-777";
  auto vectors = MakeHttpEmbedder(options)->Embed({"x"});
  ASSERT_FALSE(vectors.ok());
  EXPECT_EQ(vectors.error().code, ErrorCode::kIo);
  EXPECT_THAT(vectors.error().message, ::testing::HasSubstr("HTTP 401"));
  EXPECT_THAT(vectors.error().message, ::testing::HasSubstr("Incorrect API key provided"));
  EXPECT_THAT(vectors.error().message, Not(::testing::HasSubstr("sk-wrong-key-777")));
  options.base_url = "http://127.0.0.1:1/v1";  // nothing listens
  auto refused = MakeHttpEmbedder(options)->Embed({"x"});
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, ::testing::HasSubstr("127.0.0.1:1/v1/embeddings"));
  options.base_url = standin_.base_url();
  options.api_key = kKey;
  options.dimensions = 32;
  auto sized = MakeHttpEmbedder(options)->Embed({"a b", "c"});
  ASSERT_TRUE(sized.ok()) << sized.error().ToString();
  ASSERT_EQ(sized->size(), 2u);
  EXPECT_EQ((*sized)[0].size(), 32u);
}

TEST(VectorText, RoundTripsFloats) {
  std::vector<float> v{0.0f, -1.5f, 3.25e-7f, 1e30f, 0.1f};
  EXPECT_EQ(DecodeVector(EncodeVector(v)), v);
  EXPECT_TRUE(DecodeVector("not base64 !").empty());
  EXPECT_TRUE(DecodeVector(EncodeVector({})).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, EmbeddingsSearchTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

INSTANTIATE_TEST_SUITE_P(Backends, SearchStoreTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::search
