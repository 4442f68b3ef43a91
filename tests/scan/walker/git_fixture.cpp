#include "walker/git_fixture.h"

#include <gtest/gtest.h>

#include <set>

#include "support/process.h"

namespace docrunch::scan::testing {

using docrunch::testing::ProcessOptions;
using docrunch::testing::Run;

std::string Git(const std::filesystem::path& repo, const std::vector<std::string>& args,
                const std::string& stdin_data, int allowed_exit) {
  std::vector<std::string> argv{"git", "-C", repo.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.stdin_data = stdin_data;
  options.env = {{"GIT_CONFIG_NOSYSTEM", "1"},
                 {"GIT_CONFIG_GLOBAL", "/dev/null"},
                 {"HOME", repo.string()},
                 {"XDG_CONFIG_HOME", repo.string()}};
  auto result = Run(argv, options);
  if (result.exit_code != 0 && result.exit_code != allowed_exit) {
    ADD_FAILURE() << "git " << args[0] << " failed (" << result.exit_code << "): " << result.err;
  }
  return result.out;
}

std::map<std::string, GitVerdict> GitIgnoreVerdicts(const std::filesystem::path& repo,
                                                    const std::vector<std::string>& paths) {
  std::string input;
  for (const auto& p : paths) input += p + '\0';
  // -v -n: one record per path, matched or not; -z: NUL-separated fields
  // <source> <line> <pattern> <path>. Exit 1 means "nothing ignored".
  std::string out =
      Git(repo, {"check-ignore", "--no-index", "--stdin", "-z", "-v", "-n"}, input, 1);
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\0') fields.push_back(out.substr(start, i - start)), start = i + 1;
  }
  std::map<std::string, GitVerdict> verdicts;
  for (std::size_t i = 0; i + 3 < fields.size(); i += 4) {
    const std::string& pattern = fields[i + 2];
    GitVerdict& v = verdicts[fields[i + 3]];
    v.ignored = !fields[i].empty() && !pattern.empty() && pattern[0] != '!';
    if (!fields[i].empty()) v.rule = fields[i] + ":" + fields[i + 1] + ":" + pattern;
  }
  EXPECT_EQ(verdicts.size(), paths.size()) << "git check-ignore answered for fewer paths";
  return verdicts;
}

namespace {

const std::vector<std::string> kDirs = {"src",
                                        "src/lib",
                                        "src/lib/deep",
                                        "src/gen",
                                        "build",
                                        "build/keep",
                                        "docs",
                                        "docs/api",
                                        "docs/api/v1",
                                        "logs",
                                        "logs/archive",
                                        "a",
                                        "a/b",
                                        "a/b/c",
                                        "vendor",
                                        "vendor/pkg",
                                        "vendor/other",
                                        "test data",
                                        "node_modules",
                                        "node_modules/pkg",
                                        "tmp",
                                        "foo",
                                        "x",
                                        "x/foo",
                                        "x/y",
                                        "x/y/foo",
                                        "x/y/foo/bar",
                                        "abc",
                                        "abc/q",
                                        "abc/q/def",
                                        "abc/def",
                                        "deep1",
                                        "deep1/deep2",
                                        "deep1/deep2/deep3"};

const std::vector<std::string> kNames = {
    "main.py",  "util.ts",     "debug.log",     "important.log", "notes.txt",   "#hash.txt",
    "!bang.py", "trailing ",   "space name.py", "x.o",           "lib.a",       "README.md",
    "a1.c",     "ab.c",        "bb.c",          "[x].py",        "config.json", "data.bak",
    "Makefile", "skip.min.js", "keep.txt",      "def",           "bar"};

// Each .gitignore exercises a few rules; comments say which.
const std::map<std::string, std::string> kGitignores = {
    {".gitignore",
     "# a comment line, then a blank one\n"
     "\n"
     "*.log\n"           // basename anywhere
     "!important.log\n"  // negation, later wins
     "/build/\n"         // anchored + directory-only
     "*.o\n"
     "\\#hash.txt\n"   // escaped '#'
     "\\!bang.py\n"    // escaped '!'
     "trailing\\ \n"   // escaped trailing space kept
     "notes.txt   \n"  // unescaped trailing spaces dropped
     "docs/**/v1\n"    // middle "/**/" matching zero folders
     "**/archive\n"    // leading "**/"
     "node_modules/\n"
     "tmp/*\n"
     "!tmp/keep.txt\n"  // re-included: only the contents were excluded
     "a[0-9].c\n"       // class
     "[!a]b.c\n"        // negated class
     "foo/\n"           // directory-only basename: any depth
     "/bar\n"           // anchored file at the root only
     "*.bak  \n"
     "vendor/**\n"     // trailing "/**"
     "!vendor/pkg/\n"  // re-include a folder excluded by vendor/**
     "abc/**/def\n"
     "deep1/deep2\n"  // middle slash anchors
     "!keep.txt\r\n"  // CRLF line ending
     "?ain.py\n"},    // '?'
    {"src/.gitignore",
     "*.ts\n"
     "!util.ts\n"  // same file, later line wins
     "/gen/\n"     // anchored to src/
     "lib/deep/\n"
     "*.md\n"
     "!README.md\n"
     "main.py\n"},
    {"src/lib/.gitignore",
     "!*.log\n"            // deeper file overrides the root's *.log
     "!main.py\n"          // overrides src/.gitignore
     "!deep/keep.txt\n"},  // cannot re-include: src/lib/deep/ is excluded
    {"a/.gitignore", "b/c/notes.txt\n**/Makefile\n!/b/Makefile\n"},
    {"a/b/.gitignore", "c/*.py\n!c/main.py\n*.json\n"},
    {"build/keep/.gitignore", "!*\n"},  // never read: build/ is excluded
    {"docs/.gitignore", "api/*.txt\n!config.json\n*.c\n!/a1.c\n"},
    {"logs/.gitignore", "!debug.log\ndata.bak/\n"},  // a dir-only rule never matches a file
    {"x/.gitignore", "y/**/bar\n!y/foo/\n"},
    {"test data/.gitignore", "space\\ name.py\nMakefile\n"},
    {"vendor/pkg/.gitignore", "lib.a\n"},
};

}  // namespace

FixtureTree BuildFixtureTree(const docrunch::testing::TempDir& repo) {
  Git(repo.path(), {"init", "-q"});
  repo.Write(".git/info/exclude", "*.json\n*.a\n");
  FixtureTree tree;
  std::set<std::string> dirs(kDirs.begin(), kDirs.end());
  for (const auto& dir : kDirs) {
    std::filesystem::create_directories(repo.path() / dir);
    tree.dirs.push_back(dir);
  }
  std::vector<std::string> all_dirs = kDirs;
  all_dirs.insert(all_dirs.begin(), "");
  for (const auto& dir : all_dirs) {
    for (const auto& name : kNames) {
      std::string path = dir.empty() ? name : dir + "/" + name;
      if (dirs.count(path)) continue;  // a folder of that name is already there
      repo.Write(path, "x = 1\n");
      tree.files.push_back(path);
    }
  }
  for (const auto& [path, text] : kGitignores) repo.Write(path, text);
  return tree;
}

}  // namespace docrunch::scan::testing
