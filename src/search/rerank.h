// Signals computed over the lexical candidates after the BM25 loop (kept
// apart from it, so the scoring loop can change without them): how much of
// a symbol's name the query covers, and the context of its file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace docrunch::search {

// The name a search document's key names: "symbol:pkg/mod.py#Cls.meth@12"
// -> "meth", "file:pkg/mod.py" -> "mod"; "" for other keys.
std::string_view KeyName(std::string_view key);
// The file a search document's key belongs to: "pkg/mod.py" for both keys
// above; "" for documents of no file (tasks, decisions, ...).
std::string_view KeyFile(std::string_view key);

// A name's parts as the index stems them, without the whole identifier
// CodeTokens adds: "_find_parent_path_names" -> find, parent, path, name.
std::vector<std::string> NameParts(std::string_view name);

// The share of `name_parts` the query's terms cover (0..1): a part is
// covered by an equal term or, both at least four letters long, by one of
// which it is a prefix or which is a prefix of it ("current" by
// "currentli", "columniz" by "column"), so words the light stemmer leaves
// apart still meet the names they describe. `query_terms` stemmed
// (SearchTerms).
double NameCoverage(const std::vector<std::string>& name_parts,
                    const std::vector<std::string>& query_terms);
// Whether one name part is covered by any of `query_terms`, as above.
bool PartCovered(const std::string& part, const std::vector<std::string>& query_terms);

// A file's score from its candidates' scores: the best, plus `damping`
// times the sum of the next `extra` best.
class FileAggregate {
 public:
  void Add(double score);
  double Score(double damping) const;

 private:
  static constexpr int kKept = 3;
  double top_[kKept] = {0, 0, 0};
};

}  // namespace docrunch::search
