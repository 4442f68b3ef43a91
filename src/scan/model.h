// What the scanner and parser learn about a repository, before it is stored.
//
// These plain structs are the contract between the walker (which files),
// the parser (what is in each file), the analyzer (how files relate) and the
// scan service (which stores them). Lines are 1-based and inclusive. Paths
// are relative to the repository root with '/' separators.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docrunch::scan {

enum class Language {
  kUnknown,
  kPython,
  kTypeScript,
  kTsx,
  kJavaScript,  // also .jsx, .mjs, .cjs
  kGo,
  kRust,
  kJava,
  kC,
  kCpp,
  kCSharp,
  kRuby,
  kPhp,
  kBash,
  kCss,
  kScss,
  kSql,
};

// "python", "typescript", "tsx", "javascript", "go", ... ("unknown").
std::string_view LanguageName(Language language);
// The inverse of LanguageName / SymbolKindName: kUnknown / kFunction for a
// name that is none of them.
Language LanguageNamed(std::string_view name);

// The language of a path by its extension (or well-known file name); kUnknown if none.
Language LanguageForPath(std::string_view path);

// The language to parse `content` as: LanguageForPath's answer, except that a
// ".h" header written in C++ (namespaces, templates, access specifiers,
// std::) is C++, not C.
Language RefineLanguage(Language by_path, std::string_view path, std::string_view content);

// One imported name. `import os` -> {module "os"}; `from a.b import c as d`
// -> {module "a.b", name "c", alias "d"}; `from . import x` -> {module ".",
// name "x"} (relative Python imports keep their leading dots); TS/JS
// `import React, {useState as uS} from "react"` -> {module "react", name
// "default", alias "React"} and {module "react", name "useState", alias
// "uS"}; `import * as ns from "./m"` -> {name "*", alias "ns"};
// `import "./side-effect"` -> {module "./side-effect"}; `require("x")` ->
// {module "x"}; `const m = require("x")` -> {module "x", alias "m"};
// `const {a, b: c} = require("x")` -> {module "x", name "a"} and {module
// "x", name "b", alias "c"}. Other languages use `module` for the path as
// written: Go `import f "fmt"` -> {module "fmt", alias "f"}; Rust `use
// a::{b, c as d}` -> {module "a::b", name "b"}, {module "a::c", name "c",
// alias "d"}; Java `import java.util.List` -> {module "java.util.List", name
// "List"}, `import java.io.*` -> {module "java.io", name "*"}; C/C++
// `#include <vector>` -> {module "<vector>"}, `#include "a/b.h"` -> {module
// "a/b.h"}; Ruby `require_relative "x"` -> {module "./x"}.
struct Import {
  std::string module;
  std::string name;
  std::string alias;
  int line = 0;
  int end_line = 0;
};

// One exported name. `export default function App` -> {name "App",
// is_default}; `export {a as b}` -> {name "a", alias "b"}; `export * from
// "./x"` -> {name "*", source "./x"}; `export {y} from "./z"` -> {name "y",
// source "./z"}. Python: names in `__all__`; CommonJS: `module.exports = X`
// -> {name "X", is_default}, `exports.y = ...` -> {name "y"}; Go:
// capitalized top-level functions and types.
struct Export {
  std::string name;
  std::string alias;
  bool is_default = false;
  std::string source;  // re-export: the module it comes from
  int line = 0;
};

enum class SymbolKind {
  kFunction,
  kMethod,
  kClass,      // also structs, interfaces, traits, enums (see `detail`)
  kComponent,  // React component (function or class returning JSX)
  kSchema,     // SQL table/view, ORM model (see `detail`); an ORM model class is
               // reported once, as kSchema (with its bases), not also as kClass
};

std::string_view SymbolKindName(SymbolKind kind);  // "function", "method", ...

// The folder a deprecated module marks as a whole, as a prefix of the paths
// under it: a package's `__init__.py` ("distutils/__init__.py" ->
// "distutils/"; the root's -> ""); nothing for other modules.
std::optional<std::string> PackageFolder(std::string_view module_path);
// Whether `path` is under one of `folders` (PackageFolder's prefixes).
bool UnderAnyFolder(std::string_view path, const std::vector<std::string>& folders);
SymbolKind SymbolKindNamed(std::string_view name);

struct Symbol {
  SymbolKind kind = SymbolKind::kFunction;
  std::string name;
  std::string qualified_name;  // "module.Class.method" style: Class.method within the file
  int start_line = 0;          // includes decorators, `export`, `template <...>`
  int end_line = 0;
  std::string signature;                // the declaration's first line(s) up to the body
  std::string docstring;                // docstring or leading doc comment, trimmed
  std::vector<std::string> bases;       // classes: base classes / implemented interfaces
                                        // (type arguments dropped: "Base<T>" -> "Base")
  std::vector<std::string> implements;  // classes: interfaces (TS/Java/C#) kept apart
  std::string
      detail;  // kind refinement: "interface", "struct", "table", "view", "sqlalchemy", "django"...
  std::vector<std::string> fields;  // schemas: column / field names in order
  // For search: the identifiers and comment words of the symbol's lines,
  // string literals and doc comments left out, each once in first-seen
  // order with "*n" after one seen n > 1 times: "parse url*3 netloc".
  std::string body_terms;
  // Marked deprecated by its own documentation (a JSDoc/Javadoc
  // `@deprecated` tag, a Sphinx `.. deprecated::` directive, a docstring
  // sentence opening with "Deprecated") or, in Python, by a
  // `warnings.warn(..., DeprecationWarning)` among its body's statements.
  bool deprecated = false;
};

// A call as written: callee "foo", "obj.method", "module.func"; argument
// lists inside it are elided ("a.b(x).c()" -> "a.b().c"); `new X()` -> "X".
struct Call {
  std::string caller;  // qualified name of the enclosing function; "" outside functions
  std::string callee;
  int line = 0;
};

// A component used inside another (JSX `<Button/>` in `App`).
struct ComponentUse {
  std::string user;  // qualified name of the enclosing component (else function, else "")
  std::string used;  // element name as written: "Button", "ui.Card"
  int line = 0;
};

struct Diagnostic {
  std::string code;  // PARSE_SYNTAX_ERROR, PARSE_TIMEOUT, PARSE_UNSUPPORTED_LANGUAGE
  std::string message;
  int line = 0;
};

struct ParsedFile {
  Language language = Language::kUnknown;
  std::vector<Import> imports;
  std::vector<Export> exports;
  std::vector<Symbol> symbols;
  std::vector<Call> calls;
  std::vector<ComponentUse> uses;
  std::vector<Diagnostic> diagnostics;
  // The whole module is deprecated: Python, a module-level
  // `warnings.warn(..., DeprecationWarning)` or `warnings._deprecated(...)`.
  // A package's `__init__.py` so marked marks the package (search ranks
  // its files below the rest, search/search.h).
  bool deprecated = false;
};

// Stable JSON forms, used by golden tests and the offline cache.
void to_json(nlohmann::json& j, const ParsedFile& file);
void from_json(const nlohmann::json& j, ParsedFile& file);

}  // namespace docrunch::scan
