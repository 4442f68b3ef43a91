#include "jobs/db_queue.h"

#include <algorithm>
#include <charconv>
#include <thread>

#include "jobs/job_types.h"

namespace docrunch::jobs {

namespace {

constexpr std::string_view kIdPrefix = "db:";

std::string Later(const Clock& clock, std::chrono::milliseconds by) {
  return FormatIso8601(clock.Now() + by);
}

}  // namespace

Result<std::int64_t> DbJobRow(const std::string& id) {
  std::int64_t row = 0;
  if (id.rfind(kIdPrefix, 0) == 0) {
    const char* first = id.data() + kIdPrefix.size();
    const char* last = id.data() + id.size();
    auto [ptr, ec] = std::from_chars(first, last, row);
    if (ec == std::errc() && ptr == last && first != last && row > 0) return row;
  }
  return MakeError(ErrorCode::kInvalidParams,
                   "id: '" + id.substr(0, 64) + "' is not a database queue job id (db:N)");
}

DbQueue::DbQueue(store::Store& store, const Clock& clock, QueueOptions options)
    : store_(store), clock_(clock), options_(options) {}

Result<std::string> DbQueue::Enqueue(const std::string& queue, const NewJob& job) {
  std::string id;
  DOCRUNCH_TRY(store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto queued = EnqueueIn(tx, queue, job, clock_.Now());
    if (!queued) return queued.error();
    id = std::move(*queued);
    return Ok();
  }));
  return id;
}

Result<std::string> DbQueue::EnqueueIn(store::Tx& tx, const std::string& queue, const NewJob& job,
                                       TimePoint at) {
  DOCRUNCH_TRY(CheckNewJob(queue, job));
  const std::string now = FormatIso8601(at);
  store::Value key =
      job.idempotency_key.empty() ? store::Value() : store::Value(job.idempotency_key);
  // A key already waiting or taken keeps its first job.
  auto inserted = tx.Query(
      "INSERT INTO fast_jobs (queue, job_type, payload, idempotency_key, visible_at, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (queue, idempotency_key) "
      "WHERE idempotency_key IS NOT NULL AND status <> 'dead' DO NOTHING RETURNING id",
      {queue, job.type, job.payload, key, now});
  if (!inserted) return inserted.error();
  std::int64_t id = 0;
  if (!inserted->empty()) {
    id = inserted->Int(0, "id").value_or(0);
  } else {
    auto first = tx.Query(
        "SELECT id FROM fast_jobs WHERE queue = $1 AND idempotency_key = $2 AND status <> 'dead'",
        {queue, job.idempotency_key});
    if (!first) return first.error();
    if (first->empty()) {
      return MakeError(ErrorCode::kStorageQuery, "fast_jobs: a conflicting key has no row");
    }
    id = first->Int(0, "id").value_or(0);
  }
  return std::string(kIdPrefix) + std::to_string(id);
}

Result<std::vector<TakenJob>> DbQueue::TakeNow(const std::string& queue,
                                               const std::string& consumer, int max) {
  std::vector<TakenJob> taken;
  DOCRUNCH_TRY(store_.Transact([&](store::Tx& tx) -> Result<void> {
    taken.clear();
    const std::string now = FormatIso8601(clock_.Now());
    // Waiting jobs whose delay passed, and taken ones whose worker let the
    // visibility timeout pass (it died, or hangs).
    auto due = tx.Query(
        "SELECT id, job_type, payload, idempotency_key, deliveries FROM fast_jobs "
        "WHERE queue = $1 AND status IN ('waiting', 'taken') AND visible_at <= $2 "
        "ORDER BY visible_at, id LIMIT $3" +
            std::string(tx.SkipLockedClause()),
        {queue, now, static_cast<std::int64_t>(max)});
    if (!due) return due.error();
    const std::string visible = Later(clock_, options_.visibility);
    for (std::size_t i = 0; i < due->size(); ++i) {
      std::int64_t id = due->Int(i, "id").value_or(0);
      int deliveries = static_cast<int>(due->Int(i, "deliveries").value_or(0)) + 1;
      if (deliveries > options_.max_deliveries) {
        auto dead = tx.Exec(
            "UPDATE fast_jobs SET status = 'dead', dead_at = $2, taken_by = NULL, "
            "last_error = coalesce(last_error, $3) WHERE id = $1",
            {id, now,
             "taken " + std::to_string(deliveries - 1) + " times without an acknowledgement"});
        if (!dead) return dead.error();
        continue;
      }
      auto updated = tx.Exec(
          "UPDATE fast_jobs SET status = 'taken', taken_by = $2, deliveries = $3, visible_at = $4 "
          "WHERE id = $1",
          {id, consumer, static_cast<std::int64_t>(deliveries), visible});
      if (!updated) return updated.error();
      taken.push_back({std::string(kIdPrefix) + std::to_string(id), queue,
                       due->Text(i, "job_type").value_or(""), due->Text(i, "payload").value_or(""),
                       due->Text(i, "idempotency_key").value_or(""), deliveries});
    }
    return Ok();
  }));
  return taken;
}

