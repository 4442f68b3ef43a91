// Loading and validating the configuration.
//
// LoadConfig reads `.docrunch/config.yaml`, applies the environment and
// flag overlays (precedence: flags > environment > file > defaults),
// checks every key and every cross-field rule, and returns either a
// complete Config or CONFIG_INVALID listing every problem found, one per
// line, each naming its source (file:line:column, or the environment
// variable or flag it came from) and the key path.
//
// Environment overlays: DOCRUNCH_<SECTION>__<KEY>[__<KEY>...]=value, e.g.
// DOCRUNCH_SERVER__MCP__PORT=4000. Flag overlays: "key.path=value" (the
// global --set option). Values are YAML scalars or flow collections.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"

namespace docrunch::config {

using Environment = std::map<std::string, std::string>;

// The process environment as a map.
Environment CurrentEnvironment();

struct ConfigIssue {
  std::string source;  // file path, "environment variable X" or "flag --set X"
  int line = 0;        // 1-based; 0 when the source has no lines
  int column = 0;
  std::string key;  // "server.mcp.port"; "" for the document itself
  std::string message;

  // ".docrunch/config.yaml:12:9: server.mcp.port: must be between 1 and 65535, got 70000"
  std::string ToString() const;
};

enum class Origin { kDefault, kFile, kEnvironment, kFlag };

struct LoadRequest {
  std::filesystem::path file;          // the config file; must exist
  std::string text;                    // when non-empty, used instead of reading `file`
  Environment env;                     // for overlays and *_env references
  std::vector<std::string> overrides;  // "key.path=value", highest precedence
};

struct LoadedConfig {
  Config config;
  std::filesystem::path file;
  std::filesystem::path project_root;     // the folder holding .docrunch/
  std::map<std::string, Origin> origins;  // key path -> origin, for non-default values
};

// Issues found in the request; empty means valid. On success `out` holds the
// configuration (it may be partially filled otherwise).
std::vector<ConfigIssue> ValidateConfig(const LoadRequest& request, LoadedConfig& out);

// ValidateConfig, with every issue folded into one CONFIG_INVALID error.
Result<LoadedConfig> LoadConfig(const LoadRequest& request);

// The config file to use: `explicit_path` if given (--config or
// DOCRUNCH_CONFIG), else `.docrunch/config.yaml` in `start` or the nearest
// parent that has one. CONFIG_NOT_FOUND names where it looked.
Result<std::filesystem::path> FindConfigFile(const std::filesystem::path& start,
                                             const std::string& explicit_path);

}  // namespace docrunch::config
