#include "store/repositories.h"

namespace docrunch::store {

Result<std::int64_t> EnsureRepository(Store& store, const std::string& root_path,
                                      const std::string& name) {
  auto existing = store.Query("SELECT id FROM repositories WHERE root_path = $1", {root_path});
  if (!existing) return existing.error();
  if (!existing->empty()) return existing->Int(0, "id").value_or(0);
  std::int64_t id = 0;
  DOCRUNCH_TRY(store.Transact([&](Tx& tx) -> Result<void> {
    std::string now = FormatIso8601(tx.clock().Now());
    auto inserted = tx.Exec(
        "INSERT INTO repositories (name, root_path, created_at, updated_at) "
        "VALUES ($1, $2, $3, $3) ON CONFLICT (root_path) DO NOTHING",
        {name, root_path, now});
    if (!inserted) return inserted.error();
    auto rows = tx.Query("SELECT id FROM repositories WHERE root_path = $1", {root_path});
    if (!rows) return rows.error();
    id = rows->Int(0, "id").value_or(0);
    if (*inserted == 0) return Ok();  // another process created it first
    auto event = tx.EmitSyncEvent(
        {id, "repository", std::to_string(id), root_path, "upsert", std::nullopt, 0});
    if (!event) return event.error();
    return Ok();
  }));
  return id;
}

}  // namespace docrunch::store
