#include "app/sync_runner.h"

#include <algorithm>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "docs/code_pages.h"
#include "docs/doc_writer.h"
#include "sync/markdown_projection.h"
#include "sync/sync_admin.h"
#include "sync/targets.h"

namespace docrunch::app {

Result<void> RequeueDrift(store::Store& store, std::int64_t repository_id,
                          const std::vector<std::unique_ptr<sync::Projection>>& targets) {
  std::vector<std::string> names;
  for (const auto& t : targets) names.emplace_back(t->Target());
  auto queued = sync::RequeueDrift(store, repository_id, names);
  if (!queued) return queued.error();
  if (*queued > 0)
    spdlog::info("sync: {} entities queued again for a target that missed them", *queued);
  return Ok();
}

Result<void> RepairMarkdown(store::Store& store, std::int64_t repository_id,
                            sync::MarkdownProjection& markdown) {
  markdown.RemoveLeftoverTemporaries();
  auto missing = docs::MissingCodePages(store, repository_id, markdown.root());
  if (!missing) return missing.error();
  if (!missing->empty()) {
    // Pages someone deleted, a killed render did not write, or this version
    // adds come without waiting for a change. A render that fails here is
    // the target's problem, reported by sync status like any other.
    (void)sync::RebuildTargets(store, repository_id, {&markdown});
  }
  return Ok();
}

Result<void> PrepareWorker(store::Store& store, std::int64_t repository_id,
                           const std::filesystem::path& docs_root,
                           const std::filesystem::path& repository_root,
                           const std::vector<std::unique_ptr<sync::Projection>>& targets) {
  if (!docs_root.empty()) DOCRUNCH_TRY(docs::ClaimDocsFolder(docs_root, repository_root));
  DOCRUNCH_TRY(RequeueDrift(store, repository_id, targets));
  for (const auto& t : targets) {
    if (auto* md = dynamic_cast<sync::MarkdownProjection*>(t.get())) {
      DOCRUNCH_TRY(RepairMarkdown(store, repository_id, *md));
    }
  }
  return Ok();
}

Result<std::vector<std::unique_ptr<sync::Projection>>> MakeConfiguredTargets(
    const config::Config& config, const SyncSetup& setup) {
  sync::TargetOptions options;
  options.repository_id = setup.repository_id;
  options.docs_root = setup.docs_root;
  options.project_name = setup.project_name;
  options.embedder = ConfiguredEmbedder(config);
  // Tokenizing code for the index is code processing, like parsing.
  options.index_threads = config.scanning.parallel_workers;
  options.names.clear();
  const auto& lightrag = config.storage.lightrag;
  for (const auto& name : config.storage.sync.targets) {
    if (name == "markdown" && setup.docs_root.empty()) continue;
    if (name == "lightrag" && !lightrag.enabled) continue;  // refused by the config rules
    options.names.push_back(name);
  }
  options.lightrag.client.base_url = lightrag.base_url;
  options.lightrag.client.timeout = lightrag.timeout.value;
  if (!lightrag.api_key_env.empty()) {
    // The config rules require the variable when LightRAG is enabled.
    const char* key = std::getenv(lightrag.api_key_env.c_str());
    options.lightrag.client.api_key = key ? key : "";
  }
  options.lightrag.chunk_size = lightrag.chunk_size;
  options.lightrag.chunk_overlap = lightrag.chunk_overlap;
  return sync::MakeTargets(options);
}

std::shared_ptr<search::Embedder> ConfiguredEmbedder(const config::Config& config) {
  const auto& e = config.search.embeddings;
  if (!e.enabled) return nullptr;
  search::EmbeddingsOptions options;
  options.base_url = e.base_url;
  options.model = e.model;
  options.api_key = e.api_key;
  options.dimensions = e.dimensions;
  options.batch_size = e.batch_size;
  options.timeout = e.timeout.value;
  return search::MakeHttpEmbedder(std::move(options));
}

sync::WorkerOptions WorkerOptionsFor(const config::Config& config, std::int64_t repository_id) {
  const auto& s = config.storage.sync;
  sync::WorkerOptions options;
  options.repository_id = repository_id;
  options.retry.max_retries = s.max_retries;
  options.retry.backoff = std::chrono::seconds(s.backoff_seconds);
  options.retry.max_backoff = std::chrono::seconds(s.max_backoff_seconds);
  options.prioritize_reports = s.prioritize_reports;
  options.render_apart = config.scanning.parallel_workers != 1;
  return options;
}

Result<DrainOutcome> DrainSync(store::Store& store, const config::Config& config,
                               const SyncSetup& setup, const std::atomic<bool>* stop) {
  DrainOutcome outcome;
  if (!config.storage.sync.enabled) return outcome;
  auto targets = MakeConfiguredTargets(config, setup);
  if (!targets) return targets.error();
  sync::WorkerOptions options = WorkerOptionsFor(config, setup.repository_id);
  // Draining right after a scan: few large batches, because the code pages
  // are regenerated once per batch (a 200-event batch made a stdlib scan
  // rebuild them four times; 2,000-event batches rendered a 5,500-file tree
  // three times: 6.8 s, in one batch 6.0 s). The index loads a batch's files
  // 1,000 at a time, so a large batch costs no more memory (256 MB for that
  // tree either way).
  options.batch_size = 20000;
  if (!setup.only_target.empty()) {
    std::erase_if(*targets, [&](const auto& t) { return t->Target() != setup.only_target; });
    options.leave_pending = true;
  } else {
    DOCRUNCH_TRY(RequeueDrift(store, setup.repository_id, *targets));
  }
  sync::SyncWorker worker(store, sync::Pointers(*targets), options);
  auto stats = worker.Drain(sync::SyncWorker::kUntilEmpty, stop);
  if (!stats) return stats.error();
  if (stop != nullptr && *stop) {
    return MakeError(ErrorCode::kInterrupted,
                     "stopped while the search index and the Markdown were brought up to date; "
                     "the events left, if any, are applied by the next scan, `docrunch worker "
                     "start --queue sync --once` or `serve`");
  }
  outcome.stats = *stats;
  for (const auto& target : *targets) {
    auto* markdown = dynamic_cast<sync::MarkdownProjection*>(target.get());
    if (!markdown) continue;
    if (setup.repair_docs) DOCRUNCH_TRY(RepairMarkdown(store, setup.repository_id, *markdown));
    outcome.pages_changed = markdown->pages_changed();
    outcome.pages_total = markdown->pages_total();
    auto behind = store.Query(
        "SELECT last_error FROM storage_sync WHERE repository_id = $1 AND target = 'markdown' "
        "AND status IN ('pending', 'failed', 'dead_letter') AND last_error IS NOT NULL ORDER BY "
        "updated_at DESC LIMIT 1",
        {setup.repository_id});
    if (!behind) return behind.error();
    if (!behind->empty()) outcome.markdown_error = behind->Text(0, "last_error").value_or("");
  }
  return outcome;
}

}  // namespace docrunch::app
