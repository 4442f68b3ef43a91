// The outbox events with their state, and where one entity lives
// (dataflow.h).
#include <algorithm>
#include <charconv>
#include <map>

#include "store/pending_events.h"
#include "sync/dataflow.h"

namespace docrunch::sync {
namespace {

using nlohmann::json;

// An EXISTS over the entity's storage_sync rows in `state`; `target` is
// the placeholder of a target filter, or "".
std::string TargetRowIn(const std::string& state, const std::string& target) {
  return "EXISTS (SELECT 1 FROM storage_sync s WHERE s.repository_id = e.repository_id AND "
         "s.entity_type = e.entity_type AND s.entity_id = e.entity_id AND s.status = '" +
         state + "'" + (target.empty() ? "" : " AND s.target = " + target) + ")";
}

std::optional<std::int64_t> Number(std::string_view digits) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || n < 0) {
    return std::nullopt;
  }
  return n;
}

bool StartsWith(const std::string& text, const char* prefix) {
  return text.rfind(prefix, 0) == 0;
}

json TextOrNull(const std::optional<std::string>& v) {
  return v ? json(*v) : json(nullptr);
}

// The source row of an entity: {table, exists} plus its own hash when it
// keeps one (files).
Result<json> SourceRow(store::Reader& db, std::int64_t repo, const EntityKey& e) {
  std::string table, sql;
  store::Params params{repo};
  if (e.type == "file") {
    table = "files";
    sql = "SELECT content_hash FROM files WHERE repository_id = $1 AND path = $2";
    params.push_back(e.id);
  } else if (e.type == "task" || e.type == "decision") {
    table = e.type == "task" ? "tasks" : "decisions";
    auto n = Number(e.id.substr(e.id.find('-') + 1));
    sql = "SELECT '' AS content_hash FROM " + table + " WHERE repository_id = $1 AND id = $2";
    params.push_back(n.value_or(-1));
  } else if (e.type == "relationships") {
    table = "relationships";
    sql = "SELECT '' AS content_hash FROM relationships WHERE repository_id = $1 LIMIT 1";
  } else {
    table = "repositories";
    sql = "SELECT root_path AS content_hash FROM repositories WHERE id = $1";
  }
  auto rows = db.Query(sql, params);
  if (!rows) return rows.error();
  json source{{"table", table}, {"exists", !rows->empty()}, {"content_hash", nullptr}};
  if (e.type == "file" && !rows->empty())
    source["content_hash"] = TextOrNull(rows->Text(0, "content_hash"));
  return source;
}

}  // namespace

json ToJson(const OutboxEvent& e) {
  return {{"id", e.id},
          {"entity_type", e.entity_type},
          {"entity_id", e.entity_id},
          {"content_hash", e.content_hash},
          {"action", e.action},
          {"priority", e.priority},
          {"created_at", e.created_at},
          {"processed_at", e.processed_at.empty() ? json(nullptr) : json(e.processed_at)},
          {"status", e.status},
          {"targets", [&] {
             json targets = json::array();
             for (const auto& t : e.targets) {
               targets.push_back(
                   {{"target", t.target},
                    {"status", t.status},
                    {"attempts", t.attempts},
                    {"last_error", t.last_error.empty() ? json(nullptr) : json(t.last_error)},
                    {"next_attempt_at",
                     t.next_attempt_at.empty() ? json(nullptr) : json(t.next_attempt_at)}});
             }
             return targets;
           }()}};
}

