#include "doc/packed_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "doc/json_ingest.h"
#include "doc/path.h"
#include "doc/rapidjson.h"
#include "doc/utf8.h"
#include "test_util.h"

namespace kora::doc {
namespace {

using ::kora::testing::config;
using ::kora::testing::IsOk;
using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr IngestLimits kLimits{64u << 20, 128};

::testing::AssertionResult same(element a, element b, const std::string& where = "$");

::testing::AssertionResult same(simdjson::dom::object x, simdjson::dom::object y,
                                const std::string& where = "$") {
  if (x.size() != y.size()) return ::testing::AssertionFailure() << where << ": size";
  auto i = x.begin(), j = y.begin();
  for (; i != x.end(); ++i, ++j) {
    if ((*i).key != (*j).key) return ::testing::AssertionFailure() << where << ": key";
    auto r = same((*i).value, (*j).value, where + "." + std::string((*i).key));
    if (!r) return r;
  }
  return ::testing::AssertionSuccess();
}

// Structural equality with exact number types (double bits included) and key order.
::testing::AssertionResult same(element a, element b, const std::string& where) {
  if (a.type() != b.type()) {
    return ::testing::AssertionFailure() << where << ": type " << static_cast<char>(a.type())
                                         << " vs " << static_cast<char>(b.type());
  }
  switch (a.type()) {
    case element_type::OBJECT: {
      simdjson::dom::object x, y;
      if (a.get(x) || b.get(y)) return ::testing::AssertionFailure() << "get";
      return same(x, y, where);
    }
    case element_type::ARRAY: {
      simdjson::dom::array x, y;
      if (a.get(x) || b.get(y)) return ::testing::AssertionFailure() << "get";
      if (x.size() != y.size()) return ::testing::AssertionFailure() << where << ": size";
      auto i = x.begin(), j = y.begin();
      for (std::size_t k = 0; i != x.end(); ++i, ++j, ++k) {
        auto r = same(*i, *j, where + "[" + std::to_string(k) + "]");
        if (!r) return r;
      }
      return ::testing::AssertionSuccess();
    }
    case element_type::INT64: {
      std::int64_t x = 0, y = 0;
      if (a.get(x) || b.get(y) || x != y) return ::testing::AssertionFailure() << where;
      return ::testing::AssertionSuccess();
    }
    case element_type::UINT64: {
      std::uint64_t x = 0, y = 0;
      if (a.get(x) || b.get(y) || x != y) return ::testing::AssertionFailure() << where;
      return ::testing::AssertionSuccess();
    }
    case element_type::DOUBLE: {
      double x = 0, y = 0;
      if (a.get(x) || b.get(y) ||
          std::bit_cast<std::uint64_t>(x) != std::bit_cast<std::uint64_t>(y)) {
        return ::testing::AssertionFailure() << where << ": " << x << " vs " << y;
      }
      return ::testing::AssertionSuccess();
    }
    case element_type::STRING: {
      std::string_view x, y;
      if (a.get(x) || b.get(y) || x != y) return ::testing::AssertionFailure() << where;
      return ::testing::AssertionSuccess();
    }
    case element_type::BOOL: {
      bool x = false, y = false;
      if (a.get(x) || b.get(y) || x != y) return ::testing::AssertionFailure() << where;
      return ::testing::AssertionSuccess();
    }
    case element_type::NULL_VALUE:
      return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "unknown type";
}

// Resolves `path` through objects only.
bool resolve(simdjson::dom::object root, const std::vector<std::string>& path, element& out) {
  simdjson::dom::object obj = root;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (obj.at_key(path[i]).get(out) != simdjson::SUCCESS) return false;
    if (i + 1 < path.size() && out.get(obj) != simdjson::SUCCESS) return false;
  }
  return true;
}

ParsedDocument parse_ok(std::string_view json, const IngestLimits& limits = kLimits) {
  auto r = parse_document(json, limits);
  EXPECT_THAT(r, IsOk()) << json.substr(0, 200);
  return r.ok() ? std::move(*r) : ParsedDocument();
}

std::string encode(std::string_view json, Dictionary& dict, const IngestLimits& limits = kLimits) {
  ParsedDocument d = parse_ok(json, limits);
  std::string body;
  encode_document(d.root(), dict, body);
  return body;
}

std::string decode(std::string_view body, const Dictionary& dict) {
  std::string out;
  decode_document(body, dict, out);
  return out;
}

// ---- a seeded generator of random JSON documents --------------------------------------

class JsonGenerator {
 public:
  explicit JsonGenerator(std::uint64_t seed) : rng_(seed) {}

