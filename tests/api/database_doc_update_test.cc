// Database::doc_update on 1 and 3 shards: every mutation kind and error with the exact
// resulting JSON, all-or-nothing updates (document, dictionary and stats), dictionary
// reference counting, TTLs, and a seeded model-based test against a reference
// implementation of the update semantics on a RapidJSON DOM.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kora/kora.h"
#include "test_util.h"

namespace kora {
namespace {

using std::chrono::milliseconds;
using testing::HasCode;
using testing::IsOk;
using testing::ManualClock;
using Opt = std::optional<std::string>;
using M = DocUpdateMutation;
using EC = ErrorCode;

__extension__ using Int128 = __int128;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::uint64_t kUint64Max = std::numeric_limits<std::uint64_t>::max();

// "ok" or "<code> at <batch_index>", so a failed expectation prints both.
template <class T>
std::string outcome(const Result<T>& r) {
  if (r.ok()) return "ok";
  const ErrorDetail* d = r.status().detail();
  std::string s(to_string(r.status().code()));
  s += " at ";
  s += d != nullptr && d->batch_index ? std::to_string(*d->batch_index) : "-";
  return s;
}
std::string failure(EC code, std::uint32_t index) {
  return std::string(to_string(code)) + " at " + std::to_string(index);
}

// The dictionary's fields as the documents define them: every field's display path and
// term counts, sorted by path (field ids depend on history, so they are left out).
std::string dictionary_shape(const DocDictionaryInfo& info) {
  std::vector<std::string> lines;
  for (const DocDictionaryFieldInfo& f : info.fields) {
    lines.push_back(f.path + " terms=" + std::to_string(f.interned_terms) + " card=" +
                    std::to_string(f.cardinality_estimate) + (f.terms_interned ? "" : " stopped"));
  }
  std::sort(lines.begin(), lines.end());
  std::string out = "entries=" + std::to_string(info.entries);
  for (const std::string& line : lines) out += "\n" + line;
  return out;
}

class DatabaseDocUpdateTest : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  void SetUp() override { open(Config{.shard_count = GetParam()}); }

  void open(Config config) {
    db_.reset();
    config.clock = clock_.source();
    auto db = Database::open(std::move(config));
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(db).value();
    ASSERT_THAT(db_->doc_create_collection("c"), IsOk());
  }

  void put(std::string_view id, std::string_view json, DocWriteOptions options = {}) {
    auto r = db_->doc_set("c", id, json, options);
    ASSERT_TRUE(r.ok()) << r.status().to_string() << " for " << json;
  }
  Opt get(std::string_view id) {
    auto r = db_->doc_get("c", id);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : Opt("<error>");
  }
  Result<bool> update(std::string_view id, std::initializer_list<M> mutations) {
    return db_->doc_update("c", id, mutations);
  }
  // Applies one list that must succeed and returns the document.
  Opt updated(std::string_view id, std::initializer_list<M> mutations) {
    auto r = db_->doc_update("c", id, mutations);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_TRUE(r.ok() && *r) << "no such document " << id;
    return get(id);
  }
  // Stats that must not move when an update fails.
  std::string stats() {
    return to_json(*db_->doc_storage_info("c")) + "\n" + to_json(*db_->doc_dictionary_info("c"));
  }
  // Runs a list that must fail with `code` at `index` and change nothing at all.
  void expect_fails(std::string_view id, std::initializer_list<M> mutations, EC code,
                    std::uint32_t index) {
    const Opt before = get(id);
    const std::string stats_before = stats();
    auto r = db_->doc_update("c", id, mutations);
    EXPECT_EQ(outcome(r), failure(code, index)) << r.status().to_string();
    EXPECT_EQ(get(id), before);
    EXPECT_EQ(stats(), stats_before);
  }
  std::uint64_t entries() { return db_->doc_dictionary_info("c")->entries; }

