// One thread kept for a series of tasks, each handed over and then waited
// for: the sync worker renders each batch's Markdown pages on it beside the
// batch's transaction. A thread started per batch waited 1.4 ms on average
// before it first ran (2 cores, the other one busy writing back pages), and
// as long again to be joined: 1.4 s of a 100,000-event drain
// (docs/benchmarks.md). A kept thread is woken instead.
//
// Thread-safety: Post and Wait from one owning thread; the task runs on the
// kept thread. The destructor waits for a posted task, then ends the thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace docrunch {

class TaskThread {
 public:
  TaskThread();
  TaskThread(const TaskThread&) = delete;
  TaskThread& operator=(const TaskThread&) = delete;
  ~TaskThread();

  // Runs `task` on the thread; waits first for a task posted before and
  // not yet waited for. An exception a task throws is swallowed: a task
  // reports its own errors.
  void Post(std::function<void()> task);

  // Returns once the last posted task has returned (at once if none).
  void Wait();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable posted_, done_;
  std::function<void()> task_;  // GUARDED_BY(mu_); empty when none waits to run
  bool running_ = false;        // GUARDED_BY(mu_)
  bool stop_ = false;           // GUARDED_BY(mu_)
  std::thread thread_;          // last: starts once the rest exists
};

}  // namespace docrunch
