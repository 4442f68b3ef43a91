// Helpers the per-language extractors share: node text and lines, a
// non-recursive tree walk, a scope stack for qualified names and callers,
// doc comments, signatures and callee names. Internal to src/scan/parser.
#pragma once

#include <tree_sitter/api.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "scan/model.h"

namespace docrunch::scan::syntax {

// --- nodes -----------------------------------------------------------------

// Whether `node` is of `type`; false for a null node.
inline bool Is(TSNode node, const char* type) {
  return !ts_node_is_null(node) && std::strcmp(ts_node_type(node), type) == 0;
}
// The child in field `name`; a null node when absent (or `node` is null).
// Every helper here accepts null nodes, unlike the raw ts_node_* calls.
inline TSNode Field(TSNode node, std::string_view name) {
  if (ts_node_is_null(node)) return node;
  return ts_node_child_by_field_name(node, name.data(), static_cast<uint32_t>(name.size()));
}
// The `index`th named child, or a null node.
inline TSNode NamedChild(TSNode node, uint32_t index) {
  return ts_node_is_null(node) ? node : ts_node_named_child(node, index);
}
inline uint32_t NamedChildCount(TSNode node) {
  return ts_node_is_null(node) ? 0 : ts_node_named_child_count(node);
}
inline bool Null(TSNode node) {
  return ts_node_is_null(node);
}
inline int Line(TSNode node) {
  return static_cast<int>(ts_node_start_point(node).row) + 1;
}
// The last line holding the node's text (a node ending at column 0 ended on
// the line before: it includes the line break).
int EndLine(TSNode node);
// The named children of `node`, in order.
std::vector<TSNode> NamedChildren(TSNode node);
// The first named child of `type`, or a null node.
TSNode ChildOfType(TSNode node, const char* type);

// Node types and fields of one grammar looked up by id, for extractors that
// test every node: Is(node, "call") costs a symbol-name lookup and a strcmp,
// Field(node, "name") a search of the grammar's field names; here both are
// resolved once per grammar. Matching is by type name, exactly as Is does.
class GrammarIds {
 public:
  GrammarIds(const TSLanguage* language, std::initializer_list<const char*> types,
             std::initializer_list<const char*> fields);
  // The index in `types` of the node's type name; -1 for other types and
  // for a null node.
  int Type(TSNode node) const {
    if (ts_node_is_null(node)) return -1;
    TSSymbol symbol = ts_node_symbol(node);
    return symbol < by_symbol_.size() ? by_symbol_[symbol] : -1;
  }
  // The child in the field at index `field` of `fields`; a null node when
  // absent (or `node` is null), as Field.
  TSNode Field(TSNode node, std::size_t field) const {
    if (ts_node_is_null(node) || fields_[field] == 0) return TSNode{};
    return ts_node_child_by_field_id(node, fields_[field]);
  }

 private:
  std::vector<std::int16_t> by_symbol_;
  std::vector<TSFieldId> fields_;
};

// The source text behind the nodes of one tree.
class Source {
 public:
  explicit Source(std::string_view text) : text_(text) {}
  std::string_view Text(TSNode node) const;
  std::string_view Between(uint32_t begin, uint32_t end) const;
  std::string_view text() const { return text_; }

