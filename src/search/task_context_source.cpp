#include "search/task_context_source.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "search/hits.h"
#include "search/search.h"

namespace docrunch::search {
namespace {

// "ADR-007: Use SQLite" -> {"adr-007", "Use SQLite"}.
tasks::ContextDecision DecisionOf(const std::string& title, double relevance) {
  auto colon = title.find(": ");
  std::string id = title.substr(0, colon);
  for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return {id, colon == std::string::npos ? title : title.substr(colon + 2), relevance};
}

}  // namespace

Result<tasks::TaskContext> SearchContextSource::FindContext(store::Reader& db,
                                                            const tasks::Task& task) {
  auto results = Search(db, task.repository_id, task.title + "\n" + task.description,
                        static_cast<int>(limit_ * 4), Scope::kAll);
  if (!results) return results.error();
  if (results->empty()) return fallback_.FindContext(db, task);
  tasks::TaskContext context;
  // Relevance: the score over the best of the results used here (the task's
  // own document, which matches its own words best, is not one of them).
  auto used = [](const SearchResult& r) {
    return r.type == "module" || r.type == "function" || r.type == "class" ||
           r.type == "component" || r.type == "schema" || r.type == "decision" ||
           r.type == "finding";
  };
  double top = 0;
  for (const auto& r : *results) {
    if (used(r)) top = std::max(top, r.score);
  }
  if (top <= 0) top = 1;
  std::set<std::string> files;
  // A file named only through its symbols is a little less relevant than they are.
  auto add_file = [&](const std::optional<std::string>& path, double relevance) {
    if (path && context.files.size() < limit_ && files.insert(*path).second) {
      context.files.push_back(
          {*path, std::string(scan::LanguageName(scan::LanguageForPath(*path))), relevance});
    }
  };
  for (const auto& r : *results) {
    const double relevance = std::max(0.0, r.score) / top;
    if (r.type == "module") {
      add_file(r.file_path, relevance);
    } else if (r.type == "function" || r.type == "class" || r.type == "component" ||
               r.type == "schema") {
      auto& list = r.type == "schema" ? context.schemas : context.symbols;
      if (list.size() >= limit_) continue;
      std::string name = r.title.substr(r.title.rfind('.') + 1);
      list.push_back({r.type, name, r.title, r.file_path.value_or(""), r.line_number.value_or(0),
                      SignatureOf(r), SummaryOf(r), relevance});
      add_file(r.file_path, 0.8 * relevance);
    } else if (r.type == "decision" && context.decisions.size() < limit_) {
      context.decisions.push_back(DecisionOf(r.title, relevance));
    } else if (r.type == "finding" && context.findings.size() < limit_ &&
               r.id.rfind("finding:", 0) == 0) {
      context.findings.push_back({"finding-" + r.id.substr(8), r.title, SummaryOf(r), relevance});
    }
  }
  return context;
}

}  // namespace docrunch::search
