#include "sync/lightrag_projection.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "core/text.h"
#include "docs/report_pages.h"
#include "tasks/records.h"
#include "tasks/task.h"

namespace docrunch::sync {
namespace {

constexpr std::size_t kDeleteChunk = 100;  // doc ids per DELETE request

std::string BookKey(const EntityRef& e) {
  return e.type + ":" + e.id;
}

Result<std::int64_t> DecisionRowId(const std::string& entity_id) {
  const std::string prefix = "decision-";
  std::int64_t n = 0;
  const char* begin = entity_id.data() + std::min(prefix.size(), entity_id.size());
  const char* end = entity_id.data() + entity_id.size();
  auto [ptr, ec] = std::from_chars(begin, end, n);
  if (entity_id.rfind(prefix, 0) != 0 || ec != std::errc() || ptr != end || n < 1) {
    return MakeError(ErrorCode::kInvalidParams,
                     "entity id: expected decision-<n>, got '" + entity_id.substr(0, 40) + "'");
  }
  return n;
}

// The doc ids LightRAG may hold for an entity, from its bookkeeping row.
Result<std::vector<std::string>> LoadIds(store::Reader& db, std::int64_t repo,
                                         const std::string& key) {
  auto rows = db.Query(
      "SELECT last_synced_hash FROM storage_sync WHERE repository_id = $3 AND target = 'lightrag' "
      "AND entity_type = $1 AND entity_id = $2",
      {std::string(kLightRagDocsType), key, repo});
  if (!rows) return rows.error();
  if (rows->empty()) return std::vector<std::string>{};
  std::vector<std::string> ids;
  for (auto& id : Split(rows->Text(0, "last_synced_hash").value_or(""), ' ')) {
    if (!id.empty()) ids.push_back(std::move(id));
  }
  return ids;
}

Result<void> SaveIds(store::Tx& db, std::int64_t repo, const std::string& key,
                     const std::vector<std::string>& ids) {
  if (ids.empty()) {
    auto gone = db.Exec(
        "DELETE FROM storage_sync WHERE repository_id = $3 AND target = 'lightrag' AND "
        "entity_type = $1 AND entity_id = $2",
        {std::string(kLightRagDocsType), key, repo});
    if (!gone) return gone.error();
    return Ok();
  }
  auto saved = db.Exec(
      "INSERT INTO storage_sync (target, entity_type, entity_id, repository_id, "
      "last_synced_hash, status, attempts, updated_at) VALUES ('lightrag', $1, $2, $3, $4, 'ok', "
      "0, $5) ON CONFLICT (repository_id, target, entity_type, entity_id) DO UPDATE SET "
      "last_synced_hash = excluded.last_synced_hash, updated_at = excluded.updated_at",
      {std::string(kLightRagDocsType), key, repo, Join(ids, " "), FormatIso8601(db.clock().Now())});
  if (!saved) return saved.error();
  return Ok();
}

std::vector<std::string> Union(const std::vector<std::string>& a,
                               const std::vector<std::string>& b) {
  std::vector<std::string> out = a;
  for (const auto& id : b) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

std::vector<std::string> Minus(const std::vector<std::string>& a,
                               const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& id : a) {
    if (std::find(b.begin(), b.end(), id) == b.end()) out.push_back(id);
  }
  return out;
}

Result<void> DeleteInChunks(const LightRagClient& client, const std::vector<std::string>& ids) {
  for (std::size_t start = 0; start < ids.size(); start += kDeleteChunk) {
    std::vector<std::string> part(
        ids.begin() + static_cast<std::ptrdiff_t>(start),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), start + kDeleteChunk)));
    DOCRUNCH_TRY(client.DeleteDocuments(part));
  }
  return Ok();
}

}  // namespace

// What one entity needs: its documents now and the ids LightRAG may hold.
struct LightRagProjection::Plan {
  std::string key;
  std::vector<std::string> texts, ids, old_ids;
  Result<void> result = Ok();
};

LightRagProjection::LightRagProjection(std::int64_t repository_id, LightRagOptions options)
    : repository_id_(repository_id), options_(std::move(options)), client_(options_.client) {}