namespace {

// The storage_sync rows behind the listed events that are not processed,
// in one query for the page: why each is pending, failed or dead.
Result<void> AddTargetTrouble(store::Reader& db, std::int64_t repo, const std::string& target,
                              std::vector<OutboxEvent>& events) {
  std::map<std::pair<std::string, std::string>, std::vector<OutboxEvent*>> unsettled;
  for (auto& e : events) {
    if (e.status != "processed") unsettled[{e.entity_type, e.entity_id}].push_back(&e);
  }
  if (unsettled.empty()) return Ok();
  store::Params params{repo};
  std::string keys;
  for (const auto& [key, list] : unsettled) {
    params.push_back(key.first);
    params.push_back(key.second);
    keys += std::string(keys.empty() ? "" : " OR ") + "(entity_type = $" +
            std::to_string(params.size() - 1) + " AND entity_id = $" +
            std::to_string(params.size()) + ")";
  }
  std::string sql =
      "SELECT target, entity_type, entity_id, status, attempts, last_error, next_attempt_at "
      "FROM storage_sync WHERE repository_id = $1 AND status IN ('pending', 'failed', "
      "'dead_letter') AND (" +
      keys + ")";
  if (!target.empty()) {
    params.push_back(target);
    sql += " AND target = $" + std::to_string(params.size());
  }
  auto rows = db.Query(sql + " ORDER BY target", params);
  if (!rows) return rows.error();
  for (std::size_t i = 0; i < rows->size(); ++i) {
    auto found = unsettled.find(
        {rows->Text(i, "entity_type").value_or(""), rows->Text(i, "entity_id").value_or("")});
    if (found == unsettled.end()) continue;
    TargetTrouble t{rows->Text(i, "target").value_or(""), rows->Text(i, "status").value_or(""),
                    static_cast<int>(rows->Int(i, "attempts").value_or(0)),
                    rows->Text(i, "last_error").value_or(""),
                    rows->Text(i, "next_attempt_at").value_or("")};
    // Only the entity's latest event is judged by these rows (older ones
    // are processed), and a pending one is also waiting for a worker.
    for (OutboxEvent* e : found->second) e->targets.push_back(t);
  }
  return Ok();
}

}  // namespace

Result<std::vector<OutboxEvent>> ListEvents(store::Reader& db, std::int64_t repo,
                                            const EventFilter& f) {
  store::Params params{repo};
  auto bind = [&](const std::string& value) {
    params.push_back(value);
    return "$" + std::to_string(params.size());
  };
  const std::string target = f.target.empty() ? "" : bind(f.target);
  std::string where = "e.repository_id = $1";
  if (!f.entity_type.empty()) where += " AND e.entity_type = " + bind(f.entity_type);
  if (!f.entity_id.empty()) where += " AND e.entity_id = " + bind(f.entity_id);
  std::string sql =
      "SELECT * FROM (SELECT e.id, e.entity_type, e.entity_id, e.content_hash, e.action, "
      "e.priority, e.created_at, " +
      store::ProcessedAt("e") + " AS processed_at, CASE WHEN " + store::IsPending("e") +
      " THEN 'pending' "
      "WHEN e.id < (SELECT MAX(y.id) FROM sync_events y WHERE y.repository_id = e.repository_id "
      "AND y.entity_type = e.entity_type AND y.entity_id = e.entity_id) THEN 'processed' WHEN " +
      TargetRowIn("dead_letter", target) + " THEN 'dead_letter' WHEN " +
      TargetRowIn("failed", target) + " THEN 'failed' WHEN " + TargetRowIn("pending", target) +
      " THEN 'pending' ELSE 'processed' END AS status FROM sync_events e WHERE " + where + ") x";
  if (!f.status.empty()) sql += " WHERE x.status = " + bind(f.status);
  sql += " ORDER BY x.id DESC LIMIT " + std::to_string(f.limit + 1) + " OFFSET " +
         std::to_string(f.offset);
  auto rows = db.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<OutboxEvent> out;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    out.push_back({rows->Int(i, "id").value_or(0), rows->Text(i, "entity_type").value_or(""),
                   rows->Text(i, "entity_id").value_or(""),
                   rows->Text(i, "content_hash").value_or(""), rows->Text(i, "action").value_or(""),
                   static_cast<int>(rows->Int(i, "priority").value_or(0)),
                   rows->Text(i, "created_at").value_or(""),
                   rows->Text(i, "processed_at").value_or(""),
                   rows->Text(i, "status").value_or("")});
  }
  DOCRUNCH_TRY(AddTargetTrouble(db, repo, f.target, out));
  return out;
}

