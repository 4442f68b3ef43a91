#include "scan/walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <set>
#include <thread>
#include <utility>

#include "scan/parser/utf8.h"
#include "scan/source_file.h"

namespace docrunch::scan {
namespace {

struct FileJob {
  std::string path;
  Language language;
};

// What reading one file produced: a file, an error, or a counted skip.
struct FileOutcome {
  SourceStatus status = SourceStatus::kOk;
  WalkedFile file;
  std::string detail;
};

std::string Join(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

// Lists folders one at a time from an explicit work list (any depth without
// recursion) and collects the files to read.
class Lister {
 public:
  Lister(std::string root, IgnoreRules& rules, const WalkOptions& options, WalkResult& result)
      : root_(std::move(root)), rules_(rules), options_(options), result_(result) {}

  std::vector<FileJob> Run() {
    pending_.push_back("");
    while (!pending_.empty() || !symlinked_.empty()) {
      // Real folders first: a folder also reachable through a link is then
      // reported under its real path.
      auto& from = pending_.empty() ? symlinked_ : pending_;
      std::string dir = std::move(from.back());
      from.pop_back();
      ListDirectory(dir);
    }
    return std::move(jobs_);
  }

 private:
  std::string FullPath(const std::string& rel) const {
    return rel.empty() ? root_ : root_ + "/" + rel;
  }

  void AddError(const std::string& path, SourceStatus status, const std::string& detail) {
    result_.errors.push_back(
        {path.empty() ? "." : path, std::string(SourceStatusCode(status)), detail});
  }

  void ListDirectory(const std::string& rel) {
    int fd = open(FullPath(rel).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == ENOENT || err == ENOTDIR) return ++result_.counts.vanished, void();
      bool denied = err == EACCES || err == EPERM;
      AddError(rel, denied ? SourceStatus::kPermissionDenied : SourceStatus::kReadFailed,
               std::string("cannot list folder: ") + std::strerror(err));
      return;
    }
    struct stat st {};
    if (fstat(fd, &st) != 0 || !visited_.insert({st.st_dev, st.st_ino}).second) {
      close(fd);
      ++result_.counts.symlinks_skipped;  // a cycle or a second route to a walked folder
      return;
    }
    ++result_.counts.directories;
    DIR* dir = fdopendir(fd);
    if (!dir) {
      close(fd);
      return;
    }
    std::vector<std::pair<std::string, unsigned char>> entries;
    while (dirent* e = readdir(dir)) {
      std::string_view name = e->d_name;
      if (name == "." || name == ".." || name == ".git") continue;
      if (!IsValidUtf8(name)) {
        // Paths are stored, shown and sent as UTF-8 text; such a name cannot be.
        AddError(Join(rel, ValidUtf8(name)), SourceStatus::kInvalidEncoding,
                 "the name is not valid UTF-8 (shown with U+FFFD); skipped");
        continue;
      }
      entries.emplace_back(name, e->d_type);
    }
    std::sort(entries.begin(), entries.end());
    // Pushed in reverse so folders are listed in name order.
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      Consider(dirfd(dir), Join(rel, it->first), it->first, it->second);
    }
    closedir(dir);
  }

  void Consider(int dir_fd, const std::string& path, const std::string& name,
                unsigned char d_type) {
    if (d_type == DT_UNKNOWN) {
      struct stat st {};
      if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
      d_type = S_ISDIR(st.st_mode)   ? DT_DIR
               : S_ISREG(st.st_mode) ? DT_REG
               : S_ISLNK(st.st_mode) ? DT_LNK
                                     : DT_FIFO;
    }
    if (d_type == DT_LNK) return ConsiderSymlink(dir_fd, path, name);
    if (rules_.IsIgnoredEntry(path, d_type == DT_DIR)) return ++result_.counts.ignored, void();
    if (d_type == DT_DIR) return pending_.push_back(path);
    if (d_type == DT_REG) return ConsiderFile(path);
    ++result_.counts.special_skipped;
  }

  void ConsiderSymlink(int dir_fd, const std::string& path, const std::string& name) {
    struct stat st {};
    if (fstatat(dir_fd, name.c_str(), &st, 0) != 0 || !InsideRoot(path)) {
      return ++result_.counts.symlinks_skipped, void();
    }
    bool is_dir = S_ISDIR(st.st_mode);
    if (rules_.IsIgnoredEntry(path, is_dir)) return ++result_.counts.ignored, void();
    if (is_dir) return symlinked_.push_back(path);
    if (S_ISREG(st.st_mode)) return ConsiderFile(path);
    ++result_.counts.special_skipped;
  }

  bool InsideRoot(const std::string& path) const {
    char resolved[PATH_MAX];
    if (!realpath(FullPath(path).c_str(), resolved)) return false;
    std::string_view r = resolved;
    return r == root_ || (r.size() > root_.size() && r.compare(0, root_.size(), root_) == 0 &&
                          (r[root_.size()] == '/' || root_ == "/"));
  }

