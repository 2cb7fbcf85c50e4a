#include "doc/field_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "doc/scalar_key.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define KORA_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KORA_TEST_ASAN 1
#endif
#endif

namespace kora::doc {

// gtest finds these by ADL, so failures print keys, not bytes.
void PrintTo(const ScalarKey& k, std::ostream* os) { *os << k.debug_string(); }

namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::Optional;
using Kind = ScalarKey::Kind;
using Rep = ScalarKey::NumberRep;

constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::uint64_t kUint64Max = std::numeric_limits<std::uint64_t>::max();
constexpr double kTwo53 = 9007199254740992.0;
constexpr double kTwo63 = 9223372036854775808.0;
constexpr double kTwo64 = 18446744073709551616.0;

ScalarKey I(std::int64_t v) { return ScalarKey::from_int64(v); }
ScalarKey U(std::uint64_t v) { return ScalarKey::from_uint64(v); }
ScalarKey D(double v) { return ScalarKey::from_double(v); }
ScalarKey S(std::string_view v) { return ScalarKey::from_string(v); }

std::vector<DocNumber> docs_of(const Bitmap& b) {
  std::vector<DocNumber> out(b.cardinality());
  b.toUint32Array(out.data());
  return out;
}
std::vector<DocNumber> docs_of(const Bitmap* b) {
  return b == nullptr ? std::vector<DocNumber>{} : docs_of(*b);
}

// Checks a <=> b == expected both ways, and that == and hash agree with it.
void expect_order(const ScalarKey& a, const ScalarKey& b, std::strong_ordering expected) {
  SCOPED_TRACE(a.debug_string() + " vs " + b.debug_string());
  EXPECT_TRUE((a <=> b) == expected);
  EXPECT_TRUE((b <=> a) == (0 <=> expected));
  const bool equal = expected == std::strong_ordering::equal;
  EXPECT_EQ(a == b, equal);
  EXPECT_EQ(b == a, equal);
  EXPECT_EQ(a < b, expected == std::strong_ordering::less);
  EXPECT_EQ(b < a, expected == std::strong_ordering::greater);
  if (equal) {
    EXPECT_EQ(a.hash(), b.hash());
  }
}

// ---------------------------------------------------------------------------------------
// ScalarKey

TEST(ScalarKeyTest, KindsAndAccessors) {
  EXPECT_EQ(ScalarKey().kind(), Kind::kNull);
  EXPECT_TRUE(ScalarKey::null().is_null());
  EXPECT_EQ(ScalarKey::from_bool(false).kind(), Kind::kFalse);
  EXPECT_EQ(ScalarKey::from_bool(true).kind(), Kind::kTrue);
  EXPECT_TRUE(ScalarKey::from_bool(true).bool_value());
  EXPECT_EQ(I(-7).kind(), Kind::kNumber);
  EXPECT_EQ(I(-7).int64_value(), -7);
  EXPECT_EQ(U(kUint64Max).uint64_value(), kUint64Max);
  EXPECT_EQ(D(0.25).double_value(), 0.25);
  EXPECT_EQ(S("abc").kind(), Kind::kString);
  EXPECT_EQ(S("abc").string_value(), "abc");
  EXPECT_EQ(ScalarKey::from_string(std::string("moved")).string_value(), "moved");
  EXPECT_EQ(ScalarKey::from_string("literal").string_value(), "literal");
  EXPECT_EQ(ScalarKey::from_string(std::string_view("a\0b", 3)).string_value().size(), 3u);
}

TEST(ScalarKeyTest, NumbersAreHeldInCanonicalForm) {
  struct Case {
    ScalarKey key;
    Rep rep;
  };
  const Case cases[] = {
      {U(30), Rep::kInt64},
      {D(30.0), Rep::kInt64},
      {D(-0.0), Rep::kInt64},
      {D(-kTwo63), Rep::kInt64},
      {U(static_cast<std::uint64_t>(kInt64Max)), Rep::kInt64},
      {U(static_cast<std::uint64_t>(kInt64Max) + 1), Rep::kUint64},
      {D(kTwo63), Rep::kUint64},
      {D(std::nextafter(kTwo64, 0.0)), Rep::kUint64},
      {D(kTwo64), Rep::kDouble},
      {D(std::nextafter(-kTwo63, -kTwo64)), Rep::kDouble},
      {D(0.5), Rep::kDouble},
      {D(-1e300), Rep::kDouble},
      {D(5e-324), Rep::kDouble},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key.debug_string());
    EXPECT_EQ(c.key.number_rep(), c.rep);
  }
  EXPECT_EQ(D(-0.0).int64_value(), 0);
  EXPECT_EQ(D(kTwo63).uint64_value(), 9223372036854775808ull);
}

TEST(ScalarKeyTest, EqualNumbersAcrossRepresentations) {
  const std::vector<std::vector<ScalarKey>> groups = {
      {I(30), U(30), D(30.0)},
      {I(0), U(0), D(0.0), D(-0.0)},
      {I(-1), D(-1.0)},
      {I(9007199254740992), U(9007199254740992), D(kTwo53)},
      {I(kInt64Min), D(-kTwo63)},
      {U(9223372036854775808ull), D(kTwo63)},
      {U(18446744073709549568ull), D(18446744073709549568.0)},  // largest double < 2^64
      {U(kUint64Max)},
      {D(0.5)},
      {D(kTwo64)},
  };
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (const ScalarKey& a : groups[g]) {
      for (const ScalarKey& b : groups[g]) expect_order(a, b, std::strong_ordering::equal);
      // Groups are listed in no order; values across groups just must differ.
      for (std::size_t h = 0; h < groups.size(); ++h) {
        if (h == g) continue;
        for (const ScalarKey& b : groups[h]) {
          EXPECT_NE(a, b) << a.debug_string() << " vs " << b.debug_string();
        }
      }
    }
  }
}

