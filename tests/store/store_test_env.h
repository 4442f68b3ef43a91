// The backend-parameterized fixture of the store conformance suite.
//
// Every TEST_P(StoreTest, ...) runs once per backend: "sqlite" (a file in a
// temporary folder) and "postgres" (a fresh database with a random name on
// the server named by DOCRUNCH_TEST_POSTGRES_URL, dropped afterwards; the
// test is skipped when the variable is unset).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "store/store.h"
#include "support/temp_dir.h"

namespace docrunch {
// Error codes print by name in test failures.
inline void PrintTo(ErrorCode code, std::ostream* os) {
  *os << ErrorCodeName(code);
}
}  // namespace docrunch

namespace docrunch::store {

// DOCRUNCH_TEST_POSTGRES_URL, or "" when Postgres tests should skip.
std::string PostgresAdminUrl();

// `url` with its database name replaced by `dbname`.
std::string WithDatabase(const std::string& url, const std::string& dbname);

// A database with a random name on the test server; dropped (even with
// connections still open) when destroyed.
class ScratchPostgresDatabase {
 public:
  explicit ScratchPostgresDatabase(std::string admin_url);
  ~ScratchPostgresDatabase();
  ScratchPostgresDatabase(const ScratchPostgresDatabase&) = delete;
  ScratchPostgresDatabase& operator=(const ScratchPostgresDatabase&) = delete;

  const std::string& name() const { return name_; }
  std::string url() const { return WithDatabase(admin_url_, name_); }
  // Runs one statement as the admin (in the admin database); "" or libpq's error.
  static std::string AdminExec(const std::string& url, const std::string& sql);

 private:
  std::string admin_url_;
  std::string name_;
};

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;

  bool IsPostgres() const { return GetParam() == "postgres"; }
  // Options for another store on the same database as store_.
  StoreOptions Options() const;
  // Opens another store on the same database; nullptr (and a test failure)
  // if that fails.
  std::unique_ptr<Store> OpenAnother() const;
  // Replaces store_ with one on the same database that reads `clock`
  // (which must outlive it); a failure fails the test.
  void ReopenWithClock(const Clock& clock);
  // Migrates store_; a failure fails the test.
  void MigrateStore();
  // Inserts a repositories row ('repo' at /repo) with no outbox event, for
  // tests that count the events they emit themselves; its id (and a
  // failure) or -1.
  std::int64_t AddBareRepository();
  // SELECT count(*) of a table through store_; -1 (and a failure) on error.
  std::int64_t CountRows(const std::string& table);
  // Outbox events still pending (store/pending_events.h), of those rows
  // `e` of sync_events that meet `condition` ("true": all).
  std::int64_t CountPending(const std::string& condition = "true");

  std::unique_ptr<Store> store_;  // on a fresh, empty database

 private:
  docrunch::testing::TempDir dir_;
  std::optional<ScratchPostgresDatabase> postgres_;
};

// "sqlite" / "postgres" as the test-name suffix.
std::string BackendParamName(const ::testing::TestParamInfo<std::string>& info);

}  // namespace docrunch::store
