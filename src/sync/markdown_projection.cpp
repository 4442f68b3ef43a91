#include "sync/markdown_projection.h"

#include "core/files.h"

#include <algorithm>

namespace docrunch::sync {

bool IsCodeEntity(const std::string& type) {
  return type == "file" || type == "relationships" || type == "repository" || type == "symbol";
}

MarkdownProjection::MarkdownProjection(std::filesystem::path root, std::int64_t repository_id,
                                       std::string project_name)
    : repository_id_(repository_id),
      writer_(std::move(root)),
      code_(writer_, repository_id, std::move(project_name)),
      reports_(writer_, repository_id) {
  // One filesystem sync per batch (before the worker commits it) instead of
  // one fsync per page: pages are still on disk before their bookkeeping
  // says so, and a crash before the commit has them rewritten.
  writer_.set_deferred_sync(true);
}

Result<void> MarkdownProjection::Apply(const store::SyncEvent& event, store::Tx& db) {
  return std::move(ApplyBatch({event}, db).front());
}

Result<void> MarkdownProjection::Delete(const EntityRef& entity, store::Tx& db) {
  if (IsCodeEntity(entity.type)) {
    DOCRUNCH_TRY(LockCodePages(db));
    DOCRUNCH_TRY(code_.Render(db));
  } else {
    DOCRUNCH_TRY(reports_.Remove(entity));
  }
  return writer_.Sync();
}

// Code pages are written by one worker at a time, each from a newer
// snapshot than the last: the row lock is held until the batch commits.
Result<void> MarkdownProjection::LockCodePages(store::Tx& db) {
  auto locked = db.Exec(
      "INSERT INTO storage_sync (target, entity_type, entity_id, repository_id, status, "
      "attempts, updated_at) VALUES ('markdown', 'pages', 'code', $1, 'ok', 0, $2) "
      "ON CONFLICT (repository_id, target, entity_type, entity_id) DO UPDATE SET updated_at = "
      "excluded.updated_at",
      {repository_id_, FormatIso8601(db.clock().Now())});
  if (!locked) return locked.error();
  return Ok();
}

Result<void> MarkdownProjection::LockBatch(const std::vector<store::SyncEvent>& events,
                                           store::Tx& db) {
  for (const auto& e : events) {
    if (IsCodeEntity(e.entity_type)) return LockCodePages(db);
  }
  return Ok();
}

bool MarkdownProjection::RendersPastCommit(const std::vector<store::SyncEvent>& events) const {
  return std::none_of(events.begin(), events.end(),
                      [](const store::SyncEvent& e) { return IsCodeEntity(e.entity_type); });
}

std::vector<Result<void>> MarkdownProjection::RenderBatch(
    const std::vector<store::SyncEvent>& events, store::Reader& db) {
  // A writer killed mid-page left its temporary file; the incremental path
  // never rebuilds, so the first batch of each worker sweeps them.
  if (!swept_) {
    RemoveLeftoverTemporaries();
    swept_ = true;
  }
  std::vector<Result<void>> results(events.size(), Ok());
  bool code = false;
  std::vector<store::SyncEvent> reports;  // report upserts, rendered together
  std::vector<std::size_t> report_at;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (IsCodeEntity(e.entity_type)) {
      code = true;
    } else if (e.action == "delete") {
      results[i] = reports_.Remove({e.entity_type, e.entity_id});
    } else {
      reports.push_back(e);
      report_at.push_back(i);
    }
  }
  auto rendered = reports_.RenderBatch(reports, db);
  for (std::size_t k = 0; k < report_at.size(); ++k) results[report_at[k]] = std::move(rendered[k]);
  if (code) {
    Result<void> built = code_.Render(db);
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (IsCodeEntity(events[i].entity_type)) results[i] = built;
    }
  }
  if (auto synced = writer_.Sync(); !synced) {
    for (auto& r : results) {
      if (r) r = synced.error();
    }
  }
  return results;
}

std::vector<Result<void>> MarkdownProjection::ApplyBatch(
    const std::vector<store::SyncEvent>& events, store::Tx& db) {
  if (auto locked = LockBatch(events, db); !locked) {
    return std::vector<Result<void>>(events.size(), locked.error());
  }
  return RenderBatch(events, db);
}

Result<void> MarkdownProjection::Rebuild(store::Tx& db) {
  RemoveLeftoverTemporaries();
  swept_ = true;
  DOCRUNCH_TRY(LockCodePages(db));
  DOCRUNCH_TRY(code_.Render(db));
  DOCRUNCH_TRY(reports_.Rebuild(db));
  return writer_.Sync();
}

void MarkdownProjection::RemoveLeftoverTemporaries() {
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(writer_.root(), ec), end;
  std::vector<std::filesystem::path> stale;
  for (; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && IsAbandonedTemporary(it->path())) stale.push_back(it->path());
  }
  for (const auto& path : stale) std::filesystem::remove(path, ec);
}

}  // namespace docrunch::sync