  ManualClock clock_;
  std::unique_ptr<Database> db_;
};

INSTANTIATE_TEST_SUITE_P(Shards, DatabaseDocUpdateTest, ::testing::Values(1u, 3u),
                         [](const auto& info) { return "shards" + std::to_string(info.param); });

// ---- set ------------------------------------------------------------------------------

TEST_P(DatabaseDocUpdateTest, SetReplacesInPlaceAndAppendsNewKeys) {
  put("d", R"({"a":1,"b":{"c":2},"d":"three"})");
  EXPECT_EQ(updated("d", {M::set("b", "5")}), Opt(R"({"a":1,"b":5,"d":"three"})"));
  EXPECT_EQ(updated("d", {M::set("e", R"("new")")}), Opt(R"({"a":1,"b":5,"d":"three","e":"new"})"));
  EXPECT_EQ(updated("d", {M::set("a", R"({"x":[1,{"y":null}]})")}),
            Opt(R"({"a":{"x":[1,{"y":null}]},"b":5,"d":"three","e":"new"})"));
  EXPECT_EQ(updated("d", {M::set("a.x.1.y", "true"), M::set("a.z", "-0.0")}),
            Opt(R"({"a":{"x":[1,{"y":true}],"z":-0.0},"b":5,"d":"three","e":"new"})"));
  // Every scalar kind, and values whose text is not canonical come back canonical.
  EXPECT_EQ(updated("d", {M::set("b", R"( [ 1.50 , 18446744073709551615, -9223372036854775808,)"
                                      R"( 1e2, "\u00e9\t", false, null ] )")}),
            Opt("{\"a\":{\"x\":[1,{\"y\":true}],\"z\":-0.0},\"b\":[1.5,18446744073709551615,"
                "-9223372036854775808,100.0,\"\xc3\xa9\\t\",false,null],\"d\":\"three\","
                "\"e\":\"new\"}"));
}

TEST_P(DatabaseDocUpdateTest, SetCreatesIntermediateObjects) {
  put("d", R"({"a":1})");
  EXPECT_EQ(updated("d", {M::set("p.q.r", R"("deep")")}), Opt(R"({"a":1,"p":{"q":{"r":"deep"}}})"));
  EXPECT_EQ(updated("d", {M::set("p.s", "2"), M::set("p.q.t", "3")}),
            Opt(R"({"a":1,"p":{"q":{"r":"deep","t":3},"s":2}})"));
  // Digit segments under an object are keys.
  EXPECT_EQ(updated("d", {M::set("n.0", "0"), M::set("n.5", "5")}),
            Opt(R"({"a":1,"p":{"q":{"r":"deep","t":3},"s":2},"n":{"0":0,"5":5}})"));
  // Later mutations see earlier ones: through a value set by this very list.
  EXPECT_EQ(updated("d", {M::set("v", R"({"w":{"x":1}})"), M::set("v.w.y", "2"),
                          M::set("v.l", "[]"), M::set("v.l.0", R"("e")")}),
            Opt(R"({"a":1,"p":{"q":{"r":"deep","t":3},"s":2},"n":{"0":0,"5":5},)"
                R"("v":{"w":{"x":1,"y":2},"l":["e"]}})"));
}

TEST_P(DatabaseDocUpdateTest, SetThroughAScalarOrAnArrayIsWrongType) {
  put("d", R"({"s":"str","n":1,"z":null,"t":[1,{"k":2},[3]]})");
  expect_fails("d", {M::set("s.x", "1")}, EC::kWrongType, 0);
  expect_fails("d", {M::set("n.x.y", "1")}, EC::kWrongType, 0);
  expect_fails("d", {M::set("z.x", "1")}, EC::kWrongType, 0);
  expect_fails("d", {M::set("t.x", "1")}, EC::kWrongType, 0);
  expect_fails("d", {M::set("t.x.y", "1")}, EC::kWrongType, 0);
  expect_fails("d", {M::set("t.0.x", "1")}, EC::kWrongType, 0);
  expect_fails("d", {M::set("t.2.k", "1")}, EC::kWrongType, 0);
  // An index into the object element is fine.
  EXPECT_EQ(updated("d", {M::set("t.1.k", "9")}),
            Opt(R"({"s":"str","n":1,"z":null,"t":[1,{"k":9},[3]]})"));
}

TEST_P(DatabaseDocUpdateTest, SetOnArraysReplacesAppendsOrIsOutOfRange) {
  put("d", R"({"t":[1,2,3],"m":[[1,2],[3]]})");
  EXPECT_EQ(updated("d", {M::set("t.1", R"("two")")}), Opt(R"({"t":[1,"two",3],"m":[[1,2],[3]]})"));
  EXPECT_EQ(updated("d", {M::set("t.3", "4")}), Opt(R"({"t":[1,"two",3,4],"m":[[1,2],[3]]})"));
  expect_fails("d", {M::set("t.5", "6")}, EC::kOutOfRange, 0);
  expect_fails("d", {M::set("t.99999999999999999999999", "6")}, EC::kOutOfRange, 0);
  expect_fails("d", {M::set("t.5.x", "6")}, EC::kOutOfRange, 0);
  // Nested arrays: m.0.1 is the second element of the first element.
  EXPECT_EQ(updated("d", {M::set("m.0.1", "9")}), Opt(R"({"t":[1,"two",3,4],"m":[[1,9],[3]]})"));
  EXPECT_EQ(updated("d", {M::set("m.1.1", R"("z")")}),
            Opt(R"({"t":[1,"two",3,4],"m":[[1,9],[3,"z"]]})"));
  EXPECT_EQ(
      updated("d", {M::set("m.2", "[]"), M::set("m.2.0", R"({"o":1})"), M::set("m.2.0.p", "2")}),
      Opt(R"({"t":[1,"two",3,4],"m":[[1,9],[3,"z"],[{"o":1,"p":2}]]})"));
  expect_fails("d", {M::set("m.0.3", "1")}, EC::kOutOfRange, 0);
  // An empty array: index 0 appends.
  EXPECT_EQ(updated("d", {M::set("t", "[]"), M::set("t.0", "true")}),
            Opt(R"({"t":[true],"m":[[1,9],[3,"z"],[{"o":1,"p":2}]]})"));
}

TEST_P(DatabaseDocUpdateTest, BackquotedSegmentsAreKeys) {
  put("d", R"({"x.y":1,"x":{"y":2}})");
  EXPECT_EQ(updated("d", {M::set("`x.y`", "3")}), Opt(R"({"x.y":3,"x":{"y":2}})"));
  EXPECT_EQ(updated("d", {M::set("x.y", "4")}), Opt(R"({"x.y":3,"x":{"y":4}})"));
  EXPECT_EQ(updated("d", {M::set("`a.b`.c", "5")}), Opt(R"({"x.y":3,"x":{"y":4},"a.b":{"c":5}})"));
  EXPECT_EQ(updated("d", {M::set("`a``b`", "6"), M::set("` `", "7"), M::set("``", "8")}),
            Opt(R"({"x.y":3,"x":{"y":4},"a.b":{"c":5},"a`b":6," ":7,"":8})"));
  EXPECT_EQ(updated("d", {M::del("`x.y`"), M::incr("`a.b`.c", 1), M::del("``")}),
            Opt(R"({"x":{"y":4},"a.b":{"c":6},"a`b":6," ":7})"));
}

TEST_P(DatabaseDocUpdateTest, KeysAndTermsKnownFromOtherDocumentsOrBrandNew) {
  const std::uint64_t empty_bytes = db_->doc_dictionary_info("c")->bytes;
  put("one", R"({"shared":"a long shared value","n":1,"o":{"in":"nested value"}})");
  put("two", R"({"n":2})");
  const std::uint64_t after_one = entries();
  // Paths and terms that "one" holds already, then brand-new ones.
  EXPECT_EQ(updated("two", {M::set("shared", R"("a long shared value")"),
                            M::set("o", R"({"in":"nested value"})")}),
            Opt(R"({"n":2,"shared":"a long shared value","o":{"in":"nested value"}})"));
  // On one shard both documents share one dictionary: nothing new was interned.
  if (GetParam() == 1) {
    EXPECT_EQ(entries(), after_one);
  }
  EXPECT_EQ(updated("two", {M::set("brand_new", R"("a brand new value")"),
                            M::set("o.fresh", R"(["fresh long term"])")}),
            Opt(R"({"n":2,"shared":"a long shared value","o":{"in":"nested value",)"
                R"("fresh":["fresh long term"]},"brand_new":"a brand new value"})"));
  EXPECT_GT(entries(), after_one);
  // Dropping "one" must not take what "two" now shares with it.
  ASSERT_TRUE(*db_->doc_del("c", "one"));
  EXPECT_EQ(get("two"), Opt(R"({"n":2,"shared":"a long shared value","o":{"in":"nested value",)"
                            R"("fresh":["fresh long term"]},"brand_new":"a brand new value"})"));
  put("three", R"({"shared":"a long shared value","o":{"in":"nested value"}})");
  EXPECT_EQ(get("three"), Opt(R"({"shared":"a long shared value","o":{"in":"nested value"}})"));
  ASSERT_TRUE(*db_->doc_del("c", "two"));
  ASSERT_TRUE(*db_->doc_del("c", "three"));
  EXPECT_EQ(entries(), 0u);
  EXPECT_EQ(db_->doc_dictionary_info("c")->bytes, empty_bytes);
}

// ---- del ------------------------------------------------------------------------------

TEST_P(DatabaseDocUpdateTest, DelRemovesKeysAndElementsAndIgnoresMissingPaths) {
  put("d", R"({"a":1,"b":{"c":"long string","d":2},"t":["x","long element",{"k":1}],"s":"str"})");
  EXPECT_EQ(updated("d", {M::del("b.c")}),
            Opt(R"({"a":1,"b":{"d":2},"t":["x","long element",{"k":1}],"s":"str"})"));
  EXPECT_EQ(updated("d", {M::del("t.1")}),
            Opt(R"({"a":1,"b":{"d":2},"t":["x",{"k":1}],"s":"str"})"));
  EXPECT_EQ(updated("d", {M::del("t.1.k")}), Opt(R"({"a":1,"b":{"d":2},"t":["x",{}],"s":"str"})"));
  const std::string stable = R"({"a":1,"b":{"d":2},"t":["x",{}],"s":"str"})";
  const std::uint64_t entries_before = entries();
  for (const char* path : {"missing", "b.missing", "missing.deeper", "a.x", "s.x.y", "t.2", "t.9",
                           "t.x", "t.x.y", "t.0.x", "t.1.k", "b.d.e"}) {
    auto r = update("d", {M::del(path)});
    EXPECT_EQ(outcome(r), "ok") << path;
    EXPECT_TRUE(r.ok() && *r) << path;
    EXPECT_EQ(get("d"), Opt(stable)) << path;
  }
  EXPECT_EQ(entries(), entries_before);
  EXPECT_EQ(updated("d", {M::del("b"), M::del("t.0"), M::del("a"), M::del("s")}),
            Opt(R"({"t":[{}]})"));
  EXPECT_EQ(updated("d", {M::del("t")}), Opt("{}"));
  EXPECT_EQ(entries(), 0u);  // the only document is empty
}

// ---- incr -----------------------------------------------------------------------------

TEST_P(DatabaseDocUpdateTest, IncrKeepsIntegersAndPromotesToDouble) {
  put("d", R"({"i":5,"f":1.5,"big":18446744073709551615,"u":9223372036854775808})");
  EXPECT_EQ(updated("d", {M::incr("i", 2)}),
            Opt(R"({"i":7,"f":1.5,"big":18446744073709551615,"u":9223372036854775808})"));
  // An integral double delta keeps an integer an integer: 7 + 2.0 is 9, not 9.0.
  EXPECT_EQ(updated("d", {M::incr("i", 2.0)}),
            Opt(R"({"i":9,"f":1.5,"big":18446744073709551615,"u":9223372036854775808})"));
  EXPECT_EQ(updated("d", {M::incr("i", -2.0), M::incr("i", std::int8_t{-3})}),
            Opt(R"({"i":4,"f":1.5,"big":18446744073709551615,"u":9223372036854775808})"));
  EXPECT_EQ(updated("d", {M::incr("i", 0.5)}),
            Opt(R"({"i":4.5,"f":1.5,"big":18446744073709551615,"u":9223372036854775808})"));
  // A double stays a double, even with an integral result.
  EXPECT_EQ(updated("d", {M::incr("f", 1)}),
            Opt(R"({"i":4.5,"f":2.5,"big":18446744073709551615,"u":9223372036854775808})"));
  EXPECT_EQ(updated("d", {M::incr("f", 0.5), M::incr("i", 0.5)}),
            Opt(R"({"i":5.0,"f":3.0,"big":18446744073709551615,"u":9223372036854775808})"));
  // uint64 values: an integral result that fits int64 becomes an int64; integer +
  // integer overflow (past int64) is kOutOfRange; a non-integral delta makes a double.
  expect_fails("d", {M::incr("big", -1)}, EC::kOutOfRange, 0);
  expect_fails("d", {M::incr("big", 1)}, EC::kOutOfRange, 0);
  EXPECT_EQ(updated("d", {M::incr("u", -1)}),
            Opt(R"({"i":5.0,"f":3.0,"big":18446744073709551615,"u":9223372036854775807})"));
  EXPECT_EQ(updated("d", {M::incr("big", kInt64Min)}),
            Opt(R"({"i":5.0,"f":3.0,"big":9223372036854775807,"u":9223372036854775807})"));
  put("d", R"({"big":18446744073709551615,"b2":18446744073709551615})");
  EXPECT_EQ(updated("d", {M::incr("big", 0.5), M::incr("b2", 1.0)}),
            Opt(R"({"big":18446744073709551616.0,"b2":18446744073709551616.0})"));
}

TEST_P(DatabaseDocUpdateTest, IncrOnAMissingPathSetsTheDelta) {
  put("d", R"({"a":1})");
  EXPECT_EQ(updated("d", {M::incr("n", 3)}), Opt(R"({"a":1,"n":3})"));
  EXPECT_EQ(updated("d", {M::incr("f", 2.0)}), Opt(R"({"a":1,"n":3,"f":2.0})"));
  EXPECT_EQ(updated("d", {M::incr("x.y.z", -1.25)}),
            Opt(R"({"a":1,"n":3,"f":2.0,"x":{"y":{"z":-1.25}}})"));
  EXPECT_EQ(updated("d", {M::incr("x.min", kInt64Min), M::incr("x.u", std::uint64_t{kInt64Max})}),
            Opt(R"({"a":1,"n":3,"f":2.0,"x":{"y":{"z":-1.25},"min":-9223372036854775808,)"
                R"("u":9223372036854775807}})"));
  put("d", R"({"t":[1]})");
  EXPECT_EQ(updated("d", {M::incr("t.0", 1), M::incr("t.1", 5)}), Opt(R"({"t":[2,5]})"));
  expect_fails("d", {M::incr("t.3", 1)}, EC::kOutOfRange, 0);
  expect_fails("d", {M::incr("t.x", 1)}, EC::kWrongType, 0);
  expect_fails("d", {M::incr("t.0.x", 1)}, EC::kWrongType, 0);
}

TEST_P(DatabaseDocUpdateTest, IncrOverflowAndBadDeltas) {
  put("d", R"({"max":9223372036854775807,"min":-9223372036854775808,"f":1.7976931348623157e308,)"
           R"("s":"12","b":true,"z":null,"o":{},"t":[]})");
  const std::string doc = *get("d");
  expect_fails("d", {M::incr("max", 1)}, EC::kOutOfRange, 0);
  expect_fails("d", {M::incr("min", -1)}, EC::kOutOfRange, 0);
  expect_fails("d", {M::incr("min", kInt64Min)}, EC::kOutOfRange, 0);
  expect_fails("d", {M::incr("f", 1e308)}, EC::kOutOfRange, 0);
  expect_fails("d", {M::incr("f", 1.7976931348623157e308)}, EC::kOutOfRange, 0);
  expect_fails("d", {M::incr("min", -1.7976931348623157e308), M::incr("min", -1e308)},
               EC::kOutOfRange, 1);
  for (const char* path : {"s", "b", "z", "o", "t"}) {
    expect_fails("d", {M::incr(path, 1)}, EC::kWrongType, 0);
    expect_fails("d", {M::incr(path, 1.5)}, EC::kWrongType, 0);
  }
  // Checked on the caller: an unsigned delta above INT64_MAX, a non-finite double.
  expect_fails("d", {M::incr("max", std::uint64_t{1} << 63)}, EC::kOutOfRange, 0);
  expect_fails("d", {M::incr("new", kUint64Max)}, EC::kOutOfRange, 0);
  expect_fails("d", {M::incr("new", std::numeric_limits<double>::infinity())}, EC::kInvalidArgument,
               0);
  expect_fails("d", {M::incr("new", -std::numeric_limits<double>::infinity())},
               EC::kInvalidArgument, 0);
  expect_fails("d", {M::incr("new", std::numeric_limits<double>::quiet_NaN())},
               EC::kInvalidArgument, 0);
  EXPECT_EQ(get("d"), Opt(doc));
  // The edges that fit.
  EXPECT_EQ(updated("d", {M::incr("max", kInt64Min), M::incr("min", kInt64Max)}),
            Opt(R"({"max":-1,"min":-1,"f":1.7976931348623157e+308,)"
                R"("s":"12","b":true,"z":null,"o":{},"t":[]})"));
  // An integer plus a huge double is a (finite) double.
  EXPECT_EQ(updated("d", {M::incr("max", 1e300)}),
            Opt(R"({"max":1e+300,"min":-1,"f":1.7976931348623157e+308,)"
                R"("s":"12","b":true,"z":null,"o":{},"t":[]})"));
  // INT64_MAX + 1.0: the integral double sum does not fit int64, so it is a double.
  put("e", R"({"max":9223372036854775807})");
  EXPECT_EQ(updated("e", {M::incr("max", 1.0)}), Opt(R"({"max":9223372036854775808.0})"));
}

// ---- push and pull --------------------------------------------------------------------

TEST_P(DatabaseDocUpdateTest, PushAppendsAndCreatesArrays) {
  put("d", R"({"t":[1],"s":"x","o":{}})");
  EXPECT_EQ(updated("d", {M::push("t", "2")}), Opt(R"({"t":[1,2],"s":"x","o":{}})"));
  EXPECT_EQ(updated("d", {M::push("t", R"({"k":[1,"long value"]})"), M::push("t", "[[]]")}),
            Opt(R"({"t":[1,2,{"k":[1,"long value"]},[[]]],"s":"x","o":{}})"));
  EXPECT_EQ(updated("d", {M::push("n", R"("first")"), M::push("o.p.q", "null")}),
            Opt(R"({"t":[1,2,{"k":[1,"long value"]},[[]]],"s":"x","o":{"p":{"q":[null]}},)"
                R"("n":["first"]})"));
  EXPECT_EQ(updated("d", {M::push("t.3.0", "7"), M::push("t.2.k", "8"), M::push("t.4", "9")}),
            Opt(R"({"t":[1,2,{"k":[1,"long value",8]},[[7]],[9]],"s":"x","o":{"p":{"q":[null]}},)"
                R"("n":["first"]})"));
  for (const char* path : {"s", "o", "t.0", "o.p"}) {
    expect_fails("d", {M::push(path, "1")}, EC::kWrongType, 0);
  }
  expect_fails("d", {M::push("s.x", "1")}, EC::kWrongType, 0);
  expect_fails("d", {M::push("t.x", "1")}, EC::kWrongType, 0);
  expect_fails("d", {M::push("t.9", "1")}, EC::kOutOfRange, 0);
}

TEST_P(DatabaseDocUpdateTest, PullRemovesEveryEqualElement) {
  put("d", R"({"t":[1,1.0,"1",2,1,true,null,-0.0,0],"s":"str","o":{}})");
  EXPECT_EQ(updated("d", {M::pull("t", "1")}),
            Opt(R"({"t":["1",2,true,null,-0.0,0],"s":"str","o":{}})"));
  EXPECT_EQ(updated("d", {M::pull("t", "0.0")}),
            Opt(R"({"t":["1",2,true,null],"s":"str","o":{}})"));
  EXPECT_EQ(updated("d", {M::pull("t", "2.0"), M::pull("t", "null"), M::pull("t", "false")}),
            Opt(R"({"t":["1",true],"s":"str","o":{}})"));
  // Big numbers compare exactly: 2^53 + 1 is not 2^53.
  put("n",
      R"({"t":[9007199254740993,9007199254740992,18446744073709551615,1.8446744073709552e19]})");
  EXPECT_EQ(updated("n", {M::pull("t", "9007199254740992.0")}),
            Opt(R"({"t":[9007199254740993,18446744073709551615,18446744073709551616.0]})"));
  EXPECT_EQ(updated("n", {M::pull("t", "18446744073709551615")}),
            Opt(R"({"t":[9007199254740993,18446744073709551616.0]})"));
  // Objects: the same keys and values in any order; nested arrays in order.
  put("o",
      R"({"t":[{"a":1,"b":[1,{"c":"long text","d":null}]},{"a":1},{"b":[1,{"d":null,"c":"long text"}],"a":1.0},)"
      R"({"a":1,"b":[{"c":"long text","d":null},1]},[1,[2,"xy"]],[[2,"xy"],1],[1,[2,"xy"]]]})");
  EXPECT_EQ(updated("o", {M::pull("t", R"({"b":[1,{"d":null,"c":"long text"}],"a":1})")}),
            Opt(R"({"t":[{"a":1},{"a":1,"b":[{"c":"long text","d":null},1]},[1,[2,"xy"]],)"
                R"([[2,"xy"],1],[1,[2,"xy"]]]})"));
  EXPECT_EQ(updated("o", {M::pull("t", R"([1,[2.0,"xy"]])"), M::pull("t", R"({"a":1,"b":null})")}),
            Opt(R"({"t":[{"a":1},{"a":1,"b":[{"c":"long text","d":null},1]},[[2,"xy"],1]]})"));
  // Missing paths are no-ops; non-arrays are kWrongType.
  for (const char* path : {"missing", "t.9", "t.x", "s.x", "x.y.z", "t.0.zz"}) {
    auto r = db_->doc_update("c", "d", std::vector<M>{M::pull(path, "1")});
    EXPECT_EQ(outcome(r), "ok") << path;
  }
  EXPECT_EQ(get("d"), Opt(R"({"t":["1",true],"s":"str","o":{}})"));
  expect_fails("d", {M::pull("s", R"("str")")}, EC::kWrongType, 0);
  expect_fails("d", {M::pull("o", "1")}, EC::kWrongType, 0);
  expect_fails("d", {M::pull("t.1", "true")}, EC::kWrongType, 0);
}

TEST_P(DatabaseDocUpdateTest, PullComparesInternedAndInlineStrings) {
  // "ab" stays inline (shorter than 4 bytes); the long strings are interned terms of the
  // array's field. Also an array under a new key (not interned yet) and one nested in an
  // array of objects.
  put("d", R"({"t":["ab","abcd","long term","ab","abcd","abc","long term "],)"
           R"("o":[{"t":["ab","long term"]},{"t":["long term"]}],"m":[["long term","ab"]]})");
  const std::uint64_t before = entries();
  EXPECT_EQ(updated("d", {M::pull("t", R"("ab")")}),
            Opt(R"({"t":["abcd","long term","abcd","abc","long term "],)"
                R"("o":[{"t":["ab","long term"]},{"t":["long term"]}],"m":[["long term","ab"]]})"));
  EXPECT_EQ(updated("d", {M::pull("t", R"("long term")"), M::pull("t", R"("abcd")")}),
            Opt(R"({"t":["abc","long term "],)"
                R"("o":[{"t":["ab","long term"]},{"t":["long term"]}],"m":[["long term","ab"]]})"));
  EXPECT_LT(entries(), before);  // the terms "abcd" and "long term" of t are gone
  EXPECT_EQ(
      updated("d", {M::pull("o.0.t", R"("long term")"), M::pull("o.1.t", R"("ab")"),
                    M::pull("m.0", R"("long term")"), M::pull("o", R"({"t":["long term"]})")}),
      Opt(R"({"t":["abc","long term "],"o":[{"t":["ab"]}],"m":[["ab"]]})"));
  // Values pushed by the same list are compared before they are encoded.
  EXPECT_EQ(updated("d", {M::push("t", R"("long term")"), M::push("t", R"("ab")"),
                          M::push("n", R"("brand new long")"), M::pull("t", R"("long term")"),
                          M::pull("t", R"("ab")"), M::pull("n", R"("brand new long")")}),
            Opt(R"({"t":["abc","long term "],"o":[{"t":["ab"]}],"m":[["ab"]],"n":[]})"));
  // Numbers pulled after incr computed them.
  put("e", R"({"t":[1,2,3]})");
  EXPECT_EQ(updated("e", {M::incr("t.0", 1), M::incr("t.2", -0.5), M::pull("t", "2"),
                          M::pull("t", "2.5")}),
            Opt(R"({"t":[]})"));
  ASSERT_TRUE(*db_->doc_del("c", "d"));
  ASSERT_TRUE(*db_->doc_del("c", "e"));
  EXPECT_EQ(entries(), 0u);
}

// ---- merge ----------------------------------------------------------------------------

TEST_P(DatabaseDocUpdateTest, MergeFollowsRfc7386AppendixA) {
  struct Case {
    const char* original;
    const char* patch;
    const char* result;
  };
  // The appendix's rows whose original and patch are objects, applied to the root.
  const std::vector<Case> root_cases = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const Case& c : root_cases) {
    put("d", c.original);
    EXPECT_EQ(updated("d", {M::merge(c.patch)}), Opt(c.result)) << c.original << " + " << c.patch;
  }
  // Every row (arrays and scalars included) one level down, under "x".
  const std::vector<Case> nested_cases = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const Case& c : nested_cases) {
    put("d", std::string(R"({"k":0,"x":)") + c.original + R"(,"z":1})");
    EXPECT_EQ(updated("d", {M::merge(std::string(R"({"x":)") + c.patch + "}")}),
              Opt(std::string(R"({"k":0,"x":)") + c.result + R"(,"z":1})"))
        << c.original << " + " << c.patch;
  }
  // {"a":"foo"} + null removes the member.
  put("d", R"({"k":0,"x":{"a":"foo"},"z":1})");
  EXPECT_EQ(updated("d", {M::merge(R"({"x":null})")}), Opt(R"({"k":0,"z":1})"));
  // The rows whose patch is not an object cannot apply to a document.
  put("d", R"({"a":"b"})");
  for (const char* patch : {R"(["c"])", "null", R"("bar")", "1", "[]"}) {
    expect_fails("d", {M::merge(patch)}, EC::kInvalidArgument, 0);
    expect_fails("d", {M::set("ok", "1"), M::merge(patch)}, EC::kInvalidArgument, 1);
  }
  expect_fails("d", {M::merge(R"({"a":)")}, EC::kInvalidJson, 0);
  // An empty patch changes nothing; a patch sees earlier mutations of the list.
  EXPECT_EQ(updated("d", {M::merge("{}")}), Opt(R"({"a":"b"})"));
  EXPECT_EQ(updated("d", {M::set("n.m", "1"), M::merge(R"({"n":{"m":null,"o":2},"a":null})")}),
            Opt(R"({"n":{"o":2}})"));
}

