// The knowledge base search of PRODUCT §7.
//
// Documents (modules, functions, classes, components, schemas, and later
// reports, decisions, findings, tasks) live in search_docs; the postings of
// their code-aware tokens live in segments (search_segments, search_terms:
// one row per term per segment, see IndexWriter). Ranking is BM25 over
// field-weighted term frequencies (names weigh more than signatures, which
// weigh more than docstrings and paths), computed here so both backends rank
// identically.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "scan/model.h"
#include "search/embeddings.h"
#include "store/store.h"

namespace docrunch::search {

struct SearchResult {
  std::string id;    // "symbol:pkg/mod.py#Parser.parse", "file:pkg/mod.py", "task:42"
  std::string type;  // function, class, component, schema, module, report, decision, finding, task
  std::string title;
  std::string content;  // snippet
  double score = 0;
  std::optional<std::string> file_path;
  std::optional<int> line_number;
  // Which engine answered: "index" (the derived search index) or
  // "fulltext" (the database's own full-text search, the fallback).
  std::string engine = "index";
  // Deprecated (both engines): the symbol's own documentation or body says
  // so, or its module or an enclosing package does (scan::Symbol and
  // scan::ParsedFile::deprecated).
  bool deprecated = false;
  // Why it ranks here (index answers only): the query's terms it matched
  // (as indexed: lower-case, stemmed), the fields they matched in among
  // "name", "signature", "docstring", "path" and "body" (a term found in
  // none of the shown fields matched the body or the module's symbols), and
  // each signal's part of the score: "bm25" (the field-weighted BM25 sum),
  // "coverage" (the factor for the share of query terms matched), "private"
  // (the factor of a private name, IsPrivateName), "graph"
  // (the graph prior's factor), "name" (the name coverage factor, when
  // worked out: rerank.h), "translation" (the translation factor, when on),
  // "file_context" (what the document's file added), "proximity" (the
  // proximity factor, when two query terms are near each other),
  // "deprecated" (the factor a deprecated result's score took),
  // "rrf_graph" / "vector" (reciprocal rank fusion terms, when those run).
  // Empty for full-text answers.
  std::vector<std::string> matched_terms;
  std::vector<std::string> matched_fields;
  std::map<std::string, double> signals;
};

// The JSON form the CLI, MCP and REST share: the fields above, file_path
// and line_number null when absent; matched_terms, matched_fields and
// signals only with `explain`.
nlohmann::json ToJson(const SearchResult& result, bool explain = false);

enum class Scope { kDocs, kReports, kAll };

// kAuto: the index unless it is behind or broken (IndexUnavailable), then
// the database's full-text search.
enum class Engine { kAuto, kIndex, kFullText };

// How the relationship-graph score (PageRank, search_docs.graph_score)
// enters the index's ranking: not at all; as a prior multiplying the
// lexical score by 1 + graph_weight * ln(1 + graph_score); or by
// reciprocal rank fusion of the lexical and graph ranks of the lexical
// candidates, the graph's rank weighted by graph_weight.
enum class GraphFusion { kNone, kPrior, kRrf };

// The defaults of the query analysis below, defined in query.cpp (so that
// tuning them rebuilds one file).
extern const double kDefaultJoinedWeight;
extern const double kDefaultAssociationWeight;
extern const double kDefaultNameWeight;
extern const double kDefaultFileContextWeight;
extern const double kDefaultFileDamping;
extern const double kDefaultModuleFileWeight;
extern const double kDefaultFileLexicalWeight;
extern const double kDefaultTranslationWeight;
extern const double kDefaultProximityWeight;
extern const double kDefaultDeprecatedWeight;
extern const double kDefaultPrivateWeight;

struct SearchOptions {
  Engine engine = Engine::kAuto;
  GraphFusion graph = GraphFusion::kPrior;
  double graph_weight = 0.05;
  int rrf_k = 60;  // the k of 1 / (k + rank)
  // BM25's term-frequency saturation and length normalization. b is below
  // the usual 0.75: a documented function should not lose to its
  // undocumented neighbours just for having a docstring (0.6 against 0.5
  // and 0.75 on bench/search's tuning halves, with body words indexed;
  // with the name coverage and whole-file BM25 below, 0.7 against 0.6,
  // 0.65 and 0.75). k1 (also the whole-file BM25's) and the coverage
  // weight together (issue 18, fourth round): k1 1.5 with coverage 0.5
  // against k1 0.9, 1.2, 1.8 and 2 and coverage 0.15-0.6; the gain is small
  // (docs/benchmarks.md) but no tuning half lost.
  double bm25_k1 = 1.5;
  double bm25_b = 0.7;
  // The lexical score times (1 - w + w * share of the query's terms the
  // document matched): 0.3 against 0.5, 0.8 and 1 with k1 1.2 (before),
  // 0.5 with k1 1.5 (above), and 0.3 again with Porter's stemmer and the
  // private-name factor (seventh round: against 0.2, 0.4 and 0.5 it was the
  // one no tuning half lost on).
  double coverage_weight = 0.3;
  // With an embedder, the query's embedding ranks the documents' stored
  // ones (search_vectors, nearest `vector_candidates`), and that rank is
  // fused with the lexical (and graph) ranking by reciprocal rank fusion,
  // weighted by vector_weight. An endpoint failure leaves the lexical
  // ranking alone.
  std::shared_ptr<Embedder> embedder;
  // The query's embedding by `embedder`, when the caller has it already
  // (search_docs embeds before it waits for a core, so an endpoint's
  // latency holds no place in line); empty: Search embeds the query.
  std::vector<float> query_vector;
  double vector_weight = 1.0;
  int vector_candidates = 100;
  // Query analysis: terms a query implies besides its own words, each
  // scored like a query term with its BM25 part times a weight, neither
  // counted in the coverage factor nor shown as matched. Joined words: two
  // adjacent plain words spelled as one ("read line" -> readline), at
  // joined_weight. Associations: for each query term, up to
  // association_terms name parts that the repository's symbols documented
  // with that word carry (learned per index generation from the stored
  // names and docstrings; "percent" -> quote), at association_weight times
  // the share of those symbols. 0 turns either off.
  double joined_weight = kDefaultJoinedWeight;
  double association_weight = kDefaultAssociationWeight;
  int association_terms = 2;
  // Signals after BM25 (rerank.h), over the lexical candidates. Name: the
  // score times 1 + name_weight * the share of the document's name parts
  // the query covers. File context: a file's score is its best symbol's
  // plus file_damping times its next two; a symbol adds
  // file_context_weight times its file's score, a module document
  // module_file_weight times it. 0 turns each off.
  double name_weight = kDefaultNameWeight;
  double file_context_weight = kDefaultFileContextWeight;
  double file_damping = kDefaultFileDamping;
  double module_file_weight = kDefaultModuleFileWeight;
  // Whole-file BM25 (each file one document: its documents' postings
  // summed), with its own b; every candidate of a file adds
  // file_lexical_weight times its file's.
  double file_lexical_weight = kDefaultFileLexicalWeight;
  double file_bm25_b = 0.75;
  // Translation (rerank.h, TermAssociations): a symbol's score times
  // 1 + translation_weight * the idf-weighted mean, over the query's terms
  // the symbol did not match, of the strongest association between the
  // term and a part of the symbol's name ("currently" -> current), learned
  // from the repository's documented symbols; a term and a part that met
  // in fewer than translation_min_pairs symbols are not associated.
  // translation_measure: AssociationMeasure's number (2: normalized PMI).
  // Off by default: it lost on the realistic harness's tuning halves
  // (docs/benchmarks.md, issue 18, fourth round).
  double translation_weight = kDefaultTranslationWeight;
  int translation_measure = 2;
  int translation_min_pairs = 3;
  // Proximity: each of the first `proximity_depth` candidates whose shown
  // text (title, signature, docstring) holds two different query terms
  // scores times 1 + proximity_weight / d, d the distance in terms between
  // the closest two (adjacent: 1), and the candidates are ordered again.
  // The depth does not follow the limit, so the first 10 of 100 results
  // are the 10 results of the same query. 0 turns it off.
  double proximity_weight = kDefaultProximityWeight;
  int proximity_depth = 20;
  // Deprecation: each of the same first `proximity_depth` candidates that
  // is deprecated (SearchResult::deprecated) scores times
  // 1 - deprecated_weight before they are ordered again: what is current
  // ranks above what it replaced. 0 turns it off.
  double deprecated_weight = kDefaultDeprecatedWeight;
  // Private names: a symbol whose own name starts with '_' (IsPrivateName;
  // not a dunder such as __init__) scores times 1 - private_weight, so of
  // a public function and the private helper it calls, both saying the
  // same, the public one ranks first. 0 turns it off.
  double private_weight = kDefaultPrivateWeight;
  // Fill SearchResult::matched_fields (the shown fields each result's
  // matched terms are in; re-tokenizes every result): docrunch query --explain.
  bool explain = false;
};

// A searchable record that is not code: a task, a completion report, a
// decision, a finding. Its title weighs more than its body.
struct Document {
  std::string key;    // unique per repository: "task:12", "decision:adr-007"
  std::string type;   // task, report, decision, finding
  std::string title;  // shown, and indexed with the higher weight
  std::string body;   // indexed; its opening is the snippet
};

// Writes to the index inside the caller's transaction. Documents and
// removals wait in the writer and are written together (at Commit, or once
// enough wait); their postings are written by Commit as one new segment: a row per term holding the
// postings of every document added since (ascending document ids as deltas, with weights, as text).
// Removing a source deletes its documents only: their postings stay in older segments, skipped by
// queries because the document row is gone (ids are never reused), until a merge drops them. Commit
// merges segments when a repository has more than kMaxSegments of them.
class SourceDocs;  // one source's waiting documents (index.cpp)

class IndexWriter {
 public:
  static constexpr std::size_t kMaxSegments = 8;
  // What the sync worker's batches leave while a backlog drains (the index
  // target merges down to kMaxSegments when the drain ends): merging down to
  // 8 after every batch of 200 rewrote each posting about 4 times over
  // 100,000 events, most of the index's time on PostgreSQL. A query reads a
  // term's rows of all segments in one index range, so more segments cost
  // it a row each, not a seek.
  static constexpr std::size_t kMaxSegmentsDraining = 32;

