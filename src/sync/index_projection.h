// The search index as a projection: search_docs and the postings segments
// (search_segments, search_terms; one segment per batch of events),
// written from the database alone (a file's symbols; a task with its
// completion reports and findings; a decision). Its writes go through the
// worker's transaction, so they commit exactly with the bookkeeping.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "scan/model.h"
#include "search/embeddings.h"
#include "search/search.h"

#include "sync/projection.h"

namespace docrunch::sync {

class IndexProjection final : public Projection {
 public:
  // With an embedder, every document also gets an embedding (batched after
  // each batch of events; an endpoint failure fails the batch's events, to
  // be retried, while the database's full-text search answers queries).
  // `threads`: how many threads a batch's files are tokenized on (0: one
  // per hardware thread).
  explicit IndexProjection(std::int64_t repository_id,
                           std::shared_ptr<search::Embedder> embedder = nullptr, int threads = 0)
      : repository_id_(repository_id), embedder_(std::move(embedder)), threads_(threads) {}

  std::string_view Target() const override { return "index"; }
  // "file", "task" and "decision" events; "relationships" (the graph
  // changed) recomputes every document's graph score; others succeed
  // without effect.
  Result<void> Apply(const store::SyncEvent& event, store::Tx& db) override;
  Result<void> Delete(const EntityRef& entity, store::Tx& db) override;
  std::vector<Result<void>> ApplyBatch(const std::vector<store::SyncEvent>& events,
                                       store::Tx& db) override;
  Result<void> Settle(store::Tx& db) override;
  std::vector<std::string> Tables() const override {
    return {"search_docs", "search_segments", "search_terms"};
  }
  ProjectionHealth Health() override { return {true, "in the database"}; }
  // Drops the repository's index and writes it again, files in path order.
  Result<void> Rebuild(store::Tx& db) override;

 private:
  // ApplyBatch, merging segments past `max_segments`.
  std::vector<Result<void>> ApplyEvents(const std::vector<store::SyncEvent>& events, store::Tx& db,
                                        std::size_t max_segments);
  Result<void> ApplyOne(const store::SyncEvent& event, search::IndexWriter& writer);
  Result<void> DeleteWith(const EntityRef& entity, search::IndexWriter& writer);
  // Index the tasks or decisions `entity_ids` ("task-12", "decision-7"),
  // their rows read together; one result per id, in order.
  std::vector<Result<void>> IndexTasks(store::Reader& db, search::IndexWriter& writer,
                                       const std::vector<std::string>& entity_ids);
  std::vector<Result<void>> IndexDecisions(store::Reader& db, search::IndexWriter& writer,
                                           const std::vector<std::string>& entity_ids);

  std::int64_t repository_id_;
  std::shared_ptr<search::Embedder> embedder_;
  int threads_;
};

}  // namespace docrunch::sync
