// What ScanStore writes and reads back, against both backends: the JSON
// columns are exactly nlohmann's dump() of the same values, and the facts a
// full scan takes from memory (StoredFacts) are exactly what LoadFacts reads
// back from the database.
#include "scan/scan_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/files.h"
#include "scan/analyzer.h"
#include "scan/parser/parser.h"
#include "scan/scan_service.h"
#include "scan_fixture.h"
#include "store_test_env.h"

namespace docrunch::scan {
namespace {

using nlohmann::json;

class ScanStoreTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    MigrateStore();
    auto repo = ScanStore(*store_).EnsureRepository("/repo", "repo");
    ASSERT_TRUE(repo.ok()) << repo.error().ToString();
    repo_id_ = *repo;
    auto run = ScanStore(*store_).BeginScanRun(repo_id_, true);
    ASSERT_TRUE(run.ok()) << run.error().ToString();
    run_id_ = *run;
  }

  std::string Column(const std::string& sql) {
    auto rows = store_->Query(sql, {repo_id_});
    EXPECT_TRUE(rows.ok()) << rows.error().ToString();
    if (!rows.ok() || rows->size() != 1) return "<no single row>";
    return rows->Text(0, rows->columns.front()).value_or("<null>");
  }

  std::int64_t repo_id_ = 0;
  std::int64_t run_id_ = 0;
};

// Every character JSON escapes, the ones it does not (DEL, non-ASCII), and
// empty strings, in every JSON column the scan writes.
TEST_P(ScanStoreTest, JsonColumnsAreWhatNlohmannDumps) {
  const std::string odd = std::string("q\"b\\s/\b\f\n\r\tc\x01\x1f\x7f") + "é😀";
  FileRecord file{"odd.py", 10, 1, "hash", {}};
  file.parsed.language = Language::kPython;
  file.parsed.calls = {{"", "f", 1}, {odd, odd + "()", -2}};
  file.parsed.uses = {{odd, "", 3}};
  file.parsed.diagnostics = {{"PARSE_SYNTAX_ERROR", odd, 7}, {"X", "", 0}};
  Symbol symbol;
  symbol.name = "C";
  symbol.qualified_name = "C";
  symbol.bases = {odd, "", "b"};
  symbol.fields = {"id"};
  file.parsed.symbols = {symbol};
  file.parsed.imports = {{"m", odd, "", 1, 1}};
  ASSERT_TRUE(ScanStore(*store_).WriteFiles(repo_id_, run_id_, {file}).ok());

  json calls = json::array(), uses = json::array(), diagnostics = json::array();
  for (const auto& c : file.parsed.calls) calls.push_back({c.caller, c.callee, c.line});
  for (const auto& u : file.parsed.uses) uses.push_back({u.user, u.used, u.line});
  for (const auto& d : file.parsed.diagnostics) {
    diagnostics.push_back({{"code", d.code}, {"message", d.message}, {"line", d.line}});
  }
  EXPECT_EQ(Column("SELECT refs FROM files WHERE repository_id = $1"),
            (json{{"calls", calls}, {"uses", uses}}.dump()));
  EXPECT_EQ(Column("SELECT diagnostics FROM files WHERE repository_id = $1"), diagnostics.dump());
  EXPECT_EQ(Column("SELECT bases FROM symbols WHERE repository_id = $1"),
            json(symbol.bases).dump());
  EXPECT_EQ(Column("SELECT implements FROM symbols WHERE repository_id = $1"), "[]");
  EXPECT_EQ(Column("SELECT fields FROM symbols WHERE repository_id = $1"), "[\"id\"]");
  EXPECT_EQ(Column("SELECT names FROM imports WHERE repository_id = $1"),
            json(std::vector<std::string>{odd}).dump());
}

// The sample repository (Python, TSX, SQL) and a file of every other kind
// of fact, parsed and written, then read back: LoadFacts must give what
// StoredFacts gives from the parsed files, file by file and in order.
TEST_P(ScanStoreTest, StoredFactsEqualWhatLoadFactsReadsBack) {
  testing::TempDir dir;
  testing::WriteSampleRepository(dir);
  Parser parser;
  std::vector<FileRecord> records;
  for (const char* path : {"web/components/index.ts", "app/models.py", "web/App.tsx",
                           "app/service.py", "schema.sql", "web/components/Button.tsx"}) {
    auto content = ReadFileText(dir / path);
    ASSERT_TRUE(content.ok());
    Language language = RefineLanguage(LanguageForPath(path), path, *content);
    auto parsed = parser.Parse(language, *content);
    ASSERT_TRUE(parsed.ok());
    records.push_back({path, 1, 1, "h", std::move(*parsed)});
  }
  ASSERT_TRUE(ScanStore(*store_).WriteFiles(repo_id_, run_id_, records, nullptr, 4).ok());

  std::vector<FileFacts> expected;
  for (const auto& record : records) expected.push_back(StoredFacts(record.path, record.parsed));
  std::sort(expected.begin(), expected.end(),
            [](const FileFacts& a, const FileFacts& b) { return a.path < b.path; });
  auto loaded = ScanStore(*store_).LoadFacts(repo_id_);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  ASSERT_EQ(loaded->size(), expected.size());
  std::size_t facts = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*loaded)[i].path, expected[i].path);
    EXPECT_EQ((*loaded)[i].parsed.language, expected[i].parsed.language) << expected[i].path;
    EXPECT_EQ(json((*loaded)[i].parsed).dump(), json(expected[i].parsed).dump())
        << expected[i].path;
    const ParsedFile& p = expected[i].parsed;
    facts +=
        p.symbols.size() + p.imports.size() + p.exports.size() + p.calls.size() + p.uses.size();
  }
  EXPECT_GT(facts, 20u);  // the comparison compared something
  EXPECT_EQ(Analyze(*loaded, {}), Analyze(expected, {}));
}

// A full scan analyzes the facts from memory, an incremental one reads them
// back: both must give the relationships the stored facts give.
TEST_P(ScanStoreTest, ScanRelationshipsEqualTheAnalysisOfTheStoredFacts) {
  testing::TempDir dir;
  testing::WriteSampleRepository(dir);
  Parser parser;
  ScanOptions options;
  options.root = dir.path();
  options.parse = [&parser](Language language, std::string_view content) {
    return *parser.Parse(language, content);
  };
  auto from_database = [&](std::int64_t repo) {
    ProjectFiles project;
    project.tsconfig_json = *ReadFileText(dir / "tsconfig.json");
    auto facts = ScanStore(*store_).LoadFacts(repo);
    EXPECT_TRUE(facts.ok());
    return Analyze(*facts, project);
  };
  ScanService service(*store_);
  auto first = service.Scan(options);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  auto relationships = ScanStore(*store_).LoadRelationships(first->repository_id);
  ASSERT_TRUE(relationships.ok());
  EXPECT_GT(relationships->size(), 5u);
  EXPECT_EQ(*relationships, from_database(first->repository_id));

  dir.Write("app/extra.py",
            "from .models import normalize_email\n\ndef f():\n    normalize_email(1)\n");
  auto second = service.Scan(options);  // incremental: one file parsed
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  ASSERT_EQ(second->files_parsed, 1u);
  relationships = ScanStore(*store_).LoadRelationships(first->repository_id);
  EXPECT_EQ(*relationships, from_database(first->repository_id));
  EXPECT_GT(relationships->size(), first->relationships);
}

INSTANTIATE_TEST_SUITE_P(Backends, ScanStoreTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::scan
