// The backend-independent migration runner.
//
// A backend supplies its scripts (a MigrationCatalog) and a
// MigrationSession: one database session on which the runner reads the
// applied versions and applies each pending script in its own transaction.
// The backend makes the whole run exclusive between processes (SQLite: each
// transaction is BEGIN IMMEDIATE; PostgreSQL: an advisory lock held by the
// session), and the runner re-checks inside every transaction whether the
// version was applied meanwhile, so racing migrators end with one schema.
#pragma once

#include <span>
#include <string_view>

#include "core/clock.h"
#include "store/script_tx.h"
#include "store/store.h"

namespace docrunch::store {

struct MigrationScript {
  int version = 0;
  std::string_view name;  // "initial schema"
  std::string_view sql;   // one or more statements
};

struct MigrationCatalog {
  std::span<const MigrationScript> scripts;  // ascending versions
  // Returns a row when schema_migrations exists; creates nothing.
  std::string_view table_exists_sql;
  // CREATE TABLE IF NOT EXISTS schema_migrations (version, name, applied_at).
  std::string_view create_table_sql;
};

class MigrationSession : public Reader {
 public:
  // Runs fn in one write transaction on this session.
  virtual Result<void> Transact(const ScriptTxFn& fn) = 0;
};

// Reads what is applied and what is pending. Changes nothing: a database
// without schema_migrations is at version 0 with everything pending.
Result<SchemaStatus> ReadSchemaStatus(Reader& db, const MigrationCatalog& catalog);

// Applies every pending script, each with its schema_migrations row, in its
// own transaction; returns the status afterwards. A database ahead of the
// catalog is refused (STORAGE_SCHEMA_AHEAD) before anything is written.
Result<SchemaStatus> ApplyPendingMigrations(MigrationSession& session,
                                            const MigrationCatalog& catalog, const Clock& clock);

// The messages of STORAGE_SCHEMA_BEHIND / STORAGE_SCHEMA_AHEAD.
Error SchemaBehindError(int current_version, int latest_version);
Error SchemaAheadError(int current_version, int latest_version);

}  // namespace docrunch::store
