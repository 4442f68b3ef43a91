#include "mcp/protocol/pagination.h"

#include <algorithm>

namespace docrunch::mcp {
namespace {
constexpr const char* kPrefix = "offset:";
}

std::optional<Page> Paginate(const json& params, std::size_t total, std::size_t page_size) {
  std::size_t begin = 0;
  auto cursor = params.find("cursor");
  if (cursor != params.end() && !cursor->is_null()) {
    if (!cursor->is_string()) return std::nullopt;
    const std::string text = *cursor;
    if (text.rfind(kPrefix, 0) != 0) return std::nullopt;
    std::string digits = text.substr(std::char_traits<char>::length(kPrefix));
    if (digits.empty() || digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), ::isdigit)) {
      return std::nullopt;
    }
    begin = std::stoul(digits);
    if (begin > total) return std::nullopt;
  }
  Page page;
  page.begin = begin;
  page.end = std::min(total, begin + std::max<std::size_t>(page_size, 1));
  if (page.end < total) page.next_cursor = kPrefix + std::to_string(page.end);
  return page;
}

}  // namespace docrunch::mcp
