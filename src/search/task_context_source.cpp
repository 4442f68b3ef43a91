#include "search/task_context_source.h"

#include <cctype>
#include <set>

#include "search/search.h"

namespace docrunch::search {
namespace {

// "ADR-007: Use SQLite" -> {"adr-007", "Use SQLite"}.
tasks::ContextDecision DecisionOf(const std::string& title) {
  auto colon = title.find(": ");
  std::string id = title.substr(0, colon);
  for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return {id, colon == std::string::npos ? title : title.substr(colon + 2)};
}

}  // namespace

Result<tasks::TaskContext> SearchContextSource::FindContext(store::Reader& db,
                                                            const tasks::Task& task) {
  auto results = Search(db, task.repository_id, task.title + "\n" + task.description,
                        static_cast<int>(limit_ * 4), Scope::kAll);
  if (!results) return results.error();
  if (results->empty()) return fallback_.FindContext(db, task);
  tasks::TaskContext context;
  std::set<std::string> files;
  auto add_file = [&](const std::optional<std::string>& path) {
    if (path && context.files.size() < limit_ && files.insert(*path).second) {
      context.files.push_back(
          {*path, std::string(scan::LanguageName(scan::LanguageForPath(*path)))});
    }
  };
  for (const auto& r : *results) {
    if (r.type == "module") {
      add_file(r.file_path);
    } else if (r.type == "function" || r.type == "class" || r.type == "component" ||
               r.type == "schema") {
      auto& list = r.type == "schema" ? context.schemas : context.symbols;
      if (list.size() >= limit_) continue;
      std::string name = r.title.substr(r.title.rfind('.') + 1);
      list.push_back({r.type, name, r.title, r.file_path.value_or(""), r.line_number.value_or(0)});
      add_file(r.file_path);
    } else if (r.type == "decision" && context.decisions.size() < limit_) {
      context.decisions.push_back(DecisionOf(r.title));
    }
  }
  return context;
}

}  // namespace docrunch::search
