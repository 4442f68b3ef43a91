#include "search/tokenizer.h"

#include <gtest/gtest.h>

namespace docrunch::search {
namespace {

using Tokens = std::vector<std::string>;

TEST(CodeTokens, SplitsIdentifiersTheWayPeopleSearch) {
  EXPECT_EQ(CodeTokens("parseHTTPRequest"),
            (Tokens{"parse", "http", "request", "parsehttprequest"}));
  EXPECT_EQ(CodeTokens("snake_case_name"), (Tokens{"snake", "case", "name", "snake_case_name"}));
  EXPECT_EQ(CodeTokens("src/app/main.py"), (Tokens{"src", "app", "main", "py"}));
  EXPECT_EQ(CodeTokens("__init__"), (Tokens{"init"}));
  EXPECT_EQ(CodeTokens("utf8Decode"), (Tokens{"utf", "8", "decode", "utf8decode"}));
}

TEST(CodeTokens, DropsStopWordsAndSingleLetters) {
  EXPECT_EQ(CodeTokens("Return the value of x"), (Tokens{"return", "value"}));
  EXPECT_TRUE(CodeTokens("").empty());
  EXPECT_TRUE(CodeTokens("!!! ... ---").empty());
}

TEST(CodeTokens, KeepsNonAsciiWordsWhole) {
  EXPECT_EQ(CodeTokens("größe berechnen"), (Tokens{"größe", "berechnen"}));
}

}  // namespace
TEST(Stem, FoldsInflectionsOfOneWord) {
  for (const char* w : {"encode", "encodes", "encoded", "encoding"})
    EXPECT_EQ(Stem(w), "encod") << w;
  for (const char* w : {"query", "queries"}) EXPECT_EQ(Stem(w), "queri") << w;
  for (const char* w : {"stop", "stopped", "stopping", "stops"}) EXPECT_EQ(Stem(w), "stop") << w;
  EXPECT_EQ(Stem("classes"), "class");
  EXPECT_EQ(Stem("status"), "status");
  EXPECT_EQ(Stem("analysis"), "analysis");
  EXPECT_EQ(Stem("agreed"), "agreed");
}

TEST(Stem, LeavesShortDigitAndCompoundTokensAlone) {
  EXPECT_EQ(Stem("ids"), "ids");
  EXPECT_EQ(Stem("utf8"), "utf8");
  EXPECT_EQ(Stem("snake_case_name"), "snake_case_name");
  EXPECT_EQ(Stem(""), "");
}

TEST(SearchTerms, AreTheStemmedCodeTokens) {
  EXPECT_EQ(SearchTerms("parseHTTPRequests"),
            (std::vector<std::string>{"pars", "http", "request", "parsehttprequest"}));
}

}  // namespace docrunch::search
