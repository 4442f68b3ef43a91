// The task of the Kanban pipeline (PRODUCT §8) as the service layer sees it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/task_rules.h"
#include "core/result.h"

namespace docrunch::tasks {

enum class TaskStatus {
  kBacklog,
  kTodo,
  kAssigned,
  kWorking,
  kReview,
  kApproved,
  kRejected,
  kDone,
  kBlocked,
};

// "backlog", "todo", ... as stored and shown.
std::string_view TaskStatusName(TaskStatus status);
std::optional<TaskStatus> ParseTaskStatus(std::string_view name);
const std::vector<std::string>& TaskStatusNames();

// A task's public id is "task-<n>" (n = the row id, 1..10^15). Nothing else
// is accepted where a task id is expected, so an id can safely become part
// of a file name (tasks/task-42.md) or a URL.
std::string TaskIdText(std::int64_t id);
// Accepts "task-42" (and, for typing convenience on the CLI, "42").
// INVALID_PARAMS naming `field` otherwise, e.g. for "../x" or "task-0".
Result<std::int64_t> ParseTaskId(std::string_view text, std::string_view field = "task_id");

struct Task {
  std::int64_t id = 0;
  std::int64_t repository_id = 0;
  std::string type;
  std::string title;
  std::string description;
  TaskStatus status = TaskStatus::kTodo;
  std::string priority = "medium";
  std::optional<std::string> assigned_to;
  std::vector<std::int64_t> depends_on;  // ids of tasks this one waits for
  std::vector<std::int64_t> blocks;      // ids of tasks waiting for this one
  std::vector<std::string> guardrails;
  std::vector<std::string> acceptance_criteria;
  config::ReviewMode review_mode = config::ReviewMode::kManager;
  int progress = 0;
  std::string status_note;  // the last update_progress status line
  std::optional<TaskStatus> status_before_block;
  std::string created_by;
  // ISO-8601 UTC as received/assigned by the server; "" when unset.
  std::string created_at, started_at, completed_at, claimed_at, last_report_at, updated_at;

  std::string IdText() const { return TaskIdText(id); }
};

}  // namespace docrunch::tasks
