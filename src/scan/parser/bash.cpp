// Bash: `source FILE` / `. FILE` as imports (the path as written), functions
// with the `#` comments above them as docs, and every command run as a call
// of its name, attributed to the enclosing function.
#include <string>

#include "scan/parser/extractor.h"

namespace docrunch::scan {
namespace {

using syntax::DocStyle;
using syntax::Field;
using syntax::Is;
using syntax::ScopeKind;

class BashExtractor : public Extractor {
 public:
  using Extractor::Extractor;

  bool Enter(TSNode node) {
    if (Is(node, "comment")) return comments_.Add(node, source_), false;
    if (Is(node, "function_definition")) return Function(node), true;
    if (Is(node, "command")) Command(node);
    return true;
  }
  void Leave(TSNode node) { scopes_.PopIf(node); }

 private:
  void Function(TSNode node) {
    int index =
        OpenSymbol(SymbolKind::kFunction, Text(Field(node, "name")), node, ScopeKind::kFunction);
    symbol(index).signature = syntax::Signature(node, node, Field(node, "body"), source_);
    symbol(index).docstring = DocFor(node, DocStyle::kAny);
  }

  void Command(TSNode node) {
    std::string_view name = Text(Field(node, "name"));
    if (name == "source" || name == ".") {
      TSNode argument = Field(node, "argument");
      if (!ts_node_is_null(argument)) AddImport(syntax::Unquote(Text(argument)), "", "", node);
      return;
    }
    // Names built at run time ("$cmd") are not calls of anything known.
    if (!name.empty() && name.front() != '$' && name.front() != '"') AddCall(node, name);
  }
};

}  // namespace

void ExtractBash(TSNode root, const syntax::Source& source, ParsedFile& out) {
  BashExtractor extractor(source, out);
  syntax::Walk(root, extractor);
}

}  // namespace docrunch::scan
