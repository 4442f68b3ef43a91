#include "scan/watcher.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "scan/walker.h"

namespace docrunch::scan {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::uint32_t kWatchMask = IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB |
                                     IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |
                                     IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

std::string JoinPath(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

class InotifyWatcher final : public Watcher {
 public:
  InotifyWatcher(std::string root, IgnoreRules rules, IgnoreOptions ignore, WatchOptions options,
                 int inotify_fd, int stop_fd)
      : root_(std::move(root)),
        rules_(std::move(rules)),
        ignore_(std::move(ignore)),
        options_(std::move(options)),
        inotify_fd_(inotify_fd),
        stop_fd_(stop_fd) {}

  ~InotifyWatcher() override {
    close(inotify_fd_);
    close(stop_fd_);
  }

  Result<void> Start() { return AddWatchTree("", false); }

  Result<ChangeBatch> Next(std::chrono::milliseconds timeout) override {
    auto deadline = SteadyClock::now() + timeout;
    while (!stopped()) {
      auto now = SteadyClock::now();
      auto wake = deadline;
      if (HasPending()) {
        auto ready = std::min(last_event_ + std::chrono::milliseconds(options_.debounce_ms),
                              first_event_ + std::chrono::milliseconds(options_.max_delay_ms));
        if (now >= ready) return TakeBatch();
        wake = std::min(wake, ready);
      }
      if (now >= deadline) break;
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
      pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      int n = poll(fds, 2, static_cast<int>(std::min<long long>(wait, INT_MAX)));
      if (n < 0 && errno != EINTR) {
        return MakeError(ErrorCode::kIo, std::string("watch: poll failed: ") + strerror(errno));
      }
      if (n > 0 && (fds[0].revents & POLLIN)) DOCRUNCH_TRY(ReadEvents());
    }
    return ChangeBatch{};
  }

  void Stop() override {
    stopped_.store(true);
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = write(stop_fd_, &one, sizeof one);
  }

  bool stopped() const override { return stopped_.load(); }
  std::size_t watch_count() const override { return wd_of_dir_.size(); }

 private:
  bool HasPending() const { return !touched_.empty() || !deleted_dirs_.empty() || rescan_; }

  void Touch() {
    auto now = SteadyClock::now();
    if (!HasPending()) first_event_ = now;
    last_event_ = now;
  }

  // Records an event for a file. `created`: the batch's first event for it
  // made it exist, so if it is gone again at delivery nobody needs to hear of
  // it (an editor's temporary file).
  void Touch(const std::string& path, bool created) {
    Touch();
    touched_.emplace(path, created);
  }

  // Watches `dir` and every folder below it that is not ignored. With
  // `report_files`, files already there count as changed: they may have been
  // written before the watch existed.
  Result<void> AddWatchTree(const std::string& dir, bool report_files) {
    std::vector<std::string> pending{dir};
    while (!pending.empty()) {
      std::string rel = std::move(pending.back());
      pending.pop_back();
      std::string full = rel.empty() ? root_ : root_ + "/" + rel;
      int wd = inotify_add_watch(inotify_fd_, full.c_str(), kWatchMask);
      if (wd < 0) {
        if (errno == ENOSPC) {
          return MakeError(ErrorCode::kIo, "watch: inotify watch limit reached at '" + full +
                                               "' (raise fs.inotify.max_user_watches)");
        }
        continue;  // gone again, or not readable: nothing to watch
      }
      dir_of_wd_[wd] = rel;
      wd_of_dir_[rel] = wd;
      ListForWatch(rel, report_files, pending);
    }
    return Ok();
  }

  void ListForWatch(const std::string& rel, bool report_files, std::vector<std::string>& pending) {
    DIR* d = opendir(rel.empty() ? root_.c_str() : (root_ + "/" + rel).c_str());
    if (!d) return;
    while (dirent* e = readdir(d)) {
      std::string_view name = e->d_name;
      if (name == "." || name == ".." || name == ".git") continue;
      std::string path = JoinPath(rel, name);
      struct stat st {};
      if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      bool is_dir = S_ISDIR(st.st_mode);
      if (rules_.IsIgnoredEntry(path, is_dir)) continue;
      if (is_dir) {
        pending.push_back(path);
      } else if (report_files &&
                 IsWantedLanguage(path, options_.languages, options_.include_unknown)) {
        Touch(path, true);
      }
    }
    closedir(d);
  }

  void RemoveWatchTree(const std::string& dir) {
    auto drop = [&](std::map<std::string, int>::iterator it) {
      inotify_rm_watch(inotify_fd_, it->second);
      dir_of_wd_.erase(it->second);
      return wd_of_dir_.erase(it);
    };
    if (auto it = wd_of_dir_.find(dir); it != wd_of_dir_.end()) drop(it);
    std::string prefix = dir + "/";
    for (auto it = wd_of_dir_.lower_bound(prefix);
         it != wd_of_dir_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
      it = drop(it);
    }
  }

  Result<void> ReadEvents() {
    alignas(inotify_event) char buf[65536];
    while (true) {
      ssize_t n = read(inotify_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EAGAIN: drained
      for (char* p = buf; p < buf + n;) {
        auto* event = reinterpret_cast<inotify_event*>(p);
        DOCRUNCH_TRY(HandleEvent(*event));
        p += sizeof(inotify_event) + event->len;
      }
    }
    return Ok();
  }

  Result<void> HandleEvent(const inotify_event& event) {
    if (event.mask & IN_Q_OVERFLOW) return rescan_ = true, Touch(), Ok();
    auto dir_it = dir_of_wd_.find(event.wd);
    if (dir_it == dir_of_wd_.end()) return Ok();
    std::string dir = dir_it->second;
    if (event.mask & IN_IGNORED) {
      if (wd_of_dir_.count(dir) && wd_of_dir_[dir] == event.wd) wd_of_dir_.erase(dir);
      dir_of_wd_.erase(event.wd);
      return Ok();
    }
    if (event.len == 0) {
      // The watched folder itself went away; its parent reports that, but
      // the root has no parent.
      if (dir.empty() && (event.mask & (IN_DELETE_SELF | IN_MOVE_SELF))) rescan_ = true, Touch();
      return Ok();
    }
    std::string_view name = event.name;
    if (name == ".git") return Ok();
    std::string path = JoinPath(dir, name);
    bool is_dir = event.mask & IN_ISDIR;
    if (!is_dir && IsIgnoreSource(dir, name)) return Ok();
    if (rules_.IsIgnored(path, is_dir)) return Ok();
    if (is_dir) return HandleDirEvent(path, event.mask);
    if (!IsWantedLanguage(path, options_.languages, options_.include_unknown)) return Ok();
    Touch(path, event.mask & (IN_CREATE | IN_MOVED_TO));
    return Ok();
  }

  Result<void> HandleDirEvent(const std::string& path, std::uint32_t mask) {
    if (mask & (IN_DELETE | IN_MOVED_FROM)) {
      RemoveWatchTree(path);
      deleted_dirs_.insert(path);
      Touch();
    }
    if (mask & (IN_CREATE | IN_MOVED_TO)) {
      auto added = AddWatchTree(path, true);
      if (!added) rescan_ = true, Touch();  // out of watches: a full walk will catch up
    }
    return Ok();
  }

  // A change to a .gitignore or to .docrunch/ignore.yaml changes what is
  // included: reload the rules and ask for a full walk.
  bool IsIgnoreSource(const std::string& dir, std::string_view name) {
    if (name == ".gitignore") {
      rules_.Forget(dir);
    } else if (dir == ".docrunch" && name == "ignore.yaml") {
      if (auto reloaded = IgnoreRules::Load(root_, ignore_)) rules_ = std::move(*reloaded);
    } else {
      return false;
    }
    rescan_ = true;
    Touch();
    return true;
  }

  ChangeBatch TakeBatch() {
    ChangeBatch batch;
    for (const auto& [path, created] : touched_) {
      struct stat st {};
      std::string full = root_ + "/" + path;
      if (stat(full.c_str(), &st) == 0) {
        if (S_ISREG(st.st_mode)) batch.changed.push_back(path);
      } else if (!created) {
        batch.deleted.push_back(path);
      }
    }
    batch.deleted_dirs.assign(deleted_dirs_.begin(), deleted_dirs_.end());
    batch.rescan = rescan_;
    touched_.clear();
    deleted_dirs_.clear();
    rescan_ = false;
    return batch;
  }

  std::string root_;
  IgnoreRules rules_;
  IgnoreOptions ignore_;
  WatchOptions options_;
  int inotify_fd_;
  int stop_fd_;
  std::atomic<bool> stopped_{false};
  std::unordered_map<int, std::string> dir_of_wd_;
  std::map<std::string, int> wd_of_dir_;  // ordered: a folder's subtree is one range
  std::map<std::string, bool> touched_;   // files with events since the last batch -> created
  std::set<std::string> deleted_dirs_;
  bool rescan_ = false;
  SteadyClock::time_point first_event_{};
  SteadyClock::time_point last_event_{};
};

}  // namespace

Result<std::unique_ptr<Watcher>> Watcher::Create(const std::filesystem::path& root,
                                                 const IgnoreOptions& ignore,
                                                 const WatchOptions& options) {
  char resolved[PATH_MAX];
  struct stat st {};
  if (stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || !realpath(root.c_str(), resolved)) {
    return MakeError(ErrorCode::kInvalidParams,
                     "watch root '" + root.string() + "' is not an existing directory");
  }
  auto rules = IgnoreRules::Load(resolved, ignore);
  if (!rules) return rules.error();
  int inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd < 0) {
    return MakeError(ErrorCode::kIo, std::string("watch: inotify unavailable: ") + strerror(errno));
  }
  int stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd < 0) {
    close(inotify_fd);
    return MakeError(ErrorCode::kIo, std::string("watch: eventfd failed: ") + strerror(errno));
  }
  auto watcher = std::make_unique<InotifyWatcher>(resolved, std::move(*rules), ignore, options,
                                                  inotify_fd, stop_fd);
  DOCRUNCH_TRY(watcher->Start());
  return std::unique_ptr<Watcher>(std::move(watcher));
}

}  // namespace docrunch::scan
