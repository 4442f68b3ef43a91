#include "jobs/redis_queue.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <spdlog/spdlog.h>

#include "jobs/job_types.h"
#include "jobs/redis_scripts.h"

namespace docrunch::jobs {

namespace {

using std::chrono::milliseconds;

constexpr std::string_view kIdPrefix = "redis:";
constexpr const char* kGroup = "workers";
// A blocked Take wakes at least this often to move due retries back and
// reclaim timed-out jobs, which XREADGROUP alone would not notice.
constexpr milliseconds kBlockSlice{500};

const std::array<const std::string*, 7> kScriptText = {
    &redis_scripts::kEnqueue,        &redis_scripts::kTakeDue, &redis_scripts::kAck,
    &redis_scripts::kFail,           &redis_scripts::kCounts,  &redis_scripts::kList,
    &redis_scripts::kForgetConsumers};
const std::array<const char*, 7> kScriptName = {
    "enqueue", "take", "ack", "fail", "counts", "list", "forget consumers"};

std::string Text(const redisReply* r) {
  if (r == nullptr) return "";
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR) {
    return std::string(r->str, r->len);
  }
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  return "";
}

bool IsArray(const redisReply* r, std::size_t at_least) {
  return r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements >= at_least;
}

bool IsStreamId(std::string_view id) {
  auto dash = id.find('-');
  auto digits = [](std::string_view s) {
    return !s.empty() && s.size() <= 20 && s.find_first_not_of("0123456789") == s.npos;
  };
  return dash != id.npos && digits(id.substr(0, dash)) && digits(id.substr(dash + 1));
}

bool IsPrefix(const std::string& prefix) {
  return !prefix.empty() && prefix.size() <= 64 &&
         std::all_of(prefix.begin(), prefix.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' ||
                  c == '-';
         });
}

Result<void> CheckQueue(const std::string& queue) {
  if (IsJobName(queue)) return Ok();
  return MakeError(ErrorCode::kInvalidParams,
                   "queue: '" + queue.substr(0, 64) + "' is not a queue name ([a-z0-9_-], 1-64)");
}

}  // namespace

Result<std::string> RedisStreamId(const std::string& id) {
  if (id.rfind(kIdPrefix, 0) == 0 && IsStreamId(std::string_view(id).substr(kIdPrefix.size()))) {
    return id.substr(kIdPrefix.size());
  }
  return MakeError(ErrorCode::kInvalidParams,
                   "id: '" + id.substr(0, 64) + "' is not a Redis queue job id (redis:MS-SEQ)");
}

Result<std::unique_ptr<RedisQueue>> RedisQueue::Open(const std::string& redis_url,
                                                     std::string prefix, QueueOptions options) {
  if (!IsPrefix(prefix)) {
    return MakeError(ErrorCode::kInvalidParams,
                     "jobs.queue_name: '" + prefix.substr(0, 64) +
                         "' is not a key prefix ([A-Za-z0-9_.:-], 1-64)");
  }
  auto pool = RedisPool::Open(redis_url);
  if (!pool) return pool.error();
  return std::unique_ptr<RedisQueue>(new RedisQueue(std::move(*pool), std::move(prefix), options));
}

std::string RedisQueue::StreamKey(const std::string& queue) const {
  return prefix_ + ":jobs:" + queue;
}

Result<RedisReply> RedisQueue::Checked(Result<RedisReply> reply, const std::string& what) const {
  if (!reply) return reply.error();
  if ((*reply)->type != REDIS_REPLY_ERROR) return reply;
  return MakeError(ErrorCode::kStorageQuery,
                   "redis at " + pool_->target().where() + ": " + what + ": " + Text(reply->get()));
}

Result<std::string> RedisQueue::Sha(Script script, bool reload) {
  {
    std::lock_guard lock(mu_);
    if (!reload && !shas_[script].empty()) return shas_[script];
  }
  auto loaded = Checked(pool_->Command({"SCRIPT", "LOAD", *kScriptText[script]}),
                        std::string("SCRIPT LOAD ") + kScriptName[script]);
  if (!loaded) return loaded.error();
  std::lock_guard lock(mu_);
  shas_[script] = Text(loaded->get());
  return shas_[script];
}

Result<void> RedisQueue::EnsureGroup(const std::string& queue, bool again) {
  {
    std::lock_guard lock(mu_);
    if (!again && grouped_.count(queue) > 0) return Ok();
  }
  // From id 0: jobs enqueued before the group existed are delivered too.
  auto created = pool_->Command({"XGROUP", "CREATE", StreamKey(queue), kGroup, "0", "MKSTREAM"});
  if (!created) return created.error();
  if ((*created)->type == REDIS_REPLY_ERROR && Text(created->get()).rfind("BUSYGROUP", 0) != 0) {
    return Checked(std::move(created), "XGROUP CREATE").error();
  }
  std::lock_guard lock(mu_);
  grouped_.insert(queue);
  return Ok();
}

