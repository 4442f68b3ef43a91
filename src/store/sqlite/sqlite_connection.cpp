#include "store/sqlite/sqlite_connection.h"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <filesystem>

#include "store/entity_key.h"

namespace docrunch::store {
namespace {

// "$7" -> 7; 0 for any other parameter spelling (?, :name, @name).
int ParamNumber(const char* name) {
  if (name == nullptr || name[0] != '$') return 0;
  std::string_view digits(name + 1);
  int n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  return (ec == std::errc() && end == digits.data() + digits.size()) ? n : 0;
}

// SQLite looks named parameters up linearly while it parses, so a
// statement with thousands of "$N" (a multi-row INSERT) costs quadratic
// time. When the parameters appear exactly as $1, $2, ..., $n in order they
// are rewritten to anonymous "?" and bound by position. Quoted text is left
// alone. Returns false (keep the SQL as is) for any other pattern.
bool RewriteSequentialParams(std::string_view sql, std::string& out) {
  out.clear();
  out.reserve(sql.size());
  int expected = 1;
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '$' && i + 1 < sql.size() &&
               std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      std::size_t end = i + 1;
      while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]))) ++end;
      if (ParamNumber(std::string(sql.substr(i, end - i)).c_str()) != expected++) return false;
      out += '?';
      i = end - 1;
    } else {
      out += c;
    }
  }
  return expected > 1;
}

Value ColumnValue(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      return std::int64_t{sqlite3_column_int64(stmt, i)};
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, i);
    case SQLITE_NULL:
      return std::monostate{};
    default: {  // TEXT or BLOB
      const void* data = sqlite3_column_blob(stmt, i);
      int size = sqlite3_column_bytes(stmt, i);
      return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
    }
  }
}

Error OpenError(const std::string& path) {
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  if (access(folder.c_str(), W_OK) != 0) {
    return MakeError(ErrorCode::kStorageReadOnly, "cannot create SQLite database " + path +
                                                      ": folder " + folder.string() +
                                                      " is not writable");
  }
  return MakeError(ErrorCode::kStorageUnavailable, "cannot open SQLite database " + path);
}

}  // namespace

Error SqliteError(int rc, std::string_view message, const std::string& path) {
  std::string msg(message);
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return MakeError(ErrorCode::kStorageCorrupt,
                       path + " is not a Docrunch SQLite database or is corrupted");
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return MakeError(ErrorCode::kStorageReadOnly, path + " cannot be written (" + msg + ")");
    case SQLITE_CONSTRAINT:
      return MakeError(ErrorCode::kStorageConstraint, msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      // Only after busy_timeout: another process held the write lock that long.
      return MakeError(ErrorCode::kStorageUnavailable,
                       path + " stayed locked by another connection (" + msg + ")");
    case SQLITE_CANTOPEN:
      return MakeError(ErrorCode::kStorageUnavailable, "cannot open " + path + " (" + msg + ")");
    default:
      return MakeError(ErrorCode::kStorageQuery, msg);
  }
}

namespace {

// storage_sync_key(repository_id, entity_type, entity_id): store/entity_key.h.
// NULL when an argument is NULL.
void StorageSyncKeyFunction(sqlite3_context* context, int, sqlite3_value** args) {
  for (int i = 0; i < 3; ++i) {
    if (sqlite3_value_type(args[i]) == SQLITE_NULL) return sqlite3_result_null(context);
  }
  std::string_view text[2];
  for (int i = 1; i < 3; ++i) {
    const auto* bytes = reinterpret_cast<const char*>(sqlite3_value_text(args[i]));
    if (bytes == nullptr) return sqlite3_result_error_nomem(context);  // not NULL: memory
    text[i - 1] = {bytes, static_cast<std::size_t>(sqlite3_value_bytes(args[i]))};
  }
  sqlite3_result_int64(context, StorageSyncKey(sqlite3_value_int64(args[0]), text[0], text[1]));
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                 int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close(db);
    return (rc & 0xff) == SQLITE_CANTOPEN ? OpenError(path) : SqliteError(rc, "", path);
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db, path));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  if (sqlite3_db_readonly(db, "main") == 1) {
    return MakeError(ErrorCode::kStorageReadOnly, path + " is read-only");
  }
  // journal_mode reads the file header: a file that is not a database fails
  // here. synchronous=NORMAL is the durable-enough pairing for WAL.
  auto mode = conn->Query("PRAGMA journal_mode = WAL", {});
  if (!mode) return mode.error();
  // temp_store=MEMORY keeps the statement journals of multi-row INSERTs out
  // of temp files; a 16 MB page cache (default 2 MB) spares the WAL rereads
  // of a scan's index writes.
  DOCRUNCH_TRY(
      conn->ExecScript("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; "
                       "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384;"));
  std::string function(kStorageSyncKeyFunction);
  rc = sqlite3_create_function_v2(db, function.c_str(), 3,
                                  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                  StorageSyncKeyFunction, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, sqlite3_errmsg(db), path);
  auto schema = conn->Query("SELECT count(*) FROM sqlite_master", {});
  if (!schema) return schema.error();
  return conn;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

