#include "jobs/workflow_execution.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace docrunch::jobs {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json ParseJson(const std::optional<std::string>& text) {
  if (!text) return json();
  return json::parse(*text, nullptr, false);
}

// The names of a wait ("approve|reject": any of them) appended to `params`;
// their placeholders for an IN list.
std::string SignalNames(const std::string& names, store::Params& params) {
  std::string in_list;
  for (std::size_t start = 0, bar = 0; bar != std::string::npos; start = bar + 1) {
    bar = names.find('|', start);
    params.push_back(names.substr(start, bar == std::string::npos ? bar : bar - start));
    in_list += (in_list.empty() ? "$" : ", $") + std::to_string(params.size());
  }
  return in_list;
}

// What the execution decided besides the function's own answer.
enum class State { kActive, kParked, kCancelled, kAbandoned, kBroken };

struct Compensation {
  int seq = 0;
  std::string name;
  std::string status;  // the step's recorded status
  json result;
  CompensateFn fn;
};

class Execution final : public WorkflowContext {
 public:
  Execution(const ExecutionEnv& env, const RunClaim& claim, const std::atomic<bool>& stop)
      : env_(env), claim_(claim), worker_stop_(stop), cancel_(claim.cancel_requested) {
    input_ = json::parse(claim.input, nullptr, false);
    renewed_at_ = env_.clock.Now().time_since_epoch().count();
  }

  const std::string& run_id() const override { return claim_.id; }
  const json& input() const override { return input_; }

  Result<void> Run(const WorkflowFn& fn);

  Result<json> Step(const std::string& name, const StepFn& fn, const StepOptions& options,
                    const CompensateFn& compensate) override;
  Result<json> TxStep(const std::string& name, const TxStepFn& fn, const StepOptions& options,
                      const CompensateFn& compensate) override;
  Result<void> Sleep(std::chrono::milliseconds duration) override {
    return SleepUntilImpl(std::nullopt, duration);
  }
  Result<void> SleepUntil(TimePoint time) override { return SleepUntilImpl(time, 0ms); }
  Result<SignalResult> WaitForSignal(const std::string& name,
                                     std::chrono::milliseconds timeout) override;

 private:
  std::string Now() const { return FormatIso8601(env_.clock.Now()); }
  Error Suspended() const {
    return MakeError(ErrorCode::kInterrupted,
                     std::string(kWorkflowSuspended) + " (run " + claim_.id + ")");
  }
  // Checks the lease in `tx` (locking the run's row), renews it when
  // `renew` or when a heartbeat's time passed since it was last renewed, and
  // reads cancel_requested; fails with lost_ set when another worker holds
  // the run now.
  Result<void> Hold(store::Tx& tx, bool renew = false);
  // A transaction under the lease; on failure the execution is abandoned
  // (lease lost, or the database away: the run is taken again later).
  Result<void> Write(const std::function<Result<void>(store::Tx&)>& fn);
  // Before doing anything new: the lease is still ours and no cancellation.
  Result<void> Boundary();
  Result<void> LoadSteps();
  const WorkflowStepInfo* Recorded(int seq) const;
  Result<void> Mismatch(int seq, const WorkflowStepInfo& rec, const std::string& kind,
                        const std::string& name);
  Result<void> SetStep(store::Tx& tx, int seq, const std::string& status, const json* result,
                       const std::string& error);
  Result<void> SleepUntilImpl(std::optional<TimePoint> until, std::chrono::milliseconds duration);
  // One attempt of step `seq`: runs the call and records its completion
  // (an error leaves the step running). `abandoned` is set when the
  // recording failed (lease lost, database away).
  using AttemptFn = std::function<Result<json>(StepCall& call, int seq, bool& abandoned)>;
  Result<json> RunStep(const std::string& name, const StepOptions& options,
                       const CompensateFn& compensate, const AttemptFn& attempt_fn);
  Result<json> Attempt(const AttemptFn& fn, const StepOptions& options, int seq, int attempt,
                       bool& abandoned);
  // A timeout error when the attempt's deadline passed.
  Result<void> InTime(const std::string& name, const StepCall& call, int seq,
                      const StepOptions& options) const;
  Result<void> Park();
  Result<void> Finish(const std::string& status, const json* result, const std::string& error);
  // Runs the compensations in reverse order; returns the first failure's
  // description ("" when all succeeded) and how many there were.
  Result<std::pair<std::string, int>> Compensate();
  void Heartbeat();

