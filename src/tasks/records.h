// Reading tasks and their reports back from the store. Every reader takes a
// store::Reader, so it runs both inside a Tx (seeing the Tx's writes) and
// outside one. Rows belong to one repository; a task id of another
// repository is "not found".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "tasks/task.h"

namespace docrunch::tasks {

struct HistoryEntry {
  std::int64_t id = 0;
  std::string action;   // "created", "claimed", "progress", "completed", ...
  std::string agent;    // who did it ("" for the server itself, e.g. claim expiry)
  std::string details;  // JSON object text
  std::string created_at;
};

struct CompletionRecord {
  std::int64_t id = 0;
  std::int64_t task_id = 0;
  std::string agent;
  std::string summary;
  std::vector<std::string> changes;
  bool tests_passed = false;
  std::string notes;
  std::string review;                       // "auto_approved" or "review" (waiting for a reviewer)
  std::vector<std::string> review_reasons;  // why it was not auto-approved
  std::string reported_at;                  // the agent's time
  std::string created_at;                   // the server's time of receipt
};

struct FindingRecord {
  std::int64_t id = 0;
  std::optional<std::int64_t> task_id;
  std::string type;
  std::string description;
  std::vector<std::string> files;
  std::string agent;
  std::string reported_at;
  std::string created_at;
  std::string IdText() const { return "finding-" + std::to_string(id); }
};

struct DecisionRecord {
  std::int64_t id = 0;
  int number = 0;  // adr-NNN, numbered per repository from 1
  std::optional<std::int64_t> task_id;
  std::string title;
  std::string context;
  std::string decision;
  std::string rationale;
  std::string status;  // "accepted"
  std::string agent;
  std::string reported_at;
  std::string created_at;
  std::string IdText() const;  // "adr-007"
};

struct BlockerRecord {
  std::int64_t id = 0;
  std::int64_t task_id = 0;
  std::string description;
  std::string needs;
  std::string agent;
  std::string reported_at;
  std::string created_at;
  std::string resolution;
  std::string resolved_by;
  std::string resolved_at;  // "" while open
};

// "adr-007" for 7 (at least three digits).
std::string DecisionIdText(int number);
// Parses "adr-7" / "adr-007"; INVALID_PARAMS naming `field` otherwise.
Result<int> ParseDecisionId(std::string_view text, std::string_view field = "decision_id");

// STORAGE_NOT_FOUND "task task-9 not found" when absent.
Result<Task> LoadTask(store::Reader& db, std::int64_t repository_id, std::int64_t id);

struct TaskFilter {
  std::optional<TaskStatus> status;
  std::optional<std::string> assigned_to;
  std::optional<std::string> type;
  std::optional<std::string> priority;
  // A page of the ordered list: with a `limit`, skip `offset` tasks and
  // return at most `limit` (without one, all; offset is ignored). Done in
  // SQL, so a page costs its size, not the number of tasks.
  std::size_t offset = 0;
  std::optional<std::size_t> limit;
};
// Ordered by id.
Result<std::vector<Task>> ListTasks(store::Reader& db, std::int64_t repository_id,
                                    const TaskFilter& filter);

Result<std::vector<HistoryEntry>> LoadHistory(store::Reader& db, std::int64_t task_id);
Result<std::vector<CompletionRecord>> LoadCompletions(store::Reader& db, std::int64_t task_id);
Result<std::vector<FindingRecord>> LoadFindings(store::Reader& db, std::int64_t task_id);
// Every finding of a repository, oldest first.
Result<std::vector<FindingRecord>> LoadRepositoryFindings(store::Reader& db,
                                                          std::int64_t repository_id);
// Decisions of one task, or (task_id nullopt) of the whole repository.
Result<std::vector<DecisionRecord>> LoadDecisions(store::Reader& db, std::int64_t repository_id,
                                                  std::optional<std::int64_t> task_id);
// By row id; STORAGE_NOT_FOUND when absent.
Result<DecisionRecord> LoadDecision(store::Reader& db, std::int64_t decision_row_id);
// By row ids, 500 to a query; ids without a row are left out, the rest
// come in no particular order.
Result<std::vector<DecisionRecord>> LoadDecisionsById(store::Reader& db,
                                                      const std::vector<std::int64_t>& row_ids);
Result<std::vector<BlockerRecord>> LoadBlockers(store::Reader& db, std::int64_t task_id);

}  // namespace docrunch::tasks
