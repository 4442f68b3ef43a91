#include "mcp/install/toml_edit.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>

namespace docrunch::mcp::install {
namespace {

using KeyPath = std::vector<std::string>;

// One line-level element of the file: a table header, a `key = value`
// statement (possibly spanning lines) or trivia (blank or comment lines).
// [begin, end) includes the line break that ends it.
struct Item {
  enum class Kind { kHeader, kStatement, kTrivia };
  Kind kind = Kind::kTrivia;
  std::size_t begin = 0, end = 0;
  KeyPath key;  // header path or statement key
  bool array_table = false;
  int line = 1;
};

class Scanner {
 public:
  Scanner(const std::string& text, std::string label) : s_(text), label_(std::move(label)) {}

  Result<std::vector<Item>> Scan() {
    std::vector<Item> items;
    while (pos_ < s_.size()) {
      Item item;
      item.begin = pos_;
      item.line = line_;
      SkipSpaces();
      if (AtLineEnd()) {
        DOCRUNCH_TRY(EndLine());
      } else if (Peek() == '[') {
        item.kind = Item::Kind::kHeader;
        DOCRUNCH_TRY(Header(item));
      } else {
        item.kind = Item::Kind::kStatement;
        DOCRUNCH_TRY(Statement(item));
      }
      item.end = pos_;
      items.push_back(std::move(item));
    }
    return items;
  }

 private:
  char Peek(std::size_t ahead = 0) const {
    return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0';
  }
  bool Starts(const char* token) const {
    return s_.compare(pos_, std::char_traits<char>::length(token), token) == 0;
  }
  bool AtEnd() const { return pos_ >= s_.size(); }
  void SkipSpaces() {
    while (Peek() == ' ' || Peek() == '\t') ++pos_;
  }
  // At a comment, a line break or the end of the text.
  bool AtLineEnd() const { return AtEnd() || Peek() == '#' || Peek() == '\n' || Starts("\r\n"); }

  // `line`: where the construct at fault began (0: the current line).
  Error Fail(const std::string& what, int line = 0) const {
    return MakeError(ErrorCode::kConfigInvalid,
                     label_ + ":" + std::to_string(line ? line : line_) + ": " + what +
                         "; not editing a file that may not be valid TOML");
  }

  // A comment (if any) and the line break; anything else is an error.
  Result<void> EndLine() {
    SkipSpaces();
    if (Peek() == '#') {
      while (!AtEnd() && Peek() != '\n') ++pos_;
    }
    if (Starts("\r\n"))
      pos_ += 2, ++line_;
    else if (Peek() == '\n')
      ++pos_, ++line_;
    else if (!AtEnd())
      return Fail(std::string("unexpected '") + Peek() + "'");
    return Ok();
  }

  // Spaces, line breaks and comments, as allowed inside arrays.
  void SkipBlank() {
    for (;;) {
      SkipSpaces();
      if (Peek() == '#') {
        while (!AtEnd() && Peek() != '\n') ++pos_;
      } else if (Starts("\r\n")) {
        pos_ += 2, ++line_;
      } else if (Peek() == '\n') {
        ++pos_, ++line_;
      } else {
        return;
      }
    }
  }

  Result<void> Header(Item& item) {
    ++pos_;
    item.array_table = Peek() == '[';
    if (item.array_table) ++pos_;
    DOCRUNCH_TRY(KeyPathInto(item.key));
    if (Peek() != ']') return Fail("expected ']' to close the table header");
    ++pos_;
    if (item.array_table) {
      if (Peek() != ']') return Fail("expected ']]' to close the array table header");
      ++pos_;
    }
    return EndLine();
  }

  Result<void> Statement(Item& item) {
    DOCRUNCH_TRY(KeyPathInto(item.key));
    if (Peek() != '=') return Fail("expected '=' after a key");
    ++pos_;
    SkipSpaces();
    DOCRUNCH_TRY(Value());
    return EndLine();
  }

  // key ( '.' key )*, with spaces around the dots; leaves pos_ after the
  // trailing spaces.
  Result<void> KeyPathInto(KeyPath& path) {
    for (;;) {
      SkipSpaces();
      auto key = Key();
      if (!key) return key.error();
      path.push_back(std::move(*key));
      SkipSpaces();
      if (Peek() != '.') return Ok();
      ++pos_;
    }
  }

