// LightRAG as a projection (PRODUCT §10): each file, task and decision of
// the repository is one text in the LightRAG server, split into documents
// of storage.lightrag.chunk_size bytes with chunk_overlap.
//
// LightRAG names documents by the md5 of their text, so to replace or
// delete an entity's text the projection must remember which document ids
// it gave LightRAG. It keeps them in storage_sync, in a bookkeeping row per
// entity (target "lightrag", entity_type "lightrag_docs", entity_id
// "<type>:<id>", the ids space-separated in last_synced_hash), written in
// the worker's transaction before any request, so ids are never forgotten:
//   1. the row becomes old ids ∪ new ids;
//   2. every new document is inserted ("duplicated" counts as done);
//   3. old ids not among the new ones are deleted (one request per batch);
//   4. the row becomes the new ids.
// A failure at 2 or 3 fails the entity (the worker retries it); the retry
// repeats the steps, which is harmless. Documents are never deleted and
// re-inserted with the same id, because LightRAG deletes in the background.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sync/lightrag_client.h"
#include "sync/projection.h"

namespace docrunch::sync {

struct LightRagOptions {
  LightRagClientOptions client;
  int chunk_size = 1000;
  int chunk_overlap = 200;
};

// The entity_type of the bookkeeping rows (not an entity: sync status
// leaves them out).
inline constexpr const char* kLightRagDocsType = "lightrag_docs";

class LightRagProjection final : public Projection {
 public:
  LightRagProjection(std::int64_t repository_id, LightRagOptions options);

  std::string_view Target() const override { return "lightrag"; }
  // "file", "task" and "decision" events; others succeed without effect.
  Result<void> Apply(const store::SyncEvent& event, store::Tx& db) override;
  Result<void> Delete(const EntityRef& entity, store::Tx& db) override;
  std::vector<Result<void>> ApplyBatch(const std::vector<store::SyncEvent>& events,
                                       store::Tx& db) override;
  // GET /health; unhealthy while the server cannot be reached.
  ProjectionHealth Health() override;
  // Brings LightRAG to exactly the texts of the database: inserts every
  // entity's documents and deletes every other document it ever inserted.
  Result<void> Rebuild(store::Tx& db) override;

  // The documents (normalized text, with a header naming the entity) that
  // stand for one entity now; empty when it is gone or not kept here.
  Result<std::vector<std::string>> DocumentsOf(store::Reader& db, const EntityRef& entity);

  const LightRagClient& client() const { return client_; }

 private:
  struct Plan;
  Result<std::string> TextOf(store::Reader& db, const EntityRef& entity);

  std::int64_t repository_id_;
  LightRagOptions options_;
  LightRagClient client_;
};

}  // namespace docrunch::sync
