// What the snapshot commands, `db migrate` (its automatic snapshot) and
// doctor share: the snapshot environment of the project.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "app/context.h"
#include "ops/snapshots.h"

namespace docrunch::app {

// Paths from the configuration (rollback.path, storage.docs_output,
// resolved against the project root) and the live database's options.
Result<ops::SnapshotEnv> SnapshotEnvFor(AppContext& ctx);

// Whether rollback.enabled and the rollback.auto_snapshot flag of
// `trigger` ("migrate", "restore", "scan", "task_completion") ask for a
// snapshot there; "auto" (a `snapshot` job of jobs.schedules) only needs
// rollback.enabled.
bool AutoSnapshotWanted(const config::RollbackConfig& rollback, const std::string& trigger);

// The automatic snapshot at `trigger` (before a migration or a restore,
// after a scan or a task completion) when AutoSnapshotWanted: its version,
// printed on stderr too; nullopt when not wanted. `store` is open on the
// live database. The error says which flag turns it off. After a scan, a
// completion or a schedule, rollback.retention is applied (`snapshot clean`).
Result<std::optional<std::int64_t>> AutoSnapshot(AppContext& ctx, store::Store& store,
                                                 const std::string& trigger,
                                                 const std::string& note);

}  // namespace docrunch::app
