// The backend-independent parts of the store: row access, the outbox
// insert, the schema check, and the factory (the one place that names the
// backends).
#include "store/store.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "store/migrator.h"
#include "store/postgres/postgres_store.h"
#include "store/script_tx.h"
#include "store/sqlite/sqlite_store.h"

namespace docrunch::store {
namespace {

[[noreturn]] void Bug(std::string_view what, std::string_view column) {
  std::fprintf(stderr, "docrunch store: %.*s (column \"%.*s\")\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(column.size()), column.data());
  std::abort();
}

const Value& Cell(const Rows& rows, std::size_t row, std::string_view column) {
  if (row >= rows.rows.size()) Bug("row index out of range", column);
  return rows.rows[row][rows.Column(column)];
}

std::optional<std::int64_t> ParseInt(const std::string& text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

Value Optional(const std::optional<std::int64_t>& v) {
  if (v) return *v;
  return std::monostate{};
}

}  // namespace

std::string FullTextTableFilter(const std::vector<int>& tables, const std::string& key) {
  std::string list;
  for (int t : tables) {
    if (t >= 1 && t <= 7) list += (list.empty() ? "" : ", ") + std::to_string(t);
  }
  return list.empty() ? "" : " AND (" + key + " % 8) IN (" + list + ")";
}

Result<std::vector<TableInfo>> DescribeTables(Store& store) {
  auto tables = store.ListTables();
  if (!tables) return tables.error();
  for (auto& table : *tables) {
    std::string quoted = "\"";
    for (char c : table.name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += "\"";
    auto rows = store.Query("SELECT COUNT(*) AS n FROM " + quoted);
    if (!rows) return rows.error();
    table.rows = rows->Int(0, "n").value_or(0);
  }
  return tables;
}

// Groups catalog rows (table_name, column_name, column_type, nullable 0/1),
// ordered by table then column position, into tables.
std::vector<TableInfo> GroupCatalogRows(const Rows& rows) {
  std::vector<TableInfo> out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::string table = rows.Text(i, "table_name").value_or("");
    if (out.empty() || out.back().name != table) out.push_back({table, {}, 0});
    out.back().columns.push_back({rows.Text(i, "column_name").value_or(""),
                                  rows.Text(i, "column_type").value_or(""),
                                  rows.Int(i, "nullable").value_or(1) != 0});
  }
  // One order on both backends (PostgreSQL's collation may differ).
  std::stable_sort(out.begin(), out.end(),
                   [](const TableInfo& a, const TableInfo& b) { return a.name < b.name; });
  return out;
}

namespace {

// A row of Rows seen as a RowView (Reader::ForEachRow's default).
class ValuesRow final : public RowView {
 public:
  explicit ValuesRow(const std::vector<Value>& cells) : cells_(cells) {}
  std::size_t size() const override { return cells_.size(); }
  bool IsNull(std::size_t c) const override {
    return std::holds_alternative<std::monostate>(cells_[c]);
  }
  std::int64_t Int(std::size_t c) const override {  // as SQLite converts
    if (const auto* i = std::get_if<std::int64_t>(&cells_[c])) return *i;
    if (const auto* d = std::get_if<double>(&cells_[c])) return static_cast<std::int64_t>(*d);
    if (const auto* text = std::get_if<std::string>(&cells_[c])) return ParseInt(*text).value_or(0);
    return 0;
  }
  std::string_view Text(std::size_t c) const override {
    const auto* text = std::get_if<std::string>(&cells_[c]);
    return text == nullptr ? std::string_view() : std::string_view(*text);
  }

 private:
  const std::vector<Value>& cells_;
};

}  // namespace

Result<void> Reader::ForEachRow(std::string_view sql, const Params& params,
                                const std::function<void(const RowView&)>& each) {
  auto rows = Query(sql, params);
  if (!rows) return rows.error();
  for (const auto& cells : rows->rows) each(ValuesRow(cells));
  return Ok();
}

Result<Rows> Reader::FullTextSearch(std::int64_t, const std::vector<std::string>&,
                                    const std::vector<int>&, int) {
  return MakeError(ErrorCode::kInternal, "full-text search is not available on this reader");
}

std::vector<std::string> FullTextWords(const std::vector<std::string>& terms) {
  std::vector<std::string> out;
  for (const auto& term : terms) {
    std::string word;
    for (char c : term) {
      auto u = static_cast<unsigned char>(c);
      if (std::isalnum(u) || u >= 0x80) word += static_cast<char>(std::tolower(u));
    }
    if (word.empty() || std::find(out.begin(), out.end(), word) != out.end()) continue;
    out.push_back(std::move(word));
    if (out.size() == 64) break;
  }
  return out;
}

std::size_t Rows::Column(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return i;
  }
  Bug("no such column in the result", name);
}

std::optional<std::int64_t> Rows::Int(std::size_t row, std::string_view column) const {
  const Value& v = Cell(*this, row, column);
  if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* s = std::get_if<std::string>(&v)) {
    if (auto parsed = ParseInt(*s)) return parsed;
  }
  Bug("Int() on a value that is not an integer", column);
}

std::optional<double> Rows::Real(std::size_t row, std::string_view column) const {
  const Value& v = Cell(*this, row, column);
  if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  Bug("Real() on a value that is not a number", column);
}

std::optional<std::string> Rows::Text(std::size_t row, std::string_view column) const {
  const Value& v = Cell(*this, row, column);
  if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  Bug("Text() on a value that is not text", column);
}

Result<std::int64_t> Tx::EmitSyncEvent(const SyncEvent& event) {
  if (event.action != "upsert" && event.action != "delete") {
    return MakeError(ErrorCode::kInvalidParams,
                     "sync event action must be upsert or delete, not \"" + event.action + "\"");
  }
  auto rows = Query(
      "INSERT INTO sync_events (repository_id, entity_type, entity_id, content_hash, action, "
      "scan_run_id, priority, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
      {Optional(event.repository_id), event.entity_type, event.entity_id, event.content_hash,
       event.action, Optional(event.scan_run_id), std::int64_t{event.priority},
       FormatIso8601(clock().Now())});
  if (!rows) return rows.error();
  return *rows->Int(0, "id");
}

Result<void> Store::CheckSchema() {
  auto status = Status();
  if (!status) return status.error();
  if (status->ahead()) return SchemaAheadError(status->current_version, status->latest_version);
  if (status->behind()) return SchemaBehindError(status->current_version, status->latest_version);
  return Ok();
}

Result<void> CallGuarded(const ScriptTxFn& fn, ScriptTx& tx) {
  try {
    Result<void> result = fn(tx);
    if (result && tx.first_error()) return *tx.first_error();
    return result;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, std::string("transaction callback threw: ") + e.what());
  } catch (...) {
    return MakeError(ErrorCode::kInternal, "transaction callback threw a non-standard exception");
  }
}

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  switch (options.backend) {
    case StoreOptions::Backend::kSqlite:
      return OpenSqliteStore(options);
    case StoreOptions::Backend::kPostgres:
      return OpenPostgresStore(options);
  }
  return MakeError(ErrorCode::kInternal, "unknown storage backend");
}

}  // namespace docrunch::store