Result<RedisReply> RedisQueue::Run(Script script, const std::string& queue,
                                   std::vector<std::string> args) {
  const std::string stream = StreamKey(queue);
  bool reload = false;
  for (int attempt = 0;; ++attempt) {
    auto sha = Sha(script, reload);
    if (!sha) return sha.error();
    std::vector<std::string> command = {
        "EVALSHA", *sha, "4", stream, stream + ":keys", stream + ":delayed", stream + ":dead"};
    command.insert(command.end(), args.begin(), args.end());
    auto reply = pool_->Command(command);
    if (!reply) return reply.error();
    if ((*reply)->type != REDIS_REPLY_ERROR || attempt > 1) {
      return Checked(std::move(reply), kScriptName[script]);
    }
    const std::string error = Text(reply->get());
    if (error.rfind("NOSCRIPT", 0) == 0) {
      reload = true;  // Redis restarted (or SCRIPT FLUSH): load it again
    } else if (error.find("NOGROUP") != std::string::npos) {
      DOCRUNCH_TRY(EnsureGroup(queue, true));
    } else {
      return Checked(std::move(reply), kScriptName[script]);
    }
  }
}

Result<std::string> RedisQueue::Enqueue(const std::string& queue, const NewJob& job) {
  DOCRUNCH_TRY(CheckNewJob(queue, job));
  auto ids = EnqueueBatch(queue, {job});
  if (!ids) return ids.error();
  return std::move(ids->front());
}

// One script for the batch (the Enqueue script takes type, payload, key
// triples).
Result<std::vector<std::string>> RedisQueue::EnqueueBatch(const std::string& queue,
                                                          const std::vector<NewJob>& jobs) {
  std::vector<std::string> args;
  for (const auto& job : jobs) {
    DOCRUNCH_TRY(CheckNewJob(queue, job));
    args.insert(args.end(), {job.type, job.payload, job.idempotency_key});
  }
  std::vector<std::string> ids;
  if (jobs.empty()) return ids;
  auto reply = Run(kEnqueueScript, queue, std::move(args));
  if (!reply) return reply.error();
  const redisReply* r = reply->get();
  if (!IsArray(r, jobs.size())) {
    return MakeError(ErrorCode::kStorageQuery, "redis: enqueue: an unexpected reply");
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    ids.push_back(std::string(kIdPrefix) + Text(r->element[i]));
  }
  return ids;
}

Result<std::vector<TakenJob>> RedisQueue::ReadNew(const std::string& queue,
                                                  const std::string& consumer, int max,
                                                  milliseconds block) {
  auto reply =
      pool_->Command({"XREADGROUP", "GROUP", kGroup, consumer, "COUNT", std::to_string(max),
                      "BLOCK", std::to_string(block.count()), "STREAMS", StreamKey(queue), ">"},
                     block);
  if (!reply) return reply.error();
  std::vector<TakenJob> taken;
  if ((*reply)->type == REDIS_REPLY_ERROR &&
      Text(reply->get()).find("NOGROUP") != std::string::npos) {
    DOCRUNCH_TRY(EnsureGroup(queue, true));  // deleted under us: the next round reads
    return taken;
  }
  auto checked = Checked(std::move(*reply), "XREADGROUP");
  if (!checked) return checked.error();
  const redisReply* streams = checked->get();
  if (!IsArray(streams, 1) || !IsArray(streams->element[0], 2)) return taken;  // timed out
  const redisReply* entries = streams->element[0]->element[1];
  for (std::size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; ++i) {
    const redisReply* entry = entries->element[i];
    if (!IsArray(entry, 2) || !IsArray(entry->element[1], 0)) continue;
    TakenJob job{std::string(kIdPrefix) + Text(entry->element[0]), queue, "", "", "", 1};
    const redisReply* fields = entry->element[1];
    for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
      std::string name = Text(fields->element[f]);
      std::string value = Text(fields->element[f + 1]);
      if (name == "type") job.type = value;
      if (name == "payload") job.payload = value;
      if (name == "key") job.idempotency_key = value;
      // A retried job carries the deliveries it had; this one adds one.
      if (name == "deliveries") job.deliveries = std::max(0, std::atoi(value.c_str())) + 1;
    }
    taken.push_back(std::move(job));
  }
  return taken;
}

