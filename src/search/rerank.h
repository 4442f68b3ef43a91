// Signals computed over the lexical candidates after the BM25 loop (kept
// apart from it, so the scoring loop can change without them): how much of
// a symbol's name the query covers, and the context of its file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace docrunch::search {

// The name a search document's key names: "symbol:pkg/mod.py#Cls.meth@12"
// -> "meth", "file:pkg/mod.py" -> "mod"; "" for other keys.
std::string_view KeyName(std::string_view key);
// The file a search document's key belongs to: "pkg/mod.py" for both keys
// above; "" for documents of no file (tasks, decisions, ...).
std::string_view KeyFile(std::string_view key);

// Whether a symbol's own name (KeyName) is private by the convention of
// Python, JavaScript and C: a leading underscore ("_quote", "__mangled"),
// but not a dunder ("__init__", "__round__"), which is public protocol.
bool IsPrivateName(std::string_view name);

// A name's parts as the index stems them, without the whole identifier
// CodeTokens adds: "_find_parent_path_names" -> find, parent, path, name.
std::vector<std::string> NameParts(std::string_view name);

// The share of `name_parts` the query's terms cover (0..1): a part is
// covered by an equal term or, both at least four letters long, by one of
// which it is a prefix or which is a prefix of it ("parser" by "pars", the
// stem of "parse"), so words the stemmer leaves apart still meet the names
// they describe. `query_terms` stemmed (SearchTerms).
double NameCoverage(const std::vector<std::string>& name_parts,
                    const std::vector<std::string>& query_terms);
// Whether one name part is covered by any of `query_terms`, as above.
bool PartCovered(const std::string& part, const std::vector<std::string>& query_terms);

// A file's score from its candidates' scores: the best, plus `damping`
// times the sum of the next two.
class FileAggregate {
 public:
  void Add(double score);
  double Score(double damping) const;

 private:
  static constexpr int kKept = 3;
  double top_[kKept] = {0, 0, 0};
};

// What a repository's documented symbols say about how prose and names
// relate: for each docstring word, the name parts (NameParts) of the
// symbols documented with it and in how many symbols they met. Counted from
// the repository's own symbols, so nothing outside it is needed.
class TermAssociations {
 public:
  // One documented symbol: its name ("quote_plus") and docstring. A symbol
  // without either teaches nothing.
  void Add(std::string_view name, std::string_view docstring);
  // Done adding: keeps the pairs seen together in at least `min_pairs`
  // symbols (each word's pairs, most first).
  void Finish(std::uint32_t min_pairs);

  struct Pair {
    std::string part;  // a stemmed name part
    double together;   // symbols documented with the word whose name has the part
    double part_df;    // documented symbols whose name has the part
  };
  // The pairs of a stemmed docstring word (empty when it was never seen
  // with a name part often enough), and in how many documented symbols the
  // word occurs.
  const std::vector<Pair>& PairsOf(const std::string& word) const;
  double WordDf(const std::string& word) const;
  double Symbols() const { return symbols_; }

 private:
  std::uint32_t Id(const std::string& term);
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<std::string> terms_;
  std::vector<std::uint32_t> word_df_, part_df_;
  std::vector<std::uint64_t> raw_;  // (word id << 32 | part id), once per symbol
  std::unordered_map<std::string, std::vector<Pair>> pairs_;
  double symbols_ = 0;
};

// How strongly a word predicts a name part, from the counts above:
// kShare: P(part | word), the share of the word's symbols whose name has
// the part; kShareLift: that times ln(lift), lift = P(part | word) /
// P(part), 0 unless lift > 1; kNpmi: normalized pointwise mutual
// information, ln(lift) / -ln P(word, part), 0 unless positive.
enum class AssociationMeasure { kShare = 0, kShareLift = 1, kNpmi = 2 };
double AssociationStrength(AssociationMeasure measure, double together, double word_df,
                           double part_df, double symbols);

}  // namespace docrunch::search
