// Internal to src/tasks: the write helpers every task operation shares, so
// each change writes its task_history row and its outbox event the same way.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "tasks/task.h"

namespace docrunch::tasks::internal {

// Outbox priority of task and report events: above scan events (0), so the
// sync worker publishes reports first (PRODUCT §10).
constexpr int kReportEventPriority = 10;

struct Change {
  std::string column;  // a column name from code, never from input
  store::Value value;
};

// UPDATE tasks SET status = to, updated_at = now, <changes> WHERE the task
// is `task` and its status is still `from` [AND extra_condition]. Returns
// the changed-row count: 0 means someone else moved the task first.
// `extra_condition` uses parameters after the built-in ones: write $E1, $E2
// and they are renumbered.
Result<std::int64_t> UpdateTaskIf(store::Tx& tx, const Task& task, TaskStatus from, TaskStatus to,
                                  const std::vector<Change>& changes,
                                  const std::string& extra_condition = "",
                                  const store::Params& extra_params = {});

// Appends a task_history row and emits the task's outbox event.
Result<void> RecordTaskChange(store::Tx& tx, const Task& task, const std::string& action,
                              const std::string& agent, const nlohmann::json& details);

// Emits the outbox event of a decision row.
Result<void> EmitDecisionEvent(store::Tx& tx, std::int64_t repository_id,
                               std::int64_t decision_row_id, const std::string& content);

// A stable 64-bit FNV-1a hash as 16 hex digits.
std::string ContentHash(std::string_view content);

std::string JsonList(const std::vector<std::string>& items);
std::string JsonIdList(const std::vector<std::int64_t>& ids);

}  // namespace docrunch::tasks::internal
