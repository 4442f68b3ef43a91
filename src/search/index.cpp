// Writing search documents, and their postings as segments.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/text.h"
#include "search/generation.h"
#include "search/postings.h"
#include "search/search.h"
#include "search/tokenizer.h"
#include "store/batch.h"

namespace docrunch::search {
namespace {

struct Field {
  std::string_view text;
  double weight;
  // Body terms ("word word*3"): each word's count is written after it.
  bool counted = false;
};

// Field weights: a match in a name is worth more than one in a body. Chosen
// on the tuning halves of bench/search's two harnesses (docs/benchmarks.md).
constexpr double kNameWeight = 3.0;
constexpr double kQualifiedWeight = 1.5;
constexpr double kSignatureWeight = 1.0;
constexpr double kDocWeight = 1.0;
constexpr double kPathWeight = 0.5;
// A body word (Symbol::body_terms), per occurrence: 0.3 against 0, 0.1, 0.5
// and 1 was best on both harnesses.
constexpr double kBodyWeight = 0.3;
// What a body word adds to a document's length, against 1 for other words:
// counted in full, bodies swamp the names; not at all, long bodies win.
constexpr double kBodyLength = 0.25;
// Only a docstring's opening (its summary) is indexed, so long docstrings do
// not drown the names they describe.
constexpr std::size_t kDocChars = 400;

std::string Snippet(std::string_view text) {
  return CutWithEllipsis(text, 300);
}

std::string DocType(scan::SymbolKind kind) {
  switch (kind) {
    case scan::SymbolKind::kFunction:
    case scan::SymbolKind::kMethod:
      return "function";
    case scan::SymbolKind::kClass:
      return "class";
    case scan::SymbolKind::kComponent:
      return "component";
    case scan::SymbolKind::kSchema:
      return "schema";
  }
  return "function";
}

// Flush once this many documents wait, to bound the memory of a rebuild.
constexpr std::size_t kFlushDocs = 5000;
// Keys or sources per IN list.
constexpr std::size_t kPerStatement = 500;

// Writes `postings` as a new segment of the repository.
Result<void> WriteSegment(store::Tx& tx, std::int64_t repo, SegmentPostings& postings) {
  auto segment = tx.Query(
      "INSERT INTO search_segments (repository_id, postings, created_at) VALUES ($1, $2, $3) "
      "RETURNING id",
      {repo, static_cast<std::int64_t>(postings.size()), FormatIso8601(tx.clock().Now())});
  if (!segment) return segment.error();
  const std::int64_t id = *segment->Int(0, "id");
  std::vector<store::Params> rows;
  rows.reserve(postings.terms());
  postings.ForEachTerm([&](const std::string& term, std::string encoded) {
    rows.push_back({repo, term, id, std::move(encoded)});
  });
  return store::InsertRows(tx, "search_terms", {"repository_id", "term", "segment_id", "postings"},
                           rows);
}

}  // namespace

Result<void> MarkIndexChanged(store::Tx& tx, std::int64_t repo) {
  // Random, so that no two states of an index share a token: not after a
  // rebuild, not after a snapshot of an older state is restored.
  thread_local std::mt19937_64 random{std::random_device{}()};
  const auto token = static_cast<std::int64_t>(random() >> 1);
  auto done = tx.Exec(
      "INSERT INTO search_generations (repository_id, generation) VALUES ($1, $2) "
      "ON CONFLICT (repository_id) DO UPDATE SET generation = excluded.generation",
      {repo, token});
  if (!done) return done.error();
  return Ok();
}

// One source's documents (a file's module and symbols, a task with its
// reports), waiting in the writer for its next flush.
class SourceDocs {
 public:
  using Terms = std::vector<std::pair<std::string, double>>;  // sorted by term, unique

  SourceDocs(std::int64_t repo, std::string source_key, bool graph_scores)
      : repo_(repo), source_key_(std::move(source_key)), graph_scores_(graph_scores) {}