TEST(ScalarKeyTest, ExactNumericEdgeCases) {
  const auto less = std::strong_ordering::less;
  const auto greater = std::strong_ordering::greater;
  const auto equal = std::strong_ordering::equal;
  // 2^53 + 1 is not a double; it is strictly between 2^53 and 2^53 + 2.
  expect_order(I(9007199254740993), D(kTwo53), greater);
  expect_order(I(9007199254740993), D(9007199254740994.0), less);
  expect_order(U(9007199254740993), D(kTwo53), greater);
  expect_order(I(9007199254740992), D(kTwo53), equal);
  // int64 max sits between the doubles 2^63 - 1024 and 2^63.
  expect_order(I(kInt64Max), D(kTwo63), less);
  expect_order(I(kInt64Max), D(9223372036854774784.0), greater);
  expect_order(I(kInt64Max), U(9223372036854775808ull), less);
  // int64 min is exactly -2^63; the next double below is -2^63 - 2048.
  expect_order(I(kInt64Min), D(-kTwo63), equal);
  expect_order(I(kInt64Min), D(-9223372036854777856.0), greater);
  expect_order(I(kInt64Min + 1), D(-kTwo63), greater);
  expect_order(I(kInt64Min), D(-1e300), greater);
  // uint64 max sits between the largest double below 2^64 and 2^64.
  expect_order(U(kUint64Max), D(kTwo64), less);
  expect_order(U(kUint64Max), D(18446744073709549568.0), greater);
  expect_order(U(kUint64Max), D(1e300), less);
  expect_order(U(9223372036854775809ull), D(kTwo63), greater);
  expect_order(U(kUint64Max), I(kInt64Max), greater);
  expect_order(U(kUint64Max), D(-0.5), greater);
  // Fractions fall strictly between integers, negative ones included.
  expect_order(I(0), D(0.5), less);
  expect_order(I(1), D(0.5), greater);
  expect_order(I(-1), D(-0.5), less);
  expect_order(I(0), D(-0.5), greater);
  expect_order(I(-2), D(-1.5), less);
  expect_order(D(-0.0), D(0.0), equal);
  expect_order(D(-0.0), I(0), equal);
  expect_order(D(5e-324), I(0), greater);
  expect_order(D(-5e-324), I(0), less);
  expect_order(D(0.1), D(0.2), less);
  expect_order(D(1e300), D(kTwo64), greater);
}

TEST(ScalarKeyTest, TotalOrderAcrossKinds) {
  // Strictly ascending.
  const std::vector<ScalarKey> keys = {
      ScalarKey::null(),
      ScalarKey::from_bool(false),
      ScalarKey::from_bool(true),
      D(-1e300),
      D(-9223372036854777856.0),
      I(kInt64Min),
      I(kInt64Min + 1),
      D(-1.5),
      I(-1),
      D(-0.5),
      I(0),
      D(5e-324),
      D(0.5),
      I(1),
      I(9007199254740992),
      I(9007199254740993),
      D(9007199254740994.0),
      I(kInt64Max),
      U(9223372036854775808ull),
      U(9223372036854775809ull),
      D(18446744073709549568.0),
      U(kUint64Max),
      D(kTwo64),
      D(1e300),
      S(""),
      S(std::string_view("\0", 1)),
      S("A"),
      S("a"),
      S("ab"),
      S("b"),
      S("\x7f"),
      S("\x80"),  // bytes compare unsigned: 0x80 after 0x7f
      S("\xc3\xa9"),
      S("\xff"),
  };
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t j = 0; j < keys.size(); ++j) {
      expect_order(keys[i], keys[j], i <=> j);
    }
  }
}

TEST(ScalarKeyTest, HashAgreesWithEquality) {
  EXPECT_EQ(I(30).hash(), D(30.0).hash());
  EXPECT_EQ(U(30).hash(), D(30.0).hash());
  EXPECT_EQ(D(-0.0).hash(), D(0.0).hash());
  EXPECT_EQ(S("x").hash(), S(std::string("x")).hash());
  EXPECT_EQ(ScalarKey::null().hash(), ScalarKey().hash());
  // Not required, but a hash that collides on these would make every table slow.
  EXPECT_NE(I(-1).hash(), U(kUint64Max).hash());
  EXPECT_NE(ScalarKey::from_bool(false).hash(), ScalarKey::from_bool(true).hash());
  EXPECT_NE(I(1).hash(), I(2).hash());
}

TEST(ScalarKeyTest, FromValueMatchesFactories) {
  EXPECT_EQ(ScalarKey::from_value(ScalarValue()), ScalarKey::null());
  EXPECT_EQ(ScalarKey::from_value(ScalarValue(true)), ScalarKey::from_bool(true));
  EXPECT_EQ(ScalarKey::from_value(ScalarValue(std::int64_t{-3})), I(-3));
  EXPECT_EQ(ScalarKey::from_value(ScalarValue(kUint64Max)), U(kUint64Max));
  EXPECT_EQ(ScalarKey::from_value(ScalarValue(30.0)), I(30));
  EXPECT_EQ(ScalarKey::from_value(ScalarValue(std::string("s"))), S("s"));
}