namespace {
// Multi-row INSERTs (sqlite_store.cpp, up to 2,048 parameters: under 15 KB
// of SQL) come in a few fixed sizes per table and are worth keeping; longer
// SQL is rarely the same twice.
constexpr std::size_t kMaxCachedSqlBytes = 16384;
constexpr std::size_t kMaxCachedStatements = 128;
}  // namespace

void SqliteConnection::StatementReturn::operator()(sqlite3_stmt* stmt) const {
  if (owner == nullptr) {
    sqlite3_finalize(stmt);
    return;
  }
  // Reset ends its read of the database (no lock or snapshot is held).
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  auto& cache = owner->cache_;
  if (cache.size() >= kMaxCachedStatements) {
    for (auto& [sql, cached] : cache) sqlite3_finalize(cached);
    cache.clear();
  }
  if (!cache.emplace(sql, stmt).second) sqlite3_finalize(stmt);
}

Result<Rows> SqliteConnection::Query(std::string_view sql, const Params& params) {
  return Run(sql, params);
}

Result<std::int64_t> SqliteConnection::Exec(std::string_view sql, const Params& params) {
  auto rows = Run(sql, params);
  if (!rows) return rows.error();
  return std::int64_t{sqlite3_changes64(db_)};
}

Result<void> SqliteConnection::ExecScript(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Ok();
  std::string msg = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return SqliteError(rc, msg, path_);
}

Result<SqliteConnection::Statement> SqliteConnection::Prepare(std::string_view original,
                                                              const Params& params) {
  const bool cacheable = original.size() <= kMaxCachedSqlBytes;
  std::string key = cacheable ? std::string(original) : std::string();
  if (cacheable) {
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      Statement stmt(it->second, StatementReturn{this, std::move(key)});
      cache_.erase(it);
      DOCRUNCH_TRY(Bind(stmt.get(), params));
      return stmt;
    }
  }
  std::string rewritten;
  std::string_view sql = RewriteSequentialParams(original, rewritten) ? rewritten : original;
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  Statement stmt(raw, StatementReturn{});
  if (rc != SQLITE_OK) return ErrorFor(rc);
  // A second statement would run unbound on SQLite but is an error on
  // PostgreSQL; refuse it here too so the backends agree.
  std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  sqlite3_stmt* extra = nullptr;
  sqlite3_prepare_v2(db_, rest.data(), static_cast<int>(rest.size()), &extra, nullptr);
  if (extra != nullptr) {
    sqlite3_finalize(extra);
    return MakeError(ErrorCode::kStorageQuery, "only one SQL statement is allowed per call");
  }
  if (!stmt) return stmt;
  DOCRUNCH_TRY(Bind(stmt.get(), params));
  if (cacheable) stmt.get_deleter() = StatementReturn{this, std::move(key)};
  return stmt;
}

