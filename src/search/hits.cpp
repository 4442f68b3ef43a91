#include "search/hits.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "core/text.h"
#include "search/tokenizer.h"

namespace docrunch::search {
namespace {

using nlohmann::json;

bool IsCode(const std::string& type) {
  return type == "function" || type == "class" || type == "component" || type == "schema";
}

// The symbol's own name: the last part of its qualified name.
std::string_view LastName(std::string_view qualified) {
  auto dot = qualified.rfind('.');
  return dot == std::string_view::npos ? qualified : qualified.substr(dot + 1);
}

// `text` with runs of whitespace as one space, trimmed.
std::string Collapse(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

// At most `max` bytes of `text`, cut at a word (and never inside a UTF-8
// sequence), "…" marking the cut.
std::string Clip(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = text.rfind(' ', max);
  if (cut == std::string::npos || cut < max / 2) cut = max;
  text.resize(Utf8Prefix(text, cut));
  while (!text.empty() && (text.back() == ' ' || text.back() == ',')) text.pop_back();
  return text + "…";
}

// The first sentence of `text`: up to a '.', '!' or '?' followed by
// whitespace, or a blank line.
std::string FirstSentence(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  std::size_t end = text.size();
  for (std::size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    bool next_space = i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1]));
    if ((c == '.' || c == '!' || c == '?') && next_space) {
      end = i + 1;
      break;
    }
    if (c == ':' && i + 1 < text.size() && text[i + 1] == '\n') {
      end = i + 1;  // "Returns:\n" introduces a list
      break;
    }
    if (c == '\n') {
      auto next = text.find_first_not_of(" \t\r", i + 1);
      if (next != std::string_view::npos && text[next] == '\n') {
        end = i;  // a blank line ends the paragraph
        break;
      }
    }
  }
  return Clip(Collapse(text.substr(start, end - start)), 160);
}

// Whether `line` is a code hit's signature: it names the symbol.
bool NamesSymbol(std::string_view line, std::string_view name) {
  return !name.empty() && line.find(name) != std::string_view::npos;
}

std::pair<std::string_view, std::string_view> SplitContent(const SearchResult& r) {
  std::string_view content = r.content;
  auto nl = content.find('\n');
  std::string_view first = content.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? "" : content.substr(nl + 1);
  if (NamesSymbol(first, LastName(r.title))) return {first, rest};
  return {"", content};
}

// The tokenizer's word characters (tokenizer.cpp): tokens never cross
// anything else.
bool IsWordChar(unsigned char c) {
  return std::isalnum(c) || c == '_' || c >= 0x80;
}

// Whether lower-case `term` is, stemmed, one of SearchTerms(text): matched
// the way the index matches ("encoding" finds "encoded"). Every token is a
// lower-cased piece of one identifier, so only the identifiers holding the
// stem's opening as a substring (ignoring case) are tokenized, not the whole
// text: every word with that stem opens with StemOpening(stem).
bool HasToken(std::string_view text, const std::string& term) {
  const std::string stem = Stem(term);
  const std::string_view probe = StemOpening(stem);
  // ASCII folding, as std::tolower does in the "C" locale the tokenizer runs in.
  auto same = [](char a, char b) { return (a >= 'A' && a <= 'Z' ? a + ('a' - 'A') : a) == b; };
  auto at = text.begin();
  while (true) {
    at = std::search(at, text.end(), probe.begin(), probe.end(), same);
    if (at == text.end()) return false;
    auto begin = static_cast<std::size_t>(at - text.begin());
    std::size_t end = begin + probe.size();
    while (begin > 0 && IsWordChar(static_cast<unsigned char>(text[begin - 1]))) --begin;
    while (end < text.size() && IsWordChar(static_cast<unsigned char>(text[end]))) ++end;
    for (const auto& token : SearchTerms(text.substr(begin, end - begin))) {
      if (token == stem) return true;
    }
    at = text.begin() + static_cast<std::ptrdiff_t>(end);
  }
}

// Adds `field` with the `terms` its text holds as tokens, leaving out those
// in `seen`.
void AddField(MatchReason& out, const char* field, std::string_view text,
              const std::vector<std::string>& terms, const std::set<std::string>* seen = nullptr) {
  if (text.empty()) return;
  std::vector<std::string> found;
  for (const auto& t : terms) {
    if ((!seen || !seen->count(t)) && !t.empty() && HasToken(text, t)) found.push_back(t);
  }
  if (!found.empty()) out.fields.emplace_back(field, std::move(found));
}

