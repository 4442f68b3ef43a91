#include "jobs/mark_job.h"

#include <nlohmann/json.hpp>
#include <thread>

namespace docrunch::jobs {

JobHandler MarkJobHandler(store::Store& store, const Clock& clock, std::string worker) {
  return [&store, &clock, worker = std::move(worker)](JobRun& run) -> Result<void> {
    auto payload = nlohmann::json::parse(run.job.payload, nullptr, false);
    if (!payload.is_object()) {
      return MakeError(ErrorCode::kInvalidParams, "payload: a JSON object is required");
    }
    const nlohmann::json& given =
        payload.contains("work_ms") ? payload["work_ms"] : nlohmann::json(0);
    const long long work = given.is_number_integer() ? given.get<long long>() : -1;
    if (work < 0 || work > 5000) {
      return MakeError(ErrorCode::kInvalidParams, "payload.work_ms: 0 to 5000");
    }
    for (long long slept = 0; slept < work && !run.stop; slept += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return store.Transact([&](store::Tx& tx) -> Result<void> {
      const TimePoint now = clock.Now();
      auto first = JobWorker::RecordFinishedOnce(tx, run.job.queue, run.job, now);
      if (!first) return first.error();
      run.recorded = true;
      if (!*first) return Ok();  // done before: the effect happened already
      auto marked = tx.Exec(
          "INSERT INTO job_marks (queue, idempotency_key, job_id, marked_by, marked_at) "
          "VALUES ($1, $2, $3, $4, $5)",
          {run.job.queue,
           run.job.idempotency_key.empty() ? store::Value() : store::Value(run.job.idempotency_key),
           run.job.id, worker, FormatIso8601(now)});
      if (!marked) return marked.error();
      return Ok();
    });
  };
}

}  // namespace docrunch::jobs
