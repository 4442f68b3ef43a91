#include "search/tokenizer.h"

#include <libstemmer.h>

#include <algorithm>
#include <array>
#include <memory>
#include <new>
#include <unordered_map>

namespace docrunch::search {
namespace {

// ASCII classes, as <cctype>'s are in the "C" locale the tokenizer runs in
// (inline: the library's calls were much of a token's cost).
constexpr bool IsUpper(unsigned char c) {
  return c >= 'A' && c <= 'Z';
}
constexpr bool IsLower(unsigned char c) {
  return c >= 'a' && c <= 'z';
}
constexpr bool IsDigit(unsigned char c) {
  return c >= '0' && c <= '9';
}

bool IsStopWord(std::string_view w) {
  if (w.size() > 5) return false;  // none is longer than "which"
  static constexpr std::array<std::string_view, 33> kStop{
      "a",    "an", "and",  "are",  "as",   "at",   "be",    "by",   "for",  "from", "has",
      "if",   "in", "into", "is",   "it",   "its",  "of",    "on",   "or",   "that", "the",
      "this", "to", "was",  "were", "will", "with", "which", "when", "then", "than", "not"};
  return std::find(kStop.begin(), kStop.end(), w) != kStop.end();
}

bool IsWordChar(unsigned char c) {
  return IsLower(c) || IsUpper(c) || IsDigit(c) || c == '_' || c >= 0x80;
}

// Lower-cases `s` into `buffer` (ASCII; other bytes as they are).
std::string_view Lower(std::string_view s, std::string& buffer) {
  buffer.assign(s);
  for (char& c : buffer) {
    if (IsUpper(static_cast<unsigned char>(c))) c = static_cast<char>(c - 'A' + 'a');
  }
  return buffer;
}

// Hands `part` lower-cased to `each` unless it is a stop word or a single
// letter; whether it did.
bool Emit(std::string_view part, std::string& buffer, const TokenSink& each) {
  if (part.empty()) return false;
  const std::string_view token = Lower(part, buffer);
  if (token.size() == 1 && !IsDigit(static_cast<unsigned char>(token[0]))) return false;
  if (IsStopWord(token)) return false;
  each(token);
  return true;
}

// Splits one identifier at '_' and at case changes, keeping acronyms whole.
void SplitIdentifier(std::string_view word, std::string& buffer, const TokenSink& each) {
  int parts = 0;
  // A private name's leading underscores belong to no part: "_divide_and_round"
  // is divide, round (and divide_and_round), as a query spells it.
  std::size_t start = 0;
  while (start < word.size() && word[start] == '_') ++start;
  auto is_upper = [&](std::size_t i) { return IsUpper(static_cast<unsigned char>(word[i])); };
  auto is_lower = [&](std::size_t i) { return IsLower(static_cast<unsigned char>(word[i])); };
  auto is_digit = [&](std::size_t i) { return IsDigit(static_cast<unsigned char>(word[i])); };
  for (std::size_t i = start + 1; i <= word.size(); ++i) {
    bool cut = i == word.size() || word[i] == '_';
    if (!cut && i < word.size()) {
      cut = (is_lower(i - 1) && is_upper(i)) ||  // fooBar
            (is_upper(i - 1) && is_upper(i) && i + 1 < word.size() &&
             is_lower(i + 1)) ||  // HTTPServer
            (is_digit(i - 1) != is_digit(i) && !(is_digit(i) && is_upper(i - 1)));
    }
    if (!cut) continue;
    if (Emit(word.substr(start, i - start), buffer, each)) ++parts;
    start = i < word.size() && word[i] == '_' ? i + 1 : i;
  }
  // The whole identifier too, when it was split, so exact names match.
  std::string_view trimmed = word;
  while (!trimmed.empty() && trimmed.front() == '_') trimmed.remove_prefix(1);
  if (parts > 1 && trimmed.size() > 1) each(Lower(trimmed, buffer));
}

}  // namespace

void ForEachCodeToken(std::string_view text, const TokenSink& each) {
  std::string buffer;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !IsWordChar(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && IsWordChar(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) SplitIdentifier(text.substr(start, i - start), buffer, each);
  }
}

std::vector<std::string> CodeTokens(std::string_view text) {
  std::vector<std::string> out;
  ForEachCodeToken(text, [&](std::string_view token) { out.emplace_back(token); });
  return out;
}

std::string Stem(std::string_view token) {
  std::string w(token);
  if (w.size() < 4) return w;
  for (char c : w) {
    if (!IsLower(static_cast<unsigned char>(c))) return w;  // digits, '_', non-ASCII
  }
  // A stemmer is not safe to share between threads: one per thread, made on
  // its first word. Snowball's "porter" is compiled into the library, so
  // only a failed allocation leaves none (or no stem): out of memory, not a
  // word left whole that another thread would stem.
  struct Free {
    void operator()(sb_stemmer* stemmer) const { sb_stemmer_delete(stemmer); }
  };
  thread_local const std::unique_ptr<sb_stemmer, Free> stemmer(sb_stemmer_new("porter", nullptr));
  if (!stemmer) throw std::bad_alloc();
  // Words repeat (a query's proximity pass stems the text of 20 results,
  // a scan every word of every file): the stems of the words a thread saw
  // last are kept, up to 8,192 words of at most 32 letters (under a
  // megabyte).
  constexpr std::size_t kKeptStems = 8192, kKeptLength = 32;
  thread_local std::unordered_map<std::string, std::string> kept;
  const bool keep = w.size() <= kKeptLength;
  if (keep) {
    if (auto it = kept.find(w); it != kept.end()) return it->second;
  }
  const sb_symbol* stem = sb_stemmer_stem(
      stemmer.get(), reinterpret_cast<const sb_symbol*>(w.data()), static_cast<int>(w.size()));
  if (stem == nullptr) throw std::bad_alloc();
  std::string out(reinterpret_cast<const char*>(stem),
                  static_cast<std::size_t>(sb_stemmer_length(stemmer.get())));
  if (keep) {
    if (kept.size() >= kKeptStems) kept.clear();
    kept.emplace(std::move(w), out);
  }
  return out;
}

std::string_view StemOpening(std::string_view stem) {
  return stem.size() > 1 ? stem.substr(0, stem.size() - 1) : stem;
}

std::vector<std::string> SearchTerms(std::string_view text) {
  std::vector<std::string> out = CodeTokens(text);
  for (auto& t : out) t = Stem(t);
  return out;
}

}  // namespace docrunch::search
