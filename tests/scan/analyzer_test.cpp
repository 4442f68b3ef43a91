#include "scan/analyzer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace docrunch::scan {
namespace {

using ::testing::Contains;
using ::testing::Not;

FileFacts File(std::string path, Language language, std::vector<Import> imports = {},
               std::vector<Symbol> symbols = {}) {
  FileFacts f{std::move(path), {}};
  f.parsed.language = language;
  f.parsed.imports = std::move(imports);
  f.parsed.symbols = std::move(symbols);
  return f;
}

Symbol Fn(std::string qualified) {
  Symbol s;
  s.name = qualified.substr(qualified.rfind('.') + 1);
  s.qualified_name = std::move(qualified);
  return s;
}

Symbol Class(std::string name, std::vector<std::string> bases = {}) {
  Symbol s;
  s.kind = SymbolKind::kClass;
  s.name = s.qualified_name = std::move(name);
  s.bases = std::move(bases);
  return s;
}

Relationship Rel(std::string source, std::string target, std::string type) {
  return {std::move(source), std::move(target), std::move(type), "{}"};
}

class PythonResolution : public ::testing::Test {
 protected:
  std::vector<std::string> paths_{
      "app/__init__.py",      "app/core/__init__.py", "app/core/models.py",
      "app/core/util.py",     "app/api.py",           "vendor/x/json.py",
      "vendor/x/__init__.py", "src/lib/__init__.py",  "src/lib/io.py"};
  ImportResolver resolver_{paths_, {}};

  std::optional<std::string> Resolve(const std::string& from, Import i) {
    return resolver_.Resolve(from, Language::kPython, i);
  }
};

TEST_F(PythonResolution, AbsoluteModulesAndPackages) {
  EXPECT_EQ(Resolve("app/api.py", {"app.core.models"}), "app/core/models.py");
  EXPECT_EQ(Resolve("app/api.py", {"app.core"}), "app/core/__init__.py");
  EXPECT_EQ(Resolve("app/api.py", {"app.core", "util"}), "app/core/util.py");  // submodule
  EXPECT_EQ(Resolve("app/api.py", {"app.core", "helper"}), "app/core/__init__.py");
  EXPECT_EQ(Resolve("x.py", {"lib.io"}), "src/lib/io.py");  // src/ layout
  EXPECT_EQ(Resolve("app/api.py", {"os"}), std::nullopt);
  // vendor/x is a package, so its json.py is "x.json", never plain "json".
  EXPECT_EQ(Resolve("app/api.py", {"json"}), std::nullopt);
}

TEST_F(PythonResolution, RelativeImports) {
  EXPECT_EQ(Resolve("app/core/util.py", {".models", "Model"}), "app/core/models.py");
  EXPECT_EQ(Resolve("app/core/util.py", {".", "models"}), "app/core/models.py");
  EXPECT_EQ(Resolve("app/core/util.py", {"..", "api"}), "app/api.py");
  EXPECT_EQ(Resolve("app/core/util.py", {"..api", "x"}), "app/api.py");
  EXPECT_EQ(Resolve("app/core/util.py", {".", "nothing"}), "app/core/__init__.py");
  EXPECT_EQ(Resolve("app/core/util.py", {"....", "x"}), std::nullopt);  // above the root
}

TEST(ScriptResolution, RelativePathsIndexFilesAndExtensions) {
  ImportResolver r({"src/App.tsx", "src/components/Button.tsx", "src/components/index.ts",
                    "src/lib/api.js", "src/util.ts", "src/types.d.ts"},
                   {});
  auto resolve = [&](const std::string& from, const std::string& module) {
    return r.Resolve(from, Language::kTsx, Import{module});
  };
  EXPECT_EQ(resolve("src/App.tsx", "./components/Button"), "src/components/Button.tsx");
  EXPECT_EQ(resolve("src/App.tsx", "./components"), "src/components/index.ts");
  EXPECT_EQ(resolve("src/App.tsx", "./lib/api"), "src/lib/api.js");
  EXPECT_EQ(resolve("src/components/Button.tsx", "../util.js"), "src/util.ts");  // ESM style
  EXPECT_EQ(resolve("src/App.tsx", "./types"), "src/types.d.ts");
  EXPECT_EQ(resolve("src/App.tsx", "react"), std::nullopt);
  EXPECT_EQ(resolve("src/App.tsx", "../../../etc/passwd"), std::nullopt);
}

TEST(ScriptResolution, TsconfigPathsAndBaseUrl) {
  const std::string tsconfig = R"({
    // comments and trailing commas are allowed in tsconfig.json
    "compilerOptions": {
      "baseUrl": "./src",
      "paths": { "@/*": ["*"], "@ui": ["components/index.ts"], },
    },
  })";
  ImportResolver r({"src/components/index.ts", "src/components/Button.tsx", "src/lib/api.ts"},
                   {tsconfig});
  auto resolve = [&](const std::string& module) {
    return r.Resolve("src/App.tsx", Language::kTsx, Import{module});
  };
  EXPECT_EQ(resolve("@/lib/api"), "src/lib/api.ts");
  EXPECT_EQ(resolve("@ui"), "src/components/index.ts");
  EXPECT_EQ(resolve("components/Button"), "src/components/Button.tsx");  // baseUrl
  EXPECT_EQ(resolve("react"), std::nullopt);
}

