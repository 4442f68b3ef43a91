// The scheduler (PRODUCT §12, jobs.schedules): cron entries that fire a job
// at each tick, exactly once per tick however many processes run one.
//
// Two guards, either enough on its own when the other fails:
//
// - a leader: the schedulers of all processes share one lease row
//   (scheduler_leases, renewed every poll, taken over when it expires), and
//   only its holder fires. A row works the same on SQLite and PostgreSQL
//   and needs no connection held open;
// - a tick record: firing inserts (schedule, tick time) into
//   schedule_ticks, whose primary key refuses a second row, in the same
//   transaction that queues the job (the database's fast queue) or starts
//   the run (the workflow engine). A leader that lost its lease without
//   noticing, racing the new one, therefore cannot fire a tick twice, and
//   a crash between the record and the job leaves neither.
//
// Fast-lane ticks go to the database's queue (also in hosted mode, whose
// workers take from the database at least once a second) with the
// idempotency key "schedule:<name>@<tick>".
//
// Missed ticks (no scheduler ran at the time): a new leader fires the
// latest missed tick of each schedule once, so a scheduler down for a day
// runs a nightly job once, not a backlog. A schedule that never fired
// looks back one lease and poll only (what a dying leader may have missed
// during the handover): a schedule added at noon with "0 3 * * *" waits
// for 3:00.
//
// Thread-safety: one thread calls Tick/Run.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "jobs/cron.h"
#include "jobs/db_workflow.h"
#include "jobs/job_types.h"
#include "store/store.h"

namespace docrunch::jobs {

struct Schedule {
  std::string name;
  CronSchedule cron;
  std::string job;           // a job type (job_types.h)
  std::string input = "{}";  // JSON: the fast job's payload or the run's input
};

// jobs.schedules, plus, when jobs.scheduler.enabled, the built-in
// "scheduler.scan" (repo-scan at scan_cron) and "scheduler.sync"
// (sync-apply at sync_cron). INVALID_PARAMS naming the entry for a cron
// expression or job type the config loader would have refused.
Result<std::vector<Schedule>> SchedulesFromConfig(const config::JobsConfig& jobs);

struct SchedulerOptions {
  std::string owner = "scheduler";  // unique per process: "host:pid"
  std::string queue = "fast";       // where fast-lane ticks are queued
  std::chrono::milliseconds lease{15000};
  std::chrono::milliseconds poll{1000};  // below lease
};

class Scheduler {
 public:
  // `store`, `clock` and `router` must outlive the scheduler; `engine`
  // (nullptr: workflow-lane schedules fail to fire, with a warning) too.
  Scheduler(store::Store& store, const Clock& clock, const JobRouter& router,
            DbWorkflowEngine* engine, std::vector<Schedule> schedules, SchedulerOptions options);

  // One turn: takes or renews the leadership; as leader, fires every
  // schedule whose tick is due. Returns how many ticks this call fired.
  Result<int> Tick();
  // Fires what is due now as if this process led (Tick does this once it
  // leads); tests race two of them to show a tick fires once anyway.
  Result<int> FireDue();
  // Tick every poll until `stop`; then gives the leadership up.
  Result<void> Run(const std::atomic<bool>& stop);
  // Gives the leadership up (another scheduler takes over at its next poll).
  Result<void> Resign();

  bool leading() const { return leading_; }

 private:
  Result<bool> Lead();
  // When each schedule fires next, from its last recorded tick.
  Result<void> Plan();
  // Records the tick and queues its job in one transaction; false when the
  // tick was recorded already (fired by another scheduler).
  Result<bool> Fire(const Schedule& schedule, TimePoint tick);

  store::Store& store_;
  const Clock& clock_;
  const JobRouter& router_;
  DbWorkflowEngine* engine_;
  std::vector<Schedule> schedules_;
  SchedulerOptions options_;
  bool leading_ = false;
  std::map<std::string, TimePoint> next_;  // by schedule name; empty until planned
};

}  // namespace docrunch::jobs
