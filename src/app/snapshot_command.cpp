// docrunch snapshot create [--note T] | list [--json] | diff A [B] [--json] |
// restore VERSION [--only docs,tasks,index,database] | clean [--json]
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/snapshot_support.h"
#include "app/sync_runner.h"
#include "docs/doc_writer.h"
#include "ops/server_lock.h"
#include "sync/sync_admin.h"

#ifndef DOCRUNCH_VERSION
#define DOCRUNCH_VERSION "0.0.0"
#endif

namespace docrunch::app {
namespace fs = std::filesystem;
using nlohmann::json;

Result<ops::SnapshotEnv> SnapshotEnvFor(AppContext& ctx) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  const config::Config& c = (*loaded)->config;
  std::error_code ec;
  fs::path root = fs::canonical((*loaded)->project_root, ec);
  if (ec) root = (*loaded)->project_root;
  ops::SnapshotEnv env;
  env.store_options = StoreOptionsFor(**loaded, ctx.env());
  env.project_root = root;
  env.config_file = (*loaded)->file;
  fs::path docs(c.storage.docs_output);
  env.docs_root = (docs.is_relative() ? root / docs : docs).lexically_normal();
  if (!env.docs_root.has_filename()) env.docs_root = env.docs_root.parent_path();
  fs::path dir(c.rollback.path);
  env.snapshots_dir = (dir.is_relative() ? root / dir : dir).lexically_normal();
  env.docrunch_version = DOCRUNCH_VERSION;
  env.clock = &ctx.clock();
  return env;
}

namespace {

// The rollback.auto_snapshot flag that asks for a snapshot at `trigger`.
struct AutoTrigger {
  const char* trigger;
  const char* flag;
  bool config::AutoSnapshotConfig::*wanted;
};
constexpr AutoTrigger kAutoTriggers[] = {
    {"migrate", "before_migrate", &config::AutoSnapshotConfig::before_migrate},
    {"restore", "before_restore", &config::AutoSnapshotConfig::before_restore},
    {"scan", "on_scan", &config::AutoSnapshotConfig::on_scan},
    {"task_completion", "on_task_complete", &config::AutoSnapshotConfig::on_task_complete},
};

}  // namespace

bool AutoSnapshotWanted(const config::RollbackConfig& rollback, const std::string& trigger) {
  if (!rollback.enabled) return false;
  if (trigger == "auto") return true;  // a schedule (jobs.schedules) asked for it
  for (const auto& t : kAutoTriggers) {
    if (trigger == t.trigger) return rollback.auto_snapshot.*t.wanted;
  }
  return false;
}

Result<std::optional<std::int64_t>> AutoSnapshot(AppContext& ctx, store::Store& store,
                                                 const std::string& trigger,
                                                 const std::string& note) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  const config::RollbackConfig& r = (*loaded)->config.rollback;
  if (!AutoSnapshotWanted(r, trigger)) return std::optional<std::int64_t>();
  auto env = SnapshotEnvFor(ctx);
  if (!env) return env.error();
  auto made = ops::CreateSnapshot(*env, store, trigger, note);
  if (!made) {
    std::string flag = trigger;
    for (const auto& t : kAutoTriggers) {
      if (trigger == t.trigger) flag = t.flag;
    }
    return MakeError(made.error().code,
                     "the automatic snapshot failed (" + made.error().message +
                         "); to go on without it: --set rollback.auto_snapshot." + flag + "=false");
  }
  std::cerr << "docrunch: saved the current state as snapshot " << made->manifest.version << "\n";
  // The frequent ones keep rollback.retention as they go (`snapshot clean`).
  if (trigger == "scan" || trigger == "task_completion" || trigger == "auto") {
    const auto& kept = r.retention;
    auto removed =
        ops::CleanSnapshots(*env, {kept.max_snapshots, kept.max_age_days, kept.keep_minimum});
    if (!removed) {
      std::cerr << "docrunch: warning: rollback.retention not applied: " << removed.error().message
                << "\n";
    }
  }
  return std::optional<std::int64_t>(made->manifest.version);
}

namespace {

std::string HumanSize(std::uint64_t bytes) {
  char out[32];
  if (bytes >= (1u << 20)) {
    std::snprintf(out, sizeof out, "%.1f MB", bytes / 1048576.0);
  } else {
    std::snprintf(out, sizeof out, "%.1f kB", bytes / 1024.0);
  }
  return out;
}

// A store of our own on the live database, unchecked (a snapshot may be
// taken of a database that is behind; a restore replaces it anyway).
Result<std::unique_ptr<store::Store>> OpenLive(AppContext& ctx) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  store::StoreOptions options = StoreOptionsFor(**loaded, ctx.env());
  options.clock = &ctx.clock();
  return store::OpenStore(options);
}

