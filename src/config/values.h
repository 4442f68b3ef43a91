// Parsers and checks for the value types a configuration holds. Each
// returns an empty string when the value is acceptable, otherwise a short
// reason suitable after "key: " in an error message.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docrunch::config {

// "500ms", "30s", "30m", "24h", "7d", "1h30m". nullopt if malformed.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// Five-field cron ("*/15 * * * *", "0 3 * * mon-fri") or a macro
// (@hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually).
std::string CheckCron(std::string_view text);

// A parsed five-field cron expression (jobs/cron.h evaluates it): bit v of
// masks[i] is set when value v matches field i (minute, hour, day of month,
// month, day of week with Sunday as 0; a 7 is folded into 0). Steps count
// from the range's start ("5/15" is 5, 20, 35, 50). days_any / weekdays_any:
// the field starts with '*' (unrestricted); when both day fields are
// restricted a day matches if either matches, as in Vixie cron.
struct CronSpec {
  std::array<std::uint64_t, 5> masks{};
  bool days_any = true;
  bool weekdays_any = true;
};

// CheckCron's parse: fills `out` and returns "" when `text` is acceptable,
// else the reason (and `out` is unspecified).
std::string ParseCron(std::string_view text, CronSpec& out);

struct ParsedUrl {
  std::string scheme;
  std::string user;  // percent-decoded, as is the password
  bool has_password = false;
  std::string password;  // a secret: never log or show it
  std::string host;
  int port = 0;  // 0: not given
  std::string path;
};

// scheme://[user[:password]@]host[:port][/path][?query]; nullopt if malformed.
std::optional<ParsedUrl> ParseUrl(std::string_view text);

// The URL with any password replaced by "***", for messages.
std::string MaskUrlPassword(std::string_view url);

std::string CheckUrl(std::string_view text, const std::vector<std::string>& schemes);
std::string CheckHostPort(std::string_view text);
std::string CheckHost(std::string_view text);
std::string CheckEnvName(std::string_view text);

// Whether a listen address is loopback (localhost, 127.0.0.0/8, ::1).
bool IsLoopbackHost(std::string_view host);

}  // namespace docrunch::config
