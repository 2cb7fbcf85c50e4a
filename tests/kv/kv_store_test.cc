// KvStore unit tests: every method, driven directly (no Database), with an injected clock.
#include "kv/kv_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace kora::kv {
namespace {

using namespace std::literals;
using testing::ElementsAre;
using testing::IsEmpty;
using testing::Optional;
using testing::Pair;
using testing::UnorderedElementsAre;
using testing::UnorderedElementsAreArray;

using Views = std::vector<std::string_view>;
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

constexpr core::TimeMs kStart = 1'700'000'000'000;

// prefix + i. (Built with append: GCC 12 -O3 raises a false -Wrestrict on "k" + to_string(i).)
std::string Numbered(std::string_view prefix, int i) {
  std::string out(prefix);
  out += std::to_string(i);
  return out;
}

class KvStoreTest : public testing::Test {
 protected:
  core::TimeMs now = kStart;
  core::Clock clock{[this] { return now; }};
  KvStore store{clock, KvLimits{}};

  // A readable, order-independent dump of whatever `key` holds, for "unchanged" checks.
  std::string Dump(std::string_view key) {
    const std::string type = *store.key_type(key);
    std::string out = type + ":";
    std::vector<std::string> parts;
    if (type == "string") {
      parts.push_back(**store.get(key));
    } else if (type == "list") {
      parts = *store.lrange(key, 0, -1);
    } else if (type == "hash") {
      const auto fields = store.hgetall(key);  // keep the Result alive while iterating
      for (const auto& [f, v] : *fields) parts.push_back(f + "=" + v);
      std::sort(parts.begin(), parts.end());
    } else if (type == "set") {
      parts = *store.smembers(key);
      std::sort(parts.begin(), parts.end());
    }
    for (const std::string& p : parts) out += p + ",";
    return out;
  }

  std::vector<std::string> Keys(std::string_view glob) {
    std::vector<std::string> out;
    store.keys(glob, out);
    return out;
  }

  void MakeString(std::string_view key, std::string_view value = "v") {
    ASSERT_TRUE(store.set(key, value, std::nullopt).ok());
  }
  void MakeList(std::string_view key) { ASSERT_EQ(*store.rpush(key, Views{"a", "b"}), 2); }
  void MakeHash(std::string_view key) {
    ASSERT_TRUE(*store.hset(key, "f1", "v1"));
    ASSERT_TRUE(*store.hset(key, "f2", "v2"));
  }
  void MakeSet(std::string_view key) { ASSERT_EQ(*store.sadd(key, Views{"m1", "m2"}), 2); }
};

template <class R>
ErrorCode CodeOf(const R& r) {
  return r.status().code();
}

// ---- StringHash ---------------------------------------------------------------------------

TEST(StringHashTest, SameBytesSameHashWhateverTheStringType) {
  StringHash h;
  const std::string s = "some key";
  EXPECT_EQ(h(s), h(std::string_view("some key")));
  EXPECT_EQ(h("a\0b"s), h(std::string_view("a\0b", 3)));
  EXPECT_NE(h("a\0b"s), h("a"s));  // embedded NUL is hashed, not a terminator
  EXPECT_NE(h("a"), h("b"));
  EXPECT_TRUE(StringEqual{}(s, std::string_view("some key")));
  EXPECT_FALSE(StringEqual{}("a\0b"s, "a"s));
}

// ---- Strings ------------------------------------------------------------------------------

TEST_F(KvStoreTest, GetMissingIsNulloptNotError) {
  auto r = store.get("nope");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::nullopt);
}

TEST_F(KvStoreTest, SetThenGetAndOverwrite) {
  ASSERT_TRUE(store.set("k", "v1", std::nullopt).ok());
  EXPECT_THAT(*store.get("k"), Optional("v1"s));
  ASSERT_TRUE(store.set("k", "second value", std::nullopt).ok());
  EXPECT_THAT(*store.get("k"), Optional("second value"s));
  EXPECT_EQ(store.size(), 1u);
}

