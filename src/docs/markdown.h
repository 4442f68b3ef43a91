// Markdown pieces every page writer needs.
#pragma once

#include <string>
#include <string_view>

namespace docrunch::docs {

// `text` as an inline code span that nothing in it can break: line breaks
// become spaces, a backtick in it gets a longer fence, and in a table cell
// '|' is escaped (GitHub's tables split cells on it even inside code).
std::string InlineCode(std::string_view text, bool table_cell = false);

}  // namespace docrunch::docs