Result<EntityKey> ResolveEntity(store::Reader& db, std::int64_t repo, const std::string& id,
                                const std::string& type) {
  static const std::vector<std::string> kTypes{"file", "task", "decision", "relationships",
                                               "repository"};
  if (!type.empty() && std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
    return MakeError(ErrorCode::kUsage,
                     "type: must be file, task, decision, relationships or repository");
  }
  EntityKey key{type, id};
  if (key.type.empty()) {
    if (StartsWith(id, "task-") && Number(id.substr(5))) {
      key.type = "task";
    } else if ((StartsWith(id, "adr-") && Number(id.substr(4))) ||
               (StartsWith(id, "decision-") && Number(id.substr(9)))) {
      key.type = "decision";
    } else {
      key.type = "file";
    }
  }
  if (key.type == "decision" && StartsWith(id, "adr-")) {
    // The outbox names a decision by its row id; a client by its number.
    auto number = Number(id.substr(4));
    if (!number) return MakeError(ErrorCode::kUsage, "id: adr-N with N a number");
    auto rows = db.Query("SELECT id FROM decisions WHERE repository_id = $1 AND number = $2",
                         {repo, *number});
    if (!rows) return rows.error();
    if (rows->empty())
      return MakeError(ErrorCode::kStorageNotFound, "decision " + id + " not found");
    key.id = "decision-" + std::to_string(*rows->Int(0, "id"));
  }
  auto events = db.Query(
      "SELECT 1 AS x FROM sync_events WHERE repository_id = $1 AND entity_type = $2 AND "
      "entity_id = $3 LIMIT 1",
      {repo, key.type, key.id});
  if (!events) return events.error();
  if (!events->empty()) return key;
  auto source = SourceRow(db, repo, key);
  if (!source) return source.error();
  if (!(*source)["exists"].get<bool>()) {
    return MakeError(ErrorCode::kStorageNotFound,
                     key.type + " " + id.substr(0, 200) + " not found in the outbox or its table");
  }
  return key;
}

Result<json> LocateEntity(store::Reader& db, std::int64_t repo, const EntityKey& entity,
                          const std::vector<std::string>& targets) {
  auto source = SourceRow(db, repo, entity);
  if (!source) return source.error();
  auto latest = db.Query(
      "SELECT e.id, e.content_hash, e.action, e.created_at, " + store::ProcessedAt("e") +
          " AS processed_at FROM sync_events e WHERE e.repository_id = $1 AND e.entity_type = $2 "
          "AND e.entity_id = $3 ORDER BY e.id DESC LIMIT 1",
      {repo, entity.type, entity.id});
  if (!latest) return latest.error();
  json event = nullptr;
  std::optional<std::string> current;  // the source's current hash
  if (!latest->empty()) {
    current = latest->Text(0, "content_hash").value_or("");
    event = {{"id", latest->Int(0, "id").value_or(0)},
             {"action", latest->Text(0, "action").value_or("")},
             {"content_hash", *current},
             {"created_at", latest->Text(0, "created_at").value_or("")},
             {"processed_at", TextOrNull(latest->Text(0, "processed_at"))}};
  }
  if ((*source)["content_hash"].is_string()) {
    current = (*source)["content_hash"].get<std::string>();
  } else if (current && (*source)["exists"].get<bool>()) {
    (*source)["content_hash"] = *current;
  }
  auto rows = db.Query(
      "SELECT target, last_synced_hash, status, attempts, last_error, next_attempt_at, "
      "updated_at FROM storage_sync WHERE repository_id = $1 AND entity_type = $2 AND "
      "entity_id = $3",
      {repo, entity.type, entity.id});
  if (!rows) return rows.error();
  json copies = json::array();
  for (const auto& target : targets) {
    json copy{{"target", target},      {"status", "missing"},   {"last_synced_hash", nullptr},
              {"attempts", 0},         {"last_error", nullptr}, {"next_attempt_at", nullptr},
              {"updated_at", nullptr}, {"current", false}};
    for (std::size_t i = 0; i < rows->size(); ++i) {
      if (rows->Text(i, "target") != target) continue;
      auto synced = rows->Text(i, "last_synced_hash");
      std::string status = rows->Text(i, "status").value_or("");
      copy["status"] = status;
      copy["last_synced_hash"] = TextOrNull(synced);
      copy["attempts"] = rows->Int(i, "attempts").value_or(0);
      copy["last_error"] = TextOrNull(rows->Text(i, "last_error"));
      copy["next_attempt_at"] = TextOrNull(rows->Text(i, "next_attempt_at"));
      copy["updated_at"] = TextOrNull(rows->Text(i, "updated_at"));
      copy["current"] = status == "ok" && current && synced.value_or("") == *current;
    }
    copies.push_back(std::move(copy));
  }
  return json{{"entity", {{"type", entity.type}, {"id", entity.id}}},
              {"source", std::move(*source)},
              {"latest_event", std::move(event)},
              {"targets", std::move(copies)}};
}

}  // namespace docrunch::sync
