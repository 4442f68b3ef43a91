// Editing config.yaml text in place for `docrunch config set`, keeping the
// comments and layout a person wrote. The caller validates the result and
// writes it atomically; nothing here touches the disk.
#pragma once

#include <string>

#include "core/result.h"

namespace docrunch::config {

// Returns `text` with `key_path` ("server.mcp.port") set to `value`, which
// is YAML on one line (a scalar, or a flow list/map such as [a, b]).
// Missing sections are created. Errors: CONFIG_INVALID when the text is not
// valid YAML or the path runs through a non-mapping; USAGE for a bad key
// path or value.
Result<std::string> SetKeyInText(const std::string& text, const std::string& key_path,
                                 const std::string& value);

}  // namespace docrunch::config
