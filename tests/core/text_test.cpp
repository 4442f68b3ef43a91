#include "core/text.h"

#include <gtest/gtest.h>

namespace docrunch {
namespace {

TEST(EditDistance, CountsEditsAndSwaps) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("port", "port"), 0u);
  EXPECT_EQ(EditDistance("prot", "port"), 1u);
  EXPECT_EQ(EditDistance("backnd", "backend"), 1u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
}

TEST(ClosestMatch, SuggestsOnlyPlausibleTypos) {
  std::vector<std::string> keys{"backend", "sqlite_path", "docs_output"};
  EXPECT_EQ(ClosestMatch("backnd", keys), "backend");
  EXPECT_EQ(ClosestMatch("sqlite_pth", keys), "sqlite_path");
  EXPECT_EQ(ClosestMatch("zzz", keys), "");
  EXPECT_EQ(ClosestMatch("x", {}), "");
}

TEST(SplitJoin, RoundTrip) {
  EXPECT_EQ(Split("a.b..c", '.'), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(Split("", '.'), (std::vector<std::string>{""}));
  EXPECT_EQ(Join({"a", "b", "c"}, ", "), "a, b, c");
}

}  // namespace
}  // namespace docrunch
