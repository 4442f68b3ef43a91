#include "search/hits.h"

#include <gtest/gtest.h>

namespace docrunch::search {
namespace {

using Terms = std::vector<std::string>;

SearchResult Symbol(const std::string& path, const std::string& qualified, const std::string& type,
                    int line, const std::string& content, double score) {
  SearchResult r;
  r.id = "symbol:" + path + "#" + qualified;
  r.type = type;
  r.title = qualified;
  r.content = content;
  r.score = score;
  r.file_path = path;
  r.line_number = line;
  return r;
}

SearchResult Module(const std::string& path, const std::string& defines, double score) {
  SearchResult r;
  r.id = "file:" + path;
  r.type = "module";
  r.title = path;
  r.content = "python module " + path + "; defines " + defines;
  r.score = score;
  r.file_path = path;
  return r;
}

SearchResult Task(const std::string& title, const std::string& body, double score) {
  SearchResult r;
  r.id = "task:1";
  r.type = "task";
  r.title = title;
  r.content = body;
  r.score = score;
  return r;
}

const Terms* FieldOf(const MatchReason& m, const std::string& field) {
  for (const auto& [name, terms] : m.fields) {
    if (name == field) return &terms;
  }
  return nullptr;
}

TEST(ExplainMatch, NamesTheFieldsEachTermMatched) {
  auto r = Symbol("urllib/parse.py", "urlsplit", "function", 469,
                  "def urlsplit(url, scheme=''):\nParse a URL into 5 components.", 1);
  MatchReason m = ExplainMatch(r, QueryTerms("parse url"));
  ASSERT_NE(FieldOf(m, "docstring"), nullptr);
  EXPECT_EQ(*FieldOf(m, "docstring"), (Terms{"parse", "url"}));
  EXPECT_EQ(*FieldOf(m, "signature"), (Terms{"url"}));
  EXPECT_EQ(*FieldOf(m, "path"), (Terms{"parse"}));
  // "urlsplit" is one token: neither term is in the name.
  EXPECT_EQ(FieldOf(m, "name"), nullptr);
  EXPECT_EQ(m.Terms(), (Terms{"url", "parse"}));  // in field order
}

TEST(ExplainMatch, MatchesWholeTokensOnlyLikeTheIndex) {
  // "parser" holds "parse" as a substring but not as a token.
  auto r = Symbol("a.py", "Parser", "class", 1, "class Parser:\nReads parsers.", 1);
  EXPECT_TRUE(ExplainMatch(r, QueryTerms("parse")).fields.empty());
  // camelCase pieces and the whole identifier are tokens.
  auto c = Symbol("a.py", "parseHTTPRequest", "function", 1, "def parseHTTPRequest(raw):", 1);
  MatchReason m = ExplainMatch(c, QueryTerms("http parseHttpRequest"));
  EXPECT_EQ(*FieldOf(m, "name"), (Terms{"http", "parse", "request", "parsehttprequest"}));
  // The signature repeats the name: only what the name did not say.
  EXPECT_EQ(FieldOf(m, "signature"), nullptr);
}

// Stemmed on both sides, as the index matches: the query's words are shown
// as typed.
TEST(ExplainMatch, MatchesOtherFormsOfAWordLikeTheIndex) {
  auto r = Symbol("a.py", "normalize_email", "function", 1,
                  "def normalize_email(address):\nLower-cases queries.", 1);
  MatchReason m = ExplainMatch(r, QueryTerms("normalizing emails query"));
  EXPECT_EQ(*FieldOf(m, "name"), (Terms{"normalizing", "emails"}));
  // "query" and "queries" share the stem "queri", whose last letter neither spells.
  EXPECT_EQ(*FieldOf(m, "docstring"), (Terms{"query"}));
  // A word that is not a form of the name's: "norm" is not "normal"'s stem.
  EXPECT_TRUE(ExplainMatch(r, QueryTerms("norm")).fields.empty());
}

TEST(ExplainMatch, QualifiedNameGivesOnlyWhatTheNameDoesNot) {
  auto r = Symbol("a.py", "InvoiceParser.parse", "function", 3, "def parse(self, text):", 1);
  MatchReason m = ExplainMatch(r, QueryTerms("invoice parse"));
  EXPECT_EQ(*FieldOf(m, "name"), (Terms{"parse"}));
  EXPECT_EQ(*FieldOf(m, "qualified_name"), (Terms{"invoice"}));
}

TEST(ExplainMatch, ReportsUseTitleAndBody) {
  MatchReason m = ExplainMatch(Task("task-1: Cache invoices", "The parser is slow.", 1),
                               QueryTerms("invoices parser"));
  EXPECT_EQ(*FieldOf(m, "title"), (Terms{"invoices"}));
  EXPECT_EQ(*FieldOf(m, "body"), (Terms{"parser"}));
}

TEST(HitFields, SignatureIsTheFirstLineOnlyWhenItNamesTheSymbol) {
  auto with = Symbol("a.py", "A.run", "function", 1, "def run(self):\nRuns it.", 1);
  EXPECT_EQ(SignatureOf(with), "def run(self):");
  EXPECT_EQ(SummaryOf(with), "Runs it.");
  // No signature stored: the content is the docstring alone.
  auto without = Symbol("a.py", "A.run", "function", 1, "Starts everything. Then waits.", 1);
  EXPECT_EQ(SignatureOf(without), "");
  EXPECT_EQ(SummaryOf(without), "Starts everything.");
}

TEST(HitFields, SummaryIsTheFirstSentenceOnOneLine) {
  auto r = Symbol("a.py", "f", "function", 1,
                  "def f():\nJoin a base URL and a\n   relative one. Then more.", 1);
  EXPECT_EQ(SummaryOf(r), "Join a base URL and a relative one.");
  auto list = Symbol("a.py", "g", "function", 1, "def g():\nParse a URL into components:\n<a>", 1);
  EXPECT_EQ(SummaryOf(list), "Parse a URL into components:");
  auto para = Symbol("a.py", "h", "function", 1, "def h():\nNo full stop here\n\nNext para.", 1);
  EXPECT_EQ(SummaryOf(para), "No full stop here");
  auto version = Symbol("a.py", "v", "function", 1, "def v():\nUses v1.2 of the spec.", 1);
  EXPECT_EQ(SummaryOf(version), "Uses v1.2 of the spec.");
  auto long_doc = Symbol("a.py", "l", "function", 1, "def l():\n" + std::string(400, 'x'), 1);
  EXPECT_LE(SummaryOf(long_doc).size(), 160u + 3);  // "…" is 3 bytes
  EXPECT_EQ(SummaryOf(Module("a.py", "f g", 1)), "");
}

TEST(ViewHits, DropsAnEnclosingHitAMoreSpecificOneAboveExplains) {
  std::vector<SearchResult> results{
      Symbol("c/thread.py", "ThreadPoolExecutor", "class", 118,
             "class ThreadPoolExecutor(Executor):", 9),
      Module("c/thread.py", "ThreadPoolExecutor BrokenThreadPool", 5),
  };
  HitView view = ViewHits(results, "thread pool executor", 10);
  ASSERT_EQ(view.groups.size(), 1u);
  ASSERT_EQ(view.groups[0].hits.size(), 1u);
  EXPECT_EQ(view.groups[0].hits[0].name, "ThreadPoolExecutor");
  EXPECT_EQ(view.hits, 1);
  EXPECT_EQ(view.dropped, 1);
}

TEST(ViewHits, FoldsANestedHitTheEnclosingOneAboveExplains) {
  std::vector<SearchResult> results{
      Symbol("a.py", "InvoiceParser", "class", 1, "class InvoiceParser:\nParses invoices.", 9),
      Symbol("a.py", "InvoiceParser.parse", "function", 3, "def parse(self, raw):", 5),
      // Says something the class does not ("text"): stays a hit.
      Symbol("a.py", "InvoiceParser.text", "function", 7, "def text(self):", 4),
  };
  HitView view = ViewHits(results, "InvoiceParser text", 10);
  ASSERT_EQ(view.groups.size(), 1u);
  const auto& hits = view.groups[0].hits;
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].also, (Terms{"InvoiceParser.parse:3"}));
  EXPECT_EQ(hits[1].name, "InvoiceParser.text");
  EXPECT_EQ(hits[1].rank, 2);
}

