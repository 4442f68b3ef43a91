// Module syntax of TypeScript/JavaScript (typescript_modules.cpp), used by the
// walker in typescript.cpp. Internal to src/scan/parser.
#pragma once

#include <tree_sitter/api.h>

#include "scan/parser/extractor.h"

namespace docrunch::scan::ecma {

// `import ... from "m"`, `import "m"`, `import x = require("m")`.
void Import(Extractor& x, TSNode statement);
// Every form of `export ...` (declarations, default, clauses, re-exports).
void Export(Extractor& x, TSNode statement);
// `require("m")` / `import("m")` with a static string: adds the import and
// returns true. True without an import for a dynamic import() of a computed
// name (not a call either); false for any other call.
bool ModuleCall(Extractor& x, TSNode call);
// `const m = require("m")` / `const {a, b: c} = require("m")`: adds the
// imports and returns true; false when the declarator is something else.
bool RequireDeclarator(Extractor& x, TSNode declarator);
// `module.exports = ...`, `exports.x = ...`, `module.exports.x = ...`.
void CommonJsExport(Extractor& x, TSNode assignment);

}  // namespace docrunch::scan::ecma
