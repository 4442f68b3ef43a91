#include "jobs/job_types.h"

namespace docrunch::jobs {

namespace {

std::string Seconds(std::chrono::milliseconds ms) {
  auto tenths = ms.count() / 100;
  return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") +
         " s";
}

}  // namespace

std::string_view LaneName(Lane lane) {
  return lane == Lane::kFast ? "fast" : "workflow";
}

Result<Lane> ParseLane(std::string_view text, std::string_view field) {
  if (text == "fast") return Lane::kFast;
  if (text == "workflow") return Lane::kWorkflow;
  return MakeError(ErrorCode::kInvalidParams, std::string(field) +
                                                  ": expected fast or workflow, got '" +
                                                  std::string(text.substr(0, 32)) + "'");
}

bool IsJobName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '-' || c == '_'));
    if (!ok) return false;
  }
  return true;
}

JobRouter JobRouter::Builtin() {
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  using std::chrono::seconds;
  JobRouter router;
  const JobType builtin[] = {
      {"index-file", "re-index one changed file (watch)", milliseconds(200), 1, false},
      {"sync-apply", "apply a batch of outbox events to a derived store", seconds(1), 1, false},
      {"publish-task", "write a task's Markdown page", milliseconds(50), 1, false},
      {"repo-scan", "scan a repository: walk, parse, analyze, store, index, Markdown", minutes(2),
       6, true},
      {"analysis", "scan, then impact and cycle analysis, then a published report", minutes(3), 3,
       false},
      {"embeddings", "embed the search index in checkpointed batches", minutes(10), 1, false},
      {"ai-task", "claim, specialist step, completion, approval, publish", minutes(30), 5, true},
      {"demo", "the example workflow: a step, an approve signal, a publish", minutes(1), 3, true},
      {"snapshot", "an automatic snapshot (after a task completion, or on a schedule)", seconds(10),
       1, false},
      {"mark", "a canary: records one row in job_marks (crash drills count them)", milliseconds(10),
       1, false},
  };
  for (const auto& type : builtin) (void)router.Register(type);
  return router;
}

Result<void> JobRouter::Register(JobType type) {
  if (!IsJobName(type.name)) {
    return MakeError(ErrorCode::kInvalidParams,
                     "name: '" + type.name.substr(0, 64) + "' is not a job type name ([a-z0-9_-])");
  }
  if (type.steps < 1) {
    return MakeError(ErrorCode::kInvalidParams, "steps: a job has at least one step");
  }
  if (type.estimate.count() < 0) {
    return MakeError(ErrorCode::kInvalidParams, "estimate: must not be negative");
  }
  if (types_.count(type.name)) {
    return MakeError(ErrorCode::kAlreadyExists, "job type " + type.name + " is registered already");
  }
  std::string name = type.name;
  types_.emplace(std::move(name), std::move(type));
  return Ok();
}

Result<Routed> JobRouter::Route(const std::string& name, std::optional<Lane> lane) const {
  const JobType* type = Find(name);
  if (!type) {
    return MakeError(ErrorCode::kInvalidParams,
                     "type: unknown job type '" + name.substr(0, 64) + "'");
  }
  std::string why;
  if (type->steps > 1) {
    why = std::to_string(type->steps) + " steps";
  } else if (type->compensates) {
    why = "compensates when it fails";
  } else if (type->estimate >= kFastLimit) {
    why = "estimate " + Seconds(type->estimate) + " >= 30 s";
  }
  if (lane == Lane::kFast && (type->steps > 1 || type->compensates)) {
    return MakeError(ErrorCode::kInvalidParams,
                     "lane: " + name + " cannot run on the fast queue (" + why +
                         "): a fast job can neither resume its steps nor undo them");
  }
  if (lane) return Routed{*lane, "asked for the " + std::string(LaneName(*lane)) + " lane"};
  if (!why.empty()) return Routed{Lane::kWorkflow, why};
  return Routed{Lane::kFast, "one step, estimate " + Seconds(type->estimate) + " < 30 s"};
}

const JobType* JobRouter::Find(const std::string& name) const {
  auto found = types_.find(name);
  return found == types_.end() ? nullptr : &found->second;
}

std::vector<JobType> JobRouter::Types() const {
  std::vector<JobType> out;
  for (const auto& [name, type] : types_) out.push_back(type);
  return out;
}

}  // namespace docrunch::jobs
