#include "doc/path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "test_util.h"

namespace kora::doc {
namespace {

using ::kora::testing::HasCode;
using ::testing::ElementsAre;

std::vector<std::string> parse_ok(std::string_view text) {
  auto r = parse_path(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().to_string();
  return r.ok() ? *r : std::vector<std::string>{};
}

TEST(ParsePathTest, BareSegments) {
  EXPECT_THAT(parse_ok("a"), ElementsAre("a"));
  EXPECT_THAT(parse_ok("address.zip"), ElementsAre("address", "zip"));
  EXPECT_THAT(parse_ok("_x1.Y_2.z"), ElementsAre("_x1", "Y_2", "z"));
}

TEST(ParsePathTest, DigitSegmentsAreAccepted) {
  EXPECT_THAT(parse_ok("tags.0"), ElementsAre("tags", "0"));
  EXPECT_THAT(parse_ok("a.12.b"), ElementsAre("a", "12", "b"));
  EXPECT_THAT(parse_ok("007"), ElementsAre("007"));
}

TEST(ParsePathTest, BackquotedSegments) {
  EXPECT_THAT(parse_ok("`a.b`.c"), ElementsAre("a.b", "c"));
  EXPECT_THAT(parse_ok("``"), ElementsAre(""));
  EXPECT_THAT(parse_ok("`a``b`"), ElementsAre("a`b"));
  EXPECT_THAT(parse_ok("````"), ElementsAre("`"));
  EXPECT_THAT(parse_ok("`in`.`x y`.`\xc3\xa9`"), ElementsAre("in", "x y", "\xc3\xa9"));
  EXPECT_THAT(parse_ok("a.``.b"), ElementsAre("a", "", "b"));
  EXPECT_THAT(parse_ok(std::string_view("`\0`", 3)), ElementsAre(std::string(1, '\0')));
}

TEST(ParsePathTest, KeywordsAreNotSpecial) {
  EXPECT_THAT(parse_ok("AND.or.NOT.in"), ElementsAre("AND", "or", "NOT", "in"));
}

struct BadPath {
  std::string_view text;
  std::uint32_t position;
};

TEST(ParsePathTest, ErrorsReportThePosition) {
  const BadPath cases[] = {
      {"", 0},          // empty
      {"a.", 1},        // trailing dot
      {".a", 0},        // leading dot
      {"a..b", 2},      // empty segment
      {"a-b", 1},       // bad character
      {"a b", 1},       // whitespace
      {" a", 0},        // leading whitespace
      {"`abc", 0},      // unterminated
      {"a.`b``", 2},    // unterminated (the doubled quote is not a close)
      {"`a`b", 3},      // junk after a backquoted segment
      {"a`b`", 1},      // backquote glued to a bare segment
      {"0a", 1},        // digits then letters
      {"a.b.", 3},      // trailing dot after two segments
      {"\xc3\xa9", 0},  // non-ASCII needs backquotes
      {"a[0]", 1},      // no brackets
  };
  for (const BadPath& c : cases) {
    SCOPED_TRACE(std::string(c.text));
    auto r = parse_path(c.text);
    ASSERT_THAT(r, HasCode(ErrorCode::kInvalidQuery));
    ASSERT_NE(r.error().detail(), nullptr);
    EXPECT_EQ(r.error().detail()->position, c.position);
  }
}

TEST(FormatPathTest, CanonicalForm) {
  EXPECT_EQ(format_path(std::vector<std::string>{"a", "b_1"}), "a.b_1");
  EXPECT_EQ(format_path(std::vector<std::string>{"tags", "0"}), "tags.0");
  EXPECT_EQ(format_path(std::vector<std::string>{"a.b", "c"}), "`a.b`.c");
  EXPECT_EQ(format_path(std::vector<std::string>{""}), "``");
  EXPECT_EQ(format_path(std::vector<std::string>{"a`b"}), "`a``b`");
  EXPECT_EQ(format_path(std::vector<std::string>{"1a"}), "`1a`");
  EXPECT_EQ(format_path(std::vector<std::string>{}), "");
}

TEST(FormatPathTest, RoundTripsRandomSegments) {
  std::mt19937_64 rng(42);
  const std::string alphabet = std::string("ab_Z09.` -\xc3\xa9") + std::string(1, '\0');
  for (int iter = 0; iter < 5000; ++iter) {
    std::vector<std::string> segments(1 + rng() % 4);
    for (std::string& s : segments) {
      const std::size_t len = rng() % 5;
      for (std::size_t i = 0; i < len; ++i) s.push_back(alphabet[rng() % alphabet.size()]);
    }
    const std::string text = format_path(segments);
    auto back = parse_path(text);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(*back, segments) << text;
    EXPECT_EQ(format_path(*back), text);
  }
}

}  // namespace
}  // namespace kora::doc