TEST(ScalarKeyTest, AllocatedBytesOnlyForLongStrings) {
  EXPECT_EQ(I(1).allocated_bytes(), 0u);
  EXPECT_EQ(ScalarKey().allocated_bytes(), 0u);
  EXPECT_EQ(S("short").allocated_bytes(), 0u);
  const ScalarKey long_key = S(std::string(100, 'x'));
  EXPECT_GE(long_key.allocated_bytes(), 101u);
  // A copy or a move keeps the accounting truthful.
  const ScalarKey copy = long_key;
  EXPECT_GE(copy.allocated_bytes(), 101u);
  ScalarKey source = S(std::string(40, 'y'));
  const std::size_t before = source.allocated_bytes();
  const ScalarKey moved = std::move(source);
  EXPECT_EQ(moved.allocated_bytes(), before);
}

TEST(ScalarKeyTest, DebugString) {
  EXPECT_EQ(ScalarKey().debug_string(), "null");
  EXPECT_EQ(ScalarKey::from_bool(true).debug_string(), "true");
  EXPECT_EQ(D(30.0).debug_string(), "30");
  EXPECT_EQ(D(0.1).debug_string(), "0.1");
  EXPECT_EQ(U(kUint64Max).debug_string(), "18446744073709551615");
  EXPECT_EQ(S("a").debug_string(), "\"a\"");
}

// The reference: x86-64's long double has a 64-bit significand, so it holds every int64,
// uint64 and double exactly and compares them without rounding.
static_assert(std::numeric_limits<long double>::digits >= 64);

struct Reference {
  int rank;  // 0 null, 1 false, 2 true, 3 number, 4 string
  long double number = 0;
  std::string text;

  std::strong_ordering compare(const Reference& o) const {
    if (rank != o.rank) return rank <=> o.rank;
    if (rank == 3) {
      if (number < o.number) return std::strong_ordering::less;
      if (number > o.number) return std::strong_ordering::greater;
      return std::strong_ordering::equal;
    }
    if (rank == 4) {
      // Unsigned bytes, spelled out rather than trusting std::string's traits.
      const bool lt = std::lexicographical_compare(
          text.begin(), text.end(), o.text.begin(), o.text.end(), [](char a, char b) {
            return static_cast<unsigned char>(a) < static_cast<unsigned char>(b);
          });
      if (lt) return std::strong_ordering::less;
      return text == o.text ? std::strong_ordering::equal : std::strong_ordering::greater;
    }
    return std::strong_ordering::equal;
  }
};

struct Sample {
  ScalarKey key;
  Reference ref;
};

class SampleGenerator {
 public:
  explicit SampleGenerator(std::uint64_t seed) : rng_(seed) {}

  // Appends one value, often in several representations, so equal values across types
  // are common rather than accidental.
  void add_some(std::vector<Sample>& out) {
    switch (pick(12)) {
      case 0:
        add_int(out, static_cast<std::int64_t>(rng_()));
        break;
      case 1:
        add_int(out, static_cast<std::int64_t>(pick(2001)) - 1000);
        break;
      case 2:
        add_int(out, near(static_cast<std::int64_t>(1) << 53, 4));
        break;
      case 3:
        add_int(out, pick(2) ? kInt64Max - static_cast<std::int64_t>(pick(3000))
                             : kInt64Min + static_cast<std::int64_t>(pick(3000)));
        break;
      case 4:
        add_uint(out, rng_());
        break;
      case 5:
        add_uint(out, kUint64Max - pick(5000));
        break;
      case 6:
        add_uint(out, 9223372036854775808ull + pick(5000) - 2500);
        break;
      case 7: {
        double d;
        do {
          d = std::bit_cast<double>(rng_());
        } while (!std::isfinite(d));
        add_double(out, d);
        break;
      }
      case 8: {
        // Around the powers of two where rounding bites, a few ulps either way.
        static constexpr double kEdges[] = {kTwo53, kTwo63, kTwo64, -kTwo63, -kTwo53};
        double d = kEdges[pick(5)];
        const int steps = static_cast<int>(pick(9)) - 4;
        for (int i = 0; i < steps; ++i) d = std::nextafter(d, 1e308);
        for (int i = 0; i > steps; --i) d = std::nextafter(d, -1e308);
        add_double(out, d);
        break;
      }
      case 9:
        add_double(out, (static_cast<double>(pick(41)) - 20) / 4);  // halves, quarters, -0
        if (pick(4) == 0) add_double(out, -0.0);
        break;
      case 10: {
        std::string s;
        const std::size_t n = pick(4);
        static constexpr char kBytes[] = {'\0', 'a', 'b', '\x7f', '\x80', '\xff'};
        for (std::size_t i = 0; i < n; ++i) s.push_back(kBytes[pick(6)]);
        out.push_back({S(s), Reference{4, 0, s}});
        break;
      }
      default: {
        const std::uint64_t k = pick(3);
        if (k == 0) out.push_back({ScalarKey::null(), Reference{0}});
        if (k == 1) out.push_back({ScalarKey::from_bool(false), Reference{1}});
        if (k == 2) out.push_back({ScalarKey::from_bool(true), Reference{2}});
        break;
      }
    }
  }

