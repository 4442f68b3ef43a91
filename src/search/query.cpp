// Ranking: BM25 over the field-weighted postings of the query's tokens, read
// from every segment of the index.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include <hnswlib/hnswlib.h>
#include <spdlog/spdlog.h>

#include "scan/model.h"
#include "search/embeddings.h"
#include "search/generation.h"
#include "search/postings.h"
#include "search/rerank.h"
#include "search/search.h"
#include "search/tokenizer.h"
#include "store/pending_events.h"

namespace docrunch::search {

// Chosen on the tuning halves of bench/search's two harnesses
// (docs/benchmarks.md): joined words 0.5 against 1.0 and 0. Associations
// were best at 0.3 (against 0.15, 0.6, 1.0 and 2.0; 2 terms, 1 and 4 did
// no better) but gained little there and nothing on the held-out halves,
// while learning them costs a process's first query hundreds of
// milliseconds on python3.11: off unless asked for.
extern const double kDefaultJoinedWeight = 0.5;
extern const double kDefaultAssociationWeight = 0.0;
// The signals after BM25 (rerank.h), chosen the same way (issue 18, third
// round): the name's coverage at 0.2 (against 0, 0.15, 0.25, 0.3, 0.5, 1, 2;
// counted only for names of two parts or more it lost on both realistic
// corpora) and the whole-file BM25 at 0.2 with b 0.75 (against 0, 0.1,
// 0.15, 0.3, 0.4, 0.8 and b 0.5, 0.9). The file context from the best
// symbols (0.2-0.8, damping 0.2-1) gained alone but nothing beside those
// two; module documents raised by it (module_file_weight 1) pushed the
// functions down: both off.
extern const double kDefaultNameWeight = 0.2;
extern const double kDefaultFileContextWeight = 0.0;
extern const double kDefaultFileDamping = 0.2;
extern const double kDefaultModuleFileWeight = 0.0;
extern const double kDefaultFileLexicalWeight = 0.2;
// Issue 18, fourth round: the translation factor (name parts associated
// with the query's unmatched words, TermAssociations) gained on the
// docstring harness's tuning half (function MRR +0.017 at 2, normalized
// PMI; share and share x ln lift did less) but lost on the realistic
// Python one at every weight (0.3-4) and measure: off.
extern const double kDefaultTranslationWeight = 0.0;
// Issue 18, fifth round: proximity (the closest two query terms in a
// candidate's shown text) at 0.3 over the first 20 candidates. Both
// realistic tuning halves gained at every weight from 0.1 to 0.4 (Python
// tied at 0.6 and lost at 0.8) and their best weights differ (Python
// 0.1-0.3, rxjs 0.4), so the middle of that range; depths 20, 50 and 100
// ranked alike (10 did less), 20 costs least; 1/d^2 did worse, the text
// without its title gained 0.005 more on Python and lost 0.010 more on the
// docstring harness. At 0.3: Python function MRR +0.009, rxjs +0.029, the
// docstring harness -0.013 (its targets have no docstring to hold the
// query's words together).
extern const double kDefaultProximityWeight = 0.3;
// Issue 18, sixth round: deprecated results (the symbol, its module or an
// enclosing package says so) times 1 - 0.3 among the first 20. On the
// tuning halves the realistic Python harness gained from 0.2 and rxjs from
// 0.3, both level up to 0.5 (rxjs lost from 0.7); the docstring harness
// lost at every weight (11% of its targets are in deprecated modules, and
// its queries describe them exactly): the least weight both realistic
// halves gain their most at. Function MRR +0.020 (Python), +0.010 (rxjs),
// -0.009 (docstring harness).
extern const double kDefaultDeprecatedWeight = 0.3;

// Issue 18, seventh round: with private names' words indexed (the
// tokenizer no longer glues the leading underscore to the first part) and
// Porter's stemmer, private names (IsPrivateName) times 1 - 0.2. The
// realistic Python tuning half's function MRR rose with the weight to 0.3
// and its file MRR levelled from 0.2; the docstring harness, 18% of whose
// targets are private helpers, lost from 0.1 on: the least weight
// at which the realistic queries gain their file level. TypeScript's
// private members are not spelled so in rxjs: it does not move.
extern const double kDefaultPrivateWeight = 0.2;

Result<std::optional<std::int64_t>> IndexGeneration(store::Reader& db, std::int64_t repo) {
  auto rows =
      db.Query("SELECT generation FROM search_generations WHERE repository_id = $1", {repo});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<std::int64_t>();
  return rows->Int(0, "generation");
}

void SearchTimings::Add(const std::string& stage, double ms) {
  for (auto& [name, total] : stages) {
    if (name == stage) {
      total += ms;
      return;
    }
  }
  stages.emplace_back(stage, ms);
}

namespace {

// Milliseconds since the last Lap (or construction) into `timings`, when
// there are timings to fill.
class Lap {
 public:
  explicit Lap(SearchTimings* timings) : timings_(timings) {}
  void operator()(const std::string& stage) {
    if (!timings_) return;
    auto now = std::chrono::steady_clock::now();
    timings_->Add(stage, std::chrono::duration<double, std::milli>(now - start_).count());
    start_ = now;
  }
  void Restart() { start_ = std::chrono::steady_clock::now(); }