bool Covers(const std::vector<std::string>& all, const std::vector<std::string>& some) {
  return std::all_of(some.begin(), some.end(), [&](const std::string& t) {
    return std::find(all.begin(), all.end(), t) != all.end();
  });
}

// Whether `inner` nests in `outer`: a symbol of the same file whose
// qualified name extends outer's ("A.b" in "A"), or any symbol of a
// module's file.
bool NestsIn(const SearchResult& inner, const SearchResult& outer) {
  if (!inner.file_path || !outer.file_path || *inner.file_path != *outer.file_path) return false;
  if (!IsCode(inner.type)) return false;
  if (outer.type == "module") return true;
  if (!IsCode(outer.type)) return false;
  const std::string& a = inner.title;
  const std::string& b = outer.title;
  return a.size() > b.size() + 1 && a.compare(0, b.size(), b) == 0 && a[b.size()] == '.';
}

// Folded relatives named per hit; more are only counted.
constexpr std::size_t kMaxAlso = 5;

std::string Location(const SearchResult& r) {
  std::string out = r.title;
  if (r.line_number) out += ":" + std::to_string(*r.line_number);
  return out;
}

}  // namespace

std::vector<std::string> MatchReason::Terms() const {
  std::vector<std::string> out;
  for (const auto& [field, terms] : fields) {
    for (const auto& t : terms) {
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    }
  }
  return out;
}

std::vector<std::string> QueryTerms(std::string_view query) {
  std::vector<std::string> out;
  for (auto& t : CodeTokens(query)) {
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
  }
  return out;
}

MatchReason ExplainMatch(const SearchResult& r, const std::vector<std::string>& terms) {
  MatchReason out;
  if (IsCode(r.type)) {
    auto [signature, docstring] = SplitContent(r);
    std::string_view name = LastName(r.title);
    AddField(out, "name", name, terms);
    // The qualified name and the signature (which spell the name again)
    // only for what the name does not already say.
    std::set<std::string> in_name;
    if (!out.fields.empty())
      in_name.insert(out.fields[0].second.begin(), out.fields[0].second.end());
    if (name.size() < r.title.size()) {
      AddField(out, "qualified_name", r.title, terms, &in_name);
      for (const auto& [field, found] : out.fields) in_name.insert(found.begin(), found.end());
    }
    AddField(out, "signature", signature, terms, &in_name);
    AddField(out, "docstring", docstring, terms);
    if (r.file_path) AddField(out, "path", *r.file_path, terms);
  } else if (r.type == "module") {
    AddField(out, "path", r.title, terms);
    auto defines = r.content.find("; defines ");
    if (defines != std::string::npos)
      AddField(out, "names", std::string_view(r.content).substr(defines + 10), terms);
  } else {
    AddField(out, "title", r.title, terms);
    AddField(out, "body", r.content, terms);
  }
  return out;
}

std::string SignatureOf(const SearchResult& r) {
  if (!IsCode(r.type)) return "";
  return std::string(SplitContent(r).first);
}

std::string SummaryOf(const SearchResult& r) {
  if (r.type == "module") return "";
  if (IsCode(r.type)) return FirstSentence(SplitContent(r).second);
  return FirstSentence(r.content);
}

HitView ViewHits(const std::vector<SearchResult>& results, std::string_view query,
                 std::size_t limit) {
  const std::vector<std::string> terms = QueryTerms(query);
  struct Seen {
    const SearchResult* result;
    std::vector<std::string> terms;
    Hit* hit;  // null once dropped
  };
  HitView view;
  std::vector<Seen> kept;
  std::vector<Hit> hits;
  hits.reserve(results.size());
  for (const auto& r : results) {
    if (hits.size() >= limit) break;
    MatchReason reason = ExplainMatch(r, terms);
    std::vector<std::string> matched = reason.Terms();
    bool merged = false;
    for (const auto& k : kept) {
      if (NestsIn(*k.result, r) && Covers(k.terms, matched)) {
        merged = true;  // a more specific hit above already says it
        break;
      }
      if (NestsIn(r, *k.result) && Covers(k.terms, matched)) {
        Hit& parent = hits[static_cast<std::size_t>(k.hit - hits.data())];
        if (parent.also.size() < kMaxAlso) {
          parent.also.push_back(Location(r));
        } else {
          ++parent.also_more;
        }
        merged = true;
        break;
      }
    }
    if (merged) {
      ++view.dropped;
      continue;
    }
    Hit hit;
    hit.rank = static_cast<int>(hits.size()) + 1;
    hit.result = &r;
    hit.name = r.title;
    hit.signature = SignatureOf(r);
    hit.summary = SummaryOf(r);
    hit.matched = std::move(reason);
    hits.push_back(std::move(hit));
    kept.push_back({&r, std::move(matched), nullptr});
    // Pointers into `hits` stay valid: reserved for every result above.
    kept.back().hit = &hits.back();
  }
  std::map<std::string, std::size_t> group_of;  // file path -> group
  std::optional<std::size_t> others;
  for (auto& hit : hits) {
    const auto& path = hit.result->file_path;
    std::size_t g;
    if (!path) {
      if (!others) {
        others = view.groups.size();
        view.groups.push_back({});
      }
      g = *others;
    } else {
      auto [it, added] = group_of.emplace(*path, view.groups.size());
      if (added) {
        view.groups.push_back({*path, {}, {}});
        for (const auto& [field, found] : hit.matched.fields) {
          if (field == "path") view.groups.back().path_terms = found;
        }
      }
      g = it->second;
    }
    view.groups[g].hits.push_back(std::move(hit));
  }
  view.hits = static_cast<int>(hits.size());
  return view;
}

