// The fast queue (PRODUCT §12): short, single-step jobs, taken by workers
// and acknowledged when done. Two backends behind one interface:
//
// - DbQueue (db_queue.h): a table of the source of truth (SQLite or
//   PostgreSQL); embedded mode needs nothing else, and hosted mode falls
//   back to it while Redis is away;
// - RedisQueue (redis_queue.h): a Redis stream per queue with one consumer
//   group (XADD, XREADGROUP, XACK), a dead consumer's messages reclaimed
//   after the visibility timeout (XAUTOCLAIM).
//
// Delivery is at least once: a job whose worker dies before Ack is taken
// again once its visibility timeout passes, with its delivery count up by
// one; past max_deliveries it is moved to the dead letters instead
// (Fail does the same for a job whose handler failed). A handler makes a
// redelivered job harmless with its idempotency key (the worker records
// finished keys; see worker.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace docrunch::jobs {

// What a producer enqueues.
struct NewJob {
  std::string type;     // a registered job type (job_types.h)
  std::string payload;  // JSON text, as the type's handler expects it
  // A job with the key of one already waiting or taken in the same queue
  // is not enqueued twice (Enqueue answers the first one's id); empty:
  // none.
  std::string idempotency_key;
};

// A job as a worker holds it.
struct TakenJob {
  std::string id;  // the backend's own: "db:17", "redis:1733500000000-0"
  std::string queue;
  std::string type;
  std::string payload;
  std::string idempotency_key;
  int deliveries = 1;  // 1 the first time it is taken
};

struct QueueOptions {
  // A taken job not acknowledged within this is given to another worker.
  std::chrono::milliseconds visibility{30'000};
  // Deliveries before a job goes to the dead letters instead.
  int max_deliveries = 5;
  // A failed job waits this long (doubling per delivery) before it is
  // offered again.
  std::chrono::milliseconds retry_delay{1'000};
  // Redis: a consumer with nothing pending that has not read for this long
  // (a worker that exited or died) leaves the group; checked at most this
  // often by each process's Take.
  std::chrono::milliseconds forget_consumers_after{600'000};
};

// A job as `jobs list` shows it.
struct ListedJob {
  std::string id;
  std::string type;
  std::string status;  // waiting (also: waiting for a retry), taken, dead
  int deliveries = 0;
  std::string idempotency_key;
  std::string last_error;  // "" when none
};

struct QueueCounts {
  std::int64_t waiting = 0;  // ready to be taken (or to be again, after a failure)
  std::int64_t taken = 0;    // held by a worker, not yet acknowledged
  std::int64_t dead = 0;     // dead letters
};

// INVALID_PARAMS naming the field unless `queue` is an identifier and
// `job.type` is not empty (payload: at most 1 MB of JSON text; key: at
// most 200 characters).
Result<void> CheckNewJob(const std::string& queue, const NewJob& job);

class FastQueue {
 public:
  virtual ~FastQueue() = default;
  // "database" or "redis", for status output.
  virtual std::string_view Backend() const = 0;
  // Queue names are identifiers ([a-z0-9_-], 1-64): INVALID_PARAMS
  // otherwise, as for an empty type. STORAGE_UNAVAILABLE when the backend
  // is away.
  virtual Result<std::string> Enqueue(const std::string& queue, const NewJob& job) = 0;
  // Enqueue of several jobs, in order, as one round trip where the backend
  // can; their ids in the same order. Every job is checked first: one bad
  // job refuses the batch before anything is queued.
  virtual Result<std::vector<std::string>> EnqueueBatch(const std::string& queue,
                                                        const std::vector<NewJob>& jobs) {
    for (const auto& job : jobs) DOCRUNCH_TRY(CheckNewJob(queue, job));
    std::vector<std::string> ids;
    for (const auto& job : jobs) {
      auto id = Enqueue(queue, job);
      if (!id) return id.error();
      ids.push_back(std::move(*id));
    }
    return ids;
  }
  // Up to `max` jobs for `consumer` (a worker's unique name): first those
  // whose visibility timeout passed, then new ones, waiting at most `wait`
  // for one to arrive.
  virtual Result<std::vector<TakenJob>> Take(const std::string& queue, const std::string& consumer,
                                             int max, std::chrono::milliseconds wait) = 0;
  // Done: the job leaves the queue. An Ack of a job already gone, or taken
  // by another worker since (this worker's visibility timeout passed), is
  // not an error and changes nothing.
  virtual Result<void> Ack(const TakenJob& job) = 0;
  // Ack of several jobs (of any queues) at once: one round trip where the
  // backend can (a worker acknowledges the jobs of a batch together). As
  // Ack for each; stops at the first error.
  virtual Result<void> AckBatch(const std::vector<TakenJob>& jobs) {
    for (const auto& job : jobs) DOCRUNCH_TRY(Ack(job));
    return Ok();
  }
  // The handler failed: offered again after a delay, or moved to the dead
  // letters (with `error`) once it was delivered max_deliveries times.
  virtual Result<void> Fail(const TakenJob& job, const std::string& error) = 0;
  virtual Result<QueueCounts> Counts(const std::string& queue) = 0;
  // Up to `limit` jobs of `queue` in `status` ("" for every status): the
  // oldest first within each status.
  virtual Result<std::vector<ListedJob>> List(const std::string& queue, const std::string& status,
                                              int limit) = 0;
};

// INVALID_PARAMS naming `status` unless it is "", waiting, taken or dead.
Result<void> CheckListedStatus(const std::string& status);

}  // namespace docrunch::jobs