 private:
  SearchTimings* timings_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::string TypeFilter(Scope scope) {
  switch (scope) {
    case Scope::kDocs:
      return " AND d.type IN ('module', 'function', 'class', 'component', 'schema')";
    case Scope::kReports:
      return " AND d.type IN ('report', 'decision', 'finding', 'task')";
    case Scope::kAll:
      return "";
  }
  return "";
}

std::string Placeholders(std::size_t first, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += (i ? ", $" : "$") + std::to_string(first + i);
  return out;
}

// The documents whose embeddings are nearest the query's (inner product of
// normalized vectors: cosine), best first, as (id, doc_key); at most `k`.
Result<std::vector<std::pair<std::int64_t, std::string>>> NearestByVector(
    store::Reader& db, std::int64_t repo, const std::string& query, Scope scope, Embedder& embedder,
    const std::vector<float>& given, int k) {
  using Out = std::vector<std::pair<std::int64_t, std::string>>;
  std::vector<float> q = given;
  if (q.empty()) {
    auto embedded = embedder.Embed({query});
    if (!embedded) return embedded.error();
    q = std::move(embedded->front());
  }
  auto rows = db.Query(
      "SELECT v.doc_id, v.vector, d.doc_key FROM search_vectors v JOIN search_docs d "
      "ON d.id = v.doc_id WHERE v.repository_id = $1 AND v.model = $2" +
          TypeFilter(scope) + " ORDER BY v.doc_id",
      {repo, embedder.model()});
  if (!rows) return rows.error();
  if (rows->empty() || q.empty()) return Out{};
  hnswlib::InnerProductSpace space(q.size());
  hnswlib::BruteforceSearch<float> index(&space, rows->size());
  std::vector<std::string> keys(rows->size());
  std::vector<std::int64_t> ids(rows->size());
  for (std::size_t i = 0; i < rows->size(); ++i) {
    std::vector<float> v = DecodeVector(rows->Text(i, "vector").value_or(""));
    if (v.size() != q.size()) continue;  // another dimension: not comparable
    ids[i] = *rows->Int(i, "doc_id");
    keys[i] = *rows->Text(i, "doc_key");
    index.addPoint(v.data(), i);
  }
  if (index.cur_element_count == 0) return Out{};
  auto found = index.searchKnnCloserFirst(
      q.data(),
      std::min<std::size_t>(static_cast<std::size_t>(std::max(1, k)), index.cur_element_count));
  Out out;
  // Closest first; equal distances in key order, so ranks are deterministic.
  std::stable_sort(found.begin(), found.end(), [&](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : keys[a.second] < keys[b.second];
  });
  for (const auto& [distance, label] : found) out.push_back({ids[label], keys[label]});
  return out;
}

// Where a result's matched terms are, among what the result shows: its
// name (the last part of the title), the rest of the title (the qualified
// name or the path), the signature (the content's first line) and the
// docstring (the rest); a term in none of them matched what the index holds
// beyond the shown fields (a body, a module's symbols): "body".
std::vector<std::string> MatchedFields(const SearchResult& r,
                                       const std::vector<std::string>& terms) {
  std::vector<std::string> out;
  if (terms.empty()) return out;
  auto has_any = [&](std::string_view text) {
    if (text.empty()) return std::vector<bool>(terms.size(), false);
    std::vector<std::string> tokens = SearchTerms(text);
    std::vector<bool> found(terms.size(), false);
    for (std::size_t i = 0; i < terms.size(); ++i) {
      found[i] = std::find(tokens.begin(), tokens.end(), terms[i]) != tokens.end();
    }
    return found;
  };
  const bool module = r.type == "module";
  std::string_view title = r.title;
  std::string_view name = title;
  if (auto dot = title.find_last_of(module ? "/" : "."); dot != std::string_view::npos) {
    name = title.substr(dot + 1);
  }
  std::string_view content = r.content;
  std::string_view signature = module ? std::string_view() : content.substr(0, content.find('\n'));
  std::string_view docstring = module || content.find('\n') == std::string_view::npos
                                   ? std::string_view()
                                   : content.substr(content.find('\n') + 1);
  std::vector<bool> seen(terms.size(), false);
  auto add = [&](const char* field, std::string_view text) {
    std::vector<bool> found = has_any(text);
    bool any = false;
    for (std::size_t i = 0; i < terms.size(); ++i) {
      if (found[i]) {
        any = true;
        seen[i] = true;
      }
    }
    if (any) out.push_back(field);
  };
  add("name", name);
  add(module ? "path" : "qualified_name", title);
  add("signature", signature);
  add("docstring", docstring);
  if (!module && r.file_path) add("path", *r.file_path);
  if (std::find(seen.begin(), seen.end(), false) != seen.end())
    out.push_back(module ? "symbols" : "body");
  return out;
}

// Document types as small numbers, for the scope filter over the corpus.
enum DocType : std::uint8_t { kCodeType, kRecordType, kOtherType };

DocType TypeOf(std::string_view type) {
  if (type == "module" || type == "function" || type == "class" || type == "component" ||
      type == "schema")
    return kCodeType;
  if (type == "report" || type == "decision" || type == "finding" || type == "task")
    return kRecordType;
  return kOtherType;
}

bool InScope(DocType type, Scope scope) {
  switch (scope) {
    case Scope::kDocs:
      return type == kCodeType;
    case Scope::kReports:
      return type == kRecordType;
    case Scope::kAll:
      return true;
  }
  return true;
}

// What the repository's names and docstrings say about each other
// (TermAssociations, rerank.h), learned from the index's own documents
// (code symbols' names and stored docstring openings): for a prose word,
// the name parts that symbols documented with it carry ("percent" in the
// docstrings of quote_plus, quote_from_bytes, quote_path -> "quot").
class Associations {
 public:
  struct Expansion {
    std::string term;
    double strength;  // P(name part | prose word), 0..1
  };

  void Learn(const store::Rows& rows);
  // Up to `max` name parts associated with `term` for query expansion,
  // strongest first: seen with it in at least kMinPairs symbols, in a share
  // of them at least kMinShare, and more often than name parts are on
  // average (lift > 1); the term itself left out.
  std::vector<Expansion> Of(const std::string& term, int max) const;
  const TermAssociations& table() const { return table_; }

 private:
  static constexpr double kMinPairs = 3;
  static constexpr double kMinShare = 0.1;
  TermAssociations table_;
};

void Associations::Learn(const store::Rows& rows) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string title = rows.Text(i, "title").value_or("");
    const std::string content = rows.Text(i, "content").value_or("");
    const auto dot = title.rfind('.');
    const auto newline = content.find('\n');
    if (newline == std::string::npos) continue;  // no docstring stored
    table_.Add(dot == std::string::npos ? std::string_view(title)
                                        : std::string_view(title).substr(dot + 1),
               std::string_view(content).substr(newline + 1));
  }
  table_.Finish(2);
}

std::vector<Associations::Expansion> Associations::Of(const std::string& term, int max) const {
  std::vector<Expansion> out;
  if (max <= 0) return out;
  const double df = table_.WordDf(term);
  std::vector<std::pair<double, Expansion>> scored;
  for (const auto& p : table_.PairsOf(term)) {
    if (p.together < kMinPairs || p.part == term) continue;
    const double share = p.together / df;
    const double strength = AssociationStrength(AssociationMeasure::kShareLift, p.together, df,
                                                p.part_df, table_.Symbols());
    if (share < kMinShare || strength <= 0) continue;
    scored.push_back({strength, {p.part, share}});
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second.term < b.second.term;
  });
  for (const auto& [score, e] : scored) {
    if (static_cast<int>(out.size()) >= max) break;
    out.push_back(e);
  }
  return out;
}

// What ranking needs of a repository's index, as of one generation
// (generation.h): the corpus statistics BM25 needs, every document's length,
// graph score, key and type, the postings of the terms queries asked for
// (decoded, from every segment, the removed documents' left out) and, when
// first asked, the term associations. Read once per generation instead of
// on every query.
struct Corpus {
  struct Doc {
    std::int64_t id = 0;
    double length = 1;
    double graph = 0;
    double log_graph = 0;  // ln(1 + graph), the graph prior's, once per corpus
    std::string key;
    DocType type = kOtherType;
    // For the signals after BM25 (rerank.h): the stemmed parts of its name
    // (as indexes into `name_parts`), whether it is a file's module
    // document, and its file (an index into `files`; kNoFile for documents
    // of no file).
    std::vector<std::uint32_t> name_parts;
    bool module = false;
    std::uint32_t file = kNoFile;
    // Whether its own name says it is private (IsPrivateName).
    bool private_name = false;
  };
  static constexpr std::uint32_t kNoFile = 0xffffffffu;
  struct Hit {  // a posting, by document index
    std::uint32_t doc;
    double weight;
  };
  using Postings = std::vector<Hit>;

  std::optional<std::int64_t> generation;
  double total_docs = 0;
  double avg_length = 1;
  std::vector<Doc> docs;  // dense: postings name them by index
  std::unordered_map<std::int64_t, std::uint32_t> index_of;
  std::unordered_map<std::string, std::uint32_t> files;  // file path -> Doc::file
  std::vector<std::string> name_parts;                   // Doc::name_parts name these
  std::unordered_map<std::string, std::uint32_t> name_part_ids;
  // Each file's documents' lengths summed (by Doc::file), and their mean:
  // a file's BM25 as one document (FileLexicalScores).
  std::vector<double> file_length;
  double avg_file_length = 1;

  // Sets what the signals after BM25 need of `doc`, from its key.
  void Describe(Doc& doc);
  std::uint32_t FileId(std::string_view path);

