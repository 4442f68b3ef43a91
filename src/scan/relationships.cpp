// Building the relationship graph from parsed files: each file gets a scope
// (what its names refer to, through its own definitions and its imports),
// and calls, bases and component uses are resolved in that scope.
#include <map>
#include <set>

#include "core/text.h"
#include "scan/analyzer.h"

namespace docrunch::scan {
namespace {

std::string SymbolNode(const std::string& path, const std::string& qualified) {
  return path + "#" + qualified;
}

struct FileIndex {
  std::set<std::string> defined;  // qualified names defined in the file
  std::string default_export;     // local name of `export default X`
};

class Scope {
 public:
  Scope(const FileFacts& file, const std::map<std::string, FileIndex>& index,
        const ImportResolver& resolver)
      : file_(file), index_(index) {
    for (const auto& import : file.parsed.imports) Bind(import, resolver);
  }

  // The node a name written in `context` (a qualified caller name) refers
  // to: "f", "self.m", "mod.f", "Class.method", "ns.Component".
  std::optional<std::string> Resolve(const std::string& written, const std::string& context) const {
    const std::string& path = file_.path;
    const FileIndex& own = index_.at(path);
    auto dot = written.find('.');
    if (dot == std::string::npos) {
      if (auto it = names_.find(written); it != names_.end()) return it->second;
      if (own.defined.count(written)) return SymbolNode(path, written);
      // A sibling method called without a receiver (Ruby, Java, C++ members).
      std::string cls = ClassOf(context);
      if (!cls.empty() && own.defined.count(cls + "." + written)) {
        return SymbolNode(path, cls + "." + written);
      }
      return std::nullopt;
    }
    std::string head = written.substr(0, dot), rest = written.substr(dot + 1);
    if (head == "self" || head == "this" || head == "cls") {
      std::string cls = ClassOf(context);
      if (!cls.empty() && own.defined.count(cls + "." + rest))
        return SymbolNode(path, cls + "." + rest);
      return std::nullopt;
    }
    // The longest module alias that prefixes the name: "os.path.join".
    for (auto end = written.rfind('.'); end != std::string::npos && end > 0;
         end = written.rfind('.', end - 1)) {
      auto it = modules_.find(written.substr(0, end));
      if (it == modules_.end()) continue;
      std::string member = written.substr(end + 1);
      const auto& target = index_.find(it->second);
      if (target != index_.end() && target->second.defined.count(member)) {
        return SymbolNode(it->second, member);
      }
      return std::nullopt;
    }
    if (own.defined.count(written)) return SymbolNode(path, written);  // Class.method
    if (auto it = names_.find(head); it != names_.end()) {
      // An imported class used with a member: "Base.method".
      auto hash = it->second.find('#');
      if (hash != std::string::npos) {
        std::string target_file = it->second.substr(0, hash);
        std::string qualified = it->second.substr(hash + 1) + "." + rest;
        auto target = index_.find(target_file);
        if (target != index_.end() && target->second.defined.count(qualified)) {
          return SymbolNode(target_file, qualified);
        }
      }
    }
    return std::nullopt;
  }

  // An unresolved name that came from an external import: "ext:module.name".
  std::optional<std::string> External(const std::string& written) const {
    std::string head = written.substr(0, written.find('.'));
    if (auto it = externals_.find(head); it != externals_.end()) {
      return "ext:" + it->second + written.substr(head.size());
    }
    return std::nullopt;
  }

 private:
  static std::string ClassOf(const std::string& context) {
    auto dot = context.rfind('.');
    return dot == std::string::npos ? "" : context.substr(0, dot);
  }

  void Bind(const Import& import, const ImportResolver& resolver) {
    Language language = file_.parsed.language;
    auto target = resolver.Resolve(file_.path, language, import);
    bool python = language == Language::kPython;
    if (!target) {
      std::string local = !import.alias.empty() ? import.alias
                          : !import.name.empty() && import.name != "*" && import.name != "default"
                              ? import.name
                              : Split(import.module, '.').front();
      std::string full = import.name.empty() || import.name == "default" || import.name == "*"
                             ? import.module
                             : import.module + "." + import.name;
      if (!local.empty()) externals_.emplace(local, full);
      return;
    }
    const FileIndex& target_index = index_.at(*target);
    if (import.name.empty() || import.name == "*") {
      // A module bound as a whole: `import a.b`, `import a.b as m`, `import * as ns`.
      std::string local = !import.alias.empty() ? import.alias : import.module;
      if (!local.empty()) modules_[local] = *target;
      return;
    }
    std::string local = import.alias.empty() ? import.name : import.alias;
    if (import.name == "default") {
      names_[local] = target_index.default_export.empty()
                          ? *target
                          : SymbolNode(*target, target_index.default_export);
    } else if (target_index.defined.count(import.name)) {
      names_[local] = SymbolNode(*target, import.name);
    } else if (python) {
      modules_[local] = *target;  // `from pkg import submodule`
    } else {
      names_[local] = *target;
    }
  }

