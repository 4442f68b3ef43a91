#include "store/migrator.h"

#include <algorithm>
#include <string>

namespace docrunch::store {
namespace {

bool IsApplied(const SchemaStatus& status, int version) {
  return std::any_of(status.applied.begin(), status.applied.end(),
                     [&](const AppliedMigration& m) { return m.version == version; });
}

int LatestVersion(const MigrationCatalog& catalog) {
  int latest = 0;
  for (const auto& script : catalog.scripts) latest = std::max(latest, script.version);
  return latest;
}

Result<std::vector<AppliedMigration>> ReadApplied(Reader& db) {
  auto rows = db.Query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
  if (!rows) return rows.error();
  std::vector<AppliedMigration> applied;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    applied.push_back({static_cast<int>(rows->Int(i, "version").value_or(0)),
                       rows->Text(i, "name").value_or(""),
                       rows->Text(i, "applied_at").value_or("")});
  }
  return applied;
}

// Applies one script unless another process applied it since we looked.
Result<void> ApplyOne(MigrationSession& session, const MigrationCatalog& catalog,
                      const MigrationScript& script, const Clock& clock) {
  return session.Transact([&](ScriptTx& tx) -> Result<void> {
    DOCRUNCH_TRY(tx.ExecScript(catalog.create_table_sql));
    auto done = tx.Query("SELECT 1 FROM schema_migrations WHERE version = $1",
                         {std::int64_t{script.version}});
    if (!done) return done.error();
    if (!done->empty()) return Ok();
    DOCRUNCH_TRY(tx.ExecScript(script.sql));
    auto recorded = tx.Exec(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        {std::int64_t{script.version}, std::string(script.name), FormatIso8601(clock.Now())});
    if (!recorded) return recorded.error();
    return Ok();
  });
}

}  // namespace

Result<SchemaStatus> ReadSchemaStatus(Reader& db, const MigrationCatalog& catalog) {
  SchemaStatus status;
  status.latest_version = LatestVersion(catalog);
  auto exists = db.Query(catalog.table_exists_sql);
  if (!exists) return exists.error();
  if (!exists->empty()) {
    auto applied = ReadApplied(db);
    if (!applied) return applied.error();
    status.applied = std::move(*applied);
  }
  for (const auto& m : status.applied) {
    status.current_version = std::max(status.current_version, m.version);
  }
  for (const auto& script : catalog.scripts) {
    if (!IsApplied(status, script.version)) {
      status.pending.push_back({script.version, std::string(script.name)});
    }
  }
  return status;
}

Result<SchemaStatus> ApplyPendingMigrations(MigrationSession& session,
                                            const MigrationCatalog& catalog, const Clock& clock) {
  auto before = ReadSchemaStatus(session, catalog);
  if (!before) return before.error();
  if (before->ahead()) return SchemaAheadError(before->current_version, before->latest_version);
  for (const auto& script : catalog.scripts) {
    if (IsApplied(*before, script.version)) continue;
    DOCRUNCH_TRY(ApplyOne(session, catalog, script, clock));
  }
  return ReadSchemaStatus(session, catalog);
}

Error SchemaBehindError(int current_version, int latest_version) {
  return MakeError(ErrorCode::kStorageSchemaBehind,
                   "database schema is at version " + std::to_string(current_version) +
                       " but this docrunch needs " + std::to_string(latest_version) +
                       ": run `docrunch db migrate`");
}

Error SchemaAheadError(int current_version, int latest_version) {
  return MakeError(ErrorCode::kStorageSchemaAhead,
                   "database schema version " + std::to_string(current_version) +
                       " is newer than this docrunch supports (" + std::to_string(latest_version) +
                       "): a newer docrunch is needed");
}

}  // namespace docrunch::store
