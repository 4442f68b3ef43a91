#include "tasks/task_context.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "tasks/records.h"

namespace docrunch::tasks {
namespace {

const std::set<std::string>& StopWords() {
  static const std::set<std::string> words{
      "the",  "and",  "for",  "with", "that", "this", "from", "into", "when",   "then",  "than",
      "are",  "was",  "were", "not",  "but",  "all",  "any",  "can",  "should", "must",  "will",
      "add",  "fix",  "make", "use",  "new",  "its",  "has",  "have", "out",    "our",   "your",
      "task", "also", "each", "only", "more", "some", "such", "them", "they",   "which", "what"};
  return words;
}

// "%word%" for LIKE, with LIKE's wildcards in the word escaped.
std::string LikePattern(const std::string& word) {
  std::string out = "%";
  for (char c : word) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + "%";
}

// One OR-ed LIKE condition per word over `column`, parameters from $first.
std::string AnyWordMatches(const std::string& column, std::size_t words, std::size_t first) {
  std::string sql = "(";
  for (std::size_t i = 0; i < words; ++i) {
    if (i) sql += " OR ";
    sql += "lower(" + column + ") LIKE $" + std::to_string(first + i) + " ESCAPE '\\'";
  }
  return sql + ")";
}

// The share of `words` that `text` holds (lower-cased): the keyword
// fallback's relevance, below 1 so that it never outranks a search.
double WordShare(std::string text, const std::vector<std::string>& words) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double found = 0;
  for (const auto& w : words) found += text.find(w) != std::string::npos ? 1 : 0;
  return 0.9 * found / static_cast<double>(std::max<std::size_t>(words.size(), 1));
}

// A docstring's first line, at most 160 bytes.
std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  return line.size() <= 160 ? line : line.substr(0, 160);
}

}  // namespace

std::vector<std::string> ContextWords(const std::string& text, std::size_t max_words) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::string word;
  auto flush = [&] {
    if (word.size() >= 3 && !StopWords().count(word) && seen.insert(word).second &&
        out.size() < max_words) {
      out.push_back(word);
    }
    word.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    bool boundary =
        std::isupper(c) && i > 0 && std::islower(static_cast<unsigned char>(text[i - 1]));
    if (boundary) flush();
    if (std::isalnum(c)) {
      word += static_cast<char>(std::tolower(c));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

Result<TaskContext> KeywordContextSource::FindContext(store::Reader& db, const Task& task) {
  TaskContext context;
  std::vector<std::string> words = ContextWords(task.title + " " + task.description);
  if (words.empty()) return context;
  store::Params params{task.repository_id};
  for (const auto& w : words) params.push_back(LikePattern(w));
  std::string limit = " LIMIT " + std::to_string(limit_);

  auto files = db.Query("SELECT path, language FROM files WHERE repository_id = $1 AND " +
                            AnyWordMatches("path", words.size(), 2) + " ORDER BY path" + limit,
                        params);
  if (!files) return files.error();
  for (std::size_t i = 0; i < files->size(); ++i) {
    std::string path = files->Text(i, "path").value_or("");
    double relevance = WordShare(path, words);
    context.files.push_back({std::move(path), files->Text(i, "language").value_or(""), relevance});
  }

  for (bool schemas : {false, true}) {
    auto symbols = db.Query(
        "SELECT s.kind, s.name, s.qualified_name, f.path, s.start_line, s.signature, s.docstring "
        "FROM symbols s "
        "JOIN files f ON f.id = s.file_id WHERE s.repository_id = $1 AND s.kind " +
            std::string(schemas ? "=" : "<>") + " 'schema' AND " +
            AnyWordMatches("s.name", words.size(), 2) + " ORDER BY s.name, f.path" + limit,
        params);
    if (!symbols) return symbols.error();
    for (std::size_t i = 0; i < symbols->size(); ++i) {
      ContextSymbol s{symbols->Text(i, "kind").value_or(""),
                      symbols->Text(i, "name").value_or(""),
                      symbols->Text(i, "qualified_name").value_or(""),
                      symbols->Text(i, "path").value_or(""),
                      static_cast<int>(symbols->Int(i, "start_line").value_or(0)),
                      symbols->Text(i, "signature").value_or(""),
                      FirstLine(symbols->Text(i, "docstring").value_or(""))};
      s.relevance = WordShare(s.qualified_name, words);
      (schemas ? context.schemas : context.symbols).push_back(std::move(s));
    }
  }

  auto decisions =
      db.Query("SELECT number, title FROM decisions WHERE repository_id = $1 AND " +
                   AnyWordMatches("title", words.size(), 2) + " ORDER BY number" + limit,
               params);
  if (!decisions) return decisions.error();
  for (std::size_t i = 0; i < decisions->size(); ++i) {
    std::string title = decisions->Text(i, "title").value_or("");
    double relevance = WordShare(title, words);
    context.decisions.push_back(
        {DecisionIdText(static_cast<int>(decisions->Int(i, "number").value_or(0))),
         std::move(title), relevance});
  }
  return context;
}

}  // namespace docrunch::tasks
