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

// A private name's leading underscores belong to none of its parts: a query
// for "divide and round" meets _divide_and_round (its first part was
// "_divide" once, which no query word is).
TEST(CodeTokens, SplitsAPrivateNameAsItsPublicSpelling) {
  EXPECT_EQ(CodeTokens("_divide_and_round"), (Tokens{"divide", "round", "divide_and_round"}));
  EXPECT_EQ(CodeTokens("_monitor"), (Tokens{"monitor"}));
  EXPECT_EQ(CodeTokens("__mangled_name"), (Tokens{"mangled", "name", "mangled_name"}));
  EXPECT_EQ(CodeTokens("_privateCamel"), (Tokens{"private", "camel", "privatecamel"}));
  EXPECT_EQ(CodeTokens("___"), Tokens{});
  EXPECT_EQ(CodeTokens("_x"), Tokens{});
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
}

// Porter's later steps join what its first step alone left apart: the words
// a description uses and the names it describes.
TEST(Stem, JoinsDerivedWordsAsPorterDoes) {
  EXPECT_EQ(Stem("currently"), "current");
  EXPECT_EQ(Stem("interaction"), "interact");
  for (const char* w : {"columns", "columnize"}) EXPECT_EQ(Stem(w), "column") << w;
  for (const char* w : {"normalize", "normalizing"}) EXPECT_EQ(Stem(w), "normal") << w;
  EXPECT_EQ(Stem("agreed"), "agre");
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