Result<std::string> LightRagProjection::TextOf(store::Reader& db, const EntityRef& e) {
  if (e.type == "task") {
    auto id = tasks::ParseTaskId(e.id, "entity id");
    if (!id) return id.error();
    auto report = docs::LoadTaskReport(db, repository_id_, *id);
    if (!report && report.error().code == ErrorCode::kStorageNotFound) return std::string();
    if (!report) return report.error();
    return docs::RenderTaskPage(*report);
  }
  if (e.type == "decision") {
    auto id = DecisionRowId(e.id);
    if (!id) return id.error();
    auto decision = tasks::LoadDecision(db, *id);
    if (!decision && decision.error().code == ErrorCode::kStorageNotFound) return std::string();
    if (!decision) return decision.error();
    return docs::RenderDecisionPage(*decision);
  }
  if (e.type != "file") return std::string();
  auto file = db.Query("SELECT id, language FROM files WHERE repository_id = $1 AND path = $2",
                       {repository_id_, e.id});
  if (!file) return file.error();
  if (file->empty()) return std::string();
  std::string text = "# File " + e.id + " (" + file->Text(0, "language").value_or("") + ")\n";
  auto symbols = db.Query(
      "SELECT kind, qualified_name, signature, docstring FROM symbols WHERE file_id = $1 "
      "ORDER BY id",
      {*file->Int(0, "id")});
  if (!symbols) return symbols.error();
  for (std::size_t i = 0; i < symbols->size(); ++i) {
    text += "\n- " + symbols->Text(i, "kind").value_or("") + " " +
            symbols->Text(i, "qualified_name").value_or("");
    std::string signature = symbols->Text(i, "signature").value_or("");
    std::string doc = symbols->Text(i, "docstring").value_or("");
    if (!signature.empty()) text += ": " + signature;
    if (!doc.empty()) text += "\n  " + doc;
  }
  return text + "\n";
}

Result<std::vector<std::string>> LightRagProjection::DocumentsOf(store::Reader& db,
                                                                 const EntityRef& entity) {
  auto text = TextOf(db, entity);
  if (!text) return text.error();
  std::vector<std::string> docs;
  std::string body = NormalizeText(*text);
  if (body.empty()) return docs;
  auto chunks = ChunkText(body, options_.chunk_size, options_.chunk_overlap);
  for (std::size_t k = 0; k < chunks.size(); ++k) {
    // The header makes every document unique to its entity: two entities
    // with the same text never share (and delete) one LightRAG document.
    docs.push_back(NormalizeText("[docrunch " + entity.type + " " + entity.id + ", part " +
                                 std::to_string(k + 1) + " of " + std::to_string(chunks.size()) +
                                 "]\n" + chunks[k]));
  }
  return docs;
}

Result<void> LightRagProjection::Apply(const store::SyncEvent& event, store::Tx& db) {
  return std::move(ApplyBatch({event}, db).front());
}

Result<void> LightRagProjection::Delete(const EntityRef& entity, store::Tx& db) {
  store::SyncEvent e;
  e.entity_type = entity.type;
  e.entity_id = entity.id;
  e.action = "delete";
  return std::move(ApplyBatch({e}, db).front());
}

