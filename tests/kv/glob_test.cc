// glob_match: Redis glob semantics, binary safety and bounded backtracking.
#include <gtest/gtest.h>

#include <algorithm>
#include <bitset>
#include <chrono>
#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kv/kv_store.h"

namespace kora::kv {
namespace {

using namespace std::literals;

static_assert(noexcept(glob_match(std::string_view(), std::string_view())));

struct GlobCase {
  std::string pattern;
  std::string text;
  bool match;
};

void PrintTo(const GlobCase& c, std::ostream* os) {
  *os << "pattern=" << testing::PrintToString(c.pattern)
      << " text=" << testing::PrintToString(c.text)
      << " expect=" << (c.match ? "match" : "no match");
}

class GlobTableTest : public testing::TestWithParam<GlobCase> {};

TEST_P(GlobTableTest, MatchesAsRedis) {
  const GlobCase& c = GetParam();
  EXPECT_EQ(glob_match(c.pattern, c.text), c.match);
}

// The examples from the Redis KEYS documentation.
INSTANTIATE_TEST_SUITE_P(
    RedisDocExamples, GlobTableTest,
    testing::Values(GlobCase{"h?llo", "hello", true}, GlobCase{"h?llo", "hallo", true},
                    GlobCase{"h?llo", "hxllo", true}, GlobCase{"h?llo", "hllo", false},
                    GlobCase{"h?llo", "heello", false}, GlobCase{"h*llo", "hllo", true},
                    GlobCase{"h*llo", "heeeello", true}, GlobCase{"h*llo", "hello world", false},
                    GlobCase{"h[ae]llo", "hello", true}, GlobCase{"h[ae]llo", "hallo", true},
                    GlobCase{"h[ae]llo", "hillo", false}, GlobCase{"h[^e]llo", "hallo", true},
                    GlobCase{"h[^e]llo", "hbllo", true}, GlobCase{"h[^e]llo", "hello", false},
                    GlobCase{"h[a-b]llo", "hallo", true}, GlobCase{"h[a-b]llo", "hbllo", true},
                    GlobCase{"h[a-b]llo", "hcllo", false}));

INSTANTIATE_TEST_SUITE_P(
    Basics, GlobTableTest,
    testing::Values(GlobCase{"", "", true}, GlobCase{"", "a", false}, GlobCase{"a", "", false},
                    GlobCase{"?", "", false}, GlobCase{"*", "", true}, GlobCase{"***", "", true},
                    GlobCase{"*?", "", false}, GlobCase{"*", "anything at all", true},
                    GlobCase{"abc", "abc", true}, GlobCase{"abc", "abcd", false},
                    GlobCase{"abc", "ab", false}, GlobCase{"HELLO", "hello", false},
                    GlobCase{"foo*", "foo", true}, GlobCase{"foo*", "foobar", true},
                    GlobCase{"foo*", "fo", false}, GlobCase{"*bar", "foobar", true},
                    GlobCase{"*bar", "barfoo", false}, GlobCase{"??", "ab", true},
                    GlobCase{"??", "a", false}, GlobCase{"??", "abc", false},
                    GlobCase{"a**b", "ab", true}, GlobCase{"**a**", "a", true},
                    GlobCase{"]", "]", true}, GlobCase{"^", "^", true}, GlobCase{"-", "-", true},
                    GlobCase{"a-c", "b", false}));

INSTANTIATE_TEST_SUITE_P(
    Classes, GlobTableTest,
    testing::Values(
        GlobCase{"[abc]", "a", true}, GlobCase{"[abc]", "c", true}, GlobCase{"[abc]", "d", false},
        GlobCase{"[abc]", "", false}, GlobCase{"[abc]", "ab", false}, GlobCase{"[a-c]", "b", true},
        GlobCase{"[a-c]", "d", false}, GlobCase{"[c-a]", "a", true},  // reversed range
        GlobCase{"[c-a]", "b", true}, GlobCase{"[c-a]", "c", true}, GlobCase{"[c-a]", "d", false},
        GlobCase{"[a-a]", "a", true}, GlobCase{"[0-9a-f]", "e", true},
        GlobCase{"[0-9a-f]", "7", true}, GlobCase{"[0-9a-f]", "g", false},
        GlobCase{"[^abc]", "d", true}, GlobCase{"[^abc]", "b", false},
        GlobCase{"[^a-c]", "b", false}, GlobCase{"[^a-c]", "z", true},
        GlobCase{"[a^]", "^", true},                                // '^' not first: literal
        GlobCase{"[-a]", "-", true}, GlobCase{"[a-]", "-", false},  // "a-]" is a range a..']'
        GlobCase{"[*]", "*", true}, GlobCase{"[*]", "x", false}, GlobCase{"[?]", "?", true},
        GlobCase{"[?]", "x", false}, GlobCase{"[[]", "[", true},
        GlobCase{"[]", "]", false},  // empty class
        GlobCase{"[]]", "]]", false}, GlobCase{"[]a]", "a]", false},
        GlobCase{"x[ab]y[cd]z", "xbydz", true}, GlobCase{"x[ab]y[cd]z", "xbyez", false},
        // Unterminated classes run to the end of the pattern, as in Redis.
        GlobCase{"[abc", "b", true}, GlobCase{"[abc", "d", false}, GlobCase{"[", "[", false},
        GlobCase{"[", "a", false}, GlobCase{"[^", "x", true}, GlobCase{"[^a", "a", false},
        GlobCase{"a[", "a", false}));

INSTANTIATE_TEST_SUITE_P(
    Escapes, GlobTableTest,
    testing::Values(GlobCase{R"(h\*llo)", "h*llo", true}, GlobCase{R"(h\*llo)", "hello", false},
                    GlobCase{R"(\?)", "?", true}, GlobCase{R"(\?)", "a", false},
                    GlobCase{R"(\[a])", "[a]", true}, GlobCase{R"(\[a])", "a", false},
                    GlobCase{R"(\\)", R"(\)", true}, GlobCase{R"(\a)", "a", true},
                    GlobCase{R"(a\)", R"(a\)", true},  // trailing lone backslash is literal
                    GlobCase{R"(a\)", "a", false}, GlobCase{R"([\]])", "]", true},
                    GlobCase{R"([\]])", R"(\)", false}, GlobCase{R"([\-])", "-", true},
                    GlobCase{R"([a\-z])", "-", true}, GlobCase{R"([a\-z])", "b", false},
                    GlobCase{R"([\^a])", "^", true}, GlobCase{R"([^\^])", "^", false},
                    GlobCase{R"(*\*)", "abc*", true}, GlobCase{R"(*\*)", "abc", false},
                    GlobCase{R"([\)", R"(\)", true}  // unterminated class holding a lone '\'
                    ));

INSTANTIATE_TEST_SUITE_P(
    StarBacktracking, GlobTableTest,
    testing::Values(GlobCase{"*a*b", "xxaxxb", true}, GlobCase{"*a*b", "xxbxxa", false},
                    GlobCase{"a*b", "ab", true}, GlobCase{"a*b", "acbcb", true},
                    GlobCase{"a*b", "abc", false}, GlobCase{"*.txt", "file.txt", true},
                    GlobCase{"*.txt", "file.txt.bak", false}, GlobCase{"*ab*ab*", "xabyyab", true},
                    GlobCase{"*ab*ab*", "xabyyba", false}, GlobCase{"a*?b", "ab", false},
                    GlobCase{"a*?b", "axb", true}, GlobCase{"*[0-9]", "abc7", true},
                    GlobCase{"*[0-9]", "abc7x", false}, GlobCase{"*aab", "aaaab", true},
                    GlobCase{"*a?c*", "xxabaxcx", true},
                    GlobCase{"user:*:name", "user:42:name", true},
                    GlobCase{"user:*:name", "user:42:name:x", false},
                    GlobCase{"*:*:*", "a:b:c", true}, GlobCase{"*:*:*", "a:b", false}));

TEST(GlobTest, BinarySafe) {
  EXPECT_TRUE(glob_match("a\0b"s, "a\0b"s));
  EXPECT_FALSE(glob_match("a\0b"s, "a\0c"s));
  EXPECT_FALSE(glob_match("a"s, "a\0"s));  // the NUL is a real byte, not a terminator
  EXPECT_TRUE(glob_match("a*"s, "a\0\0"s));
  EXPECT_TRUE(glob_match("?"s, "\0"s));
  EXPECT_TRUE(glob_match("[\0]"s, "\0"s));
  EXPECT_FALSE(glob_match("[^\0]"s, "\0"s));
  EXPECT_TRUE(glob_match("*\0"s, "xyz\0"s));
  EXPECT_TRUE(glob_match("\xff*", "\xff\xfe"));
  EXPECT_FALSE(glob_match("\xfe*", "\xff\xfe"));
  // Ranges compare bytes as unsigned 0..255.
  EXPECT_TRUE(glob_match("[a-\xff]", "b"));
  EXPECT_TRUE(glob_match("[a-\xff]", "\x80"));
  EXPECT_TRUE(glob_match("[\xff-a]", "\xff"));  // reversed
  EXPECT_FALSE(glob_match("[a-\xff]", "A"));
  EXPECT_TRUE(glob_match("[\x01-\x7f]", "\x7f"));
  EXPECT_FALSE(glob_match("[\x01-\x7f]", "\x80"));
  // '?' and '*' take every byte value.
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    EXPECT_TRUE(glob_match("?", one)) << b;
    EXPECT_TRUE(glob_match("*", one)) << b;
    EXPECT_TRUE(glob_match("[\x01-\xff]", one) == (b != 0)) << b;
    EXPECT_TRUE(glob_match(one, one) || b == '*' || b == '?' || b == '[' || b == '\\') << b;
  }
}

TEST(GlobTest, PathologicalPatternsStayFast) {
  const auto start = std::chrono::steady_clock::now();
  const std::string as(100'000, 'a');
  EXPECT_FALSE(glob_match("a*a*a*a*a*a*b", as));
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", as));
  EXPECT_TRUE(glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*", as));
  EXPECT_TRUE(glob_match("a*a*a*a*a*a*b", as + "b"));
  EXPECT_FALSE(glob_match("*?*?*?*?*?*?*?*?*?*?*b", as));
  // Redis's own regression test shape: a long key against many stars.
  std::string many_stars;
  for (int i = 0; i < 1000; ++i) many_stars += "a*";
  many_stars += "b";
  EXPECT_FALSE(glob_match(many_stars, as));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Exponential backtracking would not finish at all; linear-ish work takes milliseconds.
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

// ---- Differential test against an independent reference ---------------------------------

// The reference compiles the pattern into tokens (a star, or the set of bytes one element
// accepts) following the same Redis rules, then matches with a plain dynamic program.
struct Token {
  bool star = false;
  std::bitset<256> accepts;
};

std::vector<Token> Tokenize(std::string_view p) {
  std::vector<Token> tokens;
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(p[i]); };
  std::size_t i = 0;
  while (i < p.size()) {
    Token t;
    if (p[i] == '*') {
      t.star = true;
      ++i;
    } else if (p[i] == '?') {
      t.accepts.set();
      ++i;
    } else if (p[i] == '\\') {
      const std::size_t lit = i + 1 < p.size() ? i + 1 : i;
      t.accepts.set(byte(lit));
      i = lit + 1;
    } else if (p[i] == '[') {
      ++i;
      const bool negate = i < p.size() && p[i] == '^';
      if (negate) ++i;
      for (;;) {
        if (i >= p.size()) break;
        if (p[i] == '\\' && i + 1 < p.size()) {
          t.accepts.set(byte(i + 1));
          i += 2;
        } else if (p[i] == ']') {
          ++i;
          break;
        } else if (i + 2 < p.size() && p[i + 1] == '-') {
          const unsigned a = byte(i);
          const unsigned b = byte(i + 2);
          for (unsigned c = std::min(a, b); c <= std::max(a, b); ++c) t.accepts.set(c);
          i += 3;
        } else {
          t.accepts.set(byte(i));
          ++i;
        }
      }
      if (negate) t.accepts.flip();
    } else {
      t.accepts.set(byte(i));
      ++i;
    }
    tokens.push_back(t);
  }
  return tokens;
}

bool ReferenceMatch(std::string_view pattern, std::string_view text) {
  const std::vector<Token> tokens = Tokenize(pattern);
  // dp[j]: tokens[0..i) match text[0..j).
  std::vector<char> dp(text.size() + 1, 0);
  dp[0] = 1;
  for (const Token& t : tokens) {
    std::vector<char> next(text.size() + 1, 0);
    for (std::size_t j = 0; j <= text.size(); ++j) {
      if (t.star) {
        next[j] = static_cast<char>(dp[j] || (j > 0 && next[j - 1]));
      } else if (j > 0) {
        next[j] =
            static_cast<char>(dp[j - 1] && t.accepts.test(static_cast<unsigned char>(text[j - 1])));
      }
    }
    dp = std::move(next);
  }
  return dp[text.size()] != 0;
}

TEST(GlobTest, AgreesWithReferenceOnRandomInputs) {
  std::mt19937 rng(20240611);
  const std::string pattern_alphabet = "ab*?[]^-\\\0\xff"s;
  const std::string text_alphabet = "ab[]^-\\*?\0\xff"s;
  auto draw = [&](const std::string& alphabet, std::size_t max_len) {
    std::string s(std::uniform_int_distribution<std::size_t>(0, max_len)(rng), ' ');
    for (char& c : s)
      c = alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
    return s;
  };
  int matches = 0;
  for (int i = 0; i < 100'000; ++i) {
    const std::string pattern = draw(pattern_alphabet, 8);
    const std::string text = draw(text_alphabet, 8);
    const bool expected = ReferenceMatch(pattern, text);
    ASSERT_EQ(glob_match(pattern, text), expected) << "pattern=" << testing::PrintToString(pattern)
                                                   << " text=" << testing::PrintToString(text);
    matches += expected ? 1 : 0;
  }
  EXPECT_GT(matches, 1000);  // the generator exercises both outcomes
}

}  // namespace
}  // namespace kora::kv
