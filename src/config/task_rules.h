// Task templates (.docrunch/task_templates.yaml) and review rules
// (.docrunch/review_rules.yaml), validated like config.yaml: every problem
// is reported as file:line:column + key path + message, unknown keys with a
// "did you mean" hint. A file that does not exist means the built-in
// defaults (the same text `docrunch init` writes).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/loader.h"
#include "core/result.h"

namespace docrunch::config {

// How a completed task is reviewed: auto (the auto_approve rules decide),
// by a manager (agent or person: `task approve`), or by a human.
enum class ReviewMode { kAuto, kManager, kHuman };

std::string_view ReviewModeName(ReviewMode mode);
std::optional<ReviewMode> ParseReviewMode(std::string_view name);

struct TaskTypeTemplate {
  std::string description;
  std::vector<std::string> guardrails;
  std::vector<std::string> acceptance_criteria;
  ReviewMode review_mode = ReviewMode::kManager;
};

struct AutoApproveRules {
  bool tests_passed = true;                     // a completion must report tests_passed: true
  int files_changed_max = 10;                   // at most this many entries in `changes`
  std::vector<std::string> forbidden_patterns;  // case-insensitive substrings
  std::vector<std::string> never_for_types{"security"};
};

struct ReviewRules {
  ReviewMode default_mode = ReviewMode::kManager;
  std::map<std::string, ReviewMode> by_priority;  // low|medium|high|critical
  std::map<std::string, ReviewMode> by_type;      // a task type of the templates
  AutoApproveRules auto_approve;
};

struct TaskRules {
  std::map<std::string, TaskTypeTemplate> types;  // by type name
  ReviewRules review;
};

// The task priorities, lowest first.
const std::vector<std::string>& TaskPriorities();

// One file's name (as shown in messages) and text; empty text with
// `exists` false means the built-in default is used.
struct RulesFile {
  std::string name;
  std::string text;
  bool exists = true;
};

// Validates both files; fills `out` and returns the issues (empty: valid).
// Review rules are checked against the task types the templates define
// (by_type and never_for_types must name one).
std::vector<ConfigIssue> ValidateTaskRules(const RulesFile& templates, const RulesFile& rules,
                                           TaskRules& out);

// Reads `config_dir`/task_templates.yaml and review_rules.yaml (missing
// files: built-in defaults). CONFIG_INVALID lists every problem.
Result<TaskRules> LoadTaskRules(const std::filesystem::path& config_dir);

// The built-in rules (what `docrunch init` writes).
TaskRules DefaultTaskRules();

}  // namespace docrunch::config
