#include "store/postgres/postgres_store.h"

#include <algorithm>

#include "store/connection_pool.h"
#include "store/postgres/pg_connection.h"

namespace docrunch::store {
namespace {

// pg_advisory_lock key serializing Migrate() across processes: "docrunch"
// in ASCII, unlikely to collide with another application's lock.
constexpr std::int64_t kMigrationLockKey = 0x646f6372756e6368;

// tsvector over source_fts (migration 5): any of the words, ranked by
// ts_rank (names weigh A, bodies B).
Result<Rows> PgFullText(Reader& db, std::int64_t repo, const std::vector<std::string>& terms,
                        const std::vector<int>& tables, int limit) {
  std::vector<std::string> words = FullTextWords(terms);
  if (words.empty() || limit <= 0) return Rows{};
  std::string query;
  for (const auto& w : words) query += (query.empty() ? "" : " | ") + w;
  // A query of stop words only matches nothing (without the notice
  // to_tsquery would print for it).
  return db.Query(
      "SELECT key, ts_rank(fts, q)::DOUBLE PRECISION AS rank FROM source_fts, "
      "to_tsquery('english', $1) AS q WHERE numnode(q) > 0 AND repository_id = $2 AND fts @@ q "
      "" + FullTextTableFilter(tables, "key") +
          " ORDER BY rank DESC, key LIMIT $3",
      {query, repo, std::int64_t{limit}});
}

class PgTx final : public ScriptTx {
 public:
  PgTx(PgConnection& conn, const Clock& clock) : conn_(conn), clock_(clock) {}
  Result<Rows> Query(std::string_view sql, const Params& params) override {
    return Remember(conn_.Query(sql, params));
  }
  Result<std::int64_t> Exec(std::string_view sql, const Params& params) override {
    return Remember(conn_.Exec(sql, params));
  }
  Result<void> ExecScript(std::string_view sql) override { return Remember(conn_.ExecScript(sql)); }
  const Clock& clock() const override { return clock_; }
  std::string_view SkipLockedClause() const override { return " FOR UPDATE SKIP LOCKED"; }
  Result<Rows> FullTextSearch(std::int64_t repo, const std::vector<std::string>& terms,
                              const std::vector<int>& tables, int limit) override {
    return PgFullText(*this, repo, terms, tables, limit);
  }
  Result<void> LockKeys(std::vector<std::int64_t> keys) override {
    if (keys.empty()) return Ok();
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    // One statement: unnest yields the array in order, and the aggregate
    // takes each lock as its row arrives.
    std::string array = "{";
    for (std::size_t i = 0; i < keys.size(); ++i) {
      array += (i ? "," : "") + std::to_string(keys[i]);
    }
    array += "}";
    auto locked = Remember(conn_.Query(
        "SELECT count(pg_advisory_xact_lock(k)) AS n FROM unnest($1::bigint[]) AS k", {array}));
    if (!locked) return locked.error();
    return Ok();
  }
  // COPY when nothing comes back; multi-row INSERT ... RETURNING otherwise.
  Result<Rows> InsertMany(const std::string& table, const std::vector<std::string>& columns,
                          const std::vector<Params>& rows, const std::string& returning) override {
    if (!returning.empty()) return ScriptTx::InsertMany(table, columns, rows, returning);
    auto copied = Remember(conn_.CopyRows(table, columns, rows));
    if (!copied) return copied.error();
    return Rows{};
  }

 private:
  PgConnection& conn_;
  const Clock& clock_;
};

// BEGIN / fn / COMMIT, ROLLBACK otherwise. `started` tells the caller
// whether fn ran, i.e. whether a retry could repeat its side effects.
Result<void> RunTransaction(PgConnection& conn, const Clock& clock, const ScriptTxFn& fn,
                            bool& started) {
  started = false;
  DOCRUNCH_TRY(conn.ExecScript("BEGIN"));
  started = true;
  PgTx tx(conn, clock);
  Result<void> result = CallGuarded(fn, tx);
  if (result) result = conn.ExecScript("COMMIT");
  // COMMIT of a failed transaction reports success but rolls back; make the
  // connection idle again either way (a broken one is dropped by the pool).
  if (!result) (void)conn.ExecScript("ROLLBACK");
  return result;
}

class PgMigrationSession final : public MigrationSession {
 public:
  PgMigrationSession(PgConnection& conn, const Clock& clock) : conn_(conn), clock_(clock) {}
  Result<Rows> Query(std::string_view sql, const Params& params) override {
    return conn_.Query(sql, params);
  }
  Result<void> Transact(const ScriptTxFn& fn) override {
    bool started = false;
    return RunTransaction(conn_, clock_, fn, started);
  }