  Result<std::string> Key() {
    if (Peek() == '"' || Peek() == '\'') {
      std::size_t start = pos_;
      DOCRUNCH_TRY(SingleLineString());
      std::string raw = s_.substr(start + 1, pos_ - start - 2);
      if (s_[start] == '\'' || raw.find('\\') == std::string::npos) return raw;
      return Fail("escapes in quoted keys are not supported here");
    }
    std::size_t start = pos_;
    while (std::isalnum(static_cast<unsigned char>(Peek())) || Peek() == '_' || Peek() == '-')
      ++pos_;
    if (pos_ == start) return Fail("expected a key");
    return s_.substr(start, pos_ - start);
  }

  Result<void> SingleLineString() {
    char quote = Peek();
    ++pos_;
    while (!AtEnd() && Peek() != quote) {
      if (Peek() == '\n') return Fail("line break inside a string");
      if (quote == '"' && Peek() == '\\') ++pos_;
      ++pos_;
    }
    if (AtEnd()) return Fail("unterminated string");
    ++pos_;
    return Ok();
  }

  Result<void> MultiLineString() {
    char quote = Peek();
    const char* delimiter = quote == '"' ? "\"\"\"" : "'''";
    int start_line = line_;
    pos_ += 3;
    while (!AtEnd() && !Starts(delimiter)) {
      if (Peek() == '\n') ++line_;
      if (quote == '"' && Peek() == '\\') ++pos_;
      ++pos_;
    }
    if (AtEnd()) return Fail("unterminated multi-line string", start_line);
    pos_ += 3;
    for (int extra = 0; extra < 2 && Peek() == quote; ++extra) ++pos_;  // """a"""" is legal
    return Ok();
  }

  Result<void> Value() {
    if (Starts("\"\"\"") || Starts("'''")) return MultiLineString();
    if (Peek() == '"' || Peek() == '\'') return SingleLineString();
    if (Peek() == '[') return Array();
    if (Peek() == '{') return InlineTable();
    std::size_t start = pos_;
    while (!AtEnd() && std::string_view(" \t\r\n,]}#").find(Peek()) == std::string_view::npos)
      ++pos_;
    // Dates may hold one space ("1979-05-27 07:32:00").
    if (Peek() == ' ' && std::isdigit(static_cast<unsigned char>(Peek(1))) && pos_ > start &&
        std::isdigit(static_cast<unsigned char>(s_[pos_ - 1]))) {
      ++pos_;
      while (!AtEnd() && std::string_view(" \t\r\n,]}#").find(Peek()) == std::string_view::npos)
        ++pos_;
    }
    if (pos_ == start) return Fail("expected a value");
    return Ok();
  }

  Result<void> Array() {
    int start_line = line_;
    ++pos_;
    for (;;) {
      SkipBlank();
      if (AtEnd()) return Fail("unterminated array", start_line);
      if (Peek() == ']') {
        ++pos_;
        return Ok();
      }
      DOCRUNCH_TRY(Value());
      SkipBlank();
      if (Peek() == ',')
        ++pos_;
      else if (Peek() != ']')
        return Fail("expected ',' or ']' in an array");
    }
  }

  Result<void> InlineTable() {
    int start_line = line_;
    ++pos_;
    for (;;) {
      SkipBlank();
      if (AtEnd()) return Fail("unterminated inline table", start_line);
      if (Peek() == '}') {
        ++pos_;
        return Ok();
      }
      KeyPath key;
      DOCRUNCH_TRY(KeyPathInto(key));
      if (Peek() != '=') return Fail("expected '=' in an inline table");
      ++pos_;
      SkipSpaces();
      DOCRUNCH_TRY(Value());
      SkipBlank();
      if (Peek() == ',')
        ++pos_;
      else if (Peek() != '}')
        return Fail("expected ',' or '}' in an inline table");
    }
  }

