// Code-aware tokens: identifiers and paths are split the way people search
// for them. "parseHTTPRequest" -> parse, http, request, parsehttprequest;
// "snake_case_name" -> snake, case, name, snake_case_name; "src/app/main.py"
// -> src, app, main, py. Lower-case; common English stop words dropped.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace docrunch::search {

std::vector<std::string> CodeTokens(std::string_view text);

// CodeTokens one at a time, without building them: `each` gets every token
// in order, valid until it returns.
using TokenSink = std::function<void(std::string_view)>;
void ForEachCodeToken(std::string_view text, const TokenSink& each);

// The stemmer of index and query terms: Porter's (Snowball's "porter", from
// libstemmer), the one SQLite's FTS5 porter tokenizer and so the database
// fallback use on SQLite (PostgreSQL's english configuration is Snowball's
// later English stemmer). "encoding", "encoded", "encodes" and "encode" are one
// term ("encod"); "currently" meets current, "interaction" interact.
// Terms of digits, of other characters than a-z (identifiers whole, with
// '_') or shorter than four letters are left alone.
// (Issue 18, seventh round: against Porter's step 1 alone, which it
// replaced, function MRR +0.020 and +0.028 on two tuning halves of
// bench/search and -0.005 on the third; docs/benchmarks.md.)
std::string Stem(std::string_view token);

// What every word with the stem `stem` opens with: all of it but its last
// letter (a one-letter stem whole). Porter changes only a word's last letter
// ("query" -> "queri"), adds an "e" at its end or cuts its end, so a token
// that does not open so cannot stem to `stem`: callers test that before
// stemming.
std::string_view StemOpening(std::string_view stem);

// CodeTokens, each stemmed: what the search index stores and looks up.
std::vector<std::string> SearchTerms(std::string_view text);

}  // namespace docrunch::search
