// The fallback engine: the database's own full-text search over the source
// rows (store::Reader::FullTextSearch), shaped like the index's results.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "core/text.h"
#include "scan/model.h"
#include "search/search.h"
#include "search/tokenizer.h"
#include "store/batch.h"

namespace docrunch::search {
namespace {

using store::FullTextTable;

std::string Snippet(std::string_view text) {
  return CutWithEllipsis(text, 300);
}

std::string Join(const std::string& a, const std::string& b) {
  return a.empty() ? b : b.empty() ? a : a + "\n" + b;
}

std::string SymbolType(const std::string& kind) {
  if (kind == "class" || kind == "component" || kind == "schema") return kind;
  return "function";
}

// The id the index gives the symbol (IndexWriter: a name defined again in
// its file, as a property setter is, gets "@line", a third on that line
// ".n" on top), so both engines name one symbol alike. Symbols are stored
// in the order the index saw them: the earlier rows decide.
Result<std::string> SymbolKey(store::Reader& db, std::int64_t id, std::int64_t file_id,
                              const std::string& path, const std::string& qualified,
                              std::int64_t line) {
  const std::string key = "symbol:" + path + "#" + qualified;
  auto earlier = db.Query(
      "SELECT start_line FROM symbols WHERE file_id = $1 AND qualified_name = $2 AND id < $3 "
      "ORDER BY id",
      {file_id, qualified, id});
  if (!earlier) return earlier.error();
  if (earlier->empty()) return key;
  int same_line = 0;
  for (std::size_t i = 1; i < earlier->size(); ++i) {  // the first took the plain key
    if (earlier->Int(i, "start_line").value_or(0) == line) ++same_line;
  }
  const std::string at_line = key + "@" + std::to_string(line);
  return same_line == 0 ? at_line : at_line + "." + std::to_string(same_line + 1);
}

// Reads the rows of one table behind `ids` into results keyed by row id.
Result<void> Load(store::Reader& db, FullTextTable table, const std::vector<std::int64_t>& ids,
                  std::map<std::int64_t, SearchResult>& out) {
  store::Params params;
  std::string list = store::AppendInList(params, ids.begin(), ids.end());
  switch (table) {
    case FullTextTable::kSymbol: {
      auto rows = db.Query(
          "SELECT s.id, s.file_id, s.kind, s.qualified_name, s.start_line, s.signature, "
          "s.docstring, s.deprecated, f.deprecated AS file_deprecated, f.path "
          "FROM symbols s JOIN files f ON f.id = s.file_id "
          "WHERE s.id IN (" +
              list + ")",
          params);
      if (!rows) return rows.error();
      for (std::size_t i = 0; i < rows->size(); ++i) {
        SearchResult& r = out[*rows->Int(i, "id")];
        std::string path = rows->Text(i, "path").value_or("");
        r.title = rows->Text(i, "qualified_name").value_or("");
        auto id = SymbolKey(db, *rows->Int(i, "id"), *rows->Int(i, "file_id"), path, r.title,
                            rows->Int(i, "start_line").value_or(0));
        if (!id) return id.error();
        r.id = *id;
        r.type = SymbolType(rows->Text(i, "kind").value_or(""));
        r.content = Snippet(
            Join(rows->Text(i, "signature").value_or(""), rows->Text(i, "docstring").value_or("")));
        r.file_path = path;
        r.line_number = static_cast<int>(rows->Int(i, "start_line").value_or(0));
        // Its own mark or its module's (the scan marks the file, the index
        // copies it to the file's symbols).
        r.deprecated = rows->Int(i, "deprecated").value_or(0) != 0 ||
                       rows->Int(i, "file_deprecated").value_or(0) != 0;
      }
      return Ok();
    }
    case FullTextTable::kFile: {
      auto rows = db.Query(
          "SELECT id, path, language, deprecated FROM files WHERE id IN (" + list + ")", params);
      if (!rows) return rows.error();
      for (std::size_t i = 0; i < rows->size(); ++i) {
        SearchResult& r = out[*rows->Int(i, "id")];
        std::string path = rows->Text(i, "path").value_or("");
        r.id = "file:" + path;
        r.type = "module";
        r.title = path;
        r.content = rows->Text(i, "language").value_or("") + " module " + path;
        r.file_path = path;
        r.deprecated = rows->Int(i, "deprecated").value_or(0) != 0;
      }
      return Ok();
    }
    case FullTextTable::kTask: {
      auto rows =
          db.Query("SELECT id, title, description FROM tasks WHERE id IN (" + list + ")", params);
      if (!rows) return rows.error();
      for (std::size_t i = 0; i < rows->size(); ++i) {
        std::int64_t id = *rows->Int(i, "id");
        SearchResult& r = out[id];
        std::string task = "task-" + std::to_string(id);
        r.id = "task:" + task;
        r.type = "task";
        r.title = task + ": " + rows->Text(i, "title").value_or("");
        r.content = Snippet(rows->Text(i, "description").value_or(""));
      }
      return Ok();
    }
    case FullTextTable::kCompletionReport: {
      auto rows = db.Query(
          "SELECT id, task_id, summary FROM completion_reports WHERE id IN (" + list + ")", params);
      if (!rows) return rows.error();
      for (std::size_t i = 0; i < rows->size(); ++i) {
        std::int64_t id = *rows->Int(i, "id");
        SearchResult& r = out[id];
        r.id = "report:" + std::to_string(id);
        r.type = "report";
        r.title = "Completion of task-" + std::to_string(rows->Int(i, "task_id").value_or(0));
        r.content = Snippet(rows->Text(i, "summary").value_or(""));
      }
      return Ok();
    }
    case FullTextTable::kFinding: {
      auto rows = db.Query("SELECT id, title, description FROM findings WHERE id IN (" + list + ")",
                           params);
      if (!rows) return rows.error();
      for (std::size_t i = 0; i < rows->size(); ++i) {
        std::int64_t id = *rows->Int(i, "id");
        SearchResult& r = out[id];
        r.id = "finding:" + std::to_string(id);
        r.type = "finding";
        r.title = rows->Text(i, "title").value_or("");
        r.content = Snippet(rows->Text(i, "description").value_or(""));
      }
      return Ok();
    }
    case FullTextTable::kDecision: {
      auto rows = db.Query(
          "SELECT id, number, title, context, decision, rationale, consequences FROM decisions "
          "WHERE id IN (" +
              list + ")",
          params);
      if (!rows) return rows.error();
      for (std::size_t i = 0; i < rows->size(); ++i) {
        std::int64_t id = *rows->Int(i, "id");
        SearchResult& r = out[id];
        char number[16];
        std::snprintf(number, sizeof number, "ADR-%03lld",
                      static_cast<long long>(rows->Int(i, "number").value_or(0)));
        r.id = "decision:decision-" + std::to_string(id);
        r.type = "decision";
        r.title = std::string(number) + ": " + rows->Text(i, "title").value_or("");
        r.content = Snippet(Join(
            Join(rows->Text(i, "decision").value_or(""), rows->Text(i, "context").value_or("")),
            Join(rows->Text(i, "rationale").value_or(""),
                 rows->Text(i, "consequences").value_or(""))));
      }
      return Ok();
    }
  }
  return Ok();
}

// The camelCase words of the query, lower-cased and whole ("userservice"):
// words the code-aware tokenizer splits and the databases' do not.
std::vector<std::string> WholeIdentifiers(const std::string& query) {
  std::vector<std::string> out;
  std::size_t i = 0;
  auto word_char = [](unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; };
  while (i < query.size()) {
    while (i < query.size() && !word_char(static_cast<unsigned char>(query[i]))) ++i;
    std::size_t start = i;
    while (i < query.size() && word_char(static_cast<unsigned char>(query[i]))) ++i;
    std::string word = query.substr(start, i - start);
    if (word.empty() || word.find('_') != std::string::npos) continue;
    if (CodeTokens(word).size() > 1) {
      for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.push_back(word);
    }
  }
  return out;
}

}  // namespace

Result<std::vector<SearchResult>> FullTextSearch(store::Reader& db, std::int64_t repo,
                                                 const std::string& query, int limit, Scope scope) {
  std::vector<std::string> terms;
  // Identifiers split into their words match the words FTS5 and tsvector
  // index; the joined form ("parsehttprequest") still matches an
  // unsplit camelCase name.
  for (auto& token : CodeTokens(query)) {
    if (token.find('_') == std::string::npos) terms.push_back(std::move(token));
  }
  if (terms.empty() || limit <= 0) return std::vector<SearchResult>{};
  std::vector<int> tables;
  if (scope == Scope::kDocs) {
    tables = {static_cast<int>(FullTextTable::kSymbol), static_cast<int>(FullTextTable::kFile)};
  } else if (scope == Scope::kReports) {
    tables = {
        static_cast<int>(FullTextTable::kTask), static_cast<int>(FullTextTable::kCompletionReport),
        static_cast<int>(FullTextTable::kFinding), static_cast<int>(FullTextTable::kDecision)};
  }
  // The database's tokenizers keep "UserService" whole, so a query naming
  // it matches its one word there while its parts ("service") match short
  // paths better: documents matching such whole identifiers come first.
  std::vector<std::string> whole = WholeIdentifiers(query);
  std::vector<std::pair<std::int64_t, double>> hits;  // key, rank
  std::set<std::int64_t> seen;
  for (int pass = whole.empty() ? 1 : 0; pass < 2; ++pass) {
    auto rows = db.FullTextSearch(repo, pass == 0 ? whole : terms, tables, limit);
    if (!rows) return rows.error();
    if (pass == 1 && !hits.empty() && !rows->empty()) {
      double top = rows->Real(0, "rank").value_or(0);  // stay above the best other hit
      for (auto& hit : hits) hit.second += top;
    }
    for (std::size_t i = 0; i < rows->size(); ++i) {
      std::int64_t key = *rows->Int(i, "key");
      if (seen.insert(key).second) hits.emplace_back(key, rows->Real(i, "rank").value_or(0));
    }
  }
  if (hits.size() > static_cast<std::size_t>(limit)) hits.resize(static_cast<std::size_t>(limit));
  std::map<int, std::vector<std::int64_t>> ids_by_table;
  for (const auto& [key, rank] : hits) ids_by_table[static_cast<int>(key % 8)].push_back(key / 8);
  std::map<int, std::map<std::int64_t, SearchResult>> loaded;
  for (const auto& [table, ids] : ids_by_table) {
    DOCRUNCH_TRY(Load(db, static_cast<FullTextTable>(table), ids, loaded[table]));
  }
  std::vector<SearchResult> results;
  for (const auto& [key, rank] : hits) {
    auto& rows = loaded[static_cast<int>(key % 8)];
    auto it = rows.find(key / 8);
    if (it == rows.end() || it->second.id.empty()) continue;  // deleted since
    SearchResult r = it->second;
    r.score = std::round(rank * 1000) / 1000;
    r.engine = "fulltext";
    results.push_back(std::move(r));
  }
  // Deprecated as the index says it (search.h): the row's own mark, or an
  // enclosing package's (a deprecated __init__.py), read from the files
  // themselves, since the index may be what is behind.
  const bool any_code = std::any_of(results.begin(), results.end(), [](const SearchResult& r) {
    return r.file_path && !r.deprecated;
  });
  if (any_code) {
    auto folders = DeprecatedFolders(db, repo, /*from_files=*/true);
    if (!folders) return folders.error();
    for (auto& r : results) {
      if (r.file_path && !folders->empty() && scan::UnderAnyFolder(*r.file_path, *folders))
        r.deprecated = true;
    }
  }
  return results;
}

}  // namespace docrunch::search
