#include "app/context.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "obs/logging.h"

namespace docrunch::app {

Result<const config::LoadedConfig*> AppContext::Config() {
  if (config_) return config_.get();
  std::string explicit_path = options_.config_path;
  if (explicit_path.empty() && env_.count("DOCRUNCH_CONFIG"))
    explicit_path = env_["DOCRUNCH_CONFIG"];
  auto file = config::FindConfigFile(std::filesystem::current_path(), explicit_path);
  if (!file) return file.error();
  auto loaded = config::LoadConfig({*file, "", env_, options_.overrides});
  if (!loaded) return loaded.error();
  config_ = std::make_unique<config::LoadedConfig>(std::move(*loaded));
  ApplyLogging(*config_);
  spdlog::debug("configuration loaded from {}", file->string());
  return config_.get();
}

void AppContext::ApplyLogging(const config::LoadedConfig& loaded) {
  obs::LogOptions log;
  log.level = options_.debug ? "debug" : loaded.config.logging.level;
  log.format = loaded.config.logging.format == config::LogFormat::kJson ? obs::LogFormat::kJson
                                                                        : obs::LogFormat::kText;
  obs::ConfigureLogging(log);
}

store::StoreOptions StoreOptionsFor(const config::LoadedConfig& loaded,
                                    const config::Environment& env) {
  const auto& s = loaded.config.storage;
  store::StoreOptions options;
  if (s.backend == config::StorageBackend::kPostgres) {
    options.backend = store::StoreOptions::Backend::kPostgres;
    auto it = env.find(s.postgres_url_env);
    options.postgres_url =
        s.postgres_url_env.empty() || it == env.end() ? s.postgres_url : it->second;
  }
  std::filesystem::path sqlite_path = s.sqlite_path;
  if (sqlite_path.is_relative()) sqlite_path = loaded.project_root / sqlite_path;
  options.sqlite_path = sqlite_path.lexically_normal().string();
  options.postgres_pool_size = s.postgres_pool_size;
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(s.connect_timeout.value).count();
  options.connect_timeout_seconds = static_cast<int>(std::max<long long>(seconds, 1));
  return options;
}

Result<store::Store*> AppContext::StoreUnchecked() {
  if (store_) return store_.get();
  auto loaded = Config();
  if (!loaded) return loaded.error();
  store::StoreOptions options = StoreOptionsFor(**loaded, env_);
  options.clock = &clock_;
  auto opened = store::OpenStore(options);
  if (!opened) return opened.error();
  store_ = std::move(*opened);
  return store_.get();
}

namespace {

// An embedded project moved or renamed as a whole (its SQLite database
// inside it) finds its repository row naming the old folder, and would
// start over as a new repository beside its own tasks, decisions and
// history. When the project's folder has no row and exactly one row names a
// folder that no longer exists, that row is this project's: it follows the
// folder. Hosted databases are shared by machines whose paths differ, so
// only a database inside the project does this.
Result<void> FollowMovedProject(store::Store& store, const config::LoadedConfig& loaded,
                                const store::StoreOptions& options) {
  namespace fs = std::filesystem;
  if (options.backend != store::StoreOptions::Backend::kSqlite) return Ok();
  std::error_code ec;
  const fs::path root = fs::canonical(loaded.project_root, ec);
  if (ec) return Ok();
  const fs::path db = fs::weakly_canonical(options.sqlite_path, ec);
  const fs::path inside = db.lexically_relative(root);
  if (ec || inside.empty() || *inside.begin() == "..") return Ok();
  auto rows = store.Query("SELECT id, root_path FROM repositories ORDER BY id");
  if (!rows) return rows.error();
  std::vector<std::int64_t> gone;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const std::string path = rows->Text(i, "root_path").value_or("");
    if (path == root.string()) return Ok();
    // Gone means "no such folder": one that cannot be looked at (no
    // permission, a drive not mounted) is not gone.
    const bool exists = fs::exists(path, ec);
    if (!exists && !ec) gone.push_back(*rows->Int(i, "id"));
  }
  if (gone.size() != 1) return Ok();
  spdlog::info("the project moved to {}: its repository follows it", root.string());
  return store.Transact([&](store::Tx& tx) -> Result<void> {
    auto moved = tx.Exec("UPDATE repositories SET root_path = $1, updated_at = $2 WHERE id = $3",
                         {root.string(), FormatIso8601(tx.clock().Now()), gone.front()});
    if (!moved) return moved.error();
    return Ok();
  });
}

}  // namespace

Result<store::Store*> AppContext::Store() {
  auto store = StoreUnchecked();
  if (!store) return store.error();
  DOCRUNCH_TRY((*store)->CheckSchema());
  if (!moved_checked_) {
    moved_checked_ = true;
    auto loaded = Config();
    if (!loaded) return loaded.error();
    DOCRUNCH_TRY(FollowMovedProject(**store, **loaded, StoreOptionsFor(**loaded, env_)));
  }
  return *store;
}

std::string RedisUrl(const config::Config& c, const config::Environment& env) {
  if (!c.jobs.redis_url_env.empty()) {
    auto it = env.find(c.jobs.redis_url_env);
    if (it != env.end() && !it->second.empty()) return it->second;
  }
  return c.jobs.redis_url;
}

}  // namespace docrunch::app