  std::string document() {
    std::string out;
    object(0, out);
    return out;
  }

 private:
  std::uint64_t next(std::uint64_t n) { return rng_() % n; }
  bool chance(int percent) { return static_cast<int>(next(100)) < percent; }

  void value(int depth, std::string& out) {
    const std::uint64_t pick = next(depth >= 5 ? 8 : 11);
    switch (pick) {
      case 0:
        out += "null";
        return;
      case 1:
        out += chance(50) ? "true" : "false";
        return;
      case 2:
        integer(out);
        return;
      case 3:
        unsigned_integer(out);
        return;
      case 4:
      case 5:
        floating(out);
        return;
      case 6:
      case 7:
        string(out);
        return;
      case 8:
      case 9:
        object(depth + 1, out);
        return;
      default:
        array(depth + 1, out);
        return;
    }
  }

  void integer(std::string& out) {
    static constexpr std::int64_t kSpecial[] = {std::numeric_limits<std::int64_t>::min(),
                                                std::numeric_limits<std::int64_t>::max(),
                                                0,
                                                -1,
                                                1,
                                                127,
                                                128,
                                                -64,
                                                -65,
                                                9007199254740993,
                                                -9007199254740993,
                                                9007199254740992};
    std::int64_t v;
    const std::uint64_t k = next(4);
    if (k == 0) {
      v = kSpecial[next(std::size(kSpecial))];
    } else if (k == 1) {
      v = static_cast<std::int64_t>(rng_());
    } else {
      v = static_cast<std::int64_t>(next(2000)) - 1000;
    }
    if (v == 0 && chance(20)) {
      out += "-0";  // an integer zero spelled with a sign
      return;
    }
    out += std::to_string(v);
  }

  void unsigned_integer(std::string& out) {
    const std::uint64_t lo = std::uint64_t{1} << 63;
    std::uint64_t v;
    switch (next(3)) {
      case 0:
        v = std::numeric_limits<std::uint64_t>::max();
        break;
      case 1:
        v = lo;
        break;
      default:
        v = lo | rng_();
    }
    out += std::to_string(v);
  }

  void floating(std::string& out) {
    static constexpr double kSpecial[] = {
        -0.0, 0.0,  1e308, 5e-324, 4.9e-324, DBL_MAX,  DBL_MIN,
        0.1,  30.0, 1e16,  -1.5,   1e-7,     2.5e-310, 9007199254740993.0};
    double d;
    switch (next(4)) {
      case 0:
        d = kSpecial[next(std::size(kSpecial))];
        break;
      case 1: {  // random finite bits, subnormals included
        do {
          d = std::bit_cast<double>(rng_());
        } while (!std::isfinite(d));
        break;
      }
      case 2:
        d = static_cast<double>(static_cast<std::int64_t>(next(2000)) - 1000) / 8.0;
        break;
      default:
        d = std::ldexp(static_cast<double>(next(1000)) + 1, static_cast<int>(next(80)) - 1100);
    }
    char buf[64];
    std::to_chars_result r;
    switch (next(3)) {
      case 0:
        r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
        break;
      case 1:
        r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific, 17);
        break;
      default:
        r = std::to_chars(buf, buf + sizeof(buf), d);
    }
    std::string text(buf, r.ptr);
    if (text.find_first_of(".eE") == std::string::npos) text += chance(50) ? ".0" : "e0";
    if (chance(10)) {
      for (char& c : text) {
        if (c == 'e') c = 'E';
      }
    }
    out += text;
  }

  std::uint32_t code_point() {
    switch (next(8)) {
      case 0:
        return static_cast<std::uint32_t>(next(0x20));  // control, NUL included
      case 1:
        return 0x80 + static_cast<std::uint32_t>(next(0x800 - 0x80));
      case 2: {
        std::uint32_t cp;
        do {
          cp = 0x800 + static_cast<std::uint32_t>(next(0x10000 - 0x800));
        } while (cp >= 0xD800 && cp <= 0xDFFF);
        return cp;
      }
      case 3:
        return 0x10000 + static_cast<std::uint32_t>(next(0x110000 - 0x10000));
      case 4:
        return "\"\\/'`."[next(6)];
      default:
        return 0x20 + static_cast<std::uint32_t>(next(0x5F));
    }
  }

