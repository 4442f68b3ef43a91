#include "docs/code_pages.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "docs/markdown.h"
#include "scan/graph.h"

namespace docrunch::docs {
namespace {

struct SymbolRow {
  std::string file, kind, name, qualified, signature, docstring, detail;
  int line = 0;
  std::vector<std::string> bases, fields;
};

struct ExportRow {
  std::string file, name, alias, source;
  bool is_default = false;
  int line = 0;
};

struct Model {
  std::map<std::string, std::string> files;  // path -> language
  std::vector<SymbolRow> symbols;            // sorted by file, line
  std::vector<ExportRow> exports;
  std::vector<scan::Relationship> relationships;
};

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string ModuleName(const std::string& dir) {
  return dir.empty() ? "(root)" : dir;
}

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  return line.size() > 120 ? line.substr(0, 117) + "..." : line;
}

// Table cells must not break the table.
std::string Cell(std::string text) {
  for (char& c : text) c = c == '\n' || c == '|' ? ' ' : c;
  return text;
}

std::string Code(std::string_view text) {
  return InlineCode(text);
}
std::string CodeCell(std::string_view text) {
  return InlineCode(text, true);
}

// A JSON array of strings as stored in a column; most symbols have none
// ("[]"), which needs no parser.
std::vector<std::string> StringList(const std::optional<std::string>& json) {
  if (!json || json->empty() || *json == "[]") return {};
  return nlohmann::json::parse(*json).get<std::vector<std::string>>();
}

Result<Model> Load(store::Reader& db, std::int64_t repo) {
  Model m;
  auto files = db.Query("SELECT path, language FROM files WHERE repository_id = $1", {repo});
  if (!files) return files.error();
  for (std::size_t i = 0; i < files->size(); ++i) {
    m.files[*files->Text(i, "path")] = files->Text(i, "language").value_or("");
  }
  auto symbols = db.Query(
      "SELECT f.path, s.kind, s.name, s.qualified_name, s.signature, s.docstring, s.detail, "
      "s.start_line, s.bases, s.fields FROM symbols s JOIN files f ON f.id = s.file_id "
      "WHERE s.repository_id = $1",
      {repo});
  if (!symbols) return symbols.error();
  for (std::size_t i = 0; i < symbols->size(); ++i) {
    SymbolRow s{*symbols->Text(i, "path"),
                *symbols->Text(i, "kind"),
                *symbols->Text(i, "name"),
                *symbols->Text(i, "qualified_name"),
                symbols->Text(i, "signature").value_or(""),
                symbols->Text(i, "docstring").value_or(""),
                symbols->Text(i, "detail").value_or(""),
                static_cast<int>(symbols->Int(i, "start_line").value_or(0))};
    s.bases = StringList(symbols->Text(i, "bases"));
    s.fields = StringList(symbols->Text(i, "fields"));
    m.symbols.push_back(std::move(s));
  }
  std::sort(m.symbols.begin(), m.symbols.end(), [](const SymbolRow& a, const SymbolRow& b) {
    return std::tie(a.file, a.line, a.qualified) < std::tie(b.file, b.line, b.qualified);
  });
  auto exports = db.Query(
      "SELECT f.path, e.name, e.alias, e.source, e.is_default, e.line FROM exports e "
      "JOIN files f ON f.id = e.file_id WHERE e.repository_id = $1",
      {repo});
  if (!exports) return exports.error();
  for (std::size_t i = 0; i < exports->size(); ++i) {
    m.exports.push_back({*exports->Text(i, "path"), *exports->Text(i, "name"),
                         exports->Text(i, "alias").value_or(""),
                         exports->Text(i, "source").value_or(""),
                         exports->Int(i, "is_default").value_or(0) != 0,
                         static_cast<int>(exports->Int(i, "line").value_or(0))});
  }
  std::sort(m.exports.begin(), m.exports.end(), [](const ExportRow& a, const ExportRow& b) {
    return std::tie(a.file, a.line, a.name) < std::tie(b.file, b.line, b.name);
  });
  auto rels = db.Query(
      "SELECT source, target, type, metadata FROM relationships WHERE repository_id = $1", {repo});
  if (!rels) return rels.error();
  for (std::size_t i = 0; i < rels->size(); ++i) {
    m.relationships.push_back({*rels->Text(i, "source"), *rels->Text(i, "target"),
                               *rels->Text(i, "type"), rels->Text(i, "metadata").value_or("{}")});
  }
  std::sort(m.relationships.begin(), m.relationships.end());
  return m;
}

// Module-level import edges: directory -> directories it imports from.
std::map<std::string, std::set<std::string>> ModuleEdges(const Model& m) {
  std::map<std::string, std::set<std::string>> edges;
  for (const auto& r : m.relationships) {
    if (r.type != "imports" || r.target.rfind("ext:", 0) == 0) continue;
    std::string from = DirOf(r.source), to = DirOf(r.target);
    if (from != to) edges[from].insert(to);
  }
  return edges;
}

std::string Mermaid(const std::set<std::string>& nodes,
                    const std::vector<std::pair<std::string, std::string>>& edges) {
  std::map<std::string, std::string> ids;
  std::ostringstream out;
  out << "```mermaid\ngraph LR\n";
  for (const auto& n : nodes) {
    ids[n] = "m" + std::to_string(ids.size());
    std::string label;  // quoted: a '"' is Mermaid's #quot;, a line break a space
    for (char c : ModuleName(n)) {
      label += c == '"' ? std::string("#quot;") : std::string(1, c == '\n' ? ' ' : c);
    }
    out << "  " << ids[n] << "[\"" << label << "\"]\n";
  }
  for (const auto& [a, b] : edges) out << "  " << ids[a] << " --> " << ids[b] << "\n";
  out << "```\n";
  return out.str();
}

class PageSet {
 public:
  explicit PageSet(DocWriter& writer) : writer_(writer) {}
  Result<void> Write(const std::string& path, const std::string& content) {
    auto changed = writer_.Write(path, content);
    if (!changed) return changed.error();
    written_.insert(path);
    changed_ += *changed ? 1 : 0;
    return Ok();
  }
  // Removes generated pages of the given folders that this run did not write.
  Result<void> RemoveStale(const std::vector<std::string>& folders) {
    for (const auto& folder : folders) {
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(writer_.root() / folder, ec)) {
        std::string rel = folder + "/" + entry.path().filename().string();
        if (entry.path().extension() == ".md" && !written_.count(rel))
          DOCRUNCH_TRY(writer_.Remove(rel));
      }
    }
    return Ok();
  }
  int changed() const { return changed_; }
  int total() const { return static_cast<int>(written_.size()); }

