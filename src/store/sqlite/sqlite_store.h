// The SQLite backend: one database file in WAL mode.
//
// Writes go through one writer connection, one transaction at a time in
// this process (a mutex) and BEGIN IMMEDIATE against other processes, which
// then wait up to busy_timeout instead of deadlocking on a lock upgrade.
// Reads outside a transaction use a small pool of reader connections and,
// thanks to WAL, never wait for the writer.
#pragma once

#include <memory>

#include "store/migrator.h"
#include "store/store.h"

namespace docrunch::store {

// Opens options.sqlite_path. Errors: STORAGE_UNAVAILABLE (folder missing),
// STORAGE_CORRUPT, STORAGE_READ_ONLY.
Result<std::unique_ptr<Store>> OpenSqliteStore(const StoreOptions& options);

// The SQLite schema, version by version (migrations.cpp).
const MigrationCatalog& SqliteMigrations();

}  // namespace docrunch::store
