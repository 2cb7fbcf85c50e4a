#include "doc/query_eval.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "doc/json_ingest.h"
#include "doc/packed_codec.h"
#include "doc/query_reference.h"
#include "doc/where_parser.h"
#include "test_util.h"

namespace kora::doc {
namespace {

using namespace kora::testing;  // the reference evaluator and the generators

constexpr IngestLimits kLimits{64u << 20, 128};

// Documents encoded into one dictionary, released again at the end.
class Store {
 public:
  explicit Store(const DocCollectionConfig& c = config()) : dict_(c, nullptr) {}
  ~Store() {
    for (const std::string& body : bodies_) release_document(body, dict_);
  }
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  std::size_t add(std::string_view json) {
    auto parsed = parse_document(json, kLimits);
    EXPECT_TRUE(parsed.ok()) << json;
    std::string body;
    if (parsed.ok()) encode_document(parsed->root(), dict_, body);
    bodies_.push_back(std::move(body));
    jsons_.emplace_back(json);
    return bodies_.size() - 1;
  }

  // parse_where + bind_query + matches on document i.
  bool match(std::string_view where, std::size_t i) {
    auto q = parse_where(where);
    EXPECT_TRUE(q.ok()) << where;
    if (!q.ok()) return false;
    return matches(bind_query(*q, dict_), bodies_[i]);
  }
  // Matches of `where` over all documents, as a bit string ("0110").
  std::string match_all(std::string_view where) {
    std::string out;
    for (std::size_t i = 0; i < bodies_.size(); ++i) out.push_back(match(where, i) ? '1' : '0');
    return out;
  }

  std::optional<SortValue> sort(std::string_view path, std::size_t i) {
    auto p = parse_where_path(path);
    EXPECT_TRUE(p.ok()) << path;
    return sort_value(bind_path(*p, dict_), bodies_[i], dict_);
  }

  const Dictionary& dict() const { return dict_; }
  const std::vector<std::string>& bodies() const { return bodies_; }
  const std::vector<std::string>& jsons() const { return jsons_; }

