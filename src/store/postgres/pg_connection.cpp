#include "store/postgres/pg_connection.h"

#include <cctype>
#include <charconv>
#include <vector>

namespace docrunch::store {
namespace {

// Type OIDs from the server's pg_type catalog (stable across versions).
constexpr Oid kBoolOid = 16, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kOidOid = 26;
constexpr Oid kFloat4Oid = 700, kFloat8Oid = 701, kNumericOid = 1700;

// Parameters in libpq's text form, kept alive for the call.
struct ParamBuffers {
  explicit ParamBuffers(const Params& params) {
    for (const Value& v : params) {
      if (auto* i = std::get_if<std::int64_t>(&v)) {
        Add(std::to_string(*i), kInt8Oid);
      } else if (auto* d = std::get_if<double>(&v)) {
        char buf[32];
        auto end = std::to_chars(buf, buf + sizeof buf, *d).ptr;  // shortest exact form
        Add(std::string(buf, end), kFloat8Oid);
      } else if (auto* s = std::get_if<std::string>(&v)) {
        Add(*s, 0);
      } else {
        texts.emplace_back();
        types.push_back(0);
        is_null.push_back(true);
      }
    }
    for (std::size_t i = 0; i < texts.size(); ++i) {
      values.push_back(is_null[i] ? nullptr : texts[i].c_str());
    }
  }
  void Add(std::string text, Oid type) {
    texts.push_back(std::move(text));
    types.push_back(type);
    is_null.push_back(false);
  }
  std::vector<std::string> texts;
  std::vector<Oid> types;
  std::vector<bool> is_null;
  std::vector<const char*> values;
};

Value ParseNumber(std::string_view text, bool integral_only) {
  std::int64_t i = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec == std::errc() && end == text.data() + text.size()) return i;
  if (integral_only) return std::string(text);
  double d = 0;
  std::from_chars(text.data(), text.data() + text.size(), d);
  return d;
}

Value CellValue(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return std::monostate{};
  std::string_view text(PQgetvalue(r, row, col),
                        static_cast<std::size_t>(PQgetlength(r, row, col)));
  switch (PQftype(r, col)) {
    case kBoolOid:
      return std::int64_t{text == "t" ? 1 : 0};
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
      return ParseNumber(text, true);
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
      Value v = ParseNumber(text, false);
      // float columns stay double even when the value is whole.
      if (PQftype(r, col) != kNumericOid) {
        if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
      }
      return v;
    }
    default:
      return std::string(text);
  }
}

// "connection to server at "h", port 1 failed: Connection refused\n\tIs the
// server running..." -> "connection refused".
std::string ConnectReason(std::string message) {
  auto failed = message.rfind("failed: ");
  if (failed != std::string::npos) message.erase(0, failed + 8);
  message = message.substr(0, message.find('\n'));
  if (message.rfind("FATAL:", 0) == 0) message.erase(0, message.find_first_not_of(' ', 6));
  if (message.size() > 1 && std::isupper(static_cast<unsigned char>(message[0])) &&
      std::islower(static_cast<unsigned char>(message[1]))) {
    message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  }
  return message.empty() ? "unknown reason" : message;
}

constexpr std::size_t kMaxPrepared = 512;
constexpr std::size_t kMaxSeen = 8192;

// Statements worth preparing: one DML statement (the text Run gets is
// exactly one), not DDL or session commands, and not huge.
bool Preparable(std::string_view text) {
  if (text.size() > 32 * 1024) return false;
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  std::string word;
  for (; i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])) && word.size() < 7;
       ++i) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
  }
  if (word != "SELECT" && word != "INSERT" && word != "UPDATE" && word != "DELETE" &&
      word != "WITH") {
    return false;
  }
  // A star's columns are the table's of the moment: a plan kept across a
  // migration would fail with "cached plan must not change result type".
  return text.find("SELECT *") == std::string_view::npos &&
         text.find("RETURNING *") == std::string_view::npos &&
         text.find(".*") == std::string_view::npos;
}

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& url,
                                                            const PgEndpoint& endpoint,
                                                            int timeout_seconds) {
  // Keywords after "dbname" override what the URL says (expand_dbname=1).
  std::string timeout = std::to_string(timeout_seconds < 2 ? 2 : timeout_seconds);
  const char* keys[] = {"dbname", "connect_timeout", "client_encoding", "fallback_application_name",
                        nullptr};
  const char* values[] = {url.c_str(), timeout.c_str(), "UTF8", "docrunch", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (conn == nullptr) return MakeError(ErrorCode::kStorageUnavailable, "out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string reason = ScrubSecrets(ConnectReason(PQerrorMessage(conn)), url, endpoint);
    PQfinish(conn);
    return MakeError(ErrorCode::kStorageUnavailable, "cannot connect to PostgreSQL at " +
                                                         endpoint.HostPort() + " (" + reason + ")");
  }
  // Server notices ("relation already exists, skipping") are not errors and
  // must not reach stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  // Prepared statements (Run) save the parsing; the plan is still made for
  // each call's values and the tables as they are now. A generic plan kept
  // from when the outbox was empty made the sync worker 8x slower.
  PGresult* set = PQexec(conn, "SET plan_cache_mode = force_custom_plan");
  const bool set_ok = PQresultStatus(set) == PGRES_COMMAND_OK;
  PQclear(set);
  if (!set_ok) {
    std::string reason = ScrubSecrets(ConnectReason(PQerrorMessage(conn)), url, endpoint);
    PQfinish(conn);
    return MakeError(ErrorCode::kStorageUnavailable, "cannot set up the PostgreSQL session at " +
                                                         endpoint.HostPort() + " (" + reason + ")");
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn, endpoint));
}

