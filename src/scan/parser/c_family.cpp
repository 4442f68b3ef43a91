// C and C++: `#include` (module "<vector>" for system headers, "a/b.h" for
// quoted ones), function definitions (prototypes are not symbols),
// classes, structs, unions and enums with a body (a typedef names an
// anonymous one), base classes, namespaces and out-of-class definitions
// qualifying names ("ns.Class.method"), calls, and the comment directly
// above a declaration (or its template) as its doc.
#include <string>
#include <unordered_map>
#include <vector>

#include "scan/parser/extractor.h"

namespace docrunch::scan {
namespace {

using syntax::DocStyle;
using syntax::Field;
using syntax::Is;
using syntax::ScopeKind;

// "a::B<T>::f" -> "a.B.f": scopes lose their template arguments, the last
// segment is kept whole (it may be `operator<<`).
std::string Dotted(std::string_view name) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  int depth = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (i == start && name.substr(i, 8) == "operator") break;
    if (name[i] == '<') ++depth;
    if (name[i] == '>') --depth;
    if (depth == 0 && name.substr(i, 2) == "::") {
      parts.push_back(name.substr(start, i - start));
      start = ++i + 1;
    }
  }
  parts.push_back(name.substr(start));
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string part = i + 1 < parts.size() ? syntax::TypeName(parts[i]) : std::string(parts[i]);
    if (part.empty()) continue;  // ::global
    if (!out.empty()) out += '.';
    out += part;
  }
  return out;
}

// The declarator naming a function: `int *ns::f(int)` -> `ns::f`.
TSNode FunctionName(TSNode declarator) {
  while (!ts_node_is_null(declarator) && !Is(declarator, "function_declarator")) {
    declarator = Field(declarator, "declarator");
  }
  return Field(declarator, "declarator");
}

class CFamilyExtractor : public Extractor {
 public:
  using Extractor::Extractor;

  bool Enter(TSNode node) {
    if (Is(node, "comment")) return comments_.Add(node, source_), false;
    if (Is(node, "preproc_include")) return Include(node), false;
    if (Is(node, "template_declaration")) {
      for (TSNode child : syntax::NamedChildren(node)) Wrap(node, child, kDoc);
      return true;
    }
    if (Is(node, "type_definition")) {
      typedef_names_[Field(node, "type").id] = Text(Field(node, "declarator"));
      Wrap(node, Field(node, "type"), kDoc);
      return true;
    }
    if (Is(node, "namespace_definition")) return Namespace(node), true;
    if (Is(node, "function_definition")) return Function(node), true;
    if (Is(node, "class_specifier")) return Type(node, "class"), true;
    if (Is(node, "struct_specifier")) return Type(node, "struct"), true;
    if (Is(node, "union_specifier")) return Type(node, "union"), true;
    if (Is(node, "enum_specifier")) return Type(node, "enum"), true;
    if (Is(node, "call_expression")) AddCall(node, Text(Field(node, "function")));
    return true;
  }
  void Leave(TSNode node) { scopes_.PopIf(node); }

 private:
  static constexpr DocStyle kDoc = DocStyle::kAny;

  void Include(TSNode node) {
    TSNode path = Field(node, "path");
    std::string module =
        Is(path, "system_lib_string") ? std::string(Text(path)) : syntax::Unquote(Text(path));
    AddImport(std::move(module), "", "", node);
  }

  void Namespace(TSNode node) {
    TSNode name = Field(node, "name");
    if (ts_node_is_null(name)) return;  // anonymous: names stay unqualified
    scopes_.Push(node, scopes_.Qualify(Dotted(Text(name))), ScopeKind::kNamespace);
  }

  void Function(TSNode node) {
    std::string written = Dotted(Text(FunctionName(Field(node, "declarator"))));
    if (written.empty()) return;
    std::string_view name = syntax::LastSegment(written);
    bool member = scopes_.InType() || name.size() != written.size();
    int index = AddSymbol(member ? SymbolKind::kMethod : SymbolKind::kFunction, name, node);
    Symbol& symbol = this->symbol(index);
    symbol.qualified_name = scopes_.Qualify(written);
    symbol.signature = syntax::Signature(SignatureStart(node), node, Field(node, "body"), source_);
    symbol.docstring = DocFor(node, kDoc);
    scopes_.Push(node, symbol.qualified_name, ScopeKind::kFunction, index);
  }

  void Type(TSNode node, const char* detail) {
    TSNode body = Field(node, "body");
    if (ts_node_is_null(body)) return;  // a use or forward declaration
    std::string name(Text(Field(node, "name")));
    bool from_typedef = name.empty();
    if (from_typedef) {
      auto typedef_name = typedef_names_.find(node.id);
      if (typedef_name == typedef_names_.end()) return;  // anonymous member struct
      name = typedef_name->second;
    }
    int index = AddSymbol(SymbolKind::kClass, name, node);
    Symbol& symbol = this->symbol(index);
    symbol.qualified_name = scopes_.Qualify(Dotted(name));
    symbol.detail = detail;
    symbol.signature = from_typedef ? "typedef " + std::string(detail) + " " + name
                                    : syntax::Signature(SignatureStart(node), node, body, source_);
    symbol.docstring = DocFor(node, kDoc);
    for (TSNode base : syntax::NamedChildren(syntax::ChildOfType(node, "base_class_clause"))) {
      if (!Is(base, "access_specifier") && !Is(base, "comment"))
        symbol.bases.push_back(syntax::TypeName(Text(base)));
    }
    scopes_.Push(node, symbol.qualified_name, ScopeKind::kType, index);
  }

  std::unordered_map<const void*, std::string_view> typedef_names_;  // struct node -> name
};

}  // namespace

void ExtractCFamily(TSNode root, const syntax::Source& source, ParsedFile& out) {
  CFamilyExtractor extractor(source, out);
  syntax::Walk(root, extractor);
}

}  // namespace docrunch::scan
