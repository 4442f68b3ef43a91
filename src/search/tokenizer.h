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

// A light English stemmer for index and query terms (Porter's step 1 and a
// final "e"): plural "-s"/"-es"/"-ies", "-ed", "-ing", "-y" -> "i", so
// "encoding", "encoded", "encodes" and "encode" are one term ("encod").
// Terms of digits or shorter than four letters are left alone.
std::string Stem(std::string_view token);

// CodeTokens, each stemmed: what the search index stores and looks up.
std::vector<std::string> SearchTerms(std::string_view text);

}  // namespace docrunch::search