TEST(Analyze, BuildsImportCallAndInheritanceEdges) {
  FileFacts models =
      File("app/models.py", Language::kPython, {}, {Class("Base"), Fn("Base.save"), Fn("helper")});
  FileFacts api = File(
      "app/api.py", Language::kPython,
      {{"app.models", "Base", "", 1, 1}, {"app.models", "", "m", 2, 2}, {"requests", "", "", 3, 3}},
      {Class("User", {"Base"}), Fn("User.save"), Fn("User.check"), Fn("main"),
       Class("Err", {"requests.HTTPError"})});
  api.parsed.calls = {{"main", "m.helper", 10},
                      {"User.save", "self.check", 12},
                      {"User.save", "Base.save", 13},
                      {"main", "requests.get", 14},
                      {"", "main", 20},
                      {"main", "print", 11}};
  auto rels = Analyze({models, api}, {});
  EXPECT_THAT(rels, Contains(Rel("app/api.py", "app/models.py", "imports")));
  EXPECT_THAT(rels, Contains(Rel("app/api.py", "ext:requests", "imports")));
  EXPECT_THAT(rels, Contains(Rel("app/api.py#main", "app/models.py#helper", "calls")));
  EXPECT_THAT(rels, Contains(Rel("app/api.py#User.save", "app/api.py#User.check", "calls")));
  EXPECT_THAT(rels, Contains(Rel("app/api.py#User.save", "app/models.py#Base.save", "calls")));
  EXPECT_THAT(rels, Contains(Rel("app/api.py", "app/api.py#main", "calls")));
  EXPECT_THAT(rels, Contains(Rel("app/api.py#User", "app/models.py#Base", "inherits")));
  EXPECT_THAT(rels, Contains(Rel("app/api.py#Err", "ext:requests.HTTPError", "inherits")));
  for (const auto& r : rels) {
    EXPECT_NE(r.target, "print") << "builtins are not resolved";
    EXPECT_FALSE(r.type == "calls" && r.target.rfind("ext:", 0) == 0) << r.target;
  }
}

