#include "store/batch.h"

#include <algorithm>

namespace docrunch::store {

// The default: one multi-row INSERT per chunk of rows.
Result<Rows> Tx::InsertMany(const std::string& table, const std::vector<std::string>& columns,
                            const std::vector<Params>& rows, const std::string& returning) {
  Rows collected;
  if (rows.empty() || columns.empty()) return collected;
  // SQLite allows 32766 parameters per statement, PostgreSQL 65535.
  const std::size_t per_chunk =
      std::max<std::size_t>(1, std::min<std::size_t>(500, 30000 / columns.size()));
  std::string head = "INSERT INTO " + table + " (";
  for (std::size_t c = 0; c < columns.size(); ++c) head += (c ? ", " : "") + columns[c];
  head += ") VALUES ";
  for (std::size_t start = 0; start < rows.size(); start += per_chunk) {
    std::size_t end = std::min(rows.size(), start + per_chunk);
    std::string sql = head;
    Params params;
    params.reserve((end - start) * columns.size());
    for (std::size_t r = start; r < end; ++r) {
      sql += r == start ? "(" : ", (";
      for (std::size_t c = 0; c < columns.size(); ++c) {
        params.push_back(rows[r][c]);
        sql += (c ? ", $" : "$") + std::to_string(params.size());
      }
      sql += ")";
    }
    if (returning.empty()) {
      auto inserted = Exec(sql, params);
      if (!inserted) return inserted.error();
      continue;
    }
    auto result = Query(sql + " RETURNING " + returning, params);
    if (!result) return result.error();
    if (collected.columns.empty()) collected.columns = result->columns;
    for (auto& row : result->rows) collected.rows.push_back(std::move(row));
  }
  return collected;
}

Result<void> InsertRows(Tx& tx, const std::string& table, const std::vector<std::string>& columns,
                        const std::vector<Params>& rows) {
  auto inserted = tx.InsertMany(table, columns, rows, "");
  if (!inserted) return inserted.error();
  return Ok();
}

Result<Rows> InsertRowsReturning(Tx& tx, const std::string& table,
                                 const std::vector<std::string>& columns,
                                 const std::vector<Params>& rows, const std::string& returning) {
  return tx.InsertMany(table, columns, rows, returning);
}

Result<void> EmitSyncEvents(Tx& tx, const std::vector<SyncEvent>& events) {
  const std::string now = FormatIso8601(tx.clock().Now());
  auto optional = [](const std::optional<std::int64_t>& v) -> Value {
    return v ? Value(*v) : Value(std::monostate{});
  };
  std::vector<Params> rows;
  rows.reserve(events.size());
  for (const auto& e : events) {
    if (e.action != "upsert" && e.action != "delete") {
      return MakeError(ErrorCode::kInvalidParams, "sync event action must be upsert or delete");
    }
    rows.push_back({optional(e.repository_id), e.entity_type, e.entity_id, e.content_hash, e.action,
                    optional(e.scan_run_id), std::int64_t{e.priority}, now});
  }
  return InsertRows(tx, "sync_events",
                    {"repository_id", "entity_type", "entity_id", "content_hash", "action",
                     "scan_run_id", "priority", "created_at"},
                    rows);
}

}  // namespace docrunch::store
