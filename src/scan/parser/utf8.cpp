#include "scan/parser/utf8.h"

namespace docrunch::scan {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// The length of the valid sequence at the start of `s`, or 0 with `bad` set
// to the length of its maximal invalid subpart (at least 1).
std::size_t SequenceLength(std::string_view s, std::size_t& bad) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // past U+10FFFF
  } else {
    bad = 1;
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    bool ok = i < s.size() && byte(i) >= (i == 1 ? low : 0x80) && byte(i) <= (i == 1 ? high : 0xBF);
    if (!ok) {
      bad = i;
      return 0;
    }
  }
  return length;
}

void Fix(std::string& text) {
  std::string_view view = text;
  std::size_t i = 0;
  while (i < view.size() && static_cast<unsigned char>(view[i]) < 0x80) ++i;
  if (i == view.size()) return;  // ASCII, the common case
  std::string fixed(view.substr(0, i));
  while (i < view.size()) {
    std::size_t bad = 0;
    std::size_t length = SequenceLength(view.substr(i), bad);
    if (length > 0) {
      fixed.append(view.substr(i, length));
      i += length;
    } else {
      fixed.append(kReplacement);
      i += bad;
    }
  }
  text = std::move(fixed);
}

void Fix(std::vector<std::string>& texts) {
  for (auto& text : texts) Fix(text);
}

}  // namespace

std::string ValidUtf8(std::string_view text) {
  std::string copy(text);
  Fix(copy);
  return copy;
}

void MakeValidUtf8(ParsedFile& file) {
  for (auto& i : file.imports) {
    Fix(i.module), Fix(i.name), Fix(i.alias);
  }
  for (auto& e : file.exports) {
    Fix(e.name), Fix(e.alias), Fix(e.source);
  }
  for (auto& s : file.symbols) {
    Fix(s.name), Fix(s.qualified_name), Fix(s.signature), Fix(s.docstring), Fix(s.detail);
    Fix(s.body_terms);
    Fix(s.bases), Fix(s.implements), Fix(s.fields);
  }
  for (auto& c : file.calls) {
    Fix(c.caller), Fix(c.callee);
  }
  for (auto& u : file.uses) {
    Fix(u.user), Fix(u.used);
  }
  for (auto& d : file.diagnostics) Fix(d.message);
}

}  // namespace docrunch::scan
