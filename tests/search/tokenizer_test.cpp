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
}  // namespace docrunch::search
