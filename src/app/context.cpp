#include "app/context.h"

#include <filesystem>

#include <spdlog/spdlog.h>

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

Result<store::Store*> AppContext::Store() {
  auto store = StoreUnchecked();
  if (!store) return store.error();
  DOCRUNCH_TRY((*store)->CheckSchema());
  return *store;
}

}  // namespace docrunch::app
