// Atomic claims: 32 threads, each with its own store (its own database
// connection), claim one task at the same instant; exactly one wins and the
// other 31 get TASK_ALREADY_CLAIMED. Several rounds, on both backends.
// The numbers are printed for the closing note of issue 4.
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "tasks/task_test_env.h"

namespace docrunch::tasks {
namespace {

constexpr int kClaimers = 32;
constexpr int kRounds = 5;

TEST_P(TaskServiceTest, ThirtyTwoConcurrentClaimersHaveExactlyOneWinner) {
  // One store per claimer: on PostgreSQL 32 connections, on SQLite 32
  // connections competing for the write lock (busy_timeout).
  std::vector<std::unique_ptr<store::Store>> stores;
  std::vector<std::unique_ptr<TaskService>> services;
  for (int i = 0; i < kClaimers; ++i) {
    store::StoreOptions options = Options();
    options.clock = &clock_;
    options.postgres_pool_size = 1;
    options.sqlite_busy_timeout_ms = 30'000;
    auto opened = store::OpenStore(options);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    stores.push_back(std::move(*opened));
    services.push_back(MakeService(stores.back().get()));
  }
  for (int round = 0; round < kRounds; ++round) {
    Task task = MakeTask();
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<Result<Task>> results(kClaimers, Error{});
    std::vector<std::thread> threads;
    for (int i = 0; i < kClaimers; ++i) {
      threads.emplace_back([&, i] {
        ClaimReport report{task.IdText(), "agent-" + std::to_string(i), At()};
        ++ready;
        while (!go.load()) std::this_thread::yield();
        results[i] = services[i]->Claim(report);
      });
    }
    while (ready.load() < kClaimers) std::this_thread::yield();
    auto start = std::chrono::steady_clock::now();
    go = true;
    for (auto& t : threads) t.join();
    auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);

    int winners = 0, already_claimed = 0;
    std::string winner;
    for (int i = 0; i < kClaimers; ++i) {
      if (results[i].ok()) {
        ++winners;
        winner = "agent-" + std::to_string(i);
      } else if (results[i].error().code == ErrorCode::kTaskAlreadyClaimed) {
        ++already_claimed;
      } else {
        ADD_FAILURE() << "claimer " << i << ": " << results[i].error().ToString();
      }
    }
    std::cout << "[claims] " << GetParam() << " threads round " << round + 1 << ": " << kClaimers
              << " claims, " << winners << " winner, " << already_claimed
              << " TASK_ALREADY_CLAIMED, wall " << wall.count() << " ms\n";
    EXPECT_EQ(winners, 1);
    EXPECT_EQ(already_claimed, kClaimers - 1);
    Task after = Reload(task);
    EXPECT_EQ(after.status, TaskStatus::kWorking);
    EXPECT_EQ(after.assigned_to, winner);
    auto claims = store_->Query(
        "SELECT count(*) AS n FROM task_history WHERE task_id = $1 AND action = 'claim'",
        {task.id});
    EXPECT_EQ(claims->Int(0, "n"), 1);
  }
}

}  // namespace
}  // namespace docrunch::tasks
