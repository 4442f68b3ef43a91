#include "scan/parser/syntax.h"

#include <algorithm>
#include <cctype>

namespace docrunch::scan::syntax {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (;;) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) return lines;
    text.remove_prefix(nl + 1);
  }
}

// Lines without blank edges and their common indentation, joined by '\n'.
std::string JoinDedented(std::vector<std::string_view> lines, bool trim_front = true) {
  while (trim_front && !lines.empty() && Trim(lines.front()).empty()) lines.erase(lines.begin());
  while (!lines.empty() && Trim(lines.back()).empty()) lines.pop_back();
  std::size_t indent = std::string_view::npos;
  for (auto line : lines) {
    if (Trim(line).empty()) continue;
    std::size_t n = 0;
    while (n < line.size() && (line[n] == ' ' || line[n] == '\t')) ++n;
    indent = std::min(indent, n);
  }
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    line.remove_prefix(std::min(indent, line.size()));
    while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
    if (i > 0) out += '\n';
    out += line;
  }
  return out;
}

// Whether only whitespace, with at most one line break, separates the two.
bool Adjacent(std::string_view gap) {
  int newlines = 0;
  for (char c : gap) {
    if (!IsSpace(c)) return false;
    newlines += c == '\n';
  }
  return newlines <= 1;
}

bool FirstOnLine(TSNode node, const Source& source) {
  std::string_view before = source.Between(0, ts_node_start_byte(node));
  auto nl = before.rfind('\n');
  before.remove_prefix(nl == std::string_view::npos ? 0 : nl + 1);
  return Trim(before).empty();
}

bool IsDoc(std::string_view comment, DocStyle style) {
  switch (style) {
    case DocStyle::kAny:
      return true;
    case DocStyle::kJsDoc:
      return StartsWith(comment, "/**") && comment != "/**/";
    case DocStyle::kTripleSlash:
      return (StartsWith(comment, "///") && !StartsWith(comment, "////")) ||
             (StartsWith(comment, "/**") && comment != "/**/");
  }
  return false;
}

}  // namespace

std::string CollapseWhitespace(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (IsSpace(c)) {
      space = !out.empty();
      continue;
    }
    bool closing = c == ')' || c == ']';
    if (closing && !out.empty() && out.back() == ',') out.pop_back();  // multi-line lists
    bool opened = !out.empty() && (out.back() == '(' || out.back() == '[');
    if (space && !closing && !opened) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

int EndLine(TSNode node) {
  TSPoint start = ts_node_start_point(node);
  TSPoint end = ts_node_end_point(node);
  if (end.column == 0 && end.row > start.row) return static_cast<int>(end.row);
  return static_cast<int>(end.row) + 1;
}

GrammarIds::GrammarIds(const TSLanguage* language, std::initializer_list<const char*> types,
                       std::initializer_list<const char*> fields) {
  by_symbol_.assign(ts_language_symbol_count(language), -1);
  for (std::size_t symbol = 0; symbol < by_symbol_.size(); ++symbol) {
    const char* name = ts_language_symbol_name(language, static_cast<TSSymbol>(symbol));
    if (name == nullptr) continue;
    std::int16_t index = 0;
    for (const char* type : types) {
      if (std::strcmp(name, type) == 0) {
        by_symbol_[symbol] = index;
        break;
      }
      ++index;
    }
  }
  for (const char* field : fields) {
    fields_.push_back(
        ts_language_field_id_for_name(language, field, static_cast<uint32_t>(std::strlen(field))));
  }
}

std::vector<TSNode> NamedChildren(TSNode node) {
  std::vector<TSNode> children;
  uint32_t count = NamedChildCount(node);
  children.reserve(count);
  for (uint32_t i = 0; i < count; ++i) children.push_back(ts_node_named_child(node, i));
  return children;
}

TSNode ChildOfType(TSNode node, const char* type) {
  uint32_t count = NamedChildCount(node);
  for (uint32_t i = 0; i < count; ++i) {
    TSNode child = ts_node_named_child(node, i);
    if (Is(child, type)) return child;
  }
  return TSNode{};
}

std::string_view Source::Text(TSNode node) const {
  if (ts_node_is_null(node)) return {};
  return Between(ts_node_start_byte(node), ts_node_end_byte(node));
}

std::string_view Source::Between(uint32_t begin, uint32_t end) const {
  begin = std::min<uint32_t>(begin, static_cast<uint32_t>(text_.size()));
  end = std::clamp<uint32_t>(end, begin, static_cast<uint32_t>(text_.size()));
  return text_.substr(begin, end - begin);
}

std::string Unquote(std::string_view s) {
  s = Trim(s);
  std::size_t prefix = 0;  // r"..", b'..', f"..", @"..", $"..": never an identifier's letters
  while (prefix < s.size() && prefix < 3 && std::strchr("rRbBuUfF@$", s[prefix]) != nullptr) {
    ++prefix;
  }
  if (prefix < s.size() && (s[prefix] == '"' || s[prefix] == '\'')) s.remove_prefix(prefix);
  for (std::string_view q : {"\"\"\"", "'''"}) {
    if (s.size() >= 6 && StartsWith(s, q) && s.substr(s.size() - 3) == q) {
      return std::string(s.substr(3, s.size() - 6));
    }
  }
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'' || s.front() == '`') &&
      s.back() == s.front()) {
    return std::string(s.substr(1, s.size() - 2));
  }
  return std::string(s);
}