  // Writes the JSON string literal of a random value, escaping in varied ways.
  void string_literal(std::string& out, std::size_t max_len) {
    out.push_back('"');
    const std::size_t len = next(max_len + 1);
    for (std::size_t i = 0; i < len; ++i) {
      const std::uint32_t cp = code_point();
      char buf[16];
      auto u_escape = [&](std::uint32_t unit) {
        std::snprintf(buf, sizeof(buf), chance(50) ? "\\u%04x" : "\\u%04X", unit);
        out += buf;
      };
      if (cp < 0x20 || cp == '"' || cp == '\\' || chance(10)) {
        static const std::string kShort = "\b\f\n\r\t\"\\/";
        const std::size_t at = cp < 0x80 ? kShort.find(static_cast<char>(cp)) : std::string::npos;
        if (at != std::string::npos && chance(60)) {
          out.push_back('\\');
          out.push_back("bfnrt\"\\/"[at]);
        } else if (cp >= 0x10000) {
          const std::uint32_t v = cp - 0x10000;
          u_escape(0xD800 + (v >> 10));
          u_escape(0xDC00 + (v & 0x3FF));
        } else {
          u_escape(cp);
        }
      } else {
        append_utf8(cp, out);
      }
    }
    out.push_back('"');
  }

  void string(std::string& out) {
    static const char* kPool[] = {"\"alpha\"", "\"beta\"", "\"gamma ray\"", "\"delta-long-value\"",
                                  "\"\"",      "\"ab\"",   "\"caf\\u00e9\""};
    if (chance(50)) {
      out += kPool[next(std::size(kPool))];
    } else {
      string_literal(out, 12);
    }
  }

  void key(std::string& out, std::set<std::string>& used) {
    static const char* kPool[] = {"a",   "b",  "name",  "tags",
                                  "x.y", "",   "k e y", "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87",
                                  "`q`", "id", "0"};
    while (true) {
      std::string literal;
      if (chance(70)) {
        literal = std::string("\"") + kPool[next(std::size(kPool))] + "\"";
      } else {
        string_literal(literal, 6);
      }
      // Deduplicate on the decoded key (escapes may spell one key two ways).
      auto parsed = parse_document("{" + literal + ":0}", kLimits);
      if (!parsed.ok()) continue;
      std::string decoded(std::string_view((*(*parsed).root().begin()).key));
      if (used.insert(decoded).second) {
        out += literal;
        return;
      }
    }
  }

  void object(int depth, std::string& out) {
    const std::size_t n = depth == 0 ? 1 + next(8) : next(depth >= 5 ? 3 : 6);
    std::set<std::string> used;
    out.push_back('{');
    for (std::size_t i = 0; i < n; ++i) {
      if (i) out.push_back(',');
      if (chance(10)) out.push_back(' ');
      key(out, used);
      out.push_back(':');
      value(depth, out);
    }
    out.push_back('}');
  }

  void array(int depth, std::string& out) {
    const std::size_t n = next(depth >= 5 ? 3 : 7);
    out.push_back('[');
    for (std::size_t i = 0; i < n; ++i) {
      if (i) out += chance(10) ? " , " : ",";
      value(depth, out);
    }
    out.push_back(']');
  }