 private:
  std::uint64_t pick(std::uint64_t n) { return rng_() % n; }
  std::int64_t near(std::int64_t center, std::int64_t spread) {
    return center + static_cast<std::int64_t>(pick(2 * spread + 1)) - spread;
  }
  void add_int(std::vector<Sample>& out, std::int64_t v) {
    const long double ref = static_cast<long double>(v);
    out.push_back({I(v), Reference{3, ref}});
    if (v >= 0) out.push_back({U(static_cast<std::uint64_t>(v)), Reference{3, ref}});
    add_double_if_exact(out, ref);
  }
  void add_uint(std::vector<Sample>& out, std::uint64_t v) {
    const long double ref = static_cast<long double>(v);
    out.push_back({U(v), Reference{3, ref}});
    if (v <= static_cast<std::uint64_t>(kInt64Max)) {
      out.push_back({I(static_cast<std::int64_t>(v)), Reference{3, ref}});
    }
    add_double_if_exact(out, ref);
  }
  void add_double(std::vector<Sample>& out, double d) {
    out.push_back({D(d), Reference{3, static_cast<long double>(d)}});
    // Integral doubles in range also appear as integers.
    const long double ref = static_cast<long double>(d);
    if (std::trunc(d) == d) {
      if (ref >= -9223372036854775808.0L && ref < 9223372036854775808.0L) {
        out.push_back({I(static_cast<std::int64_t>(d)), Reference{3, ref}});
      } else if (ref >= 0 && ref < 18446744073709551616.0L) {
        out.push_back({U(static_cast<std::uint64_t>(d)), Reference{3, ref}});
      }
    }
  }
  void add_double_if_exact(std::vector<Sample>& out, long double ref) {
    const auto d = static_cast<double>(ref);
    if (static_cast<long double>(d) == ref) out.push_back({D(d), Reference{3, ref}});
  }

  std::mt19937_64 rng_;
};

TEST(ScalarKeyTest, RandomizedAgainstLongDoubleReference) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SampleGenerator gen(seed);
    std::vector<Sample> samples;
    while (samples.size() < 1200) gen.add_some(samples);
    std::size_t equal_pairs = 0;
    for (const Sample& a : samples) {
      for (const Sample& b : samples) {
        const std::strong_ordering expected = a.ref.compare(b.ref);
        const std::strong_ordering actual = a.key <=> b.key;
        if (actual != expected || (a.key == b.key) != (expected == 0)) {
          ADD_FAILURE() << a.key.debug_string() << " vs " << b.key.debug_string();
          return;
        }
        if (expected == 0) {
          ++equal_pairs;
          ASSERT_EQ(a.key.hash(), b.key.hash()) << a.key.debug_string();
        }
      }
    }
    // The generator is meant to produce many cross-representation equalities.
    EXPECT_GT(equal_pairs, 2 * samples.size());
  }
}

// ---------------------------------------------------------------------------------------
// bitmap_memory

