// IgnoreRules against real `git check-ignore`: every path of a fixture
// repository must get the same verdict from both.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "scan/ignore_rules.h"
#include "scan/walker.h"
#include "support/temp_dir.h"
#include "walker/git_fixture.h"

namespace docrunch::scan {
namespace {

using docrunch::testing::TempDir;
using testing::BuildFixtureTree;
using testing::FixtureTree;
using testing::GitIgnoreVerdicts;

// Compares every path; each mismatch is one failure naming the path.
void ExpectSameAsGit(const TempDir& repo, const FixtureTree& tree, const std::string& context) {
  std::vector<std::string> paths = tree.dirs;
  paths.insert(paths.end(), tree.files.begin(), tree.files.end());
  auto git = GitIgnoreVerdicts(repo.path(), paths);
  auto rules = IgnoreRules::Load(repo.path(), {});
  ASSERT_TRUE(rules) << rules.error().ToString();
  std::set<std::string> dirs(tree.dirs.begin(), tree.dirs.end());
  int mismatches = 0;
  for (const auto& path : paths) {
    bool ours = rules->IsIgnored(path, dirs.count(path) > 0);
    if (ours != git[path].ignored) {
      ++mismatches;
      ADD_FAILURE() << context << ": '" << path << "' git says "
                    << (git[path].ignored ? "ignored" : "not ignored") << " (rule '"
                    << git[path].rule << "'), we say " << (ours ? "ignored" : "not ignored");
    }
  }
  EXPECT_EQ(mismatches, 0) << context;
}

TEST(GitignoreOracle, HandWrittenRulesMatchGitForEveryPath) {
  TempDir repo;
  FixtureTree tree = BuildFixtureTree(repo);
  ASSERT_GT(tree.files.size(), 500u);
  ExpectSameAsGit(repo, tree, "hand-written .gitignore files");
}

TEST(GitignoreOracle, FixtureExercisesBothVerdicts) {
  // Guards the oracle itself: a broken git call that calls everything
  // "not ignored" would make the comparison meaningless.
  TempDir repo;
  FixtureTree tree = BuildFixtureTree(repo);
  auto git = GitIgnoreVerdicts(repo.path(), tree.files);
  int ignored = 0;
  for (const auto& [path, verdict] : git) ignored += verdict.ignored;
  EXPECT_GT(ignored, 100);
  EXPECT_LT(ignored, static_cast<int>(tree.files.size()) - 100);
  EXPECT_TRUE(git["src/lib/deep/keep.txt"].ignored) << "a parent folder's exclusion must win";
  EXPECT_FALSE(git["tmp/keep.txt"].ignored);
  EXPECT_TRUE(git["trailing "].ignored);
}

// Random pattern files built from a vocabulary of the tricky pieces, with
// fixed seeds so a failure reproduces.
std::string RandomGitignore(std::mt19937& rng, int lines) {
  static const std::vector<std::string> kPieces = {"*",
                                                   "**",
                                                   "*.py",
                                                   "*.log",
                                                   "?ain.py",
                                                   "[a-c]*",
                                                   "[!m]*.c",
                                                   "foo",
                                                   "bar",
                                                   "def",
                                                   "lib",
                                                   "deep",
                                                   "b",
                                                   "c",
                                                   "api",
                                                   "v1",
                                                   "*.txt",
                                                   "keep.txt",
                                                   "x*",
                                                   "*a*",
                                                   "pkg",
                                                   "src",
                                                   "q",
                                                   "Make*",
                                                   "*.md",
                                                   "y",
                                                   "deep2",
                                                   "**a",
                                                   "a**",
                                                   "***",
                                                   "b**c",
                                                   "[[:alpha:]]*",
                                                   "\\#*",
                                                   "*\\ *",
                                                   "ma?n.*",
                                                   "\\[x\\].py",
                                                   "[]x]*",
                                                   "[a-]*",
                                                   "*.[ch]",
                                                   "trailing\\ ",
                                                   "!*",
                                                   "\\!bang.py",
                                                   "[[:digit:]].c",
                                                   "a[0-9]*"};
  std::string text;
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  for (int i = 0; i < lines; ++i) {
    std::string line;
    if (pick(4) == 0) line += "!";
    if (pick(4) == 0) line += "/";
    std::size_t parts = 1 + pick(3);
    for (std::size_t p = 0; p < parts; ++p) {
      if (p) line += "/";
      line += kPieces[pick(kPieces.size())];
    }
    if (pick(4) == 0) line += "/";
    text += line + "\n";
  }
  return text;
}

TEST(GitignoreOracle, RandomRulesMatchGitForEveryPath) {
  TempDir repo;
  FixtureTree tree = BuildFixtureTree(repo);
  const std::vector<std::string> homes = {"", "src", "a/b", "x/y", "abc", "vendor"};
  unsigned seeds = 12;
  if (const char* env = std::getenv("DOCRUNCH_ORACLE_SEEDS")) seeds = std::stoul(env);
  unsigned only = 0;
  if (const char* env = std::getenv("DOCRUNCH_ORACLE_SEED_ONLY")) only = std::stoul(env);
  for (unsigned seed = 1; seed <= seeds; ++seed) {
    std::mt19937 rng(seed);
    for (const auto& home : homes) {
      repo.Write(home.empty() ? ".gitignore" : home + "/.gitignore", RandomGitignore(rng, 12));
    }
    if (only && seed != only) continue;
    ExpectSameAsGit(repo, tree, "seed " + std::to_string(seed));
  }
}

TEST(GitignoreOracle, WalkerReturnsExactlyTheFilesGitKeeps) {
  TempDir repo;
  FixtureTree tree = BuildFixtureTree(repo);
  std::vector<std::string> paths = tree.files;
  for (const char* g : {".gitignore", "src/.gitignore", "src/lib/.gitignore", "a/.gitignore",
                        "a/b/.gitignore", "docs/.gitignore", "logs/.gitignore", "x/.gitignore",
                        "test data/.gitignore", "vendor/pkg/.gitignore"}) {
    paths.push_back(g);
  }
  auto git = GitIgnoreVerdicts(repo.path(), paths);
  std::set<std::string> expected;
  for (const auto& [path, verdict] : git) {
    if (!verdict.ignored) expected.insert(path);
  }
  WalkOptions options;
  options.include_unknown = true;
  auto walk = WalkRepository(repo.path(), options);
  ASSERT_TRUE(walk) << walk.error().ToString();
  std::set<std::string> walked;
  for (const auto& f : walk->files) walked.insert(f.path);
  for (const auto& p : expected) EXPECT_TRUE(walked.count(p)) << "missing: '" << p << "'";
  for (const auto& p : walked) EXPECT_TRUE(expected.count(p)) << "should be ignored: '" << p << "'";
}

}  // namespace
}  // namespace docrunch::scan
