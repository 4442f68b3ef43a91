// The one transition table of the task pipeline.
//
// Every status change the service makes is an (action, from, to) row of
// this table; anything else is TASK_INVALID_TRANSITION naming the current
// and the requested status. The table is data, so docs/tasks.md, the CLI
// help and the tests read the same rows the service enforces.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "tasks/task.h"

namespace docrunch::tasks {

enum class TaskAction {
  kReady,        // backlog -> todo (admin)
  kShelve,       // todo -> backlog (admin)
  kAssign,       // todo|assigned -> assigned (admin: reserve for an agent)
  kClaim,        // todo -> working, assigned -> working (the assignee)
  kRelease,      // assigned -> todo (admin: unassign)
  kExpire,       // assigned|working -> todo (no report for tasks.claim_ttl)
  kComplete,     // working -> review (submit_completion)
  kAutoApprove,  // review -> approved (review rules allowed it)
  kApprove,      // review -> approved (manager or human)
  kReject,       // review -> rejected
  kReopen,       // rejected -> todo
  kFinish,       // approved -> done
  kBlock,        // backlog|todo|assigned|working|review -> blocked
  kUnblock,      // blocked -> the status it had before the block
};

std::string_view TaskActionName(TaskAction action);  // "claim", "complete", ...

struct Transition {
  TaskAction action;
  TaskStatus from;
  TaskStatus to;
};

std::span<const Transition> TransitionTable();

// True when (action, from, to) is a row of the table.
bool IsAllowed(TaskAction action, TaskStatus from, TaskStatus to);

// The statuses `action` may lead to from `from` (empty: not allowed there).
std::vector<TaskStatus> TargetsOf(TaskAction action, TaskStatus from);

// TASK_INVALID_TRANSITION: "cannot claim task-3: its status is done, and
// claim moves todo -> working, assigned -> working".
Error InvalidTransition(std::int64_t task_id, TaskAction action, TaskStatus current,
                        TaskStatus requested);

// OK, or InvalidTransition(...).
Result<void> CheckTransition(std::int64_t task_id, TaskAction action, TaskStatus from,
                             TaskStatus to);

}  // namespace docrunch::tasks
