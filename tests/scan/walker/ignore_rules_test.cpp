#include "scan/ignore_rules.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace docrunch::scan {
namespace {

using docrunch::testing::TempDir;

PatternList Parse(const std::string& text, const std::string& base = "") {
  PatternList list(base, ".gitignore");
  list.AddText(text);
  return list;
}

TEST(PatternList, ParsesCommentsBlankLinesEscapesAndTrailingSpaces) {
  PatternList list =
      Parse("\xEF\xBB\xBF# comment\n\n\\#hash\n\\!bang\nkeep\\ \ndrop   \r\n!neg/\n");
  ASSERT_EQ(list.patterns().size(), 5u);
  EXPECT_EQ(list.patterns()[0].glob, "\\#hash");
  EXPECT_EQ(list.patterns()[0].line, 3);
  EXPECT_FALSE(list.patterns()[1].negated);
  EXPECT_EQ(list.patterns()[2].glob, "keep\\ ");
  EXPECT_EQ(list.patterns()[3].glob, "drop");
  EXPECT_TRUE(list.patterns()[4].negated);
  EXPECT_TRUE(list.patterns()[4].dir_only);
  EXPECT_NE(list.LastMatch("#hash", false), nullptr);
  EXPECT_NE(list.LastMatch("!bang", false), nullptr);
  EXPECT_NE(list.LastMatch("keep ", false), nullptr);
}

TEST(PatternList, AnchoringFollowsTheSlashes) {
  PatternList list = Parse("/top\nmid/dle\nany\n", "sub");
  EXPECT_NE(list.LastMatch("sub/top", false), nullptr);
  EXPECT_EQ(list.LastMatch("sub/x/top", false), nullptr);
  EXPECT_NE(list.LastMatch("sub/mid/dle", false), nullptr);
  EXPECT_EQ(list.LastMatch("sub/x/mid/dle", false), nullptr);
  EXPECT_NE(list.LastMatch("sub/x/y/any", false), nullptr);
  EXPECT_EQ(list.LastMatch("other/any", false), nullptr) << "outside the list's folder";
}

// Regression: git compares an anchored pattern's literal prefix apart from
// the glob, so a "**" right after it crosses folders (found by the random
// oracle test).
TEST(PatternList, DoubleStarAfterLiteralPrefixCrossesFolders) {
  PatternList list = Parse("a**/x\n");
  EXPECT_NE(list.LastMatch("abc/q/x", false), nullptr);
  EXPECT_NE(list.LastMatch("a/x", false), nullptr);
  PatternList glued = Parse("a**b\n");
  EXPECT_EQ(glued.LastMatch("a/b", false), nullptr);
}

TEST(IgnoreRules, ParentExclusionCannotBeUndone) {
  TempDir repo;
  repo.Write(".gitignore", "build/\n!build/keep.py\nout/*\n!out/keep.py\n");
  auto rules = IgnoreRules::Load(repo.path(), {});
  ASSERT_TRUE(rules);
  EXPECT_TRUE(rules->IsIgnored("build/keep.py", false));
  EXPECT_FALSE(rules->IsIgnored("out/keep.py", false));
  EXPECT_TRUE(rules->IsIgnored("out/other.py", false));
}

TEST(IgnoreRules, DocrunchPatternsOutrankGitignore) {
  TempDir repo;
  repo.Write(".gitignore", "*.gen.py\n");
  repo.Write(".docrunch/ignore.yaml", "patterns:\n  - vendor/\n  - \"*.min.js\"\n");
  IgnoreOptions options;
  options.patterns = {"!keep.gen.py", "secret.py"};
  auto rules = IgnoreRules::Load(repo.path(), options);
  ASSERT_TRUE(rules) << rules.error().ToString();
  EXPECT_TRUE(rules->IsIgnored("vendor/a.py", false));
  EXPECT_TRUE(rules->IsIgnored("web/app.min.js", false));
  EXPECT_TRUE(rules->IsIgnored("x/secret.py", false));
  EXPECT_TRUE(rules->IsIgnored("other.gen.py", false));
  EXPECT_FALSE(rules->IsIgnored("keep.gen.py", false));
}

TEST(IgnoreRules, ReadsInfoExcludeAndForgetReloadsAGitignore) {
  TempDir repo;
  repo.Write(".git/info/exclude", "*.tmp.py\n");
  repo.Write("src/.gitignore", "a.py\n");
  auto rules = IgnoreRules::Load(repo.path(), {});
  ASSERT_TRUE(rules);
  EXPECT_TRUE(rules->IsIgnored("src/x.tmp.py", false));
  EXPECT_TRUE(rules->IsIgnored("src/a.py", false));
  repo.Write("src/.gitignore", "b.py\n");
  EXPECT_TRUE(rules->IsIgnored("src/a.py", false)) << "cached until forgotten";
  rules->Forget("src");
  EXPECT_FALSE(rules->IsIgnored("src/a.py", false));
  EXPECT_TRUE(rules->IsIgnored("src/b.py", false));
}

TEST(IgnoreYaml, EmptyDocumentHasNoPatterns) {
  auto patterns = ParseIgnoreYaml("", "ignore.yaml");
  ASSERT_TRUE(patterns);
  EXPECT_TRUE(patterns->empty());
}

TEST(IgnoreYaml, BadYamlNamesFileAndLine) {
  auto patterns = ParseIgnoreYaml("patterns:\n  - a\n  - [b\n", ".docrunch/ignore.yaml");
  ASSERT_FALSE(patterns);
  EXPECT_EQ(patterns.error().code, ErrorCode::kConfigInvalid);
  EXPECT_NE(patterns.error().message.find(".docrunch/ignore.yaml:"), std::string::npos)
      << patterns.error().message;
}

TEST(IgnoreYaml, WrongShapesAreErrorsWithTheirLine) {
  auto unknown = ParseIgnoreYaml("patterns: []\npaterns: [x]\n", "i.yaml");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("i.yaml:2:1: unknown key 'paterns'"), std::string::npos)
      << unknown.error().message;
  auto not_list = ParseIgnoreYaml("patterns: x\n", "i.yaml");
  ASSERT_FALSE(not_list);
  EXPECT_NE(not_list.error().message.find("i.yaml:1:"), std::string::npos);
  auto nested = ParseIgnoreYaml("patterns:\n  - a\n  - {b: c}\n", "i.yaml");
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.error().message.find("i.yaml:3:"), std::string::npos) << nested.error().message;
}

TEST(IgnoreRules, LoadFailsOnABadIgnoreYaml) {
  TempDir repo;
  repo.Write(".docrunch/ignore.yaml", "patterns: [unclosed\n");
  auto rules = IgnoreRules::Load(repo.path(), {});
  ASSERT_FALSE(rules);
  EXPECT_NE(rules.error().message.find("ignore.yaml:"), std::string::npos);
}

}  // namespace
}  // namespace docrunch::scan
