#include "search/rerank.h"

#include <gtest/gtest.h>

#include <cmath>

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

TEST(IsPrivateName, IsALeadingUnderscoreButNotADunder) {
  for (const char* name : {"_quote", "__mangled", "_", "_Feature", "__x_"})
    EXPECT_TRUE(IsPrivateName(name)) << name;
  for (const char* name : {"quote", "__init__", "__round__", "Feature", "", "x_"})
    EXPECT_FALSE(IsPrivateName(name)) << name;
}

TEST(NameCoverage, CountsPartsAQueryTermEqualsOrSharesAStemWith) {
  const Parts name = NameParts("current_task");
  EXPECT_DOUBLE_EQ(NameCoverage(name, {"current", "task"}), 1.0);
  // A term that is a prefix of a part, or the reverse, covers it: "parse"
  // stems to "pars", a prefix of the name's "parser".
  EXPECT_DOUBLE_EQ(NameCoverage(NameParts("make_parser"), {"make", "pars"}), 1.0);
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

// The counts behind the associations: per docstring word, the name parts
// of the symbols documented with it and how many symbols had both.
TEST(TermAssociations, CountWhichNamePartsTheSymbolsDocumentedWithAWordCarry) {
  TermAssociations table;
  table.Add("quote_plus", "Percent-encode text for a form.");
  table.Add("quote_from_bytes", "Percent-encode bytes.");
  table.Add("quote_path", "Percent-encode a path.");
  table.Add("unquote", "Decode percent escapes.");
  table.Add("read_file", "Read a file.");
  table.Add("", "A docstring without a name teaches nothing.");
  table.Add("undocumented", "");
  table.Finish(2);
  EXPECT_DOUBLE_EQ(table.Symbols(), 5);
  EXPECT_DOUBLE_EQ(table.WordDf("percent"), 4);
  EXPECT_DOUBLE_EQ(table.WordDf("nowher"), 0);
  const auto& pairs = table.PairsOf("percent");
  // "quot" met "percent" three times; "unquot" and "plu" once (below 2).
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].part, "quot");
  EXPECT_DOUBLE_EQ(pairs[0].together, 3);
  EXPECT_DOUBLE_EQ(pairs[0].part_df, 3);
  EXPECT_TRUE(table.PairsOf("nowher").empty());
  // A word and a part of the same symbol: "file" with "file" (once: not kept).
  EXPECT_TRUE(table.PairsOf("file").empty());
}

TEST(AssociationStrength, ShareLiftAndNormalizedPmi) {
  // 3 of the word's 4 symbols have the part, which 3 of 10 symbols have.
  EXPECT_DOUBLE_EQ(AssociationStrength(AssociationMeasure::kShare, 3, 4, 3, 10), 0.75);
  const double lift = 0.75 / 0.3;
  EXPECT_DOUBLE_EQ(AssociationStrength(AssociationMeasure::kShareLift, 3, 4, 3, 10),
                   0.75 * std::log(lift));
  EXPECT_DOUBLE_EQ(AssociationStrength(AssociationMeasure::kNpmi, 3, 4, 3, 10),
                   std::log(lift) / -std::log(0.3));
  // No more often than on average: no association (share still counts).
  EXPECT_DOUBLE_EQ(AssociationStrength(AssociationMeasure::kShareLift, 1, 4, 5, 20), 0.0);
  EXPECT_DOUBLE_EQ(AssociationStrength(AssociationMeasure::kNpmi, 1, 4, 5, 20), 0.0);
  EXPECT_DOUBLE_EQ(AssociationStrength(AssociationMeasure::kShare, 1, 4, 5, 20), 0.25);
  EXPECT_DOUBLE_EQ(AssociationStrength(AssociationMeasure::kNpmi, 0, 4, 5, 20), 0.0);
}

}  // namespace
}  // namespace docrunch::search