TEST_F(KvStoreTest, OverwritingLargeValueWithSmallOneKeepsContentExact) {
  ASSERT_TRUE(store.set("k", std::string(100'000, 'x'), std::nullopt).ok());
  ASSERT_TRUE(store.set("k", "y", std::nullopt).ok());
  EXPECT_THAT(*store.get("k"), Optional("y"s));
  ASSERT_TRUE(store.set("k", "", std::nullopt).ok());
  EXPECT_THAT(*store.get("k"), Optional(""s));
}

TEST_F(KvStoreTest, EmptyKeyAndEmptyValueAreReal) {
  ASSERT_TRUE(store.set("", "", std::nullopt).ok());
  EXPECT_THAT(*store.get(""), Optional(""s));  // present-but-empty, not missing
  EXPECT_TRUE(*store.exists(""));
  EXPECT_EQ(*store.strlen(""), 0);
  EXPECT_EQ(*store.key_type(""), "string");
  EXPECT_EQ(store.size(), 1u);
  EXPECT_THAT(Keys("*"), ElementsAre(""));
  EXPECT_EQ(*store.append("", "x"), 1);
  EXPECT_THAT(*store.get(""), Optional("x"s));
  EXPECT_TRUE(*store.del(""));
  EXPECT_FALSE(*store.exists(""));
  EXPECT_EQ(*store.rpush("", Views{""}), 1);
  EXPECT_THAT(*store.lrange("", 0, -1), ElementsAre(""));
}

TEST_F(KvStoreTest, OneMebibyteValueRoundTrips) {
  std::string big(1u << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  ASSERT_TRUE(store.set("big", big, std::nullopt).ok());
  EXPECT_THAT(*store.get("big"), Optional(big));
  EXPECT_EQ(*store.strlen("big"), 1 << 20);
  EXPECT_EQ(*store.append("big", "tail"), (1 << 20) + 4);
  EXPECT_THAT(*store.get("big"), Optional(big + "tail"));
}

TEST_F(KvStoreTest, AllByteValuesInKeysAndValues) {
  std::vector<std::string> keys;
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    std::string key = std::string(1, c) + "\0k"s + c;
    std::string value = "\0"s + c + "v" + c + "\0"s;
    ASSERT_TRUE(store.set(key, value, std::nullopt).ok()) << b;
    keys.push_back(std::move(key));
  }
  // One key and value holding every byte value.
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  ASSERT_TRUE(store.set(all, all, std::nullopt).ok());
  keys.push_back(all);

  EXPECT_EQ(store.size(), 257u);
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    EXPECT_THAT(*store.get(keys[b]), Optional("\0"s + c + "v" + c + "\0"s)) << b;
  }
  EXPECT_THAT(*store.get(all), Optional(all));
  EXPECT_EQ(*store.strlen(all), 256);
  EXPECT_THAT(Keys("*"), UnorderedElementsAreArray(keys));
  // Prefix-only lookups must not hit: the NUL is part of the key.
  EXPECT_EQ(*store.get(std::string(1, '\0')), std::nullopt);

  // Binary members and fields in containers too.
  ASSERT_EQ(*store.sadd("set", Views{std::string_view(all), "\0"sv}), 2);
  EXPECT_TRUE(*store.sismember("set", "\0"sv));
  EXPECT_FALSE(*store.sismember("set", ""));
  ASSERT_TRUE(*store.hset("hash", "\0f\xff"sv, "\xff\0"sv));
  EXPECT_THAT(*store.hget("hash", "\0f\xff"sv), Optional("\xff\0"s));
  EXPECT_EQ(*store.hget("hash", "\0f"sv), std::nullopt);
}

TEST_F(KvStoreTest, SetOverwritesEveryTypeAndClearsTtl) {
  MakeList("l");
  MakeHash("h");
  MakeSet("s");
  MakeString("str");
  ASSERT_TRUE(*store.pexpire("str", 1000));
  for (std::string_view key : {"l", "h", "s", "str"}) {
    ASSERT_TRUE(store.set(key, "new", std::nullopt).ok()) << key;
    EXPECT_EQ(*store.key_type(key), "string") << key;
    EXPECT_THAT(*store.get(key), Optional("new"s)) << key;
    EXPECT_EQ(*store.pttl(key), std::nullopt) << key;
  }
  now += 5000;
  EXPECT_THAT(*store.get("str"), Optional("new"s));
  EXPECT_EQ(store.sweep_expired(100), 0u);  // the old TTL left no stale queue entry
  EXPECT_EQ(store.size(), 4u);
}

TEST_F(KvStoreTest, SetWithExpiryAndReplacingTheExpiry) {
  ASSERT_TRUE(store.set("k", "v", kStart + 100).ok());
  EXPECT_THAT(*store.pttl("k"), Optional(100));
  ASSERT_TRUE(store.set("k", "v2", kStart + 500).ok());
  EXPECT_THAT(*store.pttl("k"), Optional(500));
  now = kStart + 200;
  EXPECT_EQ(store.sweep_expired(10), 0u);  // the first expiry was replaced
  EXPECT_THAT(*store.get("k"), Optional("v2"s));
  now = kStart + 500;
  EXPECT_EQ(store.sweep_expired(10), 1u);
  EXPECT_EQ(store.size(), 0u);
}

TEST_F(KvStoreTest, SetWithExpiryAlreadyPastDeletes) {
  MakeString("k");
  ASSERT_TRUE(store.set("k", "v", kStart).ok());  // expire_at == now: expired on arrival
  EXPECT_FALSE(*store.exists("k"));
  ASSERT_TRUE(store.set("fresh", "v", kStart - 1).ok());
  EXPECT_FALSE(*store.exists("fresh"));
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.sweep_expired(10), 0u);
}

TEST_F(KvStoreTest, Setnx) {
  EXPECT_TRUE(*store.setnx("k", "first"));
  EXPECT_FALSE(*store.setnx("k", "second"));
  EXPECT_THAT(*store.get("k"), Optional("first"s));
  MakeList("l");
  EXPECT_FALSE(*store.setnx("l", "x"));  // exists with another type: not set, no error
  EXPECT_EQ(Dump("l"), "list:a,b,");
  // An expired key counts as absent, and the new value has no TTL.
  ASSERT_TRUE(store.set("e", "old", kStart + 10).ok());
  now += 10;
  EXPECT_TRUE(*store.setnx("e", "new"));
  EXPECT_THAT(*store.get("e"), Optional("new"s));
  EXPECT_EQ(*store.pttl("e"), std::nullopt);
  EXPECT_EQ(store.sweep_expired(10), 0u);
}

TEST_F(KvStoreTest, GetsetReturnsOldValueAndClearsTtl) {
  EXPECT_EQ(*store.getset("k", "v1"), std::nullopt);
  EXPECT_THAT(*store.get("k"), Optional("v1"s));
  ASSERT_TRUE(*store.pexpire("k", 100));
  EXPECT_THAT(*store.getset("k", "v2"), Optional("v1"s));
  EXPECT_THAT(*store.get("k"), Optional("v2"s));
  EXPECT_EQ(*store.pttl("k"), std::nullopt);
  now += 1000;
  EXPECT_EQ(store.sweep_expired(10), 0u);
  EXPECT_THAT(*store.get("k"), Optional("v2"s));
}

TEST_F(KvStoreTest, GetsetOnOtherTypesIsWrongTypeAndChangesNothing) {
  MakeList("l");
  MakeHash("h");
  MakeSet("s");
  for (std::string_view key : {"l", "h", "s"}) {
    const std::string before = Dump(key);
    EXPECT_EQ(CodeOf(store.getset(key, "x")), ErrorCode::kWrongType) << key;
    EXPECT_EQ(Dump(key), before);
  }
}

TEST_F(KvStoreTest, AppendCreatesAppendsAndKeepsTtl) {
  EXPECT_EQ(*store.append("k", "Hello"), 5);
  EXPECT_EQ(*store.append("k", " World"), 11);
  EXPECT_EQ(*store.append("k", ""), 11);
  EXPECT_THAT(*store.get("k"), Optional("Hello World"s));
  ASSERT_TRUE(*store.pexpire("k", 100));
  EXPECT_EQ(*store.append("k", "!"), 12);
  EXPECT_THAT(*store.pttl("k"), Optional(100));
  EXPECT_EQ(*store.append("empty", ""), 0);
  EXPECT_TRUE(*store.exists("empty"));  // Redis creates the key even for an empty append
}

TEST_F(KvStoreTest, AppendRespectsMaxValueBytes) {
  KvStore small(clock, KvLimits{.max_value_bytes = 10});
  EXPECT_EQ(*small.append("k", "12345"), 5);
  EXPECT_EQ(CodeOf(small.append("k", "123456")), ErrorCode::kLimitExceeded);
  EXPECT_THAT(*small.get("k"), Optional("12345"s));
  EXPECT_EQ(*small.append("k", "67890"), 10);  // exactly at the limit is fine
  EXPECT_EQ(CodeOf(small.append("k", "x")), ErrorCode::kLimitExceeded);
  EXPECT_THAT(*small.get("k"), Optional("1234567890"s));
  // A missing key is not created by a rejected append.
  EXPECT_EQ(CodeOf(small.append("new", "12345678901")), ErrorCode::kLimitExceeded);
  EXPECT_FALSE(*small.exists("new"));
  EXPECT_EQ(*small.append("new", "1234567890"), 10);
}

TEST_F(KvStoreTest, Strlen) {
  EXPECT_EQ(*store.strlen("missing"), 0);
  MakeString("k", "four");
  EXPECT_EQ(*store.strlen("k"), 4);
  MakeString("nul", "a\0b"s);
  EXPECT_EQ(*store.strlen("nul"), 3);
}

TEST_F(KvStoreTest, DelAndExistsWorkOnEveryType) {
  MakeString("s");
  MakeList("l");
  MakeHash("h");
  MakeSet("z");
  for (std::string_view key : {"s", "l", "h", "z"}) {
    EXPECT_TRUE(*store.exists(key)) << key;
    EXPECT_TRUE(*store.del(key)) << key;
    EXPECT_FALSE(*store.exists(key)) << key;
    EXPECT_FALSE(*store.del(key)) << key;
    EXPECT_EQ(*store.key_type(key), "none") << key;
  }
  EXPECT_EQ(store.size(), 0u);
}

TEST_F(KvStoreTest, DelOfKeyWithTtlLeavesNoStaleExpiry) {
  ASSERT_TRUE(store.set("k", "v", kStart + 10).ok());
  EXPECT_TRUE(*store.del("k"));
  MakeString("k", "again");  // same name, no TTL
  now += 100;
  EXPECT_EQ(store.sweep_expired(10), 0u);  // a stale (expire_at, "k") would delete it
  EXPECT_THAT(*store.get("k"), Optional("again"s));
}

TEST_F(KvStoreTest, KeyType) {
  EXPECT_EQ(*store.key_type("k"), "none");
  MakeString("s");
  MakeList("l");
  MakeHash("h");
  MakeSet("z");
  EXPECT_EQ(*store.key_type("s"), "string");
  EXPECT_EQ(*store.key_type("l"), "list");
  EXPECT_EQ(*store.key_type("h"), "hash");
  EXPECT_EQ(*store.key_type("z"), "set");
  ASSERT_TRUE(*store.pexpire("l", 5));
  now += 5;
  EXPECT_EQ(*store.key_type("l"), "none");
}

// ---- INCRBY ---------------------------------------------------------------------------

TEST_F(KvStoreTest, IncrbyMissingCountsAsZero) {
  EXPECT_EQ(*store.incrby("n", 1), 1);
  EXPECT_EQ(*store.incrby("n", 1), 2);
  EXPECT_EQ(*store.incrby("n", -5), -3);
  EXPECT_THAT(*store.get("n"), Optional("-3"s));
  EXPECT_EQ(*store.incrby("m", -7), -7);
  EXPECT_THAT(*store.get("m"), Optional("-7"s));
  EXPECT_EQ(*store.incrby("z", 0), 0);
  EXPECT_THAT(*store.get("z"), Optional("0"s));
  EXPECT_EQ(*store.pttl("n"), std::nullopt);
}

TEST_F(KvStoreTest, IncrbyKeepsTtl) {
  ASSERT_TRUE(store.set("n", "10", kStart + 1000).ok());
  now += 400;
  EXPECT_EQ(*store.incrby("n", 5), 15);
  EXPECT_THAT(*store.pttl("n"), Optional(600));
  now = kStart + 1000;
  EXPECT_EQ(*store.get("n"), std::nullopt);
  // Once expired, incr starts from zero without a TTL.
  EXPECT_EQ(*store.incrby("n", 1), 1);
  EXPECT_EQ(*store.pttl("n"), std::nullopt);
}

TEST_F(KvStoreTest, IncrbyAcceptsEveryCanonicalInt64) {
  const std::vector<std::pair<std::string, std::int64_t>> cases = {
      {"0", 0},
      {"1", 1},
      {"-1", -1},
      {"10", 10},
      {"1234567890", 1234567890},
      {"9223372036854775807", kInt64Max},
      {"-9223372036854775808", kInt64Min},
  };
  for (const auto& [text, value] : cases) {
    MakeString("n", text);
    EXPECT_EQ(*store.incrby("n", 0), value) << text;
    EXPECT_THAT(*store.get("n"), Optional(text)) << text;
  }
}

TEST_F(KvStoreTest, IncrbyRejectsNonCanonicalIntegersAndLeavesValue) {
  const std::vector<std::string> bad = {
      "",
      " 1",
      "1 ",
      "+1",
      "01",
      "00",
      "-0",
      "-01",
      "-",
      "--1",
      "1.5",
      "1.0",
      "abc",
      "1e3",
      "0x10",
      "1\0"s,
      "\0"s,
      "9223372036854775808",    // INT64_MAX + 1
      "-9223372036854775809",   // INT64_MIN - 1
      "18446744073709551616",   // 2^64
      "99999999999999999999",   // 20 digits, > UINT64_MAX
      "123456789012345678901",  // 21 bytes
      "00000000000000000001",   // leading zeros
      "\xef\xbc\x91",           // fullwidth digit one
  };
  for (const std::string& text : bad) {
    MakeString("n", text);
    EXPECT_EQ(CodeOf(store.incrby("n", 1)), ErrorCode::kOutOfRange) << testing::PrintToString(text);
    EXPECT_THAT(*store.get("n"), Optional(text)) << testing::PrintToString(text);
  }
}

TEST_F(KvStoreTest, IncrbyOverflowIsOutOfRangeAndLeavesValue) {
  MakeString("max", std::to_string(kInt64Max));
  EXPECT_EQ(CodeOf(store.incrby("max", 1)), ErrorCode::kOutOfRange);
  EXPECT_THAT(*store.get("max"), Optional(std::to_string(kInt64Max)));
  EXPECT_EQ(*store.incrby("max", -1), kInt64Max - 1);

  MakeString("min", std::to_string(kInt64Min));
  EXPECT_EQ(CodeOf(store.incrby("min", -1)), ErrorCode::kOutOfRange);
  EXPECT_THAT(*store.get("min"), Optional(std::to_string(kInt64Min)));
  EXPECT_EQ(*store.incrby("min", 1), kInt64Min + 1);

  MakeString("neg", "-1");
  EXPECT_EQ(*store.incrby("neg", kInt64Min + 1), kInt64Min);
  MakeString("neg", "-2");
  EXPECT_EQ(CodeOf(store.incrby("neg", kInt64Min + 1)), ErrorCode::kOutOfRange);
  EXPECT_THAT(*store.get("neg"), Optional("-2"s));
  MakeString("pos", "1");
  EXPECT_EQ(CodeOf(store.incrby("pos", kInt64Max)), ErrorCode::kOutOfRange);
  EXPECT_EQ(*store.incrby("fresh", kInt64Min), kInt64Min);
}

// ---- Multi-key parts ----------------------------------------------------------------------

TEST_F(KvStoreTest, GetManyWritesByPosition) {
  MakeString("a", "A");
  MakeString("b", "B");
  MakeList("l");
  ASSERT_TRUE(store.set("e", "E", kStart + 1).ok());
  now += 1;
  std::vector<std::optional<std::string>> out(7, std::optional<std::string>("garbage"));
  const Views keys = {"b", "missing", "l", "a", "e"};
  const std::vector<std::uint32_t> positions = {6, 0, 1, 3, 5};
  store.get_many(keys, positions, out);
  EXPECT_THAT(out, ElementsAre(std::nullopt,          // missing
                               std::nullopt,          // list: never an error
                               Optional("garbage"s),  // untouched
                               Optional("A"s),        //
                               Optional("garbage"s),  // untouched
                               std::nullopt,          // expired
                               Optional("B"s)));
  store.get_many({}, {}, out);  // empty part is a no-op
  EXPECT_THAT(out[3], Optional("A"s));
}

TEST_F(KvStoreTest, DelManyCountsEachExistingKeyOnce) {
  MakeString("a");
  MakeList("b");
  MakeHash("c");
  MakeSet("d");
  ASSERT_TRUE(store.set("e", "v", kStart + 1).ok());
  now += 1;
  EXPECT_EQ(store.del_many(Views{"a", "a", "b", "missing", "c", "d", "b", "e"}), 4);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.del_many(Views{"a"}), 0);
  EXPECT_EQ(store.del_many(Views{}), 0);
}

