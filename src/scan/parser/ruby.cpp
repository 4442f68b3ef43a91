// Ruby: `require`/`require_relative`/`load` as imports (require_relative
// paths made explicit as "./path"), classes (superclass, then modules
// mixed in with include/extend/prepend, as `bases`), modules (detail
// "module"), methods and singleton methods ("Class.method"), calls with a
// receiver or arguments (a bare word is indistinguishable from a local
// variable), and the `#` comments directly above as docs.
#include <string>

#include "scan/parser/extractor.h"

namespace docrunch::scan {
namespace {

using syntax::DocStyle;
using syntax::Field;
using syntax::Is;
using syntax::ScopeKind;

// "A::B" -> "A.B".
std::string Dotted(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name.substr(i, 2) == "::") {
      out += '.';
      ++i;
    } else {
      out += name[i];
    }
  }
  return out;
}

class RubyExtractor : public Extractor {
 public:
  using Extractor::Extractor;

  bool Enter(TSNode node) {
    if (Is(node, "comment")) return comments_.Add(node, source_), false;
    if (Is(node, "class")) return Type(node, "class"), true;
    if (Is(node, "module")) return Type(node, "module"), true;
    if (Is(node, "method") || Is(node, "singleton_method")) return Method(node), true;
    if (Is(node, "call")) Call(node);
    return true;
  }
  void Leave(TSNode node) { scopes_.PopIf(node); }

 private:
  static constexpr DocStyle kDoc = DocStyle::kAny;

  void Type(TSNode node, const char* detail) {
    std::string written = Dotted(Text(Field(node, "name")));
    int index = AddSymbol(SymbolKind::kClass, syntax::LastSegment(written), node);
    Symbol& symbol = this->symbol(index);
    symbol.qualified_name = scopes_.Qualify(written);
    symbol.detail = detail;
    symbol.signature = syntax::Signature(node, node, Field(node, "body"), source_);
    symbol.docstring = DocFor(node, kDoc);
    TSNode superclass = Field(node, "superclass");
    if (!ts_node_is_null(superclass))
      symbol.bases.emplace_back(Text(syntax::NamedChild(superclass, 0)));
    scopes_.Push(node, symbol.qualified_name, ScopeKind::kType, index);
  }

  void Method(TSNode node) {
    SymbolKind kind = scopes_.InType() || Is(node, "singleton_method") ? SymbolKind::kMethod
                                                                       : SymbolKind::kFunction;
    int index = OpenSymbol(kind, Text(Field(node, "name")), node, ScopeKind::kFunction);
    TSNode parameters = Field(node, "parameters");
    TSNode end = ts_node_is_null(parameters) ? Field(node, "name") : parameters;
    symbol(index).signature = syntax::CollapseWhitespace(
        source_.Between(ts_node_start_byte(node), ts_node_end_byte(end)));
    symbol(index).docstring = DocFor(node, kDoc);
  }

  void Call(TSNode node) {
    TSNode receiver = Field(node, "receiver");
    std::string_view method = Text(Field(node, "method"));
    TSNode arguments = Field(node, "arguments");
    if (ts_node_is_null(receiver) && Import(node, method, arguments)) return;
    if (ts_node_is_null(receiver) && Mixin(method, arguments)) return;
    std::string callee(method);
    if (!ts_node_is_null(receiver)) callee = std::string(Text(receiver)) + "." + callee;
    AddCall(node, callee);
  }

  bool Import(TSNode node, std::string_view method, TSNode arguments) {
    if (method != "require" && method != "require_relative" && method != "load") return false;
    TSNode first = syntax::NamedChild(arguments, 0);
    if (!Is(first, "string") || syntax::NamedChildCount(first) > 1) return false;
    std::string path = syntax::Unquote(Text(first));
    if (method == "require_relative" && !path.starts_with(".")) path = "./" + path;
    AddImport(std::move(path), "", "", node);
    return true;
  }

  // `include Comparable` directly in a class or module body.
  bool Mixin(std::string_view method, TSNode arguments) {
    if (method != "include" && method != "extend" && method != "prepend") return false;
    const syntax::Scope* top = scopes_.Top();
    if (top == nullptr || top->kind != ScopeKind::kType || top->symbol < 0) return false;
    for (TSNode argument : syntax::NamedChildren(arguments)) {
      symbol(top->symbol).bases.emplace_back(Text(argument));
    }
    return true;
  }
};

}  // namespace

void ExtractRuby(TSNode root, const syntax::Source& source, ParsedFile& out) {
  RubyExtractor extractor(source, out);
  syntax::Walk(root, extractor);
}

}  // namespace docrunch::scan
