#include "search/rerank.h"

#include <gtest/gtest.h>

namespace docrunch::search {
namespace {

using Parts = std::vector<std::string>;

TEST(KeyName, IsTheLastPartOfASymbolOrTheFileStem) {
  EXPECT_EQ(KeyName("symbol:pkg/mod.py#Parser.parse_args"), "parse_args");
  EXPECT_EQ(KeyName("symbol:pkg/mod.py#Parser.prop@12"), "prop");
  EXPECT_EQ(KeyName("symbol:pkg/mod.py#Parser.prop@12.2"), "prop");
  EXPECT_EQ(KeyName("symbol:mod.py#top"), "top");
  EXPECT_EQ(KeyName("file:pkg/url_tools.py"), "url_tools");
  EXPECT_EQ(KeyName("file:Makefile"), "Makefile");
  EXPECT_EQ(KeyName("task:12"), "");
  EXPECT_EQ(KeyName("symbol:no-hash"), "");
}

TEST(KeyFile, IsThePathOfFileAndSymbolKeysOnly) {
  EXPECT_EQ(KeyFile("symbol:pkg/mod.py#Parser.parse"), "pkg/mod.py");
  EXPECT_EQ(KeyFile("file:pkg/mod.py"), "pkg/mod.py");
  EXPECT_EQ(KeyFile("decision:adr-7"), "");
  EXPECT_EQ(KeyFile(""), "");
}

TEST(NameParts, AreTheStemmedPartsWithoutTheWholeIdentifier) {
  EXPECT_EQ(NameParts("_find_parent_path_names"), (Parts{"find", "name", "parent", "path"}));
  EXPECT_EQ(NameParts("parseHTTPRequest"), (Parts{"http", "pars", "request"}));
  EXPECT_EQ(NameParts("urlsplit"), (Parts{"urlsplit"}));
  EXPECT_EQ(NameParts("__init__"), (Parts{"init"}));
  EXPECT_TRUE(NameParts("").empty());
}

TEST(NameCoverage, CountsPartsAQueryTermEqualsOrSharesAStemWith) {
  const Parts name = NameParts("current_task");
  EXPECT_DOUBLE_EQ(NameCoverage(name, {"current", "task"}), 1.0);
  // "currently" stems to "currentli": the name's "current" is its prefix.
  EXPECT_DOUBLE_EQ(NameCoverage(name, {"return", "currentli", "execut", "task"}), 1.0);
  EXPECT_DOUBLE_EQ(NameCoverage(name, {"task"}), 0.5);
  EXPECT_DOUBLE_EQ(NameCoverage(name, {"queue"}), 0.0);
  // Below four letters only equal terms count: "get" is not "getter".
  EXPECT_DOUBLE_EQ(NameCoverage(NameParts("getter"), {"get"}), 0.0);
  EXPECT_DOUBLE_EQ(NameCoverage({}, {"task"}), 0.0);
  EXPECT_DOUBLE_EQ(NameCoverage(name, {}), 0.0);
}

TEST(FileAggregate, IsTheBestPlusTheDampedNextTwo) {
  FileAggregate file;
  EXPECT_DOUBLE_EQ(file.Score(0.5), 0.0);
  for (double s : {1.0, 4.0, 2.0, 3.0}) file.Add(s);
  EXPECT_DOUBLE_EQ(file.Score(0.0), 4.0);
  EXPECT_DOUBLE_EQ(file.Score(0.5), 4.0 + 0.5 * (3.0 + 2.0));
}

}  // namespace
}  // namespace docrunch::search
