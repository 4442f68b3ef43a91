#include "sync/retry_policy.h"

#include <gtest/gtest.h>

namespace docrunch::sync {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RetryPolicy, BackoffDoublesFromBaseWithUpwardJitterAndStopsAtTheCap) {
  RetryPolicy policy{5, seconds(2), seconds(120)};
  auto none = [] { return 0.0; };
  auto most = [] { return 0.999999; };
  EXPECT_EQ(policy.Delay(1, none), milliseconds(2000));
  EXPECT_EQ(policy.Delay(2, none), milliseconds(4000));
  EXPECT_EQ(policy.Delay(3, none), milliseconds(8000));
  EXPECT_EQ(policy.Delay(1, most), milliseconds(2999));
  EXPECT_EQ(policy.Delay(7, none), milliseconds(120000));   // 128 s capped
  EXPECT_EQ(policy.Delay(40, most), milliseconds(120000));  // no overflow, still capped
  for (int attempt = 1; attempt < 10; ++attempt) {
    auto d = policy.Delay(attempt, SystemRandom());
    EXPECT_GE(d, milliseconds(2000));
    EXPECT_LE(d, milliseconds(120000));
  }
}

TEST(RetryPolicy, RetriesUntilMaxThenFailedAndValidationErrorsAreDeadLetters) {
  RetryPolicy policy{3, seconds(2), seconds(120)};
  EXPECT_EQ(policy.Classify(1, ErrorCode::kIo), FailureOutcome::kRetry);
  EXPECT_EQ(policy.Classify(2, ErrorCode::kStorageQuery), FailureOutcome::kRetry);
  EXPECT_EQ(policy.Classify(3, ErrorCode::kIo), FailureOutcome::kFailed);
  EXPECT_EQ(policy.Classify(1, ErrorCode::kInvalidParams), FailureOutcome::kDeadLetter);
  EXPECT_EQ(StatusName(FailureOutcome::kRetry), "pending");
  EXPECT_EQ(StatusName(FailureOutcome::kDeadLetter), "dead_letter");
}

}  // namespace
}  // namespace docrunch::sync
