// Redis glob matching (the semantics of Redis's stringmatchlen() with nocase = 0), made
// binary-safe and non-recursive.
//
// Pattern elements:
//   *        any run of bytes, including none (consecutive stars act as one)
//   ?        any one byte
//   [...]    one byte from a class: single bytes, ranges "a-c" (a reversed range "c-a" is
//            the same range), "\x" for a literal x; "[^...]" negates. A class missing its
//            closing ']' extends to the end of the pattern (as in Redis).
//   \x       the byte x literally (a trailing lone '\' matches '\')
//   other    itself
//
// Every element except '*' consumes exactly one byte, so the classic single-backtrack-point
// algorithm is exact: on a mismatch only the most recent '*' needs to absorb one more byte.
// That bounds the work to O(|pattern| * |text|) with no recursion, so patterns such as
// "a*a*a*a*a*a*b" cannot go exponential.
//
// Deliberate differences from Redis's code, both where Redis's behaviour is an accident of
// its implementation rather than glob semantics:
//   * range bounds compare bytes as unsigned 0..255 (Redis compares plain `char`, which is
//     signed on x86, so "[a-\xff]" would not contain 'b' there);
//   * a pattern made only of '*' matches the empty text (stringmatchlen("*", "") is 0 in
//     Redis, although KEYS * does list the empty key because it skips matching for "*").
#include <cstddef>
#include <string_view>
#include <utility>

#include "kv/kv_store.h"

namespace kora::kv {
namespace {

using Byte = unsigned char;

inline Byte byte_at(std::string_view s, std::size_t i) noexcept { return static_cast<Byte>(s[i]); }

// Matches the non-'*' element starting at p[i] against byte c and moves i past the element.
bool match_element(std::string_view p, std::size_t& i, Byte c) noexcept {
  const std::size_t n = p.size();
  switch (p[i]) {
    case '?':
      ++i;
      return true;
    case '[': {
      ++i;
      const bool negate = i < n && p[i] == '^';
      if (negate) ++i;
      bool match = false;
      while (i < n) {
        if (p[i] == '\\' && n - i >= 2) {  // escaped byte
          ++i;
          if (byte_at(p, i) == c) match = true;
        } else if (p[i] == ']') {  // end of the class
          ++i;
          return match != negate;
        } else if (n - i >= 3 && p[i + 1] == '-') {  // range lo-hi, either order
          Byte lo = byte_at(p, i);
          Byte hi = byte_at(p, i + 2);
          if (lo > hi) std::swap(lo, hi);
          if (lo <= c && c <= hi) match = true;
          i += 2;
        } else if (byte_at(p, i) == c) {
          match = true;
        }
        ++i;
      }
      return match != negate;  // unterminated class: it ran to the end of the pattern
    }
    case '\\':
      if (n - i >= 2) ++i;  // escape; a trailing '\' stands for itself
      [[fallthrough]];
    default: {
      const bool match = byte_at(p, i) == c;
      ++i;
      return match;
    }
  }
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) noexcept {
  constexpr std::size_t kNone = std::string_view::npos;
  const std::size_t pn = pattern.size();
  const std::size_t tn = text.size();
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star_p = kNone;  // pattern index just after the most recent '*' run
  std::size_t star_t = 0;      // text index where the rest after that star is being tried
  while (t < tn) {
    if (p < pn && pattern[p] == '*') {
      do {
        ++p;
      } while (p < pn && pattern[p] == '*');
      if (p == pn) return true;  // a trailing star takes the rest of the text
      star_p = p;
      star_t = t;
      continue;
    }
    if (p < pn) {
      std::size_t next = p;
      if (match_element(pattern, next, byte_at(text, t))) {
        p = next;
        ++t;
        continue;
      }
    }
    if (star_p == kNone) return false;
    // Let the last star absorb one more byte and retry the rest of the pattern from there.
    p = star_p;
    t = ++star_t;
  }
  while (p < pn && pattern[p] == '*') ++p;
  return p == pn;
}

}  // namespace kora::kv
