// "mark": a canary fast job for crash drills and checks of the queue's
// promise. Each run writes one row into job_marks (queue, key, job id, the
// worker, the time) in the transaction that records its idempotency key as
// finished, and writes nothing when the key was finished before. job_marks
// has no unique key, so a job whose effect happened twice shows as two
// rows: counting them is the evidence of "exactly once".
//
// Payload: {} or {"work_ms": N} (0-5000): time spent before the write,
// checking the worker's stop flag, so a killed worker dies mid-job.
#pragma once

#include <string>

#include "core/clock.h"
#include "jobs/worker.h"
#include "store/store.h"

namespace docrunch::jobs {

// The handler; `worker` names this process in the rows. `store` and
// `clock` must outlive it.
JobHandler MarkJobHandler(store::Store& store, const Clock& clock, std::string worker);

}  // namespace docrunch::jobs
