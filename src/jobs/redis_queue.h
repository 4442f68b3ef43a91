// The fast queue on Redis Streams (hosted mode). Per queue, under the
// prefix (config `jobs.queue_name`, "docrunch" by default):
//
//   <prefix>:jobs:<queue>          the stream; one consumer group, "workers"
//   <prefix>:jobs:<queue>:keys     hash: idempotency key -> stream id
//   <prefix>:jobs:<queue>:delayed  sorted set: failed jobs waiting for their
//                                  retry, scored by due time (ms)
//   <prefix>:jobs:<queue>:dead     stream: dead letters, with the reason
//
// Enqueue is XADD; Take first moves due retries back into the stream,
// reclaims messages idle past the visibility timeout (XAUTOCLAIM; the
// delivery count comes from the pending list, plus the deliveries a
// message had before a retry), then reads new ones (XREADGROUP, blocking
// at most `wait`); Ack is XACK + XDEL. Every move is one Lua script
// (redis_scripts.h), so it is atomic. Times are Redis's own clock.
//
// A job's id is "redis:<stream id>". A retried job re-enters the stream,
// and so gets a new id (its idempotency key follows it); a reclaimed job
// keeps its id. Consumers ("host:pid") with nothing pending that have not
// read for QueueOptions::forget_consumers_after leave the group, so
// restarted workers do not pile up in it.
//
// Thread-safe: commands run on a pool of connections (redis_pool.h), and a
// blocked Take holds its own.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "jobs/queue.h"
#include "jobs/redis_pool.h"

namespace docrunch::jobs {

class RedisQueue final : public FastQueue {
 public:
  // CONFIG_INVALID for a bad URL, INVALID_PARAMS for a prefix that is not
  // 1-64 of [A-Za-z0-9_.:-], STORAGE_UNAVAILABLE when Redis cannot be
  // reached (the message never holds the password).
  static Result<std::unique_ptr<RedisQueue>> Open(const std::string& redis_url, std::string prefix,
                                                  QueueOptions options);

  std::string_view Backend() const override { return "redis"; }
  Result<std::string> Enqueue(const std::string& queue, const NewJob& job) override;
  Result<std::vector<std::string>> EnqueueBatch(const std::string& queue,
                                                const std::vector<NewJob>& jobs) override;
  Result<std::vector<TakenJob>> Take(const std::string& queue, const std::string& consumer, int max,
                                     std::chrono::milliseconds wait) override;
  Result<void> Ack(const TakenJob& job) override;
  Result<void> AckBatch(const std::vector<TakenJob>& jobs) override;
  Result<void> Fail(const TakenJob& job, const std::string& error) override;
  Result<QueueCounts> Counts(const std::string& queue) override;
  Result<std::vector<ListedJob>> List(const std::string& queue, const std::string& status,
                                      int limit) override;

  // "<prefix>:jobs:<queue>": the stream; the other keys add a suffix.
  std::string StreamKey(const std::string& queue) const;

 private:
  enum Script {
    kEnqueueScript,
    kTakeDueScript,
    kAckScript,
    kFailScript,
    kCountsScript,
    kListScript,
    kForgetConsumersScript,
    kScripts
  };

  RedisQueue(std::unique_ptr<RedisPool> pool, std::string prefix, QueueOptions options)
      : pool_(std::move(pool)), prefix_(std::move(prefix)), options_(options) {}

  // Runs a script on `queue`'s four keys (EVALSHA, loading it when Redis
  // does not know it, as after a restart; creating the group when it is
  // missing). The reply, never an error reply.
  Result<RedisReply> Run(Script script, const std::string& queue, std::vector<std::string> args);
  Result<std::string> Sha(Script script, bool reload);
  // XGROUP CREATE ... MKSTREAM once per queue (BUSYGROUP is fine).
  Result<void> EnsureGroup(const std::string& queue, bool again);
  // A reply that is an error, as STORAGE_QUERY naming the command.
  Result<RedisReply> Checked(Result<RedisReply> reply, const std::string& what) const;
  // At most once per options_.forget_consumers_after per queue: the
  // consumers with nothing pending idle longer than that leave the group.
  Result<void> ForgetIdleConsumers(const std::string& queue);
  Result<std::vector<TakenJob>> ReadNew(const std::string& queue, const std::string& consumer,
                                        int max, std::chrono::milliseconds block);

  std::unique_ptr<RedisPool> pool_;
  const std::string prefix_;
  const QueueOptions options_;
  std::mutex mu_;
  std::array<std::string, kScripts> shas_;  // "" until loaded; GUARDED_BY(mu_)
  std::set<std::string> grouped_;           // queues with a group; GUARDED_BY(mu_)
  // When each queue's consumers were last swept; GUARDED_BY(mu_).
  std::map<std::string, std::chrono::steady_clock::time_point> swept_;
};

// The stream id of a RedisQueue job id ("redis:1733500000000-0" ->
// "1733500000000-0"); INVALID_PARAMS naming `id` otherwise.
Result<std::string> RedisStreamId(const std::string& id);

}  // namespace docrunch::jobs
