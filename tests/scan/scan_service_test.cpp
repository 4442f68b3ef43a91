// The scan pipeline against both backends: what a scan stores, and what an
// incremental rescan does and does not write.
#include "scan/scan_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "scan/parser/parser.h"
#include "scan/scan_store.h"
#include "scan_fixture.h"
#include "search/search.h"
#include "search/task_context_source.h"
#include "store_test_env.h"
#include "tasks/context_pack.h"

namespace docrunch::scan {
namespace {

using ::testing::Contains;

class ScanServiceTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    MigrateStore();
    testing::WriteSampleRepository(repo_);
  }

  Result<ScanSummary> Scan(bool full = false, int workers = 0) {
    ScanOptions options;
    options.root = repo_.path();
    options.full = full;
    options.walk.parallel_workers = workers;
    options.parse = [this](Language language, std::string_view content) {
      return *parser_.Parse(language, content);
    };
    options.index = [](store::Tx& tx, std::int64_t repo, const std::string& path,
                       const ParsedFile* parsed) -> Result<void> {
      if (!parsed) return search::RemoveFile(tx, repo, path);
      return search::IndexFile(tx, repo, path, *parsed);
    };
    ScanService service(*store_);
    return service.Scan(options);
  }

  std::vector<Relationship> Relationships(std::int64_t repo) {
    return *ScanStore(*store_).LoadRelationships(repo);
  }

  testing::TempDir repo_;
  Parser parser_;
};

TEST_P(ScanServiceTest, StoresFilesSymbolsAndRelationships) {
  auto summary = Scan();
  ASSERT_TRUE(summary.ok()) << summary.error().ToString();
  EXPECT_EQ(summary->files, 7u);  // png, txt, json and the ignored build/ are skipped
  EXPECT_EQ(summary->files_by_language.at("python"), 3u);
  EXPECT_EQ(summary->files_by_language.at("tsx"), 2u);
  EXPECT_GE(summary->functions, 1u);
  EXPECT_GE(summary->methods, 2u);
  EXPECT_GE(summary->components, 2u);
  EXPECT_GE(summary->schemas, 2u);  // the SQLAlchemy model and the SQL table
  EXPECT_EQ(CountRows("scan_runs"), 1);
  EXPECT_EQ(CountRows("sync_events"), 9);  // the repository, 7 files, the relationship graph

  auto rels = Relationships(summary->repository_id);
  auto has = [&](const std::string& s, const std::string& t, const std::string& type) {
    return std::count(rels.begin(), rels.end(), Relationship{s, t, type, "{}"}) > 0;
  };
  EXPECT_TRUE(has("app/service.py", "app/models.py", "imports"));
  EXPECT_TRUE(has("app/service.py#UserService.register", "app/models.py#normalize_email", "calls"));
  EXPECT_TRUE(
      has("app/service.py#UserService.register", "app/service.py#UserService.find", "calls"));
  EXPECT_TRUE(has("app/service.py#UserService.find", "app/models.py#normalize_email", "calls"));
  EXPECT_TRUE(has("web/App.tsx", "web/components/Button.tsx", "imports"));  // tsconfig paths
  EXPECT_TRUE(has("web/App.tsx#App", "web/components/Button.tsx#Button", "uses"));
  EXPECT_TRUE(has("app/models.py", "ext:sqlalchemy", "imports"));
}

TEST_P(ScanServiceTest, RescanWithNothingChangedWritesOnlyTheScanRun) {
  auto first = Scan();
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  std::int64_t events = CountRows("sync_events");
  std::int64_t symbols = CountRows("symbols");
  auto second = Scan();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->files_parsed, 0u);
  EXPECT_EQ(second->files_unchanged, 7u);
  EXPECT_FALSE(second->changed);
  EXPECT_EQ(CountRows("sync_events"), events);
  EXPECT_EQ(CountRows("symbols"), symbols);
  EXPECT_EQ(CountRows("scan_runs"), 2);
  EXPECT_EQ(second->relationships, first->relationships);
}