 private:
  DocWriter& writer_;
  std::set<std::string> written_;
  int changed_ = 0;
};

std::string IndexPage(const std::string& project, const Model& m,
                      const std::map<std::string, std::vector<std::string>>& modules) {
  std::map<std::string, int> by_language;
  for (const auto& [path, language] : m.files) by_language[language]++;
  std::map<std::string, int> by_kind;
  for (const auto& s : m.symbols) by_kind[s.kind]++;
  std::ostringstream out;
  out << "# " << (project.empty() ? "Project" : project) << "\n\n"
      << kGeneratedNotice << "\n\n"
      << "See [architecture](architecture.md), [patterns](patterns/index.md) and "
         "[schemas](schemas/index.md).\n\n"
      << "| files | functions | methods | classes | components | schemas |\n"
      << "| ---: | ---: | ---: | ---: | ---: | ---: |\n"
      << "| " << m.files.size() << " | " << by_kind["function"] << " | " << by_kind["method"]
      << " | " << by_kind["class"] << " | " << by_kind["component"] << " | " << by_kind["schema"]
      << " |\n\n"
      << "## Languages\n\n| language | files |\n| --- | ---: |\n";
  for (const auto& [language, count] : by_language)
    out << "| " << language << " | " << count << " |\n";
  out << "\n## Modules\n\n| module | files |\n| --- | ---: |\n";
  for (const auto& [dir, files] : modules) {
    out << "| [" << ModuleName(dir) << "](modules/" << ModuleSlug(dir) << ".md) | " << files.size()
        << " |\n";
  }
  return out.str();
}

