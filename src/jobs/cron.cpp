#include "jobs/cron.h"

#include <chrono>

namespace docrunch::jobs {

namespace {

using namespace std::chrono;

bool Has(std::uint64_t mask, unsigned value) {
  return (mask >> value) & 1U;
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view text) {
  config::CronSpec spec;
  std::string problem = config::ParseCron(text, spec);
  if (!problem.empty()) return MakeError(ErrorCode::kInvalidParams, "cron: " + problem);
  return CronSchedule(spec, std::string(text));
}

std::optional<TimePoint> CronSchedule::Next(TimePoint after) const {
  const auto& m = spec_.masks;
  auto t = floor<minutes>(after) + minutes(1);
  const auto limit = t + days(5 * 366);
  // Each turn either matches or moves to the start of the next month, day,
  // hour or minute that could: at most a few thousand turns for 5 years.
  while (t < limit) {
    const auto day = floor<days>(t);
    const year_month_day date{day};
    if (!Has(m[3], static_cast<unsigned>(date.month()))) {
      const auto next_month = date.year() / date.month() / 1 + months(1);
      t = sys_days(year_month_day(next_month));
      continue;
    }
    const bool dom = Has(m[2], static_cast<unsigned>(date.day()));
    const bool dow = Has(m[4], weekday(day).c_encoding());
    const bool day_ok = spec_.days_any || spec_.weekdays_any ? (dom && dow) : (dom || dow);
    if (!day_ok) {
      t = day + days(1);
      continue;
    }
    const hh_mm_ss clock{t - day};
    if (!Has(m[1], static_cast<unsigned>(clock.hours().count()))) {
      t = floor<hours>(t) + hours(1);
      continue;
    }
    if (!Has(m[0], static_cast<unsigned>(clock.minutes().count()))) {
      t += minutes(1);
      continue;
    }
    return TimePoint(t);
  }
  return std::nullopt;
}

}  // namespace docrunch::jobs
