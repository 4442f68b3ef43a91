// snapshot restore: check the whole archive, refuse what cannot be put
// back, then the database, the task tables and the Markdown folder.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/text.h"
#include "ops/archive.h"
#include "ops/database_dump.h"
#include "ops/snapshot_data.h"
#include "ops/snapshots.h"

namespace docrunch::ops {
namespace fs = std::filesystem;
using nlohmann::json;

StagedSnapshot::StagedSnapshot(StagedSnapshot&& o) noexcept
    : manifest(std::move(o.manifest)), dir(std::move(o.dir)), logical(std::move(o.logical)) {
  o.dir.clear();
}

StagedSnapshot& StagedSnapshot::operator=(StagedSnapshot&& o) noexcept {
  if (this != &o) {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
    manifest = std::move(o.manifest);
    dir = std::move(o.dir);
    logical = std::move(o.logical);
    o.dir.clear();
  }
  return *this;
}

StagedSnapshot::~StagedSnapshot() {
  std::error_code ec;
  if (!dir.empty()) fs::remove_all(dir, ec);
}

fs::path StagedSnapshot::database_file() const {
  for (const auto& e : manifest.entries) {
    if (e.path.rfind("database/", 0) == 0) return dir / e.path;
  }
  return {};
}

Result<RestoreParts> ParseRestoreParts(const std::string& only) {
  RestoreParts parts;
  if (only.empty()) return RestoreParts{true, true, true, true};
  for (std::string word : Split(only, ',')) {
    while (!word.empty() && word.back() == ' ') word.pop_back();
    while (!word.empty() && word.front() == ' ') word.erase(0, 1);
    if (word == "database") {
      parts.database = true;
    } else if (word == "tasks") {
      parts.tasks = true;
    } else if (word == "docs") {
      parts.docs = true;
    } else if (word == "index") {
      parts.index = true;
    } else {
      return MakeError(ErrorCode::kUsage, "--only: unknown part \"" + word +
                                              "\" (choose from docs, tasks, index, database)");
    }
  }
  return parts;
}

Result<StagedSnapshot> StageSnapshot(const SnapshotEnv& env, const SnapshotInfo& snapshot) {
  StagedSnapshot staged;
  staged.manifest = snapshot.manifest;
  std::string dir = (env.snapshots_dir / ".restore-XXXXXX").string();
  if (!mkdtemp(dir.data())) {
    return MakeError(ErrorCode::kIo, "cannot create a folder in " + env.snapshots_dir.string() +
                                         ": " + strerror(errno));
  }
  staged.dir = dir;
  std::map<std::string, const ManifestEntry*> expected;
  for (const auto& e : staged.manifest.entries) expected[e.path] = &e;
  std::set<std::string> seen;
  const std::string where = snapshot.file.string();
  EntryReader reader;
  reader.destination = [&](const std::string& name) -> std::optional<fs::path> {
    // Only names the (checked) manifest lists reach the disk.
    if (!expected.count(name) || name == "data/logical.json") return std::nullopt;
    return staged.dir / name;
  };
  reader.keep_in_memory = [](const std::string& name) { return name == "data/logical.json"; };
  reader.check = [&](const std::string& name, std::uint64_t size,
                     const std::string& xxh3) -> Result<void> {
    auto it = expected.find(name);
    if (it == expected.end()) {
      return MakeError(ErrorCode::kStorageCorrupt, where + ": " + name + " is not in its manifest");
    }
    if (!seen.insert(name).second) {
      return MakeError(ErrorCode::kStorageCorrupt, where + ": " + name + " appears twice");
    }
    if (it->second->size != size || it->second->xxh3 != xxh3) {
      return MakeError(ErrorCode::kStorageCorrupt,
                       where + ": " + name + " does not match its checksum in the manifest");
    }
    return Ok();
  };
  auto memory = ReadEntries(snapshot.file, reader);
  if (!memory) return memory.error();
  for (const auto& [name, entry] : expected) {
    if (!seen.count(name)) {
      return MakeError(ErrorCode::kStorageCorrupt,
                       where + ": " + name + " is missing (the archive is truncated?)");
    }
  }
  auto logical = memory->find("data/logical.json");
  if (logical == memory->end()) {
    return MakeError(ErrorCode::kStorageCorrupt, where + ": data/logical.json is missing");
  }
  staged.logical = json::parse(logical->second, nullptr, false);
  if (staged.logical.is_discarded() || !staged.logical.is_object()) {
    return MakeError(ErrorCode::kStorageCorrupt, where + ": data/logical.json is not JSON");
  }
  return staged;
}

Result<void> CheckRestorable(const SnapshotEnv& env, const Manifest& m, const RestoreParts& parts,
                             int latest_schema, const std::optional<RepositoryIdentity>& current) {
  const std::string which = "snapshot " + std::to_string(m.version);
  if (m.schema_version > latest_schema) {
    return MakeError(ErrorCode::kStorageSchemaAhead,
                     which + " has schema version " + std::to_string(m.schema_version) +
                         ", newer than this docrunch (" + std::to_string(latest_schema) +
                         "): restore it with docrunch " + m.docrunch_version + " or newer");
  }
  const bool same_repository =
      current && m.repository
          ? current->id == m.repository->id && current->created_at == m.repository->created_at
          : m.project_root == env.project_root.string();
  if (!same_repository) {
    const std::string theirs = m.repository ? m.repository->root_path : m.project_root;
    return MakeError(ErrorCode::kInvalidParams, which + " belongs to another repository (" +
                                                    theirs + "), not " + env.project_root.string());
  }
  const std::string backend =
      env.store_options.backend == store::StoreOptions::Backend::kSqlite ? "sqlite" : "postgres";
  if (parts.database && m.backend != backend) {
    return MakeError(ErrorCode::kInvalidParams,
                     which + " holds a " + m.backend + " database; this project uses " + backend);
  }
  return Ok();
}

Result<void> RestoreDatabase(const SnapshotEnv& env, const StagedSnapshot& staged) {
  const fs::path file = staged.database_file();
  if (file.empty()) {
    return MakeError(ErrorCode::kStorageCorrupt, "the snapshot holds no database");
  }
  return LoadDatabase(env.store_options, file);
}

namespace {

store::Value ToValue(const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return v.get<std::string>();
  return std::monostate{};
}

// Replaces one table's rows of the repository by the snapshot's. Columns
// the snapshot has must exist now; columns added since take their default.
Result<std::int64_t> InsertTable(store::Tx& tx, const std::string& table, const json& data,
                                 std::int64_t repository_id) {
  auto now = tx.Query("SELECT * FROM " + table + " WHERE 1 = 0");
  if (!now) return now.error();
  std::vector<std::string> columns;
  std::size_t repo_column = SIZE_MAX;
  for (const auto& c : data.at("columns")) {
    const std::string name = c.get<std::string>();
    if (std::find(now->columns.begin(), now->columns.end(), name) == now->columns.end()) {
      return MakeError(ErrorCode::kInvalidParams,
                       "the snapshot's " + table + "." + name +
                           " no longer exists: restore the whole database instead");
    }
    if (name == "repository_id") repo_column = columns.size();
    columns.push_back(name);
  }
  std::vector<store::Params> rows;
  for (const auto& r : data.at("rows")) {
    store::Params row;
    for (const auto& v : r) row.push_back(ToValue(v));
    if (row.size() != columns.size()) {
      return MakeError(ErrorCode::kStorageCorrupt,
                       "the snapshot's " + table + " rows are malformed");
    }
    if (repo_column != SIZE_MAX) row[repo_column] = repository_id;
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return 0;
  auto inserted = tx.InsertMany(table, columns, rows, "");
  if (!inserted) return inserted.error();
  return static_cast<std::int64_t>(rows.size());
}

}  // namespace

Result<std::int64_t> RestoreTaskTables(store::Store& store, std::int64_t repository_id,
                                       const StagedSnapshot& staged) {
  const json& tables = staged.logical.value("tables", json::object());
  for (const auto& t : TaskTables()) {
    if (!tables.contains(t)) {
      // A snapshot taken before the first scan has no task tables to speak of.
      if (tables.empty()) break;
      return MakeError(ErrorCode::kStorageCorrupt, "the snapshot has no " + t + " rows");
    }
  }
  std::int64_t restored = 0;
  DOCRUNCH_TRY(store.Transact([&](store::Tx& tx) -> Result<void> {
    const auto& order = TaskTables();
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      auto deleted = tx.Exec("DELETE FROM " + *it + " WHERE repository_id = $1", {repository_id});
      if (!deleted) return deleted.error();
    }
    if (tables.empty()) return Ok();
    for (const auto& t : order) {
      auto n = InsertTable(tx, t, tables.at(t), repository_id);
      if (!n) return n.error();
      if (t == "tasks") restored = *n;
    }
    // Explicit ids leave PostgreSQL's identity sequences behind: move them
    // past the restored rows (SQLite takes max(id) + 1 by itself).
    if (store.BackendName() == "postgres") {
      for (const auto& t : order) {
        auto moved = tx.Query("SELECT setval(pg_get_serial_sequence('" + t +
                              "', 'id'), GREATEST((SELECT max(id) FROM " + t + "), 1))");
        if (!moved) return moved.error();
      }
    }
    return Ok();
  }));
  return restored;
}

Result<void> RestoreDocs(const SnapshotEnv& env, const StagedSnapshot& staged) {
  const fs::path docs = env.docs_root;
  const fs::path parent = docs.parent_path();
  const std::string base = docs.filename().string();
  std::error_code ec;
  fs::create_directories(parent, ec);
  // Staged beside the folder (same file system), then swapped by renames:
  // the folder is the old one or the new one, never half of each.
  const fs::path incoming = parent / ("." + base + ".restore-" + std::to_string(getpid()));
  const fs::path outgoing = parent / ("." + base + ".old-" + std::to_string(getpid()));
  fs::remove_all(incoming, ec);
  fs::remove_all(outgoing, ec);
  if (fs::is_directory(staged.docs_dir())) {
    fs::copy(staged.docs_dir(), incoming, fs::copy_options::recursive, ec);
  } else {
    fs::create_directories(incoming, ec);
  }
  if (ec) {
    fs::remove_all(incoming, ec);
    return MakeError(ErrorCode::kIo, "cannot stage " + incoming.string() + ": " + ec.message());
  }
  const bool had = fs::exists(docs);
  if (had && rename(docs.c_str(), outgoing.c_str()) != 0) {
    const std::string why = strerror(errno);
    fs::remove_all(incoming, ec);
    return MakeError(ErrorCode::kIo, "cannot move " + docs.string() + " aside: " + why);
  }
  if (rename(incoming.c_str(), docs.c_str()) != 0) {
    const std::string why = strerror(errno);
    if (had) rename(outgoing.c_str(), docs.c_str());
    fs::remove_all(incoming, ec);
    return MakeError(ErrorCode::kIo, "cannot put " + docs.string() + " in place: " + why);
  }
  fs::remove_all(outgoing, ec);
  return Ok();
}

}  // namespace docrunch::ops