Result<std::vector<TakenJob>> DbQueue::Take(const std::string& queue, const std::string& consumer,
                                            int max, std::chrono::milliseconds wait) {
  if (!IsJobName(queue)) {
    return MakeError(ErrorCode::kInvalidParams,
                     "queue: '" + queue.substr(0, 64) + "' is not a queue name ([a-z0-9_-], 1-64)");
  }
  if (consumer.empty() || consumer.size() > 200) {
    return MakeError(ErrorCode::kInvalidParams, "consumer: 1 to 200 characters");
  }
  max = std::clamp(max, 1, 1000);
  const auto until = std::chrono::steady_clock::now() + wait;
  for (bool first = true;; first = false) {
    // After an empty take, a read looks before the next write transaction:
    // an idle worker (every embedded `serve` runs one) then does not take
    // SQLite's one write lock fifty times a second.
    bool due = first;
    if (!first) {
      auto rows = store_.Query(
          "SELECT 1 AS due FROM fast_jobs WHERE queue = $1 AND status IN ('waiting', 'taken') "
          "AND visible_at <= $2 LIMIT 1",
          {queue, FormatIso8601(clock_.Now())});
      if (!rows) return rows.error();
      due = !rows->empty();
    }
    auto taken = due ? TakeNow(queue, consumer, max)
                     : Result<std::vector<TakenJob>>(std::vector<TakenJob>{});
    if (!taken || !taken->empty()) return taken;
    auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::milliseconds(0)) return taken;
    // Polled: a database has no blocking read. 20 ms keeps an idle
    // worker's cost low and a new job's wait short.
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(20)));
  }
}

Result<void> DbQueue::Ack(const TakenJob& job) {
  auto row = DbJobRow(job.id);
  if (!row) return row.error();
  // Acknowledging twice is not an error: the job is gone either way. Nor
  // is a late Ack of a worker whose visibility timeout passed: the job
  // belongs to its new holder now (its delivery count moved on), who acks
  // it in turn.
  return store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto gone =
        tx.Exec("DELETE FROM fast_jobs WHERE id = $1 AND status = 'taken' AND deliveries = $2",
                {*row, static_cast<std::int64_t>(job.deliveries)});
    if (!gone) return gone.error();
    return Ok();
  });
}

// One transaction for the batch.
Result<void> DbQueue::AckBatch(const std::vector<TakenJob>& jobs) {
  std::vector<std::int64_t> rows;
  for (const auto& job : jobs) {
    auto row = DbJobRow(job.id);
    if (!row) return row.error();
    rows.push_back(*row);
  }
  if (rows.empty()) return Ok();
  return store_.Transact([&](store::Tx& tx) -> Result<void> {
    for (std::size_t i = 0; i < rows.size(); ++i) {
      auto gone =
          tx.Exec("DELETE FROM fast_jobs WHERE id = $1 AND status = 'taken' AND deliveries = $2",
                  {rows[i], static_cast<std::int64_t>(jobs[i].deliveries)});
      if (!gone) return gone.error();
    }
    return Ok();
  });
}

Result<void> DbQueue::Fail(const TakenJob& job, const std::string& error) {
  auto row = DbJobRow(job.id);
  if (!row) return row.error();
  return store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto current = tx.Query("SELECT deliveries, status FROM fast_jobs WHERE id = $1", {*row});
    if (!current) return current.error();
    int deliveries = static_cast<int>(current->Int(0, "deliveries").value_or(1));
    // Gone, or another worker's now (a late report): nothing to change.
    if (current->empty() || current->Text(0, "status") != "taken" || deliveries != job.deliveries) {
      return Ok();
    }
    const std::string now = FormatIso8601(clock_.Now());
    const std::string message = error.substr(0, 2000);
    if (deliveries >= options_.max_deliveries) {
      auto dead = tx.Exec(
          "UPDATE fast_jobs SET status = 'dead', dead_at = $2, taken_by = NULL, last_error = $3 "
          "WHERE id = $1",
          {*row, now, message});
      if (!dead) return dead.error();
      return Ok();
    }
    auto delay = options_.retry_delay * (1LL << std::min(deliveries - 1, 16));
    auto retry = tx.Exec(
        "UPDATE fast_jobs SET status = 'waiting', taken_by = NULL, visible_at = $2, "
        "last_error = $3 WHERE id = $1",
        {*row, Later(clock_, std::chrono::duration_cast<std::chrono::milliseconds>(delay)),
         message});
    if (!retry) return retry.error();
    return Ok();
  });
}

Result<QueueCounts> DbQueue::Counts(const std::string& queue) {
  auto rows = store_.Query(
      "SELECT status, count(*) AS n FROM fast_jobs WHERE queue = $1 GROUP BY status", {queue});
  if (!rows) return rows.error();
  QueueCounts counts;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    std::int64_t n = rows->Int(i, "n").value_or(0);
    auto status = rows->Text(i, "status").value_or("");
    if (status == "waiting") counts.waiting += n;
    if (status == "taken") counts.taken += n;
    if (status == "dead") counts.dead += n;
  }
  return counts;
}

Result<std::vector<ListedJob>> DbQueue::List(const std::string& queue, const std::string& status,
                                             int limit) {
  DOCRUNCH_TRY(CheckListedStatus(status));
  store::Params params{queue, static_cast<std::int64_t>(std::clamp(limit, 1, 1000))};
  std::string where = "queue = $1";
  if (!status.empty()) {
    params.push_back(status);
    where += " AND status = $3";
  }
  auto rows = store_.Query(
      "SELECT id, job_type, status, deliveries, idempotency_key, last_error FROM fast_jobs WHERE " +
          where + " ORDER BY id LIMIT $2",
      params);
  if (!rows) return rows.error();
  std::vector<ListedJob> out;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    out.push_back({std::string(kIdPrefix) + std::to_string(rows->Int(i, "id").value_or(0)),
                   rows->Text(i, "job_type").value_or(""), rows->Text(i, "status").value_or(""),
                   static_cast<int>(rows->Int(i, "deliveries").value_or(0)),
                   rows->Text(i, "idempotency_key").value_or(""),
                   rows->Text(i, "last_error").value_or("")});
  }
  return out;
}

}  // namespace docrunch::jobs
