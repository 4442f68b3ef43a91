#include "jobs/queue.h"

#include <nlohmann/json.hpp>

#include "jobs/job_types.h"

namespace docrunch::jobs {

Result<void> CheckNewJob(const std::string& queue, const NewJob& job) {
  if (!IsJobName(queue)) {
    return MakeError(ErrorCode::kInvalidParams,
                     "queue: '" + queue.substr(0, 64) + "' is not a queue name ([a-z0-9_-], 1-64)");
  }
  if (!IsJobName(job.type)) {
    return MakeError(ErrorCode::kInvalidParams,
                     "type: '" + job.type.substr(0, 64) + "' is not a job type name");
  }
  if (job.payload.size() > 1024 * 1024) {
    return MakeError(ErrorCode::kInvalidParams, "payload: more than 1 MB");
  }
  if (!nlohmann::json::accept(job.payload)) {
    return MakeError(ErrorCode::kInvalidParams, "payload: not valid JSON");
  }
  if (job.idempotency_key.size() > 200) {
    return MakeError(ErrorCode::kInvalidParams, "idempotency_key: more than 200 characters");
  }
  return Ok();
}

Result<void> CheckListedStatus(const std::string& status) {
  if (status.empty() || status == "waiting" || status == "taken" || status == "dead") return Ok();
  return MakeError(ErrorCode::kInvalidParams,
                   "status: expected waiting, taken or dead, got '" + status.substr(0, 32) + "'");
}

}  // namespace docrunch::jobs
