// SQL: CREATE TABLE and CREATE [MATERIALIZED] VIEW as schemas (detail
// "table" / "view"); fields are the column definitions in order, or for a
// view (and CREATE TABLE ... AS SELECT) the select list's output names. The
// `--` or `/* */` comment directly above is the doc. Names are as written,
// schema-qualified when they are ("public.users"), quotes removed.
#include <string>
#include <vector>

#include "scan/parser/extractor.h"

namespace docrunch::scan {
namespace {

using syntax::DocStyle;
using syntax::Field;
using syntax::Is;

std::string Identifier(std::string_view text) {
  if (text.size() >= 2 && (text.front() == '`' || text.front() == '[')) {
    return std::string(text.substr(1, text.size() - 2));
  }
  return syntax::Unquote(text);
}

// "public"."users" -> public.users
std::string QualifiedName(TSNode reference, const syntax::Source& source) {
  std::string name;
  for (TSNode part : syntax::NamedChildren(reference)) {
    if (Is(part, "comment")) continue;
    if (!name.empty()) name += '.';
    name += Identifier(source.Text(part));
  }
  return name;
}

class SqlExtractor : public Extractor {
 public:
  using Extractor::Extractor;

  bool Enter(TSNode node) {
    if (Is(node, "comment") || Is(node, "marginalia")) return comments_.Add(node, source_), false;
    if (Is(node, "statement")) {
      Wrap(node, syntax::NamedChild(node, 0), DocStyle::kAny);
      return true;
    }
    if (Is(node, "create_table")) return Schema(node, "table"), false;
    if (Is(node, "create_view") || Is(node, "create_materialized_view")) {
      return Schema(node, "view"), false;
    }
    return true;
  }
  void Leave(TSNode) {}

 private:
  void Schema(TSNode node, const char* detail) {
    TSNode reference = syntax::ChildOfType(node, "object_reference");
    if (ts_node_is_null(reference)) return;
    int index = AddSymbol(SymbolKind::kSchema, Identifier(Text(Field(reference, "name"))), node);
    Symbol& symbol = this->symbol(index);
    symbol.qualified_name = QualifiedName(reference, source_);
    symbol.detail = detail;
    TSNode columns = syntax::ChildOfType(node, "column_definitions");
    TSNode query = syntax::ChildOfType(node, "create_query");
    TSNode body = ts_node_is_null(columns) ? query : columns;
    symbol.signature = syntax::Signature(node, node, body, source_);
    symbol.docstring = DocFor(node, DocStyle::kAny);
    if (!ts_node_is_null(columns)) {
      for (TSNode column : syntax::NamedChildren(columns)) {
        if (Is(column, "column_definition")) {
          symbol.fields.push_back(Identifier(Text(Field(column, "name"))));
        }
      }
    } else {
      symbol.fields = SelectNames(query);
    }
  }

  // The output names of a query's first select list: aliases, else plain
  // column names, "*" for star.
  std::vector<std::string> SelectNames(TSNode query) {
    TSNode select = syntax::ChildOfType(query, "select");
    std::vector<std::string> names;
    for (TSNode term : syntax::NamedChildren(syntax::ChildOfType(select, "select_expression"))) {
      TSNode alias = Field(term, "alias");
      TSNode value = Field(term, "value");
      if (!ts_node_is_null(alias)) {
        names.push_back(Identifier(Text(alias)));
      } else if (Is(value, "field")) {
        names.push_back(Identifier(Text(Field(value, "name"))));
      } else if (Is(value, "all_fields")) {
        names.emplace_back("*");
      }
    }
    return names;
  }
};

}  // namespace

void ExtractSql(TSNode root, const syntax::Source& source, ParsedFile& out) {
  SqlExtractor extractor(source, out);
  syntax::Walk(root, extractor);
}

}  // namespace docrunch::scan
