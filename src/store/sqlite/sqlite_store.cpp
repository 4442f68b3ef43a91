#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <vector>

#include "store/connection_pool.h"
#include "store/sqlite/sqlite_connection.h"

namespace docrunch::store {
namespace {

constexpr int kMaxReaders = 4;

// FTS5 over source_fts (migration 5): any of the words, ranked by bm25
// with a name match worth three body matches.
Result<Rows> SqliteFullText(Reader& db, std::int64_t repo, const std::vector<std::string>& terms,
                            const std::vector<int>& tables, int limit) {
  std::vector<std::string> words = FullTextWords(terms);
  if (words.empty() || limit <= 0) return Rows{};
  std::string match;
  for (const auto& w : words) match += (match.empty() ? "\"" : " OR \"") + w + "\"";
  return db.Query(
      "SELECT rowid AS key, -bm25(source_fts, 3.0, 1.0) AS rank FROM source_fts "
      "WHERE source_fts MATCH $1 AND repository_id = $2 " +
          FullTextTableFilter(tables, "rowid") + " ORDER BY rank DESC, key LIMIT $3",
      {match, repo, std::int64_t{limit}});
}

// Parameters and rows per multi-row INSERT statement (SQLite allows 32766
// parameters); the statement's SQL must stay short enough for the
// connection's statement cache (kMaxCachedSqlBytes).
constexpr std::size_t kParamsPerChunk = 2048;
constexpr std::size_t kMaxRowsPerStatement = 256;

// "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)" for `rows` rows.
std::string InsertSql(const std::string& table, const std::vector<std::string>& columns,
                      std::size_t rows, const std::string& returning) {
  std::string sql = "INSERT INTO " + table + " (";
  for (std::size_t c = 0; c < columns.size(); ++c) sql += (c ? ", " : "") + columns[c];
  sql += ") VALUES ";
  std::size_t n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (std::size_t c = 0; c < columns.size(); ++c) {
      sql += (c ? ", $" : "$") + std::to_string(++n);
    }
    sql += ")";
  }
  if (!returning.empty()) sql += " RETURNING " + returning;
  return sql;
}

class SqliteTx final : public ScriptTx {
 public:
  SqliteTx(SqliteConnection& conn, const Clock& clock) : conn_(conn), clock_(clock) {}
  Result<Rows> Query(std::string_view sql, const Params& params) override {
    return Remember(conn_.Query(sql, params));
  }
  Result<std::int64_t> Exec(std::string_view sql, const Params& params) override {
    return Remember(conn_.Exec(sql, params));
  }
  Result<void> ForEachRow(std::string_view sql, const Params& params,
                          const std::function<void(const RowView&)>& each) override {
    return Remember(conn_.ForEachRow(sql, params, each));
  }
  Result<void> ExecScript(std::string_view sql) override { return Remember(conn_.ExecScript(sql)); }
  const Clock& clock() const override { return clock_; }
  Result<Rows> FullTextSearch(std::int64_t repo, const std::vector<std::string>& terms,
                              const std::vector<int>& tables, int limit) override {
    return SqliteFullText(*this, repo, terms, tables, limit);
  }
  std::string IndexHint(std::string_view index) const override {
    return " INDEXED BY " + std::string(index);
  }
  Result<Rows> InsertMany(const std::string& table, const std::vector<std::string>& columns,
                          const std::vector<Params>& rows, const std::string& returning) override {
    if (rows.empty() || columns.empty()) return Rows{};
    for (const Params& row : rows) {
      // Chunks bind rows back to back: a short row would shift every value after it.
      if (row.size() != columns.size()) {
        return Remember(Result<Rows>(
            MakeError(ErrorCode::kInternal, "insert into " + table + ": a row has " +
                                                std::to_string(row.size()) + " values for " +
                                                std::to_string(columns.size()) + " columns")));
      }
    }
    // Without RETURNING (whose row order SQLite leaves open), rows go
    // several per statement: each statement's own overhead (its journal,
    // and a flush of any FTS5 table a trigger writes, which also adds an
    // FTS5 segment to merge later) is paid once per statement instead of
    // once per row. Statements hold a power of two of rows, the largest
    // first, so the rest after the whole chunks splits into a few sizes
    // that are the same on every call: each is prepared once and cached.
    if (returning.empty()) {
      const std::size_t chunk = std::bit_floor(
          std::clamp<std::size_t>(kParamsPerChunk / columns.size(), 1, kMaxRowsPerStatement));
      std::size_t done = 0;
      for (std::size_t size = chunk; size > 0 && done < rows.size(); size /= 2) {
        const std::size_t statements = (rows.size() - done) / size;
        if (statements == 0) continue;
        std::vector<Params> flat(statements);
        for (std::size_t k = 0; k < statements; ++k) {
          flat[k].reserve(size * columns.size());
          for (std::size_t r = done + k * size; r < done + (k + 1) * size; ++r) {
            flat[k].insert(flat[k].end(), rows[r].begin(), rows[r].end());
          }
        }
        DOCRUNCH_TRY(Remember(conn_.QueryEach(InsertSql(table, columns, size, ""), flat)));
        done += statements * size;
      }
      return Rows{};
    }
    return Remember(conn_.QueryEach(InsertSql(table, columns, 1, returning), rows));
  }

