// Golden tests: every file under fixtures/<language>/ is parsed and its
// ParsedFile JSON compared byte for byte with <file>.json next to it.
//
// DOCRUNCH_UPDATE_GOLDEN=1 rewrites the expected files instead; review every
// changed JSON by eye before committing it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/files.h"
#include "scan/parser/parser.h"
#include "support/temp_dir.h"

namespace docrunch::scan {
namespace {

namespace fs = std::filesystem;

const fs::path& FixtureRoot() {
  static const fs::path root = fs::path(DOCRUNCH_SOURCE_DIR) / "tests/scan/parser/fixtures";
  return root;
}

bool IsExpectation(const fs::path& path) {
  return path.extension() == ".json";
}

std::vector<fs::path> Fixtures() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(FixtureRoot())) {
    if (entry.is_regular_file() && !IsExpectation(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string TestName(const ::testing::TestParamInfo<fs::path>& info) {
  std::string name = fs::relative(info.param, FixtureRoot()).string();
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
      '_');
  return name;
}

class ParserGolden : public ::testing::TestWithParam<fs::path> {};

TEST_P(ParserGolden, MatchesExpectedJson) {
  const fs::path& path = GetParam();
  Language language = LanguageForPath(path.string());
  ASSERT_NE(language, Language::kUnknown) << path << " has no language by its extension";
  EXPECT_EQ(path.parent_path().filename().string(), LanguageName(language))
      << "fixtures live in a folder named for their language";

  auto source = ReadFileText(path);
  ASSERT_TRUE(source.ok()) << source.error().ToString();
  auto parsed = Parser().Parse(language, *source);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  // Body terms (what search indexes of a body) have their own tests in
  // parser_test.cpp; left out here so the goldens stay about structure.
  nlohmann::json tree = *parsed;
  for (auto& symbol : tree["symbols"]) symbol.erase("body_terms");
  std::string actual = tree.dump(2) + "\n";

  fs::path expected_path = path;
  expected_path += ".json";
  if (testing::EnvOr("DOCRUNCH_UPDATE_GOLDEN") == "1") {
    ASSERT_TRUE(WriteFileAtomic(expected_path, actual).ok());
    GTEST_SKIP() << "rewrote " << expected_path;
  }
  ASSERT_TRUE(fs::exists(expected_path))
      << expected_path << " is missing; run with DOCRUNCH_UPDATE_GOLDEN=1 and review it";
  std::string expected = testing::ReadFile(expected_path);
  if (expected == actual) return;
  // Byte-for-byte is the test; the JSON patch is there to read.
  auto expected_json = nlohmann::json::parse(expected, nullptr, /*allow_exceptions=*/false);
  ADD_FAILURE()
      << "golden mismatch for " << path << "; JSON patch from expected to actual:\n"
      << nlohmann::json::diff(expected_json, nlohmann::json::parse(actual)).dump(2)
      << "\nIf the new output is right, rerun with DOCRUNCH_UPDATE_GOLDEN=1 and review it.";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ParserGolden, ::testing::ValuesIn(Fixtures()), TestName);

TEST(ParserGoldenSet, EverySupportedLanguageHasAFixture) {
  std::set<std::string> covered;
  for (const auto& path : Fixtures()) covered.insert(path.parent_path().filename().string());
  for (int i = 0; i <= static_cast<int>(Language::kSql); ++i) {
    auto language = static_cast<Language>(i);
    if (!Parser::Supports(language)) continue;
    EXPECT_TRUE(covered.contains(std::string(LanguageName(language))))
        << "no fixture for " << LanguageName(language);
  }
}

TEST(ParserGoldenSet, EveryExpectationHasItsSource) {
  for (const auto& entry : fs::recursive_directory_iterator(FixtureRoot())) {
    if (!IsExpectation(entry.path())) continue;
    fs::path source = entry.path();
    source.replace_extension();
    EXPECT_TRUE(fs::exists(source)) << entry.path() << " is stale: " << source << " is gone";
  }
}

}  // namespace
}  // namespace docrunch::scan
