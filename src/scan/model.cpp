#include "scan/model.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>
#include <utility>

namespace docrunch::scan {
namespace {

constexpr std::array<std::string_view, 17> kLanguageNames{
    "unknown", "python", "typescript", "tsx", "javascript", "go",  "rust", "java", "c",
    "cpp",     "csharp", "ruby",       "php", "bash",       "css", "scss", "sql"};

constexpr std::array<std::string_view, 5> kSymbolKindNames{"function", "method", "class",
                                                           "component", "schema"};

constexpr std::pair<std::string_view, Language> kExtensions[] = {
    {".py", Language::kPython},
    {".pyi", Language::kPython},
    {".ts", Language::kTypeScript},
    {".mts", Language::kTypeScript},
    {".cts", Language::kTypeScript},
    {".tsx", Language::kTsx},
    {".js", Language::kJavaScript},
    {".jsx", Language::kJavaScript},
    {".mjs", Language::kJavaScript},
    {".cjs", Language::kJavaScript},
    {".go", Language::kGo},
    {".rs", Language::kRust},
    {".java", Language::kJava},
    {".c", Language::kC},
    {".h", Language::kC},
    {".cc", Language::kCpp},
    {".cpp", Language::kCpp},
    {".cxx", Language::kCpp},
    {".hpp", Language::kCpp},
    {".hh", Language::kCpp},
    {".hxx", Language::kCpp},
    {".cs", Language::kCSharp},
    {".rb", Language::kRuby},
    {".php", Language::kPhp},
    {".sh", Language::kBash},
    {".bash", Language::kBash},
    {".css", Language::kCss},
    {".scss", Language::kScss},
    {".sql", Language::kSql},
};

}  // namespace

Language LanguageNamed(std::string_view name) {
  for (std::size_t i = 0; i < kLanguageNames.size(); ++i) {
    if (kLanguageNames[i] == name) return static_cast<Language>(i);
  }
  return Language::kUnknown;
}

std::optional<std::string> PackageFolder(std::string_view module_path) {
  constexpr std::string_view kInit = "__init__.py";
  if (module_path != kInit && !module_path.ends_with("/__init__.py")) return std::nullopt;
  return std::string(module_path.substr(0, module_path.size() - kInit.size()));
}

bool UnderAnyFolder(std::string_view path, const std::vector<std::string>& folders) {
  return std::any_of(folders.begin(), folders.end(),
                     [&](const std::string& folder) { return path.starts_with(folder); });
}

SymbolKind SymbolKindNamed(std::string_view name) {
  for (std::size_t i = 0; i < kSymbolKindNames.size(); ++i) {
    if (kSymbolKindNames[i] == name) return static_cast<SymbolKind>(i);
  }
  return SymbolKind::kFunction;
}

std::string_view LanguageName(Language language) {
  return kLanguageNames[static_cast<std::size_t>(language)];
}

std::string_view SymbolKindName(SymbolKind kind) {
  return kSymbolKindNames[static_cast<std::size_t>(kind)];
}

Language LanguageForPath(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') + 1);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return Language::kUnknown;
  std::string ext(name.substr(dot));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [e, language] : kExtensions) {
    if (e == ext) return language;
  }
  return Language::kUnknown;
}

Language RefineLanguage(Language by_path, std::string_view path, std::string_view content) {
  if (by_path != Language::kC || !path.ends_with(".h")) return by_path;
  for (std::string_view marker : {"namespace ", "template <", "template<",
                                  "public:", "private:", "protected:", "std::", "class "}) {
    if (content.find(marker) != std::string_view::npos) return Language::kCpp;
  }
  return by_path;
}

