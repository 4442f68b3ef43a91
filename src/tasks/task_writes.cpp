#include "tasks/task_writes.h"

#include <cstdio>

#include "tasks/records.h"

namespace docrunch::tasks::internal {
namespace {

// The content of a task that its projections show; its hash goes into the
// outbox event so an unchanged task is skipped by the sync worker.
std::string TaskContent(const Task& t) {
  nlohmann::json j{{"status", TaskStatusName(t.status)},
                   {"title", t.title},
                   {"description", t.description},
                   {"priority", t.priority},
                   {"assigned_to", t.assigned_to.value_or("")},
                   {"progress", t.progress},
                   {"depends_on", t.depends_on},
                   {"updated_at", t.updated_at}};
  return j.dump();
}

}  // namespace

std::string ContentHash(std::string_view content) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : content) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string JsonList(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump();
}

std::string JsonIdList(const std::vector<std::int64_t>& ids) {
  return nlohmann::json(ids).dump();
}

Result<std::int64_t> UpdateTaskIf(store::Tx& tx, const Task& task, TaskStatus from, TaskStatus to,
                                  const std::vector<Change>& changes,
                                  const std::string& extra_condition,
                                  const store::Params& extra_params) {
  store::Params params{std::string(TaskStatusName(to)), FormatIso8601(tx.clock().Now())};
  std::string sql = "UPDATE tasks SET status = $1, updated_at = $2";
  for (const auto& change : changes) {
    params.push_back(change.value);
    sql += ", " + change.column + " = $" + std::to_string(params.size());
  }
  params.push_back(task.id);
  sql += " WHERE id = $" + std::to_string(params.size());
  params.push_back(task.repository_id);
  sql += " AND repository_id = $" + std::to_string(params.size());
  params.push_back(std::string(TaskStatusName(from)));
  sql += " AND status = $" + std::to_string(params.size());
  if (!extra_condition.empty()) {
    std::string condition = extra_condition;
    for (std::size_t i = extra_params.size(); i >= 1; --i) {
      std::string from_text = "$E" + std::to_string(i);
      std::string to_text = "$" + std::to_string(params.size() + i);
      for (auto pos = condition.find(from_text); pos != std::string::npos;
           pos = condition.find(from_text)) {
        condition.replace(pos, from_text.size(), to_text);
      }
    }
    params.insert(params.end(), extra_params.begin(), extra_params.end());
    sql += " AND (" + condition + ")";
  }
  return tx.Exec(sql, params);
}

Result<void> RecordTaskChange(store::Tx& tx, const Task& task, const std::string& action,
                              const std::string& agent, const nlohmann::json& details) {
  auto inserted = tx.Exec(
      "INSERT INTO task_history (repository_id, task_id, action, agent, details, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {task.repository_id, task.id, action, agent.empty() ? store::Value{} : store::Value{agent},
       details.dump(), FormatIso8601(tx.clock().Now())});
  if (!inserted) return inserted.error();
  auto now = LoadTask(tx, task.repository_id, task.id);
  if (!now) return now.error();
  store::SyncEvent event;
  event.repository_id = task.repository_id;
  event.entity_type = "task";
  event.entity_id = task.IdText();
  event.content_hash = ContentHash(TaskContent(*now));
  event.action = "upsert";
  event.priority = kReportEventPriority;
  auto emitted = tx.EmitSyncEvent(event);
  if (!emitted) return emitted.error();
  return Ok();
}

Result<void> EmitDecisionEvent(store::Tx& tx, std::int64_t repository_id,
                               std::int64_t decision_row_id, const std::string& content) {
  store::SyncEvent event;
  event.repository_id = repository_id;
  event.entity_type = "decision";
  event.entity_id = "decision-" + std::to_string(decision_row_id);
  event.content_hash = ContentHash(content);
  event.action = "upsert";
  event.priority = kReportEventPriority;
  auto emitted = tx.EmitSyncEvent(event);
  if (!emitted) return emitted.error();
  return Ok();
}

}  // namespace docrunch::tasks::internal
