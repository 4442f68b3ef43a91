// A temporary directory removed (recursively) when the object dies.
#pragma once

#include <filesystem>
#include <string>

namespace docrunch::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

  // Writes `content` to path()/rel, creating parent folders.
  void Write(const std::string& rel, const std::string& content) const;
  std::string Read(const std::string& rel) const;

 private:
  std::filesystem::path path_;
};

// Reads a whole file; "" if it does not exist.
std::string ReadFile(const std::filesystem::path& path);

// The value of an environment variable, or "" when unset.
std::string EnvOr(const char* name, const std::string& fallback = "");

}  // namespace docrunch::testing
