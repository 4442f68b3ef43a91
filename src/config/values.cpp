#include "config/values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>

#include "core/text.h"

namespace docrunch::config {
namespace {

bool ParseInt(std::string_view s, long long& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct CronField {
  const char* name;
  int min;
  int max;
  std::vector<std::string> names;  // names[i] stands for min + i
};

const std::array<CronField, 5>& CronFields() {
  static const std::array<CronField, 5> fields{{
      {"minute", 0, 59, {}},
      {"hour", 0, 23, {}},
      {"day of month", 1, 31, {}},
      {"month",
       1,
       12,
       {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
      {"day of week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
  }};
  return fields;
}

bool CronValue(std::string_view text, const CronField& field, int& out) {
  long long n = 0;
  if (ParseInt(text, n)) {
    out = static_cast<int>(n);
    return n >= field.min && n <= field.max;
  }
  std::string lower = Lower(text);
  for (std::size_t i = 0; i < field.names.size(); ++i) {
    if (field.names[i] == lower) {
      out = field.min + static_cast<int>(i);
      return true;
    }
  }
  return false;
}

// One comma-separated element: "*", "*/5", "1-5", "1-5/2", "7", "mon";
// sets the bits of the values it matches in `mask`.
std::string ParseCronElement(std::string_view element, const CronField& field,
                             std::uint64_t& mask) {
  std::string_view range = element;
  long long step = 1;
  auto slash = element.find('/');
  if (slash != std::string_view::npos) {
    if (!ParseInt(element.substr(slash + 1), step) || step < 1 || step > field.max) {
      return "bad step in " + std::string(field.name) + " field '" + std::string(element) + "'";
    }
    range = element.substr(0, slash);
  }
  int lo = field.min, hi = field.max;
  if (range != "*") {
    auto dash = range.find('-');
    bool ok = dash == std::string_view::npos
                  ? CronValue(range, field, lo) && CronValue(range, field, hi)
                  : CronValue(range.substr(0, dash), field, lo) &&
                        CronValue(range.substr(dash + 1), field, hi) && lo <= hi;
    if (!ok) {
      return std::string(field.name) + " field '" + std::string(element) + "' is not in " +
             std::to_string(field.min) + "-" + std::to_string(field.max);
    }
    // "5/15" means 5, 20, 35, 50 (as in cronie): from the value to the end.
    if (dash == std::string_view::npos && slash != std::string_view::npos) hi = field.max;
  }
  for (int v = lo; v <= hi; v += static_cast<int>(step)) mask |= std::uint64_t{1} << v;
  return "";
}

// The macros and the five fields they stand for.
std::string_view CronMacro(std::string_view text) {
  static const std::pair<std::string_view, std::string_view> kMacros[] = {
      {"@hourly", "0 * * * *"},  {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
      {"@weekly", "0 0 * * 0"},  {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
      {"@annually", "0 0 1 1 *"}};
  for (const auto& [name, fields] : kMacros) {
    if (name == text) return fields;
  }
  return "";
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  using std::chrono::milliseconds;
  if (text.empty()) return std::nullopt;
  milliseconds total{0};
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    long long n = 0;
    if (!ParseInt(text.substr(start, i - start), n)) return std::nullopt;
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    long long factor = 0;
    if (unit == "ms")
      factor = 1;
    else if (unit == "s")
      factor = 1000;
    else if (unit == "m")
      factor = 60'000;
    else if (unit == "h")
      factor = 3'600'000;
    else if (unit == "d")
      factor = 86'400'000;
    else
      return std::nullopt;
    if (n > 1'000'000'000LL) return std::nullopt;
    total += milliseconds(n * factor);
  }
  return total;
}

std::string ParseCron(std::string_view text, CronSpec& out) {
  out = CronSpec{};
  if (!text.empty() && text[0] == '@') {
    std::string_view fields = CronMacro(text);
    if (!fields.empty()) return ParseCron(fields, out);
    static const std::vector<std::string> kMacros{"@hourly",  "@daily",  "@midnight", "@weekly",
                                                  "@monthly", "@yearly", "@annually"};
    std::string hint = ClosestMatch(text, kMacros);
    return "unknown cron macro '" + std::string(text) + "'" +
           (hint.empty() ? "" : "; did you mean '" + hint + "'?");
  }
  std::vector<std::string> fields;
  for (auto& part : Split(text, ' ')) {
    if (!part.empty()) fields.push_back(part);
  }
  if (fields.size() != 5) {
    return "a cron expression has 5 fields (minute hour day-of-month month day-of-week), got " +
           std::to_string(fields.size());
  }
  for (std::size_t i = 0; i < 5; ++i) {
    for (const auto& element : Split(fields[i], ',')) {
      std::string problem = ParseCronElement(element, CronFields()[i], out.masks[i]);
      if (!problem.empty()) return problem;
    }
  }
  // Sunday is 0 and 7.
  if (out.masks[4] & (std::uint64_t{1} << 7)) out.masks[4] = (out.masks[4] | 1) & 0x7f;
  out.days_any = fields[2][0] == '*';
  out.weekdays_any = fields[4][0] == '*';
  return "";
}

std::string CheckCron(std::string_view text) {
  CronSpec spec;
  return ParseCron(text, spec);
}

namespace {

// "p%40ss" -> "p@ss"; a '%' not followed by two hex digits stays as it is.
std::string PercentDecoded(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::optional<ParsedUrl> ParseUrl(std::string_view text) {
  ParsedUrl url;
  auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  url.scheme = Lower(text.substr(0, sep));
  for (char c : url.scheme) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return std::nullopt;
    }
  }
  std::string_view rest = text.substr(sep + 3);
  auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) url.path = std::string(rest.substr(path_start));
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    auto colon = userinfo.find(':');
    url.user = PercentDecoded(userinfo.substr(0, colon));
    url.has_password = colon != std::string_view::npos;
    if (url.has_password) url.password = PercentDecoded(userinfo.substr(colon + 1));
    authority = authority.substr(at + 1);
  }
  // libpq also reads a password from the query (`?password=...`).
  if (auto query = rest.find('?'); query != std::string_view::npos) {
    std::string_view params = rest.substr(query + 1);
    params = params.substr(0, params.find('#'));
    for (std::size_t start = 0; start <= params.size();) {
      std::size_t end = params.find('&', start);
      std::string_view param = params.substr(
          start, end == std::string_view::npos ? std::string_view::npos : end - start);
      std::string name = Lower(param.substr(0, param.find('=')));
      if (name == "password" || name == "sslpassword") url.has_password = true;
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
  }
  std::string_view host = authority;
  if (!authority.empty() && authority[0] == '[') {  // [::1]:5432
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(0, close + 1);
    authority = authority.substr(close + 1);
    if (!authority.empty() && authority[0] != ':') return std::nullopt;
  } else {
    auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    authority = colon == std::string_view::npos ? "" : authority.substr(colon);
  }
  if (!authority.empty()) {  // ":port"
    long long port = 0;
    if (!ParseInt(authority.substr(1), port) || port < 1 || port > 65535) return std::nullopt;
    url.port = static_cast<int>(port);
  }
  url.host = std::string(host);
  if (url.host.empty() || CheckHost(url.host) != "") return std::nullopt;
  return url;
}

namespace {

// `text` with the value of every password= or sslpassword= query parameter
// replaced by "***".
std::string MaskQueryPasswords(std::string text) {
  auto query = text.find('?');
  if (query == std::string::npos) return text;
  for (std::size_t start = query + 1; start < text.size();) {
    std::size_t end = text.find_first_of("&#", start);
    if (end == std::string::npos) end = text.size();
    const std::size_t eq = text.find('=', start);
    if (eq != std::string::npos && eq < end) {
      const std::string name = Lower(text.substr(start, eq - start));
      if (name == "password" || name == "sslpassword") {
        text.replace(eq + 1, end - eq - 1, "***");
        end = eq + 4;
      }
    }
    if (end >= text.size() || text[end] == '#') break;
    start = end + 1;
  }
  return text;
}

}  // namespace

std::string MaskUrlPassword(std::string_view text) {
  auto sep = text.find("://");
  if (sep == std::string_view::npos) return std::string(text);
  auto end = text.find_first_of("/?#", sep + 3);
  auto at = text.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < sep) return MaskQueryPasswords(std::string(text));
  auto colon = text.find(':', sep + 3);
  if (colon == std::string_view::npos || colon > at) {
    return MaskQueryPasswords(std::string(text));
  }
  return MaskQueryPasswords(std::string(text.substr(0, colon + 1)) + "***" +
                            std::string(text.substr(at)));
}

std::string CheckUrl(std::string_view text, const std::vector<std::string>& schemes) {
  auto url = ParseUrl(text);
  if (!url) {
    // The text is not shown: what fails to parse may be a password or a
    // connection string with one (`user=u password=p host=h`).
    return "not a valid URL (expected " + schemes.front() +
           "://host[:port][/path]; the value is not shown, as it may hold a secret)";
  }
  if (std::find(schemes.begin(), schemes.end(), url->scheme) == schemes.end()) {
    if (url->scheme == "rediss") {
      return "rediss:// (Redis over TLS) is not supported: the Redis client this build uses "
             "(hiredis 0.14) has no TLS; use redis:// on a private network or through a TLS "
             "tunnel";
    }
    return "URL scheme must be one of " + Join(schemes, ", ") + ", got '" + url->scheme + "'";
  }
  return "";
}

std::string CheckHostPort(std::string_view text) {
  auto colon = text.rfind(':');
  long long port = 0;
  if (colon == std::string_view::npos || !ParseInt(text.substr(colon + 1), port) || port < 1 ||
      port > 65535 || CheckHost(text.substr(0, colon)) != "") {
    return "expected host:port, got '" + std::string(text) + "'";
  }
  return "";
}

std::string CheckHost(std::string_view text) {
  if (text.empty()) return "a host is required";
  if (text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '_') {
      return "'" + std::string(text) + "' is not a valid host name or address";
    }
  }
  return "";
}

std::string CheckEnvName(std::string_view text) {
  bool ok = !text.empty() && !std::isdigit(static_cast<unsigned char>(text[0]));
  for (char c : text) {
    ok = ok && (std::isupper(static_cast<unsigned char>(c)) ||
                std::isdigit(static_cast<unsigned char>(c)) || c == '_');
  }
  if (ok) return "";
  // Never echo the value: it may be the secret itself, pasted by mistake.
  return "must name an environment variable (A-Z, 0-9, _), such as DOCRUNCH_KMS_KEY; "
         "put the secret itself in that variable, not in the file";
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  // Only an IPv4 literal in 127.0.0.0/8: a name such as 127.attacker.example
  // can resolve to anything (DNS rebinding), so it is not loopback.
  in_addr address{};
  std::string text(host);
  return inet_pton(AF_INET, text.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

}  // namespace docrunch::config
