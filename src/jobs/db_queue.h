// The fast queue on the source of truth's `fast_jobs` table (migration 11):
// embedded mode's only queue, and hosted mode's while Redis is away. A job
// is a row: `waiting` until a worker takes it, `taken` (visible again at
// visible_at, when its visibility timeout passes), deleted on Ack, `dead`
// after max_deliveries. Taking is one transaction per batch (PostgreSQL
// skips rows another worker has locked; SQLite writes one at a time), so
// any number of workers in any number of processes share a queue.
#pragma once

#include "core/clock.h"
#include "jobs/queue.h"
#include "store/store.h"

namespace docrunch::jobs {

class DbQueue final : public FastQueue {
 public:
  // `store` and `clock` must outlive the queue.
  DbQueue(store::Store& store, const Clock& clock, QueueOptions options = {});

  std::string_view Backend() const override { return "database"; }
  Result<std::string> Enqueue(const std::string& queue, const NewJob& job) override;
  // Enqueue inside the caller's transaction (the scheduler queues a tick's
  // job with the tick's record): the job exists exactly when `tx` commits.
  static Result<std::string> EnqueueIn(store::Tx& tx, const std::string& queue, const NewJob& job,
                                       TimePoint now);
  Result<std::vector<TakenJob>> Take(const std::string& queue, const std::string& consumer, int max,
                                     std::chrono::milliseconds wait) override;
  Result<void> Ack(const TakenJob& job) override;
  Result<void> AckBatch(const std::vector<TakenJob>& jobs) override;
  Result<void> Fail(const TakenJob& job, const std::string& error) override;
  Result<QueueCounts> Counts(const std::string& queue) override;
  Result<std::vector<ListedJob>> List(const std::string& queue, const std::string& status,
                                      int limit) override;

 private:
  Result<std::vector<TakenJob>> TakeNow(const std::string& queue, const std::string& consumer,
                                        int max);

  store::Store& store_;
  const Clock& clock_;
  QueueOptions options_;
};

// The row id of a DbQueue job id ("db:17" -> 17); INVALID_PARAMS otherwise.
Result<std::int64_t> DbJobRow(const std::string& id);

}  // namespace docrunch::jobs
