// Behaviour of Parser on hostile or broken input: syntax errors, deep
// nesting, timeouts, binary data, unsupported languages, many threads.
#include "scan/parser/parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace docrunch::scan {
namespace {

using namespace std::chrono_literals;

ParsedFile MustParse(Language language, std::string_view source, ParseOptions options = {}) {
  auto parsed = Parser(options).Parse(language, source);
  EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
  return parsed.ok() ? *parsed : ParsedFile{};
}

std::vector<std::string> SymbolNames(const ParsedFile& file) {
  std::vector<std::string> names;
  for (const auto& symbol : file.symbols) names.push_back(symbol.qualified_name);
  return names;
}

std::vector<std::string> DiagnosticCodes(const ParsedFile& file) {
  std::vector<std::string> codes;
  for (const auto& d : file.diagnostics) codes.push_back(d.code);
  return codes;
}

std::string Repeat(std::string_view piece, int times) {
  std::string out;
  out.reserve(piece.size() * static_cast<std::size_t>(times));
  for (int i = 0; i < times; ++i) out += piece;
  return out;
}

std::vector<Language> SupportedLanguages() {
  std::vector<Language> languages;
  for (int i = 0; i <= static_cast<int>(Language::kSql); ++i) {
    if (Parser::Supports(static_cast<Language>(i))) languages.push_back(static_cast<Language>(i));
  }
  return languages;
}

TEST(Parser, SyntaxErrorKeepsSymbolsBeforeItAndNamesItsLine) {
  ParsedFile file = MustParse(Language::kPython,
                              "def first():\n"
                              "    return 1\n"
                              "\n"
                              "def broken(:\n"
                              "    pass\n"
                              "\n"
                              "class After:\n"
                              "    pass\n");
  ASSERT_EQ(file.diagnostics.size(), 1u);
  EXPECT_EQ(file.diagnostics[0].code, "PARSE_SYNTAX_ERROR");
  EXPECT_EQ(file.diagnostics[0].line, 4);
  auto names = SymbolNames(file);
  EXPECT_NE(std::find(names.begin(), names.end(), "first"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "After"), names.end());
}

TEST(Parser, SyntaxErrorInTypeScriptKeepsEarlierDeclarations) {
  ParsedFile file = MustParse(Language::kTypeScript,
                              "import { a } from './a';\n"
                              "export function ok(): number { return a(); }\n"
                              "export const = ;\n");
  EXPECT_EQ(DiagnosticCodes(file), std::vector<std::string>{"PARSE_SYNTAX_ERROR"});
  EXPECT_EQ(file.diagnostics[0].line, 3);
  ASSERT_EQ(file.imports.size(), 1u);
  EXPECT_EQ(SymbolNames(file), std::vector<std::string>{"ok"});
}

TEST(Parser, MissingTokenIsReportedAsMissing) {
  ParsedFile file = MustParse(Language::kJavaScript, "function f() {\n  g(1;\n}\n");
  ASSERT_EQ(file.diagnostics.size(), 1u);
  EXPECT_EQ(file.diagnostics[0].code, "PARSE_SYNTAX_ERROR");
  EXPECT_EQ(file.diagnostics[0].line, 2);
}

TEST(Parser, CleanFileHasNoDiagnostics) {
  ParsedFile file = MustParse(Language::kGo, "package main\n\nfunc main() {}\n");
  EXPECT_TRUE(file.diagnostics.empty());
}

// Each of these nests 10,000 levels; a recursive walk would overflow the
// native stack (or take quadratic memory in qualified names).
TEST(Parser, TenThousandLevelsOfNestingDoNotCrash) {
  constexpr int kDepth = 10000;
  struct Case {
    Language language;
    std::string source;
  } cases[] = {
      {Language::kPython, "x = " + Repeat("[", kDepth) + Repeat("]", kDepth) + "\n"},
      {Language::kPython, "x = " + Repeat("(", kDepth) + "\n"},  // unbalanced
      {Language::kJavaScript, Repeat("function f() {", kDepth) + Repeat("}", kDepth)},
      {Language::kTsx, "const A = () => " + Repeat("<A>", kDepth) + Repeat("</A>", kDepth) + ";"},
      {Language::kC, "int x = " + Repeat("(", kDepth) + "1" + Repeat(")", kDepth) + ";"},
      {Language::kRust, Repeat("mod m {", kDepth) + "fn f() {}" + Repeat("}", kDepth)},
  };
  for (const auto& c : cases) {
    ParsedFile file = MustParse(c.language, c.source, {.timeout = 60s});
    for (const auto& d : file.diagnostics) EXPECT_NE(d.code, "PARSE_TIMEOUT");
    if (c.language == Language::kJavaScript) {
      ASSERT_EQ(file.symbols.size(), static_cast<std::size_t>(kDepth));
      EXPECT_LT(file.symbols.back().qualified_name.size(), 4096u) << "qualified names are capped";
    }
    if (c.language == Language::kTsx) {
      EXPECT_EQ(file.uses.size(), static_cast<std::size_t>(kDepth));
    }
  }
}

TEST(Parser, TimeoutCutsOffASlowParseAndSaysSo) {
  std::string source;
  for (int i = 0; i < 200000; ++i) {
    source += "def f" + std::to_string(i) + "(a, b):\n    return g(a) + h(b)\n\n";
  }
  auto start = std::chrono::steady_clock::now();
  ParsedFile file = MustParse(Language::kPython, source, {.timeout = 5ms});
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(DiagnosticCodes(file), std::vector<std::string>{"PARSE_TIMEOUT"});
  EXPECT_TRUE(file.symbols.empty());
  EXPECT_LT(elapsed, 2s) << "the parse was not cancelled";

  ParsedFile unlimited = MustParse(Language::kPython, source, {.timeout = 0ms});
  EXPECT_TRUE(unlimited.diagnostics.empty());
  EXPECT_EQ(unlimited.symbols.size(), 200000u);
}

TEST(Parser, BinaryInputDoesNotCrashAnyGrammarAndYieldsValidUtf8) {
  std::mt19937 random(42);
  std::string bytes(64 * 1024, '\0');
  for (char& c : bytes) c = static_cast<char>(random() & 0xFF);
  for (Language language : SupportedLanguages()) {
    ParsedFile file = MustParse(language, bytes, {.timeout = 30s});
    EXPECT_NO_THROW((void)nlohmann::json(file).dump()) << LanguageName(language);
  }
}

TEST(Parser, InvalidUtf8InsideTextIsReplacedNotPassedOn) {
  ParsedFile file = MustParse(Language::kPython,
                              "def f():\n    \"\"\"bad \xff\xfe bytes \xe2\x82\"\"\"\n"
                              "    return \xc0\xaf\n");
  ASSERT_FALSE(file.symbols.empty());
  EXPECT_EQ(file.symbols[0].docstring, "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \xEF\xBF\xBD");
  EXPECT_NO_THROW((void)nlohmann::json(file).dump());
}

TEST(Parser, UnsupportedLanguageIsADiagnosticNotAnError) {
  EXPECT_FALSE(Parser::Supports(Language::kUnknown));
  ParsedFile file = MustParse(Language::kUnknown, "whatever");
  ASSERT_EQ(file.diagnostics.size(), 1u);
  EXPECT_EQ(file.diagnostics[0].code, "PARSE_UNSUPPORTED_LANGUAGE");
  EXPECT_NE(file.diagnostics[0].message.find("unknown"), std::string::npos);
  EXPECT_TRUE(file.symbols.empty());
}

TEST(Parser, EveryKnownLanguageIsSupported) {
  EXPECT_EQ(SupportedLanguages().size(), static_cast<std::size_t>(Language::kSql));
}

TEST(Parser, EmptySourceParsesToNothing) {
  for (Language language : SupportedLanguages()) {
    ParsedFile file = MustParse(language, "");
    EXPECT_EQ(file.language, language);
    EXPECT_TRUE(file.symbols.empty() && file.imports.empty() && file.diagnostics.empty())
        << LanguageName(language);
  }
}

TEST(Parser, ConcurrentParsesFromOneParserAgree) {
  std::string source;
  for (int i = 0; i < 300; ++i) {
    source += "import m" + std::to_string(i) + "\nclass C" + std::to_string(i) +
              ":\n    def run(self):\n        return m" + std::to_string(i) + ".go()\n";
  }
  Parser parser;
  nlohmann::json expected = *parser.Parse(Language::kPython, source);
  std::vector<nlohmann::json> results(4);
  std::vector<std::thread> threads;
  for (auto& result : results) {
    threads.emplace_back([&] {
      for (int round = 0; round < 5; ++round) result = *parser.Parse(Language::kPython, source);
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) EXPECT_EQ(result, expected);
  EXPECT_EQ(expected["symbols"].size(), 600u);
}

}  // namespace
// Body terms: identifiers and comment words of a symbol's lines, without
// string literals (the Python docstring) or doc comments.
TEST(ParserBodyTerms, PythonKeepsIdentifiersAndCommentsNotStrings) {
  ParsedFile f = MustParse(Language::kPython,
                           "def quote(string, safe='/'):\n"
                           "    \"\"\"Percent-encode the secret docstring.\"\"\"\n"
                           "    # escape reserved characters\n"
                           "    if not string:\n"
                           "        return string\n"
                           "    return _quoter(string, safe, 'literal words')\n");
  ASSERT_EQ(f.symbols.size(), 1u);
  EXPECT_EQ(f.symbols[0].body_terms, "quote string*4 safe*2 escape reserved characters _quoter");
}

TEST(ParserBodyTerms, TypeScriptSkipsDocCommentsAndCountsRepeats) {
  ParsedFile f = MustParse(Language::kTypeScript,
                           "/** Parses the header. */\n"
                           "export function parseHeader(raw: string): Header {\n"
                           "  // split on colons\n"
                           "  const parts = raw.split(':');\n"
                           "  /** not a body word */\n"
                           "  return { name: parts[0], value: parts[1] } as Header;\n"
                           "}\n");
  ASSERT_EQ(f.symbols.size(), 1u);
  const std::string& terms = f.symbols[0].body_terms;
  EXPECT_NE(terms.find("parseHeader"), std::string::npos) << terms;
  EXPECT_NE(terms.find("parts*3"), std::string::npos) << terms;
  // The comment's "split" and the call's are one word, seen twice.
  EXPECT_NE(terms.find("split*2 on colons"), std::string::npos) << terms;
  EXPECT_NE(terms.find("Header*2"), std::string::npos) << terms;
  EXPECT_EQ(terms.find("Parses"), std::string::npos) << terms;
  EXPECT_EQ(terms.find("body"), std::string::npos) << terms;
}

TEST(ParserBodyTerms, MethodWordsCountForTheClassAndJsonRoundTrips) {
  // A comment inside a method is a body word of the method and of its class.
  ParsedFile f = MustParse(Language::kPython,
                           "class Pool:\n"
                           "    def close(self):\n"
                           "        self._closed = True  # marks closed\n");
  ASSERT_EQ(f.symbols.size(), 2u);
  EXPECT_EQ(f.symbols[1].body_terms, "close self*2 _closed marks closed");
  // The class holds its methods' words too.
  EXPECT_EQ(f.symbols[0].body_terms, "Pool close self*2 _closed marks closed");
  ParsedFile back = nlohmann::json(f).get<ParsedFile>();
  EXPECT_EQ(back.symbols[1].body_terms, f.symbols[1].body_terms);
}

TEST(ParserBodyTerms, WordsAreCappedPerSymbol) {
  std::string source = "def big():\n";
  for (int i = 0; i < 400; ++i) source += "    v" + std::to_string(i) + " = 1\n";
  ParsedFile f = MustParse(Language::kPython, source);
  ASSERT_EQ(f.symbols.size(), 1u);
  const std::string& terms = f.symbols[0].body_terms;
  EXPECT_EQ(std::count(terms.begin(), terms.end(), ' ') + 1, 256) << terms.substr(0, 80);
}

// Deprecation: what the code or its own documentation says is deprecated,
// not a mention of the word, a warning under a condition, or another kind
// of warning.
TEST(ParserDeprecation, PythonModuleAndFunctionWarnings) {
  ParsedFile module = MustParse(Language::kPython,
                                "import warnings\n"
                                "warnings.warn('the spam module is deprecated',\n"
                                "              DeprecationWarning, 2)\n"
                                "def eggs():\n"
                                "    return 1\n");
  EXPECT_TRUE(module.deprecated);
  ASSERT_EQ(module.symbols.size(), 1u);
  EXPECT_FALSE(module.symbols[0].deprecated);  // the module's mark is the module's
  EXPECT_TRUE(MustParse(Language::kPython,
                        "from warnings import _deprecated\n_deprecated(__name__, remove=(3, 12))\n")
                  .deprecated);

  ParsedFile f = MustParse(Language::kPython,
                           "import warnings\n"
                           "if OLD:\n"
                           "    warnings.warn('old', DeprecationWarning)\n"
                           "warnings.warn('slow', RuntimeWarning)\n"
                           "def currentThread():\n"
                           "    \"\"\"Return the current thread.\"\"\"\n"
                           "    import warnings\n"
                           "    warnings.warn('use current_thread()', DeprecationWarning, 2)\n"
                           "    return current_thread()\n"
                           "def parse(text, strict=None):\n"
                           "    if strict is not None:\n"
                           "        warn('strict is ignored', PendingDeprecationWarning)\n"
                           "    def inner():\n"
                           "        warnings.warn('inner', DeprecationWarning)\n"
                           "    return text\n"
                           "class Old:\n"
                           "    \"\"\"A pool. Deprecated, use Pool.\"\"\"\n"
                           "def flag():\n"
                           "    \"\"\"The old flag is deprecated; this one is not.\"\"\"\n");
  EXPECT_FALSE(f.deprecated);  // a conditional warning, and not a deprecation
  std::map<std::string, bool> marked;
  for (const auto& s : f.symbols) marked[s.qualified_name] = s.deprecated;
  EXPECT_TRUE(marked["currentThread"]);
  EXPECT_FALSE(marked["parse"]);  // one way of calling it
  EXPECT_TRUE(marked["parse.inner"]);
  EXPECT_TRUE(marked["Old"]);    // a sentence opening "Deprecated"
  EXPECT_FALSE(marked["flag"]);  // a mention
  // Both marks survive the JSON form (the offline cache, goldens).
  ParsedFile again = nlohmann::json(module).get<ParsedFile>();
  EXPECT_TRUE(again.deprecated);
  for (const auto& s : nlohmann::json(f).get<ParsedFile>().symbols) {
    EXPECT_EQ(s.deprecated, marked[s.qualified_name]) << s.qualified_name;
  }
}

TEST(ParserDeprecation, DocTagsInOtherLanguages) {
  ParsedFile ts = MustParse(Language::kTypeScript,
                            "/**\n"
                            " * Maps each value to a constant.\n"
                            " * @deprecated Use {@link map} instead.\n"
                            " */\n"
                            "export function mapTo(value: unknown) { return value; }\n"
                            "/** Maps each value; the `thisArg` form is deprecated. */\n"
                            "export function map(project: Function) { return project; }\n");
  ASSERT_EQ(ts.symbols.size(), 2u);
  EXPECT_TRUE(ts.symbols[0].deprecated);
  EXPECT_FALSE(ts.symbols[1].deprecated);
  ParsedFile java = MustParse(Language::kJava,
                              "class A {\n"
                              "  /** Old.\n   * @deprecated use b() */\n"
                              "  void a() {}\n"
                              "}\n");
  bool method_marked = false;
  for (const auto& s : java.symbols) method_marked |= s.name == "a" && s.deprecated;
  EXPECT_TRUE(method_marked);
}

}  // namespace docrunch::scan
