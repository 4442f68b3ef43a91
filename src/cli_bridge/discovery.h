// Finding the agent CLIs on this host (PRODUCT §14): the folders of PATH in
// order, then the usual install locations that a service's PATH often
// lacks: ~/.local/bin, /usr/local/bin, and the bin folder of npm's global
// prefix (`npm prefix -g`, asked once per Discovery with a short timeout and
// remembered; the CLIs are npm packages). The first regular, executable
// file named like the CLI wins.
//
// Versions come from `<cli> --version` (first line of its output) run with
// a short timeout, remembered per path and modification time, so a health
// check does not start three Node.js programs each time.
//
// Thread-safety: every method may be called from many threads.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/loader.h"

namespace docrunch::cli_bridge {

struct DiscoveryOptions {
  std::string path;  // the PATH to search, ':'-separated
  // Searched after PATH, in order (DefaultDiscovery: ~/.local/bin,
  // /usr/local/bin).
  std::vector<std::filesystem::path> extra_dirs;
  bool ask_npm = true;  // also search `npm prefix -g`/bin (npm looked up on `path`)
  std::chrono::milliseconds command_timeout{5000};  // --version, npm prefix -g
  // The environment the helper commands (--version, npm) run with;
  // nullopt: the caller's.
  std::optional<std::vector<std::string>> env;
};

// PATH and HOME taken from `env`.
DiscoveryOptions DefaultDiscovery(const config::Environment& env);

class Discovery {
 public:
  explicit Discovery(DiscoveryOptions options) : options_(std::move(options)) {}

  // The folders searched, in order (each once).
  std::vector<std::filesystem::path> SearchDirs() const;
  // The executable for `name`, or nullopt.
  std::optional<std::filesystem::path> Find(const std::string& name) const;
  // `exe --version`'s first line; "" when it failed or printed nothing.
  std::string Version(const std::filesystem::path& exe) const;

 private:
  std::optional<std::filesystem::path> NpmBin() const;

  DiscoveryOptions options_;
  mutable std::mutex mu_;
  mutable bool npm_asked_ = false;                        // guarded by mu_
  mutable std::optional<std::filesystem::path> npm_bin_;  // guarded by mu_
  struct CachedVersion {
    std::filesystem::file_time_type mtime;
    std::string version;
  };
  mutable std::map<std::string, CachedVersion> versions_;  // guarded by mu_
};

}  // namespace docrunch::cli_bridge
