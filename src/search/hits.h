// What an agent reads of a search answer (PRODUCT §7, §9 search_docs): each
// hit as its kind, qualified name, file and line, a one-line signature, the
// first sentence of its documentation and why it matched; hits that say the
// same thing as a relative (a class and its method) merged, and hits grouped
// by file. Built from SearchResults alone, after the ranking, so the ranker
// is free to change underneath.
//
// Deduplication, walking the results best first (a symbol's relatives are
// the symbols its qualified name nests in, "A" for "A.b", and its file's
// module hit; "A.b" nests in "A" of the same file only):
// - a hit whose nested relative (a method of a class, a symbol of a module)
//   ranks above it and matched every term it matched is dropped: the more
//   specific hit already explains the match;
// - a hit whose enclosing relative ranks above it and matched every term it
//   matched is folded into that relative as `also` ("name:line"), a few
//   tokens instead of a whole hit.
// Otherwise both stay. Kept hits are numbered 1..n in rank order (`rank`),
// and grouped by file in the order of each file's best hit; hits without a
// file (tasks, reports, decisions, findings) form one group with no path.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/search.h"

namespace docrunch::search {

// The query terms found in each field of a hit, fields in a fixed order
// (code: name, qualified_name, signature, docstring, path; modules: path,
// names; the rest: title, body), terms in query order; fields without any
// match are left out. qualified_name and signature list only the terms the
// name does not (both spell the name again).
struct MatchReason {
  std::vector<std::pair<std::string, std::vector<std::string>>> fields;
  // Every matched term once, in the order the fields give them.
  std::vector<std::string> Terms() const;
};

// The unique search terms of a query, in order (the tokenizer's CodeTokens).
std::vector<std::string> QueryTerms(std::string_view query);

// Why `result` matched: which of `terms` occur in which of its stored
// fields (title, content split into signature and docstring, path), matched
// as whole stemmed tokens the way the index matches them ("normalizing"
// matches normalize_email). Empty when the full-text fallback matched a form
// of a word the index's stemmer does not join (Porter's full stemmer
// does more), which these fields cannot show. This is
// recomputed from what the result carries; when the ranker reports its own
// per-field matches, they can replace it here without changing the shape.
MatchReason ExplainMatch(const SearchResult& result, const std::vector<std::string>& terms);

// The one-line signature of a code hit ("" for others): its content's first
// line when that line names the symbol (the index stores the signature,
// then the docstring).
std::string SignatureOf(const SearchResult& result);
// The first sentence of a hit's documentation (a code hit's docstring, a
// report's body; "" for modules), whitespace collapsed, at most 160 bytes.
std::string SummaryOf(const SearchResult& result);

struct Hit {
  int rank = 0;  // 1-based among the kept hits
  const SearchResult* result = nullptr;
  std::string name;       // qualified name, path for a module, title otherwise
  std::string signature;  // one line, or ""
  std::string summary;    // first sentence, or ""
  MatchReason matched;
  std::vector<std::string> also;  // folded relatives, "Qualified.name:line", at most 5
  int also_more = 0;              // folded relatives beyond those
};

struct HitGroup {
  std::optional<std::string> file_path;  // none for tasks, reports, decisions
  // The query terms the path matched: said once here, not in every hit.
  std::vector<std::string> path_terms;
  std::vector<Hit> hits;
};

struct HitView {
  std::vector<HitGroup> groups;
  int hits = 0;     // kept
  int dropped = 0;  // dropped or folded by the rules above
};

// Deduplicates and groups `results` (best first) for `query`; keeps at
// most `limit` hits. The view points into `results`, which must outlive it.
HitView ViewHits(const std::vector<SearchResult>& results, std::string_view query,
                 std::size_t limit);

// search_docs' structured form: [{"path", "path_matched"?, "hits":
// [{"rank", "kind", "name"?, "line"?, "signature"?, "summary"?, "matched",
// "also"?, "score", "id"?}]}], optional fields left out when empty: a
// module's name is its group's path, "matched" leaves out the path (the
// group's path_matched), and "id" is given only when it is not
// "symbol:<path>#<name>" or "file:<path>" (a task's, a report's, a name
// defined twice in its file).
nlohmann::json ToJson(const HitView& view);
// The same as compact text, one header line per file and two or three
// lines per hit.
std::string ToText(const HitView& view);

// The flat result of PRODUCT §7 (ToJson(SearchResult)) plus "signature",
// "summary" and "matched" ({field: [terms]}), for the REST route.
nlohmann::json ToJsonWithMatch(const SearchResult& result, const std::vector<std::string>& terms);

}  // namespace docrunch::search