  // The postings of `terms` (each once), reading those not yet kept.
  Result<std::vector<std::shared_ptr<const Postings>>> PostingsOf(
      store::Reader& db, std::int64_t repo, const std::vector<std::string>& terms) const;
  // The associations, learned on first use.
  Result<const Associations*> AssociationsOf(store::Reader& db, std::int64_t repo) const;
  // The folders of the deprecated packages ("distutils/": a deprecated
  // module named __init__.py), read on first use.
  Result<const std::vector<std::string>*> DeprecatedPackagesOf(store::Reader& db,
                                                               std::int64_t repo) const;
  // Fills an empty corpus with what one query needs, not the whole index:
  // the statistics, the postings of `terms` and the documents they name.
  Result<void> FillFor(store::Reader& db, std::int64_t repo, const std::vector<std::string>& terms);

 private:
  // Terms kept at most; past it the kept postings start over.
  static constexpr std::size_t kMaxTerms = 20000;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, std::shared_ptr<const Postings>> postings_;
  mutable std::mutex associations_mu_;
  mutable std::unique_ptr<Associations> associations_;
  mutable std::mutex packages_mu_;
  mutable std::optional<std::vector<std::string>> deprecated_packages_;
};

Result<std::vector<std::shared_ptr<const Corpus::Postings>>> Corpus::PostingsOf(
    store::Reader& db, std::int64_t repo, const std::vector<std::string>& terms) const {
  std::vector<std::shared_ptr<const Postings>> out(terms.size());
  std::vector<std::size_t> missing;
  {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < terms.size(); ++i) {
      auto it = postings_.find(terms[i]);
      if (it != postings_.end()) {
        out[i] = it->second;
      } else {
        missing.push_back(i);
      }
    }
  }
  if (missing.empty()) return out;
  store::Params params{repo};
  for (std::size_t i : missing) params.emplace_back(std::in_place_type<std::string>, terms[i]);
  auto rows =
      db.Query("SELECT term, postings FROM search_terms WHERE repository_id = $1 AND term IN (" +
                   Placeholders(2, missing.size()) + ")",
               params);
  if (!rows) return rows.error();
  std::unordered_map<std::string, Postings> read;
  std::vector<Posting> decoded;
  for (std::size_t r = 0; r < rows->size(); ++r) {
    const std::string term = *rows->Text(r, "term");
    decoded.clear();
    if (!DecodePostings(*rows->Text(r, "postings"), decoded)) {
      return MakeError(ErrorCode::kInternal, "search_terms: the postings of term '" + term +
                                                 "' are malformed; run docrunch sync rebuild");
    }
    Postings& list = read[term];
    for (const Posting& p : decoded) {
      // Removed documents' postings wait in their segments for a merge.
      if (auto at = index_of.find(p.doc_id); at != index_of.end())
        list.push_back({at->second, p.weight});
    }
  }
  std::lock_guard lock(mu_);
  if (postings_.size() + missing.size() > kMaxTerms) postings_.clear();
  for (std::size_t i : missing) {
    auto list = std::make_shared<Postings>(std::move(read[terms[i]]));
    // Segments come in any order: in document order, as in one segment.
    std::sort(list->begin(), list->end(), [](const Hit& a, const Hit& b) { return a.doc < b.doc; });
    out[i] = list;
    postings_.emplace(terms[i], std::move(list));
  }
  return out;
}

std::uint32_t Corpus::FileId(std::string_view path) {
  auto [it, added] = files.emplace(std::string(path), static_cast<std::uint32_t>(files.size()));
  if (added) file_length.push_back(0);
  return it->second;
}

void Corpus::Describe(Doc& doc) {
  for (auto& part : NameParts(KeyName(doc.key))) {
    auto [it, added] =
        name_part_ids.emplace(part, static_cast<std::uint32_t>(name_part_ids.size()));
    if (added) name_parts.push_back(std::move(part));
    doc.name_parts.push_back(it->second);
  }
  doc.module = doc.key.starts_with("file:");
  doc.private_name = !doc.module && IsPrivateName(KeyName(doc.key));
  std::string_view file = KeyFile(doc.key);
  if (file.empty()) return;
  doc.file = FileId(file);
}

Result<const Associations*> Corpus::AssociationsOf(store::Reader& db, std::int64_t repo) const {
  std::lock_guard lock(associations_mu_);
  if (associations_) return associations_.get();
  auto rows = db.Query(
      "SELECT title, content FROM search_docs WHERE repository_id = $1 AND type IN "
      "('function', 'class', 'component', 'schema')",
      {repo});
  if (!rows) return rows.error();
  auto learned = std::make_unique<Associations>();
  learned->Learn(*rows);
  associations_ = std::move(learned);
  return associations_.get();
}

Result<const std::vector<std::string>*> Corpus::DeprecatedPackagesOf(store::Reader& db,
                                                                     std::int64_t repo) const {
  std::lock_guard lock(packages_mu_);
  if (!deprecated_packages_) {
    auto folders = DeprecatedFolders(db, repo);
    if (!folders) return folders.error();
    deprecated_packages_ = std::move(*folders);
  }
  return &*deprecated_packages_;
}