std::string ArchitecturePage(const Model& m,
                             const std::map<std::string, std::set<std::string>>& edges) {
  std::ostringstream out;
  out << "# Architecture\n\n## Module dependencies\n\n";
  // The busiest modules only, so the diagram stays readable.
  std::map<std::string, int> degree;
  for (const auto& [from, tos] : edges) {
    degree[from] += static_cast<int>(tos.size());
    for (const auto& to : tos) degree[to]++;
  }
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto& [dir, d] : degree) ranked.push_back({-d, dir});
  std::sort(ranked.begin(), ranked.end());
  std::set<std::string> shown;
  for (std::size_t i = 0; i < ranked.size() && i < 40; ++i) shown.insert(ranked[i].second);
  std::vector<std::pair<std::string, std::string>> shown_edges;
  for (const auto& [from, tos] : edges) {
    for (const auto& to : tos) {
      if (shown.count(from) && shown.count(to)) shown_edges.push_back({from, to});
    }
  }
  out << (shown.empty() ? std::string("No dependencies between modules.\n")
                        : Mermaid(shown, shown_edges));
  scan::DependencyGraph graph(m.relationships);
  auto cycles = graph.ImportCycles();
  out << "\n## Import cycles\n\n";
  if (cycles.empty()) out << "None.\n";
  for (const auto& cycle : cycles) {
    out << "-";
    for (const auto& file : cycle) out << " " << Code(file);
    out << "\n";
  }
  std::map<std::string, int> external;
  for (const auto& r : m.relationships) {
    if (r.type == "imports" && r.target.rfind("ext:", 0) == 0) external[r.target.substr(4)]++;
  }
  std::vector<std::pair<int, std::string>> top;
  for (const auto& [name, count] : external) top.push_back({-count, name});
  std::sort(top.begin(), top.end());
  out << "\n## Most used external modules\n\n| module | importing files |\n| --- | ---: |\n";
  for (std::size_t i = 0; i < top.size() && i < 25; ++i) {
    out << "| " << CodeCell(top[i].second) << " | " << -top[i].first << " |\n";
  }
  return out.str();
}

// "snake" (parse_request, _private), "camel" (parseRequest), "pascal"
// (ParseRequest), or "" (one lower-case word, dunder names: no evidence).
std::string NameStyle(const std::string& name) {
  std::size_t start = name.find_first_not_of('_');
  if (start == std::string::npos || name.rfind("__", 0) == 0) return "";
  const std::string core = name.substr(start);
  const bool underscore = core.find('_') != std::string::npos;
  const bool upper =
      std::any_of(core.begin(), core.end(), [](unsigned char c) { return std::isupper(c); });
  const bool lower =
      std::any_of(core.begin(), core.end(), [](unsigned char c) { return std::islower(c); });
  if (underscore) return lower && !upper ? "snake" : "";
  if (upper && lower) return std::isupper(static_cast<unsigned char>(core[0])) ? "pascal" : "camel";
  return "";
}

// A test file by the usual layouts: test_x.py, x_test.py, x_test.go,
// x.test.ts, x.spec.js, or anything under a tests/ or __tests__/ folder.
bool IsTestFile(const std::string& path) {
  const std::string name =
      path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  const std::string stem = name.substr(0, name.find('.'));
  if (("/" + path).find("/tests/") != std::string::npos ||
      ("/" + path).find("/test/") != std::string::npos ||
      ("/" + path).find("/__tests__/") != std::string::npos) {
    return true;
  }
  if (stem.rfind("test_", 0) == 0) return true;
  if (stem.size() > 5 && stem.compare(stem.size() - 5, 5, "_test") == 0) return true;
  return name.find(".test.") != std::string::npos || name.find(".spec.") != std::string::npos;
}