  const FileFacts& file_;
  const std::map<std::string, FileIndex>& index_;
  std::map<std::string, std::string> names_;      // local name -> node
  std::map<std::string, std::string> modules_;    // local module name -> file
  std::map<std::string, std::string> externals_;  // local name -> external module path
};

void AddFileEdges(const FileFacts& file, const Scope& scope, const ImportResolver& resolver,
                  std::set<Relationship>& out) {
  const std::string& path = file.path;
  const ParsedFile& parsed = file.parsed;
  for (const auto& import : parsed.imports) {
    auto target = resolver.Resolve(path, parsed.language, import);
    if (target && *target == path) continue;
    out.insert({path, target ? *target : "ext:" + import.module, "imports", "{}"});
  }
  std::set<std::string> defined;
  for (const auto& s : parsed.symbols) defined.insert(s.qualified_name);
  for (const auto& e : parsed.exports) {
    if (!e.source.empty()) {
      auto target =
          resolver.Resolve(path, parsed.language, Import{e.source, e.name, "", e.line, e.line});
      out.insert({path, target ? *target : "ext:" + e.source, "exports",
                  R"({"reexport":")" + e.name + "\"}"});
    } else if (defined.count(e.name)) {
      out.insert(
          {path, SymbolNode(path, e.name), "exports", e.is_default ? R"({"default":true})" : "{}"});
    }
  }
  for (const auto& call : parsed.calls) {
    auto target = scope.Resolve(call.callee, call.caller);
    if (!target) continue;
    std::string source = call.caller.empty() ? path : SymbolNode(path, call.caller);
    out.insert({source, *target, "calls", "{}"});
  }
  for (const auto& s : parsed.symbols) {
    if (s.kind != SymbolKind::kClass && s.kind != SymbolKind::kComponent &&
        s.kind != SymbolKind::kSchema) {
      continue;
    }
    std::string source = SymbolNode(path, s.qualified_name);
    for (const auto& [list, type] :
         {std::pair{&s.bases, "inherits"}, {&s.implements, "implements"}}) {
      for (const auto& base : *list) {
        auto target = scope.Resolve(base, s.qualified_name);
        if (!target) target = scope.External(base);
        if (target) out.insert({source, *target, type, "{}"});
      }
    }
  }
  for (const auto& use : parsed.uses) {
    auto target = scope.Resolve(use.used, use.user);
    if (!target) continue;
    out.insert({use.user.empty() ? path : SymbolNode(path, use.user), *target, "uses", "{}"});
  }
}

}  // namespace

std::vector<Relationship> Analyze(const std::vector<FileFacts>& files,
                                  const ProjectFiles& project) {
  std::vector<std::string> paths;
  std::map<std::string, FileIndex> index;
  for (const auto& file : files) {
    paths.push_back(file.path);
    FileIndex& entry = index[file.path];
    for (const auto& s : file.parsed.symbols) entry.defined.insert(s.qualified_name);
    for (const auto& e : file.parsed.exports) {
      if (e.is_default && e.source.empty()) entry.default_export = e.name;
    }
  }
  ImportResolver resolver(paths, project);
  std::set<Relationship> out;
  for (const auto& file : files) {
    Scope scope(file, index, resolver);
    AddFileEdges(file, scope, resolver, out);
  }
  // The store keeps one edge per (source, target, type); of edges differing
  // only in metadata (`export {a} from './x'` next to `export {b} from './x'`)
  // the first in sort order stays, which prefers {"default":true} over {} and
  // a star re-export over named ones.
  std::vector<Relationship> unique;
  for (const auto& r : out) {
    if (!unique.empty() && unique.back().source == r.source && unique.back().target == r.target &&
        unique.back().type == r.type) {
      continue;
    }
    unique.push_back(r);
  }
  return unique;
}

}  // namespace docrunch::scan
