// UTF-8 well-formedness: every text Docrunch stores, shows or sends as JSON
// must be valid UTF-8 (file contents and names in the scanner, configuration
// values).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace docrunch {

// The index of the first byte from `i` on that may be non-ASCII: source
// code is mostly ASCII, skipped here 8 bytes at a time.
inline std::size_t SkipAscii(std::string_view bytes, std::size_t i) {
  std::uint64_t word;
  while (i + sizeof word <= bytes.size()) {
    std::memcpy(&word, bytes.data() + i, sizeof word);
    if ((word & 0x8080808080808080ULL) != 0) break;
    i += sizeof word;
  }
  return i;
}

// A streaming UTF-8 checker: the input may be cut anywhere between calls.
class Utf8Validator {
 public:
  bool Feed(std::string_view bytes) {
    for (std::size_t i = 0; i < bytes.size() && valid_; ++i) {
      if (need_ == 0 && (i = SkipAscii(bytes, i)) == bytes.size()) break;
      auto b = static_cast<unsigned char>(bytes[i]);
      if (need_ == 0) {
        if (b < 0x80) continue;
        Lead(b);
      } else if (b < lo_ || b > hi_) {
        valid_ = false;
      } else {
        lo_ = 0x80, hi_ = 0xBF, --need_;
      }
    }
    return valid_;
  }
  bool Finish() const { return valid_ && need_ == 0; }

 private:
  // The lead byte fixes how many continuation bytes follow and the range of
  // the first one (that range is what rules out overlongs, surrogates and
  // values beyond U+10FFFF).
  void Lead(unsigned char b) {
    lo_ = 0x80, hi_ = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      need_ = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      need_ = 2;
      if (b == 0xE0) lo_ = 0xA0;
      if (b == 0xED) hi_ = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      need_ = 3;
      if (b == 0xF0) lo_ = 0x90;
      if (b == 0xF4) hi_ = 0x8F;
    } else {
      valid_ = false;
    }
  }

  int need_ = 0;
  unsigned char lo_ = 0x80, hi_ = 0xBF;
  bool valid_ = true;
};

// Whether `bytes` is well-formed UTF-8 (no overlongs, surrogates or code
// points past U+10FFFF).
inline bool IsValidUtf8(std::string_view bytes) {
  Utf8Validator v;
  return v.Feed(bytes) && v.Finish();
}

}  // namespace docrunch
