// Keeping text valid UTF-8 whatever bytes it came from: what the parser
// extracts from a file, and (in the walker) the names of files and folders.
// Internal to src/scan.
#pragma once

#include <string>
#include <string_view>

#include "scan/model.h"

namespace docrunch::scan {

// `text` with every invalid UTF-8 sequence (bad lead or continuation bytes,
// overlong forms, surrogates, code points past U+10FFFF, truncation)
// replaced by U+FFFD, one per maximal invalid subpart.
std::string ValidUtf8(std::string_view text);

// Applies ValidUtf8 to every string of `file`.
void MakeValidUtf8(ParsedFile& file);

}  // namespace docrunch::scan
