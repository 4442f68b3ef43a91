#include "scan/parser/parser.h"

#include <tree_sitter/api.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "scan/parser/languages.h"
#include "scan/parser/utf8.h"

namespace docrunch::scan {
namespace {

using Clock = std::chrono::steady_clock;

struct ParserDeleter {
  void operator()(TSParser* parser) const { ts_parser_delete(parser); }
};

// One tree-sitter parser per thread, reused from file to file: a new one
// per file would grow its parse stack, lexer and node pools from nothing
// each time. ts_parser_set_language, called before every parse, resets it,
// so a parse cut off by the timeout leaves nothing behind for the next file.
TSParser* ThreadParser() {
  thread_local std::unique_ptr<TSParser, ParserDeleter> parser(ts_parser_new());
  return parser.get();
}
struct TreeDeleter {
  void operator()(TSTree* tree) const { ts_tree_delete(tree); }
};

struct Deadline {
  Clock::time_point at;
  bool enabled = false;
  bool hit = false;
};

// Called by tree-sitter every few hundred parse operations; true cancels.
bool PastDeadline(TSParseState* state) {
  auto* deadline = static_cast<Deadline*>(state->payload);
  if (deadline->enabled && Clock::now() >= deadline->at) deadline->hit = true;
  return deadline->hit;
}

const char* ReadSource(void* payload, uint32_t byte, TSPoint, uint32_t* bytes_read) {
  auto* source = static_cast<std::string_view*>(payload);
  if (byte >= source->size()) {
    *bytes_read = 0;
    return "";
  }
  *bytes_read = static_cast<uint32_t>(source->size() - byte);
  return source->data() + byte;
}

// The first ERROR or MISSING node in document order, found by descending
// into the first child that contains an error (no recursion).
TSNode FirstError(TSNode root) {
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  TSNode node = root;
  while (!ts_node_is_error(node) && !ts_node_is_missing(node)) {
    bool found = false;
    if (ts_tree_cursor_goto_first_child(&cursor)) {
      do {
        TSNode child = ts_tree_cursor_current_node(&cursor);
        if (ts_node_has_error(child)) {
          node = child;
          found = true;
          break;
        }
      } while (ts_tree_cursor_goto_next_sibling(&cursor));
    }
    if (!found) break;
  }
  ts_tree_cursor_delete(&cursor);
  return node;
}

Diagnostic SyntaxError(TSNode root) {
  TSNode error = FirstError(root);
  std::string message = ts_node_is_missing(error)
                            ? "syntax error: missing " + std::string(ts_node_type(error))
                            : "syntax error";
  return Diagnostic{"PARSE_SYNTAX_ERROR", std::move(message),
                    static_cast<int>(ts_node_start_point(error).row) + 1};
}

// The words of `text` (runs of letters, digits, '_' and non-ASCII bytes)
// joined by single spaces.
std::string Words(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  auto word_char = [](unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; };
  while (i < text.size()) {
    while (i < text.size() && !word_char(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && word_char(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) {
      if (!out.empty()) out += ' ';
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

// What a symbol's body says, for search: the identifiers and comment words
// within its lines, outside string literals (so a Python docstring is not
// among them) and outside doc comments ("/**", "///", "//!", and any comment
// that is part of the symbol's own docstring), each word once in the order
// first seen, "*n" after a word seen n > 1 times (n at most 9), at most
// kBodyWords words. See Symbol::body_terms.
constexpr std::size_t kBodyWords = 256;

struct BodyToken {
  int line = 0;
  bool comment = false;
  std::string text;  // an identifier, or a comment's words
};

void CollectBodyTokens(TSNode root, std::string_view source, std::vector<BodyToken>& out) {
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  bool descend = true;
  for (;;) {
    TSNode node = ts_tree_cursor_current_node(&cursor);
    bool leaf_or_skipped = true;
    if (descend) {
      std::string_view type = ts_node_type(node);
      const bool string_like = type.find("string") != std::string_view::npos &&
                               type.find("identifier") == std::string_view::npos;
      const uint32_t start = ts_node_start_byte(node), end = ts_node_end_byte(node);
      const int line = static_cast<int>(ts_node_start_point(node).row) + 1;
      if (type.find("comment") != std::string_view::npos) {
        std::string_view text =
            source.substr(start, std::min<std::size_t>(end, source.size()) - start);
        if (!(text.rfind("/**", 0) == 0 || text.rfind("///", 0) == 0 ||
              text.rfind("//!", 0) == 0)) {
          out.push_back({line, true, Words(text)});
        }
      } else if (string_like) {
        // String literals (docstrings among them) say nothing of the code.
      } else if (ts_node_child_count(node) == 0) {
        if (type.find("identifier") != std::string_view::npos && end <= source.size()) {
          out.push_back({line, false, std::string(source.substr(start, end - start))});
        }
      } else {
        leaf_or_skipped = false;
      }
    }
    if (!leaf_or_skipped && ts_tree_cursor_goto_first_child(&cursor)) {
      descend = true;
      continue;
    }
    if (ts_tree_cursor_goto_next_sibling(&cursor)) {
      descend = true;
      continue;
    }
    // Up until a parent has a next sibling.
    bool moved = false;
    while (ts_tree_cursor_goto_parent(&cursor)) {
      if (ts_tree_cursor_goto_next_sibling(&cursor)) {
        moved = true;
        break;
      }
    }
    if (!moved) break;
    descend = true;
  }
  ts_tree_cursor_delete(&cursor);
}

void FillBodyTerms(TSNode root, std::string_view source, ParsedFile& file) {
  if (file.symbols.empty()) return;
  std::vector<BodyToken> tokens;
  CollectBodyTokens(root, source, tokens);
  // Document order is line order already; stable in case a grammar differs.
  std::stable_sort(tokens.begin(), tokens.end(),
                   [](const BodyToken& a, const BodyToken& b) { return a.line < b.line; });
  for (Symbol& s : file.symbols) {
    if (s.end_line < s.start_line) continue;
    const std::string doc = Words(s.docstring);
    auto first = std::lower_bound(tokens.begin(), tokens.end(), s.start_line,
                                  [](const BodyToken& t, int line) { return t.line < line; });
    std::vector<std::pair<std::string, int>> words;  // first-seen order
    std::unordered_map<std::string, std::size_t> at;
    auto add = [&](std::string_view word) {
      if (word.size() < 2) return;
      auto it = at.find(std::string(word));
      if (it != at.end()) {
        words[it->second].second = std::min(9, words[it->second].second + 1);
      } else if (words.size() < kBodyWords) {
        at.emplace(std::string(word), words.size());
        words.emplace_back(std::string(word), 1);
      }
    };
    for (auto t = first; t != tokens.end() && t->line <= s.end_line; ++t) {
      if (!t->comment) {
        add(t->text);
        continue;
      }
      // A comment that is (part of) the symbol's docstring is the docstring.
      if (t->text.empty() || (!doc.empty() && doc.find(t->text) != std::string::npos)) continue;
      std::size_t i = 0;
      while (i < t->text.size()) {
        std::size_t space = t->text.find(' ', i);
        if (space == std::string::npos) space = t->text.size();
        add(std::string_view(t->text).substr(i, space - i));
        i = space + 1;
      }
    }
    std::string terms;
    for (const auto& [word, n] : words) {
      if (!terms.empty()) terms += ' ';
      terms += word;
      if (n > 1) terms += "*" + std::to_string(n);
    }
    s.body_terms = std::move(terms);
  }
}

}  // namespace

Parser::Parser(ParseOptions options) : options_(options) {}

bool Parser::Supports(Language language) {
  return FindLanguageSupport(language) != nullptr;
}

Result<ParsedFile> Parser::Parse(Language language, std::string_view source) const {
  ParsedFile file;
  file.language = language;
  const LanguageSupport* support = FindLanguageSupport(language);
  if (support == nullptr) {
    file.diagnostics.push_back(
        {"PARSE_UNSUPPORTED_LANGUAGE",
         "no parser for language '" + std::string(LanguageName(language)) + "'", 0});
    return file;
  }
  if (source.size() >= std::numeric_limits<uint32_t>::max()) {
    return MakeError(ErrorCode::kInvalidParams, "source is too large to parse (4 GiB or more)");
  }
  TSParser* parser = ThreadParser();
  if (parser == nullptr) return MakeError(ErrorCode::kInternal, "tree-sitter parser not created");
  const TSLanguage* grammar = support->grammar();
  if (!ts_parser_set_language(parser, grammar)) {
    return MakeError(ErrorCode::kInternal,
                     "tree-sitter refused the " + std::string(LanguageName(language)) +
                         " grammar (ABI " + std::to_string(ts_language_abi_version(grammar)) + ")");
  }

  Deadline deadline{Clock::now() + options_.timeout, options_.timeout.count() > 0};
  TSInput input{&source, ReadSource, TSInputEncodingUTF8, nullptr};
  TSParseOptions parse_options{&deadline, PastDeadline};
  std::unique_ptr<TSTree, TreeDeleter> tree(
      ts_parser_parse_with_options(parser, nullptr, input, parse_options));
  if (!tree) {
    if (!deadline.hit) return MakeError(ErrorCode::kInternal, "tree-sitter failed to parse");
    file.diagnostics.push_back(
        {"PARSE_TIMEOUT",
         "parsing took longer than " + std::to_string(options_.timeout.count()) + " ms", 0});
    return file;
  }

  TSNode root = ts_tree_root_node(tree.get());
  if (ts_node_has_error(root)) file.diagnostics.push_back(SyntaxError(root));
  support->extract(root, syntax::Source(source), file);
  FillBodyTerms(root, source, file);
  for (Symbol& s : file.symbols) s.deprecated = s.deprecated || syntax::DeprecatedDoc(s.docstring);
  MakeValidUtf8(file);
  return file;
}

}  // namespace docrunch::scan