  std::mt19937_64 rng_;
};

// ---- round trip -----------------------------------------------------------------------

TEST(PackedCodecTest, RoundTripExamples) {
  MemoryCounter counter;
  Dictionary dict(config(), &counter);
  const std::pair<std::string_view, std::string_view> cases[] = {
      {R"({})", R"({})"},
      {R"({"a":1,"b":[true,"xy"]})", R"({"a":1,"b":[true,"xy"]})"},
      {R"({ "z" : 1 , "a" : 2 })", R"({"z":1,"a":2})"},
      {R"({"a":30.0,"b":-0.0,"c":1E2,"d":0.5e1,"e":-0})",
       R"({"a":30.0,"b":-0.0,"c":100.0,"d":5.0,"e":0})"},
      {R"({"n":-9223372036854775808,"m":9223372036854775807,"u":18446744073709551615})",
       R"({"n":-9223372036854775808,"m":9223372036854775807,"u":18446744073709551615})"},
      {R"({"x":9007199254740993,"y":1e308,"z":5e-324,"w":2.5e-310})",
       R"({"x":9007199254740993,"y":1e+308,"z":5e-324,"w":2.5e-310})"},
      {R"({"s":"\u00e9\/\b\f\n\r\t\"\\\u0000\u001f\u007f\ud83d\ude00"})",
       "{\"s\":\"\xc3\xa9/\\b\\f\\n\\r\\t\\\"\\\\\\u0000\\u001F\x7f\xf0\x9f\x98\x80\"}"},
      {R"({"":1,"a.b":{"":[]},"e":{},"f":[[],{}],"k\"":null})",
       R"({"":1,"a.b":{"":[]},"e":{},"f":[[],{}],"k\"":null})"},
      {R"({"o":[{"sku":"apple","n":1},{"sku":"pear","n":2,"x":[[{"d":"deep"}]]}]})",
       R"({"o":[{"sku":"apple","n":1},{"sku":"pear","n":2,"x":[[{"d":"deep"}]]}]})"},
  };
  std::vector<std::string> bodies;
  for (const auto& [in, expected] : cases) {
    SCOPED_TRACE(std::string(in));
    bodies.push_back(encode(in, dict));
    EXPECT_EQ(decode(bodies.back(), dict), expected);
  }
  for (const std::string& body : bodies) release_document(body, dict);
  EXPECT_EQ(dict.entries(), 0u);
  EXPECT_EQ(dict.bytes(), 0u);
}

// Doubles come back as std::to_chars' shortest text (decoding has a faster path for
// values with a few decimals; it must print exactly the same): decimal-looking values
// with 1 to 10 decimals, random doubles of every magnitude, integers, values near the
// fast path's edges (1, 1e15, 2^53 once scaled) and halfway cases, both signs.
TEST(PackedCodecTest, DoublesPrintAsShortestToChars) {
  MemoryCounter counter;
  Dictionary dict(config(), &counter);
  std::mt19937_64 rng(5);
  std::vector<double> values = {1.0,
                                1.5,
                                -1.5,
                                0.5,
                                0.1,
                                1e15,
                                1e15 - 0.5,
                                999999999999999.9,
                                123456789012.125,
                                2.675,
                                1.005,
                                0.30000000000000004,
                                9007199254740.991,
                                1e-7};
  for (int i = 0; i < 100000; ++i) {
    const int decimals = 1 + static_cast<int>(rng() % 10);
    const double m = static_cast<double>(rng() % 100000000000ULL);
    values.push_back(m / std::pow(10.0, decimals));
    values.push_back(-std::nextafter(values.back(), 0.0));
    values.push_back(
        std::bit_cast<double>((rng() & 0x000FFFFFFFFFFFFFULL) | ((1023ULL + rng() % 60) << 52)));
    values.push_back(std::bit_cast<double>(rng() & 0x7FEFFFFFFFFFFFFFULL));
    values.push_back((static_cast<double>(rng() % 1000000) + 0.5) / 100.0);
  }
  for (double d : values) {
    if (!std::isfinite(d)) continue;
    char buf[64];
    std::string text(buf, std::to_chars(buf, buf + sizeof(buf), d).ptr);
    if (text.find_first_of(".eE") == std::string::npos) text += ".0";
    const std::string json = "{\"x\":" + text + "}";
    const std::string body = encode(json, dict);
    ASSERT_EQ(decode(body, dict), json) << "bits " << std::bit_cast<std::uint64_t>(d);
    release_document(body, dict);
  }
}