  // `threads`: how many threads IndexFiles may tokenize on (0: one per
  // hardware thread); configured as scanning.parallel_workers.
  IndexWriter(store::Tx& tx, std::int64_t repository_id, int threads = 0);
  ~IndexWriter();
  IndexWriter(const IndexWriter&) = delete;
  IndexWriter& operator=(const IndexWriter&) = delete;

  // Replaces the documents of one file with those for `parsed` (a module
  // document and one per symbol).
  Result<void> IndexFile(const std::string& path, const scan::ParsedFile& parsed);
  // IndexFile for each, in order; many files are tokenized on several
  // threads. `parsed` must outlive the call.
  struct FileToIndex {
    std::string path;
    const scan::ParsedFile* parsed = nullptr;
  };
  Result<void> IndexFiles(const std::vector<FileToIndex>& files);
  // The threads IndexFiles tokenizes `files` files on, given `threads` as
  // configured: never more than asked, and one per 64 files at most.
  static unsigned TokenizingThreads(int threads, std::size_t files);
  // Replaces the documents owned by `source_key` ("task:12") with `docs`.
  Result<void> IndexDocuments(const std::string& source_key, const std::vector<Document>& docs);
  // Removes every document `source_key` owned ("file:" + path for a file).
  Result<void> RemoveSource(const std::string& source_key);
  // The graph scores UpdateGraphScores just computed in this transaction
  // (by document key): new documents take theirs from here instead of
  // reading search_graph back.
  void UseGraphScores(std::unordered_map<std::string, double> scores);