Result<Rows> PgConnection::Query(std::string_view sql, const Params& params) {
  auto result = Run(sql, params);
  if (!result) return result.error();
  const PGresult* r = result->get();
  Rows rows;
  const int columns = PQnfields(r), count = PQntuples(r);
  for (int c = 0; c < columns; ++c) rows.columns.emplace_back(PQfname(r, c));
  rows.rows.resize(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    auto& row = rows.rows[static_cast<std::size_t>(i)];
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) row.push_back(CellValue(r, i, c));
  }
  return rows;
}

Result<std::int64_t> PgConnection::Exec(std::string_view sql, const Params& params) {
  auto result = Run(sql, params);
  if (!result) return result.error();
  std::string_view changed = PQcmdTuples(result->get());  // "" for e.g. CREATE TABLE
  std::int64_t n = 0;
  std::from_chars(changed.data(), changed.data() + changed.size(), n);
  return n;
}

Result<PgConnection::PgResult> PgConnection::Run(std::string_view sql, const Params& params) {
  // libpq takes text parameters as C strings: a NUL would silently cut the
  // value short (and PostgreSQL text cannot hold one anyway).
  for (std::size_t i = 0; i < params.size(); ++i) {
    auto* s = std::get_if<std::string>(&params[i]);
    if (s && s->find('\0') != std::string::npos) {
      return MakeError(ErrorCode::kInvalidParams,
                       "parameter $" + std::to_string(i + 1) +
                           ": text holds a NUL character, which PostgreSQL cannot store");
    }
  }
  ParamBuffers p(params);
  std::string text(sql);
  const int n = static_cast<int>(params.size());
  std::string key;
  if (Preparable(text)) {
    key.reserve(text.size() + 1 + 3 * params.size());
    key = text;
    key += '\0';
    for (Oid type : p.types) key += std::to_string(type) + ',';
  }
  auto name =
      key.empty() ? Result<std::string>(std::string()) : PreparedName(text, key, n, p.types.data());
  if (!name) return name.error();
  if (name->empty()) {
    return Check(PQexecParams(conn_, text.c_str(), n, p.types.data(), p.values.data(), nullptr,
                              nullptr, /*resultFormat=text*/ 0));
  }
  PgResult raw(PQexecPrepared(conn_, name->c_str(), n, p.values.data(), nullptr, nullptr, 0),
               PQclear);
  const char* state = raw ? PQresultErrorField(raw.get(), PG_DIAG_SQLSTATE) : nullptr;
  // A plan whose result columns changed under it (a migration altered a
  // table since), or a statement the server no longer has: prepared again
  // from scratch, and run again unless a transaction already failed with it.
  if (state != nullptr &&
      (std::string_view(state) == "0A000" || std::string_view(state) == "26000")) {
    ForgetPrepared();
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE) {
      return Check(PQexecParams(conn_, text.c_str(), n, p.types.data(), p.values.data(), nullptr,
                                nullptr, 0));
    }
  }
  return Check(raw.release());
}

