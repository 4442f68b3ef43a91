// Glob matching with the semantics git uses for .gitignore patterns.
//
// Written from git's documented behaviour (gitignore(5), and `git
// check-ignore` as the test oracle), not from its source:
//   *        any run of characters except '/'
//   ?        one character except '/'
//   [...]    one character from a class: ranges (a-z), negation ([!x] or
//            [^x]), ']' first is literal, POSIX classes ([:alpha:]); never '/'
//   \x       the character x literally
//   **       only as a whole path component: "**/" at the start or after
//            '/' matches zero or more directories, a trailing "/**" matches
//            everything below, a lone "**" matches everything; anywhere else
//            it is an ordinary '*'
// A malformed pattern (an unterminated '[' or an unknown [:class:]) matches
// nothing. Matching is case-sensitive. Pure function, thread-safe.
#pragma once

#include <string_view>

namespace docrunch::scan {

// Whether `text` (a '/'-separated relative path) matches `pattern`.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace docrunch::scan
