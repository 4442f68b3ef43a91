#include "core/task_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace docrunch {
namespace {

using namespace std::chrono_literals;

TEST(TaskThreadTest, RunsEachTaskInTurnOnOneThreadOfItsOwn) {
  TaskThread thread;
  std::vector<std::thread::id> ran_on;
  std::vector<int> order;
  for (int i = 0; i < 3; ++i) {
    // Post waits for the task before; no lock needed between the two.
    thread.Post([&, i] {
      ran_on.push_back(std::this_thread::get_id());
      order.push_back(i);
    });
  }
  thread.Wait();
  ASSERT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_NE(ran_on[0], std::this_thread::get_id());
  EXPECT_EQ(ran_on[1], ran_on[0]);
  EXPECT_EQ(ran_on[2], ran_on[0]);
}

TEST(TaskThreadTest, WaitReturnsOnlyOnceThePostedTaskHasReturned) {
  TaskThread thread;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> finished{false};
  thread.Post([&] {
    released.wait();
    finished = true;
  });
  auto waiting = std::async(std::launch::async, [&] { thread.Wait(); });
  EXPECT_EQ(waiting.wait_for(100ms), std::future_status::timeout);
  EXPECT_FALSE(finished);
  release.set_value();
  waiting.get();
  EXPECT_TRUE(finished);
  thread.Wait();  // nothing posted: returns at once
}

TEST(TaskThreadTest, ATaskThatThrowsLeavesTheThreadWorking) {
  TaskThread thread;
  thread.Post([] { throw std::runtime_error("boom"); });
  bool ran = false;
  thread.Post([&] { ran = true; });
  thread.Wait();
  EXPECT_TRUE(ran);
}

TEST(TaskThreadTest, DestroyingWaitsForThePostedTask) {
  std::atomic<bool> finished{false};
  {
    TaskThread thread;
    thread.Post([&] {
      std::this_thread::sleep_for(50ms);
      finished = true;
    });
  }
  EXPECT_TRUE(finished);
}

}  // namespace
}  // namespace docrunch
