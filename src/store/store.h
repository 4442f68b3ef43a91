// The source-of-truth database behind one interface.
//
// Two backends implement it: SQLite (embedded default, one file, WAL) and
// PostgreSQL (hosted, a connection pool). Nothing outside src/store/ asks
// which backend is in use. SQL handed to Query/Exec is shared between the
// backends: parameters are written $1, $2, ... and bound positionally;
// timestamps are TEXT in ISO-8601 UTC ("2026-11-27T11:31:18.123Z"), JSON is
// TEXT, booleans are INTEGER 0/1, ids are BIGINT/INTEGER with RETURNING id.
//
// Writes happen only inside Store::Transact: the callback gets a Tx, and
// every write it makes, together with the outbox events it emits through
// Tx::EmitSyncEvent, commits or rolls back as one unit. A callback that
// returns an Error (or throws) rolls everything back.
//
// Thread-safety: a Store is safe to use from many threads at once; a Tx
// belongs to the one thread running the Transact callback.
//
// Isolation differs between the backends (SQLite runs one write transaction
// at a time; PostgreSQL uses READ COMMITTED), so write a read-modify-write
// as one statement, e.g. `UPDATE t SET n = n + 1` or a conditional
// `UPDATE tasks SET ... WHERE id = $1 AND status = 'todo'` whose changed-row
// count says who won: that is atomic on both.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace docrunch::store {

// A SQL value. std::monostate is NULL.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;
using Params = std::vector<Value>;

// The result of a query: column names and rows of values. Integer columns
// (and booleans, as 0/1) come back as int64, floating columns as double,
// everything else as text. A PostgreSQL numeric comes back as int64 when it
// is a whole number that fits (e.g. sum() of integers), else as double.
struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;

  std::size_t size() const { return rows.size(); }
  bool empty() const { return rows.empty(); }
  // Column index by name; aborts if there is no such column (a bug).
  std::size_t Column(std::string_view name) const;
  // Typed access; NULL gives nullopt. A type mismatch is a bug and aborts,
  // except that Int() accepts a text column holding an integer and Real()
  // accepts an integer.
  std::optional<std::int64_t> Int(std::size_t row, std::string_view column) const;
  std::optional<double> Real(std::size_t row, std::string_view column) const;
  std::optional<std::string> Text(std::size_t row, std::string_view column) const;
};

// An outbox event (PRODUCT §10), written in the same transaction as the
// change it describes.
struct SyncEvent {
  std::optional<std::int64_t> repository_id;
  std::string entity_type;  // "file", "symbol", "task", "decision", ...
  std::string entity_id;
  std::string content_hash;  // hash of the entity's new content; "" for delete
  std::string action;        // "upsert" | "delete"
  std::optional<std::int64_t> scan_run_id;
  int priority = 0;  // higher is applied first (reports > scans)
};

// One row handed over by Reader::ForEachRow: its cells by position, valid
// during that call only. Int is 0 and Text "" for a NULL; Int of a text
// cell is its integer (0 if it holds none). Read each cell as its column's
// type: Text of a number differs between backends.
class RowView {
 public:
  virtual std::size_t size() const = 0;
  virtual bool IsNull(std::size_t column) const = 0;
  virtual std::int64_t Int(std::size_t column) const = 0;
  virtual std::string_view Text(std::size_t column) const = 0;

 protected:
  ~RowView() = default;
};

// Read access. Queries see committed data (or, inside a Tx, the Tx's own).
// Query and Exec take exactly one statement; a SQL error is STORAGE_QUERY
// (STORAGE_CONSTRAINT for a unique/foreign-key/check violation).
class Reader {
 public:
  virtual ~Reader() = default;
  virtual Result<Rows> Query(std::string_view sql, const Params& params = {}) = 0;

  // Like Query, but hands each row to `each` as it is read instead of
  // building Rows: for many small rows read once (the sync worker's claims,
  // where building and freeing Rows was a tenth of an idempotent re-run).
  // The default reads through Query.
  virtual Result<void> ForEachRow(std::string_view sql, const Params& params,
                                  const std::function<void(const RowView&)>& each);

