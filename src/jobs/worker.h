// A fast-queue worker: takes jobs from one queue, runs each with the
// handler registered for its type, and acknowledges it, or reports the
// failure (the queue retries it later or dead-letters it). Several threads
// share the queue; any number of workers in any number of processes may
// serve it.
//
// Exactly once for effects in the database: a job with an idempotency key
// whose key is recorded in finished_jobs is acknowledged without running.
// A handler that writes to the database records the key in its own
// transaction (RecordFinished), so a crash after the commit and before the
// Ack cannot run the effect twice; for any other handler the worker records
// the key right after the handler returns (at least once, then).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "jobs/queue.h"
#include "store/store.h"

namespace docrunch::jobs {

struct JobRun {
  const TakenJob& job;
  // Set when the worker is stopping: a long handler may give up early
  // (its job is then offered again).
  const std::atomic<bool>& stop;
  // True when the handler recorded the job's key itself (RecordFinished in
  // its transaction); the worker then does not record it again.
  bool recorded = false;
};

using JobHandler = std::function<Result<void>(JobRun&)>;

struct JobWorkerOptions {
  std::string queue = "fast";
  std::string consumer;                 // unique per worker process: "host:pid"
  int concurrency = 2;                  // threads
  int batch = 8;                        // jobs per Take
  std::chrono::milliseconds wait{500};  // a Take's longest wait for work
};

struct JobWorkerStats {
  std::int64_t done = 0;     // handled and acknowledged
  std::int64_t skipped = 0;  // their key had finished before: acknowledged without running
  std::int64_t failed = 0;   // handler errors (retried or dead-lettered by the queue)
  std::int64_t unknown = 0;  // no handler for the type (failed like an error)
};

class JobWorker {
 public:
  // `queue`, `store` and `clock` must outlive the worker.
  JobWorker(FastQueue& queue, store::Store& store, const Clock& clock, JobWorkerOptions options);

  // Registers the handler of a job type (replacing an earlier one).
  void Handle(const std::string& type, JobHandler handler);

  // Runs until `stop` is set; then finishes the jobs in hand and returns.
  Result<JobWorkerStats> Run(const std::atomic<bool>& stop);
  // Handles what the queue offers now, until it offers nothing.
  Result<JobWorkerStats> Drain();

  // Records `key` of `queue` as finished inside `tx` (with the handler's
  // own writes). A key recorded twice is not an error.
  static Result<void> RecordFinished(store::Tx& tx, const std::string& queue, const TakenJob& job,
                                     TimePoint now);
  // RecordFinished that says whether this transaction recorded the key:
  // false when it was recorded before (or by a transaction that committed
  // while this one waited), so the effect must not happen again. A handler
  // calls it first in its transaction and writes only when it answers true:
  // two workers running the same job at once (one outlived its visibility
  // timeout) then commit the effect once. A job without a key: true.
  static Result<bool> RecordFinishedOnce(store::Tx& tx, const std::string& queue,
                                         const TakenJob& job, TimePoint now);

 private:
  // Handles one taken job: skip or run, then adds it to `done` (to be
  // acknowledged with its batch), or Fail.
  Result<void> Process(const TakenJob& job, const std::atomic<bool>& stop, JobWorkerStats& stats,
                       std::vector<TakenJob>& done);
  // Processes a taken batch, acknowledging its done jobs together (sooner
  // when handlers are slow, so no job waits long for its Ack).
  Result<void> ProcessBatch(const std::vector<TakenJob>& jobs, const std::atomic<bool>& stop,
                            JobWorkerStats& stats);
  Result<bool> Finished(const TakenJob& job);

  FastQueue& queue_;
  store::Store& store_;
  const Clock& clock_;
  JobWorkerOptions options_;
  std::map<std::string, JobHandler> handlers_;
};

}  // namespace docrunch::jobs
