#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "app_test_util.h"

namespace docrunch::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class DbCommand : public ProjectTest {};

TEST_F(DbCommand, StatusAfterInitIsCurrent) {
  Init();
  ProcessResult r = Docrunch({"db", "status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("backend:  sqlite"));
  EXPECT_THAT(r.out, HasSubstr("(current)"));
  ProcessResult json = Docrunch({"db", "status", "--json"});
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["state"], "current");
  EXPECT_EQ(doc["pending"].size(), 0u);
  EXPECT_GE(doc["applied"].size(), 1u);
  EXPECT_EQ(Docrunch({"db", "migrate"}).out,
            "schema already current (version " + doc["current_version"].dump() + ")\n");
}

TEST_F(DbCommand, MigrateCreatesAMissingDatabase) {
  Init();
  fs::remove(dir_ / ".docrunch/docrunch.db");
  ProcessResult status = Docrunch({"db", "status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(nlohmann::json::parse(status.out)["state"], "behind");
  ProcessResult r = Docrunch({"db", "migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("from version 0 to"));
}

TEST_F(DbCommand, DatabaseAheadOfTheBinaryIsRefused) {
  Init();
  ProcessResult insert =
      testing::Run({"sqlite3", (dir_ / ".docrunch/docrunch.db").string(),
                    "INSERT INTO schema_migrations(version, name, applied_at) "
                    "VALUES (999, 'from the future', '2030-01-01T00:00:00.000Z')"});
  ASSERT_EQ(insert.exit_code, 0) << insert.err;
  ProcessResult r = Docrunch({"db", "migrate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("STORAGE_SCHEMA_AHEAD"));
  EXPECT_THAT(r.err, HasSubstr("newer docrunch"));
  EXPECT_THAT(Docrunch({"db", "status"}).out, HasSubstr("ahead"));
}

TEST_F(DbCommand, CorruptedDatabaseIsAClearError) {
  Init();
  dir_.Write(".docrunch/docrunch.db", std::string(8192, '\x5a'));
  fs::remove(dir_ / ".docrunch/docrunch.db-wal");
  fs::remove(dir_ / ".docrunch/docrunch.db-shm");
  ProcessResult r = Docrunch({"db", "status"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.signal, 0);
  EXPECT_THAT(r.err, HasSubstr("STORAGE_CORRUPT"));
  EXPECT_THAT(r.err, HasSubstr("docrunch.db"));
}

TEST_F(DbCommand, ReadOnlyDatabaseIsAClearError) {
  Init();
  fs::path db = dir_ / ".docrunch/docrunch.db";
  fs::remove(dir_ / ".docrunch/docrunch.db-wal");
  fs::remove(dir_ / ".docrunch/docrunch.db-shm");
  fs::permissions(db, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const std::string before = ReadFile(db);
  ProcessResult r = Docrunch({"db", "migrate"}, {}, /*unprivileged=*/true);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.signal, 0);
  EXPECT_THAT(r.err,
              ::testing::AnyOf(HasSubstr("STORAGE_READ_ONLY"), HasSubstr("STORAGE_UNAVAILABLE")));
  EXPECT_THAT(r.err, HasSubstr("docrunch.db"));
  EXPECT_EQ(ReadFile(db), before);
}

TEST_F(DbCommand, UnreachablePostgresExitsThreeWithinTheTimeout) {
  Init();
  dir_.Write(".docrunch/config.yaml",
             "storage:\n  backend: postgres\n  postgres_url_env: PG_URL\n  connect_timeout: 2s\n");
  ProcessResult r = Docrunch({"db", "status"},
                             {{"PG_URL", "postgresql://docrunch:pw-secret@127.0.0.1:1/docrunch"}});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("STORAGE_UNAVAILABLE"));
  EXPECT_THAT(r.err, HasSubstr("127.0.0.1:1"));
  EXPECT_THAT(r.err, Not(HasSubstr("pw-secret")));
  EXPECT_LT(r.elapsed.count(), 3000);
}

TEST_F(DbCommand, PostgresMigrateAndStatus) {
  const std::string admin = EnvOr("DOCRUNCH_TEST_POSTGRES_URL");
  if (admin.empty()) GTEST_SKIP() << "DOCRUNCH_TEST_POSTGRES_URL not set";
  // A database of its own, so tests running in parallel do not collide.
  const std::string name = "cli_" + dir_.path().filename().string().substr(14);
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ASSERT_EQ(testing::Run({"psql", admin, "-qc", "CREATE DATABASE " + lower}).exit_code, 0);
  std::string url = admin.substr(0, admin.rfind('/') + 1) + lower;

  Init();
  dir_.Write(".docrunch/config.yaml",
             "storage:\n  backend: postgres\n  postgres_url_env: PG_URL\n");
  std::map<std::string, std::string> env{{"PG_URL", url}};
  ProcessResult status = Docrunch({"db", "status", "--json"}, env);
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(nlohmann::json::parse(status.out)["state"], "behind");
  EXPECT_EQ(nlohmann::json::parse(status.out)["backend"], "postgres");
  ProcessResult migrate = Docrunch({"db", "migrate"}, env);
  EXPECT_EQ(migrate.exit_code, 0) << migrate.err;
  status = Docrunch({"db", "status", "--json"}, env);
  EXPECT_EQ(nlohmann::json::parse(status.out)["state"], "current");
  testing::Run({"psql", admin, "-qc", "DROP DATABASE " + lower + " WITH (FORCE)"});
}

TEST_F(DbCommand, ConcurrentMigrationsOnPostgresEndWithOneSchema) {
  const std::string admin = EnvOr("DOCRUNCH_TEST_POSTGRES_URL");
  if (admin.empty()) GTEST_SKIP() << "DOCRUNCH_TEST_POSTGRES_URL not set";
  std::string name = "race_" + dir_.path().filename().string().substr(14);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ASSERT_EQ(testing::Run({"psql", admin, "-qc", "CREATE DATABASE " + name}).exit_code, 0);
  const std::string url = admin.substr(0, admin.rfind('/') + 1) + name;
  Init();
  dir_.Write(".docrunch/config.yaml",
             "storage:\n  backend: postgres\n  postgres_url_env: PG_URL\n");

  // Four `docrunch db migrate` processes at once.
  std::vector<ProcessResult> results(4);
  std::vector<std::thread> threads;
  for (auto& result : results) {
    threads.emplace_back([&] { result = Docrunch({"db", "migrate"}, {{"PG_URL", url}}); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r.exit_code, 0) << r.err;

  ProcessResult status = Docrunch({"db", "status", "--json"}, {{"PG_URL", url}});
  auto doc = nlohmann::json::parse(status.out);
  EXPECT_EQ(doc["state"], "current");
  ProcessResult rows = testing::Run(
      {"psql", url, "-tAc",
       "SELECT count(*) = count(DISTINCT version) AND count(*) > 0 FROM schema_migrations"});
  EXPECT_EQ(rows.out, "t\n");
  testing::Run({"psql", admin, "-qc", "DROP DATABASE " + name + " WITH (FORCE)"});
}

}  // namespace
}  // namespace docrunch::testing
