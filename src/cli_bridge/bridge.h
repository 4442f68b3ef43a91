// The CLI Bridge, local (PRODUCT §14): runs one prompt through an agent CLI
// on this host and answers in the bridge's wire shape.
//
//   gemini --model M        claude -p --model M        codex exec --model M
//
// The prompt goes on stdin followed by a newline, never on the command
// line; the model must be registered for that CLI in the model registry
// (cli_models.json); the executable is found by Discovery; the run is a
// RunProcess (own process group, timeout that ends the whole group, capped
// output). Nothing goes through a shell.
//
// Thread-safety: Execute and Health may be called from many threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli_bridge/discovery.h"
#include "cli_bridge/model_registry.h"
#include "core/result.h"

namespace docrunch::cli_bridge {

struct BridgeOptions {
  DiscoveryOptions discovery;
  // The CLI's environment (NAME=VALUE); nullopt: this process's own.
  std::optional<std::vector<std::string>> env;
  std::size_t max_output_bytes = 1024 * 1024;  // stdout kept; the rest is discarded
  std::size_t max_stderr_bytes = 64 * 1024;
  std::size_t max_prompt_bytes = 4 * 1024 * 1024;
  std::chrono::milliseconds default_timeout{120'000};
  std::chrono::milliseconds max_timeout{30 * 60'000};
  std::chrono::milliseconds kill_grace{2'000};
};

struct ExecuteRequest {
  std::string cli_type;  // gemini, claude, codex
  std::string prompt;
  std::string model;                                 // a registered id for cli_type
  std::optional<std::chrono::milliseconds> timeout;  // nullopt: the default
};

// The wire shape of POST /execute's answer, plus what the proxy logs.
struct ExecuteResult {
  bool success = false;
  std::string content;  // the CLI's stdout (at most max_output_bytes)
  std::string error;    // "" when none
  std::string cli_type;
  std::string model;
  std::int64_t execution_time_ms = 0;
  // Not on the wire: details for logs and tests.
  int exit_code = -1;
  bool timed_out = false;
  bool truncated = false;
};

// {success, content, error (null when none), cli_type, model, execution_time_ms}.
nlohmann::json ToJson(const ExecuteResult& result);

struct CliStatus {
  std::string cli_type;
  bool available = false;
  std::string path;                 // "" when not found
  std::string version;              // "" when unknown
  std::vector<std::string> models;  // registered ids
};

class CliBridge {
 public:
  CliBridge(BridgeOptions options, ModelRegistry registry);

  // The argv for a CLI type and model (without the executable), or nullopt
  // for a type the bridge does not run.
  static std::optional<std::vector<std::string>> Arguments(const std::string& cli_type,
                                                           const std::string& model);

  // Errors are about the request, before anything runs: INVALID_PARAMS for
  // an unknown CLI type, a model not registered for it, an empty or too
  // large prompt, a timeout of 0 or less (one over max_timeout is cut to
  // it); STORAGE_UNAVAILABLE when the CLI is
  // not installed; IO when it cannot be started. A CLI that ran is a
  // result: success when it exited 0 within the timeout.
  Result<ExecuteResult> Execute(const ExecuteRequest& request) const;

  // Every CLI type, found or not, with its version.
  std::vector<CliStatus> Health() const;

  const BridgeOptions& options() const { return options_; }
  const ModelRegistry& registry() const { return registry_; }

 private:
  BridgeOptions options_;
  ModelRegistry registry_;
  Discovery discovery_;
};

}  // namespace docrunch::cli_bridge
