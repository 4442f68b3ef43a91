// Snapshots of a project (PRODUCT §16): one archive per snapshot under
// rollback.path (default .docrunch/snapshots/), named
// snapshot-<version>.tar.zst, versions counting up from 1.
//
// An archive (tar + zstd) holds, after its manifest.json: the database
// (database/sqlite.db, a SQLite online backup; or database/postgres.sql, a
// pg_dump of Docrunch's schema), the Markdown folder (docs/...), the config
// file as it is (config/config.yaml: secrets are only env names there), and
// data/logical.json (the repository's task tables as rows, and the search
// index's documents as key -> hash) for `diff` and `restore --only tasks`.
// The manifest records format, version, trigger, note, created_at,
// docrunch version, schema version, backend, project root, the repository
// row, and every entry's size and XXH3-128.
//
// An archive is written to a temporary name in the same folder, flushed and
// renamed: a snapshot that exists is complete. A restore reads the whole
// archive and checks every entry against the manifest before it changes
// anything.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace docrunch::ops {

// Which repository a snapshot belongs to: its row in `repositories`.
struct RepositoryIdentity {
  std::int64_t id = 0;
  std::string name;
  std::string root_path;
  std::string created_at;
};

struct ManifestEntry {
  std::string path;
  std::uint64_t size = 0;
  std::string xxh3;
};

struct Manifest {
  int format = 1;
  std::int64_t version = 0;
  std::string trigger;  // manual | migrate | restore | scan | task_completion
  std::string note;
  std::string created_at;
  std::string docrunch_version;
  int schema_version = 0;
  std::string backend;                           // sqlite | postgres
  std::string project_root;                      // canonical, where it was taken
  std::optional<RepositoryIdentity> repository;  // none before the first scan
  std::vector<ManifestEntry> entries;
};
nlohmann::json ToJson(const Manifest& m);
// Checks every field and that entry paths are relative, without "..",
// under database/, docs/, config/ or data/. STORAGE_CORRUPT naming the field.
Result<Manifest> ManifestFromJson(const std::string& text);

// Where and what a snapshot command works on.
struct SnapshotEnv {
  store::StoreOptions store_options;   // the live database
  std::filesystem::path project_root;  // canonical
  std::filesystem::path config_file;
  std::filesystem::path docs_root;
  std::filesystem::path snapshots_dir;
  std::string docrunch_version;
  const Clock* clock = nullptr;  // nullptr: the system clock
  int zstd_level = 3;
};

struct SnapshotInfo {
  Manifest manifest;
  std::filesystem::path file;
  std::uint64_t archive_size = 0;
};

// A snapshot as `snapshot list --json` and REST show it: the manifest
// without its entries, the archive's file and size, the number of docs
// pages and what it includes.
nlohmann::json ToJson(const SnapshotInfo& s);

// `message` with the snapshots folder's path taken out (a file in it named
// by its name alone, the folder as "the snapshots folder"), for answers
// that leave the server (REST, MCP).
std::string WithoutFolder(const SnapshotEnv& env, std::string message);

// The repository row of `project_root` in `db`, if any (also none when the
// database has no schema yet).
std::optional<RepositoryIdentity> CurrentRepository(store::Reader& db,
                                                    const std::filesystem::path& project_root);

// Takes a snapshot now. `live` is the open store on the live database
// (read for the schema version and, on PostgreSQL, the logical data; on
// SQLite those are read from the copy itself).
Result<SnapshotInfo> CreateSnapshot(const SnapshotEnv& env, store::Store& live,
                                    const std::string& trigger, const std::string& note);

// Every snapshot, oldest first. A file that is not a readable snapshot is
// listed in `unreadable` with the reason, not an error.
struct SnapshotList {
  std::vector<SnapshotInfo> snapshots;
  std::vector<std::pair<std::filesystem::path, std::string>> unreadable;
};
Result<SnapshotList> ListSnapshots(const SnapshotEnv& env);

