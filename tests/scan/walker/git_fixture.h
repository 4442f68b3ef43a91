// A repository fixture for ignore-rule tests, with real `git` as the oracle.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace docrunch::scan::testing {

// Runs git in `repo` with a clean configuration (no system or global
// excludes), failing the test on a non-zero exit other than `allowed_exit`.
std::string Git(const std::filesystem::path& repo, const std::vector<std::string>& args,
                const std::string& stdin_data = "", int allowed_exit = 0);

struct GitVerdict {
  bool ignored = false;
  std::string rule;  // "source:line:pattern" of the deciding line, "" if none
};

// path -> what `git check-ignore --no-index` says about it.
std::map<std::string, GitVerdict> GitIgnoreVerdicts(const std::filesystem::path& repo,
                                                    const std::vector<std::string>& paths);

// A fixture tree: folders, files (every file name in every folder) and
// .gitignore files. Returns every path in it (folders and files) except
// .git and the .gitignore files, folders without a trailing '/'.
struct FixtureTree {
  std::vector<std::string> dirs;
  std::vector<std::string> files;
};
FixtureTree BuildFixtureTree(const docrunch::testing::TempDir& repo);

}  // namespace docrunch::scan::testing
