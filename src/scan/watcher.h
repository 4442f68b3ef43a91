// Watching a repository for changes (inotify), for `docrunch watch`.
//
//   auto watcher = Watcher::Create(root, ignore_options, watch_options);
//   if (!watcher) return watcher.error();
//   while (!(*watcher)->stopped()) {
//     auto batch = (*watcher)->Next(std::chrono::seconds(1));
//     if (!batch) return batch.error();
//     if (batch->empty()) continue;            // timed out: nothing settled yet
//     ... apply deleted_dirs, then deleted, then changed (or walk again on rescan)
//   }
//
// The whole tree under root is watched: folders that appear later are added
// (and the files already inside them reported), folders that go away are
// dropped. `.git` and ignored folders are never watched; events for ignored
// paths and for files the language filter rejects are dropped. Events are
// debounced: a batch is delivered once no event arrived for `debounce_ms`
// (or `max_delay_ms` after its first event, so a file written non-stop still
// shows up). A path's final state decides its list, which makes editors that
// save by writing a temporary file and renaming it over the original look
// like one change of the original. Changes made before Create returns may be
// missed: walk the tree once after creating the watcher.
// Symlinked folders are not followed (their targets inside root are watched
// at their real path).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "scan/ignore_rules.h"
#include "scan/model.h"

namespace docrunch::scan {

struct WatchOptions {
  int debounce_ms = 500;    // quiet time that closes a batch (watch.debounce_ms)
  int max_delay_ms = 5000;  // a batch is delivered at the latest this long after its first event
  std::vector<Language> languages;  // as WalkOptions
  bool include_unknown = false;     // as WalkOptions
};

struct ChangeBatch {
  std::vector<std::string> changed;       // files created or modified that exist now (sorted)
  std::vector<std::string> deleted;       // files that no longer exist (sorted)
  std::vector<std::string> deleted_dirs;  // folders removed or renamed away: all below is gone
  // Events were lost (inotify queue overflow, watch limit) or ignore rules
  // changed (.gitignore, .docrunch/ignore.yaml): walk the whole tree again.
  bool rescan = false;

  bool empty() const {
    return changed.empty() && deleted.empty() && deleted_dirs.empty() && !rescan;
  }
};

class Watcher {
 public:
  virtual ~Watcher() = default;

  // Watches `root` recursively. Errors: INVALID_PARAMS when root is not a
  // folder; CONFIG_INVALID for a bad ignore.yaml; IO_ERROR when inotify is
  // unavailable or the watch limit (fs.inotify.max_user_watches) is reached.
  static Result<std::unique_ptr<Watcher>> Create(const std::filesystem::path& root,
                                                 const IgnoreOptions& ignore,
                                                 const WatchOptions& options = {});

  // Blocks until a debounced batch is ready or `timeout` passes; on timeout
  // returns an empty batch and keeps what is pending for the next call.
  // Returns an empty batch at once after Stop. One thread calls Next.
  virtual Result<ChangeBatch> Next(std::chrono::milliseconds timeout) = 0;

  // Makes a blocked or later Next return at once. Safe from any thread and
  // from a signal handler.
  virtual void Stop() = 0;
  virtual bool stopped() const = 0;

  // Folders currently watched.
  virtual std::size_t watch_count() const = 0;
};

}  // namespace docrunch::scan
