#include "search/tokenizer.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace docrunch::search {
namespace {

bool IsStopWord(std::string_view w) {
  static constexpr std::array<std::string_view, 33> kStop{
      "a",    "an", "and",  "are",  "as",   "at",   "be",    "by",   "for",  "from", "has",
      "if",   "in", "into", "is",   "it",   "its",  "of",    "on",   "or",   "that", "the",
      "this", "to", "was",  "were", "will", "with", "which", "when", "then", "than", "not"};
  return std::find(kStop.begin(), kStop.end(), w) != kStop.end();
}

bool IsWordChar(unsigned char c) {
  return std::isalnum(c) || c == '_' || c >= 0x80;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void Emit(std::string_view part, std::vector<std::string>& out) {
  if (part.empty()) return;
  std::string token = Lower(part);
  if (token.size() == 1 && !std::isdigit(static_cast<unsigned char>(token[0]))) return;
  if (IsStopWord(token)) return;
  out.push_back(std::move(token));
}

// Splits one identifier at '_' and at case changes, keeping acronyms whole.
void SplitIdentifier(std::string_view word, std::vector<std::string>& out) {
  std::size_t parts_before = out.size();
  std::size_t start = 0;
  auto is_upper = [&](std::size_t i) { return std::isupper(static_cast<unsigned char>(word[i])); };
  auto is_lower = [&](std::size_t i) { return std::islower(static_cast<unsigned char>(word[i])); };
  auto is_digit = [&](std::size_t i) { return std::isdigit(static_cast<unsigned char>(word[i])); };
  for (std::size_t i = 1; i <= word.size(); ++i) {
    bool cut = i == word.size() || word[i] == '_';
    if (!cut && i < word.size()) {
      cut = (is_lower(i - 1) && is_upper(i)) ||  // fooBar
            (is_upper(i - 1) && is_upper(i) && i + 1 < word.size() &&
             is_lower(i + 1)) ||  // HTTPServer
            (is_digit(i - 1) != is_digit(i) && !(is_digit(i) && is_upper(i - 1)));
    }
    if (!cut) continue;
    Emit(word.substr(start, i - start), out);
    start = i < word.size() && word[i] == '_' ? i + 1 : i;
  }
  // The whole identifier too, when it was split, so exact names match.
  std::string_view trimmed = word;
  while (!trimmed.empty() && trimmed.front() == '_') trimmed.remove_prefix(1);
  if (out.size() - parts_before > 1 && trimmed.size() > 1) out.push_back(Lower(trimmed));
}

}  // namespace

std::vector<std::string> CodeTokens(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !IsWordChar(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && IsWordChar(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) SplitIdentifier(text.substr(start, i - start), out);
  }
  return out;
}

namespace {

bool IsVowel(const std::string& w, std::size_t i) {
  switch (w[i]) {
    case 'a':
    case 'e':
    case 'i':
    case 'o':
    case 'u':
      return true;
    case 'y':
      return i > 0 && !IsVowel(w, i - 1);
    default:
      return false;
  }
}

bool HasVowel(const std::string& w, std::size_t end) {
  for (std::size_t i = 0; i < end; ++i) {
    if (IsVowel(w, i)) return true;
  }
  return false;
}

bool EndsWith(const std::string& w, std::string_view suffix) {
  return w.size() >= suffix.size() &&
         w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string Stem(std::string_view token) {
  std::string w(token);
  if (w.size() < 4) return w;
  for (char c : w) {
    if (!std::islower(static_cast<unsigned char>(c))) return w;  // digits, '_', non-ASCII
  }
  // Plurals.
  if (EndsWith(w, "sses")) {
    w.resize(w.size() - 2);
  } else if (EndsWith(w, "ies")) {
    w.resize(w.size() - 2);  // queries -> queri
  } else if (EndsWith(w, "s") && !EndsWith(w, "ss") && !EndsWith(w, "us") && !EndsWith(w, "is")) {
    w.pop_back();
  }
  // Past tense and gerund, when a vowel stays in front.
  bool cut = false;
  if (EndsWith(w, "eed")) {
    // agreed -> agree: leave it.
  } else if (EndsWith(w, "ed") && w.size() >= 5 && HasVowel(w, w.size() - 2)) {
    w.resize(w.size() - 2);
    cut = true;
  } else if (EndsWith(w, "ing") && w.size() >= 6 && HasVowel(w, w.size() - 3)) {
    w.resize(w.size() - 3);
    cut = true;
  }
  if (cut && w.size() >= 3) {
    const char last = w.back();
    if (last == w[w.size() - 2] && last != 'l' && last != 's' && last != 'z' &&
        !IsVowel(w, w.size() - 1)) {
      w.pop_back();  // stopped -> stop
    }
  }
  if (w.size() >= 3 && w.back() == 'y' && HasVowel(w, w.size() - 1)) w.back() = 'i';
  if (w.size() >= 5 && w.back() == 'e') w.pop_back();  // encode -> encod
  return w;
}

std::vector<std::string> SearchTerms(std::string_view text) {
  std::vector<std::string> out = CodeTokens(text);
  for (auto& t : out) t = Stem(t);
  return out;
}

}  // namespace docrunch::search
