#include "jobs/fallback_queue.h"

#include <spdlog/spdlog.h>

namespace docrunch::jobs {

namespace {

// How often an empty database queue is looked at again. Jobs land there
// only during a Redis outage (of this process or another), so a second's
// delay costs little, and spares a transaction per Take.
constexpr std::chrono::seconds kDatabasePoll{1};

}  // namespace

void FallbackQueue::Observe(const Error* redis_error) {
  if (redis_error != nullptr) {
    if (!outage_.exchange(true)) {
      spdlog::warn("fast queue: {}; jobs go to the database queue until Redis is back",
                   redis_error->message);
    }
    return;
  }
  if (outage_.exchange(false)) {
    spdlog::info("fast queue: Redis is back ({} job(s) were enqueued to the database meanwhile)",
                 fallen_back_.exchange(0));
  }
}

Result<std::string> FallbackQueue::Enqueue(const std::string& queue, const NewJob& job) {
  DOCRUNCH_TRY(CheckNewJob(queue, job));  // bad input is refused by both alike
  auto id = redis_->Enqueue(queue, job);
  if (id) {
    Observe(nullptr);
    return id;
  }
  Observe(&id.error());
  auto fallback = database_->Enqueue(queue, job);
  if (fallback) ++fallen_back_;
  return fallback;
}

bool FallbackQueue::DatabaseDue(const std::string& queue) {
  std::lock_guard lock(mu_);
  auto it = database_due_.find(queue);
  return it == database_due_.end() || std::chrono::steady_clock::now() >= it->second;
}

void FallbackQueue::DatabaseChecked(const std::string& queue, bool found) {
  std::lock_guard lock(mu_);
  database_due_[queue] = found ? std::chrono::steady_clock::time_point{}
                               : std::chrono::steady_clock::now() + kDatabasePoll;
}

Result<std::vector<TakenJob>> FallbackQueue::Take(const std::string& queue,
                                                  const std::string& consumer, int max,
                                                  std::chrono::milliseconds wait) {
  if (DatabaseDue(queue) || outage_.load()) {
    auto backlog = database_->Take(queue, consumer, max, std::chrono::milliseconds(0));
    // Bad input is refused by both alike; a database that fails now must
    // not stop the work waiting in Redis.
    if (!backlog && backlog.error().code == ErrorCode::kInvalidParams) return backlog;
    if (backlog) DatabaseChecked(queue, !backlog->empty());
    if (backlog && !backlog->empty()) return backlog;
  }
  auto taken = redis_->Take(queue, consumer, max, wait);
  if (taken || taken.error().code == ErrorCode::kInvalidParams) {
    if (taken) Observe(nullptr);
    return taken;
  }
  Observe(&taken.error());
  // Redis is away: serve the database queue, where Enqueue now puts jobs.
  auto backlog = database_->Take(queue, consumer, max, wait);
  if (backlog) DatabaseChecked(queue, !backlog->empty());
  return backlog;
}

Result<FastQueue*> FallbackQueue::Owner(const TakenJob& job) {
  if (job.id.rfind("db:", 0) == 0) return static_cast<FastQueue*>(database_.get());
  if (job.id.rfind("redis:", 0) == 0) return static_cast<FastQueue*>(redis_.get());
  return MakeError(
      ErrorCode::kInvalidParams,
      "id: '" + job.id.substr(0, 64) + "' is not a fast queue job id (db:N or redis:MS-SEQ)");
}

Result<void> FallbackQueue::Ack(const TakenJob& job) {
  auto owner = Owner(job);
  if (!owner) return owner.error();
  return (*owner)->Ack(job);
}

Result<void> FallbackQueue::AckBatch(const std::vector<TakenJob>& jobs) {
  std::map<FastQueue*, std::vector<TakenJob>> by_owner;
  for (const auto& job : jobs) {
    auto owner = Owner(job);
    if (!owner) return owner.error();
    by_owner[*owner].push_back(job);
  }
  for (const auto& [owner, owned] : by_owner) DOCRUNCH_TRY(owner->AckBatch(owned));
  return Ok();
}

Result<void> FallbackQueue::Fail(const TakenJob& job, const std::string& error) {
  auto owner = Owner(job);
  if (!owner) return owner.error();
  return (*owner)->Fail(job, error);
}

Result<QueueCounts> FallbackQueue::Counts(const std::string& queue) {
  auto database = database_->Counts(queue);
  if (!database) return database;
  auto redis = redis_->Counts(queue);
  if (!redis) return redis;
  return QueueCounts{database->waiting + redis->waiting, database->taken + redis->taken,
                     database->dead + redis->dead};
}

Result<std::vector<ListedJob>> FallbackQueue::List(const std::string& queue,
                                                   const std::string& status, int limit) {
  auto database = database_->List(queue, status, limit);
  if (!database) return database;
  auto redis = redis_->List(queue, status, limit);
  if (!redis) return redis;
  database->insert(database->end(), redis->begin(), redis->end());
  return database;
}

}  // namespace docrunch::jobs
