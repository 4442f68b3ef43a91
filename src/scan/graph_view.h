// The repository graph as JSON for visualizers (export-graph, REST
// /api/graph): {view, nodes: [{id, label, type}], edges: [{source, target,
// type}]}. Views: structure (directories contain files), dependencies (file
// imports), components (components and what uses them), database (schemas,
// their fields, inheritance and uses).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace docrunch::scan {

// `view` must be one of the four (the callers check).
Result<nlohmann::json> GraphView(store::Store& store, std::int64_t repo, const std::string& view);

}  // namespace docrunch::scan
