// ScalarKey: one scalar value as an index key or a comparison operand — null, false, true,
// a number or a string — with the total order of API.md ("Finding and ordering"):
//
//   null < false < true < numbers (by exact value) < strings (bytewise, unsigned bytes)
//
// Numbers compare by their exact mathematical value across int64, uint64 and double: 30,
// uint64 30 and 30.0 are one key; 2^53 + 1 (int64) is not 9007199254740992.0; -0.0 is 0.
// Nothing is ever converted through a rounding step.
//
// Canonical form. Each number is stored in exactly one representation, chosen from its
// value, so equality and hashing are plain memberwise operations:
//   - an integral value in [INT64_MIN, INT64_MAX] is an int64 (30.0, uint64 30 and -0.0
//     become int64 30 and 0);
//   - an integral value in (INT64_MAX, UINT64_MAX] is a uint64 (2^63 as a double too);
//   - anything else is a double: a value with a fraction, or an integral double outside
//     [INT64_MIN, UINT64_MAX] (e.g. 1e300).
// So number_rep() tells how the key is held, not what type the caller passed in; a key
// does not remember whether a stored number was written 30 or 30.0 (the record does).
//
// Strings are owned (std::string, so short ones stay inline in the object — 15 bytes with
// libstdc++). allocated_bytes() reports the out-of-line buffer for byte accounting.
//
// Thread safety: a value type; const members may be called from any number of threads.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace kora::doc {

// The alternatives, in this order, of a JSON scalar as the WHERE parser produces it
// (kora::doc::Literal in doc/query_ast.h has exactly this shape): null, bool, int64,
// uint64, double (finite), string.
using ScalarValue =
    std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string>;

class ScalarKey {
 public:
  // Declared in sort order: a key of a smaller kind sorts first.
  enum class Kind : std::uint8_t { kNull, kFalse, kTrue, kNumber, kString };
  // How a number key is held (see "Canonical form" above).
  enum class NumberRep : std::uint8_t { kInt64, kUint64, kDouble };

  // Null.
  ScalarKey() noexcept = default;

  static ScalarKey null() noexcept { return ScalarKey(); }
  static ScalarKey from_bool(bool b) noexcept { return ScalarKey(Rep(std::in_place_index<1>, b)); }
  static ScalarKey from_int64(std::int64_t v) noexcept {
    return ScalarKey(Rep(std::in_place_index<2>, v));
  }
  static ScalarKey from_uint64(std::uint64_t v) noexcept;
  // REQUIRES: v is finite (JSON has no NaN or infinity); checked by assert only.
  static ScalarKey from_double(double v) noexcept;
  static ScalarKey from_string(std::string_view s) {
    return ScalarKey(Rep(std::in_place_index<5>, s));
  }
  static ScalarKey from_string(std::string&& s) noexcept {
    return ScalarKey(Rep(std::in_place_index<5>, std::move(s)));
  }
  static ScalarKey from_string(const char* s) { return from_string(std::string_view(s)); }
  // REQUIRES: a double alternative is finite.
  static ScalarKey from_value(const ScalarValue& v);

  Kind kind() const noexcept {
    switch (rep_.index()) {
      case 0:
        return Kind::kNull;
      case 1:
        return std::get<1>(rep_) ? Kind::kTrue : Kind::kFalse;
      case 5:
        return Kind::kString;
      default:
        return Kind::kNumber;
    }
  }
  bool is_null() const noexcept { return rep_.index() == 0; }
  bool is_bool() const noexcept { return rep_.index() == 1; }
  bool is_number() const noexcept { return rep_.index() >= 2 && rep_.index() <= 4; }
  bool is_string() const noexcept { return rep_.index() == 5; }

  // REQUIRES: is_bool().
  bool bool_value() const noexcept { return *std::get_if<1>(&rep_); }
  // REQUIRES: is_number().
  NumberRep number_rep() const noexcept { return static_cast<NumberRep>(rep_.index() - 2); }
  // REQUIRES (each): number_rep() is the matching representation.
  std::int64_t int64_value() const noexcept { return *std::get_if<2>(&rep_); }
  std::uint64_t uint64_value() const noexcept { return *std::get_if<3>(&rep_); }
  double double_value() const noexcept { return *std::get_if<4>(&rep_); }
  // REQUIRES: is_string(). Valid while the key lives and is not modified.
  std::string_view string_value() const noexcept { return *std::get_if<5>(&rep_); }

  // Equal keys have equal hashes (30, uint64 30 and 30.0 included). Not a stable or
  // portable value: do not persist it.
  std::size_t hash() const noexcept;

  // Bytes of the heap buffer a long string holds outside the object (capacity + 1);
  // 0 for every other key and for strings kept inline.
  std::size_t allocated_bytes() const noexcept;

  // Human-readable form for messages and test output: null, true, 30, 0.5, "text".
  // Doubles print with enough digits to read back exactly; strings are not escaped.
  std::string debug_string() const;

  friend bool operator==(const ScalarKey& a, const ScalarKey& b) noexcept {
    // Canonical numbers make equality memberwise; double == double is exact (no NaN).
    return a.rep_ == b.rep_;
  }
  friend std::strong_ordering operator<=>(const ScalarKey& a, const ScalarKey& b) noexcept {
    const std::size_t ia = a.rep_.index(), ib = b.rep_.index();
    if (ia == ib) {
      switch (ia) {
        case 0:
          return std::strong_ordering::equal;
        case 1:
          return std::get<1>(a.rep_) <=> std::get<1>(b.rep_);
        case 2:
          return std::get<2>(a.rep_) <=> std::get<2>(b.rep_);
        case 3:
          return std::get<3>(a.rep_) <=> std::get<3>(b.rep_);
        case 5:
          return std::string_view(std::get<5>(a.rep_)) <=> std::string_view(std::get<5>(b.rep_));
        default:
          break;  // doubles: below, to keep the header free of partial orderings
      }
    }
    return compare_slow(a, b);
  }

  // For unordered containers. Deliberately not noexcept: libstdc++ then caches each
  // node's hash code, so probing a bucket chain compares codes before (string) keys and
  // rehashing never recomputes a hash.
  struct Hash {
    std::size_t operator()(const ScalarKey& k) const { return k.hash(); }
  };

 private:
  using Rep = ScalarValue;
  explicit ScalarKey(Rep rep) noexcept : rep_(std::move(rep)) {}

  // Every case operator<=> does not settle inline: different kinds, doubles, and the
  // mixed-representation number comparisons.
  static std::strong_ordering compare_slow(const ScalarKey& a, const ScalarKey& b) noexcept;

  Rep rep_;
};

}  // namespace kora::doc