 private:
  Dictionary dict_;
  std::vector<std::string> bodies_;
  std::vector<std::string> jsons_;
};

// ---- focused tests -----------------------------------------------------------------

TEST(QueryEvalTest, EqualityComparesNumbersByExactValue) {
  Store s;
  const std::size_t i30 = s.add(R"({"n":30})");
  const std::size_t d30 = s.add(R"({"n":30.0})");
  EXPECT_TRUE(s.match("n = 30", i30));
  EXPECT_TRUE(s.match("n = 30.0", i30));
  EXPECT_TRUE(s.match("n = 3e1", i30));
  EXPECT_TRUE(s.match("n = 30", d30));
  EXPECT_FALSE(s.match("n = 30.5", d30));

  // 2^53 + 1 is not 2^53, whichever side is the double.
  const std::size_t big = s.add(R"({"n":9007199254740993})");
  const std::size_t bigd = s.add(R"({"n":9007199254740992.0})");
  EXPECT_TRUE(s.match("n = 9007199254740993", big));
  EXPECT_FALSE(s.match("n = 9007199254740992", big));
  EXPECT_FALSE(s.match("n = 9007199254740992.0", big));
  EXPECT_TRUE(s.match("n > 9007199254740992.0", big));
  EXPECT_TRUE(s.match("n = 9007199254740992", bigd));
  EXPECT_FALSE(s.match("n = 9007199254740993", bigd));
  EXPECT_TRUE(s.match("n < 9007199254740993", bigd));

  const std::size_t umax = s.add(R"({"n":18446744073709551615})");
  EXPECT_TRUE(s.match("n = 18446744073709551615", umax));
  EXPECT_FALSE(s.match("n = 18446744073709551615.0", umax));  // that double is 2^64
  EXPECT_TRUE(s.match("n < 18446744073709551615.0", umax));
  EXPECT_TRUE(s.match("n > 9223372036854775807", umax));

  const std::size_t two63 = s.add(R"({"n":9223372036854775808})");
  EXPECT_TRUE(s.match("n = 9223372036854775808.0", two63));
  EXPECT_TRUE(s.match("n = 9.223372036854775808e18", two63));
  EXPECT_FALSE(s.match("n = 9223372036854775807", two63));

  const std::size_t imin = s.add(R"({"n":-9223372036854775808})");
  EXPECT_TRUE(s.match("n = -9223372036854775808", imin));
  EXPECT_TRUE(s.match("n = -9223372036854775808.0", imin));
  EXPECT_TRUE(s.match("n < -9223372036854775807", imin));
  EXPECT_FALSE(s.match("n < -9223372036854775808.0", imin));

  const std::size_t negzero = s.add(R"({"n":-0.0})");
  EXPECT_TRUE(s.match("n = 0", negzero));
  EXPECT_TRUE(s.match("n = 0.0", negzero));
  EXPECT_TRUE(s.match("n = -0.0", negzero));
  EXPECT_TRUE(s.match("n = -0", negzero));
  EXPECT_FALSE(s.match("n < 0", negzero));
  const std::size_t zero = s.add(R"({"n":0})");
  EXPECT_TRUE(s.match("n = -0.0", zero));

  const std::size_t half = s.add(R"({"n":0.5})");
  EXPECT_TRUE(s.match("n = 0.5", half));
  EXPECT_TRUE(s.match("n > 0", half));
  EXPECT_TRUE(s.match("n < 1", half));
  EXPECT_FALSE(s.match("n = 0", half));
  EXPECT_TRUE(s.match("n = 5e-1", half));
}

// Members are found by path id in objects of every width, whether the id column is one
// byte an id (at most 16 members, ids below 128: a vector compare) or not, and whether or
// not 16 bytes follow the column in the body.
TEST(QueryEvalTest, MembersAreFoundInObjectsOfEveryWidth) {
  Store s;
  // Interns k0..k149 in order, so k127 and later have path ids of two varint bytes.
  std::string wide = "{";
  for (int j = 0; j < 150; ++j) wide += (j ? ",\"k" : "\"k") + std::to_string(j) + "\":-1";
  s.add(wide + "}");
  struct Doc {
    int first, width;
    bool padded;
  };
  std::vector<Doc> docs;
  for (int first : {0, 120}) {
    for (int width : {1, 2, 15, 16, 17, 40}) {
      for (bool padded : {false, true}) {
        std::string json = "{";
        for (int j = first; j < first + width; ++j) {
          json += (j > first ? ",\"k" : "\"k") + std::to_string(j) + "\":" + std::to_string(j);
        }
        if (padded) json += R"(,"pad":"0123456789012345678901234567890123456789")";
        s.add(json + "}");
        docs.push_back({first, width, padded});
      }
    }
  }
  for (int j = 0; j < 160; ++j) {
    std::string expected = "0";  // the wide document holds -1 everywhere
    for (const Doc& d : docs) expected += j >= d.first && j < d.first + d.width ? '1' : '0';
    EXPECT_EQ(s.match_all("k" + std::to_string(j) + " = " + std::to_string(j)), expected) << j;
    std::string present = j < 150 ? "1" : "0";
    for (const Doc& d : docs) present += j >= d.first && j < d.first + d.width ? '1' : '0';
    EXPECT_EQ(s.match_all("k" + std::to_string(j) + " EXISTS"), present) << j;
  }
  std::string padded = "0";
  for (const Doc& d : docs) padded += d.padded ? '1' : '0';
  EXPECT_EQ(s.match_all("pad = '0123456789012345678901234567890123456789'"), padded);
}

// Skipping a value reads its length prefix: one byte below 128, more from there. Fields
// after strings, arrays and objects of lengths around those edges are found.
TEST(QueryEvalTest, FieldsAfterValuesOfEveryLengthWidth) {
  Store s;
  for (std::size_t n : {0u, 1u, 126u, 127u, 128u, 129u, 255u, 16383u, 16384u, 70000u}) {
    const std::string text(n, 'a');
    std::string array = "[";
    for (std::size_t i = 0; i < n / 4; ++i) array += i ? ",\"b\"" : "\"b\"";
    array += "]";
    const std::string json = R"({"s":")" + text + R"(","a":)" + array + R"(,"o":{"t":")" + text +
                             R"("},"after":)" + std::to_string(n) + "}";
    const std::size_t d = s.add(json);
    EXPECT_TRUE(s.match("after = " + std::to_string(n), d)) << n;
    EXPECT_FALSE(s.match("after = " + std::to_string(n + 1), d)) << n;
    EXPECT_TRUE(s.match("o.t = '" + text + "'", d)) << n;
    EXPECT_EQ(s.match("a CONTAINS 'b'", d), n >= 4) << n;
  }
}