TEST(PackedCodecTest, EscapingMatchesRapidJsonWriter) {
  MemoryCounter counter;
  Dictionary dict(config(10'000, 0), &counter);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::string value;
    const std::size_t len = rng() % 12;
    for (std::size_t k = 0; k < len; ++k) {
      const char pool[] = "ab\"\\/\x01\x1f\x7f\t\n\r\b\f";
      value.push_back(rng() % 4 == 0 ? '\0' : pool[rng() % (sizeof(pool) - 1)]);
    }
    if (rng() % 3 == 0) value += "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> writer(sb);
    writer.StartObject();
    writer.Key("k");
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    writer.EndObject();
    const std::string expected(sb.GetString(), sb.GetSize());
    const std::string body = encode(expected, dict);
    EXPECT_EQ(decode(body, dict), expected);
    release_document(body, dict);
  }
  EXPECT_EQ(dict.entries(), 0u);
}

TEST(PackedCodecTest, RandomDocumentsRoundTripCanonically) {
  MemoryCounter counter;
  Dictionary dict(config(50, 4), &counter);  // a low limit so both string forms occur
  JsonGenerator gen(20240601);
  std::vector<std::string> bodies, outputs;
  constexpr int kDocs = 3000;
  for (int i = 0; i < kDocs; ++i) {
    const std::string json = gen.document();
    SCOPED_TRACE(json);
    ParsedDocument original = parse_ok(json);
    std::string body;
    encode_document(original.root(), dict, body);
    const std::string out = decode(body, dict);
    // The output reads back to the same value...
    ParsedDocument again = parse_ok(out);
    ASSERT_TRUE(same(original.root(), again.root()));
    // ...and is canonical: encoding it again gives the same text. (The bodies may differ
    // in whether a string is a term or inline: a field may stop interning in between.)
    std::string body2;
    encode_document(again.root(), dict, body2);
    ASSERT_EQ(decode(body2, dict), out);
    release_document(body2, dict);
    bodies.push_back(std::move(body));
    outputs.push_back(out);
    // Drop some records along the way so ids get freed and reused.
    if (i % 7 == 3) {
      const std::size_t victim = static_cast<std::size_t>(i) % bodies.size();
      release_document(bodies[victim], dict);
      bodies.erase(bodies.begin() + static_cast<long>(victim));
      outputs.erase(outputs.begin() + static_cast<long>(victim));
    }
  }
  EXPECT_GT(dict.entries(), 0u);
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    ASSERT_EQ(decode(bodies[i], dict), outputs[i]);  // still right after all the churn
    release_document(bodies[i], dict);
  }
  EXPECT_EQ(dict.entries(), 0u);
  EXPECT_EQ(dict.bytes(), 0u);
  EXPECT_EQ(counter.bytes, 0u);
}

TEST(PackedCodecTest, ReleaseReclaimsEverything) {
  MemoryCounter counter;
  Dictionary dict(config(), &counter);
  const std::uint64_t baseline = dict.bytes();
  std::vector<std::string> bodies;
  for (int i = 0; i < 500; ++i) {
    bodies.push_back(encode(R"({"user":"user-)" + std::to_string(i % 50) +
                                R"(","city":"Paris","tags":["alpha","beta"],)"
                                R"("orders":[{"sku":"sku-)" +
                                std::to_string(i % 100) + R"(","qty":2}],"geo":{"lat":1.5}})",
                            dict));
  }
  // 9 paths (user city tags orders orders[].sku orders[].qty geo geo.lat) ...
  EXPECT_TRUE(dict.find_path(kRootPath, false, "orders").has_value());
  const PathId orders = *dict.find_path(kRootPath, false, "orders");
  EXPECT_TRUE(dict.find_path(orders, true, "sku").has_value());
  const PathId tags = *dict.find_path(kRootPath, false, "tags");
  EXPECT_TRUE(dict.find_term(tags, "alpha").has_value());  // array strings: the array's field
  // paths 8 + terms: 50 users + Paris + alpha + beta + 100 skus
  EXPECT_EQ(dict.entries(), 8u + 50u + 1u + 2u + 100u);
  for (const std::string& body : bodies) release_document(body, dict);
  EXPECT_EQ(dict.entries(), 0u);
  EXPECT_EQ(dict.bytes(), baseline);
}

TEST(PackedCodecTest, AdaptiveInterningKeepsValuesExact) {
  MemoryCounter counter;
  Dictionary dict(config(2, 4), &counter);
  std::vector<std::string> bodies, texts;
  for (int i = 0; i < 10; ++i) {
    texts.push_back(R"({"city":"city-)" + std::to_string(i) + R"(","c":"abc"})");
    bodies.push_back(encode(texts.back(), dict));
  }
  for (std::size_t i = 0; i < bodies.size(); ++i) EXPECT_EQ(decode(bodies[i], dict), texts[i]);
  const PathId city = *dict.find_path(kRootPath, false, "city");
  EXPECT_TRUE(dict.find_term(city, "city-0").has_value());
  EXPECT_TRUE(dict.find_term(city, "city-1").has_value());
  EXPECT_FALSE(dict.find_term(city, "city-2").has_value());
  const auto fields = dict.fields();
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[1].path, "city");
  EXPECT_FALSE(fields[1].terms_interned);
  EXPECT_EQ(fields[1].interned_terms, 2u);
  EXPECT_NEAR(static_cast<double>(fields[1].cardinality_estimate), 10.0, 2.0);
  EXPECT_EQ(fields[0].path, "c");
  EXPECT_EQ(fields[0].interned_terms, 0u);  // "abc" is shorter than 4 bytes
  for (const std::string& body : bodies) release_document(body, dict);
  EXPECT_EQ(dict.entries(), 0u);
  EXPECT_EQ(dict.bytes(), 0u);
}

