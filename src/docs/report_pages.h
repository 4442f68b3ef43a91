// The published reports (PRODUCT §6, §8): tasks/{task_id}.md for every task
// with a completion report, and decisions/adr-NNN.md for every decision.
//
// Rendering is deterministic: the same database rows give byte-identical
// pages (no generation time, rows in id order). ReportsProjection keeps the
// pages in step with the outbox events (entity types "task", "decision" and
// "analysis", docs/analysis_pages.h; others are not its business) and writes only through a
// DocWriter, whose path check, together with the ids being parsed from the
// event (task-<n>, decision-<n>), keeps every write inside the docs folder.
#pragma once

#include <cstdint>
#include <string>

#include "docs/doc_writer.h"
#include "sync/projection.h"
#include "tasks/records.h"
#include "tasks/task_service.h"

namespace docrunch::docs {

// "tasks/task-12.md", "decisions/adr-007.md".
std::string TaskPagePath(std::int64_t task_id);
std::string DecisionPagePath(int number);

// The page of one task: fields, description, guardrails, acceptance
// criteria, dependencies, completion reports, findings, decisions, blockers
// and history. `details.context` is not rendered (it is search output, not
// a record).
std::string RenderTaskPage(const tasks::TaskDetails& details);
std::string RenderDecisionPage(const tasks::DecisionRecord& decision);

// Reads everything a task page shows (without search context).
Result<tasks::TaskDetails> LoadTaskReport(store::Reader& db, std::int64_t repository_id,
                                          std::int64_t task_id);

class ReportsProjection final : public sync::Projection {
 public:
  // Pages of `repository_id` go under writer.root(); `writer` must outlive this.
  ReportsProjection(DocWriter& writer, std::int64_t repository_id)
      : writer_(writer), repository_id_(repository_id) {}

  std::string_view Target() const override { return "markdown"; }
  Result<void> Apply(const store::SyncEvent& event, store::Tx& db) override;
  Result<void> Delete(const sync::EntityRef& entity, store::Tx& db) override;
  // Apply and Delete without a transaction: they only read the database.
  Result<void> Render(const store::SyncEvent& event, store::Reader& db);
  // Render for several upsert events, one result per event, in order: the
  // decisions' rows are read together (one query per 500 instead of one
  // per event); an id that does not parse fails its event alone.
  std::vector<Result<void>> RenderBatch(const std::vector<store::SyncEvent>& events,
                                        store::Reader& db);
  Result<void> Remove(const sync::EntityRef& entity);
  sync::ProjectionHealth Health() override;
  // Writes every page of the repository and removes report pages (.md in
  // tasks/, decisions/ and reports/) that no row produces any more.
  Result<void> Rebuild(store::Tx& db) override;

  // Writes the page of one task (STORAGE_NOT_FOUND; INVALID_PARAMS when it
  // has no completion report yet) and of its decisions; returns the paths.
  Result<std::vector<std::string>> PublishTask(store::Reader& db, std::int64_t task_id);

 private:
  Result<void> ApplyTask(store::Reader& db, std::int64_t task_id);
  Result<void> ApplyDecision(store::Reader& db, std::int64_t decision_row_id);
  Result<void> WriteDecision(const tasks::DecisionRecord& decision);

  DocWriter& writer_;
  std::int64_t repository_id_;
};

}  // namespace docrunch::docs