TEST_F(KvStoreTest, KeysMatchesGlobAndSkipsExpired) {
  for (std::string_view k : {"foo_a", "foo_b", "foo_c", "key_x", "key_y", "key_z"}) MakeString(k);
  MakeList("foo_list");
  ASSERT_TRUE(store.set("foo_expiring", "v", kStart + 10).ok());
  EXPECT_THAT(Keys("foo*"),
              UnorderedElementsAre("foo_a", "foo_b", "foo_c", "foo_list", "foo_expiring"));
  now += 10;
  EXPECT_THAT(Keys("foo*"), UnorderedElementsAre("foo_a", "foo_b", "foo_c", "foo_list"));
  EXPECT_THAT(Keys("key_[xy]"), UnorderedElementsAre("key_x", "key_y"));
  EXPECT_THAT(Keys("*_?"),
              UnorderedElementsAre("foo_a", "foo_b", "foo_c", "key_x", "key_y", "key_z"));
  EXPECT_THAT(Keys("*"), testing::SizeIs(7));
  EXPECT_THAT(Keys("nomatch*"), IsEmpty());
  // Literal patterns (no metacharacters) are exact lookups.
  EXPECT_THAT(Keys("key_x"), ElementsAre("key_x"));
  EXPECT_THAT(Keys("key_"), IsEmpty());
  EXPECT_THAT(Keys("foo_expiring"), IsEmpty());
  MakeString("a*b");
  EXPECT_THAT(Keys(R"(a\*b)"), ElementsAre("a*b"));
  // Appends to `out` rather than replacing it.
  std::vector<std::string> out = {"pre"};
  store.keys("key_z", out);
  EXPECT_THAT(out, ElementsAre("pre", "key_z"));
}