TEST(PackedCodecTest, DeepDocumentsUseNoRecursion) {
  MemoryCounter counter;
  Dictionary dict(config(), &counter);
  for (int depth : {128, 5000}) {
    std::string json = "{\"a\":";
    for (int i = 1; i < depth - 1; ++i) json += (i % 2) ? "[\"s\"," : "{\"k\":";
    json += "{\"leaf\":\"value\"}";
    for (int i = depth - 2; i >= 1; --i) json += (i % 2) ? "]" : "}";
    json += "}";
    const std::string body = encode(json, dict, {1u << 20, static_cast<std::uint32_t>(depth)});
    EXPECT_EQ(decode(body, dict), json);
    std::string projected;
    const std::vector<std::vector<std::string>> paths = {{"a"}};
    decode_projected(body, dict, paths, projected);
    EXPECT_EQ(projected, json);
    release_document(body, dict);
    EXPECT_EQ(dict.entries(), 0u);
  }
}

TEST(PackedCodecTest, TenMegabyteDocuments) {
  MemoryCounter counter;
  Dictionary dict(config(), &counter);
  std::string big_string(10u << 20, 'x');
  for (std::size_t i = 0; i < big_string.size(); i += 997) big_string[i] = '\n';
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> writer(sb);
  writer.StartObject();
  writer.Key("blob");
  writer.String(big_string.data(), static_cast<rapidjson::SizeType>(big_string.size()));
  writer.EndObject();
  const std::string json1(sb.GetString(), sb.GetSize());
  const std::string body1 = encode(json1, dict);
  EXPECT_EQ(decode(body1, dict), json1);

  std::string json2 = "{\"items\":[";
  for (int i = 0; json2.size() < (10u << 20); ++i) {
    if (i) json2 += ',';
    json2 += R"({"id":)" + std::to_string(i) + R"(,"name":"item-)" + std::to_string(i % 1000) +
             R"(","price":)" + std::to_string(i) + ".25}";
  }
  json2 += "],\"after\":true}";
  const std::string body2 = encode(json2, dict);
  EXPECT_EQ(decode(body2, dict), json2);
  EXPECT_LT(body2.size(), json2.size() / 2);
  release_document(body1, dict);
  release_document(body2, dict);
  EXPECT_EQ(dict.entries(), 0u);
  EXPECT_EQ(dict.bytes(), 0u);
}

// ---- projection -----------------------------------------------------------------------

class ProjectionTest : public ::testing::Test {
 protected:
  ProjectionTest() : dict_(config(), &counter_) {
    body_ = encode(
        R"({"name":"ann","address":{"city":"Paris","zip":"75001","geo":{"lat":1.5,"lon":2}},)"
        R"("tags":["alpha","b"],"orders":[{"sku":"x"}],"a.b":1,"":2,"n":null})",
        dict_);
  }
  ~ProjectionTest() override {
    release_document(body_, dict_);
    EXPECT_EQ(dict_.entries(), 0u);
  }

  std::string project(std::initializer_list<std::string_view> texts) {
    std::vector<std::vector<std::string>> paths;
    for (std::string_view t : texts) {
      auto p = parse_path(t);
      EXPECT_TRUE(p.ok()) << t;
      if (p.ok()) paths.push_back(*p);
    }
    std::string out;
    decode_projected(body_, dict_, paths, out);
    return out;
  }

  MemoryCounter counter_;
  Dictionary dict_;
  std::string body_;
};

TEST_F(ProjectionTest, TopLevelFields) {
  EXPECT_EQ(project({"name"}), R"({"name":"ann"})");
  EXPECT_EQ(project({"tags"}), R"({"tags":["alpha","b"]})");
  EXPECT_EQ(project({"n"}), R"({"n":null})");
}

