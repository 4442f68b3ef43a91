// The task service as commands open it (task, serve): the store, the
// project's repository row, the docs folder and a TaskService with the
// configured rules and limits.
#pragma once

#include <filesystem>
#include <memory>

#include "app/context.h"
#include "tasks/task_context.h"
#include "tasks/task_service.h"

namespace docrunch::app {

struct TaskEnv {
  store::Store* store = nullptr;
  std::int64_t repository_id = 0;
  std::filesystem::path docs_root;
  std::filesystem::path repository_root;   // the project's folder, canonical
  const config::Config* config = nullptr;  // owned by the AppContext
  std::string project_name;
  std::unique_ptr<tasks::TaskContextSource> context;
  std::unique_ptr<tasks::TaskService> service;
};

Result<TaskEnv> OpenTasks(AppContext& ctx);

}  // namespace docrunch::app
