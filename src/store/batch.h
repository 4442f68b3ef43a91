// Multi-row INSERT helper: one statement per chunk of rows instead of one
// per row, which is what makes writing a large scan fast on both backends.
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

// Tx::EmitSyncEvent for many events in few statements.
Result<void> EmitSyncEvents(Tx& tx, const std::vector<SyncEvent>& events);

}  // namespace docrunch::store