TEST_F(KvStoreTest, SizeNeverCountsExpiredKeys) {
  MakeString("persistent");
  ASSERT_TRUE(store.set("a", "v", kStart + 10).ok());
  ASSERT_TRUE(store.set("b", "v", kStart + 20).ok());
  EXPECT_EQ(store.size(), 3u);
  now = kStart + 9;
  EXPECT_EQ(store.size(), 3u);
  now = kStart + 10;
  EXPECT_EQ(store.size(), 2u);  // "a" was never touched, yet is not counted
  now = kStart + 1000;
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.sweep_expired(10), 0u);  // size() already reclaimed them
  // Rewinding the clock cannot resurrect them: they were really removed.
  now = kStart;
  EXPECT_EQ(store.size(), 1u);
  EXPECT_FALSE(*store.exists("a"));
}

TEST_F(KvStoreTest, ClearRemovesEverythingIncludingExpiryQueue) {
  MakeString("a");
  MakeList("b");
  ASSERT_TRUE(store.set("t", "v", kStart + 10).ok());
  store.clear();
  EXPECT_EQ(store.size(), 0u);
  EXPECT_FALSE(*store.exists("a"));
  MakeString("t", "no ttl now");
  now += 100;
  EXPECT_EQ(store.sweep_expired(10), 0u);
  EXPECT_THAT(*store.get("t"), Optional("no ttl now"s));
  store.clear();
  EXPECT_EQ(store.size(), 0u);
  MakeString("after");  // still usable after clear
  EXPECT_EQ(store.size(), 1u);
}

// ---- TTL ------------------------------------------------------------------------------

TEST_F(KvStoreTest, ExpiryBoundaryIsInclusive) {
  MakeString("k");
  ASSERT_TRUE(*store.pexpire("k", 100));
  now = kStart + 99;  // expire_at - 1: alive
  EXPECT_THAT(*store.pttl("k"), Optional(1));
  EXPECT_THAT(*store.get("k"), Optional("v"s));
  EXPECT_TRUE(*store.exists("k"));
  EXPECT_EQ(store.sweep_expired(10), 0u);
  EXPECT_EQ(store.size(), 1u);
  now = kStart + 100;  // expire_at: gone
  EXPECT_EQ(*store.get("k"), std::nullopt);
  EXPECT_FALSE(*store.exists("k"));
  EXPECT_EQ(*store.pttl("k"), std::nullopt);
  EXPECT_EQ(store.size(), 0u);
}

TEST_F(KvStoreTest, SweepBoundaryIsInclusive) {
  ASSERT_TRUE(store.set("k", "v", kStart + 50).ok());
  now = kStart + 49;
  EXPECT_EQ(store.sweep_expired(10), 0u);
  now = kStart + 50;
  EXPECT_EQ(store.sweep_expired(10), 1u);
}