TEST_F(ProjectionTest, KeepsSourceOrderNotRequestOrder) {
  EXPECT_EQ(project({"tags", "name"}), R"({"name":"ann","tags":["alpha","b"]})");
}

TEST_F(ProjectionTest, NestedPathsKeepNesting) {
  EXPECT_EQ(project({"address.city"}), R"({"address":{"city":"Paris"}})");
  EXPECT_EQ(project({"address.geo.lon", "address.city"}),
            R"({"address":{"city":"Paris","geo":{"lon":2}}})");
  EXPECT_EQ(project({"address.geo"}), R"({"address":{"geo":{"lat":1.5,"lon":2}}})");
}

TEST_F(ProjectionTest, ObjectPathGivesTheWholeObjectOnce) {
  const std::string whole =
      R"({"address":{"city":"Paris","zip":"75001","geo":{"lat":1.5,"lon":2}}})";
  EXPECT_EQ(project({"address"}), whole);
  EXPECT_EQ(project({"address", "address.city"}), whole);
  EXPECT_EQ(project({"address.city", "address"}), whole);
  EXPECT_EQ(project({"address.geo.lat", "address.geo", "address"}), whole);
  EXPECT_EQ(project({"name", "name"}), R"({"name":"ann"})");
}

TEST_F(ProjectionTest, MissingPathsAreSkipped) {
  EXPECT_EQ(project({"missing"}), "{}");
  EXPECT_EQ(project({"name.x"}), "{}");           // through a scalar
  EXPECT_EQ(project({"tags.0"}), "{}");           // through an array
  EXPECT_EQ(project({"orders.sku"}), "{}");       // through an array of objects
  EXPECT_EQ(project({"address.nothing"}), "{}");  // no empty shell for address
  EXPECT_EQ(project({"missing", "name"}), R"({"name":"ann"})");
  EXPECT_EQ(project({}), "{}");
}

TEST_F(ProjectionTest, QuotedSegments) {
  EXPECT_EQ(project({"`a.b`"}), R"({"a.b":1})");
  EXPECT_EQ(project({"``"}), R"({"":2})");
  EXPECT_EQ(project({"a.b"}), "{}");
}

TEST(PackedCodecProjectionTest, RandomProjectionsAgreeWithAModel) {
  // Model: project by walking the parsed original with simdjson.
  MemoryCounter counter;
  Dictionary dict(config(), &counter);
  JsonGenerator gen(99);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 300; ++i) {
    const std::string json = gen.document();
    ParsedDocument doc = parse_ok(json);
    std::string body;
    encode_document(doc.root(), dict, body);
    // Pick real key paths of object-only steps from the document, plus misses.
    std::vector<std::vector<std::string>> paths;
    for (int k = 0; k < 3; ++k) {
      std::vector<std::string> path;
      simdjson::dom::object obj = doc.root();
      while (obj.size() > 0) {
        auto it = obj.begin();
        for (std::uint64_t skip = rng() % obj.size(); skip > 0; --skip) ++it;
        path.emplace_back((*it).key);
        simdjson::dom::object next;
        if (rng() % 3 == 0 || (*it).value.get(next) != simdjson::SUCCESS) break;
        obj = next;
      }
      if (rng() % 5 == 0) path.push_back("nope");
      if (!path.empty()) paths.push_back(path);
    }
    std::string out;
    decode_projected(body, dict, paths, out);
    // Every requested path that exists must resolve to the same value in the output, and
    // the output must hold nothing else: re-project the output and compare.
    ParsedDocument projected = parse_ok(out);
    for (const auto& path : paths) {
      element a, b;
      const bool a_ok = resolve(doc.root(), path, a);
      const bool b_ok = resolve(projected.root(), path, b);
      EXPECT_EQ(a_ok, b_ok) << json << " -> " << out << " path " << format_path(path);
      if (a_ok && b_ok) {
        EXPECT_TRUE(same(a, b)) << format_path(path);
      }
    }
    std::string out2;
    std::string body2 = encode(out, dict);
    decode_projected(body2, dict, paths, out2);
    EXPECT_EQ(out2, out);
    release_document(body2, dict);
    release_document(body, dict);
  }
  EXPECT_EQ(dict.entries(), 0u);
}

}  // namespace
}  // namespace kora::doc
