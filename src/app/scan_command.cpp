// docrunch scan [PATH] [--full] [--offline] [--output DIR] [--quiet|--verbose] [--json]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/builtin_workflows.h"
#include "app/commands.h"
#include "app/scan_runner.h"
#include "app/snapshot_support.h"
#include "app/workflows_command.h"
#include "core/files.h"

namespace docrunch::app {
namespace {

namespace fs = std::filesystem;

struct ScanFlags {
  std::string path;
  bool full = false;
  bool offline = false;
  std::string output;
  bool quiet = false;
  bool verbose = false;
  bool json = false;
  bool async = false;
};

// SIGINT or SIGTERM during a scan: the scan stops between two batches and
// records its run as failed, so the database never holds a run left
// "running" by a Ctrl-C. A second signal ends the process at once.
std::atomic<bool> g_stop_scan{false};

extern "C" void OnScanSignal(int signal) {
  if (g_stop_scan.exchange(true)) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}

// Installs the handlers for the life of a scan; restores the previous ones.
class ScanSignals {
 public:
  ScanSignals()
      : previous_int_(std::signal(SIGINT, OnScanSignal)),
        previous_term_(std::signal(SIGTERM, OnScanSignal)) {
    g_stop_scan = false;
  }
  ~ScanSignals() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }
  ScanSignals(const ScanSignals&) = delete;
  ScanSignals& operator=(const ScanSignals&) = delete;

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

// A one-line progress bar on stderr, only when stderr is a terminal.
std::function<void(std::size_t, std::size_t)> ProgressBar(const ScanFlags& flags) {
  if (flags.quiet || flags.json || !isatty(STDERR_FILENO)) return nullptr;
  return [](std::size_t done, std::size_t total) {
    const int width = 30;
    int filled = total ? static_cast<int>(width * done / total) : width;
    std::fprintf(stderr, "\rparsing [%s%s] %zu/%zu", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done, total);
    if (done == total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  };
}

// When this process started its work (before main: a namespace-scope
// object), so a scan reports the whole command's time, not only the scan's.
const std::chrono::steady_clock::time_point kCommandStarted = std::chrono::steady_clock::now();

// The steps the sync drain reports, one per target; they may overlap.
bool IsSyncStep(const std::string& name) {
  return name == "index" || name == "markdown" || name == "lightrag";
}

void Report(const ScanFlags& flags, ScanOutcome outcome, const fs::path& docs) {
  auto& s = outcome.summary;
  // The whole command: start-up, configuration and database, the scan, the
  // index and the Markdown; what the steps do not cover is "other".
  s.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - kCommandStarted);
  std::chrono::milliseconds covered = outcome.sync_time;
  for (const auto& [name, time] : s.steps) {
    if (!IsSyncStep(name)) covered += time;
  }
  s.steps.emplace_back("other", std::max(s.duration - covered, std::chrono::milliseconds(0)));
  if (flags.json) {
    auto j = scan::SummaryToJson(s);
    j["sync_ms"] = outcome.sync_time.count();
    j["docs"] = {{"output", docs.string()},
                 {"pages", outcome.pages_total},
                 {"pages_changed", outcome.pages_changed},
                 {"error", outcome.docs_error}};
    Print(j.dump(2));
    return;
  }
  if (flags.quiet) return;
  std::string text = scan::SummaryToText(s);
  if (!docs.empty()) {
    text += "  docs:         " + docs.string() +
            (outcome.docs_error.empty()
                 ? " (" + std::to_string(outcome.pages_changed) + " pages changed)\n"
                 : " NOT WRITTEN: " + outcome.docs_error + "\n");
  }
  if (flags.verbose) {
    text += "  time:        ";
    for (std::size_t i = 0; i < s.steps.size(); ++i) {
      const auto& [name, time] = s.steps[i];
      text += (i ? ", " : " ") + name + " " + std::to_string(time.count()) + " ms";
      const bool sync_ends =
          IsSyncStep(name) && (i + 1 == s.steps.size() || !IsSyncStep(s.steps[i + 1].first));
      if (sync_ends) {
        text += " (side by side: " + std::to_string(outcome.sync_time.count()) + " ms in all)";
      }
    }
    text += "\n";
    for (const auto& p : s.problems) {
      text += "  " + p.code + " " + p.path + (p.line ? ":" + std::to_string(p.line) : "") + ": " +
              p.message + "\n";
    }
  } else if (!s.problems.empty()) {
    text += "  (--verbose lists the errors)\n";
  }
  Print(text);
}

// A folder name as a path segment of the docs folder: [A-Za-z0-9._-] kept,
// anything else '-'; "repository" when nothing is left.
std::string SafeFolderName(std::string name) {
  for (char& c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    if (!ok) c = '-';
  }
  if (name.empty() || name == "." || name == "..") return "repository";
  return name;
}

// Scans without the project database: into a throw-away SQLite file, then
// writes .docrunch/offline_files.json and the Markdown.
Result<void> RunOffline(const ScanFlags& flags, const config::Config& config, const fs::path& root,
                        const fs::path& docs, const std::string& name) {
  std::string temp = (fs::temp_directory_path() / "docrunch-offline-XXXXXX").string();
  if (!mkdtemp(temp.data())) return MakeError(ErrorCode::kIo, "cannot create a temporary folder");
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{temp};
  store::StoreOptions options;
  options.sqlite_path = temp + "/offline.db";
  auto store = store::OpenStore(options);
  if (!store) return store.error();
  DOCRUNCH_TRY((*store)->Migrate());
  ScanSignals signals;
  auto outcome =
      RunScan(**store, config, {root, docs, name, true, ProgressBar(flags), &g_stop_scan});
  if (!outcome) return outcome.error();
  auto files = (*store)->Query(
      "SELECT path, language, size, modified_at, content_hash, "
      "(SELECT COUNT(*) FROM symbols s WHERE s.file_id = f.id) AS symbols FROM files f ORDER BY "
      "path");
  if (!files) return files.error();
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i < files->size(); ++i) {
    list.push_back({{"path", *files->Text(i, "path")},
                    {"language", *files->Text(i, "language")},
                    {"size", files->Int(i, "size").value_or(0)},
                    {"modified_at", files->Text(i, "modified_at").value_or("")},
                    {"content_hash", *files->Text(i, "content_hash")},
                    {"symbols", files->Int(i, "symbols").value_or(0)}});
  }
  fs::create_directories(root / ".docrunch");
  nlohmann::json doc = {
      {"root", root.string()}, {"files", list}, {"summary", scan::SummaryToJson(outcome->summary)}};
  DOCRUNCH_TRY(WriteFileAtomic(root / ".docrunch" / "offline_files.json", doc.dump(2) + "\n"));
  Report(flags, *outcome, docs);
  return Ok();
}

Result<void> RunScanCommand(AppContext& ctx, const ScanFlags& flags) {
  if (flags.quiet && flags.verbose) {
    return MakeError(ErrorCode::kUsage, "--quiet and --verbose cannot be used together");
  }
  if (flags.async && flags.offline) {
    return MakeError(ErrorCode::kUsage, "--async and --offline cannot be used together");
  }
  fs::path root;
  config::Config config;
  fs::path project_root;
  auto loaded = ctx.Config();
  if (loaded) {
    config = (*loaded)->config;
    project_root = (*loaded)->project_root;
  } else if (!flags.offline || loaded.error().code != ErrorCode::kConfigNotFound) {
    return loaded.error();  // offline scans work without `docrunch init`
  } else {
    project_root = fs::current_path();
  }
  root = flags.path.empty() ? project_root : ResolveAgainst(fs::current_path(), flags.path);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return MakeError(ErrorCode::kInvalidParams,
                     "repository path " + root.string() + " does not exist or is not a folder");
  }
  // Another folder than the project's is another repository: its name is
  // its folder's, and its Markdown goes beside the project's, not over it.
  std::error_code root_ec, project_ec;
  const fs::path real_root = fs::weakly_canonical(root, root_ec);
  const fs::path real_project = fs::weakly_canonical(project_root, project_ec);
  const bool project_itself = !root_ec && !project_ec && real_root == real_project;
  const std::string folder_name = (root_ec ? root : real_root).filename().string();
  fs::path docs = ResolveAgainst(project_root, config.storage.docs_output);
  if (!flags.output.empty()) {
    docs = ResolveAgainst(fs::current_path(), flags.output);
  } else if (!project_itself) {
    docs = docs / "repositories" / SafeFolderName(folder_name);
  }
  std::string name =
      project_itself && !config.project.name.empty() ? config.project.name : folder_name;
  if (flags.offline) return RunOffline(flags, config, root, docs, name);
  if (flags.async) {
    // A RepoScanWorkflow instead: a worker (`worker start --workflows`,
    // `workflows run`) scans; the run id alone goes to stdout.
    RepoScanInput input{root_ec ? root : real_root, docs, name, flags.full};
    auto id = StartWorkflow(ctx, "repo-scan", RepoScanInputJson(input).dump());
    if (!id) return id.error();
    std::printf("%s\n", id->c_str());
    return Ok();
  }
  auto store = ctx.Store();
  if (!store) return store.error();
  ScanSignals signals;
  auto outcome =
      RunScan(**store, config, {root, docs, name, flags.full, ProgressBar(flags), &g_stop_scan});
  if (!outcome) return outcome.error();
  Report(flags, *outcome, docs);
  // rollback.auto_snapshot.on_scan: the state a scan that changed something
  // left, kept. The scan itself is done: a failed snapshot is a warning.
  if (outcome->summary.changed) {
    auto snapshot = AutoSnapshot(ctx, **store, "scan", "after a scan of " + name);
    if (!snapshot) std::cerr << "docrunch: warning: " << snapshot.error().message << "\n";
  }
  return Ok();
}

}  // namespace

void RegisterScan(CLI::App& app, AppContext& ctx, Action& action) {
  auto flags = std::make_shared<ScanFlags>();
  CLI::App* cmd = app.add_subcommand(
      "scan", "Scan a repository: parse, analyze, store, index and document it (incremental)");
  cmd->add_option("path", flags->path, "Repository folder (default: the project root)");
  cmd->add_flag("--full", flags->full, "Re-read and re-parse every file");
  cmd->add_flag("--offline", flags->offline,
                "No database: write .docrunch/offline_files.json and basic Markdown");
  cmd->add_option("--output", flags->output, "Markdown folder (default: storage.docs_output)");
  cmd->add_flag("--quiet", flags->quiet, "Print nothing on success");
  cmd->add_flag("--verbose", flags->verbose, "List every file error");
  cmd->add_flag("--json", flags->json, "Print the summary as JSON");
  cmd->add_flag("--async", flags->async,
                "Start a repo-scan workflow for a worker instead; print its run id");
  cmd->callback(
      [&ctx, &action, flags] { action = [&ctx, flags] { return RunScanCommand(ctx, *flags); }; });
}

}  // namespace docrunch::app
