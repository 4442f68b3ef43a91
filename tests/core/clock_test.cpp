#include "core/clock.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace docrunch {
namespace {

using namespace std::chrono_literals;

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock(TimePoint(std::chrono::seconds(1'800'000'000)));
  TimePoint t0 = clock.Now();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(1500ms);
  EXPECT_EQ(clock.Now() - t0, 1500ms);
}

TEST(FormatIso8601, IsUtcWithMillisecondsAndZone) {
  EXPECT_EQ(FormatIso8601(TimePoint(std::chrono::milliseconds(1'800'000'000'123))),
            "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(FormatIso8601(TimePoint(std::chrono::milliseconds(-1))), "1969-12-31T23:59:59.999Z");
}

TEST(RandomIdGenerator, GivesDistinct128BitHexIds) {
  RandomIdGenerator ids;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = ids.NewId();
    ASSERT_EQ(id.size(), 32u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(SequentialIdGenerator, IsPredictableAndThreadSafe) {
  SequentialIdGenerator ids("t-");
  EXPECT_EQ(ids.NewId(), "t-00000000000000000001");
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> got(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) got[t].push_back(ids.NewId());
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 4000u);
}

}  // namespace
}  // namespace docrunch
