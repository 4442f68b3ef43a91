// The sync worker as the CLI runs it: targets and retry policy from the
// configuration, drained in-process after the commands that write (embedded
// mode), or looping in `docrunch worker start --queue sync`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "search/embeddings.h"
#include "store/store.h"
#include "sync/markdown_projection.h"
#include "sync/projection.h"
#include "sync/worker.h"

namespace docrunch::app {

struct SyncSetup {
  std::int64_t repository_id = 0;
  std::filesystem::path docs_root;  // empty: no markdown target
  std::string project_name;
  // Whether DrainSync also repairs the Markdown folder (RepairMarkdown):
  // scans and `sync retry` do; a task command's drain stays small.
  bool repair_docs = false;
  // Non-empty: a first pass by this target alone, the events left pending
  // for a full drain afterwards (sync::WorkerOptions::leave_pending).
  std::string only_target;
};

// The configured targets (storage.sync.targets; markdown only with a docs root).
Result<std::vector<std::unique_ptr<sync::Projection>>> MakeConfiguredTargets(
    const config::Config& config, const SyncSetup& setup);

// The embeddings endpoint of search.embeddings, or nullptr when disabled.
std::shared_ptr<search::Embedder> ConfiguredEmbedder(const config::Config& config);

sync::WorkerOptions WorkerOptionsFor(const config::Config& config, std::int64_t repository_id);

// Queues again what a target missed while it was not configured
// (sync::RequeueDrift over `targets`); the next drain applies it.
Result<void> RequeueDrift(store::Store& store, std::int64_t repository_id,
                          const std::vector<std::unique_ptr<sync::Projection>>& targets);

// Puts the Markdown folder back in step with the rows when it lost code
// pages (deleted by hand, or never written by a killed render): the code
// pages are rendered again. Also removes the temporary files of writers
// that no longer run. Scans and `worker start` call it; errors are the
// database's.
Result<void> RepairMarkdown(store::Store& store, std::int64_t repository_id,
                            sync::MarkdownProjection& markdown);

// Before a worker that runs on (`worker start`, the one inside `serve`)
// starts: the docs folder must be this repository's (docs::ClaimDocsFolder,
// the refusal is the error), what a target missed is queued again, and the
// Markdown folder is repaired.
Result<void> PrepareWorker(store::Store& store, std::int64_t repository_id,
                           const std::filesystem::path& docs_root,
                           const std::filesystem::path& repository_root,
                           const std::vector<std::unique_ptr<sync::Projection>>& targets);

struct DrainOutcome {
  sync::WorkerStats stats;
  int pages_changed = 0;  // code pages, when they were regenerated
  int pages_total = 0;
  std::string markdown_error;  // the markdown target's last error, if it is behind
};

// Applies the repository's pending events to every configured target,
// here and now (embedded mode). Does nothing when storage.sync.enabled is
// false. A failing target is not an error: its events wait and retry.
// Once `stop` (if given) is set it returns INTERRUPTED after the batch it is
// on; the events left wait for the next drain.
Result<DrainOutcome> DrainSync(store::Store& store, const config::Config& config,
                               const SyncSetup& setup, const std::atomic<bool>* stop = nullptr);

}  // namespace docrunch::app