TEST(QueryEvalTest, EqualityNeverCrossesTypes) {
  Store s;
  const std::size_t d =
      s.add(R"({"str":"30","b":true,"f":false,"z":null,"o":{},"a":[1],"one":1,"e":"","s0":[]})");
  EXPECT_FALSE(s.match("str = 30", d));
  EXPECT_TRUE(s.match("str = '30'", d));
  EXPECT_FALSE(s.match("b = 1", d));
  EXPECT_TRUE(s.match("b = TRUE", d));
  EXPECT_FALSE(s.match("b = FALSE", d));
  EXPECT_TRUE(s.match("f = false", d));
  EXPECT_FALSE(s.match("f = 0", d));
  EXPECT_FALSE(s.match("f = NULL", d));
  EXPECT_FALSE(s.match("one = TRUE", d));
  EXPECT_FALSE(s.match("one = '1'", d));
  EXPECT_TRUE(s.match("z = NULL", d));
  EXPECT_FALSE(s.match("z = FALSE", d));
  EXPECT_FALSE(s.match("z = 0", d));
  EXPECT_FALSE(s.match("z = ''", d));
  EXPECT_FALSE(s.match("e = NULL", d));
  EXPECT_TRUE(s.match("e = ''", d));
  EXPECT_FALSE(s.match("missing = NULL", d));
  EXPECT_FALSE(s.match("o = NULL", d));
  EXPECT_FALSE(s.match("a = 1", d));  // a scalar never equals an array
  EXPECT_FALSE(s.match("s0 = NULL", d));
}

TEST(QueryEvalTest, NotEqualIsExactlyNotEqual) {
  Store s;
  const std::size_t d = s.add(R"({"n":1,"z":null,"s":"x","a":[1]})");
  EXPECT_FALSE(s.match("n != 1", d));
  EXPECT_FALSE(s.match("n != 1.0", d));
  EXPECT_TRUE(s.match("n != 2", d));
  EXPECT_TRUE(s.match("n != '1'", d));      // another type
  EXPECT_TRUE(s.match("missing != 1", d));  // missing
  EXPECT_TRUE(s.match("missing != NULL", d));
  EXPECT_FALSE(s.match("z != NULL", d));
  EXPECT_TRUE(s.match("s != NULL", d));
  EXPECT_TRUE(s.match("a != 1", d));
  EXPECT_TRUE(s.match("n.x != 1", d));  // through a scalar: missing
}

TEST(QueryEvalTest, OrderingOnlyWithinNumbersOrStrings) {
  Store s;
  const std::size_t d =
      s.add(R"({"n":5,"s":"abc","long":"abcdef","u":"é","t":true,"z":null,"a":[1],"o":{"x":1}})");
  EXPECT_TRUE(s.match("n < 6", d));
  EXPECT_TRUE(s.match("n <= 5", d));
  EXPECT_FALSE(s.match("n < 5", d));
  EXPECT_TRUE(s.match("n > 4.999", d));
  EXPECT_TRUE(s.match("n >= 5.0", d));
  EXPECT_FALSE(s.match("n > 5", d));
  EXPECT_FALSE(s.match("n < '6'", d));
  EXPECT_FALSE(s.match("n > 'a'", d));
  EXPECT_TRUE(s.match("s < 'abd'", d));
  EXPECT_TRUE(s.match("s > 'ab'", d));
  EXPECT_TRUE(s.match("s >= 'abc'", d));
  EXPECT_FALSE(s.match("s > 'abc'", d));
  EXPECT_FALSE(s.match("s < 1", d));
  // An interned string (>= 4 bytes) compares by its text too.
  EXPECT_TRUE(s.match("long < 'abcdeg'", d));
  EXPECT_TRUE(s.match("long > 'abcde'", d));
  EXPECT_TRUE(s.match("long <= 'abcdef'", d));
  EXPECT_FALSE(s.match("long < 'abcdef'", d));
  // Bytes compare unsigned: 'é' (C3 A9) sorts after 'z' (7A).
  EXPECT_TRUE(s.match("u > 'z'", d));
  EXPECT_TRUE(s.match("s < 'é'", d));
  // Other types and missing paths: false either way, and NOT flips it.
  for (const char* p : {"t", "z", "a", "o", "missing", "o.x.y", "a.x"}) {
    EXPECT_FALSE(s.match(std::string(p) + " < 10", d)) << p;
    EXPECT_FALSE(s.match(std::string(p) + " >= 'a'", d)) << p;
    EXPECT_TRUE(s.match("NOT " + std::string(p) + " < 10", d)) << p;
  }
  EXPECT_TRUE(s.match("o.x < 2", d));
}

