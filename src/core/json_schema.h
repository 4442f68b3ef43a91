// Checks a JSON value against the subset of JSON Schema that MCP tool
// schemas and REST routes declare: type (object, string, integer, number, boolean, array, null, or a
// list of them), properties, required, additionalProperties: false, items,
// enum, minimum, maximum, minLength, maxLength, maxItems. Enough to reject
// bad arguments with a message naming the field before a service sees them,
// and for tests to check real replies against the declared output schemas.
#pragma once

#include <string>

#include <nlohmann/json.hpp>
#include <string_view>

namespace docrunch {

// "" when `value` matches `schema`; else every problem, "; "-joined, each
// starting with the field path ("changes[2]: must be a string").
std::string CheckSchema(const nlohmann::json& schema, const nlohmann::json& value,
                        const std::string& path = "");

// How deeply arrays and objects nest in JSON text, stopping early once past
// `limit` (then returns limit + 1). Checked before parsing: nlohmann's
// parser, and copying or printing a value, recurse once per level, so a
// body of 100,000 '[' would overflow the stack.
int JsonNesting(std::string_view text, int limit);

}  // namespace docrunch
