// The postings of one index segment, and their text form in search_terms.
//
// A term's postings are its (document id, weight) pairs in ascending id
// order, written as text — "<id delta> <weight> " per posting, the first
// delta from 0, weights in the shortest form that reads back exactly — so
// both backends store them in a plain TEXT column.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace docrunch::search {

struct Posting {
  std::int64_t doc_id = 0;
  double weight = 0;
};

// `postings` sorted by ascending doc_id, without repeats.
std::string EncodePostings(const std::vector<Posting>& postings);

// Appends the postings `text` holds to `out`; false (with `out` partly
// filled) when the text is not what EncodePostings writes.
bool DecodePostings(std::string_view text, std::vector<Posting>& out);

// Postings collected term by term for a segment.
class SegmentPostings {
 public:
  void Add(const std::string& term, std::int64_t doc_id, double weight);

  std::size_t size() const { return size_; }
  std::size_t terms() const { return by_term_.size(); }
  // Each term in ascending order with its encoded postings (sorted by id).
  void ForEachTerm(const std::function<void(const std::string&, std::string)>& fn);
  void Clear();

 private:
  std::unordered_map<std::string, std::vector<Posting>> by_term_;
  std::size_t size_ = 0;
};

}  // namespace docrunch::search