TEST_P(ScanServiceTest, ChangedFilesAreReparsedAndDeletedFilesRemoved) {
  ASSERT_TRUE(Scan().ok());
  std::int64_t events = CountRows("sync_events");
  repo_.Write("app/models.py", repo_.Read("app/models.py") + "\ndef audit_trail():\n    pass\n");
  std::filesystem::remove(repo_ / "web/components/index.ts");
  auto summary = Scan();
  ASSERT_TRUE(summary.ok()) << summary.error().ToString();
  EXPECT_EQ(summary->files_parsed, 1u);
  EXPECT_EQ(summary->files_deleted, 1u);
  EXPECT_EQ(summary->files, 6u);
  auto found = store_->Query("SELECT COUNT(*) AS n FROM symbols WHERE name = 'audit_trail'");
  EXPECT_EQ(found->Int(0, "n"), 1);
  auto deletes = store_->Query(
      "SELECT entity_id FROM sync_events WHERE action = 'delete' AND entity_type = 'file'");
  ASSERT_EQ(deletes->size(), 1u);
  EXPECT_EQ(deletes->Text(0, "entity_id"), "web/components/index.ts");
  EXPECT_GT(CountRows("sync_events"), events);
  auto results =
      search::Search(*store_, summary->repository_id, "audit trail", 5, search::Scope::kAll);
  ASSERT_TRUE(results.ok());
  ASSERT_FALSE(results->empty());
  EXPECT_EQ(results->front().title, "audit_trail");
}

TEST_P(ScanServiceTest, FullRescanReparsesEverythingAndKeepsTheSameResult) {
  auto first = Scan();
  ASSERT_TRUE(first.ok());
  auto rels = Relationships(first->repository_id);
  auto full = Scan(/*full=*/true);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->files_parsed, 7u);
  EXPECT_EQ(Relationships(first->repository_id), rels);
  EXPECT_EQ(full->functions, first->functions);
}

// Files are parsed on several threads but stored in path order, in
// batches, so what is stored (down to the order of ids) does not depend on
// the thread count or on which file finished first.
TEST_P(ScanServiceTest, StoredOrderDoesNotDependOnTheThreadCount) {
  for (int i = 0; i < 130; ++i) {
    repo_.Write("many/m" + std::to_string(i) + ".py",
                "def f" + std::to_string(i) + "():\n    pass\n\nclass C" + std::to_string(i) +
                    ":\n    def g(self):\n        pass\n");
  }
  auto symbols_in_id_order = [&] {
    auto rows = store_->Query(
        "SELECT f.path, s.qualified_name FROM symbols s JOIN files f ON f.id = s.file_id "
        "ORDER BY s.id");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < rows->size(); ++i) {
      out.push_back(*rows->Text(i, "path") + "#" + *rows->Text(i, "qualified_name"));
    }
    return out;
  };
  auto one = Scan(/*full=*/false, /*workers=*/1);
  ASSERT_TRUE(one.ok()) << one.error().ToString();
  auto serial = symbols_in_id_order();
  ASSERT_GT(serial.size(), 390u);
  EXPECT_TRUE(std::is_sorted(serial.begin(), serial.end(), [](const auto& a, const auto& b) {
    return a.substr(0, a.find('#')) < b.substr(0, b.find('#'));
  }));
  auto four = Scan(/*full=*/true, /*workers=*/4);
  ASSERT_TRUE(four.ok()) << four.error().ToString();
  EXPECT_EQ(four->files_parsed, one->files_parsed);
  EXPECT_EQ(symbols_in_id_order(), serial);
}

TEST_P(ScanServiceTest, SearchRanksNamesOverBodies) {
  auto summary = Scan();
  ASSERT_TRUE(summary.ok());
  auto results =
      search::Search(*store_, summary->repository_id, "normalizeEmail", 5, search::Scope::kDocs);
  ASSERT_TRUE(results.ok());
  ASSERT_FALSE(results->empty());
  EXPECT_EQ(results->front().id, "symbol:app/models.py#normalize_email");
  EXPECT_EQ(results->front().file_path, "app/models.py");
  EXPECT_EQ(results->front().line_number, 12);
  auto reports =
      search::Search(*store_, summary->repository_id, "normalize", 5, search::Scope::kReports);
  EXPECT_TRUE(reports->empty());
  EXPECT_TRUE(
      search::Search(*store_, summary->repository_id, "the of", 5, search::Scope::kAll)->empty());
}

// rxjs's minified bundle defines the same function many times on line 1:
// the search documents' keys collided and the whole scan failed.
TEST_P(ScanServiceTest, NameDefinedThriceOnOneLineIsIndexedThrice) {
  repo_.Write("web/bundle.min.js", "function f(){}function f(){}function f(){}\n");
  auto summary = Scan();
  ASSERT_TRUE(summary.ok()) << summary.error().ToString();
  auto docs = store_->Query(
      "SELECT doc_key FROM search_docs WHERE file_path = 'web/bundle.min.js' AND type = "
      "'function' ORDER BY doc_key");
  ASSERT_TRUE(docs.ok()) << docs.error().ToString();
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ(*docs->Text(0, "doc_key"), "symbol:web/bundle.min.js#f");
  EXPECT_EQ(*docs->Text(1, "doc_key"), "symbol:web/bundle.min.js#f@1");
  EXPECT_EQ(*docs->Text(2, "doc_key"), "symbol:web/bundle.min.js#f@1.2");
}