TEST(BitmapMemoryTest, CountsEveryContainerKind) {
  Bitmap empty;
  EXPECT_EQ(bitmap_memory(empty).bytes, 0u);
  EXPECT_EQ(bitmap_memory(empty).heap_bytes, 0u);

  Bitmap one;
  one.add(7);
  const MemoryCounter m1 = bitmap_memory(one);
  EXPECT_GT(m1.bytes, 0u);
  EXPECT_GE(m1.heap_bytes, m1.bytes);
  // More than the serialized size: headers, the key array and the array's capacity.
  EXPECT_GT(m1.bytes, one.getSizeInBytes());

  Bitmap dense;  // 10'000 values in one chunk: a bitset container
  for (std::uint32_t i = 0; i < 20'000; i += 2) dense.add(i);
  EXPECT_GE(bitmap_memory(dense).bytes, 8192u);

  Bitmap runs;  // a run container after run optimisation
  runs.addRange(0, 60'000);
  runs.runOptimize();
  runs.shrinkToFit();
  EXPECT_LT(bitmap_memory(runs).bytes, 200u);

  Bitmap spread;  // one container per 64 Ki chunk
  for (std::uint32_t c = 0; c < 100; ++c) spread.add(c << 16);
  EXPECT_GT(bitmap_memory(spread).bytes, 100 * bitmap_memory(one).bytes / 4);
}

TEST(BitmapMemoryTest, ShrinkToFitReturnsCapacity) {
  Bitmap b;
  for (std::uint32_t i = 0; i < 3000; ++i) b.add(i * 3);
  for (std::uint32_t i = 0; i < 2990; ++i) b.remove(i * 3);
  const std::uint64_t before = bitmap_memory(b).bytes;
  b.shrinkToFit();
  EXPECT_LT(bitmap_memory(b).bytes, before);
}

// ---------------------------------------------------------------------------------------
// HashIndex

TEST(HashIndexTest, AddLookupRemove) {
  HashIndex index;
  EXPECT_EQ(HashIndex::kType, FieldIndexType::kHash);
  EXPECT_EQ(index.distinct_keys(), 0u);
  EXPECT_EQ(index.lookup(I(30)), nullptr);

  index.add(I(30), 1);
  index.add(D(30.0), 2);  // the same key
  index.add(U(30), 3);
  index.add(S("thirty"), 4);
  index.add(ScalarKey::null(), 5);
  index.add(ScalarKey::from_bool(false), 6);
  index.add(I(30), 1);  // again: no change
  EXPECT_EQ(index.distinct_keys(), 4u);
  EXPECT_THAT(docs_of(index.lookup(D(30.0))), ElementsAre(1, 2, 3));
  EXPECT_THAT(docs_of(index.lookup(S("thirty"))), ElementsAre(4));
  EXPECT_THAT(docs_of(index.lookup(ScalarKey::null())), ElementsAre(5));
  EXPECT_THAT(docs_of(index.lookup(ScalarKey::from_bool(false))), ElementsAre(6));
  EXPECT_EQ(index.lookup(ScalarKey::from_bool(true)), nullptr);
  EXPECT_EQ(index.lookup(S("30")), nullptr);

  EXPECT_TRUE(index.remove(U(30), 2));
  EXPECT_FALSE(index.remove(I(30), 2));   // already gone
  EXPECT_FALSE(index.remove(I(31), 1));   // no such key
  EXPECT_FALSE(index.remove(S("x"), 1));  // no such key
  EXPECT_THAT(docs_of(index.lookup(I(30))), ElementsAre(1, 3));
  EXPECT_TRUE(index.remove(I(30), 1));
  EXPECT_TRUE(index.remove(D(30.0), 3));
  EXPECT_EQ(index.lookup(I(30)), nullptr);  // erased, not empty
  EXPECT_EQ(index.distinct_keys(), 3u);

  std::set<std::string> seen;
  index.for_each([&](const ScalarKey& k, const Bitmap& b) {
    EXPECT_FALSE(b.isEmpty());
    seen.insert(k.debug_string());
  });
  EXPECT_THAT(seen, ElementsAre("\"thirty\"", "false", "null"));
}

TEST(HashIndexTest, BytesGrowAndReturnAfterRemoval) {
  HashIndex index;
  EXPECT_EQ(index.bytes(), 0u);
  EXPECT_EQ(index.heap_bytes(), 0u);
  const std::string long_text(200, 'k');
  for (DocNumber d = 0; d < 5000; ++d) {
    index.add(I(d % 100), d);
    index.add(S(long_text + std::to_string(d % 7)), d);
  }
  EXPECT_EQ(index.distinct_keys(), 107u);
  const std::uint64_t full = index.bytes();
  // At least the long keys' buffers and one bitmap container per key.
  EXPECT_GT(full, 7 * 201u + 107 * 16u);
  EXPECT_GE(index.heap_bytes(), full);

  // Removing some docs keeps every key: bytes may not drop (capacity stays) but never grow.
  for (DocNumber d = 0; d < 2500; ++d) EXPECT_TRUE(index.remove(I(d % 100), d));
  EXPECT_LE(index.bytes(), full);
  index.shrink_to_fit();
  EXPECT_LT(index.bytes(), full);
  for (DocNumber d = 2500; d < 5000; ++d) EXPECT_TRUE(index.remove(I(d % 100), d));
  for (DocNumber d = 0; d < 5000; ++d)
    EXPECT_TRUE(index.remove(S(long_text + std::to_string(d % 7)), d));
  EXPECT_EQ(index.distinct_keys(), 0u);
  EXPECT_EQ(index.bytes(), 0u);
  EXPECT_EQ(index.heap_bytes(), 0u);
}

// A chunk (65536 doc numbers) of an equality bitmap becomes a bitset from 2048 docs and
// turns back below 1024 (field_index.cc, "Dense containers"): through adds and removes
// that cross those thresholds both ways, in random order, the bitmap holds exactly the
// model's docs, a removal says whether the doc was there, intersections with another
// bitmap count right, and the bytes follow the containers' types.
TEST(HashIndexTest, ChunksCrossTheDenseThresholdsExactly) {
  HashIndex index;
  std::mt19937_64 rng(11);
  std::set<DocNumber> model;
  Bitmap other;  // every third doc number, over the same chunks
  for (DocNumber d = 0; d < 3 * 65536; d += 3) other.add(d);
  const ScalarKey key = I(1);
  auto check = [&](const char* when) {
    const Bitmap* b = index.lookup(key);
    if (model.empty()) {
      ASSERT_EQ(b, nullptr) << when;
      return;
    }
    ASSERT_NE(b, nullptr) << when;
    ASSERT_EQ(b->cardinality(), model.size()) << when;
    std::vector<DocNumber> got(model.size());
    b->toUint32Array(got.data());
    ASSERT_TRUE(std::equal(got.begin(), got.end(), model.begin())) << when;
    std::uint64_t both = 0;
    for (DocNumber d : model) both += d % 3 == 0 ? 1 : 0;
    ASSERT_EQ(b->and_cardinality(other), both) << when;
    ASSERT_EQ(other.and_cardinality(*b), both) << when;
  };
  // Two chunks fill up past the dense threshold (and past CRoaring's own 4096 in one).
  for (int i = 0; i < 6000; ++i) {
    const DocNumber d = static_cast<DocNumber>(rng() % 65536) + (i % 3 == 0 ? 65536 : 0);
    index.add(key, d);
    model.insert(d);
  }
  check("after filling");
  const std::uint64_t dense_bytes = index.bytes();
  // Random removals and re-adds, then drain to empty; both directions cross 2048 and 1024.
  std::vector<DocNumber> held(model.begin(), model.end());
  for (int round = 0; round < 4; ++round) {
    std::shuffle(held.begin(), held.end(), rng);
    const std::size_t drop = held.size() * 3 / 4;
    for (std::size_t i = 0; i < drop; ++i) {
      ASSERT_TRUE(index.remove(key, held[i]));
      ASSERT_FALSE(index.remove(key, held[i])) << "removed twice";
      model.erase(held[i]);
    }
    check("after removals");
    for (std::size_t i = 0; i < drop / 2; ++i) {
      index.add(key, held[i]);
      model.insert(held[i]);
    }
    check("after re-adds");
    held.assign(model.begin(), model.end());
  }
  EXPECT_LT(index.bytes(), dense_bytes);
  for (DocNumber d : held) ASSERT_TRUE(index.remove(key, d));
  model.clear();
  check("drained");
  EXPECT_EQ(index.bytes(), 0u);
}

#if defined(__GLIBC__) && !defined(KORA_TEST_ASAN)
// bytes() claims to be real memory: check heap_bytes() against what glibc reports in use.
TEST(HashIndexTest, HeapBytesMatchMallocStatistics) {
  std::vector<ScalarKey> keys;
  std::vector<DocNumber> docs;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20'000; ++i) {
    keys.push_back(i % 3 == 0 ? S("a fairly long string key number " + std::to_string(i))
                              : I(static_cast<std::int64_t>(rng() % 1'000'000)));
    docs.push_back(static_cast<DocNumber>(rng() % 300'000));
  }
  const std::size_t before = mallinfo2().uordblks;
  auto index = std::make_unique<HashIndex>();
  for (std::size_t i = 0; i < keys.size(); ++i) index->add(keys[i], docs[i]);
  for (DocNumber d = 0; d < 100'000; ++d) index->add(I(-1), d);  // bitsets and runs too
  const std::size_t used = mallinfo2().uordblks - before;
  const std::uint64_t claimed = index->heap_bytes() + heap_bytes(index.get(), sizeof(HashIndex));
  EXPECT_NEAR(static_cast<double>(claimed), static_cast<double>(used), 0.01 * used)
      << "claimed " << claimed << ", malloc says " << used;
}
#endif

// ---------------------------------------------------------------------------------------
// ArrayIndex

TEST(ArrayIndexTest, ElementsAddRemoveAndRepeats) {
  ArrayIndex index;
  EXPECT_EQ(ArrayIndex::kType, FieldIndexType::kArray);
  // doc 1: ["a", "b", "a", 1, 1.0, null]; doc 2: ["b", 2]; doc 3: ["a"]
  const std::vector<ScalarKey> doc1 = {S("a"), S("b"), S("a"), I(1), D(1.0), ScalarKey()};
  const std::vector<ScalarKey> doc2 = {S("b"), I(2)};
  index.add_elements(doc1, 1);
  index.add_elements(doc2, 2);
  index.add(S("a"), 3);
  EXPECT_EQ(index.distinct_keys(), 5u);
  EXPECT_THAT(docs_of(index.lookup(S("a"))), ElementsAre(1, 3));
  EXPECT_THAT(docs_of(index.lookup(S("b"))), ElementsAre(1, 2));
  EXPECT_THAT(docs_of(index.lookup(D(1.0))), ElementsAre(1));
  EXPECT_THAT(docs_of(index.lookup(ScalarKey())), ElementsAre(1));
  EXPECT_EQ(index.lookup(S("c")), nullptr);

  // Removing doc 1 by its distinct elements (repeats are harmless too).
  index.remove_elements(doc1, 1);
  EXPECT_EQ(index.distinct_keys(), 3u);
  EXPECT_THAT(docs_of(index.lookup(S("a"))), ElementsAre(3));
  EXPECT_THAT(docs_of(index.lookup(S("b"))), ElementsAre(2));
  EXPECT_EQ(index.lookup(I(1)), nullptr);
  EXPECT_EQ(index.lookup(ScalarKey()), nullptr);

  const std::uint64_t some = index.bytes();
  EXPECT_GT(some, 0u);
  index.remove_elements(doc2, 2);
  index.remove(S("a"), 3);
  EXPECT_EQ(index.distinct_keys(), 0u);
  EXPECT_EQ(index.bytes(), 0u);
}

// ---------------------------------------------------------------------------------------
// SortedIndex

// A sorted index and a plain model of it, kept in step.
class SortedIndexTest : public ::testing::Test {
 protected:
  void add(const ScalarKey& key, DocNumber doc) {
    index_.add(key, doc);
    model_.emplace_back(key, doc);
  }

  std::vector<DocNumber> expected(const KeyRange& r) const {
    std::vector<DocNumber> out;
    for (const auto& [key, doc] : model_) {
      if (in_range(key, r)) out.push_back(doc);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<ScalarKey> expected_keys(const KeyRange& r) const {
    std::set<ScalarKey> keys;
    for (const auto& entry : model_) {
      if (in_range(entry.first, r)) keys.insert(entry.first);
    }
    return {keys.begin(), keys.end()};
  }
  static bool in_range(const ScalarKey& k, const KeyRange& r) {
    if (k.kind() != r.kind) return false;
    if (r.lo && (r.lo->inclusive ? k < r.lo->key : k <= r.lo->key)) return false;
    if (r.hi && (r.hi->inclusive ? k > r.hi->key : k >= r.hi->key)) return false;
    return true;
  }
  std::vector<ScalarKey> keys_of(SortedIndex::Entries e) const {
    std::vector<ScalarKey> out;
    for (const auto& entry : e) out.push_back(entry.first);
    return out;
  }

  void fill() {
    DocNumber d = 0;
    for (const ScalarKey& k : {ScalarKey(), ScalarKey::from_bool(false), ScalarKey::from_bool(true),
                               I(-5), D(-0.5), I(0), D(2.5), I(10), U(kUint64Max), D(1e300), S(""),
                               S("a"), S("ab"), S("b"), S("\xff")}) {
      add(k, d++);
      add(k, d++);
    }
    add(D(10.0), d++);  // same key as 10
  }

  SortedIndex index_;
  std::vector<std::pair<ScalarKey, DocNumber>> model_;
};

TEST_F(SortedIndexTest, RangesWithEveryBoundCombination) {
  fill();
  // Bounds on present keys, on absent keys between them, and beyond both ends.
  const std::vector<ScalarKey> numbers = {D(-1e300),     I(-5),    I(-1),   D(-0.5),
                                          I(0),          D(2.5),   I(3),    I(10),
                                          U(kUint64Max), D(1e300), D(1e301)};
  const std::vector<ScalarKey> strings = {S(""),  S("a"), S("aa"),   S("ab"),
                                          S("b"), S("c"), S("\xff"), S("\xff\xff")};
  int checked = 0;
  for (const auto* keys : {&numbers, &strings}) {
    const Kind kind = (*keys)[0].kind();
    std::vector<std::optional<KeyBound>> bounds = {std::nullopt};
    for (const ScalarKey& k : *keys) {
      bounds.push_back(KeyBound{k, true});
      bounds.push_back(KeyBound{k, false});
    }
    for (const auto& lo : bounds) {
      for (const auto& hi : bounds) {
        const KeyRange r{.kind = kind, .lo = lo, .hi = hi};
        SCOPED_TRACE((lo ? (lo->inclusive ? "[" : "(") + lo->key.debug_string() : "(-inf") + ", " +
                     (hi ? hi->key.debug_string() + (hi->inclusive ? "]" : ")") : "+inf)"));
        const std::vector<DocNumber> want = expected(r);
        ASSERT_THAT(docs_of(index_.range_union(r)), ElementsAreArray(want));
        ASSERT_EQ(index_.range_cardinality(r), want.size());
        ASSERT_THAT(keys_of(index_.entries(r)), ElementsAreArray(expected_keys(r)));
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 23 * 23 + 17 * 17);
}

TEST_F(SortedIndexTest, RangeEdgeCases) {
  fill();
  const auto docs = [&](const KeyRange& r) { return docs_of(index_.range_union(r)); };
  // Whole kinds.
  EXPECT_THAT(docs({.kind = Kind::kNumber}), ElementsAreArray(expected({.kind = Kind::kNumber})));
  EXPECT_EQ(index_.range_cardinality({.kind = Kind::kNumber}), 15u);
  EXPECT_EQ(index_.range_cardinality({.kind = Kind::kString}), 10u);
  // `p > 5` never reaches strings; `p < "a"` never reaches numbers.
  EXPECT_THAT(docs({.kind = Kind::kNumber, .lo = KeyBound{I(5), false}}),
              ElementsAre(14, 15, 16, 17, 18, 19, 30));
  EXPECT_THAT(docs({.kind = Kind::kString, .hi = KeyBound{S("a"), false}}), ElementsAre(20, 21));
  // Equal bounds: a point when both are inclusive, otherwise nothing.
  EXPECT_THAT(docs({.kind = Kind::kNumber, .lo = KeyBound{I(10)}, .hi = KeyBound{D(10.0)}}),
              ElementsAre(14, 15, 30));
  EXPECT_THAT(docs({.kind = Kind::kNumber, .lo = KeyBound{I(10), false}, .hi = KeyBound{I(10)}}),
              IsEmpty());
  // lo > hi, kinds that have no ranges, and bounds of the wrong kind: empty.
  EXPECT_THAT(docs({.kind = Kind::kNumber, .lo = KeyBound{I(11)}, .hi = KeyBound{I(10)}}),
              IsEmpty());
  EXPECT_THAT(docs({.kind = Kind::kNull}), IsEmpty());
  EXPECT_THAT(docs({.kind = Kind::kTrue}), IsEmpty());
  EXPECT_THAT(docs({.kind = Kind::kNumber, .lo = KeyBound{S("a")}}), IsEmpty());
  EXPECT_THAT(docs({.kind = Kind::kString, .hi = KeyBound{I(3)}}), IsEmpty());
  EXPECT_EQ(index_.range_cardinality(
                {.kind = Kind::kNumber, .lo = KeyBound{I(11)}, .hi = KeyBound{I(10)}}),
            0u);
  // An index without strings or without numbers.
  SortedIndex only_numbers;
  only_numbers.add(I(1), 1);
  EXPECT_TRUE(only_numbers.range_union({.kind = Kind::kString}).isEmpty());
  EXPECT_EQ(only_numbers.range_cardinality({.kind = Kind::kNumber}), 1u);
  SortedIndex empty;
  EXPECT_TRUE(empty.range_union({.kind = Kind::kNumber}).isEmpty());
  EXPECT_TRUE(empty.entries({.kind = Kind::kString}).empty());
}

TEST_F(SortedIndexTest, LookupAndIterationInBothDirections) {
  fill();
  EXPECT_EQ(SortedIndex::kType, FieldIndexType::kSorted);
  EXPECT_EQ(index_.distinct_keys(), 15u);
  EXPECT_THAT(docs_of(index_.lookup(D(10.0))), ElementsAre(14, 15, 30));
  EXPECT_THAT(docs_of(index_.lookup(ScalarKey())), ElementsAre(0, 1));
  EXPECT_EQ(index_.lookup(I(11)), nullptr);

  std::vector<ScalarKey> ascending, descending;
  EXPECT_TRUE(index_.for_each(false, [&](const ScalarKey& k, const Bitmap&) {
    ascending.push_back(k);
    return true;
  }));
  EXPECT_TRUE(index_.for_each(true, [&](const ScalarKey& k, const Bitmap&) {
    descending.push_back(k);
    return true;
  }));
  ASSERT_EQ(ascending.size(), 15u);
  EXPECT_TRUE(std::is_sorted(ascending.begin(), ascending.end()));
  EXPECT_EQ(ascending.front(), ScalarKey());
  EXPECT_EQ(ascending.back(), S("\xff"));
  EXPECT_THAT(descending, ElementsAreArray(ascending.rbegin(), ascending.rend()));

  // Top-k: ORDER BY p DESC LIMIT 5 over numbers, stopping once k docs are collected.
  std::vector<DocNumber> top;
  int visited = 0;
  const bool finished = index_.for_each(KeyRange{.kind = Kind::kNumber}, true,
                                        [&](const ScalarKey&, const Bitmap& b) {
                                          ++visited;
                                          for (DocNumber d : docs_of(b)) {
                                            if (top.size() == 5) break;
                                            top.push_back(d);
                                          }
                                          return top.size() < 5;
                                        });
  EXPECT_FALSE(finished);
  EXPECT_EQ(visited, 3);                              // 1e300, uint64 max, 10
  EXPECT_THAT(top, ElementsAre(18, 19, 16, 17, 14));  // descending keys, docs ascending

  // Ranges walk backwards too.
  const KeyRange strings{.kind = Kind::kString, .lo = KeyBound{S("a")}};
  std::vector<ScalarKey> back;
  const SortedIndex::Entries e = index_.entries(strings);
  for (auto it = e.rbegin(); it != e.rend(); ++it) back.push_back(it->first);
  EXPECT_THAT(back, ElementsAre(S("\xff"), S("b"), S("ab"), S("a")));
}

TEST_F(SortedIndexTest, RemovalsKeepDistinctKeysExactAndBytesReturn) {
  EXPECT_EQ(index_.bytes(), 0u);
  fill();
  const std::uint64_t full = index_.bytes();
  EXPECT_GT(full, 0u);
  EXPECT_GE(index_.heap_bytes(), full);
  EXPECT_TRUE(index_.remove(D(10.0), 14));
  EXPECT_FALSE(index_.remove(D(10.0), 14));
  EXPECT_EQ(index_.distinct_keys(), 15u);
  EXPECT_TRUE(index_.remove(I(10), 15));
  EXPECT_TRUE(index_.remove(I(10), 30));
  EXPECT_EQ(index_.distinct_keys(), 14u);
  EXPECT_EQ(index_.lookup(I(10)), nullptr);
  EXPECT_LT(index_.bytes(), full);
  EXPECT_EQ(index_.range_cardinality({.kind = Kind::kNumber}), 12u);
  for (const auto& [key, doc] : model_) index_.remove(key, doc);
  EXPECT_EQ(index_.distinct_keys(), 0u);
  EXPECT_EQ(index_.bytes(), 0u);
  EXPECT_EQ(index_.heap_bytes(), 0u);
}

// ---------------------------------------------------------------------------------------
// UniqueIndex

TEST(UniqueIndexTest, ClashesAcrossNumberRepresentations) {
  UniqueIndex index;
  EXPECT_EQ(UniqueIndex::kType, FieldIndexType::kUnique);
  EXPECT_EQ(index.check(I(1), 10), std::nullopt);
  EXPECT_TRUE(index.insert(I(1), 10));
  EXPECT_THAT(index.check(D(1.0), 11), Optional(10u));  // 1 and 1.0 clash
  EXPECT_THAT(index.check(U(1), 11), Optional(10u));
  EXPECT_EQ(index.check(D(1.0), 10), std::nullopt);  // the holder itself: no clash
  EXPECT_FALSE(index.insert(D(1.0), 11));            // refused, nothing changed
  EXPECT_THAT(index.find(I(1)), Optional(10u));
  EXPECT_TRUE(index.insert(D(1.0), 10));  // already held by 10
  EXPECT_EQ(index.distinct_keys(), 1u);

  EXPECT_TRUE(index.insert(S("alice@example.com"), 11));
  EXPECT_THAT(index.check(S("alice@example.com"), 12), Optional(11u));
  EXPECT_EQ(index.check(S("bob@example.com"), 12), std::nullopt);
  EXPECT_EQ(index.check(D(1.5), 12), std::nullopt);
  EXPECT_EQ(index.distinct_keys(), 2u);

  EXPECT_FALSE(index.erase(I(1), 11));  // not the holder
  EXPECT_THAT(index.find(I(1)), Optional(10u));
  EXPECT_TRUE(index.erase(D(1.0), 10));
  EXPECT_FALSE(index.erase(D(1.0), 10));
  EXPECT_EQ(index.find(I(1)), std::nullopt);
  EXPECT_TRUE(index.insert(I(1), 11));  // free again
  EXPECT_THAT(index.find(D(1.0)), Optional(11u));
}

TEST(UniqueIndexTest, NullNeverClashes) {
  UniqueIndex index;
  EXPECT_TRUE(index.insert(ScalarKey::null(), 1));
  EXPECT_TRUE(index.insert(ScalarKey::null(), 2));
  EXPECT_EQ(index.check(ScalarKey::null(), 3), std::nullopt);
  EXPECT_EQ(index.distinct_keys(), 0u);
  EXPECT_EQ(index.find(ScalarKey::null()), std::nullopt);
  EXPECT_FALSE(index.erase(ScalarKey::null(), 1));
  // false and true are ordinary values and do clash.
  EXPECT_TRUE(index.insert(ScalarKey::from_bool(false), 1));
  EXPECT_THAT(index.check(ScalarKey::from_bool(false), 2), Optional(1u));
  EXPECT_EQ(index.check(ScalarKey::from_bool(true), 2), std::nullopt);
}

TEST(UniqueIndexTest, BytesGrowAndReturnAfterRemoval) {
  UniqueIndex index;
  EXPECT_EQ(index.bytes(), 0u);
  const std::string long_text(100, 'u');
  for (DocNumber d = 0; d < 1000; ++d) {
    ASSERT_TRUE(index.insert(d % 2 ? I(d) : S(long_text + std::to_string(d)), d));
  }
  EXPECT_EQ(index.distinct_keys(), 1000u);
  // Nodes, buckets and 500 out-of-line strings of > 100 bytes.
  EXPECT_GT(index.bytes(), 500 * 101u + 1000 * 16u);
  EXPECT_GE(index.heap_bytes(), index.bytes());
  for (DocNumber d = 0; d < 1000; ++d) {
    ASSERT_TRUE(index.erase(d % 2 ? I(d) : S(long_text + std::to_string(d)), d));
  }
  EXPECT_EQ(index.distinct_keys(), 0u);
  EXPECT_EQ(index.bytes(), 0u);
  EXPECT_EQ(index.heap_bytes(), 0u);
}

}  // namespace
}  // namespace kora::doc
