// What every command shares: the global options, the configuration (loaded
// once, on first use) and the store (opened once, schema checked).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/loader.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace docrunch::app {

struct GlobalOptions {
  std::string config_path;             // --config, else DOCRUNCH_CONFIG
  bool debug = false;                  // --debug, or DOCRUNCH_DEBUG set
  std::vector<std::string> overrides;  // --set KEY=VALUE
};

class AppContext {
 public:
  explicit AppContext(config::Environment env) : env_(std::move(env)) {}

  GlobalOptions& options() { return options_; }
  const config::Environment& env() const { return env_; }
  Clock& clock() { return clock_; }

  // The effective configuration. CONFIG_NOT_FOUND / CONFIG_INVALID.
  Result<const config::LoadedConfig*> Config();

  // The store, with its schema checked: a database behind or ahead of this
  // binary is refused (STORAGE_SCHEMA_BEHIND / _AHEAD). Every command that
  // reads or writes data goes through here.
  Result<store::Store*> Store();
  // The store without the schema check, for `db migrate` and `db status`.
  Result<store::Store*> StoreUnchecked();

 private:
  // Re-applies logging settings once the configuration is known.
  void ApplyLogging(const config::LoadedConfig& loaded);

  GlobalOptions options_;
  config::Environment env_;
  SystemClock clock_;
  std::unique_ptr<config::LoadedConfig> config_;
  std::unique_ptr<store::Store> store_;
  bool moved_checked_ = false;  // FollowMovedProject ran
};

// Store options for a configuration; paths are resolved against the
// project root, URLs taken from their environment variables.
store::StoreOptions StoreOptionsFor(const config::LoadedConfig& loaded,
                                    const config::Environment& env);

// The Redis of jobs.redis_url_env (when that variable is set) or
// jobs.redis_url; "" without one.
std::string RedisUrl(const config::Config& c, const config::Environment& env);

}  // namespace docrunch::app