  void Add(std::string key, const std::string& type, const std::string& title,
           const std::string& content, const std::string& path, int line,
           const std::vector<Field>& fields, bool deprecated = false) {
    // A name defined twice in one file (a redefinition, a property setter)
    // gets a key of its own; a third on the same line (minified code, where
    // everything is line 1) a counter on top.
    if (index_.count(key)) {
      const std::string at_line = key + "@" + std::to_string(line);
      key = at_line;
      for (int n = 2; index_.count(key); ++n) key = at_line + "." + std::to_string(n);
    }
    Terms weights;
    double length_units = 0;
    for (const auto& field : fields) {
      if (field.weight <= 0) continue;
      if (!field.counted) {
        for (auto& token : SearchTerms(field.text)) {
          weights.emplace_back(std::move(token), field.weight);
          length_units += 1;
        }
        continue;
      }
      std::size_t i = 0;
      while (i < field.text.size()) {
        std::size_t space = field.text.find(' ', i);
        if (space == std::string_view::npos) space = field.text.size();
        std::string_view word = field.text.substr(i, space - i);
        i = space + 1;
        double count = 1;
        if (auto star = word.find('*'); star != std::string_view::npos) {
          count = std::max(1, std::atoi(std::string(word.substr(star + 1)).c_str()));
          word = word.substr(0, star);
        }
        for (auto& token : SearchTerms(word)) {
          weights.emplace_back(std::move(token), field.weight * count);
          length_units += kBodyLength * count;
        }
      }
    }
    const auto length = static_cast<std::int64_t>(std::llround(length_units));
    // Each term once, its field weights summed (halves and wholes: exact in
    // any order).
    std::sort(weights.begin(), weights.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    std::size_t out = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (out > 0 && weights[out - 1].first == weights[i].first) {
        weights[out - 1].second += weights[i].second;
      } else {
        if (out != i) weights[out] = std::move(weights[i]);
        ++out;
      }
    }
    weights.resize(out);
    index_.emplace(key, terms_.size());
    terms_.push_back(std::move(weights));
    rows_.push_back({repo_, std::move(key), source_key_, type, title, Snippet(content),
                     path.empty() ? store::Value(std::monostate{}) : store::Value(path),
                     line > 0 ? store::Value(std::int64_t{line}) : store::Value(std::monostate{}),
                     std::max<std::int64_t>(length, 1), std::int64_t{deprecated}});
  }

  // Files and symbols are graph nodes and get the score UpdateGraphScores
  // last computed for their key; reports and tasks are not.
  bool graph_scores() const { return graph_scores_; }
  std::vector<store::Params>& rows() { return rows_; }
  // The terms of the document `key`; none for a key this source lacks.
  const Terms& TermsOf(const std::string& key) const {
    static const Terms kNone;
    auto it = index_.find(key);
    return it == index_.end() ? kNone : terms_[it->second];
  }

