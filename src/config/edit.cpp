#include "config/edit.h"

#include <yaml-cpp/yaml.h>

#include "core/text.h"

namespace docrunch::config {
namespace {

struct Lines {
  explicit Lines(const std::string& text) : text(text) {
    starts.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts.push_back(i + 1);
    }
  }
  std::size_t count() const { return starts.size(); }
  std::size_t Start(std::size_t line) const { return line < count() ? starts[line] : text.size(); }
  // End of the line's content (before its '\n').
  std::size_t End(std::size_t line) const {
    return line + 1 < count() ? starts[line + 1] - 1 : text.size();
  }
  std::string_view Get(std::size_t line) const {
    return std::string_view(text).substr(Start(line), End(line) - Start(line));
  }
  const std::string& text;
  std::vector<std::size_t> starts;
};

std::size_t IndentOf(std::string_view line) {
  std::size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

bool IsBlankOrComment(std::string_view line) {
  std::size_t i = IndentOf(line);
  return i == line.size() || line[i] == '#';
}

// Where a trailing " # comment" starts on a line (outside quotes), or npos.
std::size_t CommentStart(std::string_view line, std::size_t from) {
  char quote = 0;
  for (std::size_t i = from; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == '\\' && quote == '"')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return i;
    }
  }
  return std::string_view::npos;
}

// The last line of the block belonging to a key at `indent` on `line`.
std::size_t BlockEnd(const Lines& lines, std::size_t line, std::size_t indent) {
  std::size_t end = line;
  for (std::size_t l = line + 1; l < lines.count(); ++l) {
    std::string_view text = lines.Get(l);
    if (IsBlankOrComment(text)) continue;
    // A block sequence may sit at the key's own indentation ("key:\n- a").
    bool sequence_item = IndentOf(text) == indent && text.substr(indent).starts_with("- ");
    if (IndentOf(text) <= indent && !sequence_item) break;
    end = l;
  }
  return end;
}

std::string NestedLines(const std::vector<std::string>& segments, std::size_t from,
                        std::size_t indent, const std::string& value) {
  std::string out;
  for (std::size_t i = from; i < segments.size(); ++i) {
    out += std::string(indent + 2 * (i - from), ' ') + segments[i] + ":";
    out += i + 1 == segments.size() ? " " + value + "\n" : "\n";
  }
  return out;
}

std::string JoinPrefix(const std::vector<std::string>& segments, std::size_t count) {
  return Join(std::vector<std::string>(segments.begin(), segments.begin() + count), ".");
}

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kConfigInvalid, std::move(message));
}

}  // namespace

Result<std::string> SetKeyInText(const std::string& text, const std::string& key_path,
                                 const std::string& value) {
  std::vector<std::string> segments = Split(key_path, '.');
  for (const auto& s : segments) {
    if (s.empty() || s.find_first_of("[]{}:# \t") != std::string::npos) {
      return MakeError(ErrorCode::kUsage,
                       "'" + key_path + "' is not a key path like server.mcp.port");
    }
  }
  if (value.find('\n') != std::string::npos) {
    return MakeError(ErrorCode::kUsage, "the value must be on one line");
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return Invalid("the config file is not valid YAML (line " + std::to_string(e.mark.line + 1) +
                   "): fix it by hand first");
  }
  if (!root.IsNull() && !root.IsMap()) return Invalid("the config file is not a mapping");

  Lines lines(text);
  std::string base = text;
  if (!base.empty() && base.back() != '\n') base += '\n';
  YAML::Node current = root;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const YAML::Node& lookup = current;
    YAML::Node child = lookup[segments[i]];
    if (!child.IsDefined()) {
      // Insert the rest of the path as new lines inside `current`: at the
      // end of the file for a new section, else before the first sibling.
      if (i == 0) return base + NestedLines(segments, 0, 0, value);
      if (current.Style() == YAML::EmitterStyle::Flow) {
        return Invalid(JoinPrefix(segments, i) +
                       " is written in flow style ({...}); edit it by hand");
      }
      std::size_t first_line = static_cast<std::size_t>(current.Mark().line);
      std::size_t indent = static_cast<std::size_t>(current.Mark().column);
      std::size_t at = lines.Start(first_line);
      return base.substr(0, at) + NestedLines(segments, i, indent, value) + base.substr(at);
    }
    YAML::Node key_node;
    for (auto entry : lookup) {
      if (entry.first.Scalar() == segments[i]) key_node.reset(entry.first);
    }
    std::size_t key_line = static_cast<std::size_t>(key_node.Mark().line);
    std::size_t key_indent = static_cast<std::size_t>(key_node.Mark().column);
    bool last = i + 1 == segments.size();
    if (!last && child.IsNull()) {
      // "storage:" with nothing under it: add the children below its line.
      std::size_t at = lines.Start(key_line + 1);
      return base.substr(0, at) + NestedLines(segments, i + 1, key_indent + 2, value) +
             base.substr(at);
    }
    if (!last && !child.IsMap()) {
      return Invalid(JoinPrefix(segments, i + 1) + " is not a section, so " + key_path +
                     " cannot be set");
    }
    if (!last) {
      current.reset(child);
      continue;
    }
    // Replace the value: from after "key:" through the end of its block,
    // keeping a comment that trails a one-line value.
    std::string_view line = lines.Get(key_line);
    std::size_t colon = line.find(':', key_node.Mark().column + segments[i].size());
    if (colon == std::string_view::npos) return Invalid("cannot locate " + key_path);
    std::size_t end_line = BlockEnd(lines, key_line, key_indent);
    std::string comment;
    if (end_line == key_line) {
      std::size_t hash = CommentStart(line, colon + 1);
      if (hash != std::string_view::npos) comment = "  " + std::string(line.substr(hash));
    }
    std::size_t from = lines.Start(key_line) + colon + 1;
    std::size_t to = lines.End(end_line);
    return base.substr(0, from) + " " + value + comment + base.substr(std::min(to, base.size()));
  }
  return Invalid("cannot set " + key_path);
}

}  // namespace docrunch::config
