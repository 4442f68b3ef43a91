// The registry of sync targets: which projections a worker applies, built
// from the configuration (storage.sync.targets, storage.lightrag).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "search/embeddings.h"
#include "sync/lightrag_projection.h"
#include "sync/projection.h"

namespace docrunch::sync {

struct TargetOptions {
  std::int64_t repository_id = 0;
  std::vector<std::string> names{"index", "markdown"};  // "index", "markdown", "lightrag"
  std::filesystem::path docs_root;                      // the markdown target's folder
  std::string project_name;
  std::shared_ptr<search::Embedder> embedder;  // the index's, when embeddings are enabled
  int index_threads = 0;                       // the index's tokenizing threads; 0: one per core
  LightRagOptions lightrag;                    // the lightrag target's server, key and chunking
};

// One projection per name, in the order given. CONFIG_INVALID for an
// unknown name.
Result<std::vector<std::unique_ptr<Projection>>> MakeTargets(const TargetOptions& options);

// Plain pointers for SyncWorker.
std::vector<Projection*> Pointers(const std::vector<std::unique_ptr<Projection>>& targets);

}  // namespace docrunch::sync