// ---- errors of the call ---------------------------------------------------------------

TEST_P(DatabaseDocUpdateTest, CallLevelErrorsAndMissingDocuments) {
  put("d", R"({"a":1})");
  EXPECT_THAT(db_->doc_update("c", "d", std::span<const M>()), HasCode(EC::kInvalidArgument));
  EXPECT_THAT(update("d", {}), HasCode(EC::kInvalidArgument));
  auto missing = update("nope", {M::set("a", "1")});
  ASSERT_TRUE(missing.ok()) << missing.status().to_string();
  EXPECT_FALSE(*missing);
  EXPECT_EQ(get("nope"), std::nullopt);
  EXPECT_THAT(db_->doc_update("nope", "d", {M::set("a", "1")}), HasCode(EC::kNotFound));
  EXPECT_THAT(db_->doc_update("", "d", {M::set("a", "1")}), HasCode(EC::kInvalidArgument));
  EXPECT_THAT(update("", {M::set("a", "1")}), HasCode(EC::kInvalidArgument));
  EXPECT_THAT(update(std::string(1025, 'x'), {M::set("a", "1")}), HasCode(EC::kInvalidArgument));
  EXPECT_EQ(get("d"), Opt(R"({"a":1})"));
  // Mutations are copyable.
  const M original = M::set("b", "[2]");
  std::vector<M> list = {original, original};
  list[1] = M::push("b", "3");
  M copy = list[0];
  EXPECT_EQ(copy.path(), "b");
  EXPECT_EQ(updated("d", {copy, list[1]}), Opt(R"({"a":1,"b":[2,3]})"));
}

