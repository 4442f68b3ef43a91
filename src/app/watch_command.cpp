// docrunch watch [--debounce MS] [--ignore PAT]...
//
// Scans once, then re-scans (incrementally) after every debounced batch of
// file changes until interrupted.
#include <sys/stat.h>

#include <csignal>
#include <filesystem>

#include "app/commands.h"
#include "app/scan_runner.h"
#include "scan/watcher.h"

namespace docrunch::app {
namespace {

struct WatchFlags {
  int debounce_ms = -1;  // -1: watch.debounce_ms
  std::vector<std::string> ignore;
  int max_rescans = 0;  // 0: forever (tests set a limit)
};

scan::Watcher* g_watcher = nullptr;  // for the signal handler only

extern "C" void StopWatching(int) {
  if (g_watcher) g_watcher->Stop();
}

Result<void> RunWatch(AppContext& ctx, const WatchFlags& flags) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  config::Config config = (*loaded)->config;
  config.scanning.ignore.insert(config.scanning.ignore.end(), flags.ignore.begin(),
                                flags.ignore.end());
  const std::filesystem::path root = (*loaded)->project_root;
  auto store = ctx.Store();
  if (!store) return store.error();

  scan::WalkOptions walk = WalkOptionsFor(config, root);
  scan::WatchOptions options;
  options.debounce_ms = flags.debounce_ms >= 0 ? flags.debounce_ms : config.watch.debounce_ms;
  options.languages = walk.languages;
  auto watcher = scan::Watcher::Create(root, walk.ignore, options);
  if (!watcher) return watcher.error();
  g_watcher = watcher->get();
  std::signal(SIGINT, StopWatching);
  std::signal(SIGTERM, StopWatching);

  const std::string name =
      config.project.name.empty() ? root.filename().string() : config.project.name;
  const std::filesystem::path docs = (root / config.storage.docs_output).lexically_normal();
  // The folder watched is this one (device and inode): moved or deleted,
  // its path names nothing, or another folder made since, and a scan there
  // would find every file gone and remove them all.
  struct stat watched {};
  if (::stat(root.c_str(), &watched) != 0) {
    return MakeError(ErrorCode::kInvalidParams, "cannot watch " + root.string());
  }
  auto scan_once = [&](const char* why) -> Result<void> {
    struct stat now {};
    if (::stat(root.c_str(), &now) != 0 || now.st_dev != watched.st_dev ||
        now.st_ino != watched.st_ino) {
      return MakeError(ErrorCode::kInvalidParams,
                       "the watched folder " + root.string() +
                           " was moved or deleted: stopped (start watch again where it is now)");
    }
    auto outcome = RunScan(**store, config, {root, docs, name, false, nullptr});
    if (!outcome) return outcome.error();
    const auto& s = outcome->summary;
    Print(std::string(why) + ": " + std::to_string(s.files_parsed) + " parsed, " +
          std::to_string(s.files_deleted) + " deleted, " + std::to_string(s.files) + " files, " +
          std::to_string(s.duration.count()) + " ms");
    return Ok();
  };
  // Changes made while the watcher was being set up are caught by this scan.
  DOCRUNCH_TRY(scan_once("initial scan"));
  Print("watching " + root.string() + " (debounce " + std::to_string(options.debounce_ms) +
        " ms; Ctrl-C to stop)");
  int rescans = 0;
  while (!(*watcher)->stopped()) {
    auto batch = (*watcher)->Next(std::chrono::seconds(1));
    if (!batch) return batch.error();
    if (batch->empty()) continue;
    DOCRUNCH_TRY(scan_once("changes"));
    if (flags.max_rescans > 0 && ++rescans >= flags.max_rescans) break;
  }
  g_watcher = nullptr;
  return Ok();
}

}  // namespace

void RegisterWatch(CLI::App& app, AppContext& ctx, Action& action) {
  auto flags = std::make_shared<WatchFlags>();
  CLI::App* cmd = app.add_subcommand("watch", "Re-index the project as files change (inotify)");
  cmd->add_option("--debounce", flags->debounce_ms,
                  "Quiet time in ms before re-indexing (watch.debounce_ms)")
      ->check(CLI::Range(10, 60000));
  cmd->add_option("--ignore", flags->ignore, "Extra gitignore-style pattern (repeatable)");
  cmd->add_option("--max-rescans", flags->max_rescans,
                  "Stop after N re-scans (for scripts and tests)")
      ->group("");
  cmd->callback(
      [&ctx, &action, flags] { action = [&ctx, flags] { return RunWatch(ctx, *flags); }; });
}

}  // namespace docrunch::app