TEST_F(KvStoreTest, Pexpire) {
  EXPECT_FALSE(*store.pexpire("missing", 100));
  EXPECT_FALSE(*store.exists("missing"));
  MakeString("k");
  EXPECT_TRUE(*store.pexpire("k", 100));
  EXPECT_THAT(*store.pttl("k"), Optional(100));
  EXPECT_TRUE(*store.pexpire("k", 5000));  // replace: later
  EXPECT_THAT(*store.pttl("k"), Optional(5000));
  EXPECT_TRUE(*store.pexpire("k", 10));  // replace: earlier
  EXPECT_THAT(*store.pttl("k"), Optional(10));
  now += 10;
  EXPECT_FALSE(*store.pexpire("k", 100));  // expired counts as missing
  EXPECT_EQ(store.size(), 0u);
}

TEST_F(KvStoreTest, PexpireUpdatesTheExpiryQueue) {
  MakeString("k");
  ASSERT_TRUE(*store.pexpire("k", 100));
  ASSERT_TRUE(*store.pexpire("k", 1000));
  now += 500;
  EXPECT_EQ(store.sweep_expired(10), 0u);  // the old 100 ms entry is gone
  EXPECT_TRUE(*store.exists("k"));
  now += 500;
  EXPECT_EQ(store.sweep_expired(10), 1u);
  EXPECT_FALSE(*store.exists("k"));
}

TEST_F(KvStoreTest, PexpireNonPositiveDeletes) {
  for (std::int64_t ttl : {std::int64_t{0}, std::int64_t{-1}, kInt64Min}) {
    MakeList("k");
    ASSERT_TRUE(*store.pexpire("k", 50));
    EXPECT_TRUE(*store.pexpire("k", ttl)) << ttl;
    EXPECT_FALSE(*store.exists("k")) << ttl;
    EXPECT_FALSE(*store.pexpire("k", ttl)) << ttl;  // missing: false
    EXPECT_EQ(store.sweep_expired(10), 0u);
  }
}

TEST_F(KvStoreTest, PexpireOverflowIsOutOfRangeAndChangesNothing) {
  MakeString("k");
  EXPECT_EQ(CodeOf(store.pexpire("k", kInt64Max)), ErrorCode::kOutOfRange);
  EXPECT_EQ(*store.pttl("k"), std::nullopt);
  EXPECT_THAT(*store.get("k"), Optional("v"s));
}

TEST_F(KvStoreTest, Persist) {
  EXPECT_FALSE(*store.persist("missing"));
  MakeString("k");
  EXPECT_FALSE(*store.persist("k"));  // no TTL
  ASSERT_TRUE(*store.pexpire("k", 100));
  EXPECT_TRUE(*store.persist("k"));
  EXPECT_EQ(*store.pttl("k"), std::nullopt);
  EXPECT_FALSE(*store.persist("k"));
  now += 1000;
  EXPECT_EQ(store.sweep_expired(10), 0u);
  EXPECT_TRUE(*store.exists("k"));
}

TEST_F(KvStoreTest, Pttl) {
  EXPECT_EQ(*store.pttl("missing"), std::nullopt);
  MakeHash("h");
  EXPECT_EQ(*store.pttl("h"), std::nullopt);
  ASSERT_TRUE(*store.pexpire("h", 2500));
  now += 1000;
  EXPECT_THAT(*store.pttl("h"), Optional(1500));
}

TEST_F(KvStoreTest, LazyExpiryRemovesQueueEntry) {
  ASSERT_TRUE(store.set("k", "v", kStart + 10).ok());
  now += 10;
  EXPECT_EQ(*store.get("k"), std::nullopt);  // lazily removed here
  MakeString("k", "reborn");                 // no TTL
  now += 100;
  EXPECT_EQ(store.sweep_expired(10), 0u);
  EXPECT_THAT(*store.get("k"), Optional("reborn"s));
}

TEST_F(KvStoreTest, EveryOperationTreatsAnExpiredKeyAsMissing) {
  using Check = std::function<void(KvStore&)>;
  const std::vector<std::pair<std::string, Check>> checks = {
      {"get", [](KvStore& s) { EXPECT_EQ(*s.get("k"), std::nullopt); }},
      {"setnx", [](KvStore& s) { EXPECT_TRUE(*s.setnx("k", "x")); }},
      {"getset", [](KvStore& s) { EXPECT_EQ(*s.getset("k", "x"), std::nullopt); }},
      {"append", [](KvStore& s) { EXPECT_EQ(*s.append("k", "xy"), 2); }},
      {"strlen", [](KvStore& s) { EXPECT_EQ(*s.strlen("k"), 0); }},
      {"del", [](KvStore& s) { EXPECT_FALSE(*s.del("k")); }},
      {"exists", [](KvStore& s) { EXPECT_FALSE(*s.exists("k")); }},
      {"incrby", [](KvStore& s) { EXPECT_EQ(*s.incrby("k", 3), 3); }},
      {"key_type", [](KvStore& s) { EXPECT_EQ(*s.key_type("k"), "none"); }},
      {"del_many", [](KvStore& s) { EXPECT_EQ(s.del_many(Views{"k"}), 0); }},
      {"pexpire", [](KvStore& s) { EXPECT_FALSE(*s.pexpire("k", 100)); }},
      {"persist", [](KvStore& s) { EXPECT_FALSE(*s.persist("k")); }},
      {"pttl", [](KvStore& s) { EXPECT_EQ(*s.pttl("k"), std::nullopt); }},
      {"lpush", [](KvStore& s) { EXPECT_EQ(*s.lpush("k", Views{"x"}), 1); }},
      {"rpush", [](KvStore& s) { EXPECT_EQ(*s.rpush("k", Views{"x"}), 1); }},
      {"lrange", [](KvStore& s) { EXPECT_THAT(*s.lrange("k", 0, -1), IsEmpty()); }},
      {"lpop", [](KvStore& s) { EXPECT_EQ(*s.lpop("k"), std::nullopt); }},
      {"rpop", [](KvStore& s) { EXPECT_EQ(*s.rpop("k"), std::nullopt); }},
      {"llen", [](KvStore& s) { EXPECT_EQ(*s.llen("k"), 0); }},
      {"lindex", [](KvStore& s) { EXPECT_EQ(*s.lindex("k", 0), std::nullopt); }},
      {"hset", [](KvStore& s) { EXPECT_TRUE(*s.hset("k", "f", "v")); }},
      {"hget", [](KvStore& s) { EXPECT_EQ(*s.hget("k", "f"), std::nullopt); }},
      {"hdel", [](KvStore& s) { EXPECT_EQ(*s.hdel("k", Views{"f"}), 0); }},
      {"hgetall", [](KvStore& s) { EXPECT_THAT(*s.hgetall("k"), IsEmpty()); }},
      {"hlen", [](KvStore& s) { EXPECT_EQ(*s.hlen("k"), 0); }},
      {"hexists", [](KvStore& s) { EXPECT_FALSE(*s.hexists("k", "f")); }},
      {"hincrby", [](KvStore& s) { EXPECT_EQ(*s.hincrby("k", "f", 2), 2); }},
      {"sadd", [](KvStore& s) { EXPECT_EQ(*s.sadd("k", Views{"m"}), 1); }},
      {"smembers", [](KvStore& s) { EXPECT_THAT(*s.smembers("k"), IsEmpty()); }},
      {"srem", [](KvStore& s) { EXPECT_EQ(*s.srem("k", Views{"m"}), 0); }},
      {"sismember", [](KvStore& s) { EXPECT_FALSE(*s.sismember("k", "m")); }},
      {"scard", [](KvStore& s) { EXPECT_EQ(*s.scard("k"), 0); }},
  };
  // Each expired key holds a type that would make a type-specific op fail if it were live:
  // a hash for string ops, a string for container ops.
  for (const auto& [name, check] : checks) {
    SCOPED_TRACE(name);
    for (int variant = 0; variant < 4; ++variant) {
      store.clear();
      now = kStart;
      switch (variant) {
        case 0:
          MakeString("k");
          break;
        case 1:
          MakeList("k");
          break;
        case 2:
          MakeHash("k");
          break;
        case 3:
          MakeSet("k");
          break;
      }
      ASSERT_TRUE(*store.pexpire("k", 10));
      now += 10;
      check(store);
      // Whatever the op left behind has no TTL and no stale queue entry.
      EXPECT_EQ(*store.pttl("k"), std::nullopt);
      now += 1000;
      EXPECT_EQ(store.sweep_expired(100), 0u);
    }
  }
}

