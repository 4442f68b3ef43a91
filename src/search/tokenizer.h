// Code-aware tokens: identifiers and paths are split the way people search
// for them. "parseHTTPRequest" -> parse, http, request, parsehttprequest;
// "snake_case_name" -> snake, case, name, snake_case_name; "src/app/main.py"
// -> src, app, main, py. Lower-case; common English stop words dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace docrunch::search {

std::vector<std::string> CodeTokens(std::string_view text);

}  // namespace docrunch::search
