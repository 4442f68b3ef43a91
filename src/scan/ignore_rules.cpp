#include "scan/ignore_rules.h"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "scan/glob_match.h"

namespace docrunch::scan {
namespace {

// Drops trailing spaces that are not escaped with a backslash ("a\ " keeps
// its space; the backslash stays and makes the space literal when matching).
std::string_view TrimTrailingSpaces(std::string_view line) {
  std::size_t run_start = std::string_view::npos;  // first space of the trailing run
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == ' ') {
      if (run_start == std::string_view::npos) run_start = i;
      continue;
    }
    if (line[i] == '\\') ++i;  // the escaped character is kept, whatever it is
    run_start = std::string_view::npos;
  }
  return line.substr(0, run_start);
}

// Reads a whole file without following a symlink at its name (git refuses
// symlinked .gitignore files too). Missing or unreadable: nullopt.
std::optional<std::string> ReadPlainFile(const std::filesystem::path& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  std::string content;
  char buf[16384];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) content.append(buf, static_cast<std::size_t>(n));
  close(fd);
  if (n < 0) return std::nullopt;
  return content;
}

// The info/exclude file of the repository at `root`. `.git` may be a file
// ("gitdir: ...") in worktrees and submodules; worktrees share the exclude
// file of their common directory, as git does.
std::filesystem::path InfoExcludePath(const std::filesystem::path& root) {
  std::filesystem::path git_dir = root / ".git";
  std::error_code ec;
  if (std::filesystem::is_regular_file(git_dir, ec)) {
    std::string text = ReadPlainFile(git_dir).value_or("");
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    if (line.rfind("gitdir: ", 0) != 0) return {};
    std::filesystem::path target = line.substr(8);
    git_dir = target.is_absolute() ? target : root / target;
    if (auto common = ReadPlainFile(git_dir / "commondir")) {
      while (!common->empty() && (common->back() == '\n' || common->back() == '\r')) {
        common->pop_back();
      }
      std::filesystem::path c = *common;
      git_dir = c.is_absolute() ? c : git_dir / c;
    }
  }
  return git_dir / "info" / "exclude";
}

// Matches an anchored pattern the way git does: the literal prefix (up to
// the first '*', '?', '[' or '\\') is compared on its own and the glob runs
// on the rest only. That is not just an optimisation: a "**" right after the
// prefix then counts as starting a component, so "a**/x" matches "abc/q/x"
// ("a" + "**/x") although "**" is not preceded by '/'.
bool MatchAnchored(std::string_view glob, std::string_view relative) {
  std::size_t prefix = glob.find_first_of("*?[\\");
  if (prefix == std::string_view::npos) return glob == relative;
  if (relative.size() < prefix || relative.compare(0, prefix, glob, 0, prefix) != 0) return false;
  return GlobMatch(glob.substr(prefix), relative.substr(prefix));
}

std::string YamlError(const std::string& file, const YAML::Mark& mark, const std::string& what) {
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": " +
         what;
}

}  // namespace

PatternList::PatternList(std::string base, std::string source)
    : base_(std::move(base)), source_(std::move(source)) {}

void PatternList::AddText(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  int line_number = 0;
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    AddLine(line, ++line_number);
  }
}

void PatternList::AddLine(std::string_view line, int line_number) {
  if (line.empty() || line[0] == '#') return;
  line = TrimTrailingSpaces(line);
  IgnorePattern pattern;
  if (!line.empty() && line[0] == '!') pattern.negated = true, line.remove_prefix(1);
  if (!line.empty() && line.back() == '/') pattern.dir_only = true, line.remove_suffix(1);
  pattern.anchored = line.find('/') != std::string_view::npos;
  if (!line.empty() && line[0] == '/') line.remove_prefix(1);
  if (line.empty()) return;  // matches nothing
  pattern.glob = std::string(line);
  pattern.source = source_;
  pattern.line = line_number;
  patterns_.push_back(std::move(pattern));
}

