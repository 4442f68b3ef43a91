#include "scan/parser/parser.h"

#include <tree_sitter/api.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

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
  MakeValidUtf8(file);
  return file;
}

}  // namespace docrunch::scan