void to_json(nlohmann::json& j, const ParsedFile& f) {
  using nlohmann::json;
  j = json::object();
  j["language"] = LanguageName(f.language);
  j["imports"] = json::array();
  for (const auto& i : f.imports) {
    j["imports"].push_back({{"module", i.module},
                            {"name", i.name},
                            {"alias", i.alias},
                            {"line", i.line},
                            {"end_line", i.end_line}});
  }
  j["exports"] = json::array();
  for (const auto& e : f.exports) {
    j["exports"].push_back({{"name", e.name},
                            {"alias", e.alias},
                            {"is_default", e.is_default},
                            {"source", e.source},
                            {"line", e.line}});
  }
  j["symbols"] = json::array();
  for (const auto& s : f.symbols) {
    j["symbols"].push_back({{"kind", SymbolKindName(s.kind)},
                            {"name", s.name},
                            {"qualified_name", s.qualified_name},
                            {"start_line", s.start_line},
                            {"end_line", s.end_line},
                            {"signature", s.signature},
                            {"docstring", s.docstring},
                            {"bases", s.bases},
                            {"implements", s.implements},
                            {"detail", s.detail},
                            {"fields", s.fields}});
    if (!s.body_terms.empty()) j["symbols"].back()["body_terms"] = s.body_terms;
    if (s.deprecated) j["symbols"].back()["deprecated"] = true;
  }
  j["calls"] = json::array();
  for (const auto& c : f.calls) {
    j["calls"].push_back({{"caller", c.caller}, {"callee", c.callee}, {"line", c.line}});
  }
  j["uses"] = json::array();
  for (const auto& u : f.uses) {
    j["uses"].push_back({{"user", u.user}, {"used", u.used}, {"line", u.line}});
  }
  j["diagnostics"] = json::array();
  for (const auto& d : f.diagnostics) {
    j["diagnostics"].push_back({{"code", d.code}, {"message", d.message}, {"line", d.line}});
  }
  if (f.deprecated) j["deprecated"] = true;
}

void from_json(const nlohmann::json& j, ParsedFile& f) {
  f = ParsedFile{};
  f.language = LanguageNamed(j.value("language", "unknown"));
  f.deprecated = j.value("deprecated", false);
  for (const auto& i : j.value("imports", nlohmann::json::array())) {
    f.imports.push_back({i.value("module", ""), i.value("name", ""), i.value("alias", ""),
                         i.value("line", 0), i.value("end_line", 0)});
  }
  for (const auto& e : j.value("exports", nlohmann::json::array())) {
    f.exports.push_back({e.value("name", ""), e.value("alias", ""), e.value("is_default", false),
                         e.value("source", ""), e.value("line", 0)});
  }
  for (const auto& s : j.value("symbols", nlohmann::json::array())) {
    Symbol sym;
    sym.kind = SymbolKindNamed(s.value("kind", "function"));
    sym.name = s.value("name", "");
    sym.qualified_name = s.value("qualified_name", "");
    sym.start_line = s.value("start_line", 0);
    sym.end_line = s.value("end_line", 0);
    sym.signature = s.value("signature", "");
    sym.docstring = s.value("docstring", "");
    sym.bases = s.value("bases", std::vector<std::string>{});
    sym.implements = s.value("implements", std::vector<std::string>{});
    sym.detail = s.value("detail", "");
    sym.fields = s.value("fields", std::vector<std::string>{});
    sym.body_terms = s.value("body_terms", "");
    sym.deprecated = s.value("deprecated", false);
    f.symbols.push_back(std::move(sym));
  }
  for (const auto& c : j.value("calls", nlohmann::json::array())) {
    f.calls.push_back({c.value("caller", ""), c.value("callee", ""), c.value("line", 0)});
  }
  for (const auto& u : j.value("uses", nlohmann::json::array())) {
    f.uses.push_back({u.value("user", ""), u.value("used", ""), u.value("line", 0)});
  }
  for (const auto& d : j.value("diagnostics", nlohmann::json::array())) {
    f.diagnostics.push_back({d.value("code", ""), d.value("message", ""), d.value("line", 0)});
  }
}

}  // namespace docrunch::scan