Result<void> Create(AppContext& ctx, const std::string& note, bool json_out) {
  auto env = SnapshotEnvFor(ctx);
  if (!env) return env.error();
  auto store = ctx.StoreUnchecked();
  if (!store) return store.error();
  auto made = ops::CreateSnapshot(*env, **store, "manual", note);
  if (!made) return made.error();
  Print(json_out ? ops::ToJson(*made).dump(2) : std::to_string(made->manifest.version));
  return Ok();
}

Result<void> List(AppContext& ctx, bool json_out) {
  auto env = SnapshotEnvFor(ctx);
  if (!env) return env.error();
  auto list = ops::ListSnapshots(*env);
  if (!list) return list.error();
  for (const auto& [file, why] : list->unreadable) {
    std::cerr << "docrunch: warning: " << file.string() << " is not a readable snapshot: " << why
              << "\n";
  }
  if (json_out) {
    json out = json::array();
    for (const auto& s : list->snapshots) out.push_back(ops::ToJson(s));
    Print(out.dump(2));
    return Ok();
  }
  if (list->snapshots.empty()) {
    Print("no snapshots in " + env->snapshots_dir.string());
    return Ok();
  }
  std::string out = "version  created_at                trigger  schema  size       note\n";
  for (const auto& s : list->snapshots) {
    char line[256];
    std::snprintf(line, sizeof line, "%-8lld %-25s %-8s %-7d %-10s ",
                  static_cast<long long>(s.manifest.version), s.manifest.created_at.c_str(),
                  s.manifest.trigger.c_str(), s.manifest.schema_version,
                  HumanSize(s.archive_size).c_str());
    out += line + s.manifest.note + "\n";
  }
  Print(out);
  return Ok();
}

Result<void> Diff(AppContext& ctx, const std::string& from, const std::string& to, bool json_out) {
  auto env = SnapshotEnvFor(ctx);
  if (!env) return env.error();
  store::Store* live = nullptr;
  if (to.empty()) {
    auto store = ctx.Store();
    if (!store) return store.error();
    live = *store;
  }
  auto diff = ops::DiffSnapshots(*env, live, from,
                                 to.empty() ? std::nullopt : std::optional<std::string>(to));
  if (!diff) return diff.error();
  Print(json_out ? ops::ToJson(*diff).dump(2) : ops::ToText(*diff));
  return Ok();
}

// Index and Markdown rebuilt from the database as it now is, then the
// outbox drained: `sync diff` is clean afterwards.
Result<void> RebuildDerived(AppContext& ctx, store::Store& store, const ops::SnapshotEnv& env,
                            bool markdown) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  const config::Config& c = (*loaded)->config;
  auto repo = ops::CurrentRepository(store, env.project_root);
  if (!repo) return Ok();  // nothing scanned in this database: nothing derived
  SyncSetup setup{repo->id, env.docs_root,
                  c.project.name.empty() ? env.project_root.filename().string() : c.project.name,
                  /*repair_docs=*/true};
  auto targets = MakeConfiguredTargets(c, setup);
  if (!targets) return targets.error();
  std::vector<sync::Projection*> chosen;
  for (const auto& t : *targets) {
    if (markdown || t->Target() != "markdown") chosen.push_back(t.get());
  }
  if (markdown) DOCRUNCH_TRY(docs::ClaimDocsFolder(env.docs_root, env.project_root));
  DOCRUNCH_TRY(sync::RebuildTargets(store, repo->id, chosen));
  auto drained = DrainSync(store, c, setup);
  if (!drained) return drained.error();
  return Ok();
}