 private:
  SqliteConnection& conn_;
  const Clock& clock_;
};

// BEGIN IMMEDIATE takes the write lock up front: a deferred transaction
// that reads first and then writes can fail with SQLITE_BUSY immediately
// (no busy wait) when another process wrote in between.
Result<void> RunTransaction(SqliteConnection& conn, const Clock& clock, const ScriptTxFn& fn) {
  DOCRUNCH_TRY(conn.ExecScript("BEGIN IMMEDIATE"));
  SqliteTx tx(conn, clock);
  Result<void> result = CallGuarded(fn, tx);
  if (result) result = conn.ExecScript("COMMIT");
  if (conn.InTransaction()) (void)conn.ExecScript("ROLLBACK");
  return result;
}

// The migration runner's view of the writer connection.
class SqliteMigrationSession final : public MigrationSession {
 public:
  SqliteMigrationSession(SqliteConnection& conn, const Clock& clock) : conn_(conn), clock_(clock) {}
  Result<Rows> Query(std::string_view sql, const Params& params) override {
    return conn_.Query(sql, params);
  }
  Result<void> Transact(const ScriptTxFn& fn) override { return RunTransaction(conn_, clock_, fn); }

 private:
  SqliteConnection& conn_;
  const Clock& clock_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(const StoreOptions& options, std::unique_ptr<SqliteConnection> writer)
      : path_(options.sqlite_path),
        clock_(options.clock ? options.clock : &system_clock_),
        writer_(std::move(writer)),
        readers_(
            kMaxReaders,
            [path = path_, ms = options.sqlite_busy_timeout_ms] {
              return SqliteConnection::Open(path, ms);
            },
            [](SqliteConnection& c) { return !c.InTransaction(); }, path_, "sqlite_readers") {}

  std::string_view BackendName() const override { return "sqlite"; }
  bool ReadsBesideTransactions() const override { return true; }
  std::string Location() const override { return path_; }

  Result<SchemaStatus> Status() override { return ReadSchemaStatus(*this, SqliteMigrations()); }

  Result<SchemaStatus> Migrate() override {
    std::lock_guard lock(write_mu_);
    SqliteMigrationSession session(*writer_, *clock_);
    return ApplyPendingMigrations(session, SqliteMigrations(), *clock_);
  }

  Result<void> Transact(const std::function<Result<void>(Tx&)>& fn) override {
    std::lock_guard lock(write_mu_);
    return RunTransaction(*writer_, *clock_, [&](ScriptTx& tx) { return fn(tx); });
  }

  Result<Rows> FullTextSearch(std::int64_t repo, const std::vector<std::string>& terms,
                              const std::vector<int>& tables, int limit) override {
    return SqliteFullText(*this, repo, terms, tables, limit);
  }