  const ExecutionEnv& env_;
  const RunClaim& claim_;
  const std::atomic<bool>& worker_stop_;
  json input_;
  std::vector<WorkflowStepInfo> steps_;  // recorded, by seq - 1
  int next_seq_ = 1;
  State state_ = State::kActive;
  std::string broken_;        // kBroken: why
  TimePoint wake_at_{};       // kParked: when (max(): a signal only)
  std::string waiting_for_;   // kParked on a signal: its name
  std::atomic<bool> cancel_;  // also set by the heartbeat's Hold
  std::vector<Compensation> compensations_;
  // A completed step's record not yet written: it goes into the next
  // transaction (the next step's attempt, a park, the end), one commit per
  // step instead of two. The step counts as completed once that commits; a
  // crash before then leaves it running, as a crash just before its own
  // commit would.
  std::function<Result<void>(store::Tx&)> unwritten_;

  // Shared with the heartbeat thread.
  std::atomic<bool> lost_{false};
  // When the lease was last renewed (env_.clock, in its ticks); the claim
  // set it just before this execution began.
  std::atomic<TimePoint::rep> renewed_at_{0};
  std::atomic<bool> step_stop_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  bool done_ = false;                  // GUARDED_BY(mu_)
  std::optional<TimePoint> deadline_;  // GUARDED_BY(mu_): the running attempt's
};

Result<void> Execution::Hold(store::Tx& tx, bool renew) {
  const TimePoint now = env_.clock.Now();
  if (now >= TimePoint(TimePoint::duration(renewed_at_.load())) + env_.heartbeat) renew = true;
  // Between renewals a plain locking read: no new row version per write.
  // (A backend that can skip locked rows can lock one; SQLite's write
  // transactions run one at a time.)
  auto held =
      renew ? tx.Query(
                  "UPDATE workflow_runs SET lease_until = $3, updated_at = $4 "
                  "WHERE id = $1 AND lease_owner = $2 AND status = 'running' "
                  "RETURNING cancel_requested",
                  {claim_.id, claim_.token, FormatIso8601(now + env_.lease), FormatIso8601(now)})
            : tx.Query(
                  "SELECT cancel_requested FROM workflow_runs WHERE id = $1 AND "
                  "lease_owner = $2 AND status = 'running'" +
                      std::string(tx.SkipLockedClause().empty() ? "" : " FOR UPDATE"),
                  {claim_.id, claim_.token});
  if (!held) return held.error();
  if (held->empty()) {
    lost_ = true;
    step_stop_ = true;
    return MakeError(ErrorCode::kInterrupted, "run " + claim_.id + ": the lease was lost");
  }
  if (renew) renewed_at_ = now.time_since_epoch().count();
  if (held->Int(0, "cancel_requested").value_or(0) != 0) cancel_ = true;
  return Ok();
}

Result<void> Execution::Write(const std::function<Result<void>(store::Tx&)>& fn) {
  auto written = env_.store.Transact([&](store::Tx& tx) -> Result<void> {
    DOCRUNCH_TRY(Hold(tx));
    if (unwritten_) DOCRUNCH_TRY(unwritten_(tx));
    return fn(tx);
  });
  if (!written) {
    if (!lost_) spdlog::warn("workflows: run {}: {}", claim_.id, written.error().ToString());
    state_ = State::kAbandoned;
    return Suspended();
  }
  unwritten_ = nullptr;
  return Ok();
}

Result<void> Execution::Boundary() {
  DOCRUNCH_TRY(Write([](store::Tx&) { return Ok(); }));
  if (cancel_) {
    state_ = State::kCancelled;
    return Suspended();
  }
  return Ok();
}