// A snapshot by version text ("3"). INVALID_PARAMS for a malformed version,
// STORAGE_NOT_FOUND for an unknown one.
Result<SnapshotInfo> FindSnapshot(const SnapshotEnv& env, const std::string& version);

// What changed from `from` to `to` (another snapshot, or nullopt: now).
struct ItemChange {
  char kind = '~';  // '+' added, '-' removed, '~' changed
  std::string id;   // task-3, adr-002, modules/app.md
  std::string detail;
};
struct SnapshotDiff {
  std::string from, to;  // versions; "now"
  std::vector<ItemChange> tasks, decisions, docs;
  std::int64_t index_before = 0, index_after = 0;
  std::int64_t index_added = 0, index_removed = 0, index_changed = 0;
  bool empty() const {
    return tasks.empty() && decisions.empty() && docs.empty() && index_added == 0 &&
           index_removed == 0 && index_changed == 0;
  }
};
nlohmann::json ToJson(const SnapshotDiff& d);
std::string ToText(const SnapshotDiff& d);
Result<SnapshotDiff> DiffSnapshots(const SnapshotEnv& env, store::Store* live,
                                   const std::string& from, const std::optional<std::string>& to);

// The parts a restore puts back.
struct RestoreParts {
  bool database = false;
  bool tasks = false;
  bool docs = false;
  bool index = false;
};
// "docs,tasks,index,database" (any subset; empty: all). USAGE naming the
// bad value.
Result<RestoreParts> ParseRestoreParts(const std::string& only);

// A snapshot read and checked, its parts extracted into a staging folder
// inside the snapshots folder (removed when this is destroyed).
class StagedSnapshot {
 public:
  StagedSnapshot() = default;
  StagedSnapshot(StagedSnapshot&&) noexcept;
  StagedSnapshot& operator=(StagedSnapshot&&) noexcept;
  ~StagedSnapshot();

  Manifest manifest;
  std::filesystem::path dir;
  nlohmann::json logical;  // data/logical.json
  std::filesystem::path database_file() const;
  std::filesystem::path docs_dir() const { return dir / "docs"; }
};

// Reads the whole archive, checking every entry's size and hash against
// the manifest (STORAGE_CORRUPT for a damaged, truncated or altered
// archive, naming what is wrong), and extracts it.
Result<StagedSnapshot> StageSnapshot(const SnapshotEnv& env, const SnapshotInfo& snapshot);

// Refusals before a restore touches anything: a snapshot of a newer schema
// than `latest_schema` (STORAGE_SCHEMA_AHEAD), of another repository or
// project (INVALID_PARAMS), of another backend when the database is to be
// restored (INVALID_PARAMS).
Result<void> CheckRestorable(const SnapshotEnv& env, const Manifest& manifest,
                             const RestoreParts& parts, int latest_schema,
                             const std::optional<RepositoryIdentity>& current);

// The parts, applied. The database first (ops::LoadDatabase), then the
// task tables (rows of data/logical.json replacing the repository's, in one
// transaction; needs `store` on the database as it now is, at the
// snapshot's schema), then the Markdown folder (swapped in by renames).
// Derived stores are the caller's to rebuild.
Result<void> RestoreDatabase(const SnapshotEnv& env, const StagedSnapshot& staged);
Result<std::int64_t> RestoreTaskTables(store::Store& store, std::int64_t repository_id,
                                       const StagedSnapshot& staged);
Result<void> RestoreDocs(const SnapshotEnv& env, const StagedSnapshot& staged);

// Removes snapshots past the retention: beyond max_snapshots newest, or
// older than max_age_days, but never the keep_minimum newest. Returns the
// removed versions.
struct Retention {
  int max_snapshots = 50;
  int max_age_days = 30;
  int keep_minimum = 5;
};
Result<std::vector<std::int64_t>> CleanSnapshots(const SnapshotEnv& env,
                                                 const Retention& retention);

}  // namespace docrunch::ops
