// docrunch sync status [--json] | retry --failed|--all | rebuild --vectors|--markdown|--all |
// diff [--json]; and the outbox worker behind `docrunch worker start --queue sync`
// (worker_command.cpp)
#include <nlohmann/json.hpp>
#include <thread>

#include "app/commands.h"
#include "app/sync_runner.h"
#include "docs/doc_writer.h"
#include "store/repositories.h"
#include "sync/markdown_projection.h"
#include "sync/sync_admin.h"
#include "sync/targets.h"

namespace docrunch::app {
namespace {

namespace fs = std::filesystem;

// What every sync command needs.
struct SyncEnv {
  store::Store* store = nullptr;
  const config::Config* config = nullptr;
  fs::path root;  // the project's folder, canonical
  SyncSetup setup;
  std::vector<std::unique_ptr<sync::Projection>> targets;
};

Result<SyncEnv> OpenSync(AppContext& ctx) {
  auto loaded = ctx.Config();
  if (!loaded) return loaded.error();
  auto store = ctx.Store();
  if (!store) return store.error();
  const config::Config& c = (*loaded)->config;
  std::error_code ec;
  fs::path root = fs::canonical((*loaded)->project_root, ec);
  auto repo = ProjectRepository(ctx, **store);
  if (!repo && repo.error().code == ErrorCode::kStorageNotFound) {
    // Not scanned yet: the project's row, as scan and serve make it; a
    // worker started before the first scan waits for its events.
    repo = store::EnsureRepository(
        **store, root.string(), c.project.name.empty() ? root.filename().string() : c.project.name);
  }
  if (!repo) return repo.error();
  fs::path docs(c.storage.docs_output);
  SyncEnv env;
  env.store = *store;
  env.config = &c;
  env.root = ec ? (*loaded)->project_root : root;
  env.setup = {*repo, (docs.is_relative() ? root / docs : docs).lexically_normal(),
               c.project.name.empty() ? root.filename().string() : c.project.name,
               /*repair_docs=*/true};
  auto targets = MakeConfiguredTargets(c, env.setup);
  if (!targets) return targets.error();
  env.targets = std::move(*targets);
  return env;
}

// retry and rebuild write the Markdown folder: it must be this
// repository's first, as for scan, worker start and serve.
Result<void> ClaimProjectDocs(const SyncEnv& env) {
  return docs::ClaimDocsFolder(env.setup.docs_root, env.root);
}

std::vector<std::string> TargetNames(const SyncEnv& env) {
  std::vector<std::string> names;
  for (const auto& t : env.targets) names.emplace_back(t->Target());
  return names;
}

Result<void> Status(AppContext& ctx, bool json) {
  auto env = OpenSync(ctx);
  if (!env) return env.error();
  const auto& s = env->config->storage.sync;
  auto status = sync::LoadSyncStatus(*env->store, env->setup.repository_id, TargetNames(*env),
                                     {s.report_sla_seconds, s.scan_sla_seconds}, ctx.clock().Now());
  if (!status) return status.error();
  Print(json ? sync::ToJson(*status).dump(2) : sync::ToText(*status));
  return Ok();
}

Result<void> Retry(AppContext& ctx, bool all) {
  auto env = OpenSync(ctx);
  if (!env) return env.error();
  DOCRUNCH_TRY(ClaimProjectDocs(*env));
  auto n = sync::ScheduleRetry(*env->store, env->setup.repository_id, all);
  if (!n) return n.error();
  auto drained = DrainSync(*env->store, *env->config, env->setup);
  if (!drained) return drained.error();
  Print("scheduled " + std::to_string(*n) + " entries; applied " +
        std::to_string(drained->stats.applied) + ", failed " +
        std::to_string(drained->stats.failed));
  return Ok();
}

Result<void> Rebuild(AppContext& ctx, bool vectors, bool markdown) {
  auto env = OpenSync(ctx);
  if (!env) return env.error();
  std::vector<sync::Projection*> chosen;
  for (const auto& t : env->targets) {
    bool is_markdown = t->Target() == "markdown";
    if ((is_markdown && markdown) || (!is_markdown && vectors)) chosen.push_back(t.get());
  }
  if (chosen.empty()) {
    return MakeError(ErrorCode::kUsage,
                     "nothing to rebuild: choose --vectors, --markdown or --all");
  }
  if (markdown) DOCRUNCH_TRY(ClaimProjectDocs(*env));
  DOCRUNCH_TRY(sync::RebuildTargets(*env->store, env->setup.repository_id, chosen));
  for (auto* t : chosen) Print("rebuilt " + std::string(t->Target()));
  return Ok();
}

Result<void> Diff(AppContext& ctx, bool json) {
  auto env = OpenSync(ctx);
  if (!env) return env.error();
  auto diff = sync::DiffTargets(*env->store, env->setup.repository_id, sync::Pointers(env->targets),
                                env->setup.docs_root.string());
  if (!diff) return diff.error();
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : *diff) {
      list.push_back({{"target", d.target},
                      {"entity_type", d.entity_type},
                      {"entity_id", d.entity_id},
                      {"state", d.state},
                      {"detail", d.detail}});
    }
    Print(list.dump(2));
    return Ok();
  }
  std::string out;
  for (const auto& d : *diff) {
    out += d.target + "\t" + d.state + "\t" + d.entity_type + ":" + d.entity_id + "\t" + d.detail +
           "\n";
  }
  Print(out.empty() ? "in sync: every derived copy matches the database" : out);
  return Ok();
}

}  // namespace