TEST(Analyze, ComponentsExportsAndReexports) {
  FileFacts button = File("src/Button.tsx", Language::kTsx, {}, {Fn("Button")});
  button.parsed.symbols[0].kind = SymbolKind::kComponent;
  button.parsed.exports = {{"Button", "", true, "", 3}};
  FileFacts index = File("src/index.ts", Language::kTypeScript);
  index.parsed.exports = {{"*", "", false, "./Button", 1}};
  FileFacts app = File("src/App.tsx", Language::kTsx, {{"./Button", "default", "Btn", 1, 1}},
                       {Fn("App"), Class("Store")});
  app.parsed.symbols[0].kind = SymbolKind::kComponent;
  app.parsed.symbols[1].implements = {"Iface"};
  app.parsed.uses = {{"App", "Btn", 5}, {"App", "div", 6}};
  app.parsed.exports = {{"App", "", false, "", 9}};
  auto rels = Analyze({button, index, app}, {});
  EXPECT_THAT(rels, Contains(Rel("src/App.tsx#App", "src/Button.tsx#Button", "uses")));
  EXPECT_THAT(rels, Contains(Relationship{"src/Button.tsx", "src/Button.tsx#Button", "exports",
                                          R"({"default":true})"}));
  EXPECT_THAT(rels, Contains(Relationship{"src/index.ts", "src/Button.tsx", "exports",
                                          R"({"reexport":"*"})"}));
  EXPECT_THAT(rels, Contains(Rel("src/App.tsx", "src/App.tsx#App", "exports")));
  EXPECT_THAT(rels, Not(Contains(Rel("src/App.tsx#Store", "Iface", "implements"))));
}

TEST(Analyze, OutputIsSortedAndDeduplicated) {
  FileFacts a = File("a.py", Language::kPython, {{"b"}, {"b"}}, {Fn("f")});
  FileFacts b = File("b.py", Language::kPython, {}, {Fn("g")});
  a.parsed.calls = {{"f", "b.g", 1}, {"f", "b.g", 2}};
  auto rels = Analyze({b, a}, {});
  EXPECT_TRUE(std::is_sorted(rels.begin(), rels.end()));
  EXPECT_EQ(std::count(rels.begin(), rels.end(), Rel("a.py", "b.py", "imports")), 1);
  EXPECT_EQ(std::count(rels.begin(), rels.end(), Rel("a.py#f", "b.py#g", "calls")), 1);
}

TEST(Analyze, OneEdgePerSourceTargetAndType) {
  // Regression: a name exported twice (default and named) gave two rows
  // differing only in metadata, which the relationships table refuses.
  FileFacts f = File("m.ts", Language::kTypeScript, {}, {Fn("run")});
  f.parsed.exports = {{"run", "", true, "", 1}, {"run", "", false, "", 2}};
  auto rels = Analyze({f}, {});
  EXPECT_EQ(std::count_if(rels.begin(), rels.end(),
                          [](const Relationship& r) { return r.type == "exports"; }),
            1);
}

// rxjs's index.ts re-exports several names from one module: two edges with
// the same (source, target, type) broke the relationships' UNIQUE key and
// failed the scan.
TEST(Analyze, OneEdgePerSourceTargetAndTypeWhateverTheMetadata) {
  FileFacts x = File("src/x.ts", Language::kTypeScript, {}, {Fn("a"), Fn("b")});
  FileFacts index = File("src/index.ts", Language::kTypeScript);
  index.parsed.exports = {{"b", "", false, "./x", 1}, {"a", "", false, "./x", 2}};
  auto rels = Analyze({x, index}, {});
  EXPECT_EQ(std::count_if(rels.begin(), rels.end(),
                          [](const Relationship& r) {
                            return r.source == "src/index.ts" && r.target == "src/x.ts" &&
                                   r.type == "exports";
                          }),
            1);
  EXPECT_THAT(rels,
              Contains(Relationship{"src/index.ts", "src/x.ts", "exports", R"({"reexport":"a"})"}));
}

TEST(RefineLanguage, CppHeadersAreCpp) {
  EXPECT_EQ(RefineLanguage(Language::kC, "a/x.h", "namespace app {\nclass X {};\n}\n"),
            Language::kCpp);
  EXPECT_EQ(RefineLanguage(Language::kC, "a/x.h", "template <typename T> T f(T);\n"),
            Language::kCpp);
  EXPECT_EQ(RefineLanguage(Language::kC, "a/x.h", "int f(void);\nstruct s { int a; };\n"),
            Language::kC);
  EXPECT_EQ(RefineLanguage(Language::kC, "a/x.c", "namespace x {}"), Language::kC);  // only headers
  EXPECT_EQ(RefineLanguage(Language::kPython, "a/x.h", "class X"), Language::kPython);
}

}  // namespace
}  // namespace docrunch::scan
