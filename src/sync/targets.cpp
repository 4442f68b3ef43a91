#include "sync/targets.h"

#include "sync/index_projection.h"
#include "sync/markdown_projection.h"

namespace docrunch::sync {

Result<std::vector<std::unique_ptr<Projection>>> MakeTargets(const TargetOptions& options) {
  std::vector<std::unique_ptr<Projection>> out;
  for (const auto& name : options.names) {
    if (name == "index") {
      out.push_back(std::make_unique<IndexProjection>(options.repository_id, options.embedder,
                                                      options.index_threads));
    } else if (name == "markdown") {
      out.push_back(std::make_unique<MarkdownProjection>(options.docs_root, options.repository_id,
                                                         options.project_name));
    } else if (name == "lightrag") {
      out.push_back(std::make_unique<LightRagProjection>(options.repository_id, options.lightrag));
    } else {
      return MakeError(ErrorCode::kConfigInvalid, "storage.sync.targets: unknown target " + name +
                                                      " (known: index, markdown, lightrag)");
    }
  }
  return out;
}

std::vector<Projection*> Pointers(const std::vector<std::unique_ptr<Projection>>& targets) {
  std::vector<Projection*> out;
  for (const auto& t : targets) out.push_back(t.get());
  return out;
}

}  // namespace docrunch::sync
