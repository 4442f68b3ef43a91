// JSON Schema building blocks for the route table, and cursor pagination.
//
// Every list route takes `limit` (1-200, default 50) and `cursor` (the
// `next_cursor` of the previous page) and answers {items, next_cursor}
// with next_cursor null on the last page. A cursor is opaque to clients;
// it holds the position after the last item of its page.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "api/route.h"

namespace docrunch::api::schema {

json Str(const std::string& description = "", int max_length = 0);
json Int(const std::string& description, long long minimum, long long maximum);
json Num(const std::string& description = "");
json Bool(const std::string& description = "");
json Enum(const std::vector<std::string>& values, const std::string& description = "");
json Array(json items, const std::string& description = "");
json Nullable(json schema);
// An object of exactly these properties (additionalProperties: false).
json Object(json properties, std::vector<std::string> required = {});
// An object whose fields are not described (any JSON object).
json AnyObject(const std::string& description = "");
// {items: [item], next_cursor: string|null}.
json Page(json item);
// The query schema of a list: limit, cursor and `extra` properties.
json PageQuery(json extra = json::object());

}  // namespace docrunch::api::schema

namespace docrunch::api {

struct PageRequest {
  std::size_t offset = 0;
  std::size_t limit = 50;
};

// From a call's validated query; a cursor this server did not issue is
// USAGE "cursor: not a cursor of this list" (400).
Result<PageRequest> ReadPage(const Call& call);
// The page of `all` that `page` asks for.
json MakePage(json all, const PageRequest& page);
// A page read from the store with LIMIT page.limit + 1 OFFSET page.offset:
// `rows` holds up to one item more than the page, which only says whether
// another page follows.
json MakePageOf(json rows, const PageRequest& page);

}  // namespace docrunch::api
