// One libpq connection: connecting with a timeout, running parameterized
// statements, converting results to Rows and errors to store Errors. Not
// thread-safe: one thread at a time (the pool sees to that).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
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
  Result<PgResult> Check(PGresult* raw);
  Error ErrorFor(const PGresult* result) const;

  PGconn* conn_;
  const PgEndpoint endpoint_;
};

}  // namespace docrunch::store
