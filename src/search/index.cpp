// Writing search documents and their postings.
#include <algorithm>
#include <map>

#include "search/search.h"
#include "search/tokenizer.h"
#include "store/batch.h"

namespace docrunch::search {
namespace {

struct Field {
  std::string_view text;
  double weight;
};

// Field weights: a match in a name is worth more than one in a body.
constexpr double kNameWeight = 3.0;
constexpr double kQualifiedWeight = 1.5;
constexpr double kSignatureWeight = 1.0;
constexpr double kDocWeight = 1.0;
constexpr double kPathWeight = 0.5;
// Only a docstring's opening (its summary) is indexed, so long docstrings do
// not drown the names they describe.
constexpr std::size_t kDocChars = 400;

std::string Snippet(const std::string& text, std::size_t max = 300) {
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;  // UTF-8 boundary
  return text.substr(0, cut) + "…";
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

// Collects a file's documents, then writes them and their postings in a
// few multi-row statements.
class DocBatch {
 public:
  DocBatch(store::Tx& tx, std::int64_t repo, std::string source_key)
      : tx_(tx), repo_(repo), source_key_(std::move(source_key)) {}

  void Add(std::string key, const std::string& type, const std::string& title,
           const std::string& content, const std::string& path, int line,
           const std::vector<Field>& fields) {
    // A name defined twice in one file (a redefinition, a property setter)
    // gets a key of its own; a third on the same line (minified code, where
    // everything is line 1) a counter on top.
    if (terms_.count(key)) {
      const std::string at_line = key + "@" + std::to_string(line);
      key = at_line;
      for (int n = 2; terms_.count(key); ++n) key = at_line + "." + std::to_string(n);
    }
    std::map<std::string, double>& weights = terms_[key];
    std::int64_t length = 0;
    for (const auto& field : fields) {
      for (auto& token : CodeTokens(field.text)) {
        weights[token] += field.weight;
        ++length;
      }
    }
    docs_.push_back({repo_, key, source_key_, type, title, Snippet(content),
                     path.empty() ? store::Value(std::monostate{}) : store::Value(path),
                     line > 0 ? store::Value(std::int64_t{line}) : store::Value(std::monostate{}),
                     std::max<std::int64_t>(length, 1)});
  }

  // `graph_scores`: give each document the score UpdateGraphScores last
  // computed for its key (files and symbols are graph nodes; reports are not).
  Result<void> Flush(bool graph_scores) {
    std::vector<std::string> columns{"repository_id", "doc_key",   "source_key",  "type",  "title",
                                     "content",       "file_path", "line_number", "length"};
    if (graph_scores) {
      auto scores = GraphScores();
      if (!scores) return scores.error();
      columns.push_back("graph_score");
      for (auto& row : docs_) {
        auto it = scores->find(std::get<std::string>(row[1]));
        row.emplace_back(it == scores->end() ? 0.0 : it->second);
      }
    }
    auto ids = store::InsertRowsReturning(tx_, "search_docs", columns, docs_, "id, doc_key");
    if (!ids) return ids.error();
    std::vector<store::Params> postings;
    for (std::size_t i = 0; i < ids->size(); ++i) {
      std::int64_t id = *ids->Int(i, "id");
      for (const auto& [term, weight] : terms_[*ids->Text(i, "doc_key")]) {
        postings.push_back({repo_, term, id, weight});
      }
    }
    return store::InsertRows(tx_, "search_postings", {"repository_id", "term", "doc_id", "weight"},
                             postings);
  }

  Result<std::map<std::string, double>> GraphScores() {
    std::map<std::string, double> out;
    constexpr std::size_t kKeysPerQuery = 500;
    for (std::size_t at = 0; at < docs_.size(); at += kKeysPerQuery) {
      const std::size_t end = std::min(docs_.size(), at + kKeysPerQuery);
      store::Params params{repo_};
      std::string sql =
          "SELECT doc_key, score FROM search_graph WHERE repository_id = $1 AND doc_key IN (";
      for (std::size_t i = at; i < end; ++i) {
        params.push_back(docs_[i][1]);
        sql += (i == at ? "$" : ", $") + std::to_string(params.size());
      }
      auto rows = tx_.Query(sql + ")", params);
      if (!rows) return rows.error();
      for (std::size_t i = 0; i < rows->size(); ++i) {
        out[*rows->Text(i, "doc_key")] = rows->Real(i, "score").value_or(0);
      }
    }
    return out;
  }

 private:
  store::Tx& tx_;
  std::int64_t repo_;
  std::string source_key_;
  std::vector<store::Params> docs_;
  std::map<std::string, std::map<std::string, double>> terms_;  // doc_key -> term -> weight
};

}  // namespace

Result<void> RemoveFile(store::Tx& tx, std::int64_t repo, const std::string& path) {
  return RemoveSource(tx, repo, "file:" + path);
}

Result<void> RemoveSource(store::Tx& tx, std::int64_t repo, const std::string& source) {
  // The ids first, then their postings by id: with the subquery inline,
  // PostgreSQL's generic plan could scan every posting per source (seconds
  // per call under the crash test's 10,000 events).
  auto ids = tx.Query("SELECT id FROM search_docs WHERE repository_id = $1 AND source_key = $2",
                      {repo, source});
  if (!ids) return ids.error();
  constexpr std::size_t kIdsPerStatement = 500;
  for (std::size_t at = 0; at < ids->size(); at += kIdsPerStatement) {
    const std::size_t end = std::min(ids->size(), at + kIdsPerStatement);
    store::Params params;
    std::string sql = "DELETE FROM search_postings WHERE doc_id IN (";
    for (std::size_t i = at; i < end; ++i) {
      params.emplace_back(*ids->Int(i, "id"));
      sql += (i == at ? "$" : ", $") + std::to_string(params.size());
    }
    auto postings = tx.Exec(sql + ")", params);
    if (!postings) return postings.error();
  }
  auto docs = tx.Exec("DELETE FROM search_docs WHERE repository_id = $1 AND source_key = $2",
                      {repo, source});
  if (!docs) return docs.error();
  return Ok();
}

Result<void> IndexFile(store::Tx& tx, std::int64_t repo, const std::string& path,
                       const scan::ParsedFile& parsed) {
  DOCRUNCH_TRY(RemoveFile(tx, repo, path));
  DocBatch batch(tx, repo, "file:" + path);
  std::string names;
  for (const auto& s : parsed.symbols) {
    if (s.qualified_name.find('.') == std::string::npos) names += s.name + " ";
  }
  batch.Add("file:" + path, "module", path,
            std::string(scan::LanguageName(parsed.language)) + " module " + path +
                (names.empty() ? "" : "; defines " + names),
            path, 0, {{path, kNameWeight}, {names, kPathWeight}});
  for (const auto& s : parsed.symbols) {
    std::string content = s.signature;
    if (!s.docstring.empty()) content += (content.empty() ? "" : "\n") + s.docstring;
    batch.Add("symbol:" + path + "#" + s.qualified_name, DocType(s.kind), s.qualified_name, content,
              path, s.start_line,
              {{s.name, kNameWeight},
               {s.qualified_name, kQualifiedWeight},
               {s.signature, kSignatureWeight},
               {s.docstring, kDocWeight},
               {path, kPathWeight}});
  }
  // The graph score last computed (UpdateGraphScores), until the next.
  return batch.Flush(/*graph_scores=*/true);
}

Result<void> IndexDocuments(store::Tx& tx, std::int64_t repo, const std::string& source_key,
                            const std::vector<Document>& docs) {
  DOCRUNCH_TRY(RemoveSource(tx, repo, source_key));
  if (docs.empty()) return Ok();
  DocBatch batch(tx, repo, source_key);
  for (const auto& d : docs) {
    batch.Add(d.key, d.type, d.title, d.body, "", 0,
              {{d.title, kQualifiedWeight}, {d.body.substr(0, kDocChars * 4), kDocWeight}});
  }
  return batch.Flush(/*graph_scores=*/false);
}

}  // namespace docrunch::search
