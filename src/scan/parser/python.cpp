// Python: imports (absolute, relative, aliased, wildcard), `__all__` as
// exports, functions and methods with signature and docstring, classes with
// bases, calls, and ORM models (SQLAlchemy, Django) as schemas.
#include <string>
#include <vector>

#include "scan/parser/extractor.h"

namespace docrunch::scan {
namespace {

using syntax::Null;

// The node types and fields the extractor tests, as indexes into the
// grammar's id table (Ids()); the orders of the enums and of the name lists
// there match.
enum Type : int {
  kImportStatement,
  kImportFromStatement,
  kFutureImportStatement,
  kDecoratedDefinition,
  kFunctionDefinition,
  kClassDefinition,
  kCall,
  kAssignment,
  kAugmentedAssignment,
  kAliasedImport,
  kDottedName,
  kWildcardImport,
  kKeywordArgument,
  kComment,
  kExpressionStatement,
  kString,
  kList,
  kTuple,
};
enum FieldName : std::size_t {
  kFieldDefinition,
  kFieldName,
  kFieldAlias,
  kFieldModuleName,
  kFieldBody,
  kFieldSuperclasses,
  kFieldFunction,
  kFieldLeft,
  kFieldRight,
  kFieldType,
};

// Built on the first Python tree (ExtractPython only ever gets Python's).
const syntax::GrammarIds& Ids(const TSLanguage* python) {
  static const syntax::GrammarIds ids(
      python,
      {"import_statement", "import_from_statement", "future_import_statement",
       "decorated_definition", "function_definition", "class_definition", "call", "assignment",
       "augmented_assignment", "aliased_import", "dotted_name", "wildcard_import",
       "keyword_argument", "comment", "expression_statement", "string", "list", "tuple"},
      {"definition", "name", "alias", "module_name", "body", "superclasses", "function", "left",
       "right", "type"});
  return ids;
}

struct OrmModel {
  std::string detail;  // "sqlalchemy", "django", or "" when not a model
  std::vector<std::string> fields;
};

bool IsSqlAlchemyColumn(std::string_view callee) {
  std::string_view last = syntax::LastSegment(callee);
  return last == "Column" || last == "mapped_column";
}

bool IsDjangoField(std::string_view callee) {
  if (callee.substr(0, 7) != "models.") return false;
  std::string_view last = syntax::LastSegment(callee);
  return last.ends_with("Field") || last == "ForeignKey";
}

class PythonExtractor : public Extractor {
 public:
  PythonExtractor(const syntax::GrammarIds& ids, const syntax::Source& source, ParsedFile& out)
      : Extractor(source, out), ids_(ids) {}

  bool Enter(TSNode node) {
    switch (ids_.Type(node)) {
      case kImportStatement:
        return Import(node), false;
      case kImportFromStatement:
      case kFutureImportStatement:
        return ImportFrom(node), false;
      case kDecoratedDefinition:  // lines from the decorator
        Wrap(node, Field(node, kFieldDefinition), syntax::DocStyle::kAny);
        return true;
      case kFunctionDefinition:
        return Function(node), true;
      case kClassDefinition:
        return Class(node), true;
      case kCall:
        AddCall(node, Text(Field(node, kFieldFunction)));
        Deprecation(node);
        return true;
      case kAssignment:
      case kAugmentedAssignment:
        AllNames(node);
        return true;
      default:
        return true;
    }
  }
  void Leave(TSNode node) { scopes_.PopIf(node); }

 private:
  bool Is(TSNode node, Type type) const { return ids_.Type(node) == type; }
  TSNode Field(TSNode node, FieldName field) const { return ids_.Field(node, field); }

  void Import(TSNode node) {
    for (TSNode name : syntax::NamedChildren(node)) {
      if (Is(name, kAliasedImport)) {
        AddImport(std::string(Text(Field(name, kFieldName))), "",
                  std::string(Text(Field(name, kFieldAlias))), node);
      } else if (Is(name, kDottedName)) {
        AddImport(std::string(Text(name)), "", "", node);
      }
    }
  }

  void ImportFrom(TSNode node) {
    TSNode module = Field(node, kFieldModuleName);
    std::string from = Null(module) ? "__future__" : std::string(Text(module));
    for (TSNode name : syntax::NamedChildren(node)) {
      if (!Null(module) && ts_node_eq(name, module)) continue;
      if (Is(name, kAliasedImport)) {
        AddImport(from, std::string(Text(Field(name, kFieldName))),
                  std::string(Text(Field(name, kFieldAlias))), node);
      } else if (Is(name, kDottedName)) {
        AddImport(from, std::string(Text(name)), "", node);
      } else if (Is(name, kWildcardImport)) {
        AddImport(from, "*", "", node);
      }
    }
  }

  void Function(TSNode node) {
    SymbolKind kind = scopes_.InType() ? SymbolKind::kMethod : SymbolKind::kFunction;
    int index = OpenSymbol(kind, Text(Field(node, kFieldName)), node, syntax::ScopeKind::kFunction);
    TSNode body = Field(node, kFieldBody);
    symbol(index).signature = syntax::Signature(node, node, body, source_);
    symbol(index).docstring = Docstring(body);
  }