 private:
  std::int64_t repo_;
  std::string source_key_;
  bool graph_scores_;
  std::vector<store::Params> rows_;  // search_docs columns up to deprecated (Flush's order)
  std::vector<Terms> terms_;         // per row
  std::unordered_map<std::string, std::size_t> index_;  // doc_key -> row
};

namespace {

// The documents of one file: its module, and one per symbol.
SourceDocs FileDocs(std::int64_t repo, const std::string& path, const scan::ParsedFile& parsed) {
  const std::string source = "file:" + path;
  SourceDocs docs(repo, source, /*graph_scores=*/true);
  std::string names;
  for (const auto& s : parsed.symbols) {
    if (s.qualified_name.find('.') == std::string::npos) names += s.name + " ";
  }
  // The module's symbols' docstrings or bodies added to it (weights 0.3,
  // 0.1) only pushed symbols down: a file ranks by its best symbol.
  docs.Add(source, "module", path,
           std::string(scan::LanguageName(parsed.language)) + " module " + path +
               (names.empty() ? "" : "; defines " + names),
           path, 0, {{path, kNameWeight}, {names, kPathWeight}}, parsed.deprecated);
  for (const auto& s : parsed.symbols) {
    std::string content = s.signature;
    if (!s.docstring.empty()) content += (content.empty() ? "" : "\n") + s.docstring;
    docs.Add("symbol:" + path + "#" + s.qualified_name, DocType(s.kind), s.qualified_name, content,
             path, s.start_line,
             {{s.name, kNameWeight},
              {s.qualified_name, kQualifiedWeight},
              {s.signature, kSignatureWeight},
              {s.docstring, kDocWeight},
              {path, kPathWeight},
              {s.body_terms, kBodyWeight, true}},
             s.deprecated || parsed.deprecated);
  }
  return docs;
}

// Files per thread below which IndexFiles tokenizes on the calling thread.
constexpr std::size_t kFilesPerThread = 64;

}  // namespace

struct IndexWriter::Pending {
  SegmentPostings postings;
  // Sources whose stored documents go at the next flush, in order.
  std::vector<std::string> removed;
  std::set<std::string> removed_set;
  // Documents to insert at the next flush, by source.
  std::map<std::string, SourceDocs> docs;
  std::size_t doc_count = 0;
  // Scores computed in this transaction (UseGraphScores), if any.
  std::optional<std::unordered_map<std::string, double>> graph;
  // Whether this writer gave the index a new generation yet.
  bool marked = false;
};

void IndexWriter::UseGraphScores(std::unordered_map<std::string, double> scores) {
  pending_->graph = std::move(scores);
}

IndexWriter::IndexWriter(store::Tx& tx, std::int64_t repository_id, int threads)
    : tx_(tx),
      repository_id_(repository_id),
      threads_(threads),
      pending_(std::make_unique<Pending>()) {}

unsigned IndexWriter::TokenizingThreads(int threads, std::size_t files) {
  const unsigned wanted = threads > 0 ? static_cast<unsigned>(threads)
                                      : std::max(1u, std::thread::hardware_concurrency());
  return std::max(1u, std::min<unsigned>(wanted, static_cast<unsigned>(files / kFilesPerThread)));
}

IndexWriter::~IndexWriter() = default;

Result<void> IndexWriter::RemoveSource(const std::string& source_key) {
  // The stored rows go at the next flush; their postings stay in their
  // segments until a merge (without the document row, queries skip them).
  // Vectors go with the rows (cascade).
  auto waiting = pending_->docs.find(source_key);
  if (waiting != pending_->docs.end()) {
    pending_->doc_count -= waiting->second.rows().size();
    pending_->docs.erase(waiting);
  }
  if (pending_->removed_set.insert(source_key).second) pending_->removed.push_back(source_key);
  return Ok();
}

Result<void> IndexWriter::IndexFile(const std::string& path, const scan::ParsedFile& parsed) {
  DOCRUNCH_TRY(RemoveSource("file:" + path));
  return Queue("file:" + path, FileDocs(repository_id_, path, parsed));
}

Result<void> IndexWriter::IndexFiles(const std::vector<FileToIndex>& files) {
  // Tokenizing is pure CPU: spread it over threads; the queueing (and so
  // the order rows are written in) stays in the order given.
  std::vector<std::optional<SourceDocs>> built(files.size());
  const unsigned threads = TokenizingThreads(threads_, files.size());
  if (threads > 1) {
    std::atomic<std::size_t> next{0};
    auto work = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < files.size();) {
        built[i].emplace(FileDocs(repository_id_, files[i].path, *files[i].parsed));
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string source = "file:" + files[i].path;
    DOCRUNCH_TRY(RemoveSource(source));
    DOCRUNCH_TRY(Queue(source, built[i]
                                   ? std::move(*built[i])
                                   : FileDocs(repository_id_, files[i].path, *files[i].parsed)));
  }
  return Ok();
}

Result<void> IndexWriter::IndexDocuments(const std::string& source_key,
                                         const std::vector<Document>& docs) {
  DOCRUNCH_TRY(RemoveSource(source_key));
  if (docs.empty()) return Ok();
  SourceDocs queued(repository_id_, source_key, /*graph_scores=*/false);
  for (const auto& d : docs) {
    queued.Add(d.key, d.type, d.title, d.body, "", 0,
               {{d.title, kQualifiedWeight}, {d.body.substr(0, kDocChars * 4), kDocWeight}});
  }
  return Queue(source_key, std::move(queued));
}

Result<void> IndexWriter::Queue(const std::string& source_key, SourceDocs docs) {
  pending_->doc_count += docs.rows().size();
  pending_->docs.emplace(source_key, std::move(docs));
  if (pending_->doc_count >= kFlushDocs) return Flush();
  return Ok();
}

// The removals, then every waiting document in one multi-row insert per
// chunk (a statement or two per 500 sources rather than three per file:
// round trips on PostgreSQL), their postings into the coming segment.
Result<void> IndexWriter::Flush() {
  Pending& p = *pending_;
  if (p.removed.empty() && p.docs.empty()) return Ok();
  if (!p.marked) {
    DOCRUNCH_TRY(MarkIndexChanged(tx_, repository_id_));
    p.marked = true;
  }
  for (std::size_t at = 0; at < p.removed.size(); at += kPerStatement) {
    const std::size_t end = std::min(p.removed.size(), at + kPerStatement);
    store::Params params{repository_id_};
    const std::string in =
        store::AppendInList(params, p.removed.begin() + at, p.removed.begin() + end);
    auto deleted = tx_.Exec(
        "DELETE FROM search_docs WHERE repository_id = $1 AND source_key IN (" + in + ")", params);
    if (!deleted) return deleted.error();
  }
  p.removed.clear();
  p.removed_set.clear();
  if (p.docs.empty()) return Ok();

  std::vector<store::Params> rows;
  rows.reserve(p.doc_count);
  std::vector<std::string> graph_keys;  // to read from search_graph, without scores at hand
  for (auto& [source, docs] : p.docs) {
    for (auto& row : docs.rows()) {
      if (docs.graph_scores() && !p.graph) graph_keys.push_back(std::get<std::string>(row[1]));
      rows.push_back(std::move(row));
    }
  }
  // The score UpdateGraphScores last computed for each key, until the next.
  std::unordered_map<std::string, double> read;
  if (!p.graph) {
    for (std::size_t at = 0; at < graph_keys.size(); at += kPerStatement) {
      const std::size_t end = std::min(graph_keys.size(), at + kPerStatement);
      store::Params params{repository_id_};
      const std::string in =
          store::AppendInList(params, graph_keys.begin() + at, graph_keys.begin() + end);
      auto found = tx_.Query(
          "SELECT doc_key, score FROM search_graph WHERE repository_id = $1 AND doc_key IN (" + in +
              ")",
          params);
      if (!found) return found.error();
      for (std::size_t i = 0; i < found->size(); ++i) {
        read[*found->Text(i, "doc_key")] = found->Real(i, "score").value_or(0);
      }
    }
  }
  const std::unordered_map<std::string, double>& scores = p.graph ? *p.graph : read;
  for (auto& row : rows) {
    auto it = scores.find(std::get<std::string>(row[1]));
    row.emplace_back(it == scores.end() ? 0.0 : it->second);
  }
  DOCRUNCH_TRY(
      store::InsertRows(tx_, "search_docs",
                        {"repository_id", "doc_key", "source_key", "type", "title", "content",
                         "file_path", "line_number", "length", "deprecated", "graph_score"},
                        rows));
  // The new ids, by source: SQLite inserts many rows per statement only
  // without RETURNING (with it, one statement per row cost 12 µs a row).
  std::vector<std::string> sources;
  sources.reserve(p.docs.size());
  for (const auto& [source, docs] : p.docs) sources.push_back(source);
  for (std::size_t at = 0; at < sources.size(); at += kPerStatement) {
    const std::size_t end = std::min(sources.size(), at + kPerStatement);
    store::Params params{repository_id_};
    const std::string in = store::AppendInList(params, sources.begin() + at, sources.begin() + end);
    auto ids = tx_.Query(
        "SELECT id, doc_key, source_key FROM search_docs WHERE repository_id = $1 AND "
        "source_key IN (" +
            in + ")",
        params);
    if (!ids) return ids.error();
    for (std::size_t i = 0; i < ids->size(); ++i) {
      const std::int64_t id = *ids->Int(i, "id");
      SourceDocs& docs = p.docs.at(*ids->Text(i, "source_key"));
      for (const auto& [term, weight] : docs.TermsOf(*ids->Text(i, "doc_key"))) {
        p.postings.Add(term, id, weight);
      }
    }
  }
  p.docs.clear();
  p.doc_count = 0;
  return Ok();
}

Result<void> IndexWriter::Commit(std::size_t max_segments) {
  DOCRUNCH_TRY(Flush());
  if (pending_->postings.size() > 0) {
    DOCRUNCH_TRY(WriteSegment(tx_, repository_id_, pending_->postings));
    pending_->postings.Clear();
  }
  return MergeSegments(tx_, repository_id_, false, max_segments);
}

Result<void> MergeSegments(store::Tx& tx, std::int64_t repo, bool force, std::size_t max_segments) {
  max_segments = std::max<std::size_t>(1, max_segments);
  auto segments =
      tx.Query("SELECT id, postings FROM search_segments WHERE repository_id = $1 ORDER BY id" +
                   std::string(tx.SkipLockedClause()),
               {repo});
  if (!segments) return segments.error();
  if (segments->empty() || (!force && segments->size() <= max_segments)) return Ok();
  // The smallest segments first: as many as bring the count back to
  // max_segments, then every next smallest that is no larger than those
  // taken together. Merging everything unless the largest outweighed the
  // others four times over rewrote each posting about 8 times over 500
  // batches of a sync, this about 4 (simulated; docs/benchmarks.md). A
  // forced merge takes every segment.
  std::vector<std::pair<std::int64_t, std::int64_t>> by_size;  // postings, id
  for (std::size_t i = 0; i < segments->size(); ++i) {
    by_size.emplace_back(segments->Int(i, "postings").value_or(0), *segments->Int(i, "id"));
  }
  std::sort(by_size.begin(), by_size.end());
  std::vector<std::int64_t> chosen;
  std::size_t take =
      force ? by_size.size() : std::max<std::size_t>(2, by_size.size() - max_segments + 1);
  std::int64_t taken = 0;
  for (std::size_t i = 0; i < by_size.size(); ++i) {
    if (i >= take && by_size[i].first > taken) break;
    taken += by_size[i].first;
    chosen.push_back(by_size[i].second);
  }
  if (chosen.size() < 2 && !force) return Ok();

  // By segment alone (segment ids are unique across repositories, and these
  // are the repository's): with the repository named, SQLite's planner
  // scanned all of its terms through the primary key instead of using
  // search_terms_by_segment.
  store::Params params;
  const std::string in = store::AppendInList(params, chosen.begin(), chosen.end());
  auto rows =
      tx.Query("SELECT term, postings FROM search_terms WHERE segment_id IN (" + in + ")", params);
  if (!rows) return rows.error();
  // Decoded first, so that only the documents within the ids these
  // segments hold are read: a merge of the small recent segments read every
  // document of the repository to keep a few hundred.
  std::vector<std::pair<std::string, std::vector<Posting>>> decoded(rows->size());
  std::int64_t low = std::numeric_limits<std::int64_t>::max(), high = 0;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    decoded[i].first = *rows->Text(i, "term");
    if (!DecodePostings(*rows->Text(i, "postings"), decoded[i].second)) {
      return MakeError(ErrorCode::kInternal, "search_terms: the postings of term '" +
                                                 decoded[i].first +
                                                 "' are malformed; run docrunch sync rebuild");
    }
    if (!decoded[i].second.empty()) {
      low = std::min(low, decoded[i].second.front().doc_id);
      high = std::max(high, decoded[i].second.back().doc_id);
    }
  }
  rows->rows.clear();
  // By id alone, the repository checked here: with the repository in the
  // query SQLite's planner walks all of its documents through an index.
  auto live_rows =
      tx.Query("SELECT id, repository_id FROM search_docs WHERE id BETWEEN $1 AND $2", {low, high});
  if (!live_rows) return live_rows.error();
  std::vector<std::int64_t> live;
  live.reserve(live_rows->size());
  for (std::size_t i = 0; i < live_rows->size(); ++i) {
    if (live_rows->Int(i, "repository_id") == repo) live.push_back(*live_rows->Int(i, "id"));
  }
  std::sort(live.begin(), live.end());
  SegmentPostings merged;
  for (const auto& [term, postings] : decoded) {
    for (const Posting& p : postings) {
      if (std::binary_search(live.begin(), live.end(), p.doc_id)) {
        merged.Add(term, p.doc_id, p.weight);
      }
    }
  }
  auto terms = tx.Exec("DELETE FROM search_terms WHERE segment_id IN (" + in + ")", params);
  if (!terms) return terms.error();
  auto gone = tx.Exec("DELETE FROM search_segments WHERE id IN (" + in + ")", params);
  if (!gone) return gone.error();
  if (merged.size() == 0) return Ok();
  return WriteSegment(tx, repo, merged);
}

