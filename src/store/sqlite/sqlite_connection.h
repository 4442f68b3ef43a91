// One SQLite connection with Docrunch's settings (WAL, busy timeout,
// foreign keys) and its error mapping. Not thread-safe: one thread at a
// time (the store's pool and writer mutex see to that).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/store.h"

namespace docrunch::store {

class SqliteConnection {
 public:
  // Opens (creating if needed) the database file; the parent folder must
  // exist. Reads the file header, so a corrupt file fails here with
  // STORAGE_CORRUPT rather than on first use.
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path,
                                                        int busy_timeout_ms);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Exactly one statement; $1, $2, ... bound from params.
  Result<Rows> Query(std::string_view sql, const Params& params);
  // Like Query; returns the number of rows changed.
  Result<std::int64_t> Exec(std::string_view sql, const Params& params);
  // Like Query, handing each row to `each` as it is stepped (Reader::ForEachRow).
  Result<void> ForEachRow(std::string_view sql, const Params& params,
                          const std::function<void(const RowView&)>& each);
  // Runs one statement once per entry of `rows` (its parameters), preparing
  // it once; returns the rows every run produced, concatenated.
  Result<Rows> QueryEach(std::string_view sql, const std::vector<Params>& rows);
  // Several statements, no parameters (migration scripts, BEGIN/COMMIT).
  Result<void> ExecScript(std::string_view sql);

  // Whether a transaction is open (e.g. after a COMMIT that failed).
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

 private:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  // Where a statement goes when its user is done: reset back into the
  // cache under `sql`, or finalized when `owner` is null (not cacheable).
  struct StatementReturn {
    SqliteConnection* owner = nullptr;
    std::string sql;
    void operator()(sqlite3_stmt* stmt) const;
  };
  using Statement = std::unique_ptr<sqlite3_stmt, StatementReturn>;
  Result<Statement> Prepare(std::string_view sql, const Params& params);
  Result<void> Bind(sqlite3_stmt* stmt, const Params& params);
  Result<Rows> Run(std::string_view sql, const Params& params);
  // Steps `stmt` (bound) to the end, appending its rows to `rows`.
  Result<void> Step(sqlite3_stmt* stmt, Rows& rows);
  Error ErrorFor(int rc) const;

  sqlite3* db_;
  std::string path_;
  // Prepared statements by SQL text, not in use, for reuse: preparing is a
  // large share of a short query's cost (bench/mcp). One in use is taken
  // out, so a statement is never run twice at once.
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// Maps a SQLite result code to a store Error; `path` names the database in
// messages.
Error SqliteError(int rc, std::string_view message, const std::string& path);

}  // namespace docrunch::store
