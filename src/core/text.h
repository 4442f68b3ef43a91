// Small string helpers shared across subsystems.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace docrunch {

// Edit distance (insertions, deletions, substitutions, adjacent swaps),
// for "did you mean" hints.
std::size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` if it is close enough to be a plausible
// typo (distance <= max(1, len/3)), else empty.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// The length of the longest prefix of `text` of at most `max` bytes that
// does not end inside a UTF-8 sequence (the whole text when it fits).
std::size_t Utf8Prefix(std::string_view text, std::size_t max);
// `text` cut to at most `max` bytes on a UTF-8 boundary, "…" appended when
// cut (so up to max + 3 bytes); the whole text when it fits.
std::string CutWithEllipsis(std::string_view text, std::size_t max);

std::vector<std::string> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);

}  // namespace docrunch