Result<void> Execution::LoadSteps() {
  auto rows = env_.store.Query(
      "SELECT seq, name, kind, status, attempts, result, error FROM workflow_steps "
      "WHERE run_id = $1 ORDER BY seq",
      {claim_.id});
  if (!rows) return rows.error();
  for (std::size_t i = 0; i < rows->size(); ++i) {
    WorkflowStepInfo s;
    s.seq = static_cast<int>(rows->Int(i, "seq").value_or(0));
    s.name = rows->Text(i, "name").value_or("");
    s.kind = rows->Text(i, "kind").value_or("step");
    s.status = rows->Text(i, "status").value_or("");
    s.attempts = static_cast<int>(rows->Int(i, "attempts").value_or(0));
    if (auto r = rows->Text(i, "result")) s.result = ParseJson(r);
    s.error = rows->Text(i, "error").value_or("");
    if (s.seq != static_cast<int>(steps_.size()) + 1) {
      return MakeError(
          ErrorCode::kStorageCorrupt,
          "workflow_steps: run " + claim_.id + " has a gap before step " + std::to_string(s.seq));
    }
    steps_.push_back(std::move(s));
  }
  return Ok();
}

const WorkflowStepInfo* Execution::Recorded(int seq) const {
  if (seq < 1 || seq > static_cast<int>(steps_.size())) return nullptr;
  return &steps_[seq - 1];
}

Result<void> Execution::Mismatch(int seq, const WorkflowStepInfo& rec, const std::string& kind,
                                 const std::string& name) {
  if (rec.kind == kind && rec.name == name) return Ok();
  state_ = State::kBroken;
  broken_ = "determinism error: step " + std::to_string(seq) + " is recorded as " + rec.kind +
            " '" + rec.name + "' but the workflow now calls " + kind + " '" + name +
            "' there (did its code change while the run was in flight?)";
  return Suspended();
}

Result<void> Execution::SetStep(store::Tx& tx, int seq, const std::string& status,
                                const json* result, const std::string& error) {
  const bool final = status != "running" && status != "compensating";
  store::Value result_text = result ? store::Value(result->dump()) : store::Value();
  store::Value error_text = error.empty() ? store::Value() : store::Value(error.substr(0, 4000));
  auto set = tx.Exec(
      "UPDATE workflow_steps SET status = $3, result = coalesce($4, result), error = $5, "
      "finished_at = $6 WHERE run_id = $1 AND seq = $2",
      {claim_.id, std::int64_t{seq}, status, result_text, error_text,
       final ? store::Value(Now()) : store::Value()});
  if (!set) return set.error();
  return EmitWorkflowEvent(tx, claim_.id, "step:" + std::to_string(seq) + ":" + status);
}

Result<json> Execution::Step(const std::string& name, const StepFn& fn, const StepOptions& options,
                             const CompensateFn& compensate) {
  return RunStep(name, options, compensate, [&](StepCall& call, int seq, bool&) -> Result<json> {
    auto out = fn(call);
    if (!out) return out;
    // An attempt that returns after its deadline failed: its
    // result is discarded.
    DOCRUNCH_TRY(InTime(name, call, seq, options));
    unwritten_ = [this, seq, result = *out](store::Tx& tx) {
      return SetStep(tx, seq, "completed", &result, "");
    };
    return out;
  });
}

Result<json> Execution::TxStep(const std::string& name, const TxStepFn& fn,
                               const StepOptions& options, const CompensateFn& compensate) {
  return RunStep(
      name, options, compensate, [&](StepCall& call, int seq, bool& abandoned) -> Result<json> {
        Result<json> out = MakeError(ErrorCode::kInternal, "the step did not run");
        bool ran = false;
        bool crashed = false;
        auto written = env_.store.Transact([&](store::Tx& tx) -> Result<void> {
          DOCRUNCH_TRY(Hold(tx));
          // The previous step's record goes first, with or without this
          // step's writes (it is flushed again should these roll back).
          if (unwritten_) DOCRUNCH_TRY(unwritten_(tx));
          ran = true;
          // Whatever leaves the step rolls its writes back, a
          // throw included (rethrown below, out of the
          // transaction).
          try {
            out = fn(tx, call);
          } catch (const WorkerCrash&) {
            crashed = true;
            return MakeError(ErrorCode::kInterrupted, "simulated worker crash");
          } catch (const std::exception& e) {
            out = MakeError(ErrorCode::kInternal, std::string("the step threw: ") + e.what());
          } catch (...) {
            out = MakeError(ErrorCode::kInternal, "the step threw");
          }
          if (out) {
            if (auto in_time = InTime(name, call, seq, options); !in_time) {
              out = in_time.error();
            }
          }
          if (!out) return out.error();  // rolls the step's writes back
          return SetStep(tx, seq, "completed", &*out, "");
        });
        if (crashed) throw WorkerCrash();
        if (written) {
          unwritten_ = nullptr;
          return out;
        }
        if (ran && !out) return out;  // the step's own failure
        if (!lost_) {
          spdlog::warn("workflows: run {}: {}", claim_.id, written.error().ToString());
        }
        abandoned = true;
        return written.error();
      });
}

