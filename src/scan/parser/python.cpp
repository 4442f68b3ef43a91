// Python: imports (absolute, relative, aliased, wildcard), `__all__` as
// exports, functions and methods with signature and docstring, classes with
// bases, calls, and ORM models (SQLAlchemy, Django) as schemas.
#include <string>
#include <vector>

#include "scan/parser/extractor.h"

namespace docrunch::scan {
namespace {

using syntax::Field;
using syntax::Is;
using syntax::Null;

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
  using Extractor::Extractor;

  bool Enter(TSNode node) {
    if (Is(node, "import_statement")) return Import(node), false;
    if (Is(node, "import_from_statement") || Is(node, "future_import_statement")) {
      return ImportFrom(node), false;
    }
    if (Is(node, "decorated_definition")) {
      Wrap(node, Field(node, "definition"), syntax::DocStyle::kAny);  // lines from the decorator
      return true;
    }
    if (Is(node, "function_definition")) return Function(node), true;
    if (Is(node, "class_definition")) return Class(node), true;
    if (Is(node, "call")) AddCall(node, Text(Field(node, "function")));
    if (Is(node, "assignment") || Is(node, "augmented_assignment")) AllNames(node);
    return true;
  }
  void Leave(TSNode node) { scopes_.PopIf(node); }

 private:
  void Import(TSNode node) {
    for (TSNode name : syntax::NamedChildren(node)) {
      if (Is(name, "aliased_import")) {
        AddImport(std::string(Text(Field(name, "name"))), "",
                  std::string(Text(Field(name, "alias"))), node);
      } else if (Is(name, "dotted_name")) {
        AddImport(std::string(Text(name)), "", "", node);
      }
    }
  }

  void ImportFrom(TSNode node) {
    TSNode module = Field(node, "module_name");
    std::string from = Null(module) ? "__future__" : std::string(Text(module));
    for (TSNode name : syntax::NamedChildren(node)) {
      if (!Null(module) && ts_node_eq(name, module)) continue;
      if (Is(name, "aliased_import")) {
        AddImport(from, std::string(Text(Field(name, "name"))),
                  std::string(Text(Field(name, "alias"))), node);
      } else if (Is(name, "dotted_name")) {
        AddImport(from, std::string(Text(name)), "", node);
      } else if (Is(name, "wildcard_import")) {
        AddImport(from, "*", "", node);
      }
    }
  }

  void Function(TSNode node) {
    SymbolKind kind = scopes_.InType() ? SymbolKind::kMethod : SymbolKind::kFunction;
    int index = OpenSymbol(kind, Text(Field(node, "name")), node, syntax::ScopeKind::kFunction);
    TSNode body = Field(node, "body");
    symbol(index).signature = syntax::Signature(node, node, body, source_);
    symbol(index).docstring = Docstring(body);
  }

  void Class(TSNode node) {
    int index =
        OpenSymbol(SymbolKind::kClass, Text(Field(node, "name")), node, syntax::ScopeKind::kType);
    Symbol& cls = symbol(index);
    TSNode body = Field(node, "body");
    cls.signature = syntax::Signature(node, node, body, source_);
    cls.docstring = Docstring(body);
    TSNode superclasses = Field(node, "superclasses");
    if (!Null(superclasses)) {
      for (TSNode base : syntax::NamedChildren(superclasses)) {
        if (Is(base, "keyword_argument") || Is(base, "comment")) continue;  // metaclass=...
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
      if (Is(statement, "comment")) continue;
      if (!Is(statement, "expression_statement") || syntax::NamedChildCount(statement) != 1) {
        return "";
      }
      TSNode value = syntax::NamedChild(statement, 0);
      return Is(value, "string") ? syntax::CleanDoc(syntax::Unquote(Text(value))) : "";
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
      if (!Is(statement, "expression_statement") || !Is(assignment, "assignment")) continue;
      std::string name(Text(Field(assignment, "left")));
      TSNode right = Field(assignment, "right");
      TSNode type = Field(assignment, "type");
      sqlalchemy |= name == "__tablename__";
      if (Null(right)) {
        if (!Null(type) && Text(type).starts_with("Mapped[")) columns.push_back(name);
        continue;
      }
      if (!Is(right, "call")) continue;
      std::string callee = syntax::CalleeName(Text(Field(right, "function")));
      if (IsSqlAlchemyColumn(callee)) columns.push_back(name);
      if (IsDjangoField(callee)) django_fields.push_back(name);
    }
    if (django) model = {"django", std::move(django_fields)};
    if (sqlalchemy) model = {"sqlalchemy", std::move(columns)};
    return model;
  }

  // `__all__ = [...]` / `__all__ += (...)` at module level.
  void AllNames(TSNode node) {
    if (!scopes_.stack().empty() || Text(Field(node, "left")) != "__all__") return;
    TSNode right = Field(node, "right");
    if (!Is(right, "list") && !Is(right, "tuple")) return;
    for (TSNode item : syntax::NamedChildren(right)) {
      if (Is(item, "string")) AddExport(syntax::Unquote(Text(item)), "", false, "", item);
    }
  }
};

}  // namespace

void ExtractPython(TSNode root, const syntax::Source& source, ParsedFile& out) {
  PythonExtractor extractor(source, out);
  syntax::Walk(root, extractor);
}

}  // namespace docrunch::scan
