// The PostgreSQL backend: a pool of libpq connections to one database.
//
// Any number of Docrunch processes may share the database. Transactions
// run at READ COMMITTED; migrations are serialized between processes by a
// session advisory lock. A connection that breaks is dropped and replaced
// on next use; a call that finds its pooled connection stale (server
// restarted) is retried on another before it has done any work.
#pragma once

#include <memory>

#include "store/migrator.h"
#include "store/store.h"

namespace docrunch::store {

// Connects once to check options.postgres_url (so an unreachable server is
// reported here, within connect_timeout_seconds). Errors:
// STORAGE_UNAVAILABLE naming host:port, never the URL or its password.
Result<std::unique_ptr<Store>> OpenPostgresStore(const StoreOptions& options);

// The PostgreSQL schema, version by version (migrations.cpp).
const MigrationCatalog& PostgresMigrations();

}  // namespace docrunch::store