TEST_P(ScanServiceTest, TaskContextComesFromSearch) {
  auto summary = Scan();
  ASSERT_TRUE(summary.ok());
  tasks::Task task;
  task.repository_id = summary->repository_id;
  task.title = "Normalize user email addresses";
  task.description = "Registration must store the normalized email of a User.";
  search::SearchContextSource source(5);
  auto context = source.FindContext(*store_, task);
  ASSERT_TRUE(context.ok()) << context.error().ToString();
  auto has_file = [&](const std::string& path) {
    return std::any_of(context->files.begin(), context->files.end(),
                       [&](const tasks::ContextFile& f) { return f.path == path; });
  };
  EXPECT_TRUE(has_file("app/models.py"));
  ASSERT_FALSE(context->symbols.empty());
  EXPECT_EQ(context->symbols.front().qualified_name, "normalize_email");
  EXPECT_TRUE(std::any_of(context->schemas.begin(), context->schemas.end(),
                          [](const tasks::ContextSymbol& s) { return s.name == "User"; }));
}

// get_task's packed context on a repository whose relevant files are known:
// the e-mail task is about app/models.py (normalize_email, User) and
// app/service.py, not the web app or the SQL schema.
TEST_P(ScanServiceTest, PackedTaskContextPutsTheRelevantFilesFirstWithinBudget) {
  auto summary = Scan();
  ASSERT_TRUE(summary.ok());
  tasks::TaskDetails details;
  details.task.id = 7;
  details.task.repository_id = summary->repository_id;
  details.task.type = "feature";
  details.task.title = "Normalize user email addresses";
  details.task.description = "Registration must store the normalized email of a User.";
  search::SearchContextSource source(10);
  auto context = source.FindContext(*store_, details.task);
  ASSERT_TRUE(context.ok()) << context.error().ToString();
  details.context = *context;
  for (const auto& s : context->symbols) {
    EXPECT_GT(s.relevance, 0) << s.qualified_name;
    EXPECT_LE(s.relevance, 1) << s.qualified_name;
  }
  tasks::PackedTask all = tasks::PackTask(details, 2000);
  ASSERT_GE(all.items.size(), 3u) << all.text;
  EXPECT_EQ(all.items[0].data["name"], "normalize_email") << all.text;
  EXPECT_EQ(all.items[0].data["signature"], "def normalize_email(address):");
  EXPECT_EQ(all.items[0].data["summary"], "Lower-case an e-mail address.");
  // Redundancy at work: app/service.py's first item comes before the second
  // symbol of app/models.py, and nothing from web/ or schema.sql comes
  // before the app/ items.
  int models_symbols = 0;
  bool service_seen = false;
  for (const auto& item : all.items) {
    const std::string path = item.data.value("path", "");
    if (path == "app/service.py") service_seen = true;
    if (path == "app/models.py" && item.kind != "file" && ++models_symbols == 2) {
      EXPECT_TRUE(service_seen) << all.text;
    }
  }
  EXPECT_TRUE(service_seen) << all.text;
  bool outside = false;
  for (const auto& item : all.items) {
    const std::string path = item.data.value("path", "");
    if (path.rfind("app/", 0) == 0) {
      EXPECT_FALSE(outside) << "an app/ item after an unrelated one:\n" << all.text;
    } else if (!path.empty()) {
      outside = true;
    }
  }
  for (int budget : {20, 40, 60, 100, 200, 400}) {
    tasks::PackedTask p = tasks::PackTask(details, budget);
    EXPECT_LE(p.used_tokens, budget);
    EXPECT_EQ(p.text.rfind("task-7: Normalize user email addresses", 0), 0u) << p.text;
    // Whatever fits first (a short line when the budget is small) is of app/models.py.
    if (!p.items.empty()) {
      EXPECT_EQ(p.items[0].data["path"], "app/models.py") << budget;
    }
  }
}

TEST_P(ScanServiceTest, MissingRootIsAnError) {
  ScanService service(*store_);
  ScanOptions options;
  options.root = repo_ / "does-not-exist";
  auto result = service.Scan(options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidParams);
  EXPECT_EQ(CountRows("scan_runs"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ScanServiceTest, ::testing::Values("sqlite", "postgres"),
                         store::BackendParamName);

}  // namespace
}  // namespace docrunch::scan