Result<json> Execution::RunStep(const std::string& name, const StepOptions& options,
                                const CompensateFn& compensate, const AttemptFn& attempt_fn) {
  if (state_ != State::kActive) return Suspended();
  const int seq = next_seq_++;
  const WorkflowStepInfo* rec = Recorded(seq);
  if (rec) {
    DOCRUNCH_TRY(Mismatch(seq, *rec, "step", name));
    if (rec->status == "failed") {
      return MakeError(ErrorCode::kInternal, "step '" + name + "' failed: " + rec->error);
    }
    if (rec->status != "running") {  // completed, or being (or already) compensated
      json result = rec->result.value_or(json());
      if (compensate) compensations_.push_back({seq, name, rec->status, result, compensate});
      return result;
    }
  }
  // The attempt is counted before it runs: a worker that dies in it has
  // used it up.
  int attempt = 0;
  const int max_attempts = std::max(1, options.max_attempts);
  // Recorded attempts are exact: only the lease holder changes them.
  if (rec && rec->attempts >= max_attempts) {
    DOCRUNCH_TRY(Boundary());
    const std::string why = (rec->error.empty() ? std::string() : rec->error + "; ") +
                            "out of attempts (" + std::to_string(max_attempts) + ")";
    DOCRUNCH_TRY(Write([&](store::Tx& tx) { return SetStep(tx, seq, "failed", nullptr, why); }));
    return MakeError(ErrorCode::kInternal, "step '" + name + "' failed: " + why);
  }
  // The step boundary (lease and cancellation, read by Hold) and the
  // attempt's count share one transaction.
  bool cancelled = false;
  DOCRUNCH_TRY(Write([&](store::Tx& tx) -> Result<void> {
    if ((cancelled = cancel_.load())) return Ok();
    auto counted = tx.Query(
        "INSERT INTO workflow_steps (run_id, seq, name, kind, status, attempts, started_at) "
        "VALUES ($1, $2, $3, 'step', 'running', 1, $4) ON CONFLICT (run_id, seq) DO UPDATE "
        "SET attempts = workflow_steps.attempts + 1 RETURNING attempts",
        {claim_.id, std::int64_t{seq}, name, Now()});
    if (!counted) return counted.error();
    attempt = static_cast<int>(counted->Int(0, "attempts").value_or(1));
    return Ok();
  }));
  if (cancelled) {
    state_ = State::kCancelled;
    return Suspended();
  }
  bool abandoned = false;
  auto out = Attempt(attempt_fn, options, seq, attempt, abandoned);
  if (abandoned) state_ = State::kAbandoned;
  if (state_ != State::kActive) return Suspended();
  if (out) {
    if (compensate) compensations_.push_back({seq, name, "completed", *out, compensate});
    return out;
  }
  const std::string message = out.error().ToString();
  // Bad input stays bad: no retry.
  if (attempt < max_attempts && out.error().code != ErrorCode::kInvalidParams) {
    auto delay = options.backoff * (1LL << std::min(attempt - 1, 20));
    delay = std::min<std::chrono::milliseconds>(delay, options.max_backoff);
    DOCRUNCH_TRY(Write([&](store::Tx& tx) -> Result<void> {
      auto noted = tx.Exec("UPDATE workflow_steps SET error = $3 WHERE run_id = $1 AND seq = $2",
                           {claim_.id, std::int64_t{seq}, message.substr(0, 4000)});
      if (!noted) return noted.error();
      return Ok();
    }));
    state_ = State::kParked;
    wake_at_ = env_.clock.Now() + delay;
    return Suspended();
  }
  DOCRUNCH_TRY(Write([&](store::Tx& tx) { return SetStep(tx, seq, "failed", nullptr, message); }));
  return MakeError(ErrorCode::kInternal, "step '" + name + "' failed: " + message);
}

