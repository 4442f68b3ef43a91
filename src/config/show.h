// Rendering the effective configuration for `docrunch config show`.
//
// Values are rendered from the typed structs, so what is shown is what the
// program uses. Secrets never appear: the config holds only the names of the
// environment variables that carry them, and for those the rendering says
// whether the variable is set, never its value.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/loader.h"

namespace docrunch::config {

// Nested JSON of every key and its value.
nlohmann::json ConfigToJson(const LoadedConfig& loaded, const Environment& env);

// One line per key: "server.mcp.port = 3334  (default)".
std::string ConfigToText(const LoadedConfig& loaded, const Environment& env);

}  // namespace docrunch::config
