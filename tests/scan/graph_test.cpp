#include "scan/graph.h"

#include <gtest/gtest.h>

namespace docrunch::scan {
namespace {

Relationship Rel(std::string s, std::string t, std::string type = "imports") {
  return {std::move(s), std::move(t), std::move(type), "{}"};
}

TEST(DependencyGraph, DependenciesAndDependentsIncludeSymbols) {
  DependencyGraph g({Rel("a.py", "b.py"), Rel("a.py#f", "b.py#g", "calls"), Rel("c.py", "a.py")});
  auto deps = g.Dependencies("a.py");
  ASSERT_EQ(deps.size(), 2u);
  EXPECT_EQ(deps[0].node, "b.py");
  EXPECT_EQ(deps[1].node, "b.py#g");
  auto dependents = g.Dependents("b.py");
  ASSERT_EQ(dependents.size(), 2u);
  EXPECT_EQ(dependents[0].node, "a.py");
  EXPECT_EQ(dependents[1].node, "a.py#f");
  EXPECT_TRUE(g.Dependents("c.py").empty());
}

TEST(DependencyGraph, FindsImportCycles) {
  DependencyGraph g({Rel("a.py", "b.py"), Rel("b.py", "c.py"), Rel("c.py", "a.py"),
                     Rel("c.py", "d.py"), Rel("x.py", "y.py"), Rel("y.py", "x.py"),
                     Rel("z.py", "ext:os"), Rel("a.py#f", "b.py#g", "calls"),
                     Rel("b.py#g", "a.py#f", "calls")});
  auto cycles = g.ImportCycles();
  ASSERT_EQ(cycles.size(), 2u);
  EXPECT_EQ(cycles[0], (std::vector<std::string>{"a.py", "b.py", "c.py"}));
  EXPECT_EQ(cycles[1], (std::vector<std::string>{"x.py", "y.py"}));
}

TEST(DependencyGraph, LongChainsDoNotOverflowTheStack) {
  std::vector<Relationship> rels;
  for (int i = 0; i < 200000; ++i) {
    rels.push_back(Rel("f" + std::to_string(i), "f" + std::to_string(i + 1)));
  }
  rels.push_back(Rel("f200000", "f0"));
  DependencyGraph g(rels);
  auto cycles = g.ImportCycles();
  ASSERT_EQ(cycles.size(), 1u);
  EXPECT_EQ(cycles[0].size(), 200001u);
}

TEST(DependencyGraph, ImpactIsTheTransitiveDependents) {
  DependencyGraph g({Rel("api.py", "models.py"), Rel("cli.py", "api.py"),
                     Rel("other.py", "util.py"), Rel("web.py#view", "models.py#User", "calls"),
                     Rel("web.py#view", "web.py#helper", "calls"),
                     Rel("tests.py#t", "web.py#view", "calls")});
  ImpactSet file_impact = g.Impact("models.py");
  EXPECT_EQ(file_impact.files,
            (std::vector<std::string>{"api.py", "cli.py", "tests.py", "web.py"}));
  ImpactSet symbol_impact = g.Impact("models.py#User");
  EXPECT_EQ(symbol_impact.files, (std::vector<std::string>{"tests.py", "web.py"}));
  EXPECT_EQ(symbol_impact.symbols, (std::vector<std::string>{"tests.py#t", "web.py#view"}));
  EXPECT_TRUE(g.Impact("cli.py").files.empty());
}

}  // namespace
}  // namespace docrunch::scan
