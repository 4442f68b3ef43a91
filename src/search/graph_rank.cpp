// The relationship-graph signal: PageRank over imports, calls and inherits.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "search/generation.h"
#include "search/search.h"
#include "store/batch.h"

namespace docrunch::search {

std::map<std::string, double> PageRank(
    const std::vector<std::pair<std::string, std::string>>& edges,
    const std::vector<std::string>& nodes) {
  // Nodes by name (sorted: the same input gives the same numbering).
  std::map<std::string, double> out;
  for (const auto& node : nodes) out.emplace(node, 0.0);
  for (const auto& [from, to] : edges) {
    out.emplace(from, 0.0);
    out.emplace(to, 0.0);
  }
  const std::size_t n = out.size();
  if (n == 0) return out;
  std::map<std::string, std::size_t> index;
  for (const auto& [name, score] : out) index.emplace(name, index.size());
  // Each distinct edge once; a node's rank is split over its out-edges.
  std::set<std::pair<std::size_t, std::size_t>> unique;
  for (const auto& [from, to] : edges) {
    if (from != to) unique.emplace(index.at(from), index.at(to));
  }
  std::vector<std::size_t> out_degree(n, 0);
  for (const auto& [from, to] : unique) ++out_degree[from];
  constexpr double kDamping = 0.85;
  std::vector<double> rank(n, 1.0 / static_cast<double>(n)), next(n);
  for (int round = 0; round < 100; ++round) {
    double dangling = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (out_degree[i] == 0) dangling += rank[i];
    }
    const double base = (1.0 - kDamping + kDamping * dangling) / static_cast<double>(n);
    std::fill(next.begin(), next.end(), base);
    for (const auto& [from, to] : unique) {
      next[to] += kDamping * rank[from] / static_cast<double>(out_degree[from]);
    }
    double change = 0;
    for (std::size_t i = 0; i < n; ++i) change += std::fabs(next[i] - rank[i]);
    rank.swap(next);
    if (change < 1e-10) break;
  }
  std::size_t i = 0;
  for (auto& [name, score] : out) score = rank[i++] * static_cast<double>(n);
  return out;
}

Result<void> UpdateGraphScores(store::Tx& tx, std::int64_t repo,
                               std::unordered_map<std::string, double>* computed) {
  auto rows = tx.Query(
      "SELECT source, target FROM relationships WHERE repository_id = $1 "
      "AND type IN ('imports', 'calls', 'inherits', 'implements', 'uses') "
      "ORDER BY source, target",
      {repo});
  if (!rows) return rows.error();
  std::vector<std::pair<std::string, std::string>> edges;
  edges.reserve(rows->size());
  for (std::size_t i = 0; i < rows->size(); ++i) {
    std::string target = rows->Text(i, "target").value_or("");
    // Unresolved targets (outside the repository) are not documents.
    if (target.empty() || target.rfind("ext:", 0) == 0) continue;
    edges.emplace_back(rows->Text(i, "source").value_or(""), std::move(target));
  }
  // Every file and symbol is a node, also those no relationship touches,
  // so they score like other unreferenced nodes rather than zero.
  std::vector<std::string> nodes;
  auto files = tx.Query("SELECT path FROM files WHERE repository_id = $1", {repo});
  if (!files) return files.error();
  for (std::size_t i = 0; i < files->size(); ++i) nodes.push_back(*files->Text(i, "path"));
  auto symbols = tx.Query(
      "SELECT f.path, s.qualified_name FROM symbols s JOIN files f ON f.id = s.file_id "
      "WHERE s.repository_id = $1",
      {repo});
  if (!symbols) return symbols.error();
  for (std::size_t i = 0; i < symbols->size(); ++i) {
    nodes.push_back(*symbols->Text(i, "path") + "#" + *symbols->Text(i, "qualified_name"));
  }
  // The documents' graph scores change below: cached corpora must go.
  DOCRUNCH_TRY(MarkIndexChanged(tx, repo));
  auto cleared = tx.Exec("DELETE FROM search_graph WHERE repository_id = $1", {repo});
  if (!cleared) return cleared.error();
  std::vector<store::Params> scores;
  for (const auto& [node, score] : PageRank(edges, nodes)) {
    // Files are nodes "path", symbols "path#Qualified.name".
    std::string key = (node.find('#') == std::string::npos ? "file:" : "symbol:") + node;
    const double rounded = std::round(score * 1e6) / 1e6;
    if (computed) (*computed)[key] = rounded;
    scores.push_back({repo, std::move(key), rounded});
  }
  DOCRUNCH_TRY(
      store::InsertRows(tx, "search_graph", {"repository_id", "doc_key", "score"}, scores));
  // Only the documents whose score changed are rewritten: those the graph
  // scores (a join, not a lookup per document), then those it no longer
  // has (score 0).
  auto copied = tx.Exec(
      "UPDATE search_docs SET graph_score = g.score FROM search_graph g "
      "WHERE search_docs.repository_id = $1 AND g.repository_id = $1 AND "
      "g.doc_key = search_docs.doc_key AND search_docs.graph_score <> g.score",
      {repo});
  if (!copied) return copied.error();
  auto zeroed = tx.Exec(
      "UPDATE search_docs SET graph_score = 0 WHERE repository_id = $1 AND graph_score <> 0 AND "
      "NOT EXISTS (SELECT 1 FROM search_graph g WHERE g.repository_id = $1 AND "
      "g.doc_key = search_docs.doc_key)",
      {repo});
  if (!zeroed) return zeroed.error();
  return Ok();
}

