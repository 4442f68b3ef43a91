#include "ops/database_dump.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <fstream>
#include <memory>
#include <regex>
#include <thread>

#include "ops/subprocess.h"
#include "store/postgres/pg_url.h"

namespace docrunch::ops {
namespace fs = std::filesystem;
namespace {

using SqliteHandle = std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)>;

Result<SqliteHandle> OpenSqlite(const fs::path& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  SqliteHandle handle(db, &sqlite3_close_v2);
  if (rc != SQLITE_OK) {
    return MakeError(ErrorCode::kStorageUnavailable,
                     "cannot open " + path.string() + ": " + sqlite3_errstr(rc));
  }
  sqlite3_busy_timeout(db, 10000);
  return handle;
}

// Copies `from` into `to` in one backup step, retrying while another
// connection holds a lock it needs.
Result<void> Backup(sqlite3* to, sqlite3* from, const std::string& what,
                    std::chrono::milliseconds timeout) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (!backup) {
    return MakeError(ErrorCode::kStorageQuery, what + ": " + sqlite3_errmsg(to));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int rc;
  while ((rc = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int finish = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE || finish != SQLITE_OK) {
    return MakeError(rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? ErrorCode::kStorageUnavailable
                                                              : ErrorCode::kStorageQuery,
                     what + ": " + sqlite3_errstr(rc == SQLITE_DONE ? finish : rc));
  }
  return Ok();
}

// libpq connection parameters without the password, as one conninfo
// string, and the password apart (for PGPASSWORD).
struct PgParams {
  std::string conninfo;
  std::string password;
};

std::string Quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

Result<PgParams> SplitPassword(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &err);
  if (!options) {
    if (err) PQfreemem(err);
    return MakeError(ErrorCode::kConfigInvalid, "the PostgreSQL URL cannot be parsed");
  }
  PgParams out;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    const std::string key = o->keyword;
    if (key == "password") {
      out.password = o->val;
    } else {
      out.conninfo += (out.conninfo.empty() ? "" : " ") + key + "=" + Quote(o->val);
    }
  }
  PQconninfoFree(options);
  return out;
}

// The schema Docrunch's tables live in: the connection's current schema.
Result<std::string> CurrentSchema(const std::string& url, int connect_timeout) {
  std::string conninfo = url;
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(
      PQconnectdbParams(std::vector<const char*>{"dbname", "connect_timeout", nullptr}.data(),
                        std::vector<const char*>{conninfo.c_str(),
                                                 std::to_string(connect_timeout).c_str(), nullptr}
                            .data(),
                        1),
      &PQfinish);
  auto endpoint = store::ParsePostgresUrl(url);
  const std::string where = endpoint ? endpoint->HostPort() : "PostgreSQL";
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return MakeError(ErrorCode::kStorageUnavailable, "cannot connect to " + where);
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn.get(), "SELECT current_schema()"),
                                                  &PQclear);
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1 ||
      PQgetisnull(r.get(), 0, 0)) {
    return MakeError(ErrorCode::kStorageQuery, "no current schema on " + where);
  }
  std::string schema = PQgetvalue(r.get(), 0, 0);
  // It reaches pg_dump's -n and a DROP SCHEMA: only a plain identifier.
  if (!std::regex_match(schema, std::regex("[a-z_][a-z0-9_]{0,62}"))) {
    return MakeError(ErrorCode::kStorageQuery, "unsupported schema name \"" + schema + "\"");
  }
  return schema;
}

Error ProgramFailed(const std::string& program, const SubprocessResult& r, const std::string& url) {
  std::string message = r.err;
  auto endpoint = store::ParsePostgresUrl(url);
  if (endpoint) message = store::ScrubSecrets(message, url, *endpoint);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (r.timed_out) message = "timed out";
  return MakeError(ErrorCode::kStorageQuery, program + " failed: " + message);
}