// What the code leans on and how it is written: the most depended-upon
// files and symbols, the most extended base classes, and the naming,
// documentation and test conventions per language.
std::string PatternsPage(const Model& m) {
  std::ostringstream out;
  out << "# Patterns\n\n"
      << "What the code leans on and how it is written, from the last scan. New code should "
         "follow these conventions; run `get_impact` before changing what many depend on.\n";

  // Dependents per internal target, by how they depend on it.
  std::map<std::string, std::set<std::string>> dependents;
  std::map<std::string, std::set<std::string>> how;
  std::map<std::string, std::set<std::string>> subclasses;
  for (const auto& r : m.relationships) {
    if (r.target.empty() || r.target.rfind("ext:", 0) == 0 || r.type == "exports") continue;
    if (r.source == r.target || DirOf(r.source) == r.target) continue;
    const std::string source_file = r.source.substr(0, r.source.find('#'));
    const std::string target_file = r.target.substr(0, r.target.find('#'));
    if (source_file == target_file) continue;  // within a file is not depending on it
    dependents[r.target].insert(source_file);
    how[r.target].insert(r.type);
    if (r.type == "inherits" || r.type == "implements") subclasses[r.target].insert(r.source);
  }
  auto ranked = [](const std::map<std::string, std::set<std::string>>& by_target) {
    std::vector<std::pair<int, std::string>> out;
    for (const auto& [target, sources] : by_target) {
      out.push_back({-static_cast<int>(sources.size()), target});
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  out << "\n## Most depended-upon code\n\n";
  auto top = ranked(dependents);
  if (top.empty())
    out << "Nothing in the repository depends on another file yet.\n";
  else
    out << "| code | dependent files | how |\n| --- | ---: | --- |\n";
  for (std::size_t i = 0; i < top.size() && i < 25; ++i) {
    std::string kinds;
    for (const auto& k : how[top[i].second]) kinds += (kinds.empty() ? "" : ", ") + k;
    out << "| " << CodeCell(top[i].second) << " | " << -top[i].first << " | " << kinds << " |\n";
  }

  out << "\n## Base classes\n\n";
  auto bases = ranked(subclasses);
  if (bases.empty())
    out << "No class in one file extends a class of another.\n";
  else
    out << "| base | subclasses in other files |\n| --- | ---: |\n";
  for (std::size_t i = 0; i < bases.size() && i < 15; ++i) {
    out << "| " << CodeCell(bases[i].second) << " | " << -bases[i].first << " |\n";
  }

  // Naming and docstrings per language, over functions and methods.
  struct Conventions {
    int functions = 0, documented = 0;
    std::map<std::string, int> styles;
    int files = 0, tests = 0;
  };
  std::map<std::string, Conventions> by_language;
  for (const auto& [path, language] : m.files) {
    auto& c = by_language[language];
    ++c.files;
    if (IsTestFile(path)) ++c.tests;
  }
  for (const auto& s : m.symbols) {
    if (s.kind != "function" && s.kind != "method") continue;
    auto language = m.files.find(s.file);
    if (language == m.files.end()) continue;
    auto& c = by_language[language->second];
    ++c.functions;
    if (!s.docstring.empty()) ++c.documented;
    const std::string style = NameStyle(s.name);
    if (!style.empty()) ++c.styles[style];
  }
  out << "\n## Conventions\n\n"
      << "| language | files | test files | functions | with a docstring | function names |\n"
      << "| --- | ---: | ---: | ---: | ---: | --- |\n";
  for (const auto& [language, c] : by_language) {
    std::string names;
    int styled = 0;
    for (const auto& [style, n] : c.styles) styled += n;
    std::vector<std::pair<int, std::string>> styles;
    for (const auto& [style, n] : c.styles) styles.push_back({-n, style});
    std::sort(styles.begin(), styles.end());
    for (const auto& [n, style] : styles) {
      const std::string label = style == "snake"   ? "snake_case"
                                : style == "camel" ? "camelCase"
                                                   : "PascalCase";
      names += (names.empty() ? "" : ", ") + label + " " +
               std::to_string(-n * 100 / std::max(styled, 1)) + "%";
    }
    out << "| " << language << " | " << c.files << " | " << c.tests << " | " << c.functions << " | "
        << (c.functions ? std::to_string(c.documented * 100 / c.functions) + "%" : "-") << " | "
        << (names.empty() ? "-" : names) << " |\n";
  }
  return out.str();
}

// "email/mime" -> "email.mime"; "" -> "_root": letters, digits, '_', '-'
// and '.' kept, '/' as '.', anything else '-'. Lossy (see ModuleSlug).
std::string PageName(const std::string& text) {
  if (text.empty()) return "_root";
  std::string name;
  for (char c : text) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    name += c == '/' ? '.' : ok ? c : '-';
  }
  while (!name.empty() && name.front() == '.') name.erase(name.begin());
  return name.empty() ? "_root" : name;
}

}  // namespace

