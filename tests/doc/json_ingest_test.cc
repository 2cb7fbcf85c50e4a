#include "doc/json_ingest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace kora::doc {
namespace {

using ::kora::testing::HasCode;
using ::kora::testing::IsOk;

constexpr IngestLimits kLimits{1u << 20, 128};

std::string nested(int depth) {  // `depth` containers including the root object
  std::string s = "{\"a\":";
  for (int i = 1; i < depth; ++i) s += (i % 2 == 1) ? "[" : "{\"b\":";
  s += "0";
  for (int i = depth - 1; i >= 1; --i) s += (i % 2 == 1) ? "]" : "}";
  return s + "}";
}

// Byte offset of the opening bracket of container number `n` (1-based) in nested().
std::uint32_t container_offset(const std::string& text, int n) {
  int seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{' || text[i] == '[') {
      if (++seen == n) return static_cast<std::uint32_t>(i);
    }
  }
  return 0;
}

TEST(ParseDocumentTest, AcceptsObjects) {
  auto r = parse_document(R"({"a":1,"b":[true,null,"x"],"c":{"d":-0.0}})", kLimits);
  ASSERT_THAT(r, IsOk());
  simdjson::dom::object root = r->root();
  EXPECT_EQ(root.size(), 3u);
  auto r2 = parse_document("  {}  \n", kLimits);
  ASSERT_THAT(r2, IsOk());
  EXPECT_EQ(r2->root().size(), 0u);
  EXPECT_EQ(r2->source_bytes(), 7u);
}

TEST(ParseDocumentTest, DocumentsOwnTheirMemory) {
  std::vector<ParsedDocument> docs;
  for (int i = 0; i < 100; ++i) {
    auto r = parse_document(
        "{\"i\":" + std::to_string(i) + ",\"s\":\"" + std::string(i, 'x') + "\"}", kLimits);
    ASSERT_THAT(r, IsOk());
    docs.push_back(std::move(*r));  // moved, and the parser is reused for the next one
  }
  for (int i = 0; i < 100; ++i) {
    simdjson::dom::object root = docs[static_cast<std::size_t>(i)].root();
    std::int64_t v = -1;
    ASSERT_EQ(root["i"].get(v), simdjson::SUCCESS);
    EXPECT_EQ(v, i);
    std::string_view s;
    ASSERT_EQ(root["s"].get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, std::string(static_cast<std::size_t>(i), 'x'));
  }
}

TEST(ParseDocumentTest, RootMustBeAnObject) {
  for (std::string_view text : {"[]", "1", "\"x\"", "null", "[{}]", " true "}) {
    EXPECT_THAT(parse_document(text, kLimits), HasCode(ErrorCode::kInvalidArgument)) << text;
  }
}

TEST(ParseDocumentTest, SizeLimit) {
  const std::string text = R"({"a":"0123456789"})";  // 18 bytes
  EXPECT_THAT(parse_document(text, {18, 128}), IsOk());
  auto r = parse_document(text, {17, 128});
  ASSERT_THAT(r, HasCode(ErrorCode::kLimitExceeded));
  EXPECT_THAT(std::string(r.error().message()), ::testing::HasSubstr("max_document_bytes"));
  // Not parsed: even invalid JSON over the limit is a limit error.
  EXPECT_THAT(parse_document("{{{{{{", {5, 128}), HasCode(ErrorCode::kLimitExceeded));
}

TEST(ParseDocumentTest, DepthLimitCountsTheRoot) {
  EXPECT_THAT(parse_document(nested(128), {1u << 20, 128}), IsOk());
  const std::string deep = nested(129);
  auto r = parse_document(deep, {1u << 20, 128});
  ASSERT_THAT(r, HasCode(ErrorCode::kLimitExceeded));
  EXPECT_THAT(std::string(r.error().message()), ::testing::HasSubstr("max_document_depth"));
  ASSERT_NE(r.error().detail(), nullptr);
  EXPECT_EQ(r.error().detail()->position, container_offset(deep, 129));

  // Other limits, and changing the limit between calls on one thread.
  EXPECT_THAT(parse_document(nested(3), {1u << 20, 3}), IsOk());
  auto r4 = parse_document(nested(4), {1u << 20, 3});
  ASSERT_THAT(r4, HasCode(ErrorCode::kLimitExceeded));
  EXPECT_EQ(r4.error().detail()->position, container_offset(nested(4), 4));
  EXPECT_THAT(parse_document(nested(1000), {1u << 20, 1000}), IsOk());
  EXPECT_THAT(parse_document(nested(1001), {1u << 20, 1000}), HasCode(ErrorCode::kLimitExceeded));
  EXPECT_THAT(parse_document("{}", {1u << 20, 1}), IsOk());
  EXPECT_THAT(parse_document("{}", {1u << 20, 0}), HasCode(ErrorCode::kLimitExceeded));
}

TEST(ParseDocumentTest, DepthLimitWithEmptyInnermostContainers) {
  // simdjson counts a non-empty container's contents as a level; we count containers only.
  auto wrap = [](int depth, std::string_view inner) {  // `depth` arrays around `inner`
    return "{\"a\":" + std::string(static_cast<std::size_t>(depth - 1), '[') + std::string(inner) +
           std::string(static_cast<std::size_t>(depth - 1), ']') + "}";
  };
  EXPECT_THAT(parse_document(wrap(3, ""), {1u << 20, 3}), IsOk());   // {"a":[[]]}
  EXPECT_THAT(parse_document(wrap(3, "1"), {1u << 20, 3}), IsOk());  // {"a":[[1]]}
  EXPECT_THAT(parse_document(wrap(4, ""), {1u << 20, 3}), HasCode(ErrorCode::kLimitExceeded));
  EXPECT_THAT(parse_document(wrap(4, "1"), {1u << 20, 3}), HasCode(ErrorCode::kLimitExceeded));
  EXPECT_THAT(parse_document(wrap(5, ""), {1u << 20, 3}), HasCode(ErrorCode::kLimitExceeded));
  EXPECT_THAT(parse_document(R"({"a":{},"b":[{}]})", {1u << 20, 3}), IsOk());
  auto r = parse_document(R"({"a":{},"b":[{"c":[]}]})", {1u << 20, 3});
  ASSERT_THAT(r, HasCode(ErrorCode::kLimitExceeded));
  EXPECT_EQ(r.error().detail()->position, 18u);  // the "[" of "c"
}

TEST(ParseDocumentTest, DepthPositionSkipsBracketsInStrings) {
  const std::string text = R"({"[{[":"{[{[",  "x":[[1]]})";
  auto r = parse_document(text, {1u << 20, 2});
  ASSERT_THAT(r, HasCode(ErrorCode::kLimitExceeded));
  EXPECT_EQ(r.error().detail()->position, text.find("[1]"));
}

TEST(ParseDocumentTest, HugeNestingDoesNotCrash) {
  const std::string text(200'000, '[');
  EXPECT_THAT(parse_document(text, kLimits), ::testing::Not(IsOk()));
  std::string objects;
  for (int i = 0; i < 100'000; ++i) objects += "{\"a\":";
  EXPECT_THAT(parse_document(objects, {1u << 22, 128}), ::testing::Not(IsOk()));
}

struct BadJson {
  std::string text;
  ErrorCode code;
  std::uint32_t position;
};

TEST(ParseDocumentTest, BadInputsReportCodeAndPosition) {
  using std::string_literals::operator""s;
  const BadJson cases[] = {
      {"", ErrorCode::kInvalidJson, 0},
      {"   ", ErrorCode::kInvalidJson, 3},
      {"{", ErrorCode::kInvalidJson, 1},
      {"{\"a\"}", ErrorCode::kInvalidJson, 4},
      {"{\"a\":}", ErrorCode::kInvalidJson, 5},
      {"{\"a\":1,}", ErrorCode::kInvalidJson, 7},
      {"{\"a\":1 \"b\":2}", ErrorCode::kInvalidJson, 7},
      {"{\"a\":tru}", ErrorCode::kInvalidJson, 8},  // where "tru" stops being a literal
      {"{\"a\":01}", ErrorCode::kInvalidJson, 6},
      {"{\"a\":1.}", ErrorCode::kInvalidJson, 7},
      {"{\"a\":+1}", ErrorCode::kInvalidJson, 5},
      {"{\"a\":\"x}", ErrorCode::kInvalidJson, 8},
      {"{\"a\":\"\\x\"}", ErrorCode::kInvalidJson, 6},
      {"{\"a\":\"\\ud800\"}", ErrorCode::kInvalidJson, 6},           // lone surrogate
      {"{\"a\":\"\x01\"}", ErrorCode::kInvalidJson, 6},              // raw control char
      {"{\"a\":\"\xff\"}", ErrorCode::kInvalidJson, 6},              // invalid UTF-8
      {"{\"a\":\"\xc0\xaf\"}", ErrorCode::kInvalidJson, 6},          // overlong
      {"{\"a\":\"\xed\xa0\x80\"}", ErrorCode::kInvalidJson, 6},      // UTF-8 surrogate
      {"{\"a\":\"\xf4\x90\x80\x80\"}", ErrorCode::kInvalidJson, 6},  // above U+10FFFF
      {"{\"a\":\"\xe2\x82\"}", ErrorCode::kInvalidJson, 6},          // truncated sequence
      {"{\"\xff\":1}", ErrorCode::kInvalidJson, 2},
      {"{} x", ErrorCode::kInvalidJson, 3},
      {"{}{}", ErrorCode::kInvalidJson, 2},
      {"{}\0"s, ErrorCode::kInvalidJson, 2},
      {"{\"a\":1}\0garbage"s, ErrorCode::kInvalidJson, 7},
      {"{\"a\":\"x\0y\"}"s, ErrorCode::kInvalidJson, 7},
      {"{\"a\"\0:1}"s, ErrorCode::kInvalidJson, 4},
      {"{\"a\":[1,2}", ErrorCode::kInvalidJson, 9},
      {"{\"a\":1}}", ErrorCode::kInvalidJson, 7},
      {"{\"a\":NaN}", ErrorCode::kInvalidJson, 5},
      {"{\"a\":Infinity}", ErrorCode::kInvalidJson, 5},
      {"{'a':1}", ErrorCode::kInvalidJson, 1},
      // Numbers we cannot keep exactly.
      {"{\"a\":18446744073709551616}", ErrorCode::kInvalidJson, 5},
      {"{\"a\":-9223372036854775809}", ErrorCode::kInvalidJson, 5},
      {"{\"a\":[1, 123456789012345678901234567890]}", ErrorCode::kInvalidJson, 9},
      {"{\"a\":1e400}", ErrorCode::kInvalidJson, 5},
      {"{\"a\":-1e309}", ErrorCode::kInvalidJson, 5},
      // Duplicate keys: the second occurrence.
      {"{\"a\":1,\"a\":2}", ErrorCode::kInvalidJson, 7},
      {"{\"a\":1, \"b\":{\"c\":1,  \"c\":2}}", ErrorCode::kInvalidJson, 21},
      {"{\"a\":[{\"x\":1},{\"x\":1,\"x\":2}]}", ErrorCode::kInvalidJson, 21},
      {"{\"a\\\"\":1,\"a\\\"\":2}", ErrorCode::kInvalidJson, 9},
      {"{\"\\u0061\":1,\"a\":2}", ErrorCode::kInvalidJson, 12},  // equal once unescaped
      {"{\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,\"g\":1,\"h\":1,\"i\":1,\"c\":1}",
       ErrorCode::kInvalidJson, 55},
      // Valid JSON, wrong root.
      {"[1,2]", ErrorCode::kInvalidArgument, 0},
  };
  for (const BadJson& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.text));
    auto r = parse_document(c.text, kLimits);
    ASSERT_THAT(r, HasCode(c.code));
    if (c.code == ErrorCode::kInvalidJson) {
      ASSERT_NE(r.error().detail(), nullptr);
      EXPECT_EQ(r.error().detail()->position, c.position);
    }
  }
}

TEST(ParseDocumentTest, ExtremeNumbersAreAccepted) {
  auto r = parse_document(
      R"({"a":18446744073709551615,"b":-9223372036854775808,"c":9223372036854775807,)"
      R"("d":1e308,"e":5e-324,"f":-0.0,"g":1e-400,"h":-0,"i":9007199254740993})",
      kLimits);
  ASSERT_THAT(r, IsOk());
  simdjson::dom::object root = r->root();
  std::uint64_t a = 0;
  EXPECT_EQ(root["a"].get(a), simdjson::SUCCESS);
  EXPECT_EQ(a, UINT64_MAX);
  std::int64_t b = 0;
  EXPECT_EQ(root["b"].get(b), simdjson::SUCCESS);
  EXPECT_EQ(b, INT64_MIN);
  double g = 1;
  EXPECT_EQ(root["g"].get(g), simdjson::SUCCESS);
  EXPECT_EQ(g, 0.0);
  std::int64_t i = 0;
  EXPECT_EQ(root["i"].get(i), simdjson::SUCCESS);
  EXPECT_EQ(i, 9007199254740993);
}

TEST(ParseDocumentTest, DuplicateKeysInDifferentObjectsAreFine) {
  EXPECT_THAT(parse_document(R"({"a":{"a":1},"b":[{"a":1},{"a":2}],"c":{"b":{"a":1}}})", kLimits),
              IsOk());
}

TEST(ParseDocumentTest, LargeDocumentThenSmallOnesOnOneThread) {
  std::string big = "{\"a\":[";
  for (int i = 0; i < 300'000; ++i) big += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  big += "]}";
  ASSERT_GT(big.size(), std::size_t{1} << 20);
  EXPECT_THAT(parse_document(big, {1u << 24, 128}), IsOk());
  EXPECT_THAT(parse_document(R"({"x":1})", kLimits), IsOk());
  EXPECT_THAT(parse_document(nested(129), kLimits), HasCode(ErrorCode::kLimitExceeded));
}

TEST(ParseDocumentTest, ParsesOnManyThreads) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&failures, t] {
      for (int i = 0; i < 2000; ++i) {
        auto r = parse_document("{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}",
                                {1u << 20, static_cast<std::uint32_t>(10 + t)});
        std::int64_t v = -1;
        if (!r.ok() || r->root()["i"].get(v) != simdjson::SUCCESS || v != i) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace kora::doc
