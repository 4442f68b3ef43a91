// One libpq connection: connecting with a timeout, running parameterized
// statements, converting results to Rows and errors to store Errors. Not
// thread-safe: one thread at a time (the pool sees to that).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "store/postgres/pg_url.h"
#include "store/store.h"

namespace docrunch::store {

class PgConnection {
 public:
  // Connects to `url`, giving up after `timeout_seconds` (libpq treats
  // values below 2 as 2). Errors: STORAGE_UNAVAILABLE naming host:port and
  // libpq's reason; never the URL or password.
  static Result<std::unique_ptr<PgConnection>> Connect(const std::string& url,
                                                       const PgEndpoint& endpoint,
                                                       int timeout_seconds);
  ~PgConnection() { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Exactly one statement; $1, $2, ... from params (int64 as int8, double
  // as float8, text as untyped so the server infers it, monostate as NULL).
  Result<Rows> Query(std::string_view sql, const Params& params);
  // Like Query; returns the number of rows changed.
  Result<std::int64_t> Exec(std::string_view sql, const Params& params);
  // Inserts `rows` (one value per column each) into `table` with COPY FROM
  // STDIN: no statement to parse per chunk, the fastest bulk insert.
  Result<void> CopyRows(const std::string& table, const std::vector<std::string>& columns,
                        const std::vector<Params>& rows);
  // Several statements, no parameters (migration scripts, BEGIN/COMMIT).
  Result<void> ExecScript(std::string_view sql);

  // Connected and not inside a transaction: fit to go back to the pool.
  bool Healthy() const {
    return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

 private:
  PgConnection(PGconn* conn, const PgEndpoint& endpoint) : conn_(conn), endpoint_(endpoint) {}

  using PgResult = std::unique_ptr<PGresult, void (*)(PGresult*)>;
  Result<PgResult> Run(std::string_view sql, const Params& params);
  // The name of the server-side prepared statement for `key` (the text
  // and the parameter types), preparing it on its second use; "" while it
  // runs unprepared (the first use, or a statement that is not DML).
  Result<std::string> PreparedName(const std::string& text, const std::string& key, int nparams,
                                   const Oid* types);
  void ForgetPrepared();
  Result<PgResult> Check(PGresult* raw);
  Error ErrorFor(const PGresult* result) const;

  PGconn* conn_;
  const PgEndpoint endpoint_;
  // Statements run more than once are parsed once: prepared under a name
  // of their own (PostgreSQL keeps them per connection until it closes).
  // Bounded: past kMaxPrepared, DEALLOCATE ALL and start over.
  std::unordered_map<std::string, std::string> prepared_;
  std::unordered_set<std::size_t> seen_once_;  // hashes of keys used once
  std::uint64_t next_name_ = 0;
};

}  // namespace docrunch::store
