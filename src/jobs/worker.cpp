#include "jobs/worker.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace docrunch::jobs {

JobWorker::JobWorker(FastQueue& queue, store::Store& store, const Clock& clock,
                     JobWorkerOptions options)
    : queue_(queue), store_(store), clock_(clock), options_(std::move(options)) {
  if (options_.consumer.empty()) options_.consumer = "worker";
  if (options_.concurrency < 1) options_.concurrency = 1;
  if (options_.batch < 1) options_.batch = 1;
}

void JobWorker::Handle(const std::string& type, JobHandler handler) {
  handlers_[type] = std::move(handler);
}

Result<void> JobWorker::RecordFinished(store::Tx& tx, const std::string& queue, const TakenJob& job,
                                       TimePoint now) {
  auto recorded = RecordFinishedOnce(tx, queue, job, now);
  if (!recorded) return recorded.error();
  return Ok();
}

Result<bool> JobWorker::RecordFinishedOnce(store::Tx& tx, const std::string& queue,
                                           const TakenJob& job, TimePoint now) {
  if (job.idempotency_key.empty()) return true;
  auto recorded = tx.Exec(
      "INSERT INTO finished_jobs (queue, idempotency_key, job_type, finished_at) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (queue, idempotency_key) DO NOTHING",
      {queue, job.idempotency_key, job.type, FormatIso8601(now)});
  if (!recorded) return recorded.error();
  return *recorded == 1;
}

Result<bool> JobWorker::Finished(const TakenJob& job) {
  if (job.idempotency_key.empty()) return false;
  auto rows =
      store_.Query("SELECT 1 AS done FROM finished_jobs WHERE queue = $1 AND idempotency_key = $2",
                   {job.queue, job.idempotency_key});
  if (!rows) return rows.error();
  return !rows->empty();
}

Result<void> JobWorker::Process(const TakenJob& job, const std::atomic<bool>& stop,
                                JobWorkerStats& stats, std::vector<TakenJob>& done) {
  auto finished = Finished(job);
  if (!finished) return finished.error();
  if (*finished) {
    ++stats.skipped;
    done.push_back(job);
    return Ok();
  }
  auto handler = handlers_.find(job.type);
  if (handler == handlers_.end()) {
    ++stats.unknown;
    return queue_.Fail(job, "no handler for job type '" + job.type + "' in this worker");
  }
  JobRun run{job, stop};
  Result<void> outcome = Ok();
  try {
    outcome = handler->second(run);
  } catch (const std::exception& e) {
    outcome = MakeError(ErrorCode::kInternal, std::string("the handler threw: ") + e.what());
  } catch (...) {
    outcome = MakeError(ErrorCode::kInternal, "the handler threw");
  }
  if (!outcome) {
    ++stats.failed;
    spdlog::warn("jobs: {} {} (delivery {}) failed: {}", job.type, job.id, job.deliveries,
                 outcome.error().ToString());
    return queue_.Fail(job, outcome.error().ToString());
  }
  if (!run.recorded && !job.idempotency_key.empty()) {
    DOCRUNCH_TRY(store_.Transact(
        [&](store::Tx& tx) { return RecordFinished(tx, job.queue, job, clock_.Now()); }));
  }
  ++stats.done;
  done.push_back(job);
  return Ok();
}

Result<void> JobWorker::ProcessBatch(const std::vector<TakenJob>& jobs,
                                     const std::atomic<bool>& stop, JobWorkerStats& stats) {
  // Done jobs wait at most this long for their Ack, far below any
  // visibility timeout; fast handlers share one round trip.
  constexpr auto kAckWithin = std::chrono::milliseconds(50);
  std::vector<TakenJob> done;
  auto first_done = std::chrono::steady_clock::now();
  Result<void> handled = Ok();
  for (const auto& job : jobs) {
    if (!done.empty() && std::chrono::steady_clock::now() - first_done > kAckWithin) {
      handled = queue_.AckBatch(done);
      done.clear();
      if (!handled) return handled;
    }
    const bool was_empty = done.empty();
    handled = Process(job, stop, stats, done);
    if (was_empty && !done.empty()) first_done = std::chrono::steady_clock::now();
    if (!handled) break;
  }
  if (done.empty()) return handled;
  // The jobs handled before an error are acknowledged all the same.
  auto acked = queue_.AckBatch(done);
  return handled ? acked : handled;
}

Result<JobWorkerStats> JobWorker::Drain() {
  std::atomic<bool> never{false};
  JobWorkerStats stats;
  for (;;) {
    auto taken = queue_.Take(options_.queue, options_.consumer, options_.batch,
                             std::chrono::milliseconds(0));
    if (!taken) return taken.error();
    if (taken->empty()) return stats;
    DOCRUNCH_TRY(ProcessBatch(*taken, never, stats));
  }
}

Result<JobWorkerStats> JobWorker::Run(const std::atomic<bool>& stop) {
  std::mutex mu;
  JobWorkerStats total;
  std::optional<Error> failure;
  std::atomic<bool> broken{false};  // a thread met an error it cannot wait out
  auto loop = [&] {
    JobWorkerStats stats;
    int backoff_ms = 0;
    while (!stop && !broken) {
      auto taken = queue_.Take(options_.queue, options_.consumer, options_.batch, options_.wait);
      Result<void> handled = taken ? Ok() : Result<void>(taken.error());
      if (taken) handled = ProcessBatch(*taken, stop, stats);
      if (handled) {
        backoff_ms = 0;
        continue;
      }
      // The queue or the database is away: a job in hand is offered again
      // once its visibility timeout passes; wait and try again.
      spdlog::warn("jobs: worker {}: {}", options_.consumer, handled.error().ToString());
      if (handled.error().code != ErrorCode::kStorageUnavailable &&
          handled.error().code != ErrorCode::kStorageQuery) {
        std::lock_guard lock(mu);
        failure = handled.error();
        broken = true;
        break;
      }
      backoff_ms = std::min(backoff_ms ? backoff_ms * 2 : 100, 5000);
      for (int slept = 0; slept < backoff_ms && !stop; slept += 50) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    std::lock_guard lock(mu);
    total.done += stats.done;
    total.skipped += stats.skipped;
    total.failed += stats.failed;
    total.unknown += stats.unknown;
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < options_.concurrency; ++i) threads.emplace_back(loop);
  loop();
  for (auto& t : threads) t.join();
  if (failure) return *failure;
  return total;
}

}  // namespace docrunch::jobs