std::string ModuleSlug(const std::string& directory) {
  std::string slug = PageName(directory);
  // Another folder could have the same name when a character was replaced,
  // the folder's name has a '.' of its own (the separator is '.' too), a
  // leading '.' was dropped, or the folder is called "_root"; then the name
  // carries a hash of the folder (FNV-1a, the same on every machine).
  const bool ambiguous =
      !directory.empty() &&
      (slug == "_root" || directory.front() == '.' ||
       std::any_of(directory.begin(), directory.end(), [](char c) {
         return !(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '/');
       }));
  if (!ambiguous) return slug;
  std::uint32_t hash = 2166136261u;
  for (unsigned char c : directory) hash = (hash ^ c) * 16777619u;
  char suffix[10];
  std::snprintf(suffix, sizeof suffix, "-%08x", hash);
  return slug + suffix;
}

Result<std::vector<std::string>> MissingCodePages(store::Reader& db, std::int64_t repo,
                                                  const std::filesystem::path& docs_root) {
  std::set<std::string> pages(kFixedCodePages.begin(), kFixedCodePages.end());
  auto files = db.Query("SELECT path FROM files WHERE repository_id = $1", {repo});
  if (!files) return files.error();
  for (std::size_t i = 0; i < files->size(); ++i) {
    const std::string slug = ModuleSlug(DirOf(*files->Text(i, "path")));
    pages.insert("modules/" + slug + ".md");
    pages.insert("functions/" + slug + ".md");
  }
  auto schemas = db.Query(
      "SELECT f.path, s.qualified_name FROM symbols s JOIN files f ON f.id = s.file_id "
      "WHERE s.repository_id = $1 AND s.kind = 'schema'",
      {repo});
  if (!schemas) return schemas.error();
  for (std::size_t i = 0; i < schemas->size(); ++i) {
    pages.insert("schemas/" +
                 PageName(*schemas->Text(i, "path") + "." + *schemas->Text(i, "qualified_name")) +
                 ".md");
  }
  std::vector<std::string> missing;
  std::error_code ec;
  for (const auto& page : pages) {
    if (!std::filesystem::exists(docs_root / page, ec)) missing.push_back(page);
  }
  return missing;
}

Result<void> CodeDocsProjection::Rebuild(store::Tx& db) {
  return Render(db);
}