Result<void> Corpus::FillFor(store::Reader& db, std::int64_t repo,
                             const std::vector<std::string>& terms) {
  auto stats = db.Query(
      "SELECT COUNT(*) AS n, SUM(length) AS total FROM search_docs WHERE repository_id = $1",
      {repo});
  if (!stats) return stats.error();
  total_docs = static_cast<double>(stats->Int(0, "n").value_or(0));
  avg_length = total_docs > 0 ? stats->Real(0, "total").value_or(total_docs) / total_docs : 1.0;
  if (terms.empty() || total_docs == 0) return Ok();
  auto file_stats = db.Query(
      "SELECT source_key, SUM(length) AS total FROM search_docs WHERE repository_id = $1 AND "
      "source_key LIKE 'file:%' GROUP BY source_key",
      {repo});
  if (!file_stats) return file_stats.error();
  double file_total = 0;
  for (std::size_t i = 0; i < file_stats->size(); ++i) {
    const std::string key = file_stats->Text(i, "source_key").value_or("");
    const double length = file_stats->Real(i, "total").value_or(0);
    file_length[FileId(KeyFile(key))] = length;
    file_total += length;
  }
  avg_file_length =
      file_length.empty() ? 1.0 : file_total / static_cast<double>(file_length.size());
  store::Params params{repo};
  for (const auto& t : terms) params.emplace_back(std::in_place_type<std::string>, t);
  auto rows =
      db.Query("SELECT term, postings FROM search_terms WHERE repository_id = $1 AND term IN (" +
                   Placeholders(2, terms.size()) + ")",
               params);
  if (!rows) return rows.error();
  std::unordered_map<std::string, std::vector<Posting>> decoded;
  std::vector<std::int64_t> candidates;
  for (std::size_t r = 0; r < rows->size(); ++r) {
    const std::string term = *rows->Text(r, "term");
    std::vector<Posting>& list = decoded[term];
    if (!DecodePostings(*rows->Text(r, "postings"), list)) {
      return MakeError(ErrorCode::kInternal, "search_terms: the postings of term '" + term +
                                                 "' are malformed; run docrunch sync rebuild");
    }
  }
  for (const auto& [term, list] : decoded) {
    for (const Posting& p : list) candidates.push_back(p.doc_id);
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  // The candidates that exist (a removed document's postings wait in their
  // segment for a merge), in id order as LoadCorpus reads them.
  constexpr std::size_t kIdsPerQuery = 500;
  for (std::size_t at = 0; at < candidates.size(); at += kIdsPerQuery) {
    const std::size_t end = std::min(candidates.size(), at + kIdsPerQuery);
    store::Params ids;
    for (std::size_t i = at; i < end; ++i) ids.emplace_back(candidates[i]);
    auto found =
        db.Query("SELECT id, length, doc_key, type, graph_score FROM search_docs WHERE id IN (" +
                     Placeholders(1, ids.size()) + ") ORDER BY id",
                 ids);
    if (!found) return found.error();
    for (std::size_t i = 0; i < found->size(); ++i) {
      Doc doc;
      doc.id = *found->Int(i, "id");
      doc.length = static_cast<double>(found->Int(i, "length").value_or(1));
      doc.graph = found->Real(i, "graph_score").value_or(0);
      doc.log_graph = std::log1p(std::max(0.0, doc.graph));
      doc.key = *found->Text(i, "doc_key");
      doc.type = TypeOf(found->Text(i, "type").value_or(""));
      Describe(doc);
      index_of.emplace(doc.id, static_cast<std::uint32_t>(docs.size()));
      docs.push_back(std::move(doc));
    }
  }
  for (const auto& t : terms) {
    auto list = std::make_shared<Postings>();
    for (const Posting& p : decoded[t]) {
      if (auto at = index_of.find(p.doc_id); at != index_of.end())
        list->push_back({at->second, p.weight});
    }
    std::sort(list->begin(), list->end(), [](const Hit& a, const Hit& b) { return a.doc < b.doc; });
    postings_.emplace(t, std::move(list));
  }
  return Ok();
}

Result<std::shared_ptr<Corpus>> LoadCorpus(store::Reader& db, std::int64_t repo) {
  auto corpus = std::make_shared<Corpus>();
  // In id order, so that documents' indexes follow their ids.
  auto rows = db.Query(
      "SELECT id, length, doc_key, type, graph_score FROM search_docs WHERE repository_id = $1 "
      "ORDER BY id",
      {repo});
  if (!rows) return rows.error();
  corpus->docs.reserve(rows->size());
  corpus->index_of.reserve(rows->size());
  double total_length = 0;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    Corpus::Doc doc;
    doc.id = *rows->Int(i, "id");
    doc.length = static_cast<double>(rows->Int(i, "length").value_or(1));
    doc.graph = rows->Real(i, "graph_score").value_or(0);
    doc.log_graph = std::log1p(std::max(0.0, doc.graph));
    doc.key = *rows->Text(i, "doc_key");
    doc.type = TypeOf(rows->Text(i, "type").value_or(""));
    corpus->Describe(doc);
    total_length += doc.length;
    corpus->index_of.emplace(doc.id, static_cast<std::uint32_t>(corpus->docs.size()));
    corpus->docs.push_back(std::move(doc));
  }
  double file_total = 0;
  for (const auto& doc : corpus->docs) {
    if (doc.file == Corpus::kNoFile) continue;
    corpus->file_length[doc.file] += doc.length;
    file_total += doc.length;
  }
  corpus->avg_file_length = corpus->file_length.empty()
                                ? 1.0
                                : file_total / static_cast<double>(corpus->file_length.size());
  corpus->total_docs = static_cast<double>(rows->size());
  corpus->avg_length = rows->empty() ? 1.0 : total_length / corpus->total_docs;
  return corpus;
}

// The corpora of the repositories searched in this process, by store and
// repository, each kept while its generation stays current.
class CorpusCache {
 public:
  Result<std::shared_ptr<const Corpus>> Get(store::Reader& db, std::int64_t repo) {
    auto generation = IndexGeneration(db, repo);
    if (!generation) return generation.error();
    const Key key{&db, repo};
    if (!*generation) return std::shared_ptr<const Corpus>();
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(key);
      if (it != entries_.end() && it->second->generation == *generation) return it->second;
      // The first query of a generation reads only what it needs: a
      // one-shot process (docrunch query) never pays for the whole corpus.
      auto [seen, first] = seen_.emplace(key, **generation);
      if (first || seen->second != **generation) {
        seen->second = **generation;
        return std::shared_ptr<const Corpus>();
      }
    }
    // One load at a time: queries that arrive together after an index
    // write wait for the first one's load instead of each loading.
    std::lock_guard loading(load_mu_);
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(key);
      if (it != entries_.end() && it->second->generation == *generation) return it->second;
    }
    auto loaded = LoadCorpus(db, repo);
    if (!loaded) return loaded.error();
    // Kept only when no index write committed during the load: the token
    // read after it is still the one read before.
    auto after = IndexGeneration(db, repo);
    if (!after) return after.error();
    if (*after != *generation) return std::shared_ptr<const Corpus>(*loaded);
    (*loaded)->generation = *generation;
    std::lock_guard lock(mu_);
    if (entries_.size() >= kMaxEntries && !entries_.count(key)) entries_.erase(entries_.begin());
    if (seen_.size() >= 4 * kMaxEntries && !seen_.count(key)) seen_.erase(seen_.begin());
    entries_[key] = *loaded;
    return std::shared_ptr<const Corpus>(*loaded);
  }

 private:
  using Key = std::pair<const store::Reader*, std::int64_t>;
  static constexpr std::size_t kMaxEntries = 8;
  std::mutex mu_;
  std::mutex load_mu_;
  std::map<Key, std::shared_ptr<const Corpus>> entries_;
  std::map<Key, std::int64_t> seen_;  // the generation each key was last asked for
};

CorpusCache& Corpora() {
  static CorpusCache* cache = new CorpusCache();  // never destroyed: used until exit
  return *cache;
}

// A query's term as scored: one of its own (counted towards coverage and
// shown as matched) or one it implies (a joined pair of its words, an
// associated name part), whose BM25 part is multiplied by `weight`.
struct QueryTerm {
  std::string term;
  double weight = 1;
  bool own = true;
};

// The query's own terms, then the terms they imply: each pair of adjacent
// words joined ("read line" -> "readline", as many stdlib names are
// spelled), and each own term's strongest associated name parts.
Result<std::vector<QueryTerm>> AnalyzeQuery(store::Reader& db, std::int64_t repo,
                                            const Corpus& corpus, const std::string& query,
                                            const std::set<std::string>& own,
                                            const SearchOptions& options) {
  std::vector<QueryTerm> out;
  for (const auto& t : own) out.push_back({t, 1.0, true});
  std::set<std::string> seen(own);
  if (options.joined_weight > 0) {
    // Adjacent words of the query as typed: CodeTokens splits identifiers
    // into parts and adds the whole, so only two plain words make a pair.
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < query.size()) {
      std::size_t end = query.find_first_of(" \t\n-,.;:/()", i);
      if (end == std::string::npos) end = query.size();
      if (end > i) words.push_back(query.substr(i, end - i));
      i = end + 1;
    }
    for (std::size_t w = 0; w + 1 < words.size(); ++w) {
      auto left = CodeTokens(words[w]), right = CodeTokens(words[w + 1]);
      if (left.size() != 1 || right.size() != 1) continue;
      const std::string joined = Stem(left[0] + right[0]);
      if (seen.insert(joined).second) out.push_back({joined, options.joined_weight, false});
    }
  }
  if (options.association_weight > 0 && options.association_terms > 0) {
    auto associations = corpus.AssociationsOf(db, repo);
    if (!associations) return associations.error();
    for (const auto& t : own) {
      for (const auto& e : (*associations)->Of(t, options.association_terms)) {
        if (seen.insert(e.term).second)
          out.push_back({e.term, options.association_weight * e.strength, false});
      }
    }
  }
  return out;
}

