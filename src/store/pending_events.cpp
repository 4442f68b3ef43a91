#include "store/pending_events.h"

namespace docrunch::store {
namespace {

// The watermark of a class: every event of it up to this id is processed.
std::string Watermark(std::string_view repo, std::string_view priority) {
  return "COALESCE((SELECT MAX(r.last_id) FROM sync_processed r WHERE r.repository_id = " +
         std::string(repo) + " AND r.priority = " + std::string(priority) + "), 0)";
}

}  // namespace

std::string PendingEvents(std::string_view repo_param) {
  const std::string repo(repo_param);
  // The classes with an entry in the partial index, largest first, one
  // index seek each (a loose index scan); then each class's events past
  // its watermark.
  const std::string next_class =
      "SELECT x.priority FROM sync_events x WHERE x.repository_id = " + repo +
      " AND x.processed_at IS NULL";
  return "(WITH RECURSIVE pending_classes (p) AS (SELECT (" + next_class +
         " ORDER BY x.priority DESC LIMIT 1) UNION ALL SELECT (" + next_class +
         " AND x.priority < c.p ORDER BY x.priority DESC LIMIT 1) FROM pending_classes c "
         "WHERE c.p IS NOT NULL) "
         "SELECT e.* FROM pending_classes c JOIN sync_events e ON e.repository_id = " +
         repo + " AND e.priority = c.p AND e.processed_at IS NULL AND e.id > " +
         Watermark(repo, "c.p") + ")";
}

std::string IsPending(std::string_view alias) {
  const std::string a(alias);
  return "(" + a + ".processed_at IS NULL AND " + a + ".id > " +
         Watermark(a + ".repository_id", a + ".priority") + ")";
}

std::string ProcessedAt(std::string_view alias) {
  const std::string a(alias);
  // The first range ending at or after the event covers it, if any does
  // (ranges do not overlap).
  return "COALESCE(" + a + ".processed_at, (SELECT CASE WHEN r.first_id <= " + a +
         ".id THEN r.processed_at END FROM sync_processed r WHERE r.repository_id = " + a +
         ".repository_id AND r.priority = " + a + ".priority AND r.last_id >= " + a +
         ".id ORDER BY r.last_id LIMIT 1))";
}

Result<std::int64_t> ReadWatermark(Reader& db, std::int64_t repository_id, std::int64_t priority) {
  auto rows = db.Query("SELECT " + Watermark("$1", "$2") + " AS w", {repository_id, priority});
  if (!rows) return rows.error();
  return rows->Int(0, "w").value_or(0);
}

}  // namespace docrunch::store
