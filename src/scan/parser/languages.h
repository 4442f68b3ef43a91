// Which grammar and extractor serve each Language. Internal to src/scan/parser.
#pragma once

#include <tree_sitter/api.h>

#include "scan/model.h"
#include "scan/parser/extractor.h"

namespace docrunch::scan {

struct LanguageSupport {
  Language language;
  const TSLanguage* (*grammar)();
  ExtractFn extract;
};

// The support for `language`, or nullptr when there is none.
const LanguageSupport* FindLanguageSupport(Language language);

}  // namespace docrunch::scan
