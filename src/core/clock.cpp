#include "core/clock.h"

#include <sys/random.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace docrunch {

std::string FormatIso8601(TimePoint t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  int millis = static_cast<int>(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    secs -= 1;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

namespace {

// Reads exactly `width` digits at `pos`; advances pos. -1 if not digits.
int Digits(std::string_view s, std::size_t& pos, int width) {
  if (pos + width > s.size()) return -1;
  int value = 0;
  for (int i = 0; i < width; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  pos += width;
  return value;
}

bool Expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// The zone suffix at pos: "Z", "+HH:MM", "+HHMM", "+HH"; offset in minutes.
std::optional<int> ZoneOffset(std::string_view s, std::size_t pos) {
  if (pos >= s.size()) return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    return pos + 1 == s.size() ? std::optional<int>(0) : std::nullopt;
  }
  if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
  int sign = s[pos] == '-' ? -1 : 1;
  ++pos;
  int hours = Digits(s, pos, 2);
  int minutes = 0;
  if (pos < s.size()) {
    Expect(s, pos, ':');
    minutes = Digits(s, pos, 2);
  }
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || pos != s.size()) {
    return std::nullopt;
  }
  return sign * (hours * 60 + minutes);
}

}  // namespace

std::optional<TimePoint> ParseIso8601(std::string_view s) {
  std::size_t pos = 0;
  int year = Digits(s, pos, 4);
  if (year < 0 || !Expect(s, pos, '-')) return std::nullopt;
  int month = Digits(s, pos, 2);
  if (month < 1 || month > 12 || !Expect(s, pos, '-')) return std::nullopt;
  int day = Digits(s, pos, 2);
  if (day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  if (!Expect(s, pos, 'T') && !Expect(s, pos, 't') && !Expect(s, pos, ' ')) return std::nullopt;
  int hour = Digits(s, pos, 2);
  if (hour < 0 || hour > 23 || !Expect(s, pos, ':')) return std::nullopt;
  int minute = Digits(s, pos, 2);
  if (minute < 0 || minute > 59 || !Expect(s, pos, ':')) return std::nullopt;
  int second = Digits(s, pos, 2);
  if (second < 0 || second > 60) return std::nullopt;  // 60: a leap second
  int millis = 0;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int scale = 100, count = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++count;
    }
    if (count == 0 || count > 9) return std::nullopt;
  }
  auto offset = ZoneOffset(s, pos);
  if (!offset) return std::nullopt;
  using namespace std::chrono;
  auto date =
      year_month_day{std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)};
  auto t = sys_days(date) + hours(hour) + minutes(minute) + seconds(second) + milliseconds(millis) -
           minutes(*offset);
  return time_point_cast<system_clock::duration>(t);
}

std::string RandomIdGenerator::NewId() {
  std::array<unsigned char, 16> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t n = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n < 0) throw std::runtime_error("getrandom failed");  // truly exceptional
    filled += static_cast<std::size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

std::string SequentialIdGenerator::NewId() {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(next_++));
  return prefix_ + buf;
}

}  // namespace docrunch
