// The knowledge base search of PRODUCT §7.
//
// Documents (modules, functions, classes, components, schemas, and later
// reports, decisions, findings, tasks) live in search_docs with postings of
// code-aware tokens in search_postings. Ranking is BM25 over field-weighted
// term frequencies (names weigh more than signatures, which weigh more than
// docstrings and paths), computed here so both backends rank identically.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scan/model.h"
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
};

enum class Scope { kDocs, kReports, kAll };

// Replaces the documents of one file with those for `parsed` (a module
// document and one per symbol), inside the caller's transaction.
Result<void> IndexFile(store::Tx& tx, std::int64_t repository_id, const std::string& path,
                       const scan::ParsedFile& parsed);

// Removes every document a file owned.
Result<void> RemoveFile(store::Tx& tx, std::int64_t repository_id, const std::string& path);

// A searchable record that is not code: a task, a completion report, a
// decision, a finding. Its title weighs more than its body.
struct Document {
  std::string key;    // unique per repository: "task:12", "decision:adr-007"
  std::string type;   // task, report, decision, finding
  std::string title;  // shown, and indexed with the higher weight
  std::string body;   // indexed; its opening is the snippet
};

// Replaces the documents owned by `source_key` ("task:12") with `docs`.
Result<void> IndexDocuments(store::Tx& tx, std::int64_t repository_id,
                            const std::string& source_key, const std::vector<Document>& docs);

// Removes every document `source_key` owned.
Result<void> RemoveSource(store::Tx& tx, std::int64_t repository_id, const std::string& source_key);

// Up to `limit` results, best first. An empty or stop-word-only query
// gives no results.
Result<std::vector<SearchResult>> Search(store::Reader& db, std::int64_t repository_id,
                                         const std::string& query, int limit, Scope scope);

}  // namespace docrunch::search