Result<json> Execution::Attempt(const AttemptFn& fn, const StepOptions& options, int seq,
                                int attempt, bool& abandoned) {
  std::optional<TimePoint> deadline;
  if (options.timeout > 0ms) deadline = env_.clock.Now() + options.timeout;
  {
    std::lock_guard lock(mu_);
    deadline_ = deadline;
  }
  step_stop_ = lost_.load() || worker_stop_.load();
  StepCall call{attempt, deadline, step_stop_};
  Result<json> out = MakeError(ErrorCode::kInternal, "the step did not run");
  try {
    out = fn(call, seq, abandoned);
  } catch (const WorkerCrash&) {
    state_ = State::kAbandoned;
  } catch (const std::exception& e) {
    out = MakeError(ErrorCode::kInternal, std::string("the step threw: ") + e.what());
  } catch (...) {
    out = MakeError(ErrorCode::kInternal, "the step threw");
  }
  {
    std::lock_guard lock(mu_);
    deadline_.reset();
  }
  return out;
}

Result<void> Execution::InTime(const std::string& name, const StepCall& call, int seq,
                               const StepOptions& options) const {
  if (!call.deadline || env_.clock.Now() <= *call.deadline) return Ok();
  return MakeError(ErrorCode::kInternal, "step '" + name + "' (step " + std::to_string(seq) +
                                             ", attempt " + std::to_string(call.attempt) +
                                             ") timed out after " +
                                             std::to_string(options.timeout.count()) + " ms");
}

Result<void> Execution::SleepUntilImpl(std::optional<TimePoint> until,
                                       std::chrono::milliseconds duration) {
  if (state_ != State::kActive) return Suspended();
  const int seq = next_seq_++;
  const WorkflowStepInfo* rec = Recorded(seq);
  TimePoint due{};
  if (rec) {
    DOCRUNCH_TRY(Mismatch(seq, *rec, "sleep", "sleep"));
    if (rec->status != "running") return Ok();
    auto at = ParseIso8601(rec->result.value_or(json::object()).value("until", ""));
    due = at.value_or(env_.clock.Now());
  }
  DOCRUNCH_TRY(Boundary());
  if (!rec) {
    due = until.value_or(env_.clock.Now() + duration);
    DOCRUNCH_TRY(Write([&](store::Tx& tx) -> Result<void> {
      auto made = tx.Exec(
          "INSERT INTO workflow_steps (run_id, seq, name, kind, status, attempts, result, "
          "started_at) VALUES ($1, $2, 'sleep', 'sleep', 'running', 1, $3, $4)",
          {claim_.id, std::int64_t{seq}, json{{"until", FormatIso8601(due)}}.dump(), Now()});
      if (!made) return made.error();
      return Ok();
    }));
  }
  if (env_.clock.Now() >= due) {
    return Write([&](store::Tx& tx) { return SetStep(tx, seq, "completed", nullptr, ""); });
  }
  state_ = State::kParked;
  wake_at_ = due;
  return Suspended();
}

Result<SignalResult> Execution::WaitForSignal(const std::string& name,
                                              std::chrono::milliseconds timeout) {
  if (state_ != State::kActive) return Suspended();
  const int seq = next_seq_++;
  const WorkflowStepInfo* rec = Recorded(seq);
  auto answer = [&](const json& r) {
    return SignalResult{r.value("timed_out", false), r.value("name", name),
                        r.value("data", json())};
  };
  store::Params names{claim_.id};
  const std::string in_list = SignalNames(name, names);
  if (rec) {
    DOCRUNCH_TRY(Mismatch(seq, *rec, "signal", name));
    if (rec->status != "running") return answer(rec->result.value_or(json::object()));
  }
  DOCRUNCH_TRY(Boundary());
  json outcome;
  std::optional<TimePoint> deadline;
  if (rec) {
    auto at = rec->result.value_or(json::object()).value("deadline", "");
    deadline = ParseIso8601(at);
  } else if (timeout > 0ms) {
    deadline = env_.clock.Now() + timeout;
  }
  DOCRUNCH_TRY(Write([&](store::Tx& tx) -> Result<void> {
    if (!rec) {
      json pending{{"deadline", deadline ? json(FormatIso8601(*deadline)) : json()}};
      auto made = tx.Exec(
          "INSERT INTO workflow_steps (run_id, seq, name, kind, status, attempts, result, "
          "started_at) VALUES ($1, $2, $3, 'signal', 'running', 1, $4, $5)",
          {claim_.id, std::int64_t{seq}, name, pending.dump(), Now()});
      if (!made) return made.error();
    }
    auto oldest =
        tx.Query("SELECT id, name, data FROM workflow_signals WHERE run_id = $1 AND name IN (" +
                     in_list + ") AND consumed_at IS NULL ORDER BY id LIMIT 1",
                 names);
    if (!oldest) return oldest.error();
    if (!oldest->empty()) {
      auto used = tx.Exec("UPDATE workflow_signals SET consumed_at = $2 WHERE id = $1",
                          {*oldest->Int(0, "id"), Now()});
      if (!used) return used.error();
      outcome = {{"timed_out", false},
                 {"name", oldest->Text(0, "name").value_or(name)},
                 {"data", ParseJson(oldest->Text(0, "data"))}};
    } else if (deadline && env_.clock.Now() >= *deadline) {
      outcome = {{"timed_out", true}, {"data", nullptr}};
    } else {
      return Ok();
    }
    return SetStep(tx, seq, "completed", &outcome, "");
  }));
  if (!outcome.is_null()) return answer(outcome);
  state_ = State::kParked;
  wake_at_ = deadline.value_or(TimePoint::max());
  waiting_for_ = name;
  return Suspended();
}

