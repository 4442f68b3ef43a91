// Rust: `use` trees flattened to one import per name (module = the full
// path, name = its last segment, alias from `as`, `*` for globs), functions,
// methods of impl and trait blocks ("Type.method"), structs, enums, unions
// and traits (bounds as bases; `impl Trait for Type` adds Trait to the
// type's `implements`), `mod` blocks qualifying names, calls and macro
// invocations ("println!"), `///` doc comments.
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "scan/parser/extractor.h"

namespace docrunch::scan {
namespace {

using syntax::DocStyle;
using syntax::Field;
using syntax::Is;
using syntax::ScopeKind;

std::string JoinPath(const std::string& prefix, std::string_view path) {
  if (prefix.empty()) return std::string(path);
  if (path.empty()) return prefix;
  return prefix + "::" + std::string(path);
}

// `S<T>` / `crate::S` / `&mut S` -> "S".
std::string_view TypeName(TSNode type, const syntax::Source& source) {
  while (Is(type, "generic_type") || Is(type, "reference_type")) type = Field(type, "type");
  return syntax::LastSegment(source.Text(type), "::");
}

class RustExtractor : public Extractor {
 public:
  using Extractor::Extractor;

  bool Enter(TSNode node) {
    if (Is(node, "line_comment") || Is(node, "block_comment")) {
      return comments_.Add(node, source_), false;
    }
    if (Is(node, "attribute_item")) return comments_.Extend(node, source_), false;
    if (Is(node, "use_declaration")) return Use(node), false;
    if (Is(node, "function_item")) return Function(node), true;
    if (Is(node, "function_signature_item")) return Signature(node), false;
    if (Is(node, "struct_item")) return Type(node, "struct"), true;
    if (Is(node, "enum_item")) return Type(node, "enum"), true;
    if (Is(node, "union_item")) return Type(node, "union"), true;
    if (Is(node, "trait_item")) return Type(node, "trait"), true;
    if (Is(node, "impl_item")) return Impl(node), true;
    if (Is(node, "mod_item")) {
      scopes_.Push(node, scopes_.Qualify(Text(Field(node, "name"))), ScopeKind::kNamespace);
      return true;
    }
    if (Is(node, "call_expression")) AddCall(node, Text(Field(node, "function")));
    if (Is(node, "macro_invocation")) {
      AddCall(node, std::string(Text(Field(node, "macro"))) + "!");
      return false;  // token trees hold no syntax
    }
    return true;
  }
  void Leave(TSNode node) { scopes_.PopIf(node); }

 private:
  static constexpr DocStyle kDoc = DocStyle::kTripleSlash;
  std::unordered_map<std::string, int> types_;  // qualified type name -> symbol

  // Flattens a use tree with an explicit stack (use lists can nest).
  void Use(TSNode declaration) {
    std::vector<std::pair<TSNode, std::string>> pending{{Field(declaration, "argument"), ""}};
    while (!pending.empty()) {
      auto [node, prefix] = std::move(pending.back());
      pending.pop_back();
      if (Is(node, "use_as_clause")) {
        std::string path = JoinPath(prefix, Text(Field(node, "path")));
        AddUseImport(path, std::string(Text(Field(node, "alias"))), declaration);
      } else if (Is(node, "use_wildcard")) {
        AddImport(JoinPath(prefix, Text(syntax::NamedChild(node, 0))), "*", "", declaration);
      } else if (Is(node, "scoped_use_list") || Is(node, "use_list")) {
        std::string base = JoinPath(prefix, Text(Field(node, "path")));
        TSNode list = Is(node, "use_list") ? node : Field(node, "list");
        auto items = syntax::NamedChildren(list);
        for (auto it = items.rbegin(); it != items.rend(); ++it) pending.emplace_back(*it, base);
      } else if (!ts_node_is_null(node) && !Is(node, "comment") && !Is(node, "line_comment")) {
        std::string_view text = Text(node);
        AddUseImport(text == "self" ? prefix : JoinPath(prefix, text), "", declaration);
      }
    }
  }

  void AddUseImport(const std::string& path, std::string alias, TSNode declaration) {
    AddImport(path, std::string(syntax::LastSegment(path, "::")), std::move(alias), declaration);
  }

  void Function(TSNode node) {
    SymbolKind kind = scopes_.InType() ? SymbolKind::kMethod : SymbolKind::kFunction;
    int index = OpenSymbol(kind, Text(Field(node, "name")), node, ScopeKind::kFunction);
    symbol(index).signature = syntax::Signature(node, node, Field(node, "body"), source_);
    symbol(index).docstring = DocFor(node, kDoc);
  }

  // `fn m(&self) -> i32;` in a trait.
  void Signature(TSNode node) {
    int index = AddSymbol(SymbolKind::kMethod, Text(Field(node, "name")), node);
    symbol(index).signature = syntax::Signature(node, node, {}, source_);
    symbol(index).docstring = DocFor(node, kDoc);
  }

  void Type(TSNode node, const char* detail) {
    int index = OpenSymbol(SymbolKind::kClass, Text(Field(node, "name")), node, ScopeKind::kType);
    Symbol& symbol = this->symbol(index);
    types_.emplace(symbol.qualified_name, index);
    symbol.detail = detail;
    symbol.signature = syntax::Signature(node, node, Field(node, "body"), source_);
    symbol.docstring = DocFor(node, kDoc);
    for (TSNode bound : syntax::NamedChildren(Field(node, "bounds"))) {
      symbol.bases.push_back(syntax::TypeName(Text(bound)));
    }
  }

  void Impl(TSNode node) {
    std::string_view type = TypeName(Field(node, "type"), source_);
    std::string qualified = scopes_.Qualify(type);
    TSNode trait = Field(node, "trait");
    auto type_symbol = types_.find(qualified);
    if (!ts_node_is_null(trait) && type_symbol != types_.end()) {
      symbol(type_symbol->second).implements.push_back(syntax::TypeName(Text(trait)));
    }
    scopes_.Push(node, std::move(qualified), ScopeKind::kType);
  }
};

}  // namespace

void ExtractRust(TSNode root, const syntax::Source& source, ParsedFile& out) {
  RustExtractor extractor(source, out);
  syntax::Walk(root, extractor);
}

}  // namespace docrunch::scan