  // Writes what waits: removals, documents, and the collected postings as a
  // segment (none when there are no postings); then merges if there are
  // more than `max_segments`. The writer can go on collecting after it.
  // Nothing waiting is written if Commit is not called.
  Result<void> Commit(std::size_t max_segments = kMaxSegments);

 private:
  struct Pending;
  Result<void> Queue(const std::string& source_key, SourceDocs docs);
  Result<void> Flush();

  store::Tx& tx_;
  std::int64_t repository_id_;
  int threads_;
  std::unique_ptr<Pending> pending_;
};

// With more than `max_segments` segments, merges the smallest into one
// until `max_segments` are left, dropping the postings of documents that no
// longer exist; `force` merges every segment (a single one too, to purge
// it). Segments another transaction is merging are left alone (PostgreSQL:
// SKIP LOCKED).
Result<void> MergeSegments(store::Tx& tx, std::int64_t repository_id, bool force = false,
                           std::size_t max_segments = IndexWriter::kMaxSegments);

// Drops the repository's whole index: documents, segments, vectors.
Result<void> ClearIndex(store::Tx& tx, std::int64_t repository_id);

// IndexWriter's operations one at a time, each committed as its own
// segment.
//
// Replaces the documents of one file with those for `parsed` (a module
// document and one per symbol), inside the caller's transaction.
Result<void> IndexFile(store::Tx& tx, std::int64_t repository_id, const std::string& path,
                       const scan::ParsedFile& parsed);

// Removes every document a file owned.
Result<void> RemoveFile(store::Tx& tx, std::int64_t repository_id, const std::string& path);

// Replaces the documents owned by `source_key` ("task:12") with `docs`.
Result<void> IndexDocuments(store::Tx& tx, std::int64_t repository_id,
                            const std::string& source_key, const std::vector<Document>& docs);

// Removes every document `source_key` owned.
Result<void> RemoveSource(store::Tx& tx, std::int64_t repository_id, const std::string& source_key);

// Where one Search spent its time, for query traces (traces.h): stages in
// the order they ran, in milliseconds of the steady clock, among
// "index_check" (is the index usable), "index_lookup" (postings and
// candidate documents), "ranking" (BM25, graph and fusion), "vectors" (the
// embeddings' nearest neighbours), "fetch" (the results' documents) and
// "fulltext" (the database's full-text search); and which engine answered
// ("index" or "fulltext"; "" when nothing ran).
struct SearchTimings {
  std::vector<std::pair<std::string, double>> stages;
  std::string engine;
  void Add(const std::string& stage, double ms);
};

// Up to `limit` results, best first. An empty or stop-word-only query
// gives no results. `timings`, when given, receives where the time went.
Result<std::vector<SearchResult>> Search(store::Reader& db, std::int64_t repository_id,
                                         const std::string& query, int limit, Scope scope,
                                         const SearchOptions& options = {},
                                         SearchTimings* timings = nullptr);

// The folders of the repository's deprecated packages (scan::PackageFolder
// of each deprecated `__init__.py` module document), through the partial
// index search_docs_deprecated_modules: a symbol is deprecated when it is
// marked, its module is, or one of these folders holds it
// (scan::UnderAnyFolder). Search keeps them per index generation.
// `from_files`: read from the scanned files instead (the full-text
// fallback's, which answers when the index may be what is behind; without
// an index of its own, it reads every file row of the repository).
Result<std::vector<std::string>> DeprecatedFolders(store::Reader& db, std::int64_t repository_id,
                                                   bool from_files = false);

// Why the index cannot answer for the repository now, or "" when it can:
// its tables cannot be read, it is empty while files, tasks or decisions
// exist, or it is behind (index events not yet applied, or pending,
// failed or dead-lettered for the index target in storage_sync).
Result<std::string> IndexUnavailable(store::Reader& db, std::int64_t repository_id);

// The database's full-text search (store::Reader::FullTextSearch) shaped
// as SearchResults like the index's (same ids, types, titles), engine
// "fulltext".
Result<std::vector<SearchResult>> FullTextSearch(store::Reader& db, std::int64_t repository_id,
                                                 const std::string& query, int limit, Scope scope);

// PageRank over the repository's imports, calls, inherits, implements and
// uses relationships (every file and symbol a node, scaled so the mean
// node scores 1), stored in search_graph by document key and copied into
// search_docs.graph_score. Deterministic: the same relationships give the
// same scores on every backend.
// `computed`, when given, also receives every score by document key.
Result<void> UpdateGraphScores(store::Tx& tx, std::int64_t repository_id,
                               std::unordered_map<std::string, double>* computed = nullptr);

// Embeds (title and content of) every document of the repository without a
// vector from `embedder`'s model, in batches, and stores the vectors;
// vectors of other models are dropped first. Errors: the endpoint's.
Result<void> EmbedMissing(store::Tx& tx, std::int64_t repository_id, Embedder& embedder);

// EmbedMissing in pieces a caller can checkpoint (the BatchEmbeddingWorkflow):
// the ids of the documents without a vector of `model`, in id order, after
// dropping the vectors of other models; then EmbedDocuments for some of
// them, which calls the endpoint outside any transaction and stores the
// vectors of the documents that still exist and still lack one (so running
// it again is harmless). Returns how many it stored.
Result<std::vector<std::int64_t>> DocumentsToEmbed(store::Tx& tx, std::int64_t repository_id,
                                                   const std::string& model);
Result<int> EmbedDocuments(store::Store& store, std::int64_t repository_id, Embedder& embedder,
                           const std::vector<std::int64_t>& ids);

// The PageRank itself: `edges` (source, target) over nodes named by
// strings, plus `nodes` that may have no edge; damping 0.85, dangling
// nodes' rank spread evenly, iterated to convergence (L1 change < 1e-10, at
// most 100 rounds). Scores sum to the number of nodes.
std::map<std::string, double> PageRank(
    const std::vector<std::pair<std::string, std::string>>& edges,
    const std::vector<std::string>& nodes = {});

}  // namespace docrunch::search
