// Which review a task gets, and whether a completion may skip it.
#pragma once

#include <string>
#include <vector>

#include "config/task_rules.h"
#include "tasks/reports.h"

namespace docrunch::tasks {

// The review mode of a new task: the strictest (human > manager > auto) of
// the template's review_mode, review_rules by_type[type] and
// by_priority[priority]; default_mode when none of these is set. Types in
// auto_approve.never_for_types, and security always, are never auto: they
// get manager review at least.
config::ReviewMode ReviewModeFor(const config::TaskRules& rules, const std::string& type,
                                 const std::string& priority);

struct AutoApproval {
  bool approved = false;
  std::vector<std::string> reasons;  // why not, one line each ("tests_passed is false")
};

// Auto-approval of a completion of a task with `mode`: only in auto mode,
// never for security (or never_for_types) tasks, and only when every
// auto_approve rule holds: tests_passed (when required), at most
// files_changed_max changes, and no forbidden pattern (case-insensitive)
// in the summary, notes or changed paths.
AutoApproval DecideAutoApproval(const config::TaskRules& rules, config::ReviewMode mode,
                                const std::string& type, const CompletionReport& completion);

}  // namespace docrunch::tasks
