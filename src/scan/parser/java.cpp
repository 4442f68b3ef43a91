// Java: imports (module = the imported name as written, name = its last
// segment, or "*" with the package as module), classes, interfaces, enums,
// records and annotation types (nested ones qualified "Outer.Inner"),
// superclass in `bases`, implemented interfaces in `implements`, methods and
// constructors, calls and `new` (as calls of the type), Javadoc.
#include <string>

#include "scan/parser/extractor.h"

namespace docrunch::scan {
namespace {

using syntax::DocStyle;
using syntax::Field;
using syntax::Is;
using syntax::ScopeKind;

// `ArrayList<String>` -> "ArrayList".
std::string_view RawType(TSNode type, const syntax::Source& source) {
  if (Is(type, "generic_type")) type = syntax::NamedChild(type, 0);
  return source.Text(type);
}

class JavaExtractor : public Extractor {
 public:
  using Extractor::Extractor;

  bool Enter(TSNode node) {
    if (Is(node, "line_comment") || Is(node, "block_comment")) {
      return comments_.Add(node, source_), false;
    }
    if (Is(node, "import_declaration")) return Import(node), false;
    if (Is(node, "class_declaration")) return Type(node, "class"), true;
    if (Is(node, "interface_declaration")) return Type(node, "interface"), true;
    if (Is(node, "enum_declaration")) return Type(node, "enum"), true;
    if (Is(node, "record_declaration")) return Type(node, "record"), true;
    if (Is(node, "annotation_type_declaration")) return Type(node, "annotation"), true;
    if (Is(node, "method_declaration") || Is(node, "constructor_declaration") ||
        Is(node, "compact_constructor_declaration")) {
      return Method(node), true;
    }
    if (Is(node, "method_invocation")) {
      TSNode object = Field(node, "object");
      std::string callee(Text(Field(node, "name")));
      if (!ts_node_is_null(object)) callee = std::string(Text(object)) + "." + callee;
      AddCall(node, callee);
    }
    if (Is(node, "object_creation_expression")) {
      AddCall(node, RawType(Field(node, "type"), source_));
    }
    return true;
  }
  void Leave(TSNode node) { scopes_.PopIf(node); }

 private:
  static constexpr DocStyle kDoc = DocStyle::kJsDoc;

  void Import(TSNode node) {
    TSNode name = syntax::ChildOfType(node, "scoped_identifier");
    if (ts_node_is_null(name)) name = syntax::ChildOfType(node, "identifier");
    std::string module(Text(name));
    if (!ts_node_is_null(syntax::ChildOfType(node, "asterisk"))) {
      AddImport(module, "*", "", node);
    } else {
      AddImport(module, std::string(syntax::LastSegment(module)), "", node);
    }
  }

  void Type(TSNode node, const char* detail) {
    int index = OpenSymbol(SymbolKind::kClass, Text(Field(node, "name")), node, ScopeKind::kType);
    Symbol& symbol = this->symbol(index);
    symbol.detail = detail;
    symbol.signature = syntax::Signature(node, node, Field(node, "body"), source_);
    symbol.docstring = DocFor(node, kDoc);
    TSNode superclass = Field(node, "superclass");
    if (!ts_node_is_null(superclass))
      symbol.bases.push_back(syntax::TypeName(Text(syntax::NamedChild(superclass, 0))));
    // `implements` of classes, enums and records; `extends` of interfaces.
    TSNode interfaces = Field(node, "interfaces");
    auto& list = ts_node_is_null(interfaces) ? symbol.bases : symbol.implements;
    if (ts_node_is_null(interfaces)) interfaces = syntax::ChildOfType(node, "extends_interfaces");
    for (TSNode type : syntax::NamedChildren(syntax::ChildOfType(interfaces, "type_list"))) {
      list.push_back(syntax::TypeName(Text(type)));
    }
  }

  void Method(TSNode node) {
    int index =
        OpenSymbol(SymbolKind::kMethod, Text(Field(node, "name")), node, ScopeKind::kFunction);
    symbol(index).signature = syntax::Signature(node, node, Field(node, "body"), source_);
    symbol(index).docstring = DocFor(node, kDoc);
  }
};

}  // namespace

void ExtractJava(TSNode root, const syntax::Source& source, ParsedFile& out) {
  JavaExtractor extractor(source, out);
  syntax::Walk(root, extractor);
}

}  // namespace docrunch::scan
