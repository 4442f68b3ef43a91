// Internal to src/store: what the backends share beyond the public Tx.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace docrunch::store {

// FullTextSearch's terms as the backends put them into a query: letters
// and digits only (bytes >= 0x80 kept, so non-ASCII words survive), empty
// ones and duplicates dropped, at most 64.
std::vector<std::string> FullTextWords(const std::vector<std::string>& terms);
// " AND (KEY % 8) IN (1, 2)" for `tables` (only values 1..7 kept); "" for none.
std::string FullTextTableFilter(const std::vector<int>& tables, const std::string& key);
// Store::ListTables from catalog rows with the columns table_name,
// column_name, column_type and nullable (0/1), ordered by table, then
// column position.
std::vector<TableInfo> GroupCatalogRows(const Rows& rows);

// The Tx every backend hands out. Beyond the public Tx it runs scripts of
// several statements, which migrations need and callers outside src/store
// must not (the public Query/Exec take exactly one statement).
class ScriptTx : public Tx {
 public:
  // Runs `sql`, one or more ';'-separated statements without parameters.
  virtual Result<void> ExecScript(std::string_view sql) = 0;

  // The first statement error seen in this transaction, if any. PostgreSQL
  // cannot go on after one (the transaction is aborted), so on both
  // backends it dooms the transaction even if the callback ignored it.
  const std::optional<Error>& first_error() const { return first_error_; }

 protected:
  template <class T>
  Result<T> Remember(Result<T> result) {
    if (!result && !first_error_) first_error_ = result.error();
    return result;
  }

 private:
  std::optional<Error> first_error_;
};

using ScriptTxFn = std::function<Result<void>(ScriptTx&)>;

// Calls fn(tx), turning an exception that escapes it into an INTERNAL
// error, so a throwing callback rolls back like a failing one. Returns
// tx.first_error() when fn returned OK despite a failed statement.
Result<void> CallGuarded(const ScriptTxFn& fn, ScriptTx& tx);

}  // namespace docrunch::store
