// A consistent copy of the source-of-truth database, taken while writers
// run, and putting one back.
//
// SQLite: the online backup API copies the database into a file in one
// read transaction (writers go on in WAL mode), and copies a file back into
// the live database in one write transaction, so other connections see the
// old database or the new one. PostgreSQL: `pg_dump` of the schema Docrunch
// uses (one snapshot of the database: consistent while writers run), put
// back by `psql` in a single transaction that drops and recreates that
// schema. Both programs run with an argv (never a shell); the password
// travels in PGPASSWORD, never on a command line.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace docrunch::ops {

// The archive entry name of a database copy: "database/sqlite.db" or
// "database/postgres.sql".
std::string DatabaseEntryName(const store::StoreOptions& options);

// Writes the copy to `out` (created; the caller removes it). Errors:
// STORAGE_UNAVAILABLE (no database file, server unreachable), IO_ERROR,
// STORAGE_QUERY (pg_dump failed; its message without the password).
Result<void> DumpDatabase(const store::StoreOptions& options, const std::filesystem::path& out,
                          std::chrono::milliseconds timeout = std::chrono::minutes(30));

// Replaces the whole database (SQLite: the file's content, created if
// missing; PostgreSQL: the schema) with the copy in `dump`. Either all of
// it is replaced or nothing is.
Result<void> LoadDatabase(const store::StoreOptions& options, const std::filesystem::path& dump,
                          std::chrono::milliseconds timeout = std::chrono::minutes(30));

}  // namespace docrunch::ops
