#include "search/rerank.h"

#include <algorithm>

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
  for (auto& p : parts) {
    // CodeTokens keeps a private name's underscores on its first part
    // ("_find"); the query's words have none.
    p.erase(0, p.find_first_not_of('_'));
    p = Stem(p);
  }
  std::erase(parts, std::string());
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

}  // namespace docrunch::search