 private:
  std::string_view text_;
};

// A string literal's contents: quotes and prefixes (r"", b'', f"""...""",
// @"", `...`) removed. Escapes are kept as written.
std::string Unquote(std::string_view literal);
// A type as a name for bases/implements: type arguments dropped
// ("Repository<Task>" -> "Repository", "ns::Base<T>" -> "ns::Base").
std::string TypeName(std::string_view type);
// Whether `name` starts with an ASCII upper-case letter.
bool IsCapitalized(std::string_view name);
// The part after the last `separator` ("a.b.C" -> "C").
std::string_view LastSegment(std::string_view name, std::string_view separator = ".");

// --- walking ---------------------------------------------------------------

// Visits the named nodes under `root` (included) in pre-order. A
// TSTreeCursor keeps the path on the heap, so a file nested 10,000 levels
// deep costs no native stack. `visitor.Enter(node)` returns whether to visit
// the node's children; `visitor.Leave(node)` runs once its subtree is done
// (also when Enter declined the children).
template <class Visitor>
void Walk(TSNode root, Visitor& visitor) {
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  bool descend = visitor.Enter(root);
  for (;;) {
    if (descend && ts_tree_cursor_goto_first_child(&cursor)) {
      // Anonymous nodes (punctuation, keywords) are leaves for extraction.
      TSNode child = ts_tree_cursor_current_node(&cursor);
      descend = ts_node_is_named(child) && visitor.Enter(child);
      continue;
    }
    for (;;) {
      TSNode done = ts_tree_cursor_current_node(&cursor);
      if (ts_node_is_named(done)) visitor.Leave(done);
      if (ts_tree_cursor_goto_next_sibling(&cursor)) {
        TSNode next = ts_tree_cursor_current_node(&cursor);
        descend = ts_node_is_named(next) && visitor.Enter(next);
        break;
      }
      if (!ts_tree_cursor_goto_parent(&cursor)) {
        ts_tree_cursor_delete(&cursor);
        return;
      }
    }
  }
}

// --- scopes ----------------------------------------------------------------

enum class ScopeKind {
  kFunction,   // functions and methods: they are callers
  kType,       // classes, structs, traits, interfaces, impl blocks
  kNamespace,  // naming only (Rust `mod`)
};

struct Scope {
  TSNode node;            // popped when the walk leaves this node
  std::string qualified;  // "Class.method"
  ScopeKind kind = ScopeKind::kFunction;
  int symbol = -1;  // index in ParsedFile::symbols, or -1
};

class Scopes {
 public:
  // Opens a scope named `qualified` (usually Qualify(name)) until the walk
  // leaves `node`.
  void Push(TSNode node, std::string qualified, ScopeKind kind, int symbol = -1);
  // Pops the innermost scope if `node` opened it.
  void PopIf(TSNode node);
  // `name` qualified by the enclosing scopes: "Outer.Inner.name".
  std::string Qualify(std::string_view name) const;
  // The qualified name of the innermost function, "" at module level.
  std::string Caller() const;
  // The innermost scope, or nullptr.
  const Scope* Top() const { return stack_.empty() ? nullptr : &stack_.back(); }
  bool InType() const { return Top() && Top()->kind == ScopeKind::kType; }
  const std::vector<Scope>& stack() const { return stack_; }

 private:
  std::vector<Scope> stack_;
};

// --- doc comments ----------------------------------------------------------

// Which comments count as documentation.
enum class DocStyle {
  kAny,          // any comment directly above (Go, C, Ruby, Bash)
  kJsDoc,        // only /** ... */ (JS/TS, Java, PHP)
  kTripleSlash,  // /// lines or /** */ (Rust, C#)
};

// The run of adjacent comments last seen in the walk, so a declaration can
// take the one directly above it (nothing but whitespace and one line break
// between, the first comment starting its line).
class CommentRun {
 public:
  void Add(TSNode comment, const Source& source);
  // A node that may sit between a doc comment and its item (Rust #[attr]).
  void Extend(TSNode node, const Source& source);
  // The cleaned doc comment directly above `anchor`, or "".
  std::string Above(TSNode anchor, const Source& source, DocStyle style) const;

 private:
  std::vector<std::string_view> texts_;
  uint32_t end_ = 0;
};

// A comment's text without its markers (/** */, ///, //, #, --), leading
// " * " gutters and common indentation; trimmed.
std::string CleanComment(std::string_view comment);
// Python's inspect.cleandoc: first line stripped, the rest dedented, blank
// edges removed.
std::string CleanDoc(std::string_view text);
// Whether a cleaned docstring or doc comment marks its symbol deprecated:
// a line opening with the `@deprecated` tag (JSDoc, Javadoc, PHPDoc) or
// the `.. deprecated::` directive (Sphinx), or a sentence opening with the
// word "Deprecated" ("Deprecated, use X.", "Deprecated AST node class.").
// A mention elsewhere ("the flag is deprecated") does not count.
bool DeprecatedDoc(std::string_view doc);

// --- declarations and calls ------------------------------------------------

// The declaration's text from `start` up to (not including) `body`, or the
// whole of `decl` when body is null (less a final ';'); comments dropped,
// whitespace collapsed ("def f(a, b) -> int:").
std::string Signature(TSNode start, TSNode decl, TSNode body, const Source& source);
// Whitespace runs as one space, none inside brackets, no trailing comma
// before a closing bracket: "f(\n  a,\n  b,\n)" -> "f(a, b)".
std::string CollapseWhitespace(std::string_view text);
// A callee as written with whitespace and argument lists removed:
// "a.b(x).c" -> "a.b().c". "" when it is not a name (an inline function).
std::string CalleeName(std::string_view text);

// Symbol constructors.
Symbol MakeSymbol(SymbolKind kind, std::string_view name, std::string qualified, TSNode node);

}  // namespace docrunch::scan::syntax
