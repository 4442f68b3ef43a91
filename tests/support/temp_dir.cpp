#include "support/temp_dir.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace docrunch::testing {

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "docrunch-test-XXXXXX").string();
  if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  // Traversable by others, so tests may run the binary as an unprivileged
  // user (root ignores file permissions; see process.h).
  chmod(templ.c_str(), 0755);
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  // Restore write permission anywhere a test removed it, then delete.
  for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
  }
  std::filesystem::remove_all(path_, ec);
}

void TempDir::Write(const std::string& rel, const std::string& content) const {
  auto full = path_ / rel;
  std::filesystem::create_directories(full.parent_path());
  std::ofstream out(full, std::ios::binary);
  out << content;
}

std::string TempDir::Read(const std::string& rel) const {
  return ReadFile(path_ / rel);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

}  // namespace docrunch::testing