// ---- Active expiry ------------------------------------------------------------------------

TEST_F(KvStoreTest, SweepReclaimsExpiredKeysEarliestFirst) {
  EXPECT_EQ(store.sweep_expired(10), 0u);  // nothing to do
  MakeString("forever");
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(store.set(Numbered("k", i), "v", kStart + i * 10).ok());
  }
  now = kStart + 25;                      // k1, k2 expired
  EXPECT_EQ(store.sweep_expired(0), 0u);  // zero budget
  EXPECT_EQ(store.sweep_expired(1), 1u);  // budget-limited: removes k1 only
  // Rewind the clock to see which one was physically removed: swept keys are gone for
  // good, unswept ones become visible again.
  now = kStart;
  EXPECT_FALSE(*store.exists("k1"));
  EXPECT_TRUE(*store.exists("k2"));
  now = kStart + 35;  // k2, k3 expired
  EXPECT_EQ(store.sweep_expired(100), 2u);
  now = kStart;
  EXPECT_FALSE(*store.exists("k2"));
  EXPECT_FALSE(*store.exists("k3"));
  EXPECT_TRUE(*store.exists("k4"));
  EXPECT_TRUE(*store.exists("k5"));
  now = kStart + 1000;
  EXPECT_EQ(store.sweep_expired(100), 2u);
  EXPECT_EQ(store.sweep_expired(100), 0u);
  now = kStart;
  EXPECT_EQ(store.size(), 1u);
  EXPECT_TRUE(*store.exists("forever"));
}

TEST_F(KvStoreTest, SweepHandlesManyKeysWithEqualExpiry) {
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(store.set(Numbered("k", i), "v", kStart + 7).ok());
  }
  MakeString("stay");
  now += 7;
  std::size_t total = 0;
  for (std::size_t n; (n = store.sweep_expired(64)) > 0;) {
    EXPECT_LE(n, 64u);
    total += n;
  }
  EXPECT_EQ(total, 1000u);
  now = kStart;
  EXPECT_EQ(store.size(), 1u);
}

// ---- Lists ----------------------------------------------------------------------------

TEST_F(KvStoreTest, LpushReversesRpushKeepsOrder) {
  EXPECT_EQ(*store.lpush("l", Views{"a", "b", "c"}), 3);
  EXPECT_THAT(*store.lrange("l", 0, -1), ElementsAre("c", "b", "a"));
  EXPECT_EQ(*store.rpush("l", Views{"x", "y"}), 5);
  EXPECT_THAT(*store.lrange("l", 0, -1), ElementsAre("c", "b", "a", "x", "y"));
  EXPECT_EQ(*store.lpush("l", Views{"first"}), 6);
  EXPECT_THAT(*store.lindex("l", 0), Optional("first"s));
  EXPECT_EQ(*store.llen("l"), 6);
  EXPECT_EQ(*store.rpush("dups", Views{"a", "a", "a"}), 3);  // lists keep duplicates
}

