#include "scan/parser/languages.h"

// The grammars' entry points, compiled into docrunch_grammars from the npm
// packages listed in cmake/TreeSitter.cmake.
extern "C" {
const TSLanguage* tree_sitter_python();
const TSLanguage* tree_sitter_typescript();
const TSLanguage* tree_sitter_tsx();
const TSLanguage* tree_sitter_javascript();
const TSLanguage* tree_sitter_go();
const TSLanguage* tree_sitter_rust();
const TSLanguage* tree_sitter_java();
const TSLanguage* tree_sitter_c();
const TSLanguage* tree_sitter_cpp();
const TSLanguage* tree_sitter_c_sharp();
const TSLanguage* tree_sitter_ruby();
const TSLanguage* tree_sitter_php();
const TSLanguage* tree_sitter_bash();
const TSLanguage* tree_sitter_css();
const TSLanguage* tree_sitter_scss();
const TSLanguage* tree_sitter_sql();
}

namespace docrunch::scan {
namespace {

constexpr LanguageSupport kSupport[] = {
    {Language::kPython, tree_sitter_python, ExtractPython},
    {Language::kTypeScript, tree_sitter_typescript, ExtractEcmaScript},
    {Language::kTsx, tree_sitter_tsx, ExtractEcmaScript},
    {Language::kJavaScript, tree_sitter_javascript, ExtractEcmaScript},
    {Language::kGo, tree_sitter_go, ExtractGo},
    {Language::kRust, tree_sitter_rust, ExtractRust},
    {Language::kJava, tree_sitter_java, ExtractJava},
    {Language::kC, tree_sitter_c, ExtractCFamily},
    {Language::kCpp, tree_sitter_cpp, ExtractCFamily},
    {Language::kCSharp, tree_sitter_c_sharp, ExtractCSharp},
    {Language::kRuby, tree_sitter_ruby, ExtractRuby},
    {Language::kPhp, tree_sitter_php, ExtractPhp},
    {Language::kBash, tree_sitter_bash, ExtractBash},
    {Language::kCss, tree_sitter_css, ExtractStylesheet},
    {Language::kScss, tree_sitter_scss, ExtractStylesheet},
    {Language::kSql, tree_sitter_sql, ExtractSql},
};

}  // namespace

const LanguageSupport* FindLanguageSupport(Language language) {
  for (const auto& support : kSupport) {
    if (support.language == language) return &support;
  }
  return nullptr;
}

}  // namespace docrunch::scan
