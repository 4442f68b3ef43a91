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

TEST(Utf8Prefix, NeverEndsInsideACharacter) {
  EXPECT_EQ(Utf8Prefix("abc", 10), 3u);
  EXPECT_EQ(Utf8Prefix("abc", 2), 2u);
  const std::string e = "a\xC3\xA9z";  // "aéz": é is bytes 1 and 2
  EXPECT_EQ(Utf8Prefix(e, 2), 1u) << "not between the two bytes of é";
  EXPECT_EQ(Utf8Prefix(e, 3), 3u);
  EXPECT_EQ(Utf8Prefix("\xE2\x82\xAC!", 2), 0u);  // inside "€"
  EXPECT_EQ(Utf8Prefix("", 0), 0u);
}

TEST(CutWithEllipsis, CutsOnACharacterBoundaryAndSaysSo) {
  EXPECT_EQ(CutWithEllipsis("abc", 3), "abc");
  EXPECT_EQ(CutWithEllipsis("abcd", 3), "abc…");
  EXPECT_EQ(CutWithEllipsis("a\xC3\xA9z", 2), "a…");  // not between é's two bytes
  EXPECT_EQ(CutWithEllipsis("", 0), "");
}

}  // namespace
}  // namespace docrunch
