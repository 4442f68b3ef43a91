// A derived store kept in step with the source of truth (PRODUCT §10).
//
// The search index, the Markdown docs and LightRAG are projections: each can
// be rebuilt from the database alone, and is updated event by event by the
// sync worker. The worker is generic over this interface.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/store.h"

namespace docrunch::sync {

struct EntityRef {
  std::string type;  // "file", "task", "decision", ...
  std::string id;
};

struct ProjectionHealth {
  bool healthy = true;
  std::string detail;  // e.g. "docs folder not writable"
};

class Projection {
 public:
  virtual ~Projection() = default;

  // The target name stored in storage_sync: "index", "markdown", "lightrag".
  virtual std::string_view Target() const = 0;

  // Brings the derived copy of one entity up to date with the database.
  // Idempotent: applying the same event twice has the effect of once.
  virtual Result<void> Apply(const store::SyncEvent& event, store::Reader& db) = 0;

  // Removes the derived copy of an entity that no longer exists.
  virtual Result<void> Delete(const EntityRef& entity, store::Reader& db) = 0;

  virtual ProjectionHealth Health() = 0;

  // Regenerates the whole derived store from the database alone.
  virtual Result<void> Rebuild(store::Reader& db) = 0;
};

}  // namespace docrunch::sync