std::map<std::string, std::string> PgEnv(const PgParams& params, int connect_timeout) {
  std::map<std::string, std::string> env{{"PGCONNECT_TIMEOUT", std::to_string(connect_timeout)},
                                         {"PGAPPNAME", "docrunch-snapshot"}};
  // Set even when empty, so a PGPASSWORD of the caller's shell is not used.
  env["PGPASSWORD"] = params.password;
  return env;
}

// Whether the plain dump has its own CREATE SCHEMA line (before any
// table: the first few hundred lines).
bool DumpCreatesSchema(const fs::path& dump) {
  std::ifstream in(dump);
  std::string line;
  for (int i = 0; i < 500 && std::getline(in, line); ++i) {
    if (line.rfind("CREATE SCHEMA ", 0) == 0) return true;
    if (line.rfind("CREATE TABLE ", 0) == 0) return false;
  }
  return false;
}

}  // namespace

std::string DatabaseEntryName(const store::StoreOptions& options) {
  return options.backend == store::StoreOptions::Backend::kSqlite ? "database/sqlite.db"
                                                                  : "database/postgres.sql";
}

Result<void> DumpDatabase(const store::StoreOptions& options, const fs::path& out,
                          std::chrono::milliseconds timeout) {
  if (options.backend == store::StoreOptions::Backend::kSqlite) {
    if (!fs::is_regular_file(options.sqlite_path)) {
      return MakeError(ErrorCode::kStorageUnavailable, "no database at " + options.sqlite_path);
    }
    auto from = OpenSqlite(options.sqlite_path, SQLITE_OPEN_READONLY);
    if (!from) return from.error();
    auto to = OpenSqlite(out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!to) return to.error();
    return Backup(to->get(), from->get(), "copy of " + options.sqlite_path, timeout);
  }
  const int connect_timeout = std::max(2, options.connect_timeout_seconds);
  auto schema = CurrentSchema(options.postgres_url, connect_timeout);
  if (!schema) return schema.error();
  auto params = SplitPassword(options.postgres_url);
  if (!params) return params.error();
  SubprocessOptions run;
  run.env = PgEnv(*params, connect_timeout);
  run.timeout = timeout;
  auto r =
      RunSubprocess({"pg_dump", "--format=plain", "--schema=" + *schema, "--no-owner",
                     "--no-privileges", "--file=" + out.string(), "--dbname=" + params->conninfo},
                    run);
  if (!r) return r.error();
  if (r->exit_code != 0) return ProgramFailed("pg_dump", *r, options.postgres_url);
  return Ok();
}

Result<void> LoadDatabase(const store::StoreOptions& options, const fs::path& dump,
                          std::chrono::milliseconds timeout) {
  if (options.backend == store::StoreOptions::Backend::kSqlite) {
    std::error_code ec;
    fs::create_directories(fs::path(options.sqlite_path).parent_path(), ec);
    auto from = OpenSqlite(dump, SQLITE_OPEN_READONLY);
    if (!from) return from.error();
    auto to = OpenSqlite(options.sqlite_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!to) return to.error();
    return Backup(to->get(), from->get(), "restore into " + options.sqlite_path, timeout);
  }
  const int connect_timeout = std::max(2, options.connect_timeout_seconds);
  auto schema = CurrentSchema(options.postgres_url, connect_timeout);
  if (!schema) return schema.error();
  auto params = SplitPassword(options.postgres_url);
  if (!params) return params.error();
  SubprocessOptions run;
  run.env = PgEnv(*params, connect_timeout);
  run.timeout = timeout;
  // pg_dump -n writes the schema's CREATE SCHEMA itself; recreate it here
  // only for a dump without one.
  std::string reset = "DROP SCHEMA IF EXISTS \"" + *schema + "\" CASCADE;";
  if (!DumpCreatesSchema(dump)) reset += " CREATE SCHEMA \"" + *schema + "\";";
  auto r = RunSubprocess(
      {"psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
       "--dbname=" + params->conninfo, "--command=" + reset, "--file=" + dump.string()},
      run);
  if (!r) return r.error();
  if (r->exit_code != 0) return ProgramFailed("psql", *r, options.postgres_url);
  return Ok();
}

}  // namespace docrunch::ops