Result<void> CodeDocsProjection::Render(store::Reader& db) {
  auto model = Load(db, repository_id_);
  if (!model) return model.error();
  const Model& m = *model;
  std::map<std::string, std::vector<std::string>> modules;  // dir -> files
  for (const auto& [path, language] : m.files) modules[DirOf(path)].push_back(path);
  auto edges = ModuleEdges(m);
  std::map<std::string, std::set<std::string>> dependents;
  for (const auto& [from, tos] : edges) {
    for (const auto& to : tos) dependents[to].insert(from);
  }
  PageSet pages(writer_);
  DOCRUNCH_TRY(pages.Write(kIndexPage, IndexPage(project_name_, m, modules)));
  DOCRUNCH_TRY(pages.Write(kArchitecturePage, ArchitecturePage(m, edges)));
  DOCRUNCH_TRY(pages.Write(kPatternsPage, PatternsPage(m)));

  std::map<std::string, std::vector<const SymbolRow*>> symbols_by_dir;
  for (const auto& s : m.symbols) symbols_by_dir[DirOf(s.file)].push_back(&s);
  std::map<std::string, std::vector<const ExportRow*>> exports_by_dir;
  for (const auto& e : m.exports) exports_by_dir[DirOf(e.file)].push_back(&e);

  for (const auto& [dir, files] : modules) {
    const std::string slug = ModuleSlug(dir);
    std::ostringstream page;
    page << "# Module " << ModuleName(dir) << "\n\n[Index](../index.md) · [Functions](../functions/"
         << slug << ".md)\n\n## Files\n\n| file | language |\n| --- | --- |\n";
    for (const auto& f : files) page << "| " << CodeCell(f) << " | " << m.files.at(f) << " |\n";
    std::set<std::string> nodes{dir};
    std::vector<std::pair<std::string, std::string>> diagram;
    for (const auto& to : edges[dir]) nodes.insert(to), diagram.push_back({dir, to});
    for (const auto& from : dependents[dir]) nodes.insert(from), diagram.push_back({from, dir});
    page << "\n## Dependencies\n\n";
    page << (diagram.empty() ? std::string("No dependencies on other modules.\n")
                             : Mermaid(nodes, diagram));
    page << "\n## Exports\n\n";
    const auto& exports = exports_by_dir[dir];
    if (exports.empty())
      page << "None.\n";
    else
      page << "| name | kind | file |\n| --- | --- | --- |\n";
    for (const ExportRow* e : exports) {
      std::string kind = !e->source.empty() ? "re-export from " + CodeCell(e->source)
                         : e->is_default    ? "default"
                                            : "named";
      page << "| " << CodeCell(e->name + (e->alias.empty() ? "" : " as " + e->alias)) << " | "
           << kind << " | " << CodeCell(e->file + ":" + std::to_string(e->line)) << " |\n";
    }
    std::ostringstream functions;
    functions << "# Functions in " << ModuleName(dir) << "\n\n[Module](../modules/" << slug
              << ".md)\n";
    page << "\n## Classes and components\n\n";
    bool any_class = false;
    for (const SymbolRow* s : symbols_by_dir[dir]) {
      if (s->kind == "class" || s->kind == "component" || s->kind == "schema") {
        if (!any_class)
          page << "| name | kind | bases | file | summary |\n| --- | --- | --- | --- | --- |\n";
        any_class = true;
        std::string bases;
        for (const auto& b : s->bases) bases += (bases.empty() ? "" : ", ") + b;
        page << "| " << CodeCell(s->qualified) << " | " << s->kind
             << (s->detail.empty() ? "" : " (" + s->detail + ")") << " | " << Cell(bases) << " | "
             << CodeCell(s->file + ":" + std::to_string(s->line)) << " | "
             << Cell(FirstLine(s->docstring)) << " |\n";
      } else {
        functions << "\n## " << Code(s->qualified) << "\n\n"
                  << Code(s->file + ":" + std::to_string(s->line)) << " · " << s->kind << "\n";
        if (!s->signature.empty()) functions << "\n```\n" << s->signature << "\n```\n";
        if (!s->docstring.empty()) functions << "\n" << s->docstring << "\n";
      }
    }
    if (!any_class) page << "None.\n";
    DOCRUNCH_TRY(pages.Write("modules/" + slug + ".md", page.str()));
    DOCRUNCH_TRY(pages.Write("functions/" + slug + ".md", functions.str()));
  }

  std::ostringstream schemas;
  schemas << "# Schemas\n\n";
  bool any_schema = false;
  for (const auto& s : m.symbols) {
    if (s.kind != "schema") continue;
    if (!any_schema) schemas << "| name | kind | fields | file |\n| --- | --- | ---: | --- |\n";
    any_schema = true;
    std::string slug = PageName(s.file + "." + s.qualified);
    schemas << "| [" << s.qualified << "](" << slug << ".md) | " << s.detail << " | "
            << s.fields.size() << " | " << CodeCell(s.file + ":" + std::to_string(s.line))
            << " |\n";
    std::ostringstream page;
    page << "# " << s.qualified << "\n\n"
         << (s.detail.empty() ? "schema" : s.detail) << " defined in "
         << Code(s.file + ":" + std::to_string(s.line)) << "\n\n";
    if (!s.docstring.empty()) page << s.docstring << "\n\n";
    page << "## Fields\n\n";
    for (const auto& field : s.fields) page << "- " << Code(field) << "\n";
    if (s.fields.empty()) page << "None found.\n";
    DOCRUNCH_TRY(pages.Write("schemas/" + slug + ".md", page.str()));
  }
  if (!any_schema) schemas << "No schemas found.\n";
  DOCRUNCH_TRY(pages.Write(kSchemasIndexPage, schemas.str()));
  DOCRUNCH_TRY(pages.RemoveStale({"modules", "functions", "schemas"}));
  pages_changed_ += pages.changed();  // over every batch (a drain may render more than once)
  pages_total_ = pages.total();
  return Ok();
}

Result<void> CodeDocsProjection::Apply(const store::SyncEvent&, store::Tx& db) {
  return Rebuild(db);
}

Result<void> CodeDocsProjection::Delete(const sync::EntityRef&, store::Tx& db) {
  return Rebuild(db);
}

sync::ProjectionHealth CodeDocsProjection::Health() {
  std::error_code ec;
  std::filesystem::path dir = writer_.root();
  while (!dir.empty() && !std::filesystem::exists(dir, ec)) dir = dir.parent_path();
  if (access(dir.empty() ? "." : dir.c_str(), W_OK) != 0) {
    return {false, writer_.root().string() + " is not writable"};
  }
  return {true, "writable"};
}

}  // namespace docrunch::docs
