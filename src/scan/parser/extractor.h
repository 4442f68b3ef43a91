// The per-language extractors and the state they share. Internal to
// src/scan/parser: parser.cpp picks the grammar and the extractor of a
// language from languages.cpp and hands over the syntax tree.
#pragma once

#include <tree_sitter/api.h>

#include <string>
#include <string_view>
#include <unordered_map>

#include "scan/model.h"
#include "scan/parser/syntax.h"

namespace docrunch::scan {

// Fills `out` (whose `language` is set) from the tree of `source`.
using ExtractFn = void (*)(TSNode root, const syntax::Source& source, ParsedFile& out);

void ExtractPython(TSNode root, const syntax::Source& source, ParsedFile& out);
void ExtractEcmaScript(TSNode root, const syntax::Source& source, ParsedFile& out);  // TS, TSX, JS
void ExtractGo(TSNode root, const syntax::Source& source, ParsedFile& out);
void ExtractRust(TSNode root, const syntax::Source& source, ParsedFile& out);
void ExtractJava(TSNode root, const syntax::Source& source, ParsedFile& out);
void ExtractCFamily(TSNode root, const syntax::Source& source, ParsedFile& out);  // C, C++
void ExtractCSharp(TSNode root, const syntax::Source& source, ParsedFile& out);
void ExtractRuby(TSNode root, const syntax::Source& source, ParsedFile& out);
void ExtractPhp(TSNode root, const syntax::Source& source, ParsedFile& out);
void ExtractBash(TSNode root, const syntax::Source& source, ParsedFile& out);
void ExtractStylesheet(TSNode root, const syntax::Source& source, ParsedFile& out);  // CSS, SCSS
void ExtractSql(TSNode root, const syntax::Source& source, ParsedFile& out);

// What every extractor keeps while it walks: the output, the scopes that
// qualify names and attribute calls, and the comments that may document the
// next declaration. Subclasses implement Enter/Leave for syntax::Walk.
class Extractor {
 public:
  Extractor(const syntax::Source& source, ParsedFile& out) : source_(source), out_(out) {}

  std::string_view Text(TSNode node) const { return source_.Text(node); }
  void AddImport(std::string module, std::string name, std::string alias, TSNode node);
  void AddExport(std::string name, std::string alias, bool is_default, std::string source,
                 TSNode node);

 protected:
  // Appends a symbol named `name` spanning `node` (from its wrapper's first
  // line, see Wrap), qualified by the current scopes; returns its index in
  // out_.symbols.
  int AddSymbol(SymbolKind kind, std::string_view name, TSNode node);
  // AddSymbol, then opens a scope for it until the walk leaves `node`.
  int OpenSymbol(SymbolKind kind, std::string_view name, TSNode node, syntax::ScopeKind scope);
  // A call at `node` of the callee written as `callee_text`; skipped when
  // it is not a name (an inline function called in place).
  void AddCall(TSNode node, std::string_view callee_text);

  // Declarations wrapped by another node (`export function f`, `const f =
  // () => ...`, `template <...> class C`) take their doc comment from above
  // the wrapper and may start their signature there: Wrap records that for
  // `inner` when the walk enters `wrapper`, before it reaches `inner`.
  void Wrap(TSNode wrapper, TSNode inner, syntax::DocStyle style);
  // The doc comment of `node`: the wrapper's if it has one, else the one
  // directly above it.
  std::string DocFor(TSNode node, syntax::DocStyle style) const;
  // Where `node`'s signature starts: its wrapper's start, or itself.
  TSNode SignatureStart(TSNode node) const;

  Symbol& symbol(int index) { return out_.symbols[static_cast<std::size_t>(index)]; }

  const syntax::Source& source_;
  ParsedFile& out_;
  syntax::Scopes scopes_;
  syntax::CommentRun comments_;

 private:
  struct Wrapper {
    TSNode node;
    std::string doc;
  };
  std::unordered_map<const void*, Wrapper> wrappers_;  // by the inner node's id
};

}  // namespace docrunch::scan