  // pragma_table_list (SQLite 3.37) tells FTS5's shadow tables apart
  // ('shadow'); the virtual table itself is kept. A PRIMARY KEY column
  // counts as not nullable, as on PostgreSQL.
  Result<std::vector<TableInfo>> ListTables() override {
    auto rows = Query(
        "SELECT t.name AS table_name, c.name AS column_name, c.type AS column_type, "
        "CASE WHEN c.\"notnull\" = 0 AND c.pk = 0 THEN 1 ELSE 0 END AS nullable "
        "FROM pragma_table_list AS t JOIN pragma_table_info(t.name) AS c "
        "WHERE t.schema = 'main' AND t.type IN ('table', 'virtual') "
        "AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY t.name, c.cid",
        {});
    if (!rows) return rows.error();
    return GroupCatalogRows(*rows);
  }

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    auto reader = readers_.Acquire();
    if (!reader) return reader.error();
    return (*reader)->Query(sql, params);
  }

  // Marks compare across threads, but data_version counts for one
  // connection alone. So each thread looks on a connection of its own (no
  // lock between threads: every HTTP connection has its thread), and a
  // change any of them sees moves one generation that all share; the mark
  // is that generation. Every commit is seen by some look that follows it
  // and moves the generation before that look returns, so a mark taken
  // after a commit is never one taken before it. A thread's first look
  // cannot tell what happened before its connection opened, so it moves
  // the generation too.
  Result<std::string> ChangeMark() override {
    struct Watch {
      std::uint64_t store;
      std::unique_ptr<SqliteConnection> conn;
      std::int64_t seen;
    };
    thread_local std::vector<Watch> watches;
    Watch* watch = nullptr;
    for (auto& w : watches) {
      if (w.store == serial_) watch = &w;
    }
    if (!watch) {
      // Stores a thread looked at long ago may be gone: keep a few.
      if (watches.size() >= 8) watches.erase(watches.begin());
      auto opened = SqliteConnection::Open(path_, 1000);
      if (!opened) return opened.error();
      watches.push_back({serial_, std::move(*opened), -1});
      watch = &watches.back();
    }
    auto rows = watch->conn->Query("PRAGMA data_version", {});
    if (!rows || rows->empty()) {
      std::erase_if(watches, [&](const Watch& w) { return w.store == serial_; });
      if (!rows) return rows.error();
      return MakeError(ErrorCode::kStorageQuery, "PRAGMA data_version: no row");
    }
    std::int64_t version = rows->Int(0, "data_version").value_or(-1);
    if (version != watch->seen) {
      watch->seen = version;
      generation_.fetch_add(1);
    }
    return "v" + std::to_string(generation_.load());
  }

 private:
  const std::string path_;
  const SystemClock system_clock_;
  const Clock* const clock_;
  std::mutex write_mu_;
  std::unique_ptr<SqliteConnection> writer_;  // GUARDED_BY(write_mu_)
  ConnectionPool<SqliteConnection> readers_;
  // ChangeMark's: this store among every store a thread may have looked
  // at (a destroyed store's address can be reused, its serial cannot), and
  // the shared generation.
  const std::uint64_t serial_ = next_serial_.fetch_add(1);
  std::atomic<std::uint64_t> generation_{0};
  static inline std::atomic<std::uint64_t> next_serial_{1};
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const StoreOptions& options) {
  // Memory statistics take a global mutex on every SQLite allocation, which
  // a scan makes millions of; nothing reads them. This only works before
  // SQLite initializes; later calls fail harmlessly.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  const std::string& path = options.sqlite_path;
  // Both would open a private database per connection, not one shared file.
  if (path.empty() || path == ":memory:") {
    return MakeError(ErrorCode::kConfigInvalid,
                     "storage.sqlite_path must name a file, not \"" + path + "\"");
  }
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!folder.empty() && !std::filesystem::is_directory(folder, ec)) {
    return MakeError(
        ErrorCode::kStorageUnavailable,
        "cannot open SQLite database " + path + ": folder " + folder.string() + " does not exist");
  }
  auto writer = SqliteConnection::Open(path, options.sqlite_busy_timeout_ms);
  if (!writer) return writer.error();
  return std::unique_ptr<Store>(new SqliteStore(options, std::move(*writer)));
}

}  // namespace docrunch::store