  void ConsiderFile(const std::string& path) {
    if (!IsWantedLanguage(path, options_.languages, options_.include_unknown)) {
      return ++result_.counts.unsupported_language, void();
    }
    jobs_.push_back({path, LanguageForPath(path)});
  }

  std::string root_;
  IgnoreRules& rules_;
  const WalkOptions& options_;
  WalkResult& result_;
  std::vector<std::string> pending_;    // real folders still to list
  std::vector<std::string> symlinked_;  // folders reached through a link, listed last
  std::set<std::pair<dev_t, ino_t>> visited_;
  std::vector<FileJob> jobs_;
};

// Reads (or, when unchanged since `previous`, only stats) one file.
FileOutcome ReadOne(const std::string& root, const FileJob& job, const WalkOptions& options) {
  FileOutcome out;
  out.file.path = job.path;
  out.file.language = job.language;
  std::string full = root + "/" + job.path;
  if (auto prev = options.previous.find(job.path); prev != options.previous.end()) {
    struct stat st {};
    if (stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      std::int64_t mtime_ns =
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      if (static_cast<std::uint64_t>(st.st_size) == prev->second.size &&
          mtime_ns == prev->second.mtime_ns) {
        out.file.size = prev->second.size;
        out.file.mtime_ns = mtime_ns;
        out.file.content_hash = prev->second.content_hash;
        out.file.hashed = false;
        return out;
      }
    }
  }
  if (options.before_read) options.before_read(job.path);
  std::uint64_t max_bytes =
      static_cast<std::uint64_t>(std::max(0, options.max_file_size_kb)) * 1024;
  SourceRead read = ReadAndCheck(full, max_bytes);
  out.status = read.status;
  out.detail = std::move(read.detail);
  out.file.size = read.size;
  out.file.mtime_ns = read.mtime_ns;
  out.file.content_hash = std::move(read.content_hash);
  return out;
}

std::vector<FileOutcome> ReadAll(const std::string& root, const std::vector<FileJob>& jobs,
                                 const WalkOptions& options) {
  std::vector<FileOutcome> outcomes(jobs.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      outcomes[i] = ReadOne(root, jobs[i], options);
    }
  };
  std::size_t workers = options.parallel_workers > 0
                            ? static_cast<std::size_t>(options.parallel_workers)
                            : std::max(1u, std::thread::hardware_concurrency());
  workers = std::min(workers, jobs.size());
  std::vector<std::jthread> threads;
  for (std::size_t i = 1; i < workers; ++i) threads.emplace_back(work);
  work();  // the calling thread is one of the workers
  return outcomes;
}

void Collect(std::vector<FileOutcome>& outcomes, WalkResult& result) {
  for (FileOutcome& o : outcomes) {
    switch (o.status) {
      case SourceStatus::kOk:
        ++(o.file.hashed ? result.counts.hashed : result.counts.reused);
        result.files.push_back(std::move(o.file));
        break;
      case SourceStatus::kBinary:
        ++result.counts.binary_skipped;
        break;
      case SourceStatus::kVanished:
        ++result.counts.vanished;
        break;
      case SourceStatus::kNotRegular:
        ++result.counts.special_skipped;
        break;
      default:
        result.errors.push_back(
            {o.file.path, std::string(SourceStatusCode(o.status)), std::move(o.detail)});
    }
  }
}

}  // namespace

bool IsWantedLanguage(std::string_view path, const std::vector<Language>& languages,
                      bool include_unknown) {
  Language language = LanguageForPath(path);
  if (language == Language::kUnknown) return include_unknown;
  return languages.empty() ||
         std::find(languages.begin(), languages.end(), language) != languages.end();
}

Result<WalkResult> WalkRepository(const std::filesystem::path& root, const WalkOptions& options) {
  struct stat st {};
  if (stat(root.c_str(), &st) != 0) {
    return MakeError(ErrorCode::kInvalidParams,
                     "scan root '" + root.string() + "' does not exist: " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidParams,
                     "scan root '" + root.string() + "' is not a directory");
  }
  char resolved[PATH_MAX];
  if (!realpath(root.c_str(), resolved)) {
    return MakeError(
        ErrorCode::kInvalidParams,
        "scan root '" + root.string() + "' cannot be resolved: " + std::strerror(errno));
  }
  std::string real_root = resolved;
  auto rules = IgnoreRules::Load(real_root, options.ignore);
  if (!rules) return rules.error();

  WalkResult result;
  std::vector<FileJob> jobs = Lister(real_root, *rules, options, result).Run();
  std::vector<FileOutcome> outcomes = ReadAll(real_root, jobs, options);
  Collect(outcomes, result);
  auto by_path = [](const auto& a, const auto& b) { return a.path < b.path; };
  std::sort(result.files.begin(), result.files.end(), by_path);
  std::stable_sort(result.errors.begin(), result.errors.end(), by_path);
  return result;
}

}  // namespace docrunch::scan