TEST(QueryEvalTest, InIsAnOrOfEqualities) {
  Store s;
  const std::size_t d = s.add(R"({"n":30,"s":"abcd","z":null,"a":[1,2]})");
  EXPECT_TRUE(s.match("n IN (1, 2, 30.0)", d));
  EXPECT_FALSE(s.match("n IN (1, '30', TRUE, NULL)", d));
  EXPECT_TRUE(s.match("s IN ('x', 'abcd')", d));
  EXPECT_FALSE(s.match("s IN ('abc', 'abcde')", d));
  EXPECT_TRUE(s.match("z IN (1, NULL)", d));
  EXPECT_FALSE(s.match("missing IN (NULL)", d));
  EXPECT_FALSE(s.match("a IN (1, 2)", d));
  EXPECT_TRUE(s.match("NOT missing IN (1)", d));
}

TEST(QueryEvalTest, ContainsNeedsAnArrayWithAnEqualScalarElement) {
  Store s;
  const std::size_t d =
      s.add(R"({"t":["abcd","x",1,null,[2],{"a":3},false],"s":"abcd","n":1,"u":[[1]],"e":[]})");
  EXPECT_TRUE(s.match("t CONTAINS 'abcd'", d));
  EXPECT_TRUE(s.match("t CONTAINS 'x'", d));
  EXPECT_TRUE(s.match("t CONTAINS 1", d));
  EXPECT_TRUE(s.match("t CONTAINS 1.0", d));
  EXPECT_TRUE(s.match("t CONTAINS NULL", d));
  EXPECT_TRUE(s.match("t CONTAINS FALSE", d));
  EXPECT_FALSE(s.match("t CONTAINS TRUE", d));
  EXPECT_FALSE(s.match("t CONTAINS 2", d));  // only inside a nested array
  EXPECT_FALSE(s.match("t CONTAINS 3", d));  // only inside an object element
  EXPECT_FALSE(s.match("t CONTAINS 'abc'", d));
  EXPECT_FALSE(s.match("s CONTAINS 'abcd'", d));  // a string field never CONTAINS
  EXPECT_FALSE(s.match("s CONTAINS 'a'", d));
  EXPECT_FALSE(s.match("n CONTAINS 1", d));
  EXPECT_FALSE(s.match("u CONTAINS 1", d));
  EXPECT_FALSE(s.match("e CONTAINS NULL", d));
  EXPECT_FALSE(s.match("missing CONTAINS 1", d));
}

TEST(QueryEvalTest, ExistsAndPathsThroughObjectsOnly) {
  Store s;
  const std::size_t d =
      s.add(R"({"z":null,"a":[{"b":1}],"o":{"p":{"q":0},"e":{}},"n":1,"a.b":{"c":"deep"},"in":7})");
  for (const char* p : {"z", "a", "o", "o.p", "o.p.q", "o.e", "n", "`a.b`", "`a.b`.c", "`in`"}) {
    EXPECT_TRUE(s.match(std::string(p) + " EXISTS", d)) << p;
  }
  for (const char* p : {"missing", "a.b", "n.x", "o.p.q.r", "o.e.x", "o.q", "`a`.`b`.c", "c"}) {
    EXPECT_FALSE(s.match(std::string(p) + " EXISTS", d)) << p;
  }
  EXPECT_TRUE(s.match("`a.b`.c = 'deep'", d));
  EXPECT_TRUE(s.match("`in` = 7", d));
  EXPECT_TRUE(s.match("o.p.q = 0", d));
  EXPECT_FALSE(s.match("a.b = 1", d));  // through an array
}

