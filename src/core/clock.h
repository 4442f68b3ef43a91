// Time and identifiers behind interfaces, so tests can control both.
//
// Services take a Clock& and an IdGenerator& instead of reading the system
// time or a random source directly. Implementations are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace docrunch {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void Advance(std::chrono::milliseconds by) {
    std::lock_guard lock(mu_);
    now_ += by;
  }
  void Set(TimePoint t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;  // GUARDED_BY(mu_)
};

// "2026-11-27T11:31:18.123Z": UTC, millisecond precision, always with zone.
std::string FormatIso8601(TimePoint t);

// Parses an ISO-8601 / RFC 3339 date-time that carries its zone:
// "2026-11-27T11:31:18Z", "2026-11-27T12:31:18.5+01:00", "...-0430".
// A 'T' or a space separates date and time; fractions of a second are kept
// to the millisecond. nullopt for anything else, including a time without
// a zone (which would be ambiguous) and out-of-range fields (month 13,
// minute 60, February 30).
std::optional<TimePoint> ParseIso8601(std::string_view text);

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // A new unique id: 32 lower-case hex digits (128 bits).
  virtual std::string NewId() = 0;
};

// Ids from the operating system's random source.
class RandomIdGenerator final : public IdGenerator {
 public:
  std::string NewId() override;
};

// Predictable ids for tests: "<prefix>000…001", "<prefix>000…002", …
class SequentialIdGenerator final : public IdGenerator {
 public:
  explicit SequentialIdGenerator(std::string prefix = "") : prefix_(std::move(prefix)) {}
  std::string NewId() override;

 private:
  std::string prefix_;
  std::atomic<std::uint64_t> next_{1};
};

}  // namespace docrunch