std::vector<Result<void>> LightRagProjection::ApplyBatch(
    const std::vector<store::SyncEvent>& events, store::Tx& db) {
  std::vector<Plan> plans(events.size());
  // 1. What each entity needs, and the ids known before any request.
  for (std::size_t i = 0; i < events.size(); ++i) {
    Plan& p = plans[i];
    EntityRef entity{events[i].entity_type, events[i].entity_id};
    p.key = BookKey(entity);
    if (events[i].action != "delete") {
      auto docs = DocumentsOf(db, entity);
      if (!docs) {
        p.result = docs.error();
        continue;
      }
      p.texts = std::move(*docs);
      for (const auto& t : p.texts) p.ids.push_back(DocumentId(t));
    }
    auto old_ids = LoadIds(db, repository_id_, p.key);
    if (!old_ids) {
      p.result = old_ids.error();
      continue;
    }
    p.old_ids = std::move(*old_ids);
    auto known = Union(p.old_ids, p.ids);
    if (known != p.old_ids) p.result = SaveIds(db, repository_id_, p.key, known);
  }
  // 2. Insert the new documents.
  for (Plan& p : plans) {
    if (!p.result) continue;
    // Every document, also those recorded before: an earlier attempt may
    // have recorded an id whose insert then failed ("duplicated" is fine).
    for (std::size_t k = 0; k < p.texts.size() && p.result; ++k) {
      auto inserted =
          client_.InsertText(p.texts[k], "docrunch:" + p.key + "#" + std::to_string(k + 1) + ":" +
                                             p.ids[k].substr(4, 12));
      if (!inserted) p.result = inserted.error();
    }
  }
  // 3. Delete what no entity of the batch needs any more, in one go.
  std::vector<std::string> stale;
  for (const Plan& p : plans) {
    if (!p.result) continue;
    for (auto& id : Minus(p.old_ids, p.ids)) stale.push_back(std::move(id));
  }
  Result<void> deleted = DeleteInChunks(client_, stale);
  // 4. Record what LightRAG now holds.
  std::vector<Result<void>> results;
  for (Plan& p : plans) {
    if (p.result && !Minus(p.old_ids, p.ids).empty() && !deleted) p.result = deleted;
    if (p.result) p.result = SaveIds(db, repository_id_, p.key, p.ids);
    results.push_back(std::move(p.result));
  }
  return results;
}

ProjectionHealth LightRagProjection::Health() {
  auto health = client_.Health();
  if (!health) return {false, health.error().message};
  return {true, client_.base_url()};
}

Result<void> LightRagProjection::Rebuild(store::Tx& db) {
  std::vector<EntityRef> entities;
  auto files =
      db.Query("SELECT path FROM files WHERE repository_id = $1 ORDER BY path", {repository_id_});
  if (!files) return files.error();
  for (std::size_t i = 0; i < files->size(); ++i)
    entities.push_back({"file", *files->Text(i, "path")});
  auto tasks =
      db.Query("SELECT id FROM tasks WHERE repository_id = $1 ORDER BY id", {repository_id_});
  if (!tasks) return tasks.error();
  for (std::size_t i = 0; i < tasks->size(); ++i) {
    entities.push_back({"task", tasks::TaskIdText(*tasks->Int(i, "id"))});
  }
  auto decisions =
      db.Query("SELECT id FROM decisions WHERE repository_id = $1 ORDER BY id", {repository_id_});
  if (!decisions) return decisions.error();
  for (std::size_t i = 0; i < decisions->size(); ++i) {
    entities.push_back({"decision", "decision-" + std::to_string(*decisions->Int(i, "id"))});
  }
  // Entities with recorded documents; those gone from the database lose them.
  auto books = db.Query(
      "SELECT entity_id, last_synced_hash FROM storage_sync WHERE target = 'lightrag' AND "
      "entity_type = $1 AND repository_id = $2",
      {std::string(kLightRagDocsType), repository_id_});
  if (!books) return books.error();
  std::set<std::string> recorded_keys;
  for (std::size_t i = 0; i < books->size(); ++i)
    recorded_keys.insert(*books->Text(i, "entity_id"));
  std::vector<store::SyncEvent> events;
  for (const auto& e : entities) {
    store::SyncEvent event;
    event.entity_type = e.type;
    event.entity_id = e.id;
    event.action = "upsert";
    events.push_back(std::move(event));
    recorded_keys.erase(BookKey(e));
  }
  // Entities gone from the database: their documents go too.
  for (const auto& key : recorded_keys) {
    auto colon = key.find(':');
    store::SyncEvent event;
    event.entity_type = key.substr(0, colon);
    event.entity_id = colon == std::string::npos ? "" : key.substr(colon + 1);
    event.action = "delete";
    events.push_back(std::move(event));
  }
  for (const auto& r : ApplyBatch(events, db)) {
    if (!r) return r.error();
  }
  return Ok();
}

}  // namespace docrunch::sync