TEST_P(DatabaseDocUpdateTest, MalformedPathsAndValuesNameTheMutation) {
  put("d", R"({"a":1})");
  for (const char* path : {"", "a.", ".a", "a..b", "a-b", "`open", "a b", "a.`x`y"}) {
    expect_fails("d", {M::set("a", "2"), M::set(path, "1")}, EC::kInvalidQuery, 1);
    expect_fails("d", {M::del(path)}, EC::kInvalidQuery, 0);
    expect_fails("d", {M::incr("a", 1), M::incr("a", 1), M::incr(path, 1)}, EC::kInvalidQuery, 2);
    expect_fails("d", {M::push(path, "1")}, EC::kInvalidQuery, 0);
    expect_fails("d", {M::set("a", "2"), M::pull(path, "1")}, EC::kInvalidQuery, 1);
  }
  auto r = update("d", {M::set("a", "2"), M::set("a-b", "1")});
  ASSERT_NE(r.status().detail(), nullptr);
  EXPECT_TRUE(r.status().detail()->position.has_value());
  for (const char* json :
       {"", "{", "[1,", "tru", R"("abc)", "1 2", "{'a':1}", "01", "NaN", "\"\xff\"", "\"\x01\""}) {
    expect_fails("d", {M::set("a", "2"), M::set("b", json)}, EC::kInvalidJson, 1);
    expect_fails("d", {M::push("b", json)}, EC::kInvalidJson, 0);
    expect_fails("d", {M::set("a", "2"), M::incr("a", 1), M::pull("b", json)}, EC::kInvalidJson, 2);
    expect_fails("d", {M::set("a", "2"), M::merge(json)}, EC::kInvalidJson, 1);
  }
  r = update("d", {M::set("a", "2"), M::set("b", "[1,")});
  ASSERT_NE(r.status().detail(), nullptr);
  EXPECT_TRUE(r.status().detail()->position.has_value());
  // A missing document with a malformed list is still an error.
  EXPECT_THAT(update("nope", {M::set("a-b", "1")}), HasCode(EC::kInvalidQuery));
  EXPECT_EQ(get("d"), Opt(R"({"a":1})"));
}

TEST_P(DatabaseDocUpdateTest, ResultsDeeperThanTheLimitAreRejected) {
  Config config{.shard_count = GetParam()};
  config.limits.max_document_depth = 4;
  open(std::move(config));
  put("d", R"({"a":{"b":{"c":{}}},"t":[[1]],"s":1})");  // depth 4
  expect_fails("d", {M::set("a.b.c.d", "{}")}, EC::kLimitExceeded, 0);
  expect_fails("d", {M::set("s", "1"), M::set("a.b.c.d.e", "1")}, EC::kLimitExceeded, 1);
  expect_fails("d", {M::set("x.y", "[[[1]]]")}, EC::kLimitExceeded, 0);
  expect_fails("d", {M::set("x.y.z", "[[]]")}, EC::kLimitExceeded, 0);
  expect_fails("d", {M::set("t.0.0", "[[]]")}, EC::kLimitExceeded, 0);
  expect_fails("d", {M::set("t.0.1", R"({"k":{}})")}, EC::kLimitExceeded, 0);
  expect_fails("d", {M::set("t.0", "[[[]]]")}, EC::kLimitExceeded, 0);
  expect_fails("d", {M::push("t.0", "[[]]")}, EC::kLimitExceeded, 0);
  expect_fails("d", {M::push("a.b.c.n", "1")}, EC::kLimitExceeded, 0);
  expect_fails("d", {M::push("x.y", "[[]]")}, EC::kLimitExceeded, 0);
  expect_fails("d", {M::incr("a.b.c.n", 1), M::incr("a.b.c.d.n", 1)}, EC::kLimitExceeded, 1);
  // A merge result is as deep as its patch, so a patch too deep fails while parsing.
  expect_fails("d", {M::merge(R"({"a":{"b":{"c":{"d":{}}}}})")}, EC::kLimitExceeded, 0);
  expect_fails("d", {M::merge(R"({"s":{"b":{"c":{"d":{"e":null}}}}})")}, EC::kLimitExceeded, 0);
  // A value deeper than the limit on its own is rejected while parsing.
  expect_fails("d", {M::set("s", "[[[[[1]]]]]")}, EC::kLimitExceeded, 0);
  // Exactly at the limit is fine.
  EXPECT_EQ(updated("d", {M::set("a.b.c.n", "1"), M::set("x", "[[1]]"), M::push("t.0", "2"),
                          M::merge(R"({"s":{"b":{"c":null}}})"), M::incr("a.b.c.i", 1),
                          M::set("y", "[[[]]]"), M::push("x.0", "[]")}),
            Opt(R"({"a":{"b":{"c":{"n":1,"i":1}}},"t":[[1,2]],"s":{"b":{}},"x":[[1,[]]],)"
                R"("y":[[[]]]})"));
  // Depth is checked where each value lands, after the earlier mutations of the list.
  EXPECT_EQ(updated("d", {M::del("y"), M::set("a.b", "[]"), M::set("y", "[[[]]]"),
                          M::set("a.b.0", "[]")}),
            Opt(R"({"a":{"b":[[]]},"t":[[1,2]],"s":{"b":{}},"x":[[1,[]]],"y":[[[]]]})"));
  expect_fails("d", {M::set("a.b", "[]"), M::set("a.b.0", "[[]]")}, EC::kLimitExceeded, 1);
}

// ---- atomicity ------------------------------------------------------------------------

