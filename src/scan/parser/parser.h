// The parser: what is in one source file, per model.h, from a tree-sitter
// syntax tree.
//
//   Parser parser({.timeout = std::chrono::seconds(5)});
//   Result<ParsedFile> parsed = parser.Parse(Language::kPython, source);
//
// Problems with the input are not errors: a file with syntax errors keeps
// everything that parsed and carries a PARSE_SYNTAX_ERROR diagnostic (with the
// first error's line); a parse cut off by the timeout returns an empty
// extraction with PARSE_TIMEOUT; a language without a grammar returns
// PARSE_UNSUPPORTED_LANGUAGE. Any bytes are accepted (binary, invalid UTF-8):
// every string in the result is valid UTF-8, invalid sequences replaced by
// U+FFFD. Output is in source order and deterministic.
//
// Parse returns an Error only when tree-sitter itself fails (out of memory,
// a grammar the runtime refuses), which is a build or machine defect.
//
// Thread-safety: a Parser is immutable after construction; Parse may be
// called from any number of threads at once (each thread uses its own
// tree-sitter parser, kept for the thread's lifetime).
#pragma once

#include <chrono>
#include <string_view>

#include "core/result.h"
#include "scan/model.h"

namespace docrunch::scan {

struct ParseOptions {
  // Wall-clock budget for building the syntax tree of one file; extraction
  // afterwards is linear in the tree and not counted. Zero means no limit.
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

class Parser {
 public:
  explicit Parser(ParseOptions options = {});

  Result<ParsedFile> Parse(Language language, std::string_view source) const;

  // Whether `language` has a grammar and an extractor.
  static bool Supports(Language language);

 private:
  ParseOptions options_;
};

}  // namespace docrunch::scan
