// PHP: `use` clauses (module = the full name "App\Models\User", name its
// last segment, alias from `as`; group uses expanded), require/include of a
// literal path (`__DIR__ . '/x.php'` becomes "./x.php"), classes (parent in
// `bases` followed by the traits it uses, interfaces in `implements`),
// interfaces, traits and enums,
// functions and methods, calls ("foo", "$this->bar", "self::baz", `new X`),
// and PHPDoc comments.
#include <string>

#include "scan/parser/extractor.h"

namespace docrunch::scan {
namespace {

using syntax::DocStyle;
using syntax::Field;
using syntax::Is;
using syntax::ScopeKind;

bool IsRequire(TSNode node) {
  return Is(node, "require_expression") || Is(node, "require_once_expression") ||
         Is(node, "include_expression") || Is(node, "include_once_expression");
}

class PhpExtractor : public Extractor {
 public:
  using Extractor::Extractor;

  bool Enter(TSNode node) {
    if (Is(node, "comment")) return comments_.Add(node, source_), false;
    if (Is(node, "namespace_use_declaration")) return Use(node), false;
    if (Is(node, "use_declaration")) return TraitUse(node), false;
    if (IsRequire(node)) Require(node);
    if (Is(node, "class_declaration")) return Type(node, "class"), true;
    if (Is(node, "interface_declaration")) return Type(node, "interface"), true;
    if (Is(node, "trait_declaration")) return Type(node, "trait"), true;
    if (Is(node, "enum_declaration")) return Type(node, "enum"), true;
    if (Is(node, "function_definition") || Is(node, "method_declaration")) {
      return Function(node), true;
    }
    if (Is(node, "function_call_expression")) AddCall(node, Text(Field(node, "function")));
    if (Is(node, "member_call_expression") || Is(node, "nullsafe_member_call_expression")) {
      AddCall(node, std::string(Text(Field(node, "object"))) + "->" +
                        std::string(Text(Field(node, "name"))));
    }
    if (Is(node, "scoped_call_expression")) {
      AddCall(node, std::string(Text(Field(node, "scope"))) +
                        "::" + std::string(Text(Field(node, "name"))));
    }
    if (Is(node, "object_creation_expression")) {
      TSNode type = syntax::NamedChild(node, 0);
      if (Is(type, "name") || Is(type, "qualified_name")) AddCall(node, Text(type));
    }
    return true;
  }
  void Leave(TSNode node) { scopes_.PopIf(node); }

 private:
  static constexpr DocStyle kDoc = DocStyle::kJsDoc;

  void Use(TSNode node) {
    TSNode group = Field(node, "body");
    std::string prefix;
    if (!ts_node_is_null(group))
      prefix = std::string(Text(syntax::ChildOfType(node, "namespace_name"))) + "\\";
    TSNode clauses = ts_node_is_null(group) ? node : group;
    for (TSNode clause : syntax::NamedChildren(clauses)) {
      if (!Is(clause, "namespace_use_clause")) continue;
      TSNode alias = Field(clause, "alias");
      TSNode name = syntax::NamedChild(clause, 0);
      std::string module = prefix + std::string(Text(name));
      if (!module.empty() && module.front() == '\\') module.erase(0, 1);
      AddImport(module, std::string(syntax::LastSegment(module, "\\")),
                ts_node_is_null(alias) ? "" : std::string(Text(alias)), node);
    }
  }

  // `use Trait1, Trait2;` in a class body: the traits are mixed in.
  void TraitUse(TSNode node) {
    const syntax::Scope* top = scopes_.Top();
    if (top == nullptr || top->kind != ScopeKind::kType || top->symbol < 0) return;
    for (TSNode trait : syntax::NamedChildren(node)) {
      if (Is(trait, "name") || Is(trait, "qualified_name")) {
        symbol(top->symbol).bases.emplace_back(Text(trait));
      }
    }
  }

  void Require(TSNode node) {
    TSNode argument = syntax::NamedChild(node, 0);
    if (Is(argument, "parenthesized_expression")) argument = syntax::NamedChild(argument, 0);
    std::string path;
    if (Is(argument, "string") || Is(argument, "encapsed_string")) {
      path = syntax::Unquote(Text(argument));
    } else if (Is(argument, "binary_expression") && Text(Field(argument, "left")) == "__DIR__" &&
               Is(Field(argument, "right"), "string")) {
      path = "." + syntax::Unquote(Text(Field(argument, "right")));
      if (path.starts_with("./../")) path.erase(0, 2);
    }
    if (!path.empty()) AddImport(std::move(path), "", "", node);
  }

  void Type(TSNode node, const char* detail) {
    int index = OpenSymbol(SymbolKind::kClass, Text(Field(node, "name")), node, ScopeKind::kType);
    Symbol& symbol = this->symbol(index);
    symbol.detail = detail;
    symbol.signature = syntax::Signature(node, node, Field(node, "body"), source_);
    symbol.docstring = DocFor(node, kDoc);
    for (TSNode base : syntax::NamedChildren(syntax::ChildOfType(node, "base_clause"))) {
      symbol.bases.emplace_back(Text(base));
    }
    for (TSNode base : syntax::NamedChildren(syntax::ChildOfType(node, "class_interface_clause"))) {
      symbol.implements.emplace_back(Text(base));
    }
  }

  void Function(TSNode node) {
    SymbolKind kind = scopes_.InType() ? SymbolKind::kMethod : SymbolKind::kFunction;
    int index = OpenSymbol(kind, Text(Field(node, "name")), node, ScopeKind::kFunction);
    symbol(index).signature = syntax::Signature(node, node, Field(node, "body"), source_);
    symbol(index).docstring = DocFor(node, kDoc);
  }
};

}  // namespace

void ExtractPhp(TSNode root, const syntax::Source& source, ParsedFile& out) {
  PhpExtractor extractor(source, out);
  syntax::Walk(root, extractor);
}

}  // namespace docrunch::scan
