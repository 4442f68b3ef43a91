// The sync worker on a thread of its own, for a long-running process in
// embedded mode (`docrunch serve`): drains the outbox every poll interval,
// and at once when Nudge() says the process has just written something.
//
// A database error (the database is down) is logged and the loop goes on:
// the next pass retries. Stop() (also the destructor) lets the batch in
// progress commit and joins the thread; it never abandons a transaction.
//
// Thread-safety: Nudge() and Stop() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sync/worker.h"

namespace docrunch::sync {

class BackgroundWorker {
 public:
  // Owns the targets; `store` must outlive the worker.
  BackgroundWorker(store::Store& store, std::vector<std::unique_ptr<Projection>> targets,
                   WorkerOptions options, std::chrono::milliseconds poll);
  ~BackgroundWorker();
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  void Start();
  // Asks for a pass now (after a write): returns at once.
  void Nudge();
  void Stop();

  // Totals so far (for logs and tests).
  std::int64_t passes() const { return passes_; }

 private:
  void Loop();

  std::vector<std::unique_ptr<Projection>> targets_;
  SyncWorker worker_;
  std::chrono::milliseconds poll_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool nudged_ = false;  // GUARDED_BY(mutex_)
  bool stop_ = false;    // GUARDED_BY(mutex_)
  std::atomic<std::int64_t> passes_{0};
  std::thread thread_;
};

}  // namespace docrunch::sync
