#include "scan/glob_match.h"

#include <cctype>
#include <cstring>

namespace docrunch::scan {
namespace {

enum class Outcome { kMatch, kNoMatch, kMalformed };

bool InNamedClass(std::string_view name, unsigned char c) {
  if (name == "alnum") return std::isalnum(c);
  if (name == "alpha") return std::isalpha(c);
  if (name == "blank") return c == ' ' || c == '\t';
  if (name == "cntrl") return std::iscntrl(c);
  if (name == "digit") return std::isdigit(c);
  if (name == "graph") return std::isgraph(c);
  if (name == "lower") return std::islower(c);
  if (name == "print") return std::isprint(c);
  if (name == "punct") return std::ispunct(c);
  if (name == "space") return std::isspace(c);
  if (name == "upper") return std::isupper(c);
  if (name == "xdigit") return std::isxdigit(c);
  return false;
}

bool KnownClassName(std::string_view name) {
  static constexpr const char* kNames[] = {"alnum", "alpha", "blank", "cntrl", "digit", "graph",
                                           "lower", "print", "punct", "space", "upper", "xdigit"};
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  return false;
}

// Matches the bracket expression starting at pattern[i] == '[' against `c`.
// On success sets `end` to the index just past the closing ']'.
Outcome MatchClass(std::string_view pattern, std::size_t i, unsigned char c, std::size_t& end) {
  ++i;
  bool negated = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) negated = true, ++i;
  bool matched = false;
  bool first = true;
  while (true) {
    if (i >= pattern.size()) return Outcome::kMalformed;
    unsigned char p = static_cast<unsigned char>(pattern[i]);
    if (p == ']' && !first) break;
    first = false;
    if (p == '[' && i + 1 < pattern.size() && pattern[i + 1] == ':') {
      std::size_t close = pattern.find(":]", i + 2);
      if (close == std::string_view::npos) return Outcome::kMalformed;
      std::string_view name = pattern.substr(i + 2, close - i - 2);
      if (!KnownClassName(name)) return Outcome::kMalformed;
      matched |= InNamedClass(name, c);
      i = close + 2;
      continue;
    }
    if (p == '\\') {
      if (++i >= pattern.size()) return Outcome::kMalformed;
      p = static_cast<unsigned char>(pattern[i]);
    }
    ++i;
    // A range "p-q", unless the '-' is the last thing before ']'.
    if (i + 1 < pattern.size() && pattern[i] == '-' && pattern[i + 1] != ']') {
      std::size_t q_at = i + 1;
      if (pattern[q_at] == '\\' && ++q_at >= pattern.size()) return Outcome::kMalformed;
      unsigned char q = static_cast<unsigned char>(pattern[q_at]);
      matched |= c >= p && c <= q;
      i = q_at + 1;
      continue;
    }
    matched |= c == p;
  }
  end = i + 1;
  return matched != negated && c != '/' ? Outcome::kMatch : Outcome::kNoMatch;
}

Outcome Match(std::string_view pattern, std::size_t p, std::string_view text, std::size_t t);

// The pattern has a run of '*' starting at p.
Outcome MatchStars(std::string_view pattern, std::size_t p, std::string_view text, std::size_t t) {
  std::size_t stars_end = p;
  while (stars_end < pattern.size() && pattern[stars_end] == '*') ++stars_end;
  bool at_component_start = p == 0 || pattern[p - 1] == '/';
  bool at_component_end = stars_end == pattern.size() || pattern[stars_end] == '/';
  bool crosses_slashes = stars_end - p >= 2 && at_component_start && at_component_end;
  if (stars_end == pattern.size()) {
    // Trailing "**" matches everything; a trailing '*' only the last component.
    if (crosses_slashes || text.find('/', t) == std::string_view::npos) return Outcome::kMatch;
    return Outcome::kNoMatch;
  }
  if (crosses_slashes) {
    // "**/": zero directories, or any prefix that ends just before a '/'.
    Outcome zero = Match(pattern, stars_end + 1, text, t);
    if (zero != Outcome::kNoMatch) return zero;
    for (std::size_t i = t; i < text.size(); ++i) {
      if (text[i] != '/') continue;
      Outcome r = Match(pattern, stars_end + 1, text, i + 1);
      if (r != Outcome::kNoMatch) return r;
    }
    return Outcome::kNoMatch;
  }
  // An ordinary '*': any run within the current component.
  for (std::size_t i = t;; ++i) {
    Outcome r = Match(pattern, stars_end, text, i);
    if (r != Outcome::kNoMatch) return r;
    if (i >= text.size() || text[i] == '/') return Outcome::kNoMatch;
  }
}

Outcome Match(std::string_view pattern, std::size_t p, std::string_view text, std::size_t t) {
  while (p < pattern.size()) {
    char pc = pattern[p];
    if (pc == '*') return MatchStars(pattern, p, text, t);
    if (t >= text.size()) return Outcome::kNoMatch;
    unsigned char tc = static_cast<unsigned char>(text[t]);
    if (pc == '?') {
      if (tc == '/') return Outcome::kNoMatch;
      ++p;
    } else if (pc == '[') {
      std::size_t end = 0;
      Outcome r = MatchClass(pattern, p, tc, end);
      if (r != Outcome::kMatch) return r;
      p = end;
    } else {
      if (pc == '\\') {
        // A trailing backslash matches nothing.
        if (++p >= pattern.size()) return Outcome::kNoMatch;
        pc = pattern[p];
      }
      if (static_cast<unsigned char>(pc) != tc) return Outcome::kNoMatch;
      ++p;
    }
    ++t;
  }
  return t == text.size() ? Outcome::kMatch : Outcome::kNoMatch;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  return Match(pattern, 0, text, 0) == Outcome::kMatch;
}

}  // namespace docrunch::scan
