// Cursor pagination for every MCP list (tools, resources, templates,
// prompts). A cursor is opaque to the client; here it encodes the offset of
// the next page, so lists must be in a stable order.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "mcp/protocol/json_rpc.h"

namespace docrunch::mcp {

struct Page {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string next_cursor;  // "" on the last page
};

// The slice of a list of `total` items that params.cursor asks for.
// nullopt for a cursor this server did not issue (the caller answers
// -32602 "cursor: invalid").
std::optional<Page> Paginate(const json& params, std::size_t total, std::size_t page_size);

}  // namespace docrunch::mcp
