// Compact JSON text of a value, for answers that are written often (REST
// envelopes): the text nlohmann's dump() gives, produced several times
// faster (runs of plain bytes are copied, not decoded one by one). Strings
// must be UTF-8; an invalid sequence becomes U+FFFD, as dump() does with
// error_handler_t::replace. Numbers: integers exactly; doubles as the
// shortest text that reads back the same (an integral one keeps ".0"),
// NaN and infinities as null.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace docrunch {

void AppendJson(std::string& out, const nlohmann::json& value);

// One JSON string (quoted and escaped), as AppendJson writes strings.
void AppendJsonString(std::string& out, std::string_view s);

inline std::string WriteJson(const nlohmann::json& value) {
  std::string out;
  AppendJson(out, value);
  return out;
}

}  // namespace docrunch