// Each file's BM25 as one document (its documents' postings summed, its
// length theirs), by Doc::file, for the files the query's terms reach.
// Returned by Doc::file (empty when the signal is off); 0 for the files
// the query's terms do not reach.
std::vector<double> FileLexicalScores(
    const Corpus& corpus, const std::vector<QueryTerm>& terms,
    const std::vector<std::shared_ptr<const Corpus::Postings>>& lists, Scope scope,
    const SearchOptions& options) {
  const std::size_t files = corpus.file_length.size();
  std::vector<double> out(files, 0.0);
  if (files == 0) return out;
  const double n = static_cast<double>(files);
  const double k1 = options.bm25_k1, b = options.file_bm25_b;
  std::vector<double> tf(files, 0.0);
  std::vector<std::uint32_t> reached;
  for (std::size_t t = 0; t < terms.size(); ++t) {
    reached.clear();
    for (const auto& p : *lists[t]) {
      const Corpus::Doc& doc = corpus.docs[p.doc];
      if (doc.file == Corpus::kNoFile || !InScope(doc.type, scope)) continue;
      if (tf[doc.file] == 0) reached.push_back(doc.file);
      tf[doc.file] += p.weight;
    }
    if (reached.empty()) continue;
    const double df = static_cast<double>(reached.size());
    const double idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
    for (std::uint32_t file : reached) {
      const double x = tf[file];
      tf[file] = 0;
      const double norm = 1 - b + b * corpus.file_length[file] / corpus.avg_file_length;
      out[file] += terms[t].weight * idf * x * (k1 + 1) / (x + k1 * norm);
    }
  }
  return out;
}

// Adds to each lexical candidate its file's context (SearchOptions): the
// file's score from its symbols among the candidates, times
// file_context_weight for a symbol and module_file_weight for the file's
// module document, plus file_lexical_weight times the file's own BM25;
// records that part in `context`.
template <typename Ranked>
void AddFileContext(const Corpus& corpus, const SearchOptions& options,
                    const std::vector<double>& file_lexical, std::vector<Ranked>& ranked) {
  if (options.file_context_weight <= 0 && options.module_file_weight <= 0 &&
      options.file_lexical_weight <= 0)
    return;
  // The files' scores from their symbols, only when a weight asks for them
  // (the default weighs the whole-file BM25 alone: this map was a tenth of
  // a query's instructions).
  const bool from_symbols = options.file_context_weight > 0 || options.module_file_weight > 0;
  std::unordered_map<std::uint32_t, FileAggregate> files;
  if (from_symbols) {
    for (const auto& r : ranked) {
      const Corpus::Doc& d = corpus.docs[static_cast<std::size_t>(r.doc)];
      if (d.file != Corpus::kNoFile && !d.module) files[d.file].Add(r.score);
    }
  }
  for (auto& r : ranked) {
    const Corpus::Doc& d = corpus.docs[static_cast<std::size_t>(r.doc)];
    if (d.file == Corpus::kNoFile) continue;
    const double weight = d.module ? options.module_file_weight : options.file_context_weight;
    if (auto file = files.find(d.file); file != files.end())
      r.context = weight * file->second.Score(options.file_damping);
    if (!file_lexical.empty()) r.context += options.file_lexical_weight * file_lexical[d.file];
    r.score += r.context;
  }
}

// Multiplies each candidate's lexical part (its score without `context`)
// by its name factor (1 to 1 + weight: the name coverage's and the
// translation's together), for the candidates that can still
// be among the first `limit`: one whose score times the largest factor
// stays below the limit-th score without it cannot be, and keeps its score
// (reading every candidate's name costs more than all the rest).
template <typename Ranked, typename NameFactor>
void ApplyNameFactor(std::vector<Ranked>& ranked, int limit, double weight,
                     const NameFactor& name_factor) {
  if (weight <= 0 || ranked.empty()) return;
  double threshold = 0;
  if (ranked.size() > static_cast<std::size_t>(limit)) {
    std::vector<double> plain;
    plain.reserve(ranked.size());
    for (const auto& r : ranked) plain.push_back(r.score);
    auto nth = plain.begin() + (limit - 1);
    std::nth_element(plain.begin(), nth, plain.end(), std::greater<double>());
    threshold = *nth;
  }
  for (auto& r : ranked) {
    const double lexical = r.score - r.context;
    if (r.score + lexical * weight < threshold) continue;
    r.score = lexical * name_factor(r.doc) + r.context;
  }
}

// The fewest positions between two different query terms in `text`'s
// search terms (1: adjacent), or 0 when fewer than two of them occur.
// Only the tokens that open with some query term's StemOpening are stemmed:
// no other can stem to a query term. (Stemming every token of 20 results'
// text was a third of a search_docs call's instructions.)
int NearestQueryTerms(std::string_view text, const std::vector<std::string>& query_terms) {
  auto may_stem_to = [](std::string_view token, const std::string& term) {
    return token.starts_with(StemOpening(term));
  };
  int best = 0;
  std::size_t at = 0, last_at = 0;
  std::ptrdiff_t last_term = -1;
  ForEachCodeToken(text, [&](std::string_view token) {
    const std::size_t here = at++;
    if (std::none_of(query_terms.begin(), query_terms.end(),
                     [&](const std::string& term) { return may_stem_to(token, term); }))
      return;
    auto it = std::find(query_terms.begin(), query_terms.end(), Stem(token));
    if (it == query_terms.end()) return;
    const std::ptrdiff_t term = it - query_terms.begin();
    if (last_term >= 0 && term != last_term) {
      const int gap = static_cast<int>(here - last_at);
      if (best == 0 || gap < best) best = gap;
    }
    last_term = term;
    last_at = here;
  });
  return best;
}

// Per-thread scores by document index, reset after each query (only the
// entries it touched).
struct Score {
  double bm25 = 0;
  int matched_terms = 0;
  std::uint64_t terms_mask = 0;  // bit i: the i-th own query term matched
};

