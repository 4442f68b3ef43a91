// The transition table as implemented: what is allowed, what is refused,
// and how a refusal reads.
#include "tasks/transitions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace docrunch::tasks {
namespace {

using S = TaskStatus;
using A = TaskAction;

TEST(TransitionsTest, ProductEdgesAreAllowed) {
  EXPECT_TRUE(IsAllowed(A::kClaim, S::kTodo, S::kWorking));
  EXPECT_TRUE(IsAllowed(A::kAssign, S::kTodo, S::kAssigned));
  EXPECT_TRUE(IsAllowed(A::kClaim, S::kAssigned, S::kWorking));
  EXPECT_TRUE(IsAllowed(A::kComplete, S::kWorking, S::kReview));
  EXPECT_TRUE(IsAllowed(A::kApprove, S::kReview, S::kApproved));
  EXPECT_TRUE(IsAllowed(A::kReject, S::kReview, S::kRejected));
  EXPECT_TRUE(IsAllowed(A::kFinish, S::kApproved, S::kDone));
  EXPECT_TRUE(IsAllowed(A::kReopen, S::kRejected, S::kTodo));
  EXPECT_TRUE(IsAllowed(A::kExpire, S::kWorking, S::kTodo));
}

TEST(TransitionsTest, IllegalMovesAreRefused) {
  EXPECT_FALSE(IsAllowed(A::kClaim, S::kDone, S::kWorking));
  EXPECT_FALSE(IsAllowed(A::kComplete, S::kTodo, S::kReview));
  EXPECT_FALSE(IsAllowed(A::kApprove, S::kWorking, S::kApproved));
  EXPECT_FALSE(IsAllowed(A::kFinish, S::kReview, S::kDone));
  EXPECT_FALSE(IsAllowed(A::kBlock, S::kDone, S::kBlocked));
  EXPECT_FALSE(IsAllowed(A::kBlock, S::kBlocked, S::kBlocked));
}

TEST(TransitionsTest, DoneIsTerminalAndBlockedReturnsOnlyByUnblock) {
  for (const auto& t : TransitionTable()) {
    EXPECT_NE(t.from, S::kDone) << TaskActionName(t.action);
    if (t.from == S::kBlocked) {
      EXPECT_EQ(t.action, A::kUnblock);
    }
    if (t.to == S::kBlocked) {
      EXPECT_EQ(t.action, A::kBlock);
    }
  }
}

TEST(TransitionsTest, EveryBlockableStatusCanBeRestored) {
  for (const auto& t : TransitionTable()) {
    if (t.action == A::kBlock) {
      EXPECT_TRUE(IsAllowed(A::kUnblock, S::kBlocked, t.from)) << TaskStatusName(t.from);
    }
  }
}

TEST(TransitionsTest, EveryStatusIsReachable) {
  std::set<S> reached{S::kBacklog, S::kTodo};
  for (const auto& t : TransitionTable()) reached.insert(t.to);
  EXPECT_EQ(reached.size(), TaskStatusNames().size());
}

TEST(TransitionsTest, RefusalNamesCurrentAndRequestedStatus) {
  auto r = CheckTransition(3, A::kClaim, S::kDone, S::kWorking);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTaskInvalidTransition);
  EXPECT_EQ(r.error().message,
            "cannot claim task-3: it is done and cannot move to working (claim allows todo -> "
            "working, assigned -> working)");
}

TEST(TaskIdTest, OnlyTaskIdsAreAccepted) {
  EXPECT_EQ(*ParseTaskId("task-42"), 42);
  EXPECT_EQ(*ParseTaskId("42"), 42);
  for (const char* bad : {"", "task-", "task-0", "task-007", "../task-1", "task-1/..", "task-1.md",
                          "task-1 ", "TASK-1", "task--1", "task-99999999999999999999", "-1"}) {
    auto r = ParseTaskId(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams);
    EXPECT_THAT(r.error().message, ::testing::StartsWith("task_id: expected a task id"));
  }
}

}  // namespace
}  // namespace docrunch::tasks
