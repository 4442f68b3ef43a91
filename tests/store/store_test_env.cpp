#include "store/store_test_env.h"

#include <libpq-fe.h>

#include "core/clock.h"
#include "store/pending_events.h"

namespace docrunch::store {

std::string PostgresAdminUrl() {
  return docrunch::testing::EnvOr("DOCRUNCH_TEST_POSTGRES_URL");
}

std::string WithDatabase(const std::string& url, const std::string& dbname) {
  auto scheme = url.find("://");
  auto path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos) return url + "/" + dbname;
  auto end = url.find('?', path);
  return url.substr(0, path + 1) + dbname + (end == std::string::npos ? "" : url.substr(end));
}

std::string ScratchPostgresDatabase::AdminExec(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
      error = PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  PQfinish(conn);
  return error;
}

ScratchPostgresDatabase::ScratchPostgresDatabase(std::string admin_url)
    : admin_url_(std::move(admin_url)),
      name_("docrunch_test_" + RandomIdGenerator().NewId().substr(0, 16)) {
  std::string error = AdminExec(admin_url_, "CREATE DATABASE " + name_);
  if (!error.empty()) ADD_FAILURE() << "cannot create test database: " << error;
}

ScratchPostgresDatabase::~ScratchPostgresDatabase() {
  std::string error = AdminExec(admin_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  if (!error.empty()) ADD_FAILURE() << "cannot drop test database " << name_ << ": " << error;
}

void StoreTest::SetUp() {
  if (IsPostgres()) {
    if (PostgresAdminUrl().empty()) GTEST_SKIP() << "DOCRUNCH_TEST_POSTGRES_URL not set";
    postgres_.emplace(PostgresAdminUrl());
  }
  store_ = OpenAnother();
  ASSERT_NE(store_, nullptr);
}

void StoreTest::TearDown() {
  store_.reset();  // close connections before the database is dropped
  postgres_.reset();
}

StoreOptions StoreTest::Options() const {
  StoreOptions options;
  if (IsPostgres()) {
    options.backend = StoreOptions::Backend::kPostgres;
    options.postgres_url = postgres_->url();
  } else {
    options.backend = StoreOptions::Backend::kSqlite;
    options.sqlite_path = (dir_ / "docrunch.db").string();
  }
  return options;
}

void StoreTest::ReopenWithClock(const Clock& clock) {
  StoreOptions options = Options();
  options.clock = &clock;
  store_.reset();
  auto opened = OpenStore(options);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  store_ = std::move(*opened);
}

std::int64_t StoreTest::AddBareRepository() {
  std::int64_t id = -1;
  auto added = store_->Transact([&](Tx& tx) -> Result<void> {
    auto rows = tx.Query(
        "INSERT INTO repositories (name, root_path, created_at, updated_at) "
        "VALUES ('repo', '/repo', $1, $1) RETURNING id",
        {FormatIso8601(tx.clock().Now())});
    if (!rows) return rows.error();
    id = *rows->Int(0, "id");
    return Ok();
  });
  EXPECT_TRUE(added.ok()) << added.error().ToString();
  return id;
}

std::unique_ptr<Store> StoreTest::OpenAnother() const {
  auto store = OpenStore(Options());
  if (!store) {
    ADD_FAILURE() << "OpenStore: " << store.error().ToString();
    return nullptr;
  }
  return std::move(*store);
}

void StoreTest::MigrateStore() {
  auto status = store_->Migrate();
  ASSERT_TRUE(status.ok()) << status.error().ToString();
  ASSERT_FALSE(status->behind());
}

std::int64_t StoreTest::CountRows(const std::string& table) {
  auto rows = store_->Query("SELECT count(*) AS n FROM " + table);
  EXPECT_TRUE(rows.ok()) << table << ": " << rows.error().ToString();
  return rows.ok() ? rows->Int(0, "n").value_or(-1) : -1;
}

std::int64_t StoreTest::CountPending(const std::string& condition) {
  auto rows = store_->Query("SELECT count(*) AS n FROM sync_events e WHERE " +
                            store::IsPending("e") + " AND (" + condition + ")");
  EXPECT_TRUE(rows.ok()) << condition << ": " << rows.error().ToString();
  return rows.ok() ? rows->Int(0, "n").value_or(-1) : -1;
}

std::string BackendParamName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgres"),
                         BackendParamName);
// Suites that only derive their own fixtures from StoreTest link this file too.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreTest);

}  // namespace docrunch::store