Result<std::vector<TakenJob>> RedisQueue::Take(const std::string& queue,
                                               const std::string& consumer, int max,
                                               milliseconds wait) {
  DOCRUNCH_TRY(CheckQueue(queue));
  if (consumer.empty() || consumer.size() > 200) {
    return MakeError(ErrorCode::kInvalidParams, "consumer: 1 to 200 characters");
  }
  max = std::clamp(max, 1, 1000);
  DOCRUNCH_TRY(EnsureGroup(queue, false));
  // Housekeeping: a failed sweep is told, and taking jobs goes on.
  if (auto swept = ForgetIdleConsumers(queue); !swept) {
    spdlog::warn("jobs: queue {}: removing idle consumers: {}", queue, swept.error().ToString());
  }
  const auto until = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto reply = Run(kTakeDueScript, queue,
                     {consumer, std::to_string(options_.visibility.count()), std::to_string(max),
                      std::to_string(options_.max_deliveries)});
    if (!reply) return reply.error();
    const redisReply* r = reply->get();
    if (!IsArray(r, 2) || !IsArray(r->element[1], 0)) {
      return MakeError(ErrorCode::kStorageQuery, "redis: take: an unexpected reply");
    }
    std::vector<TakenJob> taken;
    for (std::size_t i = 0; i < r->element[1]->elements; ++i) {
      const redisReply* e = r->element[1]->element[i];
      if (!IsArray(e, 5)) continue;
      taken.push_back({std::string(kIdPrefix) + Text(e->element[0]), queue, Text(e->element[1]),
                       Text(e->element[2]), Text(e->element[3]),
                       static_cast<int>(e->element[4]->integer)});
    }
    if (!taken.empty()) return taken;
    auto left = std::chrono::duration_cast<milliseconds>(until - std::chrono::steady_clock::now());
    if (left <= milliseconds(0)) return taken;
    milliseconds block = std::min(left, kBlockSlice);
    if (r->element[0]->integer >= 0) block = std::min(block, milliseconds(r->element[0]->integer));
    auto fresh = ReadNew(queue, consumer, max, std::max(block, milliseconds(1)));
    if (!fresh || !fresh->empty()) return fresh;
  }
}

Result<void> RedisQueue::ForgetIdleConsumers(const std::string& queue) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto [at, fresh] = swept_.try_emplace(queue, now);
    if (!fresh && now - at->second < options_.forget_consumers_after) return Ok();
    at->second = now;
  }
  auto reply =
      Run(kForgetConsumersScript, queue, {std::to_string(options_.forget_consumers_after.count())});
  if (!reply) return reply.error();
  return Ok();
}

Result<void> RedisQueue::Ack(const TakenJob& job) {
  auto id = RedisStreamId(job.id);
  if (!id) return id.error();
  DOCRUNCH_TRY(CheckQueue(job.queue));
  // Twice, or late (another worker took the job over since): not an
  // error, and nothing changes.
  auto reply = Run(kAckScript, job.queue, {*id, std::to_string(job.deliveries)});
  if (!reply) return reply.error();
  return Ok();
}

// One script per queue for the batch (the Ack script takes id, deliveries
// pairs).
Result<void> RedisQueue::AckBatch(const std::vector<TakenJob>& jobs) {
  std::map<std::string, std::vector<std::string>> by_queue;
  for (const auto& job : jobs) {
    auto id = RedisStreamId(job.id);
    if (!id) return id.error();
    DOCRUNCH_TRY(CheckQueue(job.queue));
    auto& args = by_queue[job.queue];
    args.push_back(*id);
    args.push_back(std::to_string(job.deliveries));
  }
  for (auto& [queue, args] : by_queue) {
    auto reply = Run(kAckScript, queue, std::move(args));
    if (!reply) return reply.error();
  }
  return Ok();
}

Result<void> RedisQueue::Fail(const TakenJob& job, const std::string& error) {
  auto id = RedisStreamId(job.id);
  if (!id) return id.error();
  DOCRUNCH_TRY(CheckQueue(job.queue));
  auto reply = Run(kFailScript, job.queue,
                   {*id, error.substr(0, 2000), std::to_string(options_.max_deliveries),
                    std::to_string(options_.retry_delay.count()), std::to_string(job.deliveries)});
  if (!reply) return reply.error();
  return Ok();
}

Result<QueueCounts> RedisQueue::Counts(const std::string& queue) {
  DOCRUNCH_TRY(CheckQueue(queue));
  auto reply = Run(kCountsScript, queue, {});
  if (!reply) return reply.error();
  const redisReply* r = reply->get();
  if (!IsArray(r, 3))
    return MakeError(ErrorCode::kStorageQuery, "redis: counts: an unexpected reply");
  return QueueCounts{r->element[0]->integer, r->element[1]->integer, r->element[2]->integer};
}

Result<std::vector<ListedJob>> RedisQueue::List(const std::string& queue, const std::string& status,
                                                int limit) {
  DOCRUNCH_TRY(CheckQueue(queue));
  DOCRUNCH_TRY(CheckListedStatus(status));
  auto reply = Run(kListScript, queue, {status, std::to_string(std::clamp(limit, 1, 1000))});
  if (!reply) return reply.error();
  const redisReply* r = reply->get();
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) {
    return MakeError(ErrorCode::kStorageQuery, "redis: list: an unexpected reply");
  }
  std::vector<ListedJob> out;
  for (std::size_t i = 0; i < r->elements && static_cast<int>(out.size()) < limit; ++i) {
    const redisReply* e = r->element[i];
    if (!IsArray(e, 6)) continue;
    out.push_back({std::string(kIdPrefix) + Text(e->element[0]), Text(e->element[1]),
                   Text(e->element[2]), static_cast<int>(e->element[3]->integer),
                   Text(e->element[4]), Text(e->element[5])});
  }
  return out;
}

}  // namespace docrunch::jobs