namespace {

// `skip_path`: the path's matches are the group's.
json MatchedJson(const MatchReason& reason, bool skip_path) {
  json out = json::object();
  for (const auto& [field, terms] : reason.fields) {
    if (!(skip_path && field == "path")) out[field] = terms;
  }
  return out;
}

// Whether a hit's id says nothing its path and name do not.
bool DerivableId(const SearchResult& r) {
  if (!r.file_path) return false;
  if (r.type == "module") return r.id == "file:" + *r.file_path;
  return r.id == "symbol:" + *r.file_path + "#" + r.title;
}

}  // namespace

json ToJson(const HitView& view) {
  json groups = json::array();
  for (const auto& g : view.groups) {
    json hits = json::array();
    for (const auto& h : g.hits) {
      const SearchResult& r = *h.result;
      json hit = {{"rank", h.rank}, {"kind", r.type}};
      if (r.type != "module") hit["name"] = h.name;  // a module is its group's path
      if (r.line_number) hit["line"] = *r.line_number;
      if (!h.signature.empty()) hit["signature"] = h.signature;
      if (!h.summary.empty()) hit["summary"] = h.summary;
      hit["matched"] = MatchedJson(h.matched, g.file_path.has_value());
      if (!h.also.empty()) hit["also"] = h.also;
      if (h.also_more > 0) hit["also_more"] = h.also_more;
      if (r.deprecated) hit["deprecated"] = true;
      hit["score"] = r.score;
      if (!DerivableId(r)) hit["id"] = r.id;
      hits.push_back(std::move(hit));
    }
    json group = {{"path", g.file_path ? json(*g.file_path) : json(nullptr)}};
    if (!g.path_terms.empty()) group["path_matched"] = g.path_terms;
    group["hits"] = std::move(hits);
    groups.push_back(std::move(group));
  }
  return groups;
}

std::string ToText(const HitView& view) {
  std::string out;
  out.reserve(256 * static_cast<std::size_t>(view.hits + 1));
  for (const auto& g : view.groups) {
    out += g.file_path ? *g.file_path : std::string("(tasks and reports)");
    if (!g.path_terms.empty()) {
      out += " [path:";
      for (const auto& t : g.path_terms) out += " " + t;
      out += "]";
    }
    out += '\n';
    for (const auto& h : g.hits) {
      const SearchResult& r = *h.result;
      out += std::to_string(h.rank) + ". " + r.type;
      if (r.type != "module") out += " " + h.name;
      if (r.line_number) out += " :" + std::to_string(*r.line_number);
      if (r.deprecated) out += " (deprecated)";
      bool first = true;
      for (const auto& [field, terms] : h.matched.fields) {
        if (g.file_path && field == "path") continue;
        out += first ? " [" : "; ";
        first = false;
        out += field + ":";
        for (const auto& t : terms) out += " " + t;
      }
      out += first ? "\n" : "]\n";
      if (!h.signature.empty()) out += "   " + h.signature + "\n";
      if (!h.summary.empty()) out += "   " + h.summary + "\n";
      if (!h.also.empty()) {
        out += "   also:";
        for (const auto& a : h.also) out += " " + a;
        if (h.also_more > 0) out += " +" + std::to_string(h.also_more) + " more";
        out += "\n";
      }
    }
  }
  return out;
}

json ToJsonWithMatch(const SearchResult& result, const std::vector<std::string>& terms) {
  json out = ToJson(result);
  out["signature"] = SignatureOf(result);
  out["summary"] = SummaryOf(result);
  out["matched"] = MatchedJson(ExplainMatch(result, terms), false);
  return out;
}

}  // namespace docrunch::search
