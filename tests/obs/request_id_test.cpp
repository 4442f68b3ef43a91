#include "obs/request_id.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace docrunch::obs {
namespace {

TEST(RequestIdTest, TakesAValidClientIdAndMakesOneOtherwise) {
  EXPECT_EQ(RequestIdFrom("req-1.A_b:9"), "req-1.A_b:9");
  for (std::string bad : {std::string(), std::string("has space"), std::string("quote\""),
                          std::string("new\nline"), std::string(65, 'a'), std::string("é")}) {
    std::string made = RequestIdFrom(bad);
    EXPECT_NE(made, bad);
    EXPECT_EQ(made.size(), 16u);
    EXPECT_EQ(made.find_first_not_of("0123456789abcdef"), std::string::npos) << made;
  }
  EXPECT_TRUE(IsValidRequestId(std::string(64, 'a')));
  EXPECT_NE(NewRequestId(), NewRequestId());
}

TEST(RequestIdTest, ScopeSetsTheThreadsIdAndRestoresThePreviousOne) {
  EXPECT_EQ(CurrentRequestId(), "");
  {
    RequestIdScope outer("outer");
    EXPECT_EQ(CurrentRequestId(), "outer");
    {
      RequestIdScope inner("inner");
      EXPECT_EQ(CurrentRequestId(), "inner");
      std::string seen = "unset";
      std::thread([&seen] { seen = CurrentRequestId(); }).join();
      EXPECT_EQ(seen, "");  // another thread has its own
    }
    EXPECT_EQ(CurrentRequestId(), "outer");
  }
  EXPECT_EQ(CurrentRequestId(), "");
}

}  // namespace
}  // namespace docrunch::obs
