// The job router (PRODUCT §12): every job type declares how long it is
// expected to take, how many steps it has and whether its steps are undone
// (a saga) when it fails; the router sends short single-step jobs to the
// fast queue and everything else to the durable workflow engine (the
// roadmap's 30-second rule), unless the caller says otherwise.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace docrunch::jobs {

enum class Lane { kFast, kWorkflow };

std::string_view LaneName(Lane lane);  // "fast", "workflow"
// "fast" or "workflow"; INVALID_PARAMS naming `field` otherwise.
Result<Lane> ParseLane(std::string_view text, std::string_view field = "lane");

struct JobType {
  std::string name;  // an identifier: "index-file", "repo-scan"
  std::string summary;
  std::chrono::milliseconds estimate{0};  // typical run time
  int steps = 1;
  bool compensates = false;  // failed runs undo their completed steps
};

// Work under this, in one step, without compensation, is a fast job.
inline constexpr std::chrono::seconds kFastLimit{30};

struct Routed {
  Lane lane = Lane::kFast;
  std::string reason;  // why, in words: "estimate 45 s >= 30 s"
};

class JobRouter {
 public:
  // The types Docrunch itself runs (the table in docs/jobs.md).
  static JobRouter Builtin();

  // INVALID_PARAMS for a name that is not an identifier, steps < 1, a
  // negative estimate; ALREADY_EXISTS for a name taken.
  Result<void> Register(JobType type);

  // Where a job of `type` goes. `lane` overrides the rule, but a job of
  // several steps or with compensations cannot be forced onto the fast
  // queue (it could not resume or undo them): INVALID_PARAMS. An unknown
  // type is INVALID_PARAMS naming it.
  Result<Routed> Route(const std::string& type, std::optional<Lane> lane = std::nullopt) const;

  const JobType* Find(const std::string& name) const;
  std::vector<JobType> Types() const;  // by name

 private:
  std::map<std::string, JobType> types_;
};

// Whether `name` is a queue or job type name: [a-z0-9_-], 1 to 64
// characters, starting with a letter or digit.
bool IsJobName(std::string_view name);

}  // namespace docrunch::jobs
