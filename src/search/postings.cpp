#include "search/postings.h"

#include <algorithm>
#include <charconv>

namespace docrunch::search {

std::string EncodePostings(const std::vector<Posting>& postings) {
  std::string out;
  out.reserve(postings.size() * 6);
  char buf[32];
  std::int64_t previous = 0;
  for (const Posting& p : postings) {
    auto delta = std::to_chars(buf, buf + sizeof buf, p.doc_id - previous);
    out.append(buf, delta.ptr);
    out += ' ';
    auto weight = std::to_chars(buf, buf + sizeof buf, p.weight);
    out.append(buf, weight.ptr);
    out += ' ';
    previous = p.doc_id;
  }
  return out;
}

bool DecodePostings(std::string_view text, std::vector<Posting>& out) {
  const char* at = text.data();
  const char* const end = at + text.size();
  std::int64_t id = 0;
  while (at != end) {
    std::int64_t delta = 0;
    auto d = std::from_chars(at, end, delta);
    if (d.ec != std::errc() || d.ptr == end || *d.ptr != ' ' || delta <= 0) return false;
    double weight = 0;
    auto w = std::from_chars(d.ptr + 1, end, weight);
    if (w.ec != std::errc() || w.ptr == end || *w.ptr != ' ') return false;
    id += delta;
    out.push_back({id, weight});
    at = w.ptr + 1;
  }
  return true;
}

void SegmentPostings::Add(const std::string& term, std::int64_t doc_id, double weight) {
  by_term_[term].push_back({doc_id, weight});
  ++size_;
}

void SegmentPostings::ForEachTerm(const std::function<void(const std::string&, std::string)>& fn) {
  std::vector<std::pair<const std::string*, std::vector<Posting>*>> terms;
  terms.reserve(by_term_.size());
  for (auto& [term, postings] : by_term_) terms.push_back({&term, &postings});
  std::sort(terms.begin(), terms.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  for (auto& [term, postings] : terms) {
    std::sort(postings->begin(), postings->end(),
              [](const Posting& a, const Posting& b) { return a.doc_id < b.doc_id; });
    fn(*term, EncodePostings(*postings));
  }
}

void SegmentPostings::Clear() {
  by_term_.clear();
  size_ = 0;
}

}  // namespace docrunch::search
