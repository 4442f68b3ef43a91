#include "docs/markdown.h"

#include <algorithm>

namespace docrunch::docs {

std::string InlineCode(std::string_view text, bool table_cell) {
  std::string body;
  std::size_t run = 0, longest = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    if (c == '\n' || c == '\r') {
      body += ' ';
    } else if (c == '|' && table_cell) {
      body += "\\|";
    } else {
      body += c;
    }
  }
  if (longest == 0) return "`" + body + "`";
  const std::string fence(longest + 1, '`');
  return fence + " " + body + " " + fence;
}

}  // namespace docrunch::docs
