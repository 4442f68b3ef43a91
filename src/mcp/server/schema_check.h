// Checks a JSON value against the subset of JSON Schema the tool schemas
// use: type (object, string, integer, number, boolean, array, null, or a
// list of them), properties, required, additionalProperties: false, items,
// enum, minimum, maximum, minLength, maxLength, maxItems. Enough to reject
// bad arguments with a message naming the field before a service sees them,
// and for tests to check real replies against the declared output schemas.
#pragma once

#include <string>

#include "mcp/protocol/json_rpc.h"

namespace docrunch::mcp {

// "" when `value` matches `schema`; else every problem, "; "-joined, each
// starting with the field path ("changes[2]: must be a string").
std::string CheckSchema(const json& schema, const json& value, const std::string& path = "");

}  // namespace docrunch::mcp