Result<void> Execution::Park() {
  return Write([&](store::Tx& tx) -> Result<void> {
    const std::string now = Now();
    store::Value wake =
        wake_at_ == TimePoint::max() ? store::Value() : store::Value(FormatIso8601(wake_at_));
    // The row is locked by Hold above, so a signal or a cancellation that
    // committed before is seen here, and one that comes later finds the run
    // waiting and wakes it.
    if (!waiting_for_.empty()) {
      store::Params names{claim_.id};
      const std::string in_list = SignalNames(waiting_for_, names);
      auto arrived =
          tx.Query("SELECT 1 AS one FROM workflow_signals WHERE run_id = $1 AND name IN (" +
                       in_list + ") AND consumed_at IS NULL LIMIT 1",
                   names);
      if (!arrived) return arrived.error();
      if (!arrived->empty()) wake = now;
    }
    auto parked = tx.Exec(
        "UPDATE workflow_runs SET status = 'waiting', lease_owner = NULL, lease_until = NULL, "
        "wake_at = CASE WHEN cancel_requested = 1 THEN $2 ELSE $3 END, updated_at = $2 "
        "WHERE id = $1",
        {claim_.id, now, wake});
    if (!parked) return parked.error();
    DOCRUNCH_TRY(EmitWorkflowEvent(tx, claim_.id, "waiting"));
    return env_.at_end ? env_.at_end(tx) : Ok();
  });
}

Result<void> Execution::Finish(const std::string& status, const json* result,
                               const std::string& error) {
  return Write([&](store::Tx& tx) -> Result<void> {
    const std::string now = Now();
    auto done = tx.Exec(
        "UPDATE workflow_runs SET status = $2, result = $3, error = $4, lease_owner = NULL, "
        "lease_until = NULL, wake_at = NULL, updated_at = $5, finished_at = $5 WHERE id = $1",
        {claim_.id, status, result ? store::Value(result->dump()) : store::Value(),
         error.empty() ? store::Value() : store::Value(error.substr(0, 4000)), now});
    if (!done) return done.error();
    DOCRUNCH_TRY(EmitWorkflowEvent(tx, claim_.id, status));
    return env_.at_end ? env_.at_end(tx) : Ok();
  });
}

Result<std::pair<std::string, int>> Execution::Compensate() {
  std::string failure;
  int count = 0;
  for (auto it = compensations_.rbegin(); it != compensations_.rend(); ++it) {
    ++count;
    if (it->status == "compensated") continue;
    if (it->status == "compensation_failed") {
      if (failure.empty()) failure = "the compensation of step '" + it->name + "' failed";
      continue;
    }
    if (it->status != "compensating") {
      DOCRUNCH_TRY(
          Write([&](store::Tx& tx) { return SetStep(tx, it->seq, "compensating", nullptr, ""); }));
    }
    Result<void> undone = Ok();
    try {
      undone = it->fn(it->result);
    } catch (const WorkerCrash&) {
      state_ = State::kAbandoned;
      return Suspended();
    } catch (const std::exception& e) {
      undone = MakeError(ErrorCode::kInternal, std::string("the compensation threw: ") + e.what());
    } catch (...) {
      undone = MakeError(ErrorCode::kInternal, "the compensation threw");
    }
    const std::string why = undone ? "" : undone.error().ToString();
    DOCRUNCH_TRY(Write([&](store::Tx& tx) {
      return SetStep(tx, it->seq, undone ? "compensated" : "compensation_failed", nullptr, why);
    }));
    if (!undone && failure.empty()) {
      failure = "the compensation of step '" + it->name + "' failed: " + why;
    }
  }
  return std::make_pair(failure, count);
}

