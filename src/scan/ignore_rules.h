// Which paths a scan skips: .gitignore semantics exactly as git applies them,
// plus Docrunch's own pattern sets.
//
// Sources, from highest precedence to lowest (the first source with a
// matching pattern decides; within a source the last matching line wins):
//   1. Docrunch patterns: `.docrunch/ignore.yaml` (`patterns: [...]`) then
//      the config's `scanning.ignore`, both root-relative gitignore syntax;
//      they rank like git's command-line excludes, so a `!pattern` there can
//      re-include what a .gitignore excludes.
//   2. `.gitignore` files, the deepest directory first (patterns relative to
//      the directory holding the file).
//   3. `.git/info/exclude`.
// The user's global `core.excludesFile` is deliberately not read: a scan must
// not depend on the machine it runs on.
// As in git, nothing inside an ignored directory can be re-included: a path
// is ignored when any of its parent directories is.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace docrunch::scan {

// One parsed gitignore line.
struct IgnorePattern {
  std::string glob;       // without the leading '!', leading '/' and trailing '/'
  bool negated = false;   // "!pattern": re-includes
  bool dir_only = false;  // "pattern/": matches directories only
  bool anchored = false;  // had a '/' before its end: matched against the whole relative path
  std::string source;     // file the line came from (for messages)
  int line = 0;           // 1-based
};

// The patterns of one file (or list), all relative to one directory.
class PatternList {
 public:
  // `base` is the directory the patterns are relative to: "" for the root,
  // else "a/b" (no trailing '/').
  PatternList(std::string base, std::string source);

  // Parses gitignore text: '#' comments, blank lines, CRLF, a leading BOM,
  // unescaped trailing spaces dropped, "\#" and "\!" literal.
  void AddText(std::string_view text);
  // Adds one pattern line (same syntax as one line of a .gitignore).
  void AddLine(std::string_view line, int line_number);

  // The last pattern matching `path` (relative to the repository root, under
  // `base`), or nullptr if none does.
  const IgnorePattern* LastMatch(std::string_view path, bool is_dir) const;

  const std::vector<IgnorePattern>& patterns() const { return patterns_; }
  bool empty() const { return patterns_.empty(); }

 private:
  std::string base_;
  std::string source_;
  std::vector<IgnorePattern> patterns_;
};

struct IgnoreOptions {
  // scanning.ignore: root-relative gitignore patterns.
  std::vector<std::string> patterns;
  // The Docrunch ignore file; empty means `<root>/.docrunch/ignore.yaml`.
  // A missing file is not an error.
  std::filesystem::path ignore_file;
};

// Parses the `.docrunch/ignore.yaml` text `{patterns: [string, ...]}` (an
// empty document means no patterns). Errors: CONFIG_INVALID with
// "file:line:column: message" for bad YAML, a non-string pattern or an
// unknown key.
Result<std::vector<std::string>> ParseIgnoreYaml(std::string_view text, const std::string& file);

// The ignore rules of one repository. .gitignore files are read lazily the
// first time a path below their directory is asked about, then cached
// (Forget drops one). Not thread-safe: one thread uses an instance.
class IgnoreRules {
 public:
  // Reads `.git/info/exclude`, the Docrunch ignore file and `options`.
  // Errors: CONFIG_INVALID for a bad ignore.yaml (naming file and line).
  static Result<IgnoreRules> Load(const std::filesystem::path& root, const IgnoreOptions& options);

  // Whether `path` (relative, '/'-separated, no leading or trailing '/') is
  // ignored, including because one of its parent directories is.
  bool IsIgnored(std::string_view path, bool is_dir);

  // Like IsIgnored, for a caller that already knows no parent directory of
  // `path` is ignored (a walker that never descends into ignored folders).
  bool IsIgnoredEntry(std::string_view path, bool is_dir);

  // Drops the cached .gitignore of directory `dir` ("" for the root) so it
  // is read again; call when the file changed.
  void Forget(std::string_view dir);

 private:
  IgnoreRules() = default;
  const PatternList& GitignoreOf(const std::string& dir);

  std::filesystem::path root_;
  PatternList docrunch_{"", "docrunch"};
  PatternList info_exclude_{"", ".git/info/exclude"};
  std::map<std::string, PatternList, std::less<>> gitignores_;  // directory -> its .gitignore
};

}  // namespace docrunch::scan