TEST_P(DatabaseDocUpdateTest, AFailingMutationChangesNothing) {
  put("d", R"({"name":"a long interned name","n":1,"t":["long element one","xy",{"k":"v long"}],)"
           R"("o":{"p":"another long value","q":[1,2]},"s":"text"})");
  put("other", R"({"name":"a long interned name","o":{"p":"another long value"}})");
  const std::string other = *get("other");
  // Earlier mutations add new keys and new long terms, replace and remove interned ones;
  // the failing one is in the middle; later ones would be fine.
  auto prefix = [] {
    return std::vector<M>{
        M::set("brand_new_key", R"("a brand new long term")"),
        M::set("name", R"("a replacement long name")"),
        M::del("o.p"),
        M::push("t", R"({"new_inner":"new inner long term"})"),
        M::pull("t", R"("long element one")"),
        M::merge(R"({"o":{"q":null,"r":{"deep_new":"deep long term"}},"s":null})"),
        M::incr("n", 41),
        M::incr("fresh.counter", 2.5),
    };
  };
  const std::vector<std::pair<M, EC>> failing = {
      {M::set("n.x", "1"), EC::kWrongType},
      {M::set("t.9", "1"), EC::kOutOfRange},
      {M::set("t.x", "1"), EC::kWrongType},
      {M::incr("name", 1), EC::kWrongType},
      {M::incr("n", kInt64Max), EC::kOutOfRange},
      {M::push("name", "1"), EC::kWrongType},
      {M::pull("o", "1"), EC::kWrongType},
      {M::merge("[1]"), EC::kInvalidArgument},
      {M::set("x", "{"), EC::kInvalidJson},
      {M::set("a..b", "1"), EC::kInvalidQuery},
      {M::incr("n", std::numeric_limits<double>::infinity()), EC::kInvalidArgument},
  };
  for (std::size_t k = 0; k <= 8; ++k) {
    for (const auto& [bad, code] : failing) {
      std::vector<M> list = prefix();
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(k), list.end());
      list.push_back(bad);
      list.push_back(M::set("after", R"("after long value")"));
      list.push_back(M::del("name"));
      const Opt before = get("d");
      const std::string stats_before = stats();
      auto r = db_->doc_update("c", "d", list);
      EXPECT_EQ(outcome(r), failure(code, static_cast<std::uint32_t>(k)))
          << "k=" << k << " " << r.status().to_string();
      EXPECT_EQ(get("d"), before) << "k=" << k;
      EXPECT_EQ(stats(), stats_before) << "k=" << k;
      EXPECT_EQ(get("other"), Opt(other));
    }
  }
  // The same prefix alone applies.
  auto list = prefix();
  ASSERT_TRUE(*db_->doc_update("c", "d", list));
  EXPECT_EQ(get("d"), Opt(R"({"name":"a replacement long name","n":42,)"
                          R"("t":["xy",{"k":"v long"},{"new_inner":"new inner long term"}],)"
                          R"("o":{"r":{"deep_new":"deep long term"}},)"
                          R"("brand_new_key":"a brand new long term","fresh":{"counter":2.5}})"));
  EXPECT_EQ(get("other"), Opt(other));
  ASSERT_TRUE(*db_->doc_del("c", "d"));
  ASSERT_TRUE(*db_->doc_del("c", "other"));
  EXPECT_EQ(entries(), 0u);
}

// ---- TTL ------------------------------------------------------------------------------