Result<std::vector<SearchResult>> IndexSearch(store::Reader& db, std::int64_t repo,
                                              const std::string& query, int limit, Scope scope,
                                              const SearchOptions& options,
                                              SearchTimings* timings) {
  Lap lap(timings);
  std::vector<std::string> tokens = SearchTerms(query);
  std::set<std::string> unique(tokens.begin(), tokens.end());
  if (unique.empty() || limit <= 0) return std::vector<SearchResult>{};

  auto kept = Corpora().Get(db, repo);
  if (!kept) return kept.error();
  // Without a kept corpus, one with just what this query needs.
  std::shared_ptr<Corpus> partial = *kept ? nullptr : std::make_shared<Corpus>();
  const Corpus& corpus = *kept ? **kept : *partial;

  auto analyzed = AnalyzeQuery(db, repo, corpus, query, unique, options);
  if (!analyzed) return analyzed.error();
  const std::vector<QueryTerm>& terms = *analyzed;
  // Each term's postings, from every segment.
  std::vector<std::string> term_list;
  for (const auto& t : terms) term_list.push_back(t.term);
  if (partial) DOCRUNCH_TRY(partial->FillFor(db, repo, term_list));
  const double total_docs = corpus.total_docs;
  const double avg_length = corpus.avg_length;
  if (total_docs == 0) return std::vector<SearchResult>{};
  auto lists = corpus.PostingsOf(db, repo, term_list);
  if (!lists) return lists.error();
  lap("index_lookup");

  thread_local std::vector<Score> scores;
  thread_local std::vector<std::uint32_t> touched;
  scores.resize(corpus.docs.size());
  struct Reset {
    ~Reset() {
      for (std::uint32_t d : touched) scores[d] = Score{};
      touched.clear();
      // Every connection's thread keeps its array: not a large index's
      // (24 bytes a document) beyond its query.
      constexpr std::size_t kKeptScores = std::size_t{1} << 18;
      if (scores.capacity() > kKeptScores) std::vector<Score>().swap(scores);
      if (touched.capacity() > kKeptScores) std::vector<std::uint32_t>().swap(touched);
    }
  } reset;
  std::vector<std::string> term_names;  // bit order of terms_mask
  const double k1 = options.bm25_k1, b = options.bm25_b;
  for (std::size_t t = 0; t < terms.size(); ++t) {
    const Corpus::Postings& list = *(*lists)[t];
    // Document frequency among the documents in scope.
    double df = 0;
    for (const auto& p : list) df += InScope(corpus.docs[p.doc].type, scope) ? 1 : 0;
    if (df == 0) continue;
    const double idf = std::log(1.0 + (total_docs - df + 0.5) / (df + 0.5));
    std::uint64_t bit = 0;
    if (terms[t].own) {
      bit = term_names.size() < 64 ? std::uint64_t{1} << term_names.size() : 0;
      term_names.push_back(terms[t].term);
    }
    const double weight = terms[t].weight;
    for (const auto& p : list) {
      const Corpus::Doc& doc = corpus.docs[p.doc];
      if (!InScope(doc.type, scope)) continue;
      const double tf = p.weight;
      Score& s = scores[p.doc];
      if (s.bm25 == 0 && s.matched_terms == 0) touched.push_back(p.doc);
      s.bm25 += weight * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc.length / avg_length));
      if (terms[t].own) {
        s.matched_terms += 1;
        s.terms_mask |= bit;
      }
    }
  }
  // Documents matching more of the query's terms rank first among equals.
  // Ties break by document key, not row id, so an index rebuilt from the
  // database (new ids, another insertion order) ranks identically.
  struct Ranked {
    double score;
    const std::string* key;
    std::int64_t id;
    std::int64_t doc;    // index into corpus.docs; -1 for a document only vectors found
    double context = 0;  // the file context's part of `score`
  };
  auto better = [](const Ranked& a, const Ranked& b) {
    return a.score != b.score ? a.score > b.score : *a.key < *b.key;
  };
  // Each signal's part, for the results' explanations.
  auto coverage_factor = [&](const Score& s) {
    double coverage = static_cast<double>(s.matched_terms) / static_cast<double>(unique.size());
    return 1 - options.coverage_weight + options.coverage_weight * coverage;
  };
  auto graph_factor = [&](const Corpus::Doc& d) {
    return options.graph == GraphFusion::kPrior ? 1.0 + options.graph_weight * d.log_graph : 1.0;
  };
  auto private_factor = [&](const Corpus::Doc& d) {
    return d.private_name ? 1.0 - std::clamp(options.private_weight, 0.0, 1.0) : 1.0;
  };
  const std::vector<std::string> query_terms(unique.begin(), unique.end());
  // Whether the query covers each name part, worked out once per part.
  std::vector<std::int8_t> covered(options.name_weight > 0 ? corpus.name_parts.size() : 0, -1);
  auto name_factor = [&](const Corpus::Doc& d) {
    // A module's name is its file's: the path already weighs as a name.
    if (options.name_weight <= 0 || d.module || d.name_parts.empty()) return 1.0;
    int parts = 0;
    for (std::uint32_t part : d.name_parts) {
      if (covered[part] < 0) covered[part] = PartCovered(corpus.name_parts[part], query_terms);
      parts += covered[part];
    }
    return 1.0 + options.name_weight * parts / static_cast<double>(d.name_parts.size());
  };
  // The translation factor (SearchOptions::translation_weight): for each
  // name part some query term is associated with, the association's
  // strength by query term (index into query_terms); a symbol takes, for
  // each term it did not match, the strongest over its name's parts, and
  // the terms weigh their idf among the docstrings.
  std::unordered_map<std::uint32_t, std::vector<double>> translated;
  std::vector<double> translation_word_weight;
  double translation_word_sum = 0;
  double max_translation = 0;
  if (options.translation_weight > 0 && !query_terms.empty()) {
    auto associations = corpus.AssociationsOf(db, repo);
    if (!associations) return associations.error();
    const TermAssociations& table = (*associations)->table();
    const auto measure = static_cast<AssociationMeasure>(options.translation_measure);
    // Each term weighs its rarity among the docstrings (a "return" says
    // less than a "percent").
    translation_word_weight.assign(query_terms.size(), 1.0);
    for (std::size_t w = 0; w < query_terms.size(); ++w) {
      const double df = table.WordDf(query_terms[w]);
      translation_word_weight[w] = std::log(1.0 + table.Symbols() / (1.0 + df));
      translation_word_sum += translation_word_weight[w];
      double best = 0;
      for (const auto& p : table.PairsOf(query_terms[w])) {
        if (p.together < options.translation_min_pairs) continue;
        auto id = corpus.name_part_ids.find(p.part);
        if (id == corpus.name_part_ids.end()) continue;
        const double strength =
            AssociationStrength(measure, p.together, df, p.part_df, table.Symbols());
        if (strength <= 0) continue;
        auto& row = translated[id->second];
        if (row.empty()) row.resize(query_terms.size(), 0.0);
        row[w] = std::max(row[w], strength);
        best = std::max(best, strength);
      }
      max_translation += translation_word_weight[w] * best;
    }
    if (translation_word_sum > 0) max_translation /= translation_word_sum;
  }
  // The bit of each query term in Score::terms_mask (0: none).
  std::vector<std::uint64_t> term_bit(query_terms.size(), 0);
  for (std::size_t w = 0; w < query_terms.size(); ++w) {
    for (std::size_t t = 0; t < term_names.size() && t < 64; ++t) {
      if (term_names[t] == query_terms[w]) term_bit[w] = std::uint64_t{1} << t;
    }
  }
  auto translation_factor = [&](std::size_t d) {
    const Corpus::Doc& doc = corpus.docs[d];
    if (translated.empty() || doc.module || doc.name_parts.empty()) return 1.0;
    thread_local std::vector<double> best;
    best.assign(query_terms.size(), 0.0);
    bool any = false;
    for (std::uint32_t part : doc.name_parts) {
      auto row = translated.find(part);
      if (row == translated.end()) continue;
      any = true;
      for (std::size_t w = 0; w < best.size(); ++w) best[w] = std::max(best[w], row->second[w]);
    }
    if (!any) return 1.0;
    const std::uint64_t matched = scores[d].terms_mask;
    double sum = 0;
    for (std::size_t w = 0; w < best.size(); ++w) {
      // A term the document has needs no bridge to it (and a documented
      // symbol's own docstring words are in the counts).
      if (matched & term_bit[w]) continue;
      sum += translation_word_weight[w] * best[w];
    }
    return 1.0 + options.translation_weight * sum / translation_word_sum;
  };
  // Fusion ranks every candidate; otherwise only the first `keep` matter:
  // the `limit` asked for, or the rerank's depth (proximity, deprecation)
  // if larger.
  const bool fuse = options.graph == GraphFusion::kRrf || options.embedder;
  const bool rerank = options.proximity_weight > 0 || options.deprecated_weight > 0;
  const int keep = rerank ? std::max(limit, options.proximity_depth) : limit;
  // The file context from the best symbols takes their final scores.
  const bool aggregate = options.file_context_weight > 0 || options.module_file_weight > 0;
  std::vector<Ranked> by_score;
  by_score.reserve(touched.size());
  for (std::uint32_t d : touched) {
    const Score& s = scores[d];
    const Corpus::Doc& doc = corpus.docs[d];
    double lexical = s.bm25 * coverage_factor(s) * graph_factor(doc) * private_factor(doc);
    if (fuse || aggregate) lexical *= name_factor(doc) * translation_factor(d);
    by_score.push_back({lexical, &doc.key, doc.id, d});
  }
  std::vector<double> file_lexical;
  if (options.file_lexical_weight > 0)
    file_lexical = FileLexicalScores(corpus, terms, *lists, scope, options);
  AddFileContext(corpus, options, file_lexical, by_score);
  if (!fuse && !aggregate) {
    // The largest the two factors can be together, less 1.
    const double bound = (1 + std::max(0.0, options.name_weight)) *
                             (1 + options.translation_weight * max_translation) -
                         1;
    ApplyNameFactor(by_score, keep, bound, [&](std::int64_t d) {
      const Corpus::Doc& doc = corpus.docs[static_cast<std::size_t>(d)];
      return name_factor(doc) * translation_factor(static_cast<std::size_t>(d));
    });
  }
  // Rounded so the order in which postings were summed cannot matter.
  for (auto& r : by_score) r.score = std::round(r.score * 1e9) / 1e9;
  if (!fuse && by_score.size() > static_cast<std::size_t>(keep)) {
    std::partial_sort(by_score.begin(), by_score.begin() + keep, by_score.end(), better);
    by_score.resize(static_cast<std::size_t>(keep));
  } else {
    std::sort(by_score.begin(), by_score.end(), better);
  }
  std::unordered_map<std::int64_t, std::map<std::string, double>> fusion_parts;
  if (options.graph == GraphFusion::kRrf && !by_score.empty()) {
    // Reciprocal rank fusion: the lexical rank, and the graph rank among
    // the same candidates (documents outside the graph get no graph term).
    std::vector<Ranked> by_graph;
    for (const auto& r : by_score) {
      double g = corpus.docs[static_cast<std::size_t>(r.doc)].graph;
      if (g > 0) by_graph.push_back({g, r.key, r.id, r.doc});
    }
    std::sort(by_graph.begin(), by_graph.end(), better);
    std::map<std::int64_t, double> fused;
    const double k = std::max(1, options.rrf_k);
    for (std::size_t i = 0; i < by_score.size(); ++i)
      fused[by_score[i].id] += 1.0 / (k + static_cast<double>(i + 1));
    for (std::size_t i = 0; i < by_graph.size(); ++i) {
      const double part = options.graph_weight / (k + static_cast<double>(i + 1));
      fused[by_graph[i].id] += part;
      fusion_parts[by_graph[i].id]["rrf_graph"] = part;
    }
    for (auto& r : by_score) r.score = std::round(fused[r.id] * 1e12) / 1e12;
    std::sort(by_score.begin(), by_score.end(), better);
  }
  std::map<std::int64_t, std::string> vector_keys;  // documents only the vectors found
  lap("ranking");
  if (options.embedder) {
    auto nearest = NearestByVector(db, repo, query, scope, *options.embedder, options.query_vector,
                                   std::max(options.vector_candidates, limit));
    // An unreachable endpoint leaves the lexical ranking as it is.
    if (nearest && !nearest->empty()) {
      const double k = std::max(1, options.rrf_k);
      std::map<std::int64_t, double> fused;
      for (std::size_t i = 0; i < by_score.size(); ++i)
        fused[by_score[i].id] += 1.0 / (k + static_cast<double>(i + 1));
      std::set<std::int64_t> lexical;
      for (const auto& r : by_score) lexical.insert(r.id);
      for (std::size_t i = 0; i < nearest->size(); ++i) {
        const auto& [id, key] = (*nearest)[i];
        const double part = options.vector_weight / (k + static_cast<double>(i + 1));
        fused[id] += part;
        fusion_parts[id]["vector"] = part;
        if (!lexical.count(id)) {
          vector_keys[id] = key;
          by_score.push_back({0, &vector_keys[id], id, -1});
        }
      }
      for (auto& r : by_score) r.score = std::round(fused[r.id] * 1e12) / 1e12;
      std::sort(by_score.begin(), by_score.end(), better);
    }
    lap("vectors");
  }
  if (by_score.size() > static_cast<std::size_t>(keep))
    by_score.resize(static_cast<std::size_t>(keep));
  if (by_score.empty()) return std::vector<SearchResult>{};

  store::Params ids;
  for (const auto& r : by_score) ids.push_back(r.id);
  auto docs = db.Query(
      "SELECT id, doc_key, type, title, content, file_path, line_number, deprecated "
      "FROM search_docs WHERE id IN (" +
          Placeholders(1, ids.size()) + ")",
      ids);
  if (!docs) return docs.error();
  std::unordered_map<std::int64_t, std::size_t> row_of;
  for (std::size_t i = 0; i < docs->size(); ++i) row_of[*docs->Int(i, "id")] = i;
  // Deprecated: the document's own mark, or an enclosing package's.
  auto packages = corpus.DeprecatedPackagesOf(db, repo);
  if (!packages) return packages.error();
  auto deprecated = [&](std::size_t i) {
    if (docs->Int(i, "deprecated").value_or(0) != 0) return true;
    const auto path = docs->Text(i, "file_path");
    return path && scan::UnderAnyFolder(*path, **packages);
  };
  // The first `proximity_depth` only, whatever the limit: a query asking
  // for 10 results sees the first 10 of one asking for 100.
  std::unordered_map<std::int64_t, double> proximity;  // factor by id, when not 1
  std::unordered_map<std::int64_t, double> demotion;   // factor by id, when not 1
  if (rerank) {
    const std::size_t depth =
        std::min(by_score.size(), static_cast<std::size_t>(std::max(0, options.proximity_depth)));
    const bool near = options.proximity_weight > 0 && unique.size() > 1;
    for (std::size_t at = 0; at < depth; ++at) {
      Ranked& ranked = by_score[at];
      auto row = row_of.find(ranked.id);
      if (row == row_of.end() || ranked.doc < 0) continue;
      const std::size_t i = row->second;
      double factor = 1;
      if (near && scores[static_cast<std::size_t>(ranked.doc)].matched_terms >= 2) {
        const int gap = NearestQueryTerms(
            docs->Text(i, "title").value_or("") + "\n" + docs->Text(i, "content").value_or(""),
            query_terms);
        if (gap > 0) {
          proximity[ranked.id] = 1.0 + options.proximity_weight / gap;
          factor *= proximity[ranked.id];
        }
      }
      if (options.deprecated_weight > 0 && deprecated(i)) {
        demotion[ranked.id] = 1.0 - std::min(1.0, options.deprecated_weight);
        factor *= demotion[ranked.id];
      }
      if (factor != 1) ranked.score = std::round(ranked.score * factor * 1e9) / 1e9;
    }
    std::stable_sort(by_score.begin(), by_score.end(), better);
  }
  if (by_score.size() > static_cast<std::size_t>(limit))
    by_score.resize(static_cast<std::size_t>(limit));
  std::vector<SearchResult> results;
  results.reserve(by_score.size());
  for (const auto& ranked : by_score) {
    auto row = row_of.find(ranked.id);
    if (row == row_of.end()) continue;  // removed since the corpus was read
    const std::size_t i = row->second;
    SearchResult r;
    r.id = *docs->Text(i, "doc_key");
    r.type = *docs->Text(i, "type");
    r.title = *docs->Text(i, "title");
    r.content = docs->Text(i, "content").value_or("");
    r.score = std::round(ranked.score * 1000) / 1000;
    r.file_path = docs->Text(i, "file_path");
    if (auto line = docs->Int(i, "line_number")) r.line_number = static_cast<int>(*line);
    r.deprecated = deprecated(i);
    if (ranked.doc >= 0) {
      const Score& s = scores[static_cast<std::size_t>(ranked.doc)];
      r.signals["bm25"] = s.bm25;
      r.signals["coverage"] = coverage_factor(s);
      if (options.graph == GraphFusion::kPrior)
        r.signals["graph"] = graph_factor(corpus.docs[static_cast<std::size_t>(ranked.doc)]);
      if (const double f = private_factor(corpus.docs[static_cast<std::size_t>(ranked.doc)]);
          f != 1.0)
        r.signals["private"] = f;
      if (options.name_weight > 0)
        r.signals["name"] = name_factor(corpus.docs[static_cast<std::size_t>(ranked.doc)]);
      if (!translated.empty())
        r.signals["translation"] = translation_factor(static_cast<std::size_t>(ranked.doc));
      if (ranked.context > 0) r.signals["file_context"] = ranked.context;
      if (auto p = proximity.find(ranked.id); p != proximity.end())
        r.signals["proximity"] = p->second;
      if (auto d = demotion.find(ranked.id); d != demotion.end())
        r.signals["deprecated"] = d->second;
      for (std::size_t t = 0; t < term_names.size() && t < 64; ++t) {
        if (s.terms_mask & (std::uint64_t{1} << t)) r.matched_terms.push_back(term_names[t]);
      }
      if (options.explain) r.matched_fields = MatchedFields(r, r.matched_terms);
    }
    if (auto parts = fusion_parts.find(ranked.id); parts != fusion_parts.end()) {
      for (const auto& [name, part] : parts->second) r.signals[name] = part;
    }
    results.push_back(std::move(r));
  }
  lap("fetch");
  return results;
}

}  // namespace

