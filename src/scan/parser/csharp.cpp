// C#: `using` directives (module = the namespace or type, alias for
// `using X = ...`), classes, structs, interfaces, enums and records (nested
// ones qualified "Outer.Inner"), methods, constructors and local functions,
// calls and `new`, `///` doc comments. The base list does not say which
// entry is a class: names following the I-prefix convention (IDisposable)
// go to `implements`, the rest to `bases`; an interface's bases stay bases.
#include <string>

#include "scan/parser/extractor.h"

namespace docrunch::scan {
namespace {

using syntax::DocStyle;
using syntax::Field;
using syntax::Is;
using syntax::ScopeKind;

// `/// <summary>Text</summary>` -> "Text": the summary tags carry no meaning
// for a reader; other XML doc tags (<param>, <returns>) stay.
std::string WithoutSummaryTags(std::string doc) {
  for (std::string_view tag : {"<summary>", "</summary>"}) {
    for (auto at = doc.find(tag); at != std::string::npos; at = doc.find(tag)) {
      doc.erase(at, tag.size());
    }
  }
  return std::string(syntax::CleanDoc(doc));
}

bool LooksLikeInterface(std::string_view name) {
  name = syntax::LastSegment(name);
  return name.size() > 1 && name[0] == 'I' && name[1] >= 'A' && name[1] <= 'Z';
}

class CSharpExtractor : public Extractor {
 public:
  using Extractor::Extractor;

  bool Enter(TSNode node) {
    if (Is(node, "comment")) return comments_.Add(node, source_), false;
    if (Is(node, "using_directive")) return Using(node), false;
    if (Is(node, "class_declaration")) return Type(node, "class"), true;
    if (Is(node, "struct_declaration")) return Type(node, "struct"), true;
    if (Is(node, "interface_declaration")) return Type(node, "interface"), true;
    if (Is(node, "enum_declaration")) return Type(node, "enum"), true;
    if (Is(node, "record_declaration")) return Type(node, "record"), true;
    if (Is(node, "method_declaration") || Is(node, "constructor_declaration") ||
        Is(node, "destructor_declaration") || Is(node, "local_function_statement")) {
      return Method(node), true;
    }
    if (Is(node, "invocation_expression")) AddCall(node, Text(Field(node, "function")));
    if (Is(node, "object_creation_expression")) {
      TSNode type = Field(node, "type");
      if (Is(type, "generic_name")) type = syntax::NamedChild(type, 0);
      AddCall(node, Text(type));
    }
    return true;
  }
  void Leave(TSNode node) { scopes_.PopIf(node); }

 private:
  static constexpr DocStyle kDoc = DocStyle::kTripleSlash;

  void Using(TSNode node) {
    TSNode alias = Field(node, "name");
    for (TSNode child : syntax::NamedChildren(node)) {
      if (ts_node_eq(child, alias) || Is(child, "comment")) continue;
      AddImport(std::string(Text(child)), "",
                ts_node_is_null(alias) ? "" : std::string(Text(alias)), node);
      return;
    }
  }

  void Type(TSNode node, const char* detail) {
    int index = OpenSymbol(SymbolKind::kClass, Text(Field(node, "name")), node, ScopeKind::kType);
    Symbol& symbol = this->symbol(index);
    symbol.detail = detail;
    TSNode body = Field(node, "body");
    symbol.signature = syntax::Signature(node, node, body, source_);
    symbol.docstring = WithoutSummaryTags(DocFor(node, kDoc));
    bool interface = symbol.detail == "interface";
    for (TSNode base : syntax::NamedChildren(syntax::ChildOfType(node, "base_list"))) {
      std::string name = syntax::TypeName(Text(base));
      auto& list = !interface && LooksLikeInterface(name) ? symbol.implements : symbol.bases;
      list.push_back(std::move(name));
    }
  }

  void Method(TSNode node) {
    SymbolKind kind = scopes_.InType() ? SymbolKind::kMethod : SymbolKind::kFunction;
    int index = OpenSymbol(kind, Text(Field(node, "name")), node, ScopeKind::kFunction);
    symbol(index).signature = syntax::Signature(node, node, Field(node, "body"), source_);
    symbol(index).docstring = WithoutSummaryTags(DocFor(node, kDoc));
  }
};

}  // namespace

void ExtractCSharp(TSNode root, const syntax::Source& source, ParsedFile& out) {
  CSharpExtractor extractor(source, out);
  syntax::Walk(root, extractor);
}

}  // namespace docrunch::scan