namespace {

constexpr std::size_t kEmbedChunk = 512;  // texts per Embed call (it batches further)

// The vectors of docs[start, end) (columns id, title, content) as rows of
// search_vectors.
Result<std::vector<store::Params>> EmbedRows(const store::Rows& docs, std::size_t start,
                                             std::size_t end, std::int64_t repo,
                                             Embedder& embedder) {
  std::vector<std::string> texts;
  for (std::size_t i = start; i < end; ++i) {
    texts.push_back(docs.Text(i, "title").value_or("") + "\n" +
                    docs.Text(i, "content").value_or(""));
  }
  auto vectors = embedder.Embed(texts);
  if (!vectors) return vectors.error();
  std::vector<store::Params> rows;
  for (std::size_t i = start; i < end; ++i) {
    rows.push_back(
        {*docs.Int(i, "id"), repo, embedder.model(), EncodeVector((*vectors)[i - start])});
  }
  return rows;
}

constexpr const char* kVectorColumns[] = {"doc_id", "repository_id", "model", "vector"};

// "($first, ..., $first+count-1)".
std::string Placeholders(std::size_t first, std::size_t count) {
  std::string out = "(";
  for (std::size_t i = 0; i < count; ++i) out += (i ? ", $" : "$") + std::to_string(first + i);
  return out + ")";
}

// Of `ids`, the documents of the repository that have no vector: id, title, content.
Result<store::Rows> Unembedded(store::Reader& db, std::int64_t repo,
                               const std::vector<std::int64_t>& ids) {
  store::Params params{repo};
  for (auto id : ids) params.push_back(id);
  return db.Query(
      "SELECT d.id, d.title, d.content FROM search_docs d WHERE d.repository_id = $1 AND d.id IN " +
          Placeholders(2, ids.size()) +
          " AND NOT EXISTS (SELECT 1 FROM search_vectors v WHERE v.doc_id = d.id) ORDER BY d.id",
      params);
}

}  // namespace

Result<void> EmbedMissing(store::Tx& tx, std::int64_t repo, Embedder& embedder) {
  auto stale = tx.Exec("DELETE FROM search_vectors WHERE repository_id = $1 AND model <> $2",
                       {repo, embedder.model()});
  if (!stale) return stale.error();
  auto docs = tx.Query(
      "SELECT d.id, d.title, d.content FROM search_docs d WHERE d.repository_id = $1 AND NOT "
      "EXISTS (SELECT 1 FROM search_vectors v WHERE v.doc_id = d.id) ORDER BY d.id",
      {repo});
  if (!docs) return docs.error();
  for (std::size_t start = 0; start < docs->size(); start += kEmbedChunk) {
    auto rows =
        EmbedRows(*docs, start, std::min(docs->size(), start + kEmbedChunk), repo, embedder);
    if (!rows) return rows.error();
    DOCRUNCH_TRY(store::InsertRows(tx, "search_vectors",
                                   {std::begin(kVectorColumns), std::end(kVectorColumns)}, *rows));
  }
  return Ok();
}

Result<std::vector<std::int64_t>> DocumentsToEmbed(store::Tx& tx, std::int64_t repo,
                                                   const std::string& model) {
  auto stale =
      tx.Exec("DELETE FROM search_vectors WHERE repository_id = $1 AND model <> $2", {repo, model});
  if (!stale) return stale.error();
  auto docs = tx.Query(
      "SELECT d.id FROM search_docs d WHERE d.repository_id = $1 AND NOT EXISTS "
      "(SELECT 1 FROM search_vectors v WHERE v.doc_id = d.id) ORDER BY d.id",
      {repo});
  if (!docs) return docs.error();
  std::vector<std::int64_t> ids;
  ids.reserve(docs->size());
  for (std::size_t i = 0; i < docs->size(); ++i) ids.push_back(*docs->Int(i, "id"));
  return ids;
}

Result<int> EmbedDocuments(store::Store& store, std::int64_t repo, Embedder& embedder,
                           const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return 0;
  auto docs = Unembedded(store, repo, ids);
  if (!docs) return docs.error();
  int stored = 0;
  for (std::size_t start = 0; start < docs->size(); start += kEmbedChunk) {
    const std::size_t end = std::min(docs->size(), start + kEmbedChunk);
    auto rows = EmbedRows(*docs, start, end, repo, embedder);  // no transaction open
    if (!rows) return rows.error();
    DOCRUNCH_TRY(store.Transact([&](store::Tx& tx) -> Result<void> {
      // Only what still needs it: a document removed meanwhile, or embedded
      // by a sync batch or an earlier attempt, is skipped.
      std::vector<std::int64_t> chunk;
      for (std::size_t i = start; i < end; ++i) chunk.push_back(*docs->Int(i, "id"));
      auto still = Unembedded(tx, repo, chunk);
      if (!still) return still.error();
      std::set<std::int64_t> wanted;
      for (std::size_t i = 0; i < still->size(); ++i) wanted.insert(*still->Int(i, "id"));
      std::vector<store::Params> keep;
      for (auto& row : *rows) {
        if (wanted.count(std::get<std::int64_t>(row[0]))) keep.push_back(std::move(row));
      }
      stored += static_cast<int>(keep.size());
      return store::InsertRows(tx, "search_vectors",
                               {std::begin(kVectorColumns), std::end(kVectorColumns)}, keep);
    }));
  }
  return stored;
}

}  // namespace docrunch::search
