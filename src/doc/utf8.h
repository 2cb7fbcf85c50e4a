// UTF-8 helpers shared by JSON ingestion, the WHERE parser and the tests.
//
// Well-formed means RFC 3629: no overlong forms, no encoded surrogates, nothing above
// U+10FFFF, so every text the engine accepts (documents, query strings) holds exactly
// what a stored document can.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "doc/rapidjson.h"

namespace kora::doc {

// Length of the well-formed UTF-8 sequence starting at text[i] (a byte >= 0x80), or 0
// when it is ill-formed or cut short by the end of text.
inline std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char c = s[i];
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > text.size() || s[i + 1] < lo || s[i + 1] > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if ((s[i + k] & 0xC0) != 0x80) return 0;
  }
  return len;
}

// Appends code point cp (<= U+10FFFF, not a surrogate) as UTF-8.
inline void append_utf8(std::uint32_t cp, std::string& out) {
  struct Sink {
    std::string& out;
    void Put(char c) { out.push_back(c); }
  } sink{out};
  rapidjson::UTF8<char>::Encode(sink, cp);
}

}  // namespace kora::doc
