#include "core/fifo_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace docrunch {
namespace {

using namespace std::chrono_literals;

// Waits (up to 10 s, generous for a loaded machine) for `done`.
bool Eventually(const std::function<bool()>& done) {
  for (auto until = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < until;) {
    if (done()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return done();
}

TEST(FifoGateTest, AtLeastOneSlot) {
  FifoGate gate(0);
  EXPECT_EQ(gate.slots(), 1u);
  { FifoGate::Pass pass = gate.Enter(); }
  FifoGate::Pass again = gate.Enter();  // the slot came back
}

TEST(FifoGateTest, NeverMoreHoldersThanSlots) {
  FifoGate gate(3);
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        FifoGate::Pass pass = gate.Enter();
        int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --inside;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), 3);
  EXPECT_GE(most.load(), 1);
  EXPECT_EQ(inside.load(), 0);
}

TEST(FifoGateTest, WaitersGetTheirTurnInTheOrderTheyCame) {
  FifoGate gate(1);
  auto held = std::make_unique<FifoGate::Pass>(gate.Enter());
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> threads;
  for (int t = 0; t < 5; ++t) {
    threads.emplace_back([&, t] {
      FifoGate::Pass pass = gate.Enter();
      std::lock_guard lock(mu);
      order.push_back(t);
    });
    // The next one starts once this one waits in line.
    ASSERT_TRUE(Eventually([&] { return gate.waiting() == static_cast<std::size_t>(t + 1); }));
  }
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(order.empty()) << "a waiter passed while the only slot was held";
  }
  held.reset();
  for (auto& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(gate.waiting(), 0u);
}

TEST(FifoGateTest, AFreedSlotGoesToAWaiterNotToANewcomer) {
  FifoGate gate(1);
  auto held = std::make_unique<FifoGate::Pass>(gate.Enter());
  std::atomic<bool> waiter_done{false};
  std::thread waiter([&] {
    FifoGate::Pass pass = gate.Enter();
    std::this_thread::sleep_for(20ms);
    waiter_done = true;
  });
  ASSERT_TRUE(Eventually([&] { return gate.waiting() == 1; }));
  held.reset();  // handed to the waiter, even if it has not run yet
  FifoGate::Pass mine = gate.Enter();
  EXPECT_TRUE(waiter_done.load()) << "a newcomer passed before the waiter";
  waiter.join();
}

}  // namespace
}  // namespace docrunch
