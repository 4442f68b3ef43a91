#include "search/rerank.h"

#include <algorithm>
#include <cmath>

#include "search/tokenizer.h"

namespace docrunch::search {

std::string_view KeyFile(std::string_view key) {
  if (key.starts_with("file:")) return key.substr(5);
  if (key.starts_with("symbol:")) {
    std::string_view rest = key.substr(7);
    return rest.substr(0, rest.find('#'));
  }
  return {};
}

bool IsPrivateName(std::string_view name) {
  if (!name.starts_with('_')) return false;
  const bool dunder = name.size() > 4 && name.starts_with("__") && name.ends_with("__");
  return !dunder;
}

std::string_view KeyName(std::string_view key) {
  if (key.starts_with("file:")) {
    std::string_view path = key.substr(5);
    if (auto slash = path.rfind('/'); slash != std::string_view::npos)
      path.remove_prefix(slash + 1);
    return path.substr(0, path.find('.'));
  }
  if (!key.starts_with("symbol:")) return {};
  auto hash = key.find('#');
  if (hash == std::string_view::npos) return {};
  std::string_view name = key.substr(hash + 1);
  name = name.substr(0, name.find('@'));
  if (auto dot = name.rfind('.'); dot != std::string_view::npos) name.remove_prefix(dot + 1);
  return name;
}

std::vector<std::string> NameParts(std::string_view name) {
  std::vector<std::string> parts = CodeTokens(name);
  // CodeTokens ends a split identifier's parts with the whole: drop it.
  if (parts.size() > 1) parts.pop_back();
  for (auto& p : parts) p = Stem(p);
  std::sort(parts.begin(), parts.end());
  parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
  return parts;
}

namespace {

bool Covers(const std::string& term, const std::string& part) {
  if (term == part) return true;
  if (term.size() < 4 || part.size() < 4) return false;
  const std::size_t n = std::min(term.size(), part.size());
  return term.compare(0, n, part, 0, n) == 0;
}

}  // namespace

bool PartCovered(const std::string& part, const std::vector<std::string>& query_terms) {
  for (const auto& term : query_terms) {
    if (Covers(term, part)) return true;
  }
  return false;
}

double NameCoverage(const std::vector<std::string>& name_parts,
                    const std::vector<std::string>& query_terms) {
  if (name_parts.empty()) return 0;
  int covered = 0;
  for (const auto& part : name_parts) covered += PartCovered(part, query_terms) ? 1 : 0;
  return static_cast<double>(covered) / static_cast<double>(name_parts.size());
}

void FileAggregate::Add(double score) {
  if (score <= top_[kKept - 1]) return;
  top_[kKept - 1] = score;
  for (int i = kKept - 1; i > 0 && top_[i] > top_[i - 1]; --i) std::swap(top_[i], top_[i - 1]);
}

double FileAggregate::Score(double damping) const {
  double out = top_[0];
  for (int i = 1; i < kKept; ++i) out += damping * top_[i];
  return out;
}

std::uint32_t TermAssociations::Id(const std::string& term) {
  auto [it, added] = ids_.emplace(term, static_cast<std::uint32_t>(terms_.size()));
  if (added) {
    terms_.push_back(term);
    word_df_.push_back(0);
    part_df_.push_back(0);
  }
  return it->second;
}

void TermAssociations::Add(std::string_view name, std::string_view docstring) {
  std::vector<std::string> parts = NameParts(name);
  if (parts.empty()) return;
  std::vector<std::string> words = SearchTerms(docstring);
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  if (words.empty()) return;
  symbols_ += 1;
  std::vector<std::uint32_t> part_ids;
  part_ids.reserve(parts.size());
  for (const auto& p : parts) {
    part_ids.push_back(Id(p));
    ++part_df_[part_ids.back()];
  }
  for (const auto& w : words) {
    const std::uint32_t word = Id(w);
    ++word_df_[word];
    for (std::uint32_t p : part_ids) raw_.push_back(std::uint64_t{word} << 32 | p);
  }
}

void TermAssociations::Finish(std::uint32_t min_pairs) {
  std::sort(raw_.begin(), raw_.end());
  for (std::size_t i = 0; i < raw_.size();) {
    std::size_t j = i;
    while (j < raw_.size() && raw_[j] == raw_[i]) ++j;
    const auto count = static_cast<std::uint32_t>(j - i);
    if (count >= min_pairs) {
      const auto part = static_cast<std::uint32_t>(raw_[i] & 0xffffffffu);
      pairs_[terms_[raw_[i] >> 32]].push_back(
          {terms_[part], static_cast<double>(count), static_cast<double>(part_df_[part])});
    }
    i = j;
  }
  std::vector<std::uint64_t>().swap(raw_);
  for (auto& [word, list] : pairs_) {
    std::stable_sort(list.begin(), list.end(),
                     [](const Pair& a, const Pair& b) { return a.together > b.together; });
  }
}

const std::vector<TermAssociations::Pair>& TermAssociations::PairsOf(
    const std::string& word) const {
  static const std::vector<Pair> kNone;
  auto it = pairs_.find(word);
  return it == pairs_.end() ? kNone : it->second;
}

double TermAssociations::WordDf(const std::string& word) const {
  auto it = ids_.find(word);
  return it == ids_.end() ? 0.0 : static_cast<double>(word_df_[it->second]);
}

double AssociationStrength(AssociationMeasure measure, double together, double word_df,
                           double part_df, double symbols) {
  if (together <= 0 || word_df <= 0 || part_df <= 0 || symbols <= 0) return 0;
  const double share = together / word_df;
  const double lift = share / (part_df / symbols);
  switch (measure) {
    case AssociationMeasure::kShare:
      return share;
    case AssociationMeasure::kShareLift:
      return lift > 1 ? share * std::log(lift) : 0.0;
    case AssociationMeasure::kNpmi: {
      const double joint = together / symbols;
      if (lift <= 1 || joint >= 1) return lift > 1 ? 1.0 : 0.0;
      return std::log(lift) / -std::log(joint);
    }
  }
  return 0;
}

}  // namespace docrunch::search
