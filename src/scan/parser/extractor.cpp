#include "scan/parser/extractor.h"

#include <utility>

namespace docrunch::scan {

int Extractor::AddSymbol(SymbolKind kind, std::string_view name, TSNode node) {
  out_.symbols.push_back(syntax::MakeSymbol(kind, name, scopes_.Qualify(name), node));
  // The symbol's lines include its decorators, `export`, `template <...>`.
  auto wrapper = wrappers_.find(node.id);
  if (wrapper != wrappers_.end())
    out_.symbols.back().start_line = syntax::Line(wrapper->second.node);
  return static_cast<int>(out_.symbols.size()) - 1;
}

int Extractor::OpenSymbol(SymbolKind kind, std::string_view name, TSNode node,
                          syntax::ScopeKind scope) {
  int index = AddSymbol(kind, name, node);
  scopes_.Push(node, symbol(index).qualified_name, scope, index);
  return index;
}

void Extractor::AddCall(TSNode node, std::string_view callee_text) {
  std::string callee = syntax::CalleeName(callee_text);
  if (callee.empty()) return;
  out_.calls.push_back(Call{scopes_.Caller(), std::move(callee), syntax::Line(node)});
}

void Extractor::AddImport(std::string module, std::string name, std::string alias, TSNode node) {
  out_.imports.push_back(Import{std::move(module), std::move(name), std::move(alias),
                                syntax::Line(node), syntax::EndLine(node)});
}

void Extractor::AddExport(std::string name, std::string alias, bool is_default, std::string source,
                          TSNode node) {
  out_.exports.push_back(
      Export{std::move(name), std::move(alias), is_default, std::move(source), syntax::Line(node)});
}

void Extractor::Wrap(TSNode wrapper, TSNode inner, syntax::DocStyle style) {
  if (ts_node_is_null(inner)) return;
  // A wrapper inside a wrapper (`export const f = ...`) passes on its own.
  auto outer = wrappers_.find(wrapper.id);
  if (outer != wrappers_.end()) {
    wrappers_[inner.id] = outer->second;
    return;
  }
  wrappers_[inner.id] = Wrapper{wrapper, comments_.Above(wrapper, source_, style)};
}

std::string Extractor::DocFor(TSNode node, syntax::DocStyle style) const {
  auto it = wrappers_.find(node.id);
  if (it != wrappers_.end()) return it->second.doc;
  return comments_.Above(node, source_, style);
}

TSNode Extractor::SignatureStart(TSNode node) const {
  auto it = wrappers_.find(node.id);
  return it == wrappers_.end() ? node : it->second.node;
}

}  // namespace docrunch::scan
