#include "sync/retry_policy.h"

#include <algorithm>
#include <random>

namespace docrunch::sync {

UniformRandom SystemRandom() {
  return [] {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  };
}

FailureOutcome RetryPolicy::Classify(int attempts, ErrorCode code) const {
  // A record that fails validation fails the same way next time.
  if (code == ErrorCode::kInvalidParams) return FailureOutcome::kDeadLetter;
  return attempts >= max_retries ? FailureOutcome::kFailed : FailureOutcome::kRetry;
}

std::chrono::milliseconds RetryPolicy::Delay(int attempts, const UniformRandom& random) const {
  using std::chrono::milliseconds;
  const auto base = std::chrono::duration_cast<milliseconds>(backoff);
  const auto cap = std::chrono::duration_cast<milliseconds>(max_backoff);
  milliseconds delay = base;
  for (int i = 1; i < attempts && delay < cap; ++i) delay *= 2;
  double factor = 1.0 + 0.5 * std::clamp(random(), 0.0, 1.0);
  auto jittered =
      milliseconds(static_cast<std::int64_t>(static_cast<double>(delay.count()) * factor));
  return std::min(jittered, cap);
}

std::string StatusName(FailureOutcome outcome) {
  switch (outcome) {
    case FailureOutcome::kRetry:
      return "pending";
    case FailureOutcome::kFailed:
      return "failed";
    case FailureOutcome::kDeadLetter:
      return "dead_letter";
  }
  return "pending";
}

}  // namespace docrunch::sync