TEST_P(DatabaseDocUpdateTest, UpdatesKeepTheTtl) {
  put("ttl", R"({"a":1})", {.ttl = milliseconds(10'000)});
  put("none", R"({"a":1})");
  clock_.advance(1'000);
  EXPECT_EQ(*db_->doc_ttl("c", "ttl"), milliseconds(9'000));
  EXPECT_EQ(updated("ttl", {M::incr("a", 1), M::set("b", R"("long value here")")}),
            Opt(R"({"a":2,"b":"long value here"})"));
  EXPECT_EQ(*db_->doc_ttl("c", "ttl"), milliseconds(9'000));
  expect_fails("ttl", {M::incr("a", 1), M::set("a.b", "1")}, EC::kWrongType, 1);
  EXPECT_EQ(*db_->doc_ttl("c", "ttl"), milliseconds(9'000));
  EXPECT_EQ(updated("none", {M::merge(R"({"a":null,"b":2})")}), Opt(R"({"b":2})"));
  EXPECT_EQ(*db_->doc_ttl("c", "none"), std::nullopt);
  // It still expires on time, and an expired document is not updated.
  clock_.advance(9'000);
  EXPECT_EQ(get("ttl"), std::nullopt);
  auto r = update("ttl", {M::set("a", "1")});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(get("ttl"), std::nullopt);
  EXPECT_EQ(get("none"), Opt(R"({"b":2})"));
}

// ---- dictionary ---------------------------------------------------------------------

// After updates, the dictionary holds exactly what a whole write of the resulting JSON
// would: the same paths (keys of objects inside arrays are "array[].key" paths, nested
// arrays included) and the same interned terms.
TEST_P(DatabaseDocUpdateTest, DictionaryMatchesAWholeWriteOfTheResult) {
  ASSERT_THAT(db_->doc_create_collection("whole"), IsOk());
  auto expect_same_dictionary = [&](const char* step) {
    const Opt doc = get("d");
    ASSERT_TRUE(doc.has_value());
    ASSERT_TRUE(db_->doc_set("whole", "d", *doc).ok());
    EXPECT_EQ(dictionary_shape(*db_->doc_dictionary_info("c")),
              dictionary_shape(*db_->doc_dictionary_info("whole")))
        << step << ": " << *doc;
  };
  put("d", R"({"t":[{"a":1},[{"b":"long b"}]],"o":{"u":[{"k":"long v"}]},"s":"long s"})");
  expect_same_dictionary("initial");
  ASSERT_TRUE(*update(
      "d", {M::set("t.0.new", R"("long new")"), M::set("t.1.0.nb", R"("long nb")"),
            M::push("t.1", R"({"pk":"long p"})"), M::incr("o.u.0.cnt", 1),
            M::set("o.u.0.deep.x", R"("long x")"), M::push("o.u.0.arr", R"({"y":"long y"})"),
            M::push("t", R"([{"z":"long z"}])"), M::set("t.0.obj", R"({"w":"long w"})")}));
  EXPECT_EQ(
      get("d"),
      Opt(R"({"t":[{"a":1,"new":"long new","obj":{"w":"long w"}},)"
          R"([{"b":"long b","nb":"long nb"},{"pk":"long p"}],[{"z":"long z"}]],)"
          R"("o":{"u":[{"k":"long v","cnt":1,"deep":{"x":"long x"},"arr":[{"y":"long y"}]}]},)"
          R"("s":"long s"})"));
  expect_same_dictionary("added");
  ASSERT_TRUE(*update("d", {M::merge(R"({"o":{"u":[{"m":"long m"}]},"n":{"q":"long q"}})"),
                            M::set("t.1.0.b", R"("long b2")"), M::pull("t.1", R"({"pk":"long p"})"),
                            M::set("t.0", R"({"a":"long a"})"), M::del("s")}));
  expect_same_dictionary("replaced");
  ASSERT_TRUE(*update("d", {M::del("t"), M::set("o.u", "[]"), M::incr("n.q2", 1.5)}));
  expect_same_dictionary("removed");
  ASSERT_TRUE(*db_->doc_del("c", "d"));
  EXPECT_EQ(entries(), 0u);
}

// ---- a reference implementation on a RapidJSON DOM ------------------------------------
//
// API.md's update semantics, written directly and simply. Documents are rapidjson
// Documents; every comparison with the engine goes through RapidJSON's Writer on both
// sides (the engine's text is re-parsed with full precision first), which keeps ints and
// doubles apart ("7" vs "7.0") while ignoring how a double is spelled.

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

std::string write_json(const Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  EXPECT_TRUE(v.Accept(w));
  return std::string(sb.GetString(), sb.GetSize());
}

std::string normalize(std::string_view json) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseFullPrecisionFlag>(json.data(), json.size());
  if (d.HasParseError()) return "<unparsable> " + std::string(json);
  return write_json(d);
}

std::string_view str(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

Int128 integer_of(const Value& v) {
  return v.IsInt64() ? Int128{v.GetInt64()} : Int128{v.GetUint64()};
}

// Numbers by exact value (int64, uint64 and doubles alike).
bool numbers_equal(const Value& a, const Value& b) {
  if (a.IsDouble() && b.IsDouble()) return a.GetDouble() == b.GetDouble();
  if (a.IsDouble()) return numbers_equal(b, a);
  if (!b.IsDouble()) return integer_of(a) == integer_of(b);
  const double d = b.GetDouble();
  if (!(d >= -0x1p63 && d < 0x1p64) || d != std::trunc(d)) return false;
  const Int128 e =
      d < 0 ? Int128{static_cast<std::int64_t>(d)} : Int128{static_cast<std::uint64_t>(d)};
  return integer_of(a) == e;
}

// Equality as in WHERE: numbers by value, objects by keys and values in any order.
bool json_equal(const Value& a, const Value& b) {
  if (a.IsNumber() || b.IsNumber()) return a.IsNumber() && b.IsNumber() && numbers_equal(a, b);
  if (a.GetType() != b.GetType()) return false;
  if (a.IsString()) return str(a) == str(b);
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!json_equal(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) return false;
    for (const auto& m : a.GetObject()) {
      const auto it = b.FindMember(m.name);
      if (it == b.MemberEnd() || !json_equal(m.value, it->value)) return false;
    }
    return true;
  }
  return true;  // null, true, false
}

std::uint32_t depth_of(const Value& v) {
  std::uint32_t deepest = 0;
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) deepest = std::max(deepest, depth_of(m.value));
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) deepest = std::max(deepest, depth_of(e));
  } else {
    return 0;
  }
  return deepest + 1;
}

// Decimal digits without a leading zero.
std::optional<std::size_t> index_of(const std::string& s) {
  if (s.empty() || s.size() > 9 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return static_cast<std::size_t>(std::stoul(s));
}

Value* member(Value& object, const std::string& key) {
  const auto it = object.FindMember(Value(rapidjson::StringRef(key.data(), key.size())));
  return it == object.MemberEnd() ? nullptr : &it->value;
}
void add_member(Value& object, const std::string& key, Value&& value, Alloc& a) {
  object.AddMember(Value(key.data(), static_cast<rapidjson::SizeType>(key.size()), a), value, a);
}
void erase_member(Value& object, const std::string& key) {
  object.EraseMember(object.FindMember(Value(rapidjson::StringRef(key.data(), key.size()))));
}

struct RefMutation {
  M m;
  std::vector<std::string> path;  // the segments m.path() spells
  bool bad_path = false;          // m.path() is malformed
};

class Reference {
 public:
  Reference(Value& root, Alloc& a) : root_(root), a_(a) {}

  // The container that holds the last segment; nullptr: missing (only without `create`).
  std::optional<EC> walk(const std::vector<std::string>& path, bool create, Value*& out) {
    Value* n = &root_;
    out = nullptr;
    for (std::size_t s = 0; s + 1 < path.size(); ++s) {
      const std::string& seg = path[s];
      Value* child = nullptr;
      if (n->IsObject()) {
        child = member(*n, seg);
        if (child == nullptr) {
          if (!create) return std::nullopt;
          add_member(*n, seg, Value(rapidjson::kObjectType), a_);
          n = &(n->MemberEnd() - 1)->value;
          continue;
        }
      } else {
        const auto i = index_of(seg);
        if (!i) return create ? std::optional(EC::kWrongType) : std::nullopt;
        if (*i >= n->Size()) return create ? std::optional(EC::kOutOfRange) : std::nullopt;
        child = &(*n)[static_cast<rapidjson::SizeType>(*i)];
      }
      if (!child->IsObject() && !child->IsArray()) {
        return create ? std::optional(EC::kWrongType) : std::nullopt;
      }
      n = child;
    }
    out = n;
    return std::nullopt;
  }

  // Where the last segment is in container n: a value, or nullptr when missing (and,
  // for arrays, appendable: index == size).
  std::optional<EC> locate(Value& n, const std::string& seg, bool appendable, Value*& out) {
    out = nullptr;
    if (n.IsObject()) {
      out = member(n, seg);
      return std::nullopt;
    }
    const auto i = index_of(seg);
    if (!i) return EC::kWrongType;
    if (*i < n.Size()) {
      out = &n[static_cast<rapidjson::SizeType>(*i)];
    } else if (appendable && *i > n.Size()) {
      return EC::kOutOfRange;
    }
    return std::nullopt;
  }
  void insert(Value& n, const std::string& seg, Value&& v) {
    if (n.IsObject()) {
      add_member(n, seg, std::move(v), a_);
    } else {
      n.PushBack(v, a_);
    }
  }

  std::optional<EC> apply(const RefMutation& rm, const Value* value) {
    const auto& p = rm.path;
    Value* n = nullptr;
    Value* at = nullptr;
    switch (rm.m.kind()) {
      case M::Kind::kSet:
        if (auto e = walk(p, true, n)) return e;
        if (auto e = locate(*n, p.back(), true, at)) return e;
        if (at != nullptr) {
          at->CopyFrom(*value, a_);
        } else {
          insert(*n, p.back(), Value(*value, a_));
        }
        return std::nullopt;
      case M::Kind::kDel:
        if (walk(p, false, n) || n == nullptr) return std::nullopt;
        if (n->IsObject()) {
          if (member(*n, p.back()) != nullptr) erase_member(*n, p.back());
        } else if (const auto i = index_of(p.back()); i && *i < n->Size()) {
          n->Erase(n->Begin() + *i);
        }
        return std::nullopt;
      case M::Kind::kIncr: {
        if (auto e = walk(p, true, n)) return e;
        if (auto e = locate(*n, p.back(), true, at)) return e;
        Value delta;
        if (rm.m.integer_delta()) {
          delta.SetInt64(rm.m.int_delta());
        } else {
          delta.SetDouble(rm.m.double_delta());
        }
        if (at == nullptr) {
          insert(*n, p.back(), std::move(delta));
          return std::nullopt;
        }
        if (!at->IsNumber()) return EC::kWrongType;
        return add(*at, rm.m);
      }
      case M::Kind::kPush:
        if (auto e = walk(p, true, n)) return e;
        if (auto e = locate(*n, p.back(), true, at)) return e;
        if (at == nullptr) {
          Value array(rapidjson::kArrayType);
          array.PushBack(Value(*value, a_), a_);
          insert(*n, p.back(), std::move(array));
        } else if (!at->IsArray()) {
          return EC::kWrongType;
        } else {
          at->PushBack(Value(*value, a_), a_);
        }
        return std::nullopt;
      case M::Kind::kPull:
        if (walk(p, false, n) || n == nullptr) return std::nullopt;
        if (!n->IsObject() && !index_of(p.back())) return std::nullopt;
        if (auto e = locate(*n, p.back(), false, at)) return e;
        if (at == nullptr) return std::nullopt;
        if (!at->IsArray()) return EC::kWrongType;
        for (rapidjson::SizeType i = at->Size(); i-- > 0;) {
          if (json_equal((*at)[i], *value)) at->Erase(at->Begin() + i);
        }
        return std::nullopt;
      case M::Kind::kMerge:
        merge(root_, *value);
        return std::nullopt;
    }
    return EC::kInternal;
  }

  // incr's rule (API.md): an integer plus an integral delta stays an integer when the sum
  // fits int64; integer + integer overflow is kOutOfRange; otherwise a finite double.
  static std::optional<EC> add(Value& v, const M& m) {
    std::optional<std::int64_t> integral;
    if (m.integer_delta()) {
      integral = m.int_delta();
    } else if (const double d = m.double_delta();
               d == std::trunc(d) && d >= -0x1p63 && d < 0x1p63) {
      integral = static_cast<std::int64_t>(d);
    }
    if (!v.IsDouble() && integral) {
      const Int128 sum = integer_of(v) + *integral;
      if (sum >= kInt64Min && sum <= kInt64Max) {
        v.SetInt64(static_cast<std::int64_t>(sum));
        return std::nullopt;
      }
      if (m.integer_delta()) return EC::kOutOfRange;
    }
    const double base = v.IsDouble()  ? v.GetDouble()
                        : v.IsInt64() ? static_cast<double>(v.GetInt64())
                                      : static_cast<double>(v.GetUint64());
    const double step = m.integer_delta() ? static_cast<double>(m.int_delta()) : m.double_delta();
    const double sum = base + step;
    if (!std::isfinite(sum)) return EC::kOutOfRange;
    v.SetDouble(sum);
    return std::nullopt;
  }

  // RFC 7386 on the object `target`.
  void merge(Value& target, const Value& patch) {
    for (const auto& m : patch.GetObject()) {
      const std::string key(str(m.name));
      Value* existing = member(target, key);
      if (m.value.IsNull()) {
        if (existing != nullptr) erase_member(target, key);
      } else if (m.value.IsObject()) {
        if (existing == nullptr) {
          add_member(target, key, Value(rapidjson::kObjectType), a_);
          existing = &(target.MemberEnd() - 1)->value;
        } else if (!existing->IsObject()) {
          existing->SetObject();
        }
        merge(*existing, m.value);
      } else if (existing != nullptr) {
        existing->CopyFrom(m.value, a_);
      } else {
        add_member(target, key, Value(m.value, a_), a_);
      }
    }
  }

 private:
  Value& root_;
  Alloc& a_;
};

struct Expected {
  std::optional<EC> error;
  std::uint32_t index = 0;
};

// Applies `list` to `doc` as doc_update must: the caller checks every mutation's path and
// value first (so a malformed mutation anywhere wins over a failure of an earlier one
// while applying, see the report), then the mutations apply in order; the first failure
// leaves `doc` unchanged.
Expected apply_reference(rapidjson::Document& doc, const std::vector<RefMutation>& list,
                         std::uint32_t max_depth) {
  std::vector<rapidjson::Document> values(list.size());
  for (std::uint32_t i = 0; i < list.size(); ++i) {
    const M& m = list[i].m;
    if (list[i].bad_path) return {EC::kInvalidQuery, i};
    switch (m.kind()) {
      case M::Kind::kSet:
      case M::Kind::kPush:
      case M::Kind::kPull:
      case M::Kind::kMerge:
        values[i].Parse<rapidjson::kParseFullPrecisionFlag>(m.json().data(), m.json().size());
        if (values[i].HasParseError()) return {EC::kInvalidJson, i};
        if (m.kind() == M::Kind::kMerge && !values[i].IsObject()) return {EC::kInvalidArgument, i};
        if (depth_of(values[i]) + (m.kind() == M::Kind::kMerge ? 0 : 1) > max_depth) {
          return {EC::kLimitExceeded, i};
        }
        break;
      case M::Kind::kIncr:
        if (m.delta_out_of_range()) return {EC::kOutOfRange, i};
        if (!m.integer_delta() && !std::isfinite(m.double_delta()))
          return {EC::kInvalidArgument, i};
        break;
      case M::Kind::kDel:
        break;
    }
  }
  rapidjson::Document work;
  work.CopyFrom(doc, work.GetAllocator());
  Reference ref(work, work.GetAllocator());
  for (std::uint32_t i = 0; i < list.size(); ++i) {
    if (auto e = ref.apply(list[i], &values[i])) return {e, i};
    if (depth_of(work) > max_depth) return {EC::kLimitExceeded, i};
  }
  doc.Swap(work);
  return {};
}

// ---- random documents and mutation lists ----------------------------------------------

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  int below(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }
  bool chance(int percent) { return below(100) < percent; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(below(static_cast<int>(v.size())))];
  }

  std::string key() { return pick(keys_); }
  std::string segment() { return chance(30) ? std::to_string(below(4)) : key(); }

  Value scalar(Alloc& a) {
    Value v;
    switch (below(12)) {
      case 0:
        break;  // null
      case 1:
        v.SetBool(chance(50));
        break;
      case 2:
      case 3:
        v.SetInt64(below(7) - 3);
        break;
      case 4:
        v.SetInt64(pick(std::vector<std::int64_t>{kInt64Max, kInt64Min, kInt64Max - 1,
                                                  (std::int64_t{1} << 53) + 1, 1'000'000}));
        break;
      case 5:
        v.SetUint64(pick(std::vector<std::uint64_t>{kUint64Max, std::uint64_t{1} << 63,
                                                    (std::uint64_t{1} << 63) + 5}));
        break;
      case 6:
      case 7:
        v.SetDouble(pick(std::vector<double>{0.5, -2.25, 2.0, 1e300, -0.0, 1.7976931348623157e308,
                                             1.5e-7, 3.0, 9007199254740992.0}));
        break;
      default: {
        const std::string& s = chance(50) ? pick(short_strings_) : pick(long_strings_);
        v.SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
        break;
      }
    }
    return v;
  }

  // A value with at most `levels` levels of containers.
  Value value(int levels, Alloc& a) {
    const int roll = below(10);
    if (levels <= 0 || roll < 5) return scalar(a);
    if (roll < 7) {
      Value v(rapidjson::kArrayType);
      for (int n = below(4); n > 0; --n) v.PushBack(value(levels - 1, a), a);
      return v;
    }
    return object(levels - 1, a);
  }
  Value object(int levels, Alloc& a) {
    Value v(rapidjson::kObjectType);
    for (int n = below(4); n > 0; --n) {
      const std::string k = key();
      if (member(v, k) == nullptr) add_member(v, k, value(levels, a), a);
    }
    return v;
  }

  // A path: often one that exists in `doc` (then maybe one segment longer, mostly one that
  // fits the container it extends), else random. With `numbers`, prefers one that ends on
  // a number (or an array).
  enum class Want : std::uint8_t { kAny, kNumber, kArray };
  std::vector<std::string> path(const Value& doc, Want want = Want::kAny) {
    std::vector<std::string> p;
    if (want != Want::kAny) {
      for (int attempt = 0; attempt < 8; ++attempt) {
        p = path(doc);
        const Value* n = &doc;
        for (const std::string& seg : p) {
          if (n == nullptr) break;
          if (n->IsObject()) {
            const auto it = n->FindMember(Value(rapidjson::StringRef(seg.data(), seg.size())));
            n = it == n->MemberEnd() ? nullptr : &it->value;
          } else if (const auto i = index_of(seg); n->IsArray() && i && *i < n->Size()) {
            n = &(*n)[static_cast<rapidjson::SizeType>(*i)];
          } else {
            n = nullptr;
          }
        }
        if (n != nullptr && (want == Want::kNumber ? n->IsNumber() : n->IsArray())) return p;
      }
      return p;
    }
    if (chance(75)) {
      const Value* n = &doc;
      while (p.size() < 5 && (p.empty() || chance(65))) {
        if (n->IsObject() && n->MemberCount() > 0) {
          const auto m = n->MemberBegin() + below(static_cast<int>(n->MemberCount()));
          p.emplace_back(str(m->name));
          n = &m->value;
        } else if (n->IsArray() && n->Size() > 0) {
          const int i = below(static_cast<int>(n->Size()));
          p.push_back(std::to_string(i));
          n = &(*n)[static_cast<rapidjson::SizeType>(i)];
        } else {
          break;
        }
      }
      if (p.empty() || chance(30)) {
        if (n->IsArray() && chance(85)) {
          p.push_back(std::to_string(below(static_cast<int>(n->Size()) + 2)));
        } else if (n->IsObject() && chance(85)) {
          p.push_back(key());
        } else {
          p.push_back(segment());
        }
      }
    } else {
      for (int n = 1 + below(3); n > 0; --n) p.push_back(segment());
    }
    return p;
  }

  // A value equal to v as WHERE sees it: members reordered, integers written as doubles.
  Value lookalike(const Value& v, Alloc& a) {
    if (v.IsObject()) {
      Value o(rapidjson::kObjectType);
      for (auto m = v.MemberEnd(); m != v.MemberBegin();) {
        --m;
        o.AddMember(Value(m->name, a), lookalike(m->value, a), a);
      }
      return o;
    }
    if (v.IsArray()) {
      Value arr(rapidjson::kArrayType);
      for (const auto& e : v.GetArray()) arr.PushBack(lookalike(e, a), a);
      return arr;
    }
    if (v.IsInt64() && !v.IsDouble() && v.GetInt64() > -1000 && v.GetInt64() < 1000 && chance(50)) {
      return Value(static_cast<double>(v.GetInt64()));
    }
    return Value(v, a);
  }

  static std::string path_text(const std::vector<std::string>& p) {
    std::string out;
    for (const std::string& s : p) {
      if (!out.empty()) out += '.';
      bool bare = !s.empty();
      const bool digits = bare && s.find_first_not_of("0123456789") == std::string::npos;
      if (!digits) {
        for (std::size_t i = 0; i < s.size() && bare; ++i) {
          const char c = s[i];
          bare = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (i > 0 && c >= '0' && c <= '9');
        }
      }
      if (bare) {
        out += s;
        continue;
      }
      out += '`';
      for (char c : s) {
        out += c;
        if (c == '`') out += '`';
      }
      out += '`';
    }
    return out;
  }

  RefMutation mutation(const Value& doc, Alloc& a) {
    const int roll = below(100);
    const Want want = !chance(60)               ? Want::kAny
                      : roll >= 36 && roll < 56 ? Want::kNumber
                      : roll >= 56 && roll < 80 ? Want::kArray
                                                : Want::kAny;
    std::vector<std::string> p = path(doc, want);
    const std::string text = path_text(p);
    auto valued = [&](M (*make)(std::string_view, std::string_view)) {
      return RefMutation{make(text, write_json(value(below(4), a))), p};
    };
    if (roll < 24) return valued(&M::set);
    if (roll < 36) return RefMutation{M::del(text), p};
    if (roll < 56) {
      switch (below(10)) {
        case 0:
          return RefMutation{M::incr(text, pick(std::vector<std::int64_t>{kInt64Max, kInt64Min, -1,
                                                                          std::int64_t{1} << 62})),
                             p};
        case 1:
        case 2:
          return RefMutation{M::incr(text, pick(std::vector<double>{0.5, -1.25, 2.0, 1e308, -1e308,
                                                                    -0.0, 9223372036854775808.0,
                                                                    -9223372036854775808.0})),
                             p};
        case 3:
          if (chance(50)) {
            return RefMutation{M::incr(text, chance(50) ? kUint64Max : std::uint64_t{1} << 63), p};
          }
          return RefMutation{
              M::incr(text, pick(std::vector<double>{std::numeric_limits<double>::infinity(),
                                                     std::numeric_limits<double>::quiet_NaN()})),
              p};
        default:
          return RefMutation{M::incr(text, static_cast<std::int64_t>(below(11) - 5)), p};
      }
    }
    if (roll < 66) return valued(&M::push);
    if (roll < 80) {
      // Mostly an element of the array at the path (written differently), if there is one.
      Value* n = nullptr;
      Value* at = nullptr;
      Value root_copy(doc, a);
      Reference ref(root_copy, a);
      if (!ref.walk(p, false, n) && n != nullptr && !ref.locate(*n, p.back(), false, at) &&
          at != nullptr && at->IsArray() && at->Size() > 0 && chance(75)) {
        const Value& e =
            (*at)[static_cast<rapidjson::SizeType>(below(static_cast<int>(at->Size())))];
        return RefMutation{M::pull(text, write_json(lookalike(e, a))), p};
      }
      return valued(&M::pull);
    }
    if (roll < 96) {
      Value patch = object(2, a);
      for (auto& m : patch.GetObject()) {
        if (chance(30)) m.value.SetNull();
      }
      return RefMutation{M::merge(write_json(patch)), {}};
    }
    // Malformed.
    switch (below(5)) {
      case 0: {
        RefMutation r{
            M::set(pick(std::vector<std::string>{"", "a.", "a..b", "-x", "`open", "a b"}), "1"),
            {}};
        r.bad_path = true;
        return r;
      }
      case 1:
        return RefMutation{M::set(text, pick(std::vector<std::string>{"{", "[1,", "tru", "\"x"})),
                           p};
      case 2:
        return RefMutation{M::pull(text, "{\"a\":}"), p};
      case 3:
        return RefMutation{M::merge(pick(std::vector<std::string>{"[1]", "1", "null", "\"s\""})),
                           {}};
      default:
        return RefMutation{M::merge("{\"a\":[}"), {}};
    }
  }

 private:
  std::mt19937_64 rng_;
  const std::vector<std::string> keys_ = {"a", "b", "c", "k", "0", "1", "x.y"};
  const std::vector<std::string> short_strings_ = {"", "a", "ab", "abc", "\xc3\xa9"};
  const std::vector<std::string> long_strings_ = {"abcd",
                                                  "delta",
                                                  "echo echo",
                                                  "foxtrot-golf-hotel",
                                                  "\xc3\xbc"
                                                  "n"
                                                  "\xc3\xaf"
                                                  "c"
                                                  "\xc3\xb6"
                                                  "de long",
                                                  "line\nbreak",
                                                  "quote\"d text"};
};

class DatabaseDocUpdateModelTest : public DatabaseDocUpdateTest {};
INSTANTIATE_TEST_SUITE_P(Shards, DatabaseDocUpdateModelTest, ::testing::Values(1u, 3u),
                         [](const auto& info) { return "shards" + std::to_string(info.param); });

// Random updates on random documents against the reference, in two collections: the
// default one and one whose fields stop interning after 3 terms.
TEST_P(DatabaseDocUpdateModelTest, RandomUpdatesMatchTheReference) {
  constexpr std::uint32_t kMaxDepth = 5;
  Config config{.shard_count = GetParam()};
  config.limits.max_document_depth = kMaxDepth;
  open(std::move(config));
  ASSERT_THAT(db_->doc_create_collection("few", {.max_interned_terms_per_field = 3}), IsOk());
  // Every document of "c" stored again with doc_set: the dictionary an update leaves must
  // be the one the same JSON gets when written whole (same paths, in_array flags, terms).
  ASSERT_THAT(db_->doc_create_collection("shadow"), IsOk());

  const std::vector<std::string> collections = {"c", "few"};
  std::map<std::string, std::uint64_t> empty_bytes;
  for (const auto& c : collections) empty_bytes[c] = db_->doc_dictionary_info(c)->bytes;

  Generator gen(0x6b6f7261 + GetParam());
  constexpr int kDocs = 12;
  constexpr int kSteps = 2500;
  // The reference documents, per (collection, id).
  std::map<std::pair<std::string, std::string>, rapidjson::Document> model;
  auto shadow = [&](const std::string& c, const std::string& id) {
    if (c == "c") {
      ASSERT_TRUE(db_->doc_set("shadow", id, write_json(model[{c, id}])).ok());
    }
  };
  auto engine_doc = [&](const std::string& c, const std::string& id) {
    auto r = db_->doc_get(c, id);
    EXPECT_TRUE(r.ok() && r->has_value()) << c << "/" << id;
    return r.ok() && r->has_value() ? **r : std::string("<missing>");
  };
  auto stats_of = [&](const std::string& c) {
    return to_json(*db_->doc_storage_info(c)) + to_json(*db_->doc_dictionary_info(c));
  };
  auto new_document = [&](const std::string& c, const std::string& id) {
    rapidjson::Document& d = model[{c, id}];
    d.SetObject();
    Value root = gen.object(3, d.GetAllocator());
    static_cast<Value&>(d).Swap(root);
    ASSERT_TRUE(db_->doc_set(c, id, write_json(d)).ok());
    shadow(c, id);
  };
  for (const auto& c : collections) {
    for (int i = 0; i < kDocs; ++i) new_document(c, "doc" + std::to_string(i));
  }

  std::map<std::string, int> outcomes;
  for (int step = 0; step < kSteps; ++step) {
    const std::string& c = collections[static_cast<std::size_t>(gen.below(2))];
    const std::string id = "doc" + std::to_string(gen.below(kDocs));
    if (gen.chance(2)) {  // now and then a fresh document
      new_document(c, id);
      continue;
    }
    rapidjson::Document& ref = model[{c, id}];
    std::vector<RefMutation> list;
    rapidjson::Document scratch;
    // 1 to 4 mutations; single ones are the most common, so more lists apply.
    for (int n = gen.chance(50) ? 1 : 1 + gen.below(4); n > 0; --n) {
      list.push_back(gen.mutation(ref, scratch.GetAllocator()));
    }
    std::vector<M> mutations;
    std::string described;
    for (const RefMutation& rm : list) {
      mutations.push_back(rm.m);
      described += "\n  kind " + std::to_string(static_cast<int>(rm.m.kind())) + " path '" +
                   rm.m.path() + "' json '" + rm.m.json() + "' delta " +
                   (rm.m.integer_delta() ? std::to_string(rm.m.int_delta())
                                         : std::to_string(rm.m.double_delta()));
    }
    const std::string before_text = engine_doc(c, id);
    const std::string before_stats = stats_of(c);
    const std::string context =
        "step " + std::to_string(step) + " " + c + "/" + id + "\n  doc " + before_text + described;

    const Expected expected = apply_reference(ref, list, kMaxDepth);
    auto r = db_->doc_update(c, id, mutations);
    ++outcomes[outcome(r)];
    if (expected.error) {
      ASSERT_EQ(outcome(r), failure(*expected.error, expected.index))
          << context << "\n  " << r.status().to_string();
      ASSERT_EQ(engine_doc(c, id), before_text) << context;
      ASSERT_EQ(stats_of(c), before_stats) << context;
    } else {
      ASSERT_EQ(outcome(r), "ok") << context << "\n  " << r.status().to_string();
      ASSERT_TRUE(*r) << context;
      ASSERT_EQ(normalize(engine_doc(c, id)), write_json(ref)) << context;
      shadow(c, id);
    }
    // Counts are summed over shards, and "shadow" may hold a document on another shard
    // than "c" does, so the dictionaries only match on one shard.
    if (GetParam() == 1 && c == "c") {
      ASSERT_EQ(dictionary_shape(*db_->doc_dictionary_info("c")),
                dictionary_shape(*db_->doc_dictionary_info("shadow")))
          << context;
    }
    if (step % 500 == 499) {  // nothing else moved
      for (const auto& [key, doc] : model) {
        ASSERT_EQ(normalize(engine_doc(key.first, key.second)), write_json(doc))
            << "step " << step << " " << key.first << "/" << key.second;
      }
    }
  }
  // Each outcome shows up: successes and every error the generator aims at.
  for (const char* o : {"ok", "WrongType at ", "OutOfRange at ", "InvalidArgument at ",
                        "InvalidJson at ", "InvalidQuery at ", "LimitExceeded at "}) {
    int seen = 0;
    for (const auto& [text, count] : outcomes) {
      if (text.starts_with(o)) seen += count;
    }
    EXPECT_GT(seen, 0) << o;
  }
  // The dictionaries reclaim everything once the documents are gone.
  for (const auto& [key, doc] : model) ASSERT_TRUE(*db_->doc_del(key.first, key.second));
  EXPECT_THAT(db_->doc_drop_collection("shadow"), IsOk());
  for (const auto& c : collections) {
    const DocDictionaryInfo info = *db_->doc_dictionary_info(c);
    EXPECT_EQ(info.entries, 0u) << c << " " << to_json(info);
    EXPECT_EQ(info.bytes, empty_bytes[c]) << c;
    EXPECT_TRUE(info.fields.empty()) << c;
    EXPECT_EQ(db_->doc_storage_info(c)->dictionary_bytes, empty_bytes[c]) << c;
  }
}

// Replacing and removing interned strings and keys in every way, then deleting every
// document: the dictionary must be back to empty.
TEST_P(DatabaseDocUpdateTest, DictionaryIsReclaimedAfterUpdatesAndDeletes) {
  const DocDictionaryInfo empty = *db_->doc_dictionary_info("c");
  ASSERT_EQ(empty.entries, 0u);
  for (int i = 0; i < 20; ++i) {
    put("d" + std::to_string(i),
        R"({"name":"name number )" + std::to_string(i % 4) +
            R"(","tags":["long tag one","long tag two","ab"],"addr":{"city":"Springfield",)"
            R"("zip":"12345"},"orders":[{"sku":"sku-long-1","qty":1},{"sku":"sku-long-2"}]})");
  }
  for (int i = 0; i < 20; ++i) {
    const std::string id = "d" + std::to_string(i);
    auto r = db_->doc_update(
        "c", id,
        std::vector<M>{
            M::set("name", R"("renamed )" + std::to_string(i % 3) + R"(")"),
            M::pull("tags", R"("long tag one")"),
            M::push("tags", R"("pushed long tag )" + std::to_string(i % 5) + R"(")"),
            M::set("orders.0.sku", R"("replacement sku")"),
            M::del("orders.1"),
            M::push("orders", R"({"sku":"fresh sku","note":"a new key in an element"})"),
            M::merge(
                R"({"addr":{"city":null,"street":"Main Street"},"extra":{"deep":{"x":"long x"}}})"),
            M::incr("counter", i),
        });
    ASSERT_TRUE(r.ok() && *r) << r.status().to_string();
    if (i % 2 == 0) {
      ASSERT_TRUE(*db_->doc_update("c", id,
                                   {M::del("addr"), M::set("extra.deep", R"("short")"),
                                    M::merge(R"({"orders":null,"name":null})")}));
    }
  }
  EXPECT_EQ(get("d1"),
            Opt(R"({"name":"renamed 1","tags":["long tag two","ab","pushed long tag 1"],)"
                R"("addr":{"zip":"12345","street":"Main Street"},)"
                R"("orders":[{"sku":"replacement sku","qty":1},)"
                R"({"sku":"fresh sku","note":"a new key in an element"}],)"
                R"("extra":{"deep":{"x":"long x"}},"counter":1})"));
  EXPECT_EQ(get("d2"), Opt(R"({"tags":["long tag two","ab","pushed long tag 2"],)"
                           R"("extra":{"deep":"short"},"counter":2})"));
  EXPECT_GT(entries(), 0u);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(*db_->doc_del("c", "d" + std::to_string(i)));
  const DocDictionaryInfo after = *db_->doc_dictionary_info("c");
  EXPECT_EQ(after.entries, 0u) << to_json(after);
  EXPECT_EQ(after.bytes, empty.bytes);
  EXPECT_EQ(to_json(after), to_json(empty));
}
}  // namespace
}  // namespace kora