Result<void> RunSyncWorker(AppContext& ctx, bool once, const std::atomic<bool>& stop) {
  auto env = OpenSync(ctx);
  if (!env) return env.error();
  DOCRUNCH_TRY(PrepareWorker(*env->store, env->setup.repository_id, env->setup.docs_root, env->root,
                             env->targets));
  sync::SyncWorker worker(*env->store, sync::Pointers(env->targets),
                          WorkerOptionsFor(*env->config, env->setup.repository_id));
  if (once) {
    auto stats = worker.Drain();
    if (!stats) return stats.error();
    Print("applied " + std::to_string(stats->applied) + ", skipped " +
          std::to_string(stats->skipped) + ", failed " + std::to_string(stats->failed) + " over " +
          std::to_string(stats->events) + " events");
    return Ok();
  }
  auto wait = [&stop](std::chrono::milliseconds total) {
    for (auto slept = std::chrono::milliseconds(0); slept < total && !stop;
         slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  auto poll = std::chrono::seconds(std::max(1, env->config->storage.sync.poll_interval_seconds));
  auto stats = worker.Run(stop, poll, wait);
  if (!stats) return stats.error();
  return Ok();
}

void RegisterSync(CLI::App& app, AppContext& ctx, Action& action) {
  CLI::App* cmd = app.add_subcommand("sync", "The derived stores: status, retry, rebuild, diff");
  cmd->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  CLI::App* status = cmd->add_subcommand("status", "Per target: synced, pending, failed, lag, SLA");
  status->add_flag("--json", *json, "Print JSON");
  status->callback([&ctx, &action, json] { action = [&ctx, json] { return Status(ctx, *json); }; });

  auto failed = std::make_shared<bool>(false), all = std::make_shared<bool>(false);
  CLI::App* retry = cmd->add_subcommand("retry", "Try failed entries again now");
  auto* f = retry->add_flag("--failed", *failed, "Entries that ran out of attempts");
  auto* a = retry->add_flag("--all", *all, "Also dead letters and entries waiting to retry");
  f->excludes(a);
  retry->callback([&ctx, &action, failed, all] {
    action = [&ctx, failed, all]() -> Result<void> {
      if (!*failed && !*all) return MakeError(ErrorCode::kUsage, "choose --failed or --all");
      return Retry(ctx, *all);
    };
  });

  auto vectors = std::make_shared<bool>(false), markdown = std::make_shared<bool>(false),
       everything = std::make_shared<bool>(false);
  CLI::App* rebuild = cmd->add_subcommand("rebuild", "Regenerate derived stores from the database");
  rebuild->add_flag("--vectors", *vectors, "The search index and LightRAG (when enabled)");
  rebuild->add_flag("--markdown", *markdown, "The Markdown docs");
  rebuild->add_flag("--all", *everything, "Every configured target");
  rebuild->callback([&ctx, &action, vectors, markdown, everything] {
    action = [&ctx, vectors, markdown, everything] {
      return Rebuild(ctx, *vectors || *everything, *markdown || *everything);
    };
  });

  auto diff_json = std::make_shared<bool>(false);
  CLI::App* diff =
      cmd->add_subcommand("diff", "Entities whose derived copies are missing or stale");
  diff->add_flag("--json", *diff_json, "Print JSON");
  diff->callback(
      [&ctx, &action, diff_json] { action = [&ctx, diff_json] { return Diff(ctx, *diff_json); }; });
}

}  // namespace docrunch::app