Result<void> Restore(AppContext& ctx, const std::string& version, const std::string& only) {
  auto parts = ops::ParseRestoreParts(only);
  if (!parts) return parts.error();
  auto env = SnapshotEnvFor(ctx);
  if (!env) return env.error();
  auto info = ops::FindSnapshot(*env, version);
  if (!info) return info.error();
  // The whole archive is read and checked before anything changes.
  auto staged = ops::StageSnapshot(*env, *info);
  if (!staged) return staged.error();
  auto live = OpenLive(ctx);
  if (!live) return live.error();
  auto status = (*live)->Status();
  if (!status) return status.error();
  std::optional<ops::RepositoryIdentity> current;
  if (status->current_version > 0) current = ops::CurrentRepository(**live, env->project_root);
  DOCRUNCH_TRY(
      ops::CheckRestorable(*env, staged->manifest, *parts, status->latest_version, current));
  auto lock = ops::TakeServerLockExclusive(env->project_root);
  if (!lock) return lock.error();
  if (status->current_version > 0 && !status->ahead()) {
    DOCRUNCH_TRY(AutoSnapshot(ctx, **live, "restore", "before restoring snapshot " + version));
  }
  live->reset();  // PostgreSQL: no pooled session may hold the old tables
  if (parts->database) DOCRUNCH_TRY(ops::RestoreDatabase(*env, *staged));
  auto store = OpenLive(ctx);
  if (!store) return store.error();
  auto after = (*store)->Status();
  if (!after) return after.error();
  if (after->behind()) {
    auto migrated = (*store)->Migrate();
    if (!migrated) return migrated.error();
  }
  std::int64_t tasks = -1;
  if (parts->tasks && !parts->database) {
    auto repo = ops::CurrentRepository(**store, env->project_root);
    if (!repo) {
      return MakeError(ErrorCode::kStorageNotFound,
                       "the database has no repository row for " + env->project_root.string() +
                           ": restore the database too (--only database,tasks)");
    }
    auto n = ops::RestoreTaskTables(**store, repo->id, *staged);
    if (!n) return n.error();
    tasks = *n;
  }
  if (parts->docs) DOCRUNCH_TRY(ops::RestoreDocs(*env, *staged));
  if (parts->database || parts->tasks || parts->index) {
    DOCRUNCH_TRY(RebuildDerived(ctx, **store, *env, parts->database || parts->tasks));
  }
  std::string done;
  if (parts->database) done += "database, ";
  if (tasks >= 0) done += std::to_string(tasks) + " tasks, ";
  if (parts->docs) done += "docs, ";
  if (parts->database || parts->tasks || parts->index) done += "index rebuilt, ";
  done.resize(done.size() - 2);
  Print("restored snapshot " + version + " (" + done + ")");
  return Ok();
}

Result<void> Clean(AppContext& ctx, bool json_out) {
  auto env = SnapshotEnvFor(ctx);
  if (!env) return env.error();
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  const auto& r = (*loaded)->config.rollback.retention;
  auto removed = ops::CleanSnapshots(*env, {r.max_snapshots, r.max_age_days, r.keep_minimum});
  if (!removed) return removed.error();
  if (json_out) {
    Print(json{{"removed", *removed}}.dump(2));
  } else if (removed->empty()) {
    Print("nothing to remove (retention: at most " + std::to_string(r.max_snapshots) + ", " +
          std::to_string(r.max_age_days) + " days, keep " + std::to_string(r.keep_minimum) + ")");
  } else {
    std::string out = "removed snapshots";
    for (auto v : *removed) out += " " + std::to_string(v);
    Print(out);
  }
  return Ok();
}

}  // namespace

void RegisterSnapshot(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* cmd = app.add_subcommand("snapshot", "Rollback: snapshots of database, docs and index");
  cmd->require_subcommand(1);
  struct Flags {
    std::string note, a, b, only;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* create = cmd->add_subcommand("create", "Take a snapshot now; prints its version");
  create->add_option("--note", f->note, "A note kept with the snapshot");
  create->add_flag("--json", f->json, "Print the snapshot as JSON");
  create->callback(
      [&ctx, &action, f] { action = [&ctx, f] { return Create(ctx, f->note, f->json); }; });
  CLI::App* list = cmd->add_subcommand("list", "The snapshots, oldest first");
  list->add_flag("--json", f->json, "Print JSON");
  list->callback([&ctx, &action, f] { action = [&ctx, f] { return List(ctx, f->json); }; });
  CLI::App* diff = cmd->add_subcommand("diff", "Tasks, decisions, docs and index changes");
  diff->add_option("A", f->a, "A snapshot version")->required();
  diff->add_option("B", f->b, "Another snapshot version (default: now)");
  diff->add_flag("--json", f->json, "Print JSON");
  diff->callback(
      [&ctx, &action, f] { action = [&ctx, f] { return Diff(ctx, f->a, f->b, f->json); }; });
  CLI::App* restore = cmd->add_subcommand("restore", "Put a snapshot back");
  restore->add_option("VERSION", f->a, "The snapshot version")->required();
  restore->add_option("--only", f->only, "Parts: docs,tasks,index,database (default: all)");
  restore->callback(
      [&ctx, &action, f] { action = [&ctx, f] { return Restore(ctx, f->a, f->only); }; });
  CLI::App* clean = cmd->add_subcommand("clean", "Remove snapshots past rollback.retention");
  clean->add_flag("--json", f->json, "Print JSON");
  clean->callback([&ctx, &action, f] { action = [&ctx, f] { return Clean(ctx, f->json); }; });
}

}  // namespace docrunch::app
