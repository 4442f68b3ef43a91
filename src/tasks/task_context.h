// The context an agent gets with a task (PRODUCT §8 get_task): relevant
// files, symbols, schemas and related decisions, found by search.
//
// TaskContextSource is the seam: the search engine implements it
// (search::SearchContextSource); KeywordContextSource, its fallback for an
// empty index, matches the words of the
// task's title and description against file paths, symbol names and
// decision titles in the source-of-truth tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"
#include "tasks/task.h"

namespace docrunch::tasks {

// `relevance` (0..1) is how well an item matches the task's title and
// description, comparable across kinds within one context: the search
// score over the best score, or lower for the keyword fallback's matches.
struct ContextFile {
  std::string path;
  std::string language;
  double relevance = 0;
};

struct ContextSymbol {
  std::string kind;  // function, class, component, schema, ...
  std::string name;
  std::string qualified_name;
  std::string file_path;
  int line = 0;
  std::string signature;  // one line, may be ""
  std::string summary;    // the docstring's first sentence, may be ""
  double relevance = 0;
};

struct ContextDecision {
  std::string id;  // adr-007
  std::string title;
  double relevance = 0;
};

struct ContextFinding {
  std::string id;  // finding-3
  std::string title;
  std::string description;  // its opening
  double relevance = 0;
};

struct TaskContext {
  std::vector<ContextFile> files;
  std::vector<ContextSymbol> symbols;  // functions, classes, components
  std::vector<ContextSymbol> schemas;  // kind "schema"
  std::vector<ContextDecision> decisions;
  std::vector<ContextFinding> findings;  // of any task, the task's own included
};

class TaskContextSource {
 public:
  virtual ~TaskContextSource() = default;
  // Context for `task`, read through `db`. An empty context is fine; an
  // error is a storage failure.
  virtual Result<TaskContext> FindContext(store::Reader& db, const Task& task) = 0;
};

// Splits text into lower-case search words: camelCase and snake_case are
// split, words shorter than 3 letters and common English words dropped,
// duplicates removed; at most `max_words`, in order of first appearance.
std::vector<std::string> ContextWords(const std::string& text, std::size_t max_words = 12);

class KeywordContextSource final : public TaskContextSource {
 public:
  explicit KeywordContextSource(std::size_t limit = 10) : limit_(limit) {}
  Result<TaskContext> FindContext(store::Reader& db, const Task& task) override;

 private:
  std::size_t limit_;  // per kind
};

}  // namespace docrunch::tasks
