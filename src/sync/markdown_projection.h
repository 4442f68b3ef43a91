// The Markdown docs as one projection: code pages (docs/code_pages.h, from
// file, relationship and repository events) and report pages
// (docs/report_pages.h, from task and decision events) in one folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "docs/code_pages.h"
#include "docs/doc_writer.h"
#include "docs/report_pages.h"
#include "sync/projection.h"

namespace docrunch::sync {

class MarkdownProjection final : public Projection {
 public:
  MarkdownProjection(std::filesystem::path root, std::int64_t repository_id,
                     std::string project_name);

  std::string_view Target() const override { return "markdown"; }
  Result<void> Apply(const store::SyncEvent& event, store::Tx& db) override;
  Result<void> Delete(const EntityRef& entity, store::Tx& db) override;
  // Code pages are aggregates: however many code events a batch holds, they
  // are regenerated once (serialized across workers by a storage_sync row
  // lock, so pages are never written from an older snapshot than the
  // last). Report events are applied one by one.
  std::vector<Result<void>> ApplyBatch(const std::vector<store::SyncEvent>& events,
                                       store::Tx& db) override;
  // The pages are rendered apart from the worker's transaction (it only
  // reads the database): LockBatch takes the code pages' row lock.
  bool SplitsBatches() const override { return true; }
  Result<void> LockBatch(const std::vector<store::SyncEvent>& events, store::Tx& db) override;
  std::vector<Result<void>> RenderBatch(const std::vector<store::SyncEvent>& events,
                                        store::Reader& db) override;
  // Report pages (tasks, decisions, analyses) each render from their own
  // rows; code pages are aggregates written under their row lock, so a
  // batch with code events renders within its transaction.
  bool RendersPastCommit(const std::vector<store::SyncEvent>& events) const override;
  ProjectionHealth Health() override { return code_.Health(); }
  Result<void> Rebuild(store::Tx& db) override;

  // Removes temporary files a killed writer left behind
  // ("*.tmp-<pid>-XXXXXX" whose pid no longer runs, or older than an hour).
  // A live writer's file stays: workers started while others write (hosted
  // mode) no longer break their renames.
  void RemoveLeftoverTemporaries();

  const std::filesystem::path& root() const { return writer_.root(); }
  // Pages changed / in total at the last regeneration of the code pages.
  int pages_changed() const { return code_.pages_changed(); }
  int pages_total() const { return code_.pages_total(); }

 private:
  Result<void> LockCodePages(store::Tx& db);

  std::int64_t repository_id_;
  docs::DocWriter writer_;
  docs::CodeDocsProjection code_;
  docs::ReportsProjection reports_;
  bool swept_ = false;  // leftover temporaries removed by this instance
};

// Whether the code pages depend on entities of this type.
bool IsCodeEntity(const std::string& entity_type);

}  // namespace docrunch::sync