std::string TypeName(std::string_view type) {
  type = Trim(type.substr(0, type.find('<')));
  return std::string(type);
}

bool IsCapitalized(std::string_view name) {
  return !name.empty() && name.front() >= 'A' && name.front() <= 'Z';
}

std::string_view LastSegment(std::string_view name, std::string_view separator) {
  auto at = name.rfind(separator);
  return at == std::string_view::npos ? name : name.substr(at + separator.size());
}

void Scopes::Push(TSNode node, std::string qualified, ScopeKind kind, int symbol) {
  stack_.push_back(Scope{node, std::move(qualified), kind, symbol});
}

void Scopes::PopIf(TSNode node) {
  if (!stack_.empty() && ts_node_eq(stack_.back().node, node)) stack_.pop_back();
}

std::string Scopes::Qualify(std::string_view name) const {
  // Past kMaxQualifiedDepth the prefix stops growing, so a pathological
  // 10,000-deep file costs linear, not quadratic, memory.
  constexpr std::size_t kMaxQualifiedDepth = 64;
  if (stack_.empty()) return std::string(name);
  const Scope& outer = stack_[std::min(stack_.size(), kMaxQualifiedDepth) - 1];
  if (outer.qualified.empty()) return std::string(name);
  return outer.qualified + "." + std::string(name);
}

std::string Scopes::Caller() const {
  for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
    if (it->kind == ScopeKind::kFunction) return it->qualified;
  }
  return "";
}

void CommentRun::Add(TSNode comment, const Source& source) {
  if (!FirstOnLine(comment, source)) {
    texts_.clear();  // a trailing comment belongs to the code before it
    return;
  }
  uint32_t start = ts_node_start_byte(comment);
  if (texts_.empty() || !Adjacent(source.Between(end_, start))) texts_.clear();
  texts_.push_back(source.Text(comment));
  end_ = ts_node_end_byte(comment);
}

void CommentRun::Extend(TSNode node, const Source& source) {
  if (!texts_.empty() && Adjacent(source.Between(end_, ts_node_start_byte(node)))) {
    end_ = ts_node_end_byte(node);
  }
}

std::string CommentRun::Above(TSNode anchor, const Source& source, DocStyle style) const {
  if (texts_.empty() || end_ > ts_node_start_byte(anchor) ||
      !Adjacent(source.Between(end_, ts_node_start_byte(anchor)))) {
    return "";
  }
  // The doc comments at the end of the run: a license banner above a
  // /** doc */ stays out.
  std::size_t first = texts_.size();
  while (first > 0 && IsDoc(texts_[first - 1], style)) {
    --first;
    if (style != DocStyle::kAny && !StartsWith(texts_[first], "///")) break;  // one /** */
  }
  std::string doc;
  for (std::size_t i = first; i < texts_.size(); ++i) {
    std::string part = CleanComment(texts_[i]);
    if (!doc.empty() && !part.empty()) doc += '\n';
    doc += part;
  }
  return doc;
}

std::string CleanComment(std::string_view c) {
  c = Trim(c);
  std::vector<std::string_view> lines;
  if (StartsWith(c, "/*")) {
    c.remove_prefix(2);
    while (!c.empty() && (c.front() == '*' || c.front() == '!')) c.remove_prefix(1);
    if (c.size() >= 2 && c.substr(c.size() - 2) == "*/") c.remove_suffix(2);
    for (auto line : SplitLines(c)) {
      std::string_view t = line;
      while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
      if (!t.empty() && t.front() == '*') {
        t.remove_prefix(1);
        if (!t.empty() && t.front() == ' ') t.remove_prefix(1);
        line = t;
      }
      lines.push_back(line);
    }
    return JoinDedented(std::move(lines));
  }
  for (auto line : SplitLines(c)) {
    line = Trim(line);
    for (std::string_view marker : {"///", "//!", "//", "#", "--"}) {
      if (StartsWith(line, marker)) {
        line.remove_prefix(marker.size());
        break;
      }
    }
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    lines.push_back(line);
  }
  return JoinDedented(std::move(lines));
}

