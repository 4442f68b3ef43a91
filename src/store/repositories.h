// The repositories table: one row per scanned project folder.
#pragma once

#include <cstdint>
#include <string>

#include "store/store.h"

namespace docrunch::store {

// The id of the repository at `root_path` (pass a canonical path, so one
// folder is one repository), created with a "repository" outbox event on
// first use. Safe under concurrent callers.
Result<std::int64_t> EnsureRepository(Store& store, const std::string& root_path,
                                      const std::string& name);

}  // namespace docrunch::store