  // The database's own full-text search over the searchable source rows
  // (schema version 5; SQLite FTS5, PostgreSQL tsvector + GIN), kept in
  // the same statement as the rows, so it never lags them. Rows matching
  // any of `terms` (lower-case words; characters other than letters and
  // digits are dropped, as are empty terms), best first, at most `limit`:
  // columns "key" (row id * 8 + FullTextTable) and "rank" (higher is
  // better; the scale differs between backends). No terms: no rows.
  // `tables` (FullTextTable values) limits the rows to those tables; empty:
  // all of them.
  virtual Result<Rows> FullTextSearch(std::int64_t repository_id,
                                      const std::vector<std::string>& terms,
                                      const std::vector<int>& tables, int limit);
};

// The table of a FullTextSearch row: key % 8. The row's id is key / 8.
enum class FullTextTable {
  kSymbol = 1,
  kFile = 2,
  kTask = 3,
  kCompletionReport = 4,
  kFinding = 5,
  kDecision = 6,
};

// Read-write access inside one transaction.
class Tx : public Reader {
 public:
  // Runs a statement; returns the number of rows it changed.
  virtual Result<std::int64_t> Exec(std::string_view sql, const Params& params = {}) = 0;

  // The store's clock (StoreOptions::clock), for timestamps written here.
  virtual const Clock& clock() const = 0;

  // Appended to a `SELECT ... LIMIT n` that claims work (the sync worker's
  // outbox rows): " FOR UPDATE SKIP LOCKED" on PostgreSQL, so several
  // workers take disjoint rows and a row stays claimed until this
  // transaction ends (a killed worker's rows come free with its session);
  // "" on SQLite, whose write transactions already run one at a time.
  virtual std::string_view SkipLockedClause() const { return ""; }

  // Put right after a table name in FROM to make the planner use `index`:
  // " INDEXED BY <index>" on SQLite, whose planner prefers an equality
  // lookup plus a sort over a partial index that already has the order a
  // LIMIT needs (the outbox claim: a full sort of the pending rows per
  // batch); "" on PostgreSQL, whose statistics choose well. `index` must be
  // a literal index name.
  virtual std::string IndexHint(std::string_view index) const {
    (void)index;
    return "";
  }

  // Holds a lock on each key until this transaction ends, for work that
  // must not run in two transactions at once yet has no row to lock (the
  // sync worker's entities, whose storage_sync row may not exist yet).
  // Keys are taken in ascending order, one order for every process, so two
  // transactions locking overlapping sets cannot deadlock on them:
  // pg_advisory_xact_lock on PostgreSQL (shared memory, no row written);
  // nothing on SQLite, whose write transactions already run one at a time.
  virtual Result<void> LockKeys(std::vector<std::int64_t> keys) {
    (void)keys;
    return Ok();
  }

  // Inserts a sync_events row in this transaction; returns its id. The
  // event's created_at is clock().Now(). An action other than upsert or
  // delete is INVALID_PARAMS.
  Result<std::int64_t> EmitSyncEvent(const SyncEvent& event);

  // Inserts `rows` (one value per column each) into `table`. With a
  // `returning` list ("id, doc_key") those columns of every inserted row
  // come back, in no particular order; with "" nothing does. Each backend
  // does this its fastest way: the default sends multi-row INSERTs (few
  // round trips, for PostgreSQL); SQLite steps one prepared single-row
  // INSERT per row, which spares it parsing a long statement per chunk.
  // Callers normally use store/batch.h.
  virtual Result<Rows> InsertMany(const std::string& table, const std::vector<std::string>& columns,
                                  const std::vector<Params>& rows, const std::string& returning);
};

struct Migration {
  int version = 0;
  std::string name;  // "initial schema"
};

// One column of a table as the database's own catalog describes it.
struct ColumnInfo {
  std::string name;
  std::string type;  // as declared: "INTEGER", "TEXT" (SQLite); "bigint", "text" (PostgreSQL)
  bool nullable = true;
};

struct TableInfo {
  std::string name;
  std::vector<ColumnInfo> columns;  // in declaration order
  std::int64_t rows = 0;            // filled by DescribeTables, not by ListTables
};

struct AppliedMigration {
  int version = 0;
  std::string name;
  std::string applied_at;  // ISO-8601
};

struct SchemaStatus {
  int current_version = 0;  // highest applied (0: empty database)
  int latest_version = 0;   // highest this binary knows
  std::vector<AppliedMigration> applied;
  std::vector<Migration> pending;  // known to this binary, not yet applied
  bool ahead() const { return current_version > latest_version; }
  bool behind() const { return current_version < latest_version; }
};