Result<void> ClearIndex(store::Tx& tx, std::int64_t repo) {
  DOCRUNCH_TRY(MarkIndexChanged(tx, repo));
  for (const char* table : {"search_terms", "search_segments", "search_docs"}) {
    auto r = tx.Exec(std::string("DELETE FROM ") + table + " WHERE repository_id = $1", {repo});
    if (!r) return r.error();
  }
  return Ok();
}

Result<void> RemoveFile(store::Tx& tx, std::int64_t repo, const std::string& path) {
  return RemoveSource(tx, repo, "file:" + path);
}

Result<void> RemoveSource(store::Tx& tx, std::int64_t repo, const std::string& source) {
  IndexWriter writer(tx, repo);
  DOCRUNCH_TRY(writer.RemoveSource(source));
  return writer.Commit();
}

Result<void> IndexFile(store::Tx& tx, std::int64_t repo, const std::string& path,
                       const scan::ParsedFile& parsed) {
  IndexWriter writer(tx, repo);
  DOCRUNCH_TRY(writer.IndexFile(path, parsed));
  return writer.Commit();
}

Result<void> IndexDocuments(store::Tx& tx, std::int64_t repo, const std::string& source_key,
                            const std::vector<Document>& docs) {
  IndexWriter writer(tx, repo);
  DOCRUNCH_TRY(writer.IndexDocuments(source_key, docs));
  return writer.Commit();
}

}  // namespace docrunch::search
