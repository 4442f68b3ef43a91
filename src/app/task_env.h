// The task service as commands open it (task, serve): the store, the
// project's repository row, the docs folder and a TaskService with the
// configured rules and limits.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/context.h"
#include "tasks/task_context.h"
#include "tasks/task_service.h"

namespace docrunch::app {

// The automatic snapshot of the project at `trigger` ("scan",
// "task_completion", "auto": app/snapshot_support.h's AutoSnapshot): its
// version, or nullopt when rollback.auto_snapshot does not ask for one.
using AutoSnapshotFn = std::function<Result<std::optional<std::int64_t>>(const std::string& trigger,
                                                                         const std::string& note)>;

struct TaskEnv {
  store::Store* store = nullptr;
  std::int64_t repository_id = 0;
  std::filesystem::path docs_root;
  std::filesystem::path repository_root;   // the project's folder, canonical
  const config::Config* config = nullptr;  // owned by the AppContext
  std::string project_name;
  std::unique_ptr<tasks::TaskContextSource> context;
  std::unique_ptr<tasks::TaskService> service;
  AutoSnapshotFn auto_snapshot;  // on the store above
};

Result<TaskEnv> OpenTasks(AppContext& ctx);

}  // namespace docrunch::app
