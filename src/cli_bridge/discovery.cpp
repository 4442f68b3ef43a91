#include "cli_bridge/discovery.h"

#include <unistd.h>

#include <algorithm>

#include "cli_bridge/process_runner.h"
#include "core/text.h"

namespace docrunch::cli_bridge {
namespace {

namespace fs = std::filesystem;

bool IsExecutableFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

std::string FirstLine(const std::string& text) {
  std::string line;
  for (const auto& part : Split(text, '\n')) {
    line = part;
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) break;
  }
  return line.substr(0, 200);
}

}  // namespace

DiscoveryOptions DefaultDiscovery(const config::Environment& env) {
  DiscoveryOptions o;
  if (auto it = env.find("PATH"); it != env.end()) o.path = it->second;
  if (auto it = env.find("HOME"); it != env.end() && !it->second.empty()) {
    o.extra_dirs.push_back(fs::path(it->second) / ".local" / "bin");
  }
  o.extra_dirs.push_back("/usr/local/bin");
  return o;
}

std::vector<fs::path> Discovery::SearchDirs() const {
  std::vector<fs::path> dirs;
  auto add = [&dirs](const fs::path& d) {
    // An empty PATH entry means the current folder: never search it (a
    // repository could plant a `claude` there).
    if (d.empty() || d.is_relative()) return;
    if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
  };
  for (const auto& entry : Split(options_.path, ':')) add(entry);
  for (const auto& d : options_.extra_dirs) add(d);
  if (auto npm = NpmBin()) add(*npm);
  return dirs;
}

std::optional<fs::path> Discovery::Find(const std::string& name) const {
  if (name.empty() || name.find('/') != std::string::npos) return std::nullopt;
  for (const auto& dir : SearchDirs()) {
    fs::path candidate = dir / name;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return std::nullopt;
}

std::optional<fs::path> Discovery::NpmBin() const {
  if (!options_.ask_npm) return std::nullopt;
  std::lock_guard lock(mu_);
  if (npm_asked_) return npm_bin_;
  npm_asked_ = true;
  std::optional<fs::path> npm;
  for (const auto& entry : Split(options_.path, ':')) {
    if (!entry.empty() && entry[0] == '/' && IsExecutableFile(fs::path(entry) / "npm")) {
      npm = fs::path(entry) / "npm";
      break;
    }
  }
  if (!npm) return std::nullopt;
  RunOptions run;
  run.argv = {npm->string(), "prefix", "-g"};
  run.env = options_.env;
  run.timeout = options_.command_timeout;
  run.max_stdout_bytes = 4096;
  auto outcome = RunProcess(run);
  if (!outcome || outcome->exit_code != 0) return std::nullopt;
  std::string prefix = FirstLine(outcome->out);
  if (prefix.empty() || prefix[0] != '/') return std::nullopt;
  npm_bin_ = fs::path(prefix) / "bin";
  return npm_bin_;
}

std::string Discovery::Version(const fs::path& exe) const {
  std::error_code ec;
  auto mtime = fs::last_write_time(exe, ec);
  {
    std::lock_guard lock(mu_);
    auto it = versions_.find(exe.string());
    if (!ec && it != versions_.end() && it->second.mtime == mtime) return it->second.version;
  }
  RunOptions run;
  run.argv = {exe.string(), "--version"};
  run.env = options_.env;
  run.timeout = options_.command_timeout;
  run.kill_grace = std::chrono::milliseconds(500);
  run.max_stdout_bytes = 4096;
  run.max_stderr_bytes = 4096;
  auto outcome = RunProcess(run);
  std::string version;
  if (outcome && outcome->exit_code == 0 && !outcome->timed_out) {
    version = FirstLine(outcome->out.empty() ? outcome->err : outcome->out);
  }
  std::lock_guard lock(mu_);
  if (!ec) versions_[exe.string()] = {mtime, version};
  return version;
}

}  // namespace docrunch::cli_bridge
