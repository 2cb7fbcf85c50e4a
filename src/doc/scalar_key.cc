#include "doc/scalar_key.h"

#include <bit>
#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace kora::doc {
namespace {

// Powers of two are exact doubles, so these bounds compare against doubles without any
// rounding: [kMinInt64, kTwo63) is exactly the int64 range, [kTwo63, kTwo64) the uint64
// values above INT64_MAX.
constexpr double kTwo63 = 9223372036854775808.0;   // 2^63
constexpr double kTwo64 = 18446744073709551616.0;  // 2^64
constexpr double kMinInt64 = -kTwo63;

std::strong_ordering order_of(bool less, bool greater) {
  if (less) return std::strong_ordering::less;
  if (greater) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

// Exact i <=> d for a finite d. floor(d) is an integer-valued double; inside the int64
// range it converts to int64 without rounding, and i sits either on it or strictly
// beside it.
std::strong_ordering compare_int_double(std::int64_t i, double d) {
  if (d >= kTwo63) return std::strong_ordering::less;
  if (d < kMinInt64) return std::strong_ordering::greater;
  const double fl = std::floor(d);
  const auto f = static_cast<std::int64_t>(fl);
  if (i != f) return order_of(i<f, i> f);
  return d > fl ? std::strong_ordering::less : std::strong_ordering::equal;
}

// Exact u <=> d for a finite d, as above over the uint64 range.
std::strong_ordering compare_uint_double(std::uint64_t u, double d) {
  if (d < 0) return std::strong_ordering::greater;
  if (d >= kTwo64) return std::strong_ordering::less;
  const double fl = std::floor(d);
  const auto f = static_cast<std::uint64_t>(fl);
  if (u != f) return order_of(u<f, u> f);
  return d > fl ? std::strong_ordering::less : std::strong_ordering::equal;
}

std::strong_ordering reverse(std::strong_ordering o) { return 0 <=> o; }

// The sort rank of a variant index: null, bool, the three numbers as one, string.
int rank_of(std::size_t index) {
  switch (index) {
    case 0:
      return 0;
    case 1:
      return 1;
    case 5:
      return 3;
    default:
      return 2;
  }
}

// Distinct seeds per representation keep, say, int64 -1 and uint64 2^64-1 (same bits)
// from colliding; canonical form already makes equal values share a representation.
constexpr std::uint64_t kSeed[6] = {
    0x6b6f7261'4e756c6cULL, 0x6b6f7261'426f6f6cULL, 0x6b6f7261'496e7436ULL,
    0x6b6f7261'55696e74ULL, 0x6b6f7261'44626c65ULL, 0x6b6f7261'53747267ULL,
};

}  // namespace

ScalarKey ScalarKey::from_uint64(std::uint64_t v) noexcept {
  if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return from_int64(static_cast<std::int64_t>(v));
  }
  return ScalarKey(Rep(std::in_place_index<3>, v));
}

ScalarKey ScalarKey::from_double(double v) noexcept {
  assert(std::isfinite(v));
  if (std::trunc(v) == v) {
    // -0.0 lands here too and becomes int64 0.
    if (v >= kMinInt64 && v < kTwo63) return from_int64(static_cast<std::int64_t>(v));
    if (v >= kTwo63 && v < kTwo64) {
      return ScalarKey(Rep(std::in_place_index<3>, static_cast<std::uint64_t>(v)));
    }
  }
  return ScalarKey(Rep(std::in_place_index<4>, v));
}

ScalarKey ScalarKey::from_value(const ScalarValue& v) {
  switch (v.index()) {
    case 0:
      return null();
    case 1:
      return from_bool(std::get<1>(v));
    case 2:
      return from_int64(std::get<2>(v));
    case 3:
      return from_uint64(std::get<3>(v));
    case 4:
      return from_double(std::get<4>(v));
    default:
      return from_string(std::string_view(std::get<5>(v)));
  }
}

std::strong_ordering ScalarKey::compare_slow(const ScalarKey& a, const ScalarKey& b) noexcept {
  const std::size_t ia = a.rep_.index(), ib = b.rep_.index();
  const int ra = rank_of(ia), rb = rank_of(ib);
  if (ra != rb) return ra <=> rb;
  // Same rank and not settled inline: both are numbers.
  if (ia == 4 && ib == 4) {
    const double x = std::get<4>(a.rep_), y = std::get<4>(b.rep_);
    return order_of(x<y, x> y);
  }
  // Canonical form puts every uint64 above INT64_MAX, so int64 < uint64 always.
  if (ia == 2 && ib == 3) return std::strong_ordering::less;
  if (ia == 3 && ib == 2) return std::strong_ordering::greater;
  if (ia == 2 && ib == 4) return compare_int_double(std::get<2>(a.rep_), std::get<4>(b.rep_));
  if (ia == 4 && ib == 2) {
    return reverse(compare_int_double(std::get<2>(b.rep_), std::get<4>(a.rep_)));
  }
  if (ia == 3 && ib == 4) return compare_uint_double(std::get<3>(a.rep_), std::get<4>(b.rep_));
  if (ia == 4 && ib == 3) {
    return reverse(compare_uint_double(std::get<3>(b.rep_), std::get<4>(a.rep_)));
  }
  // Same representation (int64 or uint64) is settled inline; kept for completeness.
  if (ia == 2) return std::get<2>(a.rep_) <=> std::get<2>(b.rep_);
  return std::get<3>(a.rep_) <=> std::get<3>(b.rep_);
}

std::size_t ScalarKey::hash() const noexcept {
  const std::size_t index = rep_.index();
  std::uint64_t bits = 0;
  switch (index) {
    case 0:
      break;
    case 1:
      bits = std::get<1>(rep_) ? 1 : 0;
      break;
    case 2:
      bits = static_cast<std::uint64_t>(std::get<2>(rep_));
      break;
    case 3:
      bits = std::get<3>(rep_);
      break;
    case 4:
      // Canonical doubles are never -0.0, so equal doubles have equal bits.
      bits = std::bit_cast<std::uint64_t>(std::get<4>(rep_));
      break;
    default: {
      const std::string& s = std::get<5>(rep_);
      return static_cast<std::size_t>(XXH3_64bits_withSeed(s.data(), s.size(), kSeed[5]));
    }
  }
  return static_cast<std::size_t>(XXH3_64bits_withSeed(&bits, sizeof(bits), kSeed[index]));
}

std::size_t ScalarKey::allocated_bytes() const noexcept {
  const std::string* s = std::get_if<5>(&rep_);
  if (s == nullptr) return 0;
  // A string whose buffer lies inside the object itself uses the small-string buffer;
  // checking the address works for any standard library, unlike guessing its SSO size.
  const auto* data = reinterpret_cast<const unsigned char*>(s->data());
  const auto* self = reinterpret_cast<const unsigned char*>(s);
  if (data >= self && data < self + sizeof(std::string)) return 0;
  return s->capacity() + 1;
}

std::string ScalarKey::debug_string() const {
  switch (rep_.index()) {
    case 0:
      return "null";
    case 1:
      return std::get<1>(rep_) ? "true" : "false";
    case 2:
      return std::to_string(std::get<2>(rep_));
    case 3:
      return std::to_string(std::get<3>(rep_));
    case 4: {
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof(buf), std::get<4>(rep_));
      return std::string(buf, r.ec == std::errc() ? r.ptr : buf);
    }
    default:
      return "\"" + std::get<5>(rep_) + "\"";
  }
}

}  // namespace kora::doc