TEST(QueryEvalTest, BooleanOperatorsAndMatchAll) {
  Store s;
  const std::size_t d = s.add(R"({"a":1,"b":"xyzw"})");
  EXPECT_TRUE(s.match("", d));
  EXPECT_TRUE(s.match("  \n", d));
  EXPECT_TRUE(s.match("a = 1 AND b = 'xyzw'", d));
  EXPECT_FALSE(s.match("a = 1 AND b = 'xyz'", d));
  EXPECT_TRUE(s.match("a = 2 OR b = 'xyzw'", d));
  EXPECT_FALSE(s.match("a = 2 OR c EXISTS", d));
  EXPECT_TRUE(s.match("NOT a = 2", d));
  EXPECT_TRUE(s.match("NOT NOT a = 1", d));
  EXPECT_TRUE(s.match("a = 2 OR (b EXISTS AND NOT (c EXISTS OR a != 1))", d));
  // Deepest nesting the parser allows.
  std::string deep;
  for (int i = 0; i < 64; ++i) deep += (i % 2 == 0) ? "NOT " : "(";
  deep += "a = 1";
  deep += std::string(32, ')');
  EXPECT_TRUE(s.match(deep, d));  // 32 NOTs: even
}

TEST(QueryEvalTest, InternedAndInlineStringsOfTheSameText) {
  // One term per field: "aaaa" is interned, later strings of s stay inline.
  Store s(config(/*max_terms=*/1));
  const std::size_t d1 = s.add(R"({"s":"aaaa","t":["aaaa","bbbb"]})");
  const std::size_t d2 = s.add(R"({"s":"bbbb","t":["bbbb","aaaa"]})");
  const std::size_t d3 = s.add(R"({"s":"aaaa","t":["cccc"]})");
  const std::size_t d4 = s.add(R"({"s":"wxyz","other":"qqqq"})");
  EXPECT_EQ(s.match_all("s = 'aaaa'"), "1010");
  EXPECT_EQ(s.match_all("s = 'bbbb'"), "0100");
  EXPECT_EQ(s.match_all("s != 'bbbb'"), "1011");
  EXPECT_EQ(s.match_all("s IN ('zzzz', 'aaaa')"), "1010");
  EXPECT_EQ(s.match_all("t CONTAINS 'aaaa'"), "1100");
  EXPECT_EQ(s.match_all("t CONTAINS 'bbbb'"), "1100");
  EXPECT_EQ(s.match_all("t CONTAINS 'cccc'"), "0010");
  EXPECT_EQ(s.match_all("s > 'aaaa'"), "0101");
  EXPECT_EQ(s.match_all("s <= 'bbbb'"), "1110");
  // A term of another field is no term of this one.
  EXPECT_FALSE(s.match("s = 'qqqq'", d4));
  EXPECT_TRUE(s.match("other = 'qqqq'", d4));
  (void)d1;
  (void)d2;
  (void)d3;
}