  const std::string& s_;
  std::string label_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

bool StartsWith(const KeyPath& path, const KeyPath& prefix) {
  return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

bool OwnedKey(const Item& item) {
  return item.kind == Item::Kind::kStatement && item.key.size() == 1 &&
         (item.key[0] == "command" || item.key[0] == "args" || item.key[0] == "url" ||
          item.key[0] == "bearer_token_env_var");
}

std::string OwnedLines(const TomlServer& server, const std::string& eol) {
  if (!server.url.empty()) {
    return "url = " + TomlString(server.url) + eol +
           "bearer_token_env_var = " + TomlString(server.bearer_token_env) + eol;
  }
  std::string args = "[";
  for (std::size_t i = 0; i < server.args.size(); ++i) {
    if (i) args += ", ";
    args += TomlString(server.args[i]);
  }
  args += "]";
  return "command = " + TomlString(server.command) + eol + "args = " + args + eol;
}

// Refuses definitions of our table that are not a plain `[mcp_servers.NAME]`
// header, since only a rewrite of someone else's table could change them.
Result<std::optional<std::size_t>> FindOurHeader(const std::vector<Item>& items,
                                                 const KeyPath& ours, const std::string& label) {
  std::optional<std::size_t> found;
  KeyPath table;
  auto refuse = [&](const Item& item, const std::string& why) {
    return MakeError(ErrorCode::kConfigInvalid,
                     label + ":" + std::to_string(item.line) + ": " + why +
                         "; edit that entry by hand or remove it, then run again");
  };
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    if (item.kind == Item::Kind::kHeader) {
      table = item.key;
      if (item.array_table && (StartsWith(ours, item.key) || StartsWith(item.key, ours)))
        return refuse(item, "[[" + item.key[0] + "]] is an array of tables");
      if (!item.array_table && item.key == ours) {
        if (found) return refuse(item, "[mcp_servers." + ours[1] + "] appears twice");
        found = i;
      }
    } else if (item.kind == Item::Kind::kStatement && !StartsWith(table, ours)) {
      KeyPath full = table;
      full.insert(full.end(), item.key.begin(), item.key.end());
      if (StartsWith(ours, full) || StartsWith(full, ours))
        return refuse(item, "mcp_servers." + ours[1] +
                                " is defined here with dotted keys or "
                                "an inline table");
    }
  }
  return found;
}

}  // namespace

std::string TomlString(const std::string& value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

Result<std::string> UpsertTomlServer(const std::string& text, const TomlServer& server,
                                     const std::string& file_label, bool* had_table) {
  auto items = Scanner(text, file_label).Scan();
  if (!items) return items.error();
  const KeyPath ours{"mcp_servers", server.name};
  auto header = FindOurHeader(*items, ours, file_label);
  if (!header) return header.error();
  if (had_table) *had_table = header->has_value();
  const std::string eol = text.find("\r\n") != std::string::npos ? "\r\n" : "\n";
  const std::string lines = OwnedLines(server, eol);

  if (!*header) {
    std::string out = text;
    if (!out.empty() && out.back() != '\n') out += eol;
    if (!out.empty()) out += eol;
    return out + "[mcp_servers." + server.name + "]" + eol + lines;
  }
  // Our table runs from its header to the next header. Our statements are
  // replaced where the first of them stood; everything else stays.
  std::size_t h = **header;
  std::size_t section_end = h + 1;
  while (section_end < items->size() && (*items)[section_end].kind != Item::Kind::kHeader)
    ++section_end;
  const Item& head = (*items)[h];
  std::string out = text.substr(0, head.end);
  if (out.back() != '\n') out += eol;
  bool placed = false;
  auto place = [&] {
    if (placed) return;
    if (out.back() != '\n') out += eol;
    out += lines;
    placed = true;
  };
  for (std::size_t i = h + 1; i < section_end; ++i) {
    const Item& item = (*items)[i];
    if (OwnedKey(item)) {
      place();
      continue;
    }
    if (item.kind == Item::Kind::kStatement) place();  // ours first, before the other keys
    out += text.substr(item.begin, item.end - item.begin);
  }
  std::size_t rest = section_end < items->size() ? (*items)[section_end].begin : text.size();
  place();
  if (rest < text.size() && out.back() != '\n') out += eol;
  out += text.substr(rest);
  return out;
}

}  // namespace docrunch::mcp::install