const IgnorePattern* PatternList::LastMatch(std::string_view path, bool is_dir) const {
  std::string_view relative = path;
  if (!base_.empty()) {
    if (path.size() <= base_.size() || path.compare(0, base_.size(), base_) != 0 ||
        path[base_.size()] != '/') {
      return nullptr;
    }
    relative = path.substr(base_.size() + 1);
  }
  std::string_view basename = path.substr(path.rfind('/') + 1);
  for (auto it = patterns_.rbegin(); it != patterns_.rend(); ++it) {
    if (it->dir_only && !is_dir) continue;
    if (it->anchored ? MatchAnchored(it->glob, relative) : GlobMatch(it->glob, basename)) {
      return &*it;
    }
  }
  return nullptr;
}

Result<std::vector<std::string>> ParseIgnoreYaml(std::string_view text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return MakeError(ErrorCode::kConfigInvalid, YamlError(file, e.mark, e.msg));
  }
  std::vector<std::string> out;
  if (root.IsNull()) return out;
  if (!root.IsMap()) {
    return MakeError(ErrorCode::kConfigInvalid,
                     YamlError(file, root.Mark(), "expected a mapping with 'patterns'"));
  }
  for (const auto& entry : root) {
    std::string key = entry.first.Scalar();
    if (key != "patterns") {
      return MakeError(
          ErrorCode::kConfigInvalid,
          YamlError(file, entry.first.Mark(), "unknown key '" + key + "' (expected 'patterns')"));
    }
    const YAML::Node& list = entry.second;
    if (list.IsNull()) continue;
    if (!list.IsSequence()) {
      return MakeError(ErrorCode::kConfigInvalid,
                       YamlError(file, list.Mark(), "patterns: expected a list of strings"));
    }
    for (const auto& item : list) {
      if (!item.IsScalar()) {
        return MakeError(ErrorCode::kConfigInvalid,
                         YamlError(file, item.Mark(), "patterns: each entry must be a string"));
      }
      out.push_back(item.Scalar());
    }
  }
  return out;
}

Result<IgnoreRules> IgnoreRules::Load(const std::filesystem::path& root,
                                      const IgnoreOptions& options) {
  IgnoreRules rules;
  rules.root_ = root;
  if (auto text = ReadPlainFile(InfoExcludePath(root))) rules.info_exclude_.AddText(*text);

  std::filesystem::path yaml_path =
      options.ignore_file.empty() ? root / ".docrunch" / "ignore.yaml" : options.ignore_file;
  if (auto text = ReadPlainFile(yaml_path)) {
    auto patterns = ParseIgnoreYaml(*text, yaml_path.string());
    if (!patterns) return patterns.error();
    int line = 0;
    for (const auto& p : *patterns) rules.docrunch_.AddLine(p, ++line);
  }
  int line = 0;
  for (const auto& p : options.patterns) rules.docrunch_.AddLine(p, ++line);
  return rules;
}

bool IgnoreRules::IsIgnored(std::string_view path, bool is_dir) {
  for (std::size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    if (IsIgnoredEntry(path.substr(0, slash), true)) return true;
  }
  return IsIgnoredEntry(path, is_dir);
}

bool IgnoreRules::IsIgnoredEntry(std::string_view path, bool is_dir) {
  if (const IgnorePattern* m = docrunch_.LastMatch(path, is_dir)) return !m->negated;
  std::size_t slash = path.rfind('/');
  while (true) {
    std::string dir(slash == std::string_view::npos ? std::string_view() : path.substr(0, slash));
    if (const IgnorePattern* m = GitignoreOf(dir).LastMatch(path, is_dir)) return !m->negated;
    if (slash == std::string_view::npos) break;
    slash = dir.rfind('/');
  }
  if (const IgnorePattern* m = info_exclude_.LastMatch(path, is_dir)) return !m->negated;
  return false;
}

void IgnoreRules::Forget(std::string_view dir) {
  auto it = gitignores_.find(dir);
  if (it != gitignores_.end()) gitignores_.erase(it);
}

const PatternList& IgnoreRules::GitignoreOf(const std::string& dir) {
  auto it = gitignores_.find(dir);
  if (it != gitignores_.end()) return it->second;
  std::string source = dir.empty() ? ".gitignore" : dir + "/.gitignore";
  PatternList list(dir, source);
  if (auto text = ReadPlainFile(root_ / source)) list.AddText(*text);
  return gitignores_.emplace(dir, std::move(list)).first->second;
}

}  // namespace docrunch::scan
