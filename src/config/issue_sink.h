// Internal to src/config: where validation problems are collected, and how
// a key path is turned into a source location.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/loader.h"

namespace docrunch::config {

struct SourceLocation {
  std::string source;
  int line = 0;
  int column = 0;
};

class IssueSink {
 public:
  explicit IssueSink(std::string file) : file_(std::move(file)) {}

  // Remember where the value of `key` was written.
  void Locate(const std::string& key, SourceLocation where) { locations_[key] = std::move(where); }
  // Values injected by overlays carry their overlay as their source.
  void SetOverlaySource(const std::string& key, std::string source) {
    overlay_sources_[key] = std::move(source);
  }
  bool FromOverlay(const std::string& key) const { return overlay_sources_.count(key) > 0; }

  // Reports a problem at `key`, located at `where` (or, when that has no
  // line, at the nearest located ancestor of the key).
  void Add(const std::string& key, std::string message, SourceLocation where = {});

  const std::vector<ConfigIssue>& issues() const { return issues_; }
  const std::string& file() const { return file_; }

 private:
  SourceLocation Resolve(const std::string& key) const;
  // The overlay that set `key` or one of its ancestors, or nullptr.
  const std::string* OverlayOf(const std::string& key) const;

  std::string file_;
  std::map<std::string, SourceLocation> locations_;
  std::map<std::string, std::string> overlay_sources_;
  std::vector<ConfigIssue> issues_;
};

// Cross-field rules (required *_env variables, hosted mode, listeners).
void CheckRules(const Config& config, const Environment& env, IssueSink& sink);

}  // namespace docrunch::config