Result<std::string> PgConnection::PreparedName(const std::string& text, const std::string& key,
                                               int nparams, const Oid* types) {
  if (auto it = prepared_.find(key); it != prepared_.end()) return it->second;
  // Once is not a pattern: a statement built for one call (an IN list of
  // its own length) would cost a round trip more to prepare than it saves.
  const std::size_t hash = std::hash<std::string>{}(key);
  if (seen_once_.insert(hash).second) {
    if (seen_once_.size() > kMaxSeen) seen_once_.clear();
    return std::string();
  }
  if (PQtransactionStatus(conn_) == PQTRANS_INERROR) return std::string();
  if (prepared_.size() >= kMaxPrepared) {
    auto cleared = Check(PQexec(conn_, "DEALLOCATE ALL"));
    if (!cleared) return cleared.error();
    prepared_.clear();
  }
  std::string name = "dr_" + std::to_string(++next_name_);
  auto made = Check(PQprepare(conn_, name.c_str(), text.c_str(), nparams, types));
  if (!made) return made.error();
  prepared_.emplace(key, name);
  return name;
}

void PgConnection::ForgetPrepared() {
  if (PQtransactionStatus(conn_) == PQTRANS_IDLE) PQclear(PQexec(conn_, "DEALLOCATE ALL"));
  // Inside a transaction the names stay taken on the server: new ones are
  // made from next_name_, which only counts up.
  prepared_.clear();
  seen_once_.clear();
}

namespace {

// One value in COPY's text format: \N for NULL, backslash escapes for the
// characters that separate fields and rows.
void AppendCopyValue(const Value& v, std::string& out) {
  if (auto* i64 = std::get_if<std::int64_t>(&v)) {
    out += std::to_string(*i64);
  } else if (auto* d = std::get_if<double>(&v)) {
    char buf[32];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, *d).ptr);  // shortest exact form
  } else if (auto* s = std::get_if<std::string>(&v)) {
    for (char c : *s) {
      switch (c) {
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          out += c;
      }
    }
  } else {
    out += "\\N";
  }
}

}  // namespace

Result<void> PgConnection::CopyRows(const std::string& table,
                                    const std::vector<std::string>& columns,
                                    const std::vector<Params>& rows) {
  if (rows.empty() || columns.empty()) return Ok();
  std::string sql = "COPY " + table + " (";
  for (std::size_t c = 0; c < columns.size(); ++c) sql += (c ? ", " : "") + columns[c];
  sql += ") FROM STDIN";
  PgResult start(PQexec(conn_, sql.c_str()), PQclear);
  if (PQresultStatus(start.get()) != PGRES_COPY_IN) return ErrorFor(start.get());
  constexpr std::size_t kChunk = 1 << 20;
  std::string buffer;
  bool sent = true;
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) buffer += '\t';
      AppendCopyValue(row[c], buffer);
    }
    buffer += '\n';
    if (buffer.size() >= kChunk) {
      sent = PQputCopyData(conn_, buffer.data(), static_cast<int>(buffer.size())) == 1;
      buffer.clear();
      if (!sent) break;
    }
  }
  if (sent && !buffer.empty()) {
    sent = PQputCopyData(conn_, buffer.data(), static_cast<int>(buffer.size())) == 1;
  }
  PQputCopyEnd(conn_, sent ? nullptr : "docrunch: sending COPY data failed");
  // The COPY's own result, then nothing (PQgetResult returns null).
  Result<void> outcome = Ok();
  while (PGresult* raw = PQgetResult(conn_)) {
    auto checked = Check(raw);
    if (!checked && outcome) outcome = checked.error();
  }
  return outcome;
}

Result<void> PgConnection::ExecScript(std::string_view sql) {
  std::string text(sql);
  auto result = Check(PQexec(conn_, text.c_str()));
  if (!result) return result.error();
  return Ok();
}

Result<PgConnection::PgResult> PgConnection::Check(PGresult* raw) {
  PgResult result(raw, PQclear);
  switch (PQresultStatus(raw)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      return result;
    default:
      return ErrorFor(raw);
  }
}

Error PgConnection::ErrorFor(const PGresult* result) const {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary ? primary : PQerrorMessage(conn_);
  message = message.substr(0, message.find('\n'));  // libpq adds hint lines
  while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) {
    message.pop_back();
  }
  std::string_view code = state ? state : "";
  // Class 08 is a connection exception (but 08P01, a protocol violation
  // such as a missing parameter, leaves the connection usable), 57P0x the
  // server shutting down, 53300 too many connections.
  bool connection_lost = PQstatus(conn_) == CONNECTION_BAD ||
                         (code.starts_with("08") && code != "08P01") || code.starts_with("57P0") ||
                         code == "53300";
  if (connection_lost) {
    return MakeError(
        ErrorCode::kStorageUnavailable,
        "lost the connection to PostgreSQL at " + endpoint_.HostPort() + " (" + message + ")");
  }
  if (code.starts_with("23")) return MakeError(ErrorCode::kStorageConstraint, message);
  return MakeError(ErrorCode::kStorageQuery, message);
}

}  // namespace docrunch::store
