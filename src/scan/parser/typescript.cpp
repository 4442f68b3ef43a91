// TypeScript, TSX and JavaScript/JSX share one walker: the grammars differ
// only in what TypeScript adds (types, interfaces, implements), and nodes a
// grammar lacks simply never appear.
//
// Symbols: function declarations, functions and classes assigned to
// variables (also through React.memo/forwardRef/observer), class methods and
// function-valued fields, classes, interfaces, enums and type aliases.
// A capitalized function containing JSX, or a class extending
// (React.)Component/PureComponent, is a React component; its capitalized
// JSX elements are `uses`.
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "scan/parser/extractor.h"
#include "scan/parser/typescript_modules.h"

namespace docrunch::scan {
namespace {

using syntax::DocStyle;
using syntax::Field;
using syntax::Is;
using syntax::ScopeKind;

bool IsFunctionValue(TSNode node) {
  return Is(node, "arrow_function") || Is(node, "function_expression") || Is(node, "function") ||
         Is(node, "generator_function");
}

bool IsComponentBase(std::string_view base) {
  return base == "Component" || base == "PureComponent" || base == "React.Component" ||
         base == "React.PureComponent";
}

// `memo(fn)`, `React.forwardRef(fn)`, `observer(fn)`: the wrapped function.
TSNode WrappedFunction(TSNode value, const syntax::Source& source) {
  if (!Is(value, "call_expression")) return TSNode{};
  std::string_view callee = syntax::LastSegment(source.Text(Field(value, "function")));
  if (callee != "memo" && callee != "forwardRef" && callee != "observer") return TSNode{};
  TSNode first = syntax::NamedChild(Field(value, "arguments"), 0);
  return IsFunctionValue(first) ? first : TSNode{};
}

class EcmaScriptExtractor : public Extractor {
 public:
  using Extractor::Extractor;

  bool Enter(TSNode node) {
    if (!pending_scopes_.empty()) OpenPendingScope(node);
    if (Is(node, "comment")) return comments_.Add(node, source_), false;
    if (Is(node, "import_statement")) return ecma::Import(*this, node), false;
    if (Is(node, "export_statement")) return Export(node), true;
    if (Is(node, "lexical_declaration") || Is(node, "variable_declaration")) {
      for (TSNode declarator : syntax::NamedChildren(node)) Wrap(node, declarator, kDoc);
      return true;
    }
    if (Is(node, "ambient_declaration")) {
      TSNode declared = syntax::NamedChild(node, 0);  // declare function f(): T;
      Wrap(node, declared, kDoc);
      if (Is(declared, "function_signature")) Function(declared, declared, SymbolKind::kFunction);
      return true;
    }
    if (Is(node, "variable_declarator")) return Declarator(node);
    if (Is(node, "function_declaration") || Is(node, "generator_function_declaration")) {
      return Function(node, node, SymbolKind::kFunction), true;
    }
    if (Is(node, "method_definition") || Is(node, "abstract_method_signature")) {
      return Method(node), true;
    }
    if (Is(node, "public_field_definition") || Is(node, "field_definition"))
      return FieldDefinition(node);
    if (Is(node, "class_declaration") || Is(node, "abstract_class_declaration") ||
        (Is(node, "class") && !named_classes_.contains(node.id))) {
      return Class(node, Text(syntax::Field(node, "name"))), true;
    }
    if (Is(node, "interface_declaration")) return Interface(node), false;
    if (Is(node, "enum_declaration")) return TypeLike(node, "enum", "body"), false;
    if (Is(node, "type_alias_declaration")) return TypeLike(node, "type", nullptr), false;
    if (Is(node, "internal_module")) return Namespace(node), true;
    if (Is(node, "call_expression")) return Call(node), true;
    if (Is(node, "new_expression")) AddCall(node, Text(syntax::Field(node, "constructor")));
    if (Is(node, "jsx_opening_element") || Is(node, "jsx_self_closing_element")) Jsx(node);
    if (Is(node, "assignment_expression") && scopes_.stack().empty()) {
      ecma::CommonJsExport(*this, node);
    }
    return true;
  }
  void Leave(TSNode node) { scopes_.PopIf(node); }

 private:
  static constexpr DocStyle kDoc = DocStyle::kJsDoc;
  // `const K = class {}`: the class node, named by K when the walk gets there.
  std::unordered_set<const void*> named_classes_;
  // Function values named by a variable: function node -> its symbol.
  std::unordered_map<const void*, int> pending_scopes_;

  void OpenPendingScope(TSNode node) {
    auto it = pending_scopes_.find(node.id);
    if (it == pending_scopes_.end()) return;
    scopes_.Push(node, symbol(it->second).qualified_name, ScopeKind::kFunction, it->second);
    pending_scopes_.erase(it);
  }

  void Export(TSNode node) {
    // `export` inside a TypeScript namespace exports from the namespace only.
    if (scopes_.stack().empty()) ecma::Export(*this, node);
    Wrap(node, syntax::Field(node, "declaration"), kDoc);
    Wrap(node, syntax::Field(node, "value"), kDoc);
  }

  bool Declarator(TSNode node) {
    if (ecma::RequireDeclarator(*this, node)) return false;
    TSNode name = syntax::Field(node, "name");
    TSNode value = syntax::Field(node, "value");
    if (!Is(name, "identifier")) return true;
    if (IsFunctionValue(value)) {
      Function(value, node, SymbolKind::kFunction);
    } else if (TSNode wrapped = WrappedFunction(value, source_); !ts_node_is_null(wrapped)) {
      Function(wrapped, node, SymbolKind::kFunction);
    } else if (Is(value, "class")) {
      named_classes_.insert(value.id);
      Class(value, Text(name), node);
    }
    return true;
  }

