// CSS and SCSS: `@import` (string or url()), SCSS `@use` and `@forward` as
// imports; SCSS mixins and functions as functions (detail "mixin" /
// "function") and `@include` as calls of the mixin. Rules are not symbols.
#include <string>
#include <vector>

#include "scan/parser/extractor.h"

namespace docrunch::scan {
namespace {

using syntax::DocStyle;
using syntax::Field;
using syntax::Is;
using syntax::ScopeKind;

bool IsImport(TSNode node) {
  return Is(node, "import_statement") || Is(node, "use_statement") || Is(node, "forward_statement");
}

class StylesheetExtractor : public Extractor {
 public:
  using Extractor::Extractor;

  bool Enter(TSNode node) {
    if (Is(node, "comment") || Is(node, "single_line_comment")) {
      return comments_.Add(node, source_), false;
    }
    if (IsImport(node)) return Import(node), false;
    if (Is(node, "mixin_statement")) return Mixin(node, "mixin"), true;
    if (Is(node, "function_statement")) return Mixin(node, "function"), true;
    if (Is(node, "include_statement")) {
      AddCall(node, Text(syntax::ChildOfType(node, "identifier")));
    }
    return true;
  }
  void Leave(TSNode node) { scopes_.PopIf(node); }

 private:
  // Every string in the statement, also inside url() (quoted or not) and
  // inside parts the grammar could not parse (`@use "x" as y` is an ERROR in
  // tree-sitter-scss 1.0).
  void Import(TSNode statement) {
    std::vector<TSNode> pending{statement};
    std::vector<std::string> modules;
    while (!pending.empty()) {
      TSNode node = pending.back();
      pending.pop_back();
      if (Is(node, "string_value")) {
        modules.push_back(syntax::Unquote(Text(node)));
        continue;
      }
      if (Is(node, "call_expression") &&
          Text(syntax::ChildOfType(node, "function_name")) == "url") {
        TSNode argument = syntax::NamedChild(syntax::ChildOfType(node, "arguments"), 0);
        if (Is(argument, "plain_value")) modules.emplace_back(Text(argument));
        if (!Is(argument, "string_value")) continue;
      }
      auto children = syntax::NamedChildren(node);
      pending.insert(pending.end(), children.rbegin(), children.rend());
    }
    for (auto& module : modules) AddImport(std::move(module), "", "", statement);
  }

  void Mixin(TSNode node, const char* detail) {
    int index =
        OpenSymbol(SymbolKind::kFunction, Text(Field(node, "name")), node, ScopeKind::kFunction);
    symbol(index).detail = detail;
    TSNode body = syntax::ChildOfType(node, "block");
    symbol(index).signature = syntax::Signature(node, node, body, source_);
    symbol(index).docstring = DocFor(node, DocStyle::kAny);
  }
};

}  // namespace

void ExtractStylesheet(TSNode root, const syntax::Source& source, ParsedFile& out) {
  StylesheetExtractor extractor(source, out);
  syntax::Walk(root, extractor);
}

}  // namespace docrunch::scan