TEST_F(KvStoreTest, PushWithNoValuesIsInvalidArgument) {
  EXPECT_EQ(CodeOf(store.lpush("l", Views{})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(store.rpush("l", Views{})), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(*store.exists("l"));  // nothing created
  MakeList("l");
  EXPECT_EQ(CodeOf(store.lpush("l", Views{})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Dump("l"), "list:a,b,");
}

struct RangeCase {
  std::int64_t start;
  std::int64_t stop;
  std::vector<std::string> expected;
};

TEST_F(KvStoreTest, LrangeClampsLikeRedis) {
  ASSERT_EQ(*store.rpush("l", Views{"a", "b", "c", "d", "e"}), 5);
  const std::vector<RangeCase> cases = {
      {0, -1, {"a", "b", "c", "d", "e"}},
      {0, 0, {"a"}},
      {4, 4, {"e"}},
      {1, 3, {"b", "c", "d"}},
      {-2, -1, {"d", "e"}},
      {-1, -1, {"e"}},
      {-5, -5, {"a"}},
      {2, -3, {"c"}},
      {-100, 100, {"a", "b", "c", "d", "e"}},
      {-100, 1, {"a", "b"}},
      {3, 100, {"d", "e"}},
      {kInt64Min, kInt64Max, {"a", "b", "c", "d", "e"}},
      {3, 1, {}},
      {5, 10, {}},
      {5, 5, {}},
      {-100, -6, {}},
      {-1, -100, {}},
      {kInt64Max, kInt64Max, {}},
      {kInt64Min, kInt64Min, {}},
      {0, -6, {}},
  };
  for (const RangeCase& c : cases) {
    EXPECT_EQ(*store.lrange("l", c.start, c.stop), c.expected)
        << "start=" << c.start << " stop=" << c.stop;
  }
  EXPECT_THAT(*store.lrange("missing", 0, -1), IsEmpty());
}

TEST_F(KvStoreTest, LindexNegativeAndOutOfRange) {
  ASSERT_EQ(*store.rpush("l", Views{"a", "b", "c"}), 3);
  const std::vector<std::pair<std::int64_t, std::optional<std::string>>> cases = {
      {0, "a"},
      {1, "b"},
      {2, "c"},
      {-1, "c"},
      {-3, "a"},
      {3, std::nullopt},
      {-4, std::nullopt},
      {kInt64Max, std::nullopt},
      {kInt64Min, std::nullopt},
  };
  for (const auto& [index, expected] : cases) {
    EXPECT_EQ(*store.lindex("l", index), expected) << index;
  }
  EXPECT_EQ(*store.lindex("missing", 0), std::nullopt);
}

TEST_F(KvStoreTest, PopsRemoveTheEmptiedList) {
  ASSERT_EQ(*store.rpush("l", Views{"a", "b", "c"}), 3);
  EXPECT_THAT(*store.lpop("l"), Optional("a"s));
  EXPECT_THAT(*store.rpop("l"), Optional("c"s));
  EXPECT_EQ(*store.llen("l"), 1);
  ASSERT_TRUE(*store.pexpire("l", 100));
  EXPECT_THAT(*store.lpop("l"), Optional("b"s));
  EXPECT_FALSE(*store.exists("l"));
  EXPECT_EQ(*store.key_type("l"), "none");
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(*store.lpop("l"), std::nullopt);
  EXPECT_EQ(*store.rpop("l"), std::nullopt);
  EXPECT_EQ(*store.llen("l"), 0);
  // Re-created without the old TTL; the removed key left no queue entry.
  ASSERT_EQ(*store.rpush("l", Views{"z"}), 1);
  EXPECT_EQ(*store.pttl("l"), std::nullopt);
  now += 1000;
  EXPECT_EQ(store.sweep_expired(10), 0u);
  ASSERT_EQ(*store.rpush("r", Views{"only"}), 1);
  EXPECT_THAT(*store.rpop("r"), Optional("only"s));
  EXPECT_FALSE(*store.exists("r"));
}

// ---- Hashes ---------------------------------------------------------------------------

TEST_F(KvStoreTest, HashBasics) {
  EXPECT_TRUE(*store.hset("h", "f1", "v1"));
  EXPECT_TRUE(*store.hset("h", "f2", "v2"));
  EXPECT_FALSE(*store.hset("h", "f1", "v1b"));  // update: not new
  EXPECT_THAT(*store.hget("h", "f1"), Optional("v1b"s));
  EXPECT_EQ(*store.hget("h", "nope"), std::nullopt);
  EXPECT_EQ(*store.hget("missing", "f1"), std::nullopt);
  EXPECT_EQ(*store.hlen("h"), 2);
  EXPECT_EQ(*store.hlen("missing"), 0);
  EXPECT_TRUE(*store.hexists("h", "f2"));
  EXPECT_FALSE(*store.hexists("h", "f3"));
  EXPECT_FALSE(*store.hexists("missing", "f1"));
  EXPECT_THAT(*store.hgetall("h"), UnorderedElementsAre(Pair("f1", "v1b"), Pair("f2", "v2")));
  EXPECT_THAT(*store.hgetall("missing"), IsEmpty());
  EXPECT_TRUE(*store.hset("h", "", ""));  // empty field and value
  EXPECT_THAT(*store.hget("h", ""), Optional(""s));
}

TEST_F(KvStoreTest, HdelCountsAndRemovesTheEmptiedHash) {
  MakeHash("h");
  EXPECT_EQ(*store.hdel("h", Views{"nope"}), 0);
  EXPECT_EQ(*store.hdel("h", Views{"f1", "f1", "nope"}), 1);  // repeated field once
  EXPECT_EQ(*store.hlen("h"), 1);
  EXPECT_EQ(*store.hdel("h", Views{"f2"}), 1);
  EXPECT_FALSE(*store.exists("h"));
  EXPECT_EQ(*store.key_type("h"), "none");
  EXPECT_EQ(*store.hdel("h", Views{"f2"}), 0);
  EXPECT_EQ(CodeOf(store.hdel("h", Views{})), ErrorCode::kInvalidArgument);
  MakeHash("h2");
  EXPECT_EQ(CodeOf(store.hdel("h2", Views{})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(*store.hlen("h2"), 2);
}

TEST_F(KvStoreTest, Hincrby) {
  EXPECT_EQ(*store.hincrby("h", "n", 5), 5);  // missing key and field count as 0
  EXPECT_EQ(*store.hincrby("h", "n", -7), -2);
  EXPECT_THAT(*store.hget("h", "n"), Optional("-2"s));
  EXPECT_EQ(*store.hincrby("h", "m", 0), 0);
  EXPECT_THAT(*store.hget("h", "m"), Optional("0"s));

  for (std::string bad :
       {"abc"s, ""s, " 1"s, "+1"s, "01"s, "-0"s, "1.5"s, "9223372036854775808"s}) {
    ASSERT_FALSE(*store.hset("h", "n", bad));
    EXPECT_EQ(CodeOf(store.hincrby("h", "n", 1)), ErrorCode::kOutOfRange)
        << testing::PrintToString(bad);
    EXPECT_THAT(*store.hget("h", "n"), Optional(bad));
  }
  ASSERT_FALSE(*store.hset("h", "n", std::to_string(kInt64Max)));
  EXPECT_EQ(CodeOf(store.hincrby("h", "n", 1)), ErrorCode::kOutOfRange);
  EXPECT_THAT(*store.hget("h", "n"), Optional(std::to_string(kInt64Max)));
  ASSERT_FALSE(*store.hset("h", "n", std::to_string(kInt64Min)));
  EXPECT_EQ(CodeOf(store.hincrby("h", "n", -1)), ErrorCode::kOutOfRange);
  EXPECT_THAT(*store.hget("h", "n"), Optional(std::to_string(kInt64Min)));
  EXPECT_EQ(*store.hincrby("h", "n", kInt64Max), -1);
}

// ---- Sets -----------------------------------------------------------------------------

TEST_F(KvStoreTest, SetBasics) {
  EXPECT_EQ(*store.sadd("s", Views{"a", "b", "a"}), 2);  // duplicate in one call counts once
  EXPECT_EQ(*store.sadd("s", Views{"b", "c"}), 1);
  EXPECT_EQ(*store.scard("s"), 3);
  EXPECT_EQ(*store.scard("missing"), 0);
  EXPECT_TRUE(*store.sismember("s", "a"));
  EXPECT_FALSE(*store.sismember("s", "z"));
  EXPECT_FALSE(*store.sismember("missing", "a"));
  EXPECT_THAT(*store.smembers("s"), UnorderedElementsAre("a", "b", "c"));
  EXPECT_THAT(*store.smembers("missing"), IsEmpty());
  EXPECT_EQ(*store.sadd("s", Views{""}), 1);
  EXPECT_TRUE(*store.sismember("s", ""));
}

TEST_F(KvStoreTest, SremCountsAndRemovesTheEmptiedSet) {
  ASSERT_EQ(*store.sadd("s", Views{"a", "b", "c"}), 3);
  EXPECT_EQ(*store.srem("s", Views{"a", "a", "zz"}), 1);
  EXPECT_EQ(*store.scard("s"), 2);
  EXPECT_EQ(*store.srem("s", Views{"b", "c"}), 2);
  EXPECT_FALSE(*store.exists("s"));
  EXPECT_EQ(*store.key_type("s"), "none");
  EXPECT_EQ(*store.srem("s", Views{"a"}), 0);
  EXPECT_EQ(CodeOf(store.srem("s", Views{})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(store.sadd("s", Views{})), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(*store.exists("s"));
}

// ---- Wrong type, for every type-specific operation --------------------------------------

struct TypedOp {
  const char* name;
  const char* type;  // the type the op works on
  std::function<ErrorCode(KvStore&)> run;
};

const std::vector<TypedOp>& TypedOps() {
  static const std::vector<TypedOp> ops = {
      {"get", "string", [](KvStore& s) { return CodeOf(s.get("k")); }},
      {"getset", "string", [](KvStore& s) { return CodeOf(s.getset("k", "x")); }},
      {"append", "string", [](KvStore& s) { return CodeOf(s.append("k", "x")); }},
      {"strlen", "string", [](KvStore& s) { return CodeOf(s.strlen("k")); }},
      {"incrby", "string", [](KvStore& s) { return CodeOf(s.incrby("k", 1)); }},
      {"lpush", "list", [](KvStore& s) { return CodeOf(s.lpush("k", Views{"x"})); }},
      {"rpush", "list", [](KvStore& s) { return CodeOf(s.rpush("k", Views{"x"})); }},
      {"lrange", "list", [](KvStore& s) { return CodeOf(s.lrange("k", 0, -1)); }},
      {"lpop", "list", [](KvStore& s) { return CodeOf(s.lpop("k")); }},
      {"rpop", "list", [](KvStore& s) { return CodeOf(s.rpop("k")); }},
      {"llen", "list", [](KvStore& s) { return CodeOf(s.llen("k")); }},
      {"lindex", "list", [](KvStore& s) { return CodeOf(s.lindex("k", 0)); }},
      {"hset", "hash", [](KvStore& s) { return CodeOf(s.hset("k", "f", "v")); }},
      {"hget", "hash", [](KvStore& s) { return CodeOf(s.hget("k", "f1")); }},
      {"hdel", "hash", [](KvStore& s) { return CodeOf(s.hdel("k", Views{"f1"})); }},
      {"hgetall", "hash", [](KvStore& s) { return CodeOf(s.hgetall("k")); }},
      {"hlen", "hash", [](KvStore& s) { return CodeOf(s.hlen("k")); }},
      {"hexists", "hash", [](KvStore& s) { return CodeOf(s.hexists("k", "f1")); }},
      {"hincrby", "hash", [](KvStore& s) { return CodeOf(s.hincrby("k", "f", 1)); }},
      {"sadd", "set", [](KvStore& s) { return CodeOf(s.sadd("k", Views{"x"})); }},
      {"smembers", "set", [](KvStore& s) { return CodeOf(s.smembers("k")); }},
      {"srem", "set", [](KvStore& s) { return CodeOf(s.srem("k", Views{"m1"})); }},
      {"sismember", "set", [](KvStore& s) { return CodeOf(s.sismember("k", "m1")); }},
      {"scard", "set", [](KvStore& s) { return CodeOf(s.scard("k")); }},
  };
  return ops;
}

TEST_F(KvStoreTest, EveryTypedOpOnAnotherTypeIsWrongTypeAndChangesNothing) {
  int checked = 0;
  for (const TypedOp& op : TypedOps()) {
    for (std::string_view holder : {"string", "list", "hash", "set"}) {
      store.clear();
      if (holder == "string") MakeString("k", "7");
      if (holder == "list") MakeList("k");
      if (holder == "hash") MakeHash("k");
      if (holder == "set") MakeSet("k");
      ASSERT_TRUE(*store.pexpire("k", 1000));
      const std::string before = Dump("k");
      const ErrorCode code = op.run(store);
      if (holder == op.type) {
        EXPECT_EQ(code, ErrorCode::kOk) << op.name << " on " << holder;
        continue;
      }
      EXPECT_EQ(code, ErrorCode::kWrongType) << op.name << " on " << holder;
      EXPECT_EQ(Dump("k"), before) << op.name << " on " << holder;
      EXPECT_THAT(*store.pttl("k"), Optional(1000)) << op.name << " on " << holder;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 24 * 3);
}

// The type-agnostic calls never report kWrongType.
TEST_F(KvStoreTest, TypeAgnosticOpsWorkOnEveryType) {
  for (int variant = 0; variant < 4; ++variant) {
    store.clear();
    switch (variant) {
      case 0:
        MakeString("k");
        break;
      case 1:
        MakeList("k");
        break;
      case 2:
        MakeHash("k");
        break;
      case 3:
        MakeSet("k");
        break;
    }
    EXPECT_TRUE(*store.exists("k"));
    EXPECT_TRUE(*store.pexpire("k", 100));
    EXPECT_THAT(*store.pttl("k"), Optional(100));
    EXPECT_TRUE(*store.persist("k"));
    EXPECT_FALSE(*store.setnx("k", "x"));
    EXPECT_THAT(Keys("k*"), ElementsAre("k"));
    std::vector<std::optional<std::string>> out(1);
    store.get_many(Views{"k"}, std::vector<std::uint32_t>{0}, out);
    EXPECT_EQ(out[0].has_value(), variant == 0);
    EXPECT_TRUE(*store.del("k"));
  }
}

}  // namespace
}  // namespace kora::kv
