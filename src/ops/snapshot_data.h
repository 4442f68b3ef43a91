// data/logical.json of a snapshot: what `snapshot diff` compares and
// `restore --only tasks` puts back, read the same way from a snapshot's
// database and from the live one, on either backend.
//
//   {"tables": {"tasks": {"columns": [...], "rows": [[...], ...]}, ...},
//    "index": {"<doc_key>": "<xxh3 of title, content, file, line>", ...}}
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace docrunch::ops {

// The task tables, parents first (the order rows are inserted in).
const std::vector<std::string>& TaskTables();

// The logical data of one repository (empty tables and index when
// `repository_id` is 0).
Result<nlohmann::json> ExportLogical(store::Reader& db, std::int64_t repository_id);

}  // namespace docrunch::ops
