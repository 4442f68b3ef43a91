// TypeScript/JavaScript module syntax: ES imports and exports, CommonJS
// require() and module.exports, dynamic import().
#include "scan/parser/typescript_modules.h"

#include <string>

namespace docrunch::scan::ecma {
namespace {

using syntax::Field;
using syntax::Is;
using syntax::NamedChildren;

std::string Str(Extractor& x, TSNode node) {
  return std::string(x.Text(node));
}

// A string literal, or a template literal without substitutions.
bool IsStaticString(TSNode node) {
  return Is(node, "string") || (Is(node, "template_string") &&
                                syntax::ChildOfType(node, "template_substitution").id == nullptr);
}

void ImportClause(Extractor& x, TSNode clause, const std::string& module, TSNode statement) {
  for (TSNode part : NamedChildren(clause)) {
    if (Is(part, "identifier")) {
      x.AddImport(module, "default", Str(x, part), statement);
    } else if (Is(part, "namespace_import")) {
      x.AddImport(module, "*", Str(x, syntax::ChildOfType(part, "identifier")), statement);
    } else if (Is(part, "named_imports")) {
      for (TSNode spec : NamedChildren(part)) {
        if (!Is(spec, "import_specifier")) continue;
        TSNode alias = Field(spec, "alias");
        x.AddImport(module, syntax::Unquote(x.Text(Field(spec, "name"))),
                    ts_node_is_null(alias) ? "" : Str(x, alias), statement);
      }
    }
  }
}

// The names a declaration binds: `function f`, `class C`, `const a = 1, b`.
std::vector<TSNode> DeclaredNames(TSNode declaration) {
  std::vector<TSNode> names;
  TSNode inner = declaration;
  if (Is(inner, "ambient_declaration")) inner = syntax::NamedChild(inner, 0);
  if (Is(inner, "lexical_declaration") || Is(inner, "variable_declaration")) {
    for (TSNode declarator : NamedChildren(inner)) {
      TSNode name = Field(declarator, "name");
      if (Is(name, "identifier")) names.push_back(name);
    }
    return names;
  }
  TSNode name = Field(inner, "name");
  if (!ts_node_is_null(name)) names.push_back(name);
  return names;
}

bool HasToken(TSNode node, const char* token) {
  uint32_t count = ts_node_child_count(node);
  for (uint32_t i = 0; i < count; ++i) {
    TSNode child = ts_node_child(node, i);
    if (!ts_node_is_named(child) && Is(child, token)) return true;
  }
  return false;
}

}  // namespace

void Import(Extractor& x, TSNode statement) {
  std::string module = syntax::Unquote(x.Text(Field(statement, "source")));
  bool bound = false;
  for (TSNode part : NamedChildren(statement)) {
    if (Is(part, "import_clause")) {
      ImportClause(x, part, module, statement);
      bound = true;
    } else if (Is(part, "import_require_clause")) {  // import fs = require("fs")
      x.AddImport(syntax::Unquote(x.Text(Field(part, "source"))), "",
                  Str(x, syntax::ChildOfType(part, "identifier")), statement);
      bound = true;
    }
  }
  if (!bound) x.AddImport(module, "", "", statement);  // import "./side-effect"
}

void Export(Extractor& x, TSNode statement) {
  TSNode source = Field(statement, "source");
  std::string from = ts_node_is_null(source) ? "" : syntax::Unquote(x.Text(source));
  bool is_default = HasToken(statement, "default");
  TSNode declaration = Field(statement, "declaration");
  if (!ts_node_is_null(declaration)) {
    for (TSNode name : DeclaredNames(declaration)) {
      x.AddExport(Str(x, name), "", is_default, "", statement);
    }
    return;
  }
  TSNode value = Field(statement, "value");
  if (ts_node_is_null(value) && !HasToken(statement, "*")) {
    value = syntax::ChildOfType(statement, "identifier");  // TS `export = Foo`
    is_default = !ts_node_is_null(value);
  }
  if (!ts_node_is_null(value)) {
    TSNode name = Is(value, "identifier") ? value : Field(value, "name");
    x.AddExport(ts_node_is_null(name) ? "default" : Str(x, name), "", true, "", statement);
    return;
  }
  TSNode clause = syntax::ChildOfType(statement, "export_clause");
  if (ts_node_is_null(clause)) {  // export * from "x"; export * as ns from "x"
    TSNode ns = syntax::ChildOfType(statement, "namespace_export");
    std::string alias =
        ts_node_is_null(ns) ? "" : syntax::Unquote(x.Text(syntax::NamedChild(ns, 0)));
    x.AddExport("*", alias, false, from, statement);
    return;
  }
  for (TSNode spec : NamedChildren(clause)) {
    if (!Is(spec, "export_specifier")) continue;
    TSNode alias = Field(spec, "alias");
    std::string alias_text = ts_node_is_null(alias) ? "" : syntax::Unquote(x.Text(alias));
    x.AddExport(syntax::Unquote(x.Text(Field(spec, "name"))), alias_text, alias_text == "default",
                from, spec);
  }
}

bool ModuleCall(Extractor& x, TSNode call) {
  TSNode function = Field(call, "function");
  bool dynamic = Is(function, "import");
  if (!dynamic && x.Text(function) != "require") return false;
  TSNode arguments = Field(call, "arguments");
  TSNode first = syntax::NamedChild(arguments, 0);
  if (syntax::NamedChildCount(arguments) != 1 || !IsStaticString(first)) return dynamic;
  x.AddImport(syntax::Unquote(x.Text(first)), "", "", call);
  return true;
}

bool RequireDeclarator(Extractor& x, TSNode declarator) {
  TSNode value = Field(declarator, "value");
  if (!Is(value, "call_expression") || x.Text(Field(value, "function")) != "require") {
    return false;
  }
  TSNode first = syntax::NamedChild(Field(value, "arguments"), 0);
  if (!IsStaticString(first)) return false;
  std::string module = syntax::Unquote(x.Text(first));
  TSNode name = Field(declarator, "name");
  if (Is(name, "identifier")) {
    x.AddImport(module, "", Str(x, name), declarator);
    return true;
  }
  if (!Is(name, "object_pattern")) return false;
  for (TSNode part : NamedChildren(name)) {  // const {a, b: c} = require("m")
    if (Is(part, "shorthand_property_identifier_pattern")) {
      x.AddImport(module, Str(x, part), "", declarator);
    } else if (Is(part, "pair_pattern")) {
      x.AddImport(module, Str(x, Field(part, "key")), Str(x, Field(part, "value")), declarator);
    }
  }
  return true;
}

void CommonJsExport(Extractor& x, TSNode assignment) {
  std::string_view left = x.Text(Field(assignment, "left"));
  TSNode right = Field(assignment, "right");
  if (left == "module.exports") {
    if (Is(right, "identifier")) return x.AddExport(Str(x, right), "", true, "", assignment);
    if (!Is(right, "object")) return x.AddExport("default", "", true, "", assignment);
    for (TSNode property : NamedChildren(right)) {
      if (Is(property, "shorthand_property_identifier")) {
        x.AddExport(Str(x, property), "", false, "", property);
      } else if (Is(property, "pair") || Is(property, "method_definition")) {
        TSNode key = Field(property, Is(property, "pair") ? "key" : "name");
        x.AddExport(syntax::Unquote(x.Text(key)), "", false, "", property);
      }
    }
    return;
  }
  for (std::string_view prefix : {"module.exports.", "exports."}) {
    if (left.starts_with(prefix)) {
      x.AddExport(std::string(left.substr(prefix.size())), "", false, "", assignment);
      return;
    }
  }
}

}  // namespace docrunch::scan::ecma
