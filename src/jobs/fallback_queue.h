// Hosted mode's fast queue: Redis Streams, with the database queue behind
// it for when Redis is away (PRODUCT §12). Nothing is refused and nothing
// is lost while Redis is down:
//
// - Enqueue goes to Redis; when Redis cannot take it (unavailable, or any
//   error but bad input) the job goes to the database instead. One warning
//   is logged when an outage starts and one line when Redis takes jobs
//   again, not one per job.
// - Take drains the database's backlog first (checked on every Take while
//   it has jobs, otherwise at most once a second: other processes may have
//   fallen back too), then takes from Redis; while Redis is down it takes
//   from the database alone.
// - Ack and Fail go to the backend the job's id names ("db:" / "redis:").
// - Counts add both (STORAGE_UNAVAILABLE while Redis is down: a half count
//   would read as the truth).
//
// Idempotency keys are per backend: a key waiting in Redis and enqueued
// again during an outage runs twice, which the worker's record of finished
// keys makes harmless. Thread-safe as its two queues are.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "jobs/db_queue.h"
#include "jobs/redis_queue.h"

namespace docrunch::jobs {

class FallbackQueue final : public FastQueue {
 public:
  FallbackQueue(std::unique_ptr<RedisQueue> redis, std::unique_ptr<DbQueue> database)
      : redis_(std::move(redis)), database_(std::move(database)) {}

  std::string_view Backend() const override { return "redis"; }
  Result<std::string> Enqueue(const std::string& queue, const NewJob& job) override;
  Result<std::vector<TakenJob>> Take(const std::string& queue, const std::string& consumer, int max,
                                     std::chrono::milliseconds wait) override;
  Result<void> Ack(const TakenJob& job) override;
  Result<void> AckBatch(const std::vector<TakenJob>& jobs) override;
  Result<void> Fail(const TakenJob& job, const std::string& error) override;
  Result<QueueCounts> Counts(const std::string& queue) override;
  Result<std::vector<ListedJob>> List(const std::string& queue, const std::string& status,
                                      int limit) override;

  // Whether the last call found Redis away (for status output).
  bool RedisAway() const { return outage_.load(); }

 private:
  Result<FastQueue*> Owner(const TakenJob& job);
  // Records whether Redis answered; logs the start and the end of an outage.
  void Observe(const Error* redis_error);
  bool DatabaseDue(const std::string& queue);
  void DatabaseChecked(const std::string& queue, bool found);

  std::unique_ptr<RedisQueue> redis_;
  std::unique_ptr<DbQueue> database_;
  std::atomic<bool> outage_{false};
  std::atomic<std::int64_t> fallen_back_{0};  // jobs enqueued to the database this outage
  std::mutex mu_;
  // Per queue: when the database backlog is next looked at. GUARDED_BY(mu_)
  std::map<std::string, std::chrono::steady_clock::time_point> database_due_;
};

}  // namespace docrunch::jobs
