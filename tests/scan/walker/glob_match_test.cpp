#include "scan/glob_match.h"

#include <gtest/gtest.h>

namespace docrunch::scan {
namespace {

struct Case {
  const char* pattern;
  const char* text;
  bool matches;
};

class GlobMatchTest : public ::testing::TestWithParam<Case> {};

TEST_P(GlobMatchTest, MatchesLikeGit) {
  const Case& c = GetParam();
  EXPECT_EQ(GlobMatch(c.pattern, c.text), c.matches)
      << "pattern '" << c.pattern << "' text '" << c.text << "'";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GlobMatchTest,
    ::testing::Values(
        // '*' and '?' stay within one component
        Case{"*.py", "a.py", true}, Case{"*.py", "d/a.py", false}, Case{"*", "", true},
        Case{"*", "a/b", false}, Case{"a/*/b", "a/x/b", true}, Case{"a/*/b", "a/x/y/b", false},
        Case{"?", "/", false}, Case{"a?c", "abc", true}, Case{"a?c", "ac", false},
        // "**" as a whole component crosses folders
        Case{"**/foo", "foo", true}, Case{"**/foo", "a/b/foo", true},
        Case{"**/foo", "a/b/foox", false}, Case{"a/**/b", "a/b", true},
        Case{"a/**/b", "a/x/y/b", true}, Case{"a/**/b", "a/xb", false}, Case{"a/**", "a/x/y", true},
        Case{"a/**", "a", false}, Case{"**", "a/b/c", true},
        // "**" glued to other characters is a plain '*'
        Case{"a**b", "axxb", true}, Case{"a**b", "ax/xb", false}, Case{"a/**b", "a/x/b", false},
        Case{"a/**b", "a/xb", true},
        // classes
        Case{"[a-c]x", "bx", true}, Case{"[!a-c]x", "dx", true}, Case{"[!a-c]x", "ax", false},
        Case{"[^a-c]x", "ax", false}, Case{"[]]", "]", true}, Case{"[a-]", "-", true},
        Case{"[[:digit:]]x", "5x", true}, Case{"[[:alpha:]]", "5", false}, Case{"[!x]", "/", false},
        Case{"[\\]]", "]", true},
        // malformed patterns match nothing
        Case{"[abc", "a", false}, Case{"[[:bogus:]]", "b", false}, Case{"a\\", "a", false},
        // escapes
        Case{"\\#x", "#x", true}, Case{"a\\*", "a*", true}, Case{"a\\*", "ab", false},
        Case{"a\\ ", "a ", true}, Case{"\\[x\\].py", "[x].py", true},
        Case{"[x].py", "[x].py", false}, Case{"[x].py", "x.py", true}));

}  // namespace
}  // namespace docrunch::scan