Result<std::vector<std::string>> DeprecatedFolders(store::Reader& db, std::int64_t repo,
                                                   bool from_files) {
  auto rows =
      db.Query(from_files ? "SELECT path AS file_path FROM files WHERE repository_id = $1 AND "
                            "deprecated = 1"
                          : "SELECT file_path FROM search_docs WHERE repository_id = $1 AND "
                            "deprecated = 1 AND type = 'module'",
               {repo});
  if (!rows) return rows.error();
  std::vector<std::string> folders;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    if (auto folder = scan::PackageFolder(rows->Text(i, "file_path").value_or(""))) {
      folders.push_back(std::move(*folder));
    }
  }
  return folders;
}

Result<std::string> IndexUnavailable(store::Reader& db, std::int64_t repo) {
  // Whether there is any document, any term, an event the index has not
  // applied yet and a storage_sync row that is not ok, in one statement:
  // this runs before every query. Not ok is spelled as the other statuses
  // (the table's CHECK allows no more): the index on (repository_id,
  // target, status) then seeks them, where `status <> 'ok'` read every ok
  // row of the repository (100 µs a query on python3.11's 668 files, 11%
  // of a search_docs call's CPU, and more the bigger the repository).
  auto state = db.Query(
      "SELECT CASE WHEN EXISTS (SELECT 1 FROM search_docs WHERE repository_id = $1) THEN 1 "
      "ELSE 0 END AS docs, "
      "CASE WHEN EXISTS (SELECT 1 FROM search_terms WHERE repository_id = $1) THEN 1 "
      "ELSE 0 END AS terms, "
      "CASE WHEN EXISTS (SELECT 1 FROM " +
          store::PendingEvents("$1") +
          " AS e WHERE e.entity_type IN ('file', 'task', 'decision')) THEN 1 ELSE 0 END AS "
          "pending, "
          "(SELECT status FROM storage_sync WHERE target = 'index' AND repository_id = $1 AND "
          "status IN ('pending', 'failed', 'dead_letter') LIMIT 1) AS unsynced",
      {repo});
  if (!state) return "the search index cannot be read (" + state.error().message + ")";
  if (state->empty()) return MakeError(ErrorCode::kInternal, "the index check returned no row");
  if (state->Int(0, "docs").value_or(0) == 0 || state->Int(0, "terms").value_or(0) == 0) {
    auto sources = db.Query(
        "SELECT 1 AS x FROM files WHERE repository_id = $1 UNION ALL "
        "SELECT 1 AS x FROM tasks WHERE repository_id = $1 UNION ALL "
        "SELECT 1 AS x FROM decisions WHERE repository_id = $1 LIMIT 1",
        {repo});
    if (!sources) return sources.error();
    if (!sources->empty()) return std::string("the search index is empty");
    return std::string();
  }
  if (state->Int(0, "pending").value_or(0) != 0)
    return std::string("the search index is behind (events not yet applied)");
  if (auto unsynced = state->Text(0, "unsynced")) {
    return "the search index is behind (entities " + *unsynced + ")";
  }
  return std::string();
}

