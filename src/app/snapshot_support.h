// What the snapshot commands, `db migrate` (its automatic snapshot) and
// doctor share: the snapshot environment of the project.
#pragma once

#include <string>

#include "app/context.h"
#include "ops/snapshots.h"

namespace docrunch::app {

// Paths from the configuration (rollback.path, storage.docs_output,
// resolved against the project root) and the live database's options.
Result<ops::SnapshotEnv> SnapshotEnvFor(AppContext& ctx);

// The automatic snapshot before a risky operation (`trigger`: "migrate",
// "restore"), when rollback.enabled and the auto_snapshot flag say so.
// Prints the new version on stderr. `store` is open on the live database.
Result<void> AutoSnapshot(AppContext& ctx, store::Store& store, const std::string& trigger,
                          const std::string& note);

}  // namespace docrunch::app