TEST(ViewHits, KeepsUnrelatedNamesAndOtherFilesApart) {
  std::vector<SearchResult> results{
      Symbol("a.py", "Parser", "class", 1, "class Parser:", 9),
      // Same file, "Parser2" is not nested in "Parser" (no dot).
      Symbol("a.py", "Parser2.run", "function", 5, "def run(self):", 8),
      // Same qualified name in another file: another thing.
      Symbol("b.py", "Parser.parse", "function", 2, "def parse(self):", 7),
      Task("task-1: Parser", "Speed up the Parser.", 6),
      Symbol("a.py", "helper", "function", 9, "def helper():\nUses a Parser.", 5),
  };
  HitView view = ViewHits(results, "parser", 10);
  EXPECT_EQ(view.hits, 5);
  EXPECT_EQ(view.dropped, 0);
  // Grouped by file in the order of each file's best hit; the task has no file.
  ASSERT_EQ(view.groups.size(), 3u);
  EXPECT_EQ(view.groups[0].file_path, "a.py");
  EXPECT_EQ(view.groups[1].file_path, "b.py");
  EXPECT_FALSE(view.groups[2].file_path.has_value());
  ASSERT_EQ(view.groups[0].hits.size(), 3u);
  EXPECT_EQ(view.groups[0].hits[2].rank, 5);  // ranks stay global
}