// A Store is also a Reader, so read helpers can take a Reader& and run both
// inside a Tx and outside one.
class Store : public Reader {
 public:
  // "sqlite" or "postgres"; for display and diagnostics only.
  virtual std::string_view BackendName() const = 0;
  // Where the data lives, for messages: ".docrunch/docrunch.db" or
  // "postgres 127.0.0.1:5430/docrunch". Never contains a password.
  virtual std::string Location() const = 0;

  // What is applied and pending. Changes nothing: a database without a
  // schema_migrations table is at version 0 with everything pending.
  virtual Result<SchemaStatus> Status() = 0;
  // Applies every pending migration, each in its own transaction, in
  // order. Safe to run concurrently from several processes: one applies,
  // the others wait and then find nothing to do. Refuses a database that
  // is ahead of this binary (STORAGE_SCHEMA_AHEAD).
  virtual Result<SchemaStatus> Migrate() = 0;

  // OK when the schema is exactly current; otherwise
  // STORAGE_SCHEMA_BEHIND ("... run `docrunch db migrate`") or
  // STORAGE_SCHEMA_AHEAD ("... a newer docrunch is needed").
  Result<void> CheckSchema();

  // The only way to write. Begins a transaction, runs `fn`, commits if it
  // returned OK, rolls back otherwise (also if it threw; the exception is
  // converted to an INTERNAL error). Returns fn's error or the commit's.
  // A statement that fails inside `fn` dooms the transaction: Transact
  // rolls back and returns that error even if fn went on and returned OK
  // (PostgreSQL cannot continue an aborted transaction; SQLite is made to
  // agree), so use INSERT ... ON CONFLICT rather than try-and-recover.
  // Inside `fn` use the Tx, not the Store: calling Transact again is a bug
  // (it may deadlock), and Store::Query would not see fn's writes.
  virtual Result<void> Transact(const std::function<Result<void>(Tx&)>& fn) = 0;

  // Whether another thread's Query can run while a Transact is open without
  // waiting for that transaction's connection: SQLite's readers are a pool
  // of their own; PostgreSQL's share the pool, so it needs two connections.
  virtual bool ReadsBesideTransactions() const = 0;

  // A read outside any write transaction.
  Result<Rows> Query(std::string_view sql, const Params& params = {}) override = 0;

  // A value that changes whenever a transaction commits to the database,
  // from any connection of any process (it may also change when nothing
  // visible did, never the other way round): an answer read from the
  // database stays true while the mark taken before reading it is the
  // same. SQLite: PRAGMA data_version on a connection of its own;
  // PostgreSQL: the current snapshot (xmin:xmax:in-progress ids), which
  // moves whenever a writing transaction starts or ends in the cluster.
  virtual Result<std::string> ChangeMark() = 0;

  // The tables of the database, by name, with their columns, read from the
  // database's own catalog: SQLite's sqlite_master/pragma_table_list
  // (without SQLite's internal and FTS5's shadow tables), PostgreSQL's
  // information_schema for the current schema (base tables only). Row
  // counts stay 0 (DescribeTables counts them).
  virtual Result<std::vector<TableInfo>> ListTables() = 0;
};

// ListTables with each table's row count. Table names come only from the
// catalog and are quoted as identifiers.
Result<std::vector<TableInfo>> DescribeTables(Store& store);

struct StoreOptions {
  enum class Backend { kSqlite, kPostgres };
  Backend backend = Backend::kSqlite;
  std::string sqlite_path = ".docrunch/docrunch.db";
  int sqlite_busy_timeout_ms = 5000;
  // A libpq URL, possibly with a password (it came from an environment
  // variable); never printed.
  std::string postgres_url;
  int postgres_pool_size = 4;
  int connect_timeout_seconds = 5;
  // Not owned; must outlive the store. nullptr: the system clock.
  const Clock* clock = nullptr;
};

// Opens (and for SQLite creates) the database. Does not migrate.
// Errors: STORAGE_UNAVAILABLE (Postgres unreachable: the message names
// host:port; SQLite folder missing), STORAGE_CORRUPT, STORAGE_READ_ONLY,
// CONFIG_INVALID (empty sqlite_path, malformed or empty postgres_url).
// Postgres gives up after connect_timeout_seconds (at least 2).
Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options);

}  // namespace docrunch::store
