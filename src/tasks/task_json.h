// Stable JSON forms of tasks and reports, shared by `task ... --json`, the
// MCP tools and the REST API. Ids are the public ones (task-12, adr-003,
// finding-4); times are ISO-8601 UTC strings, null when unset.
#pragma once

#include <nlohmann/json.hpp>

#include "tasks/task_service.h"

namespace docrunch::tasks {

nlohmann::json ToJson(const Task& task);
nlohmann::json ToJson(const TaskDetails& details);
nlohmann::json ToJson(const CompletionRecord& report);
nlohmann::json ToJson(const FindingRecord& finding);
nlohmann::json ToJson(const DecisionRecord& decision);
nlohmann::json ToJson(const BlockerRecord& blocker);
nlohmann::json ToJson(const CompletionOutcome& outcome);

}  // namespace docrunch::tasks
