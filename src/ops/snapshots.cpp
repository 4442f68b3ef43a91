// snapshot create, list and clean.
#include "ops/snapshots.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <regex>

#include "core/files.h"
#include "ops/archive.h"
#include "ops/database_dump.h"
#include "ops/snapshot_data.h"
#include "store/repositories.h"

namespace docrunch::ops {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const Clock& ClockOf(const SnapshotEnv& env) {
  static SystemClock system;
  return env.clock ? *env.clock : system;
}

// Removes a file or folder when it goes out of scope, unless released.
class Cleanup {
 public:
  explicit Cleanup(fs::path path) : path_(std::move(path)) {}
  ~Cleanup() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  void Release() { path_.clear(); }

 private:
  fs::path path_;
};

// One create, clean or restore at a time per snapshots folder: versions
// are numbered under it.
class FolderLock {
 public:
  ~FolderLock() {
    if (fd_ >= 0) close(fd_);
  }
  Result<void> Take(const fs::path& dir) {
    const fs::path path = dir / ".lock";
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0 || flock(fd_, LOCK_EX) != 0) {
      return MakeError(ErrorCode::kIo, "cannot lock " + path.string() + ": " + strerror(errno));
    }
    return Ok();
  }

 private:
  int fd_ = -1;
};

Result<void> MakeFolder(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  return Ok();
}

std::string FileName(std::int64_t version) {
  char name[64];
  std::snprintf(name, sizeof name, "snapshot-%06lld.tar.zst", static_cast<long long>(version));
  return name;
}