Result<void> SqliteConnection::Bind(sqlite3_stmt* stmt, const Params& params) {
  // Parameters are bound by name, so "$1" may appear several times.
  for (int i = 1; i <= sqlite3_bind_parameter_count(stmt); ++i) {
    // Anonymous "?" parameters (see RewriteSequentialParams) bind by position.
    const char* param_name = sqlite3_bind_parameter_name(stmt, i);
    int n = param_name ? ParamNumber(param_name) : i;
    if (n < 1 || static_cast<std::size_t>(n) > params.size()) {
      const char* name = sqlite3_bind_parameter_name(stmt, i);
      return MakeError(ErrorCode::kStorageQuery, std::string("no value for SQL parameter ") +
                                                     (name ? name : "?") + " (" +
                                                     std::to_string(params.size()) + " given)");
    }
    const Value& v = params[static_cast<std::size_t>(n - 1)];
    int rc = SQLITE_OK;
    if (auto* i64 = std::get_if<std::int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, i, *i64);
    } else if (auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, i, *d);
    } else if (auto* s = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text64(stmt, i, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else {
      rc = sqlite3_bind_null(stmt, i);
    }
    if (rc != SQLITE_OK) return ErrorFor(rc);
  }
  return Ok();
}

Result<Rows> SqliteConnection::Run(std::string_view sql, const Params& params) {
  auto stmt = Prepare(sql, params);
  if (!stmt) return stmt.error();
  Rows rows;
  if (!*stmt) return rows;  // empty SQL or only a comment
  DOCRUNCH_TRY(Step(stmt->get(), rows));
  return rows;
}

namespace {

// The current row of a statement seen as a RowView.
class StatementRow final : public RowView {
 public:
  StatementRow(sqlite3_stmt* stmt, int columns) : stmt_(stmt), columns_(columns) {}
  std::size_t size() const override { return static_cast<std::size_t>(columns_); }
  bool IsNull(std::size_t c) const override {
    return sqlite3_column_type(stmt_, static_cast<int>(c)) == SQLITE_NULL;
  }
  std::int64_t Int(std::size_t c) const override {
    return sqlite3_column_int64(stmt_, static_cast<int>(c));
  }
  std::string_view Text(std::size_t c) const override {
    const auto* text =
        reinterpret_cast<const char*>(sqlite3_column_text(stmt_, static_cast<int>(c)));
    if (text == nullptr) return {};
    return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, static_cast<int>(c)))};
  }

 private:
  sqlite3_stmt* stmt_;
  int columns_;
};

}  // namespace

Result<void> SqliteConnection::ForEachRow(std::string_view sql, const Params& params,
                                          const std::function<void(const RowView&)>& each) {
  auto stmt = Prepare(sql, params);
  if (!stmt) return stmt.error();
  if (!*stmt) return Ok();  // empty SQL or only a comment
  const StatementRow row(stmt->get(), sqlite3_column_count(stmt->get()));
  for (;;) {
    int rc = sqlite3_step(stmt->get());
    if (rc == SQLITE_DONE) return Ok();
    if (rc != SQLITE_ROW) return ErrorFor(rc);
    each(row);
  }
}

Result<Rows> SqliteConnection::QueryEach(std::string_view sql, const std::vector<Params>& rows) {
  Rows out;
  if (rows.empty()) return out;
  auto stmt = Prepare(sql, rows.front());
  if (!stmt) return stmt.error();
  if (!*stmt) return out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i > 0) {
      sqlite3_reset(stmt->get());
      DOCRUNCH_TRY(Bind(stmt->get(), rows[i]));
    }
    DOCRUNCH_TRY(Step(stmt->get(), out));
  }
  return out;
}

Result<void> SqliteConnection::Step(sqlite3_stmt* s, Rows& rows) {
  const int n = sqlite3_column_count(s);
  if (rows.columns.empty()) {
    for (int i = 0; i < n; ++i) rows.columns.emplace_back(sqlite3_column_name(s, i));
  }
  for (;;) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return Ok();
    if (rc != SQLITE_ROW) return ErrorFor(rc);
    auto& row = rows.rows.emplace_back();
    row.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) row.push_back(ColumnValue(s, i));
  }
}

Error SqliteConnection::ErrorFor(int rc) const {
  return SqliteError(rc, sqlite3_errmsg(db_), path_);
}

}  // namespace docrunch::store