 private:
  PgConnection& conn_;
  const Clock& clock_;
};

bool IsStale(const Error& error) {
  return error.code == ErrorCode::kStorageUnavailable;
}

class PostgresStore final : public Store {
 public:
  PostgresStore(const StoreOptions& options, PgEndpoint endpoint)
      : endpoint_(std::move(endpoint)),
        clock_(options.clock ? options.clock : &system_clock_),
        max_attempts_(options.postgres_pool_size + 1),
        pool_(
            options.postgres_pool_size,
            [url = options.postgres_url, ep = endpoint_, t = options.connect_timeout_seconds] {
              return PgConnection::Connect(url, ep, t);
            },
            [](PgConnection& c) { return c.Healthy(); }, endpoint_.Location(), "postgres") {}

  void Adopt(std::unique_ptr<PgConnection> conn) { pool_.Adopt(std::move(conn)); }

  std::string_view BackendName() const override { return "postgres"; }
  bool ReadsBesideTransactions() const override { return max_attempts_ > 2; }
  std::string Location() const override { return endpoint_.Location(); }

  Result<SchemaStatus> Status() override { return ReadSchemaStatus(*this, PostgresMigrations()); }

  Result<SchemaStatus> Migrate() override {
    auto lease = pool_.Acquire();
    if (!lease) return lease.error();
    PgConnection& conn = **lease;
    // Held for the whole run, so a racing process waits here and then finds
    // every version applied. Released explicitly; closing the connection
    // would release it too.
    auto locked = conn.Query("SELECT pg_advisory_lock($1)", {kMigrationLockKey});
    if (!locked) return locked.error();
    PgMigrationSession session(conn, *clock_);
    auto result = ApplyPendingMigrations(session, PostgresMigrations(), *clock_);
    (void)conn.Query("SELECT pg_advisory_unlock($1)", {kMigrationLockKey});
    return result;
  }

  Result<void> Transact(const std::function<Result<void>(Tx&)>& fn) override {
    for (int attempt = 1;; ++attempt) {
      auto lease = pool_.Acquire();
      if (!lease) return lease.error();
      bool started = false;
      auto result = RunTransaction(
          **lease, *clock_, [&](ScriptTx& tx) { return fn(tx); }, started);
      bool retry = !result && !started && lease->reused() && IsStale(result.error());
      if (!retry || attempt >= max_attempts_) return result;
    }
  }

  Result<Rows> FullTextSearch(std::int64_t repo, const std::vector<std::string>& terms,
                              const std::vector<int>& tables, int limit) override {
    return PgFullText(*this, repo, terms, tables, limit);
  }

  Result<std::vector<TableInfo>> ListTables() override {
    auto rows = Query(
        "SELECT c.table_name::TEXT AS table_name, c.column_name::TEXT AS column_name, "
        "c.data_type::TEXT AS column_type, CASE WHEN c.is_nullable = 'YES' THEN 1 ELSE 0 END "
        "AS nullable FROM information_schema.columns c JOIN information_schema.tables t "
        "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
        "ORDER BY c.table_name, c.ordinal_position",
        {});
    if (!rows) return rows.error();
    return GroupCatalogRows(*rows);
  }

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    for (int attempt = 1;; ++attempt) {
      auto lease = pool_.Acquire();
      if (!lease) return lease.error();
      auto rows = (*lease)->Query(sql, params);
      bool retry = !rows && lease->reused() && IsStale(rows.error());
      if (!retry || attempt >= max_attempts_) return rows;
    }
  }

  // Any writing transaction that starts or ends changes the snapshot
  // (xmin:xmax:xip), so an unchanged snapshot means no commit in between.
  Result<std::string> ChangeMark() override {
    auto rows = Query("SELECT pg_current_snapshot()::TEXT AS mark", {});
    if (!rows) return rows.error();
    if (rows->empty()) return MakeError(ErrorCode::kStorageQuery, "pg_current_snapshot: no row");
    return "s" + rows->Text(0, "mark").value_or("");
  }

 private:
  const PgEndpoint endpoint_;
  const SystemClock system_clock_;
  const Clock* const clock_;
  const int max_attempts_;  // every pooled connection may be stale, plus a fresh one
  ConnectionPool<PgConnection> pool_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const StoreOptions& options) {
  auto endpoint = ParsePostgresUrl(options.postgres_url);
  if (!endpoint) return endpoint.error();
  auto first =
      PgConnection::Connect(options.postgres_url, *endpoint, options.connect_timeout_seconds);
  if (!first) return first.error();
  auto store = std::make_unique<PostgresStore>(options, std::move(*endpoint));
  store->Adopt(std::move(*first));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace docrunch::store