// Versions of the archives in the folder, by file name.
std::vector<std::pair<std::int64_t, fs::path>> ArchiveFiles(const fs::path& dir) {
  static const std::regex kName("snapshot-([0-9]{1,15})\\.tar\\.zst");
  std::vector<std::pair<std::int64_t, fs::path>> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (e.is_regular_file(ec) && std::regex_match(name, m, kName)) {
      out.emplace_back(std::stoll(m[1]), e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The Markdown folder's files (not the temporaries of a writer), relative
// paths with '/', each read once: hashed and written from the same bytes.
Result<std::vector<ArchiveSource>> DocsEntries(const fs::path& docs_root) {
  std::vector<ArchiveSource> out;
  std::error_code ec;
  if (!fs::is_directory(docs_root, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(docs_root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file() || it->is_symlink()) continue;
    const std::string name = it->path().filename().string();
    if (name.find(".tmp-") != std::string::npos) continue;
    auto text = ReadFileText(it->path());
    if (!text) return text.error();
    ArchiveSource s;
    s.name = "docs/" + fs::relative(it->path(), docs_root).generic_string();
    s.size = text->size();
    s.xxh3 = HashBytes(*text);
    s.bytes = std::move(*text);
    out.push_back(std::move(s));
  }
  if (ec)
    return MakeError(ErrorCode::kIo, "cannot list " + docs_root.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const ArchiveSource& a, const ArchiveSource& b) { return a.name < b.name; });
  return out;
}

ArchiveSource BytesEntry(std::string name, std::string bytes) {
  ArchiveSource s;
  s.name = std::move(name);
  s.size = bytes.size();
  s.xxh3 = HashBytes(bytes);
  s.bytes = std::move(bytes);
  return s;
}

// Schema version and logical data, read from `db`.
struct DatabaseFacts {
  int schema_version = 0;
  std::optional<RepositoryIdentity> repository;
  json logical;
};

Result<DatabaseFacts> ReadFacts(store::Store& db, const fs::path& project_root) {
  DatabaseFacts facts;
  auto status = db.Status();
  if (!status) return status.error();
  facts.schema_version = status->current_version;
  facts.repository = CurrentRepository(db, project_root);
  auto logical = ExportLogical(db, facts.repository ? facts.repository->id : 0);
  if (!logical) return logical.error();
  facts.logical = std::move(*logical);
  return facts;
}

// Writes the archive to a temporary file in `dir`, flushed to disk, and
// renames it to `final`: the snapshot exists complete or not at all (a full
// disk leaves only the temporary, removed here).
Result<std::uint64_t> WriteAtomically(const fs::path& dir, const fs::path& final,
                                      const ArchiveSource& manifest,
                                      const std::vector<ArchiveSource>& entries, int level) {
  std::string temp = (dir / ".snapshot.tmp-XXXXXX").string();
  const int fd = mkstemp(temp.data());
  if (fd < 0)
    return MakeError(ErrorCode::kIo,
                     "cannot create a file in " + dir.string() + ": " + strerror(errno));
  Cleanup remove_temp{fs::path(temp)};
  auto written = WriteArchive(fd, manifest, entries, level);
  const bool synced = written && fsync(fd) == 0;
  const int sync_errno = errno;
  close(fd);
  if (!written) return written.error();
  if (!synced)
    return MakeError(ErrorCode::kIo, "cannot flush " + temp + ": " + strerror(sync_errno));
  if (rename(temp.c_str(), final.c_str()) != 0) {
    return MakeError(ErrorCode::kIo, "cannot rename to " + final.string() + ": " + strerror(errno));
  }
  remove_temp.Release();
  // The rename itself must survive a power loss too.
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  std::error_code ec;
  return static_cast<std::uint64_t>(fs::file_size(final, ec));
}

}  // namespace

std::optional<RepositoryIdentity> CurrentRepository(store::Reader& db,
                                                    const fs::path& project_root) {
  auto rows =
      db.Query("SELECT id, name, root_path, created_at FROM repositories WHERE root_path = $1",
               {project_root.string()});
  if (rows && rows->empty()) {
    // As the CLI finds its project (`docrunch scan OTHER_PATH` in a project
    // that holds only that scan): the one repository there is.
    rows = db.Query("SELECT id, name, root_path, created_at FROM repositories");
    if (rows && rows->size() != 1) return std::nullopt;
  }
  if (!rows || rows->empty()) return std::nullopt;
  return RepositoryIdentity{*rows->Int(0, "id"), rows->Text(0, "name").value_or(""),
                            rows->Text(0, "root_path").value_or(""),
                            rows->Text(0, "created_at").value_or("")};
}

Result<SnapshotInfo> CreateSnapshot(const SnapshotEnv& env, store::Store& live,
                                    const std::string& trigger, const std::string& note) {
  DOCRUNCH_TRY(MakeFolder(env.snapshots_dir));
  FolderLock lock;
  DOCRUNCH_TRY(lock.Take(env.snapshots_dir));
  std::string staging = (env.snapshots_dir / ".create-XXXXXX").string();
  if (!mkdtemp(staging.data())) {
    return MakeError(ErrorCode::kIo, "cannot create a folder in " + env.snapshots_dir.string());
  }
  Cleanup remove_staging{fs::path(staging)};
  const fs::path db_copy = fs::path(staging) / "database";
  DOCRUNCH_TRY(DumpDatabase(env.store_options, db_copy));

  Manifest m;
  m.trigger = trigger;
  m.note = note;
  m.created_at = FormatIso8601(ClockOf(env).Now());
  m.docrunch_version = env.docrunch_version;
  m.project_root = env.project_root.string();
  Result<DatabaseFacts> facts = MakeError(ErrorCode::kInternal, "unread");
  if (env.store_options.backend == store::StoreOptions::Backend::kSqlite) {
    // The copy itself: its rows are exactly the snapshot's.
    m.backend = "sqlite";
    store::StoreOptions copy;
    copy.sqlite_path = db_copy.string();
    auto opened = store::OpenStore(copy);
    if (!opened) return opened.error();
    facts = ReadFacts(**opened, env.project_root);
  } else {
    m.backend = "postgres";
    facts = ReadFacts(live, env.project_root);
  }
  if (!facts) return facts.error();
  m.schema_version = facts->schema_version;
  m.repository = facts->repository;

  std::vector<ArchiveSource> entries;
  ArchiveSource db_entry;
  db_entry.name = DatabaseEntryName(env.store_options);
  db_entry.file = db_copy;
  auto db_hash = HashFile(db_copy, &db_entry.size);
  if (!db_hash) return db_hash.error();
  db_entry.xxh3 = *db_hash;
  entries.push_back(std::move(db_entry));
  if (fs::is_regular_file(env.config_file)) {
    auto config_text = ReadFileText(env.config_file);
    if (!config_text) return config_text.error();
    entries.push_back(BytesEntry("config/config.yaml", std::move(*config_text)));
  }
  entries.push_back(BytesEntry("data/logical.json", facts->logical.dump()));
  auto docs = DocsEntries(env.docs_root);
  if (!docs) return docs.error();
  for (auto& d : *docs) entries.push_back(std::move(d));
  for (const auto& e : entries) m.entries.push_back({e.name, e.size, e.xxh3});

  auto files = ArchiveFiles(env.snapshots_dir);
  m.version = files.empty() ? 1 : files.back().first + 1;
  const fs::path final = env.snapshots_dir / FileName(m.version);
  ArchiveSource manifest = BytesEntry("manifest.json", ToJson(m).dump(2));
  auto size = WriteAtomically(env.snapshots_dir, final, manifest, entries, env.zstd_level);
  if (!size) return size.error();
  return SnapshotInfo{std::move(m), final, *size};
}

Result<SnapshotList> ListSnapshots(const SnapshotEnv& env) {
  SnapshotList list;
  for (const auto& [version, file] : ArchiveFiles(env.snapshots_dir)) {
    auto text = ReadFirstEntry(file);
    Result<Manifest> m = text ? ManifestFromJson(*text) : Result<Manifest>(text.error());
    if (!m) {
      list.unreadable.emplace_back(file, m.error().message);
      continue;
    }
    if (m->version != version) {
      list.unreadable.emplace_back(file, "its manifest says version " + std::to_string(m->version));
      continue;
    }
    std::error_code ec;
    list.snapshots.push_back(
        {std::move(*m), file, static_cast<std::uint64_t>(fs::file_size(file, ec))});
  }
  return list;
}

Result<SnapshotInfo> FindSnapshot(const SnapshotEnv& env, const std::string& version) {
  static const std::regex kVersion("[0-9]{1,15}");
  if (!std::regex_match(version, kVersion) || std::stoll(version) < 1) {
    return MakeError(ErrorCode::kInvalidParams,
                     "version: \"" + version + "\" is not a snapshot version (1, 2, ...)");
  }
  const fs::path file = env.snapshots_dir / FileName(std::stoll(version));
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return MakeError(ErrorCode::kStorageNotFound, "no snapshot " + version + " in " +
                                                      env.snapshots_dir.string() +
                                                      " (see `docrunch snapshot list`)");
  }
  auto text = ReadFirstEntry(file);
  if (!text) return text.error();
  auto m = ManifestFromJson(*text);
  // A damaged archive is named: its manifest's own words do not say which.
  if (!m) return MakeError(m.error().code, file.string() + ": " + m.error().message);
  if (m->version != std::stoll(version)) {
    return MakeError(ErrorCode::kStorageCorrupt,
                     file.string() + ": its manifest says version " + std::to_string(m->version));
  }
  return SnapshotInfo{std::move(*m), file, static_cast<std::uint64_t>(fs::file_size(file, ec))};
}

Result<std::vector<std::int64_t>> CleanSnapshots(const SnapshotEnv& env,
                                                 const Retention& retention) {
  std::vector<std::int64_t> removed;
  std::error_code ec;
  if (!fs::is_directory(env.snapshots_dir, ec)) return removed;
  FolderLock lock;
  DOCRUNCH_TRY(lock.Take(env.snapshots_dir));
  auto list = ListSnapshots(env);
  if (!list) return list.error();
  const auto& all = list->snapshots;  // oldest first
  const TimePoint now = ClockOf(env).Now();
  const auto max_age = std::chrono::hours(24) * retention.max_age_days;
  const std::size_t n = all.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t newer = n - 1 - i;  // how many are newer than this one
    if (newer < static_cast<std::size_t>(retention.keep_minimum)) break;
    const auto created = ParseIso8601(all[i].manifest.created_at);
    const bool too_many = newer >= static_cast<std::size_t>(retention.max_snapshots);
    const bool too_old = created && now - *created > max_age;
    if (!too_many && !too_old) continue;
    if (!fs::remove(all[i].file, ec) || ec) {
      return MakeError(ErrorCode::kIo,
                       "cannot remove " + all[i].file.string() + ": " + ec.message());
    }
    removed.push_back(all[i].manifest.version);
  }
  // Temporaries of creates that died (only ours: .snapshot.tmp-*, .create-*,
  // .restore-*) older than a day.
  for (const auto& e : fs::directory_iterator(env.snapshots_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(".snapshot.tmp-", 0) != 0 && name.rfind(".create-", 0) != 0 &&
        name.rfind(".restore-", 0) != 0) {
      continue;
    }
    auto age = fs::file_time_type::clock::now() - fs::last_write_time(e.path(), ec);
    if (!ec && age > std::chrono::hours(24)) fs::remove_all(e.path(), ec);
  }
  return removed;
}

}  // namespace docrunch::ops
