// Filesystem helpers that never leave a half-written file behind.
#pragma once

#include <filesystem>
#include <string>

#include "core/result.h"

namespace docrunch {

// Writes `content` to a temporary file in the same folder, flushes it to
// disk and renames it over `path`: readers see the old file or the new one,
// never a mix. On failure `path` is untouched and no temporary remains.
// The file gets permissions `mode` (before it becomes visible under `path`).
// Errors: IO_ERROR naming the path and the system's reason.
Result<void> WriteFileAtomic(const std::filesystem::path& path, const std::string& content,
                             unsigned mode = 0644);

// Reads a whole file. Errors: IO_ERROR naming the path.
Result<std::string> ReadFileText(const std::filesystem::path& path);

}  // namespace docrunch
