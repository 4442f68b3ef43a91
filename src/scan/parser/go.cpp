// Go: imports (with alias, `_` and `.`), functions, methods qualified by
// their receiver type ("Server.Start"), type declarations (struct,
// interface, other), calls, `//` doc comments, and capitalized top-level
// names as exports.
#include <string>

#include "scan/parser/extractor.h"

namespace docrunch::scan {
namespace {

using syntax::DocStyle;
using syntax::Field;
using syntax::Is;
using syntax::ScopeKind;

// `func (s *Server[T]) Start()` -> "Server".
std::string ReceiverType(TSNode method, const syntax::Source& source) {
  TSNode parameter = syntax::NamedChild(Field(method, "receiver"), 0);
  TSNode type = Field(parameter, "type");
  while (Is(type, "pointer_type") || Is(type, "generic_type") || Is(type, "parenthesized_type")) {
    type = Is(type, "generic_type") ? Field(type, "type") : syntax::NamedChild(type, 0);
  }
  return std::string(source.Text(type));
}

// The declaration's text before its `{`: "type Server struct".
std::string HeadBeforeBrace(std::string signature) {
  auto brace = signature.find('{');
  if (brace != std::string::npos) signature.resize(brace);
  while (!signature.empty() && signature.back() == ' ') signature.pop_back();
  return signature;
}

class GoExtractor : public Extractor {
 public:
  using Extractor::Extractor;

  bool Enter(TSNode node) {
    if (Is(node, "comment")) return comments_.Add(node, source_), false;
    if (Is(node, "import_spec")) return Import(node), false;
    if (Is(node, "type_declaration")) {
      // A lone spec takes the doc above `type`; grouped specs have their own.
      if (syntax::NamedChildCount(node) == 1) Wrap(node, syntax::NamedChild(node, 0), kDoc);
      return true;
    }
    if (Is(node, "type_spec") || Is(node, "type_alias")) return Type(node), false;
    if (Is(node, "function_declaration")) return Function(node, ""), true;
    if (Is(node, "method_declaration")) return Function(node, ReceiverType(node, source_)), true;
    if (Is(node, "call_expression")) AddCall(node, Text(Field(node, "function")));
    return true;
  }
  void Leave(TSNode node) { scopes_.PopIf(node); }

 private:
  static constexpr DocStyle kDoc = DocStyle::kAny;

  void Import(TSNode spec) {
    TSNode alias = Field(spec, "name");
    AddImport(syntax::Unquote(Text(Field(spec, "path"))), "",
              ts_node_is_null(alias) ? "" : std::string(Text(alias)), spec);
  }

  void Type(TSNode spec) {
    std::string_view name = Text(Field(spec, "name"));
    int index = AddSymbol(SymbolKind::kClass, name, spec);
    Symbol& symbol = this->symbol(index);
    TSNode type = Field(spec, "type");
    symbol.detail = Is(type, "struct_type")      ? "struct"
                    : Is(type, "interface_type") ? "interface"
                                                 : "type";
    symbol.signature = HeadBeforeBrace(syntax::Signature(SignatureStart(spec), spec, {}, source_));
    if (!symbol.signature.starts_with("type ")) symbol.signature.insert(0, "type ");  // grouped
    symbol.docstring = DocFor(spec, kDoc);
    if (symbol.detail == "interface") {
      for (TSNode element : syntax::NamedChildren(type)) {  // embedded interfaces
        if (Is(element, "type_elem")) symbol.bases.emplace_back(Text(element));
      }
    }
    ExportIfPublic(name, spec);
  }

  void Function(TSNode node, std::string receiver) {
    std::string_view name = Text(Field(node, "name"));
    SymbolKind kind = receiver.empty() ? SymbolKind::kFunction : SymbolKind::kMethod;
    int index = AddSymbol(kind, name, node);
    Symbol& symbol = this->symbol(index);
    if (!receiver.empty()) symbol.qualified_name = receiver + "." + std::string(name);
    symbol.signature = syntax::Signature(node, node, Field(node, "body"), source_);
    symbol.docstring = DocFor(node, kDoc);
    scopes_.Push(node, symbol.qualified_name, ScopeKind::kFunction, index);
    if (receiver.empty()) ExportIfPublic(name, node);
  }

  // Go exports by capitalization.
  void ExportIfPublic(std::string_view name, TSNode node) {
    if (scopes_.stack().empty() && syntax::IsCapitalized(name)) {
      AddExport(std::string(name), "", false, "", node);
    }
  }
};

}  // namespace

void ExtractGo(TSNode root, const syntax::Source& source, ParsedFile& out) {
  GoExtractor extractor(source, out);
  syntax::Walk(root, extractor);
}

}  // namespace docrunch::scan
