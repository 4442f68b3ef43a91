#include "tasks/task_context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace docrunch::tasks {
namespace {

using ::testing::ElementsAre;

TEST(ContextWordsTest, SplitsCodeTokensAndDropsNoise) {
  EXPECT_THAT(ContextWords("Fix the LoginForm crash in user_profile.py for the API"),
              ElementsAre("login", "form", "crash", "user", "profile", "api"));
  EXPECT_THAT(ContextWords("a an to of"), ElementsAre());
  EXPECT_THAT(ContextWords("db db DB Db"), ElementsAre());
  EXPECT_EQ(ContextWords("one two three four five six seven eight", 3).size(), 3u);
}

}  // namespace
}  // namespace docrunch::tasks
