// Task context found through the knowledge-base search (PRODUCT §8
// get_task): the task's title and description are the query; modules,
// symbols, schemas and decisions among the best results become the files,
// symbols, schemas and related decisions an agent gets with the task.
// Before anything is indexed (search finds nothing) it falls back to
// matching words against the tables (tasks::KeywordContextSource).
#pragma once

#include <cstdint>

#include "tasks/task_context.h"

namespace docrunch::search {

class SearchContextSource final : public tasks::TaskContextSource {
 public:
  explicit SearchContextSource(std::size_t limit = 10) : limit_(limit), fallback_(limit) {}
  Result<tasks::TaskContext> FindContext(store::Reader& db, const tasks::Task& task) override;

 private:
  std::size_t limit_;  // per kind
  tasks::KeywordContextSource fallback_;
};

}  // namespace docrunch::search