void Execution::Heartbeat() {
  auto last = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!done_) {
    wake_.wait_for(lock, 10ms);
    if (done_) break;
    if (worker_stop_ || (deadline_ && env_.clock.Now() > *deadline_)) step_stop_ = true;
    if (std::chrono::steady_clock::now() - last < env_.heartbeat) continue;
    last = std::chrono::steady_clock::now();
    lock.unlock();
    auto renewed = env_.store.Transact([&](store::Tx& tx) { return Hold(tx, true); });
    if (!renewed && !lost_) {
      spdlog::warn("workflows: run {}: heartbeat: {}", claim_.id, renewed.error().ToString());
    }
    lock.lock();
  }
}

Result<void> Execution::Run(const WorkflowFn& fn) {
  if (!fn || input_.is_discarded()) {
    std::string why = !fn ? "workflow: '" + claim_.workflow + "' is not registered in this worker"
                          : "input: not valid JSON";
    DOCRUNCH_TRY(Finish("failed", nullptr, why));
    return Ok();
  }
  if (!claim_.fresh) DOCRUNCH_TRY(LoadSteps());  // a pending run has no steps yet
  std::thread heartbeat([this] { Heartbeat(); });
  Result<json> out = MakeError(ErrorCode::kInternal, "the workflow did not run");
  try {
    out = fn(*this);
  } catch (const WorkerCrash&) {
    state_ = State::kAbandoned;
  } catch (const std::exception& e) {
    out = MakeError(ErrorCode::kInternal, std::string("the workflow threw: ") + e.what());
  } catch (...) {
    out = MakeError(ErrorCode::kInternal, "the workflow threw");
  }
  Result<void> ended = Ok();
  switch (state_) {
    case State::kAbandoned:
      break;
    case State::kParked:
      ended = Park();
      break;
    case State::kBroken:
      ended = Finish("failed", nullptr, broken_);
      break;
    case State::kActive:
      if (out) {
        ended = Finish("completed", &*out, "");
        break;
      }
      [[fallthrough]];
    case State::kCancelled: {
      const bool cancelled = state_ == State::kCancelled;
      const std::string cause = cancelled ? "cancelled" : out.error().ToString();
      auto undone = Compensate();
      if (!undone) {
        ended = Ok();  // abandoned mid-way: the next worker goes on
        break;
      }
      auto [failure, count] = *undone;
      std::string status = cancelled                        ? "cancelled"
                           : (failure.empty() && count > 0) ? "compensated"
                                                            : "failed";
      std::string error = cause;
      if (!failure.empty()) error += "; " + failure;
      if (!cancelled && count == 0) error += "; nothing to compensate";
      ended = Finish(status, nullptr, error);
      break;
    }
  }
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  wake_.notify_all();
  heartbeat.join();
  if (!ended && state_ != State::kAbandoned) return ended.error();
  return Ok();
}

}  // namespace

Result<void> EmitWorkflowEvent(store::Tx& tx, const std::string& run_id, const std::string& what) {
  // No sync target applies workflow events (they are for the live views,
  // which read the outbox by id): written as processed, they stay out of
  // the pending index the sync workers scan. One INSERT rather than
  // Tx::EmitSyncEvent and an UPDATE: a run writes one at every step.
  auto emitted = tx.Exec(
      "INSERT INTO sync_events (entity_type, entity_id, content_hash, action, priority, "
      "created_at, processed_at) VALUES ('workflow', $1, $2, 'upsert', 0, $3, $3)",
      {run_id, what, FormatIso8601(tx.clock().Now())});
  if (!emitted) return emitted.error();
  return Ok();
}

Result<void> ExecuteRun(const ExecutionEnv& env, const RunClaim& claim, const WorkflowFn& fn,
                        const std::atomic<bool>& stop) {
  Execution execution(env, claim, stop);
  return execution.Run(fn);
}

}  // namespace docrunch::jobs