TEST(QueryEvalTest, ShortStringsAndNulBytes) {
  Store s(config(10'000, /*min_bytes=*/1));  // everything non-empty is interned
  const std::size_t d = s.add(R"({"s":"a\u0000b","e":"","k":"k"})");
  EXPECT_TRUE(s.match(R"(s = "a\u0000b")", d));
  EXPECT_FALSE(s.match(R"(s = "a")", d));
  EXPECT_TRUE(s.match(R"(s > "a")", d));
  EXPECT_TRUE(s.match(R"(s < "a\u0001")", d));
  EXPECT_TRUE(s.match("e = ''", d));
  EXPECT_TRUE(s.match("e < 'a'", d));
  EXPECT_TRUE(s.match("k = 'k'", d));
}

TEST(QueryEvalTest, UnknownPathsAndValuesAreMissingEverywhere) {
  Store s;
  s.add(R"({"a":{"b":1}})");
  auto q = parse_where("x.y = 1 OR a.c EXISTS OR a.b.c EXISTS");
  ASSERT_TRUE(q.ok());
  const BoundQuery b = bind_query(*q, s.dict());
  ASSERT_EQ(b.paths.size(), 3u);
  EXPECT_FALSE(b.paths[0].present);
  EXPECT_FALSE(b.paths[1].present);
  EXPECT_FALSE(b.paths[2].present);
  EXPECT_FALSE(matches(b, s.bodies()[0]));
  EXPECT_EQ(s.match_all("x.y != 1"), "1");
}

TEST(QueryEvalTest, SortValuesFollowTheTotalOrder) {
  Store s;
  const char* docs[] = {
      R"({"v":null})",
      R"({"v":false})",
      R"({"v":true})",
      R"({"v":-1e300})",
      R"({"v":-9223372036854775808})",
      R"({"v":-1})",
      R"({"v":-0.0})",
      R"({"v":0.5})",
      R"({"v":1})",
      R"({"v":9007199254740992.0})",
      R"({"v":9007199254740993})",
      R"({"v":18446744073709551615})",
      R"({"v":1e300})",
      R"({"v":""})",
      R"({"v":"Z"})",
      R"({"v":"abcd"})",
      R"({"v":"abcde"})",
      // Containers by their text: '"' < '1' < ']' and '"' < '}'.
      R"({"v":"é"})",
      R"({"v":["a"]})",
      R"({"v":[1,2]})",
      R"({"v":[10]})",
      R"({"v":[]})",
      R"({"v":{"a":1}})",
      R"({"v":{"b":0}})",
      R"({"v":{}})",
  };
  std::vector<SortValue> values;
  for (const char* json : docs) {
    const std::size_t i = s.add(json);
    auto v = s.sort("v", i);
    ASSERT_TRUE(v.has_value()) << json;
    values.push_back(std::move(*v));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    for (std::size_t j = 0; j < values.size(); ++j) {
      EXPECT_EQ(compare_sort_values(values[i], values[j]), i <=> j) << docs[i] << " " << docs[j];
    }
  }
  EXPECT_EQ(values[19].json, "[1,2]");
  EXPECT_EQ(values[22].json, R"({"a":1})");

  // Ties: numbers by value, containers by their text.
  const std::size_t a = s.add(R"({"v":30,"w":[30]})");
  const std::size_t b = s.add(R"({"v":30.0,"w":[30.0]})");
  EXPECT_EQ(compare_sort_values(*s.sort("v", a), *s.sort("v", b)), std::strong_ordering::equal);
  // "[30]" > "[30.0]": ']' sorts after '.'.
  EXPECT_EQ(compare_sort_values(*s.sort("w", a), *s.sort("w", b)), std::strong_ordering::greater);
  EXPECT_FALSE(s.sort("missing", a).has_value());
  EXPECT_FALSE(s.sort("w.x", a).has_value());
  EXPECT_FALSE(s.sort("v.x", a).has_value());
}

// ---- differential test -------------------------------------------------------------

// Query segments: the document keys plus one that never occurs.
const std::vector<std::string> kQueryKeys = {"a", "b", "c", "d", "a.b", "in", "zz"};

struct DifferentialRun {
  std::uint64_t seed;
  DocCollectionConfig config;
  std::size_t docs;
  std::size_t queries;
  std::size_t sort_paths;
};

void run_differential(const DifferentialRun& run) {
  SCOPED_TRACE("seed " + std::to_string(run.seed) + " max_terms " +
               std::to_string(run.config.max_interned_terms_per_field) + " min_bytes " +
               std::to_string(run.config.min_interned_term_bytes));
  Generator g(run.seed, kQueryKeys);
  Store store(run.config);
  std::vector<rapidjson::Document> dom(run.docs);
  for (std::size_t i = 0; i < run.docs; ++i) {
    const std::string json = g.object(1);
    store.add(json);
    dom[i].Parse<rapidjson::kParseFullPrecisionFlag>(json.data(), json.size());
    ASSERT_FALSE(dom[i].HasParseError()) << json;
  }

  int failures = 0;
  std::size_t matched = 0, total = 0;
  QueryGen qg(g, /*max_depth=*/5);
  for (std::size_t n = 0; n < run.queries && failures < 10; ++n) {
    std::string text;
    const RefQuery ref = qg.make(0, text);
    auto parsed = parse_where(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().message();
    const BoundQuery bound = bind_query(*parsed, store.dict());
    for (std::size_t i = 0; i < run.docs; ++i) {
      const bool got = matches(bound, store.bodies()[i]);
      const bool want = ref_eval(ref, dom[i]);
      matched += want ? 1 : 0;
      ++total;
      if (got != want && failures++ < 10) {
        ADD_FAILURE() << "query: " << text << "\ndoc: " << store.jsons()[i] << "\nmatches " << got
                      << ", reference " << want;
      }
    }
  }
  // The generator must produce queries that match sometimes and fail sometimes.
  EXPECT_GT(matched, total / 20);
  EXPECT_LT(matched, total - total / 20);

  // Sorting: order the documents by the reference (missing last, ties by index), then the
  // implementation must agree on every adjacent pair and on random pairs.
  for (std::size_t n = 0; n < run.sort_paths; ++n) {
    const std::vector<std::string> path = g.path();
    auto parsed = parse_where_path(path_text(path));
    ASSERT_TRUE(parsed.ok()) << path_text(path);
    const BoundPath bound = bind_path(*parsed, store.dict());
    std::vector<const RValue*> ref(run.docs);
    std::vector<std::optional<SortValue>> got(run.docs);
    std::size_t present = 0;
    for (std::size_t i = 0; i < run.docs; ++i) {
      ref[i] = ref_resolve(dom[i], path);
      got[i] = sort_value(bound, store.bodies()[i], store.dict());
      ASSERT_EQ(got[i].has_value(), ref[i] != nullptr)
          << path_text(path) << " in " << store.jsons()[i];
      present += got[i].has_value() ? 1 : 0;
    }
    auto ref_cmp = [&](std::size_t a, std::size_t b) {
      if (ref[a] == nullptr || ref[b] == nullptr) {
        return ref[a] == nullptr ? (ref[b] == nullptr ? 0 : 1) : -1;
      }
      return ref_sort_compare(*ref[a], *ref[b]);
    };
    auto got_cmp = [&](std::size_t a, std::size_t b) {
      if (!got[a] || !got[b]) return !got[a] ? (!got[b] ? 0 : 1) : -1;
      const std::strong_ordering o = compare_sort_values(*got[a], *got[b]);
      return o < 0 ? -1 : (o > 0 ? 1 : 0);
    };
    std::vector<std::size_t> order(run.docs);
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return ref_cmp(a, b) < 0; });
    auto check = [&](std::size_t a, std::size_t b) {
      const int want = ref_cmp(a, b), have = got_cmp(a, b);
      if (want != have && failures++ < 10) {
        ADD_FAILURE() << "order_by " << path_text(path) << "\n  " << store.jsons()[a] << "\n  "
                      << store.jsons()[b] << "\nreference " << want << ", sort_value " << have;
      }
    };
    for (std::size_t i = 0; i + 1 < order.size(); ++i) check(order[i], order[i + 1]);
    for (std::size_t k = 0; k < 2000; ++k) check(g.below(run.docs), g.below(run.docs));
    (void)present;
  }
}

TEST(QueryEvalDifferentialTest, DefaultInterning) {
  run_differential({0x6b6f7261'0001ULL, config(), 1000, 400, 12});
}
TEST(QueryEvalDifferentialTest, FieldsStopInterningMidway) {
  run_differential({0x6b6f7261'0002ULL, config(/*max_terms=*/3), 1000, 400, 12});
}
TEST(QueryEvalDifferentialTest, NothingInterned) {
  run_differential({0x6b6f7261'0003ULL, config(/*max_terms=*/0), 800, 300, 8});
}
TEST(QueryEvalDifferentialTest, ShortStringsInterned) {
  run_differential({0x6b6f7261'0004ULL, config(/*max_terms=*/12, /*min_bytes=*/1), 1000, 400, 12});
}

}  // namespace
}  // namespace kora::doc