  // A function named by `named` (itself, or the variable/field holding it).
  // Its scope is the function node's own, so a `React.memo(...)` around it
  // counts as called by the enclosing code.
  void Function(TSNode function, TSNode named, SymbolKind kind) {
    std::string_view name =
        Text(syntax::Field(named, Is(named, "field_definition") ? "property" : "name"));
    int index = AddSymbol(kind, name, named);
    if (ts_node_eq(function, named)) {
      scopes_.Push(function, this->symbol(index).qualified_name, ScopeKind::kFunction, index);
    } else {
      pending_scopes_[function.id] = index;  // opened when the walk gets there
    }
    Symbol& symbol = this->symbol(index);
    TSNode body = syntax::Field(function, "body");
    symbol.signature = syntax::Signature(SignatureStart(named), function, body, source_);
    symbol.docstring = DocFor(named, kDoc);
  }

  void Method(TSNode node) {
    if (!scopes_.InType()) return;  // object literal methods are not symbols
    Function(node, node, SymbolKind::kMethod);
  }

  bool FieldDefinition(TSNode node) {
    TSNode value = syntax::Field(node, "value");
    if (scopes_.InType() && IsFunctionValue(value)) Function(value, node, SymbolKind::kMethod);
    return true;
  }

  void Class(TSNode node, std::string_view name, TSNode named = TSNode{}) {
    if (ts_node_is_null(named)) named = node;
    int index =
        OpenSymbol(SymbolKind::kClass, name.empty() ? "default" : name, named, ScopeKind::kType);
    Symbol& cls = symbol(index);
    TSNode body = syntax::Field(node, "body");
    cls.signature = syntax::Signature(SignatureStart(named), node, body, source_);
    cls.docstring = DocFor(named, kDoc);
    TSNode heritage = syntax::ChildOfType(node, "class_heritage");
    for (TSNode part : syntax::NamedChildren(heritage)) {
      if (Is(part, "extends_clause")) {
        cls.bases.emplace_back(Text(syntax::Field(part, "value")));
      } else if (Is(part, "implements_clause")) {
        for (TSNode type : syntax::NamedChildren(part)) {
          cls.implements.push_back(syntax::TypeName(Text(type)));
        }
      } else if (!Is(part, "comment")) {
        cls.bases.emplace_back(Text(part));  // JavaScript: class_heritage holds the expression
      }
    }
    for (const auto& base : cls.bases) {
      if (IsComponentBase(base)) cls.kind = SymbolKind::kComponent;
    }
  }

  void Interface(TSNode node) {
    int index = AddSymbol(SymbolKind::kClass, Text(syntax::Field(node, "name")), node);
    Symbol& symbol = this->symbol(index);
    symbol.detail = "interface";
    symbol.signature =
        syntax::Signature(SignatureStart(node), node, syntax::Field(node, "body"), source_);
    symbol.docstring = DocFor(node, kDoc);
    TSNode extends = syntax::ChildOfType(node, "extends_type_clause");
    for (TSNode type : syntax::NamedChildren(extends)) {
      symbol.bases.push_back(syntax::TypeName(Text(type)));
    }
  }

  void TypeLike(TSNode node, const char* detail, const char* body_field) {
    int index = AddSymbol(SymbolKind::kClass, Text(syntax::Field(node, "name")), node);
    Symbol& symbol = this->symbol(index);
    symbol.detail = detail;
    TSNode body = body_field ? syntax::Field(node, body_field) : TSNode{};
    symbol.signature = syntax::Signature(SignatureStart(node), node, body, source_);
    symbol.docstring = DocFor(node, kDoc);
  }

  void Namespace(TSNode node) {
    scopes_.Push(node, scopes_.Qualify(Text(syntax::Field(node, "name"))), ScopeKind::kNamespace);
  }

  void Call(TSNode node) {
    if (ecma::ModuleCall(*this, node)) return;
    AddCall(node, Text(syntax::Field(node, "function")));
  }

  // A JSX element: its function becomes a component if capitalized, and a
  // capitalized tag is a use by the nearest component.
  void Jsx(TSNode node) {
    const auto& stack = scopes_.stack();
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
      if (it->symbol < 0 || it->kind != ScopeKind::kFunction) continue;
      Symbol& owner = symbol(it->symbol);
      if (owner.kind == SymbolKind::kFunction && syntax::IsCapitalized(owner.name)) {
        owner.kind = SymbolKind::kComponent;
      }
      break;
    }
    std::string_view tag = Text(syntax::Field(node, "name"));
    if (!syntax::IsCapitalized(syntax::LastSegment(tag))) return;
    std::string user = scopes_.Caller();
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
      if (it->symbol >= 0 && symbol(it->symbol).kind == SymbolKind::kComponent) {
        user = it->qualified;
        break;
      }
    }
    out_.uses.push_back(ComponentUse{std::move(user), std::string(tag), syntax::Line(node)});
  }
};

}  // namespace

void ExtractEcmaScript(TSNode root, const syntax::Source& source, ParsedFile& out) {
  EcmaScriptExtractor extractor(source, out);
  syntax::Walk(root, extractor);
}

}  // namespace docrunch::scan
