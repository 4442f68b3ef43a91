// When a failed (event, target) is tried again (PRODUCT §10): exponential
// backoff with jitter between `backoff` and `max_backoff`, `max_retries`
// attempts, then `failed`; failures that retrying cannot fix (a record
// that does not validate) go straight to `dead_letter`.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/error.h"

namespace docrunch::sync {

// A uniform random number in [0, 1). Tests pass a fixed one.
using UniformRandom = std::function<double()>;

// The default source: a per-thread Mersenne Twister seeded from the device.
UniformRandom SystemRandom();

enum class FailureOutcome { kRetry, kFailed, kDeadLetter };

struct RetryPolicy {
  int max_retries = 5;
  std::chrono::seconds backoff{2};
  std::chrono::seconds max_backoff{120};

  // What to do after attempt number `attempts` (1 for the first) failed with `code`.
  FailureOutcome Classify(int attempts, ErrorCode code) const;

  // The wait before retry number `attempts`: backoff * 2^(attempts-1),
  // scaled by a random factor in [1, 1.5) so that workers failing together
  // do not retry together, capped at max_backoff. Never below backoff.
  std::chrono::milliseconds Delay(int attempts, const UniformRandom& random) const;
};

// "pending" / "failed" / "dead_letter" as stored in storage_sync.status.
std::string StatusName(FailureOutcome outcome);

}  // namespace docrunch::sync
