// Cron schedules (jobs.schedules, jobs.scheduler): when a five-field cron
// expression fires next. The syntax is the configuration's own
// (config/values.h ParseCron: ranges, steps, lists, month and day names,
// @daily and the other macros), so an expression the config loader accepts
// is one the scheduler evaluates, and the other way round.
//
// Times are UTC, to the minute. Day of month and day of week combine as in
// Vixie cron: when both are restricted, a day matches if either does.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/values.h"
#include "core/clock.h"
#include "core/result.h"

namespace docrunch::jobs {

class CronSchedule {
 public:
  // INVALID_PARAMS "cron: <reason>" for an expression the config would
  // refuse.
  static Result<CronSchedule> Parse(std::string_view text);

  // The first whole minute strictly after `after` that matches; nullopt when
  // none does within five years (an impossible date such as "0 0 30 2 *").
  std::optional<TimePoint> Next(TimePoint after) const;

  const std::string& text() const { return text_; }

 private:
  CronSchedule(config::CronSpec spec, std::string text) : spec_(spec), text_(std::move(text)) {}

  config::CronSpec spec_;
  std::string text_;
};

}  // namespace docrunch::jobs
