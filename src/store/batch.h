// Bulk INSERT helpers over Tx::InsertMany: each backend writes many rows its
// fastest way (multi-row statements on PostgreSQL, one prepared statement
// stepped per row on SQLite), which is what makes writing a large scan fast.
#pragma once

#include <string>
#include <vector>

#include "store/store.h"

namespace docrunch::store {

// Inserts `rows` (each with one value per column) into `table` inside `tx`,
// in chunks that stay within both backends' parameter limits.
Result<void> InsertRows(Tx& tx, const std::string& table, const std::vector<std::string>& columns,
                        const std::vector<Params>& rows);

// InsertRows with a RETURNING clause ("id, doc_key"); the returned rows of
// every chunk are concatenated, in no particular order.
Result<Rows> InsertRowsReturning(Tx& tx, const std::string& table,
                                 const std::vector<std::string>& columns,
                                 const std::vector<Params>& rows, const std::string& returning);

// Appends the values in [first, last) to `params` and returns their
// placeholders for an IN list: "$3, $4, $5" when `params` held two values.
template <typename It>
std::string AppendInList(Params& params, It first, It last) {
  std::string list;
  for (; first != last; ++first) {
    params.emplace_back(*first);
    list += (list.empty() ? "$" : ", $") + std::to_string(params.size());
  }
  return list;
}

// Tx::EmitSyncEvent for many events in few statements.
Result<void> EmitSyncEvents(Tx& tx, const std::vector<SyncEvent>& events);

}  // namespace docrunch::store