Result<std::vector<SearchResult>> Search(store::Reader& db, std::int64_t repo,
                                         const std::string& query, int limit, Scope scope,
                                         const SearchOptions& options, SearchTimings* timings) {
  if (limit <= 0) return std::vector<SearchResult>{};
  Lap lap(timings);
  auto fulltext = [&]() {
    if (timings) timings->engine = "fulltext";
    auto found = FullTextSearch(db, repo, query, limit, scope);
    lap("fulltext");
    return found;
  };
  Engine engine = options.engine;
  if (engine == Engine::kAuto) {
    auto reason = IndexUnavailable(db, repo);
    lap("index_check");
    if (!reason) return reason.error();
    engine = reason->empty() ? Engine::kIndex : Engine::kFullText;
  }
  if (engine == Engine::kFullText) return fulltext();
  if (timings) timings->engine = "index";
  auto found = IndexSearch(db, repo, query, limit, scope, options, timings);
  lap.Restart();  // IndexSearch timed its own stages
  if (!found && options.engine == Engine::kAuto) {
    // A damaged index (a malformed postings row) must not take search down
    // with it: the database's own full-text search answers until a rebuild.
    spdlog::warn("search: the index failed ({}); answering from full-text search",
                 found.error().ToString());
    return fulltext();
  }
  return found;
}

nlohmann::json ToJson(const SearchResult& r, bool explain) {
  using nlohmann::json;
  json out = {{"id", r.id},
              {"type", r.type},
              {"title", r.title},
              {"content", r.content},
              {"score", r.score},
              {"file_path", r.file_path ? json(*r.file_path) : json(nullptr)},
              {"line_number", r.line_number ? json(*r.line_number) : json(nullptr)},
              {"engine", r.engine}};
  if (r.deprecated) out["deprecated"] = true;
  if (explain) {
    out["matched_terms"] = r.matched_terms;
    out["matched_fields"] = r.matched_fields;
    out["signals"] = r.signals;
  }
  return out;
}

}  // namespace docrunch::search