  void Class(TSNode node) {
    int index = OpenSymbol(SymbolKind::kClass, Text(Field(node, kFieldName)), node,
                           syntax::ScopeKind::kType);
    Symbol& cls = symbol(index);
    TSNode body = Field(node, kFieldBody);
    cls.signature = syntax::Signature(node, node, body, source_);
    cls.docstring = Docstring(body);
    TSNode superclasses = Field(node, kFieldSuperclasses);
    if (!Null(superclasses)) {
      for (TSNode base : syntax::NamedChildren(superclasses)) {
        if (Is(base, kKeywordArgument) || Is(base, kComment)) continue;  // metaclass=...
        cls.bases.emplace_back(Text(base));
      }
    }
    OrmModel model = Model(cls.bases, body);
    if (!model.detail.empty()) {
      cls.kind = SymbolKind::kSchema;
      cls.detail = std::move(model.detail);
      cls.fields = std::move(model.fields);
    }
  }

  // The first statement of a body when it is a lone string literal.
  std::string Docstring(TSNode body) {
    if (Null(body)) return "";
    for (TSNode statement : syntax::NamedChildren(body)) {
      if (Is(statement, kComment)) continue;
      if (!Is(statement, kExpressionStatement) || syntax::NamedChildCount(statement) != 1) {
        return "";
      }
      TSNode value = syntax::NamedChild(statement, 0);
      return Is(value, kString) ? syntax::CleanDoc(syntax::Unquote(Text(value))) : "";
    }
    return "";
  }

  // SQLAlchemy: `__tablename__` or a declarative base; columns are
  // Column()/mapped_column() attributes and bare `x: Mapped[T]` annotations.
  // Django: a models.Model subclass; fields are `x = models.XField(...)`.
  OrmModel Model(const std::vector<std::string>& bases, TSNode body) {
    bool django = false, sqlalchemy = false;
    for (const auto& base : bases) {
      django |= base == "models.Model";
      sqlalchemy |= base == "Base" || base == "db.Model";
    }
    OrmModel model;
    std::vector<std::string> columns, django_fields;
    for (TSNode statement : syntax::NamedChildren(body)) {
      TSNode assignment = syntax::NamedChild(statement, 0);
      if (!Is(statement, kExpressionStatement) || !Is(assignment, kAssignment)) continue;
      std::string name(Text(Field(assignment, kFieldLeft)));
      TSNode right = Field(assignment, kFieldRight);
      TSNode type = Field(assignment, kFieldType);
      sqlalchemy |= name == "__tablename__";
      if (Null(right)) {
        if (!Null(type) && Text(type).starts_with("Mapped[")) columns.push_back(name);
        continue;
      }
      if (!Is(right, kCall)) continue;
      std::string callee = syntax::CalleeName(Text(Field(right, kFieldFunction)));
      if (IsSqlAlchemyColumn(callee)) columns.push_back(name);
      if (IsDjangoField(callee)) django_fields.push_back(name);
    }
    if (django) model = {"django", std::move(django_fields)};
    if (sqlalchemy) model = {"sqlalchemy", std::move(columns)};
    return model;
  }

  // A deprecation warning issued by a statement of the module itself, or
  // of a function's body (not inside an `if`, a loop or a nested block:
  // those warn about one way of calling it): `warnings.warn(msg,
  // DeprecationWarning)` (or PendingDeprecationWarning, as `warn` too) and
  // `warnings._deprecated(__name__, ...)` (or `_deprecated`, imported).
  void Deprecation(TSNode call) {
    const std::string callee = syntax::CalleeName(Text(Field(call, kFieldFunction)));
    const bool warn = callee == "warnings.warn" || callee == "warn";
    if (!warn && callee != "warnings._deprecated" && callee != "_deprecated") return;
    if (warn && Text(call).find("DeprecationWarning") == std::string_view::npos) return;
    TSNode statement = ts_node_parent(call);
    if (Null(statement) || !Is(statement, kExpressionStatement)) return;
    TSNode block = ts_node_parent(statement);
    if (Null(block)) return;
    if (scopes_.stack().empty()) {
      if (Null(ts_node_parent(block))) out_.deprecated = true;  // the module's own
      return;
    }
    // A statement of a function's own body: that function is the innermost
    // scope (a nested definition opens its own).
    TSNode owner = ts_node_parent(block);
    const syntax::Scope* top = scopes_.Top();
    if (Null(owner) || !Is(owner, kFunctionDefinition) ||
        top->kind != syntax::ScopeKind::kFunction || top->symbol < 0) {
      return;
    }
    symbol(top->symbol).deprecated = true;
  }

  // `__all__ = [...]` / `__all__ += (...)` at module level.
  void AllNames(TSNode node) {
    if (!scopes_.stack().empty() || Text(Field(node, kFieldLeft)) != "__all__") return;
    TSNode right = Field(node, kFieldRight);
    if (!Is(right, kList) && !Is(right, kTuple)) return;
    for (TSNode item : syntax::NamedChildren(right)) {
      if (Is(item, kString)) AddExport(syntax::Unquote(Text(item)), "", false, "", item);
    }
  }

  const syntax::GrammarIds& ids_;
};

}  // namespace

void ExtractPython(TSNode root, const syntax::Source& source, ParsedFile& out) {
  PythonExtractor extractor(Ids(ts_node_language(root)), source, out);
  syntax::Walk(root, extractor);
}

}  // namespace docrunch::scan