TEST(ViewHits, KeepsAtMostLimitHitsAndNamesFiveFoldedOnes) {
  std::vector<SearchResult> results{Symbol("a.py", "Pool", "class", 1, "class Pool:", 9)};
  for (int i = 0; i < 7; ++i) {
    results.push_back(Symbol("a.py", "Pool.m" + std::to_string(i), "function", 10 + i,
                             "def m" + std::to_string(i) + "(self):", 8 - i));
  }
  for (int i = 0; i < 5; ++i) {
    results.push_back(
        Symbol("f" + std::to_string(i) + ".py", "pool", "function", 1, "def pool():", 0.5));
  }
  HitView view = ViewHits(results, "pool", 3);
  EXPECT_EQ(view.hits, 3);
  EXPECT_EQ(view.groups[0].hits[0].also.size(), 5u);
  EXPECT_EQ(view.groups[0].hits[0].also_more, 2);
}

TEST(ViewHits, JsonAndTextCarryTheGroupsCompactly) {
  std::vector<SearchResult> results{
      Symbol("urllib/parse.py", "urlsplit", "function", 469,
             "def urlsplit(url):\nParse a URL into 5 components.", 9.5),
      Module("urllib/parse.py", "urlsplit", 5),
  };
  results[1].title = "urllib/parse.py";
  HitView view = ViewHits(results, "parse url", 10);
  nlohmann::json j = ToJson(view);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["path"], "urllib/parse.py");
  EXPECT_EQ(j[0]["path_matched"], nlohmann::json({"parse"}));
  const auto& hit = j[0]["hits"][0];
  EXPECT_EQ(hit["rank"], 1);
  EXPECT_EQ(hit["kind"], "function");
  EXPECT_EQ(hit["name"], "urlsplit");
  EXPECT_EQ(hit["line"], 469);
  EXPECT_EQ(hit["signature"], "def urlsplit(url):");
  EXPECT_EQ(hit["summary"], "Parse a URL into 5 components.");
  EXPECT_FALSE(hit["matched"].contains("path"));  // said once, by the group
  EXPECT_FALSE(hit.contains("id"));               // symbol:<path>#<name>
  EXPECT_EQ(ToText(view),
            "urllib/parse.py [path: parse]\n"
            "1. function urlsplit :469 [signature: url; docstring: parse url]\n"
            "   def urlsplit(url):\n"
            "   Parse a URL into 5 components.\n");
}

TEST(ViewHits, RestShapeKeepsTheContractFields) {
  auto r = Symbol("a.py", "run", "function", 4, "def run():\nRuns.", 2);
  nlohmann::json j = ToJsonWithMatch(r, QueryTerms("run"));
  for (const char* key : {"id", "type", "title", "content", "score", "file_path", "line_number"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["signature"], "def run():");
  EXPECT_EQ(j["summary"], "Runs.");
  // "Runs." says "run" too, stemmed as the index reads it.
  EXPECT_EQ(j["matched"], nlohmann::json({{"name", {"run"}}, {"docstring", {"run"}}}));
}

TEST(ViewHits, EmptyResultsGiveNoGroups) {
  HitView view = ViewHits({}, "anything", 10);
  EXPECT_TRUE(view.groups.empty());
  EXPECT_EQ(ToText(view), "");
}

}  // namespace
}  // namespace docrunch::search