std::string CleanDoc(std::string_view text) {
  std::vector<std::string_view> lines = SplitLines(text);
  std::string first(Trim(lines.front()));
  lines.erase(lines.begin());
  // After a summary line, a blank line before the details is kept.
  std::string rest = JoinDedented(std::move(lines), first.empty());
  if (first.empty()) return rest;
  if (Trim(rest).empty()) return first;
  return first + "\n" + rest;
}

bool DeprecatedDoc(std::string_view doc) {
  auto opens_with_word = [&](std::size_t at) {
    constexpr std::string_view kWord = "deprecated";
    if (doc.size() - at < kWord.size()) return false;
    for (std::size_t i = 0; i < kWord.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(doc[at + i])) != kWord[i]) return false;
    }
    const std::size_t end = at + kWord.size();
    return end == doc.size() || !std::isalnum(static_cast<unsigned char>(doc[end]));
  };
  for (std::string_view line : SplitLines(doc)) {
    line = Trim(line);
    if (line.starts_with("@deprecated") || line.starts_with(".. deprecated::")) return true;
  }
  // Sentence starts: the first word, and the first after ". ", "! ", "? ".
  auto skip_space = [&](std::size_t at) {
    while (at < doc.size() && std::isspace(static_cast<unsigned char>(doc[at]))) ++at;
    return at;
  };
  if (opens_with_word(skip_space(0))) return true;
  for (std::size_t stop = doc.find_first_of(".!?"); stop != std::string_view::npos;
       stop = doc.find_first_of(".!?", stop + 1)) {
    const std::size_t next = stop + 1;
    if (next >= doc.size() || !std::isspace(static_cast<unsigned char>(doc[next]))) continue;
    if (opens_with_word(skip_space(next))) return true;
  }
  return false;
}

std::string Signature(TSNode start, TSNode decl, TSNode body, const Source& source) {
  if (ts_node_is_null(start) || ts_node_is_null(decl)) return "";
  uint32_t end = ts_node_end_byte(decl);
  if (!ts_node_is_null(body)) {
    end = ts_node_start_byte(start);
    uint32_t count = ts_node_child_count(decl);
    for (uint32_t i = 0; i < count; ++i) {
      TSNode child = ts_node_child(decl, i);
      if (ts_node_eq(child, body)) break;
      if (!Is(child, "comment") && !Is(child, "line_comment") && !Is(child, "block_comment")) {
        end = ts_node_end_byte(child);
      }
    }
  }
  std::string signature = CollapseWhitespace(source.Between(ts_node_start_byte(start), end));
  if (ts_node_is_null(body) && !signature.empty() && signature.back() == ';') signature.pop_back();
  constexpr std::size_t kMaxSignature = 400;
  if (signature.size() > kMaxSignature) signature.resize(kMaxSignature);
  return signature;
}

std::string CalleeName(std::string_view text) {
  constexpr std::size_t kMaxCallee = 200;
  std::string out;
  int depth = 0;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == '\\') ++i;
      if (c == quote) quote = 0;
      continue;
    }
    if (depth > 0) {
      if (c == '"' || c == '\'' || c == '`') quote = c;
      if (c == '(') ++depth;
      if (c == ')' && --depth == 0) out += ')';
      continue;
    }
    if (IsSpace(c)) continue;
    if (c == '(') {
      ++depth;
      out += '(';
      continue;
    }
    if (c == '{' || c == '"' || c == '\'' || c == '`') return "";  // an inline function or literal
    out += c;
  }
  if (out.empty() || out.front() == '(' || out.size() > kMaxCallee) return "";
  return out;
}

Symbol MakeSymbol(SymbolKind kind, std::string_view name, std::string qualified, TSNode node) {
  Symbol symbol;
  symbol.kind = kind;
  symbol.name = std::string(name);
  symbol.qualified_name = std::move(qualified);
  symbol.start_line = Line(node);
  symbol.end_line = EndLine(node);
  return symbol;
}

}  // namespace docrunch::scan::syntax
