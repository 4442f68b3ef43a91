#include "jobs/scheduler.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "jobs/db_queue.h"

namespace docrunch::jobs {

namespace {

constexpr const char* kLeaseName = "scheduler";

Result<Schedule> MakeSchedule(const std::string& field, const std::string& name,
                              const std::string& cron, const std::string& job,
                              const std::string& input) {
  auto parsed = CronSchedule::Parse(cron);
  if (!parsed) return MakeError(ErrorCode::kInvalidParams, field + "." + parsed.error().message);
  if (!JobRouter::Builtin().Find(job)) {
    return MakeError(ErrorCode::kInvalidParams, field + ".job: unknown job type '" + job + "'");
  }
  return Schedule{name, std::move(*parsed), job, input.empty() ? "{}" : input};
}

}  // namespace

Result<std::vector<Schedule>> SchedulesFromConfig(const config::JobsConfig& jobs) {
  std::vector<Schedule> out;
  auto add = [&out](Result<Schedule> made) -> Result<void> {
    if (!made) return made.error();
    out.push_back(std::move(*made));
    return Ok();
  };
  if (jobs.scheduler.enabled) {
    DOCRUNCH_TRY(add(MakeSchedule("jobs.scheduler.scan_cron", "scheduler.scan",
                                  jobs.scheduler.scan_cron, "repo-scan", "{}")));
    DOCRUNCH_TRY(add(MakeSchedule("jobs.scheduler.sync_cron", "scheduler.sync",
                                  jobs.scheduler.sync_cron, "sync-apply", "{}")));
  }
  for (std::size_t i = 0; i < jobs.schedules.size(); ++i) {
    const auto& entry = jobs.schedules[i];
    DOCRUNCH_TRY(add(MakeSchedule("jobs.schedules[" + std::to_string(i) + "]", entry.name,
                                  entry.cron, entry.job, entry.input)));
  }
  return out;
}

Scheduler::Scheduler(store::Store& store, const Clock& clock, const JobRouter& router,
                     DbWorkflowEngine* engine, std::vector<Schedule> schedules,
                     SchedulerOptions options)
    : store_(store),
      clock_(clock),
      router_(router),
      engine_(engine),
      schedules_(std::move(schedules)),
      options_(std::move(options)) {
  if (options_.owner.empty()) options_.owner = "scheduler";
  if (options_.poll <= std::chrono::milliseconds(0) || options_.poll >= options_.lease) {
    options_.poll = options_.lease / 3;
  }
}

Result<bool> Scheduler::Lead() {
  const TimePoint now = clock_.Now();
  std::int64_t changed = 0;
  DOCRUNCH_TRY(store_.Transact([&](store::Tx& tx) -> Result<void> {
    // Ours when free, expired, or already ours: one statement, so two
    // schedulers asking at once cannot both win.
    auto taken = tx.Exec(
        "INSERT INTO scheduler_leases (name, owner, lease_until) VALUES ($1, $2, $3) "
        "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
        "lease_until = excluded.lease_until "
        "WHERE scheduler_leases.owner = excluded.owner OR scheduler_leases.lease_until <= $4",
        {kLeaseName, options_.owner, FormatIso8601(now + options_.lease), FormatIso8601(now)});
    if (!taken) return taken.error();
    changed = *taken;
    return Ok();
  }));
  return changed == 1;
}

Result<void> Scheduler::Resign() {
  if (!leading_) return Ok();
  leading_ = false;
  next_.clear();
  return store_.Transact([&](store::Tx& tx) -> Result<void> {
    auto gone = tx.Exec("DELETE FROM scheduler_leases WHERE name = $1 AND owner = $2",
                        {kLeaseName, options_.owner});
    if (!gone) return gone.error();
    return Ok();
  });
}

Result<void> Scheduler::Plan() {
  const TimePoint now = clock_.Now();
  next_.clear();
  for (const auto& schedule : schedules_) {
    auto last = store_.Query("SELECT max(tick_at) AS last FROM schedule_ticks WHERE name = $1",
                             {schedule.name});
    if (!last) return last.error();
    std::optional<TimePoint> previous;
    if (auto text = last->Text(0, "last")) previous = ParseIso8601(*text);
    // Never fired: the ticks a leader that died may have missed, during
    // the handover (at most a lease and a poll), still count.
    const TimePoint from = previous.value_or(now - options_.lease - options_.poll);
    std::optional<TimePoint> next = schedule.cron.Next(from);
    // Missed ticks: the latest of them, once.
    for (int guard = 0; next && *next <= now && guard < 1'000'000; ++guard) {
      auto after = schedule.cron.Next(*next);
      if (!after || *after > now) break;
      next = after;
    }
    if (!next) {
      spdlog::warn("scheduler: {}: '{}' never fires", schedule.name, schedule.cron.text());
      continue;
    }
    next_[schedule.name] = *next;
  }
  return Ok();
}

Result<bool> Scheduler::Fire(const Schedule& schedule, TimePoint tick) {
  auto routed = router_.Route(schedule.job);
  if (!routed) return routed.error();
  if (routed->lane == Lane::kWorkflow && !engine_) {
    return MakeError(ErrorCode::kInvalidParams,
                     "job: " + schedule.job + " is a workflow and this scheduler has no engine");
  }
  const std::string at = FormatIso8601(tick);
  bool fired = false;
  std::string target;
  DOCRUNCH_TRY(store_.Transact([&](store::Tx& tx) -> Result<void> {
    fired = false;
    const TimePoint now = clock_.Now();
    auto recorded = tx.Exec(
        "INSERT INTO schedule_ticks (name, tick_at, job_type, target, fired_by, fired_at) "
        "VALUES ($1, $2, $3, '', $4, $5) ON CONFLICT (name, tick_at) DO NOTHING",
        {schedule.name, at, schedule.job, options_.owner, FormatIso8601(now)});
    if (!recorded) return recorded.error();
    if (*recorded == 0) return Ok();  // another scheduler fired this tick
    Result<std::string> queued =
        routed->lane == Lane::kFast
            ? DbQueue::EnqueueIn(
                  tx, options_.queue,
                  {schedule.job, schedule.input, "schedule:" + schedule.name + "@" + at}, now)
            : engine_->StartIn(tx, schedule.job, schedule.input);
    if (!queued) return queued.error();
    target = *queued;
    auto noted = tx.Exec("UPDATE schedule_ticks SET target = $3 WHERE name = $1 AND tick_at = $2",
                         {schedule.name, at, target});
    if (!noted) return noted.error();
    fired = true;
    return Ok();
  }));
  if (fired)
    spdlog::info("scheduler: {} fired {} for {}: {}", schedule.name, schedule.job, at, target);
  return fired;
}

Result<int> Scheduler::FireDue() {
  if (next_.empty()) DOCRUNCH_TRY(Plan());
  int fired = 0;
  const TimePoint now = clock_.Now();
  for (const auto& schedule : schedules_) {
    auto next = next_.find(schedule.name);
    if (next == next_.end() || next->second > now) continue;
    const TimePoint tick = next->second;
    auto done = Fire(schedule, tick);
    if (!done && (done.error().code == ErrorCode::kStorageUnavailable ||
                  done.error().code == ErrorCode::kStorageQuery)) {
      return done.error();  // the database is away: the tick stays due
    }
    if (!done) {
      spdlog::warn("scheduler: {} could not fire {} for {}: {}", schedule.name, schedule.job,
                   FormatIso8601(tick), done.error().ToString());
    } else if (*done) {
      ++fired;
    }
    // After a tick (fired here, elsewhere, or refused) comes the first
    // one after now: ticks missed meanwhile are not caught up one by one.
    auto after = schedule.cron.Next(std::max(tick, now));
    if (after) {
      next->second = *after;
    } else {
      next_.erase(next);
    }
  }
  return fired;
}

Result<int> Scheduler::Tick() {
  auto lead = Lead();
  if (!lead) return lead.error();
  if (!*lead) {
    if (leading_) spdlog::info("scheduler: {} no longer leads", options_.owner);
    leading_ = false;
    next_.clear();
    return 0;
  }
  if (!leading_) {
    spdlog::info("scheduler: {} leads {} schedule(s)", options_.owner, schedules_.size());
    leading_ = true;
    DOCRUNCH_TRY(Plan());
  }
  return FireDue();
}

Result<void> Scheduler::Run(const std::atomic<bool>& stop) {
  while (!stop) {
    if (auto ticked = Tick(); !ticked) {
      spdlog::warn("scheduler: {}", ticked.error().ToString());
      leading_ = false;  // plan again from the record once the database answers
      next_.clear();
    }
    for (auto slept = std::chrono::milliseconds(0); slept < options_.poll && !stop;
         slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return Resign();
}

}  // namespace docrunch::jobs
