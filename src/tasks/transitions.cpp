#include "tasks/transitions.h"

#include <array>

#include "core/text.h"

namespace docrunch::tasks {
namespace {

using A = TaskAction;
using S = TaskStatus;

// Every allowed status change. Keep docs/tasks.md in step.
constexpr std::array kTable = {
    Transition{A::kReady, S::kBacklog, S::kTodo},
    Transition{A::kShelve, S::kTodo, S::kBacklog},
    Transition{A::kAssign, S::kTodo, S::kAssigned},
    Transition{A::kAssign, S::kAssigned, S::kAssigned},
    Transition{A::kClaim, S::kTodo, S::kWorking},
    Transition{A::kClaim, S::kAssigned, S::kWorking},
    Transition{A::kRelease, S::kAssigned, S::kTodo},
    Transition{A::kExpire, S::kAssigned, S::kTodo},
    Transition{A::kExpire, S::kWorking, S::kTodo},
    Transition{A::kComplete, S::kWorking, S::kReview},
    Transition{A::kAutoApprove, S::kReview, S::kApproved},
    Transition{A::kApprove, S::kReview, S::kApproved},
    Transition{A::kReject, S::kReview, S::kRejected},
    Transition{A::kReopen, S::kRejected, S::kTodo},
    Transition{A::kFinish, S::kApproved, S::kDone},
    Transition{A::kBlock, S::kBacklog, S::kBlocked},
    Transition{A::kBlock, S::kTodo, S::kBlocked},
    Transition{A::kBlock, S::kAssigned, S::kBlocked},
    Transition{A::kBlock, S::kWorking, S::kBlocked},
    Transition{A::kBlock, S::kReview, S::kBlocked},
    Transition{A::kUnblock, S::kBlocked, S::kBacklog},
    Transition{A::kUnblock, S::kBlocked, S::kTodo},
    Transition{A::kUnblock, S::kBlocked, S::kAssigned},
    Transition{A::kUnblock, S::kBlocked, S::kWorking},
    Transition{A::kUnblock, S::kBlocked, S::kReview},
};

constexpr std::array<std::string_view, 14> kActionNames{
    "ready",        "shelve",  "assign", "claim",  "release", "expire", "complete",
    "auto_approve", "approve", "reject", "reopen", "finish",  "block",  "unblock"};

}  // namespace

std::string_view TaskActionName(TaskAction action) {
  return kActionNames[static_cast<std::size_t>(action)];
}

std::span<const Transition> TransitionTable() {
  return kTable;
}

bool IsAllowed(TaskAction action, TaskStatus from, TaskStatus to) {
  for (const auto& t : kTable) {
    if (t.action == action && t.from == from && t.to == to) return true;
  }
  return false;
}

std::vector<TaskStatus> TargetsOf(TaskAction action, TaskStatus from) {
  std::vector<TaskStatus> out;
  for (const auto& t : kTable) {
    if (t.action == action && t.from == from) out.push_back(t.to);
  }
  return out;
}

Error InvalidTransition(std::int64_t task_id, TaskAction action, TaskStatus current,
                        TaskStatus requested) {
  std::vector<std::string> moves;
  for (const auto& t : kTable) {
    if (t.action == action) {
      moves.push_back(std::string(TaskStatusName(t.from)) + " -> " +
                      std::string(TaskStatusName(t.to)));
    }
  }
  return MakeError(ErrorCode::kTaskInvalidTransition,
                   "cannot " + std::string(TaskActionName(action)) + " " + TaskIdText(task_id) +
                       ": it is " + std::string(TaskStatusName(current)) + " and cannot move to " +
                       std::string(TaskStatusName(requested)) + " (" +
                       std::string(TaskActionName(action)) + " allows " + Join(moves, ", ") + ")");
}

Result<void> CheckTransition(std::int64_t task_id, TaskAction action, TaskStatus from,
                             TaskStatus to) {
  if (IsAllowed(action, from, to)) return Ok();
  return InvalidTransition(task_id, action, from, to);
}

}  // namespace docrunch::tasks
