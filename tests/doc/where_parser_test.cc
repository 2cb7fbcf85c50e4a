#include "doc/where_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "doc/path.h"
#include "test_util.h"

namespace kora::doc {
namespace {

using ::kora::testing::HasCode;
using ::testing::ElementsAre;

// ---- Helpers ---------------------------------------------------------------------------

std::string literal_text(const Literal& lit) {
  switch (lit.index()) {
    case 0:
      return "null";
    case 1:
      return std::get<bool>(lit) ? "true" : "false";
    case 2:
      return std::to_string(std::get<std::int64_t>(lit));
    case 3:
      return std::to_string(std::get<std::uint64_t>(lit)) + "u";
    case 4: {
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof buf, std::get<double>(lit));
      return std::string(buf, r.ptr) + "d";
    }
    default:
      return "'" + std::get<std::string>(lit) + "'";
  }
}

std::string_view op_text(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
  }
  return "?";
}

// An S-expression of the subtree at `index`: (and ...), (= a.b 1), (in a 1 2), ...
// Integers print bare, uint64 with a 'u' suffix, doubles with a 'd' suffix.
std::string sexpr(const Query& q, std::uint32_t index) {
  const QueryNode& n = q.nodes[index];
  auto list = [&](std::string_view head) {
    std::string out = "(" + std::string(head);
    for (std::uint32_t child : q.operands(n)) out += " " + sexpr(q, child);
    return out + ")";
  };
  auto with_values = [&](std::string_view head) {
    std::string out = "(" + std::string(head) + " " + format_path(q.path_of(n));
    for (const Literal& v : q.values(n)) out += " " + literal_text(v);
    return out + ")";
  };
  switch (n.kind) {
    case NodeKind::kMatchAll:
      return "*";
    case NodeKind::kAnd:
      return list("and");
    case NodeKind::kOr:
      return list("or");
    case NodeKind::kNot:
      return list("not");
    case NodeKind::kCompare:
      return with_values(op_text(n.op));
    case NodeKind::kIn:
      return with_values("in");
    case NodeKind::kContains:
      return with_values("contains");
    case NodeKind::kExists:
      return "(exists " + format_path(q.path_of(n)) + ")";
  }
  return "?";
}

// Checks the shape guarantees of query_ast.h: root last, operands built before their
// parent, each node used exactly once, counts as in the table, side vectors fully used.
void check_shape(const Query& q) {
  ASSERT_FALSE(q.nodes.empty());
  ASSERT_EQ(q.root, q.nodes.size() - 1);
  std::vector<int> uses(q.nodes.size(), 0);
  std::vector<int> path_uses(q.paths.size(), 0);
  std::size_t children = 0, literals = 0;
  for (std::uint32_t i = 0; i < q.nodes.size(); ++i) {
    const QueryNode& n = q.nodes[i];
    switch (n.kind) {
      case NodeKind::kMatchAll:
        ASSERT_EQ(q.nodes.size(), 1u);
        break;
      case NodeKind::kAnd:
      case NodeKind::kOr:
      case NodeKind::kNot:
        if (n.kind == NodeKind::kNot) {
          ASSERT_EQ(n.count, 1u);
        } else {
          ASSERT_GE(n.count, 2u);
        }
        ASSERT_LE(n.begin + n.count, q.children.size());
        for (std::uint32_t c : q.operands(n)) {
          ASSERT_LT(c, i);
          ++uses[c];
        }
        children += n.count;
        break;
      case NodeKind::kCompare:
      case NodeKind::kContains:
      case NodeKind::kIn:
      case NodeKind::kExists:
        if (n.kind == NodeKind::kIn) {
          ASSERT_GE(n.count, 1u);
        } else if (n.kind == NodeKind::kExists) {
          ASSERT_EQ(n.count, 0u);
        } else {
          ASSERT_EQ(n.count, 1u);
        }
        ASSERT_LE(n.begin + n.count, q.literals.size());
        ASSERT_LT(n.path, q.paths.size());
        ASSERT_FALSE(q.paths[n.path].empty());
        ++path_uses[n.path];
        literals += n.count;
        break;
    }
  }
  for (std::uint32_t i = 0; i < q.nodes.size(); ++i) {
    ASSERT_EQ(uses[i], i == q.root ? 0 : 1) << "node " << i;
  }
  for (int u : path_uses) ASSERT_EQ(u, 1);
  ASSERT_EQ(children, q.children.size());
  ASSERT_EQ(literals, q.literals.size());
}

Query parse_ok(std::string_view text) {
  auto r = parse_where(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().to_string();
  if (!r.ok()) return Query{};
  check_shape(*r);
  return std::move(r).value();
}

// The S-expression of a successful parse, or "error@<position>".
std::string tree(std::string_view text) {
  auto r = parse_where(text);
  if (!r.ok()) {
    EXPECT_THAT(r, HasCode(ErrorCode::kInvalidQuery));
    EXPECT_NE(r.error().detail(), nullptr);
    return "error@" + std::to_string(r.error().detail()->position.value_or(9999));
  }
  check_shape(*r);
  return sexpr(*r, r->root);
}

// The only literal of a one-comparison query.
Literal literal_of(std::string_view text) {
  const Query q = parse_ok(text);
  EXPECT_EQ(q.literals.size(), 1u) << text;
  return q.literals.empty() ? Literal{} : q.literals[0];
}

std::uint32_t error_position(std::string_view text) {
  auto r = parse_where(text);
  EXPECT_THAT(r, HasCode(ErrorCode::kInvalidQuery)) << text;
  if (r.ok() || r.error().detail() == nullptr) return 9999;
  return r.error().detail()->position.value_or(9999);
}

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// ---- Empty text, operators, precedence -------------------------------------------------

TEST(WhereParserTest, EmptyOrWhitespaceMatchesAll) {
  for (std::string_view text : {"", " ", " \t\r\n  "}) {
    const Query q = parse_ok(text);
    ASSERT_EQ(q.nodes.size(), 1u);
    EXPECT_EQ(q.root_node().kind, NodeKind::kMatchAll);
    EXPECT_TRUE(q.children.empty());
    EXPECT_TRUE(q.literals.empty());
    EXPECT_TRUE(q.paths.empty());
  }
}

TEST(WhereParserTest, EveryComparisonOperator) {
  EXPECT_EQ(tree("a = 1"), "(= a 1)");
  EXPECT_EQ(tree("a != 1"), "(!= a 1)");
  EXPECT_EQ(tree("a < 1"), "(< a 1)");
  EXPECT_EQ(tree("a <= 1"), "(<= a 1)");
  EXPECT_EQ(tree("a > 1"), "(> a 1)");
  EXPECT_EQ(tree("a >= 1"), "(>= a 1)");
  EXPECT_EQ(tree("a CONTAINS 1"), "(contains a 1)");
  EXPECT_EQ(tree("a IN (1, 2)"), "(in a 1 2)");
  EXPECT_EQ(tree("a EXISTS"), "(exists a)");
}

TEST(WhereParserTest, CompareNodeFields) {
  const Query q = parse_ok("address.zip >= 'x'");
  ASSERT_EQ(q.nodes.size(), 1u);
  const QueryNode& n = q.root_node();
  EXPECT_EQ(n.kind, NodeKind::kCompare);
  EXPECT_EQ(n.op, CompareOp::kGe);
  EXPECT_THAT(q.path_of(n), ElementsAre("address", "zip"));
  ASSERT_EQ(q.values(n).size(), 1u);
  EXPECT_EQ(std::get<std::string>(q.values(n)[0]), "x");
}

TEST(WhereParserTest, NotEqualStaysItsOwnOperator) {
  const Query q = parse_ok("a != NULL");
  ASSERT_EQ(q.nodes.size(), 1u);
  EXPECT_EQ(q.root_node().kind, NodeKind::kCompare);
  EXPECT_EQ(q.root_node().op, CompareOp::kNe);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(q.literals[0]));
}

TEST(WhereParserTest, TokensNeedNoSpacesWhereTheyCannotRunTogether) {
  EXPECT_EQ(tree("a=1"), "(= a 1)");
  EXPECT_EQ(tree("a!=1"), "(!= a 1)");
  EXPECT_EQ(tree("a<=-1"), "(<= a -1)");
  EXPECT_EQ(tree("a>'x'"), "(> a 'x')");
  EXPECT_EQ(tree("NOT(a=1)"), "(not (= a 1))");
  EXPECT_EQ(tree("a IN(1,2)"), "(in a 1 2)");
  EXPECT_EQ(tree("(a=1)OR(b=2)"), "(or (= a 1) (= b 2))");
  EXPECT_EQ(tree("\ta\n=\r1 "), "(= a 1)");
  EXPECT_EQ(tree("`a`=1"), "(= a 1)");
}

TEST(WhereParserTest, PrecedenceNotOverAndOverOr) {
  EXPECT_EQ(tree("a = 1 OR b = 2 AND c = 3"), "(or (= a 1) (and (= b 2) (= c 3)))");
  EXPECT_EQ(tree("a = 1 AND b = 2 OR c = 3"), "(or (and (= a 1) (= b 2)) (= c 3))");
  EXPECT_EQ(tree("NOT a = 1 AND b = 2"), "(and (not (= a 1)) (= b 2))");
  EXPECT_EQ(tree("NOT a = 1 OR NOT b = 2"), "(or (not (= a 1)) (not (= b 2)))");
  EXPECT_EQ(tree("(a = 1 OR b = 2) AND c = 3"), "(and (or (= a 1) (= b 2)) (= c 3))");
  EXPECT_EQ(tree("NOT (a = 1 OR b = 2)"), "(not (or (= a 1) (= b 2)))");
  EXPECT_EQ(tree("a EXISTS AND b EXISTS OR c EXISTS AND d EXISTS"),
            "(or (and (exists a) (exists b)) (and (exists c) (exists d)))");
}

TEST(WhereParserTest, ChainsAreNaryAndGroupsAreKept) {
  EXPECT_EQ(tree("a=1 AND b=2 AND c=3 AND d=4"), "(and (= a 1) (= b 2) (= c 3) (= d 4))");
  EXPECT_EQ(tree("a=1 OR b=2 OR c=3"), "(or (= a 1) (= b 2) (= c 3))");
  EXPECT_EQ(tree("a=1 AND (b=2 AND c=3)"), "(and (= a 1) (and (= b 2) (= c 3)))");
  EXPECT_EQ(tree("((a=1))"), "(= a 1)");
  EXPECT_EQ(tree("NOT NOT a=1"), "(not (not (= a 1)))");
  EXPECT_EQ(tree("NOT (NOT (a=1))"), "(not (not (= a 1)))");
}

TEST(WhereParserTest, KeywordsAreCaseInsensitive) {
  EXPECT_EQ(tree("not a = true and b in (null, False) Or c contains TRUE AnD d eXiStS"),
            "(or (and (not (= a true)) (in b null false)) (and (contains c true) (exists d)))");
  EXPECT_EQ(tree("a = NuLl"), "(= a null)");
  EXPECT_EQ(tree("a iN (fAlSe)"), "(in a false)");
  EXPECT_EQ(tree("nOt a Exists"), "(not (exists a))");
}

TEST(WhereParserTest, WordsThatStartWithKeywordsArePaths) {
  EXPECT_EQ(tree("android = 1"), "(= android 1)");
  EXPECT_EQ(tree("order.note EXISTS"), "(exists order.note)");
  EXPECT_EQ(tree("nullable = NULL"), "(= nullable null)");
  EXPECT_EQ(tree("in_stock = TRUE"), "(= in_stock true)");
  EXPECT_EQ(tree("_in = 1"), "(= _in 1)");
}

// ---- Paths -----------------------------------------------------------------------------

TEST(WhereParserTest, BackquotedSegments) {
  auto path_of = [](std::string_view text) {
    const Query q = parse_ok(text);
    return q.paths.empty() ? QueryPath{} : q.paths[0];
  };
  EXPECT_THAT(path_of("`a.b`.c = 1"), ElementsAre("a.b", "c"));
  EXPECT_THAT(path_of("`a``b` = 1"), ElementsAre("a`b"));
  EXPECT_THAT(path_of("```` EXISTS"), ElementsAre("`"));
  EXPECT_THAT(path_of("`` EXISTS"), ElementsAre(""));
  EXPECT_THAT(path_of("a.``.b EXISTS"), ElementsAre("a", "", "b"));
  EXPECT_THAT(path_of("`x y`.`\xc3\xa9` EXISTS"), ElementsAre("x y", "\xc3\xa9"));
  EXPECT_THAT(path_of("tags.`0` EXISTS"), ElementsAre("tags", "0"));
  EXPECT_THAT(path_of("`'\"\\n` EXISTS"), ElementsAre("'\"\\n"));  // no escapes in backquotes
  // Control characters are allowed in backquotes: there is no other way to name such keys.
  EXPECT_THAT(path_of(std::string_view("`\0\n\x01` EXISTS", 12)),
              ElementsAre(std::string("\0\n\x01", 3)));
}

TEST(WhereParserTest, KeywordsAsFieldsNeedBackquotes) {
  EXPECT_EQ(tree("`in` = 1"), "(= in 1)");
  EXPECT_EQ(tree("`NOT`.`and` EXISTS"), "(exists NOT.and)");
  EXPECT_EQ(tree("a.`null` = NULL"), "(= a.null null)");
  EXPECT_EQ(error_position("in = 1"), 0u);
  EXPECT_EQ(error_position("a.in = 1"), 2u);
  EXPECT_EQ(error_position("a.b.NULL EXISTS"), 4u);
  EXPECT_EQ(error_position("not.x = 1"), 0u);
  EXPECT_EQ(error_position("Exists EXISTS"), 0u);
  EXPECT_EQ(error_position("a = 1 AND true = 1"), 10u);
  EXPECT_EQ(error_position("a = 1 AND and = 2"), 10u);
}

TEST(WhereParserTest, PathErrors) {
  EXPECT_EQ(error_position("a..b = 1"), 2u);
  EXPECT_EQ(error_position("a.5 = 1"), 2u);  // digit segments only in backquotes
  EXPECT_EQ(error_position("a. = 1"), 2u);   // no whitespace inside a path
  EXPECT_EQ(error_position("a . b = 1"), 2u);
  EXPECT_EQ(error_position("a."), 2u);  // end of input
  EXPECT_EQ(error_position(".a = 1"), 0u);
  EXPECT_EQ(error_position("`abc = 1"), 0u);  // unterminated: the opening backquote
  EXPECT_EQ(error_position("a.`b = 1"), 2u);
  EXPECT_EQ(error_position("a.`b``"), 2u);    // a doubled backquote does not close
  EXPECT_EQ(error_position("a`b` = 1"), 1u);  // two paths in a row
  EXPECT_EQ(error_position("`a`b = 1"), 3u);
  EXPECT_EQ(error_position("a-b = 1"), 1u);
}

// ---- Strings ---------------------------------------------------------------------------

std::string string_of(std::string_view text) {
  const Literal lit = literal_of(text);
  EXPECT_TRUE(std::holds_alternative<std::string>(lit)) << text;
  return std::holds_alternative<std::string>(lit) ? std::get<std::string>(lit) : "";
}

TEST(WhereParserTest, StringsInBothQuoteStyles) {
  EXPECT_EQ(string_of("a = 'x'"), "x");
  EXPECT_EQ(string_of("a = \"x\""), "x");
  EXPECT_EQ(string_of("a = ''"), "");
  EXPECT_EQ(string_of("a = \"\""), "");
  EXPECT_EQ(string_of("a = 'say \"hi\"'"), "say \"hi\"");
  EXPECT_EQ(string_of("a = \"it's\""), "it's");
  EXPECT_EQ(string_of("a = 'a b\x7f'"), "a b\x7f");  // DEL is not a control character here
  EXPECT_EQ(string_of("a = 'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(string_of("a = 'AND OR NOT'"), "AND OR NOT");
}

TEST(WhereParserTest, EveryEscape) {
  EXPECT_EQ(string_of(R"(a = '\"')"), "\"");
  EXPECT_EQ(string_of(R"(a = "\'")"), "'");
  EXPECT_EQ(string_of(R"(a = '\'')"), "'");
  EXPECT_EQ(string_of(R"(a = "\"")"), "\"");
  EXPECT_EQ(string_of(R"(a = '\\')"), "\\");
  EXPECT_EQ(string_of(R"(a = '\/')"), "/");
  EXPECT_EQ(string_of(R"(a = '\b')"), "\b");
  EXPECT_EQ(string_of(R"(a = '\f')"), "\f");
  EXPECT_EQ(string_of(R"(a = '\n')"), "\n");
  EXPECT_EQ(string_of(R"(a = '\r')"), "\r");
  EXPECT_EQ(string_of(R"(a = '\t')"), "\t");
  EXPECT_EQ(string_of(R"(a = '\u0041')"), "A");
  EXPECT_EQ(string_of(R"(a = '\u00e9\u00E9')"), "\xc3\xa9\xc3\xa9");
  EXPECT_EQ(string_of(R"(a = '\u20AC')"), "\xe2\x82\xac");
  EXPECT_EQ(string_of(R"(a = '\uFFFF')"), "\xef\xbf\xbf");
  EXPECT_EQ(string_of(R"(a = '\u0000')"), std::string(1, '\0'));
  EXPECT_EQ(string_of(R"(a = 'x\ty\\z\u0031')"), "x\ty\\z1");
}

TEST(WhereParserTest, SurrogatePairsAreJoined) {
  EXPECT_EQ(string_of(R"(a = '\uD83D\uDE00')"), "\xf0\x9f\x98\x80");
  EXPECT_EQ(string_of(R"(a = '\ud83d\ude00!')"), "\xf0\x9f\x98\x80!");
  EXPECT_EQ(string_of(R"(a = '\uD800\uDC00')"), "\xf0\x90\x80\x80");  // U+10000
  EXPECT_EQ(string_of(R"(a = '\uDBFF\uDFFF')"), "\xf4\x8f\xbf\xbf");  // U+10FFFF
}

TEST(WhereParserTest, LoneSurrogatesAreErrorsAtTheirBackslash) {
  EXPECT_EQ(error_position(R"(a = '\uD800')"), 5u);
  EXPECT_EQ(error_position(R"(a = 'xy\uDBFF')"), 7u);
  EXPECT_EQ(error_position(R"(a = '\uDC00')"), 5u);
  EXPECT_EQ(error_position(R"(a = '\uD83D\uDE00\uDFFF')"), 17u);
  EXPECT_EQ(error_position(R"(a = '\uD800x')"), 5u);
  EXPECT_EQ(error_position(R"(a = '\uD800\u0041')"), 5u);
  EXPECT_EQ(error_position(R"(a = '\uD800\uD800')"), 5u);
  EXPECT_EQ(error_position(R"(a = '\uD800\n')"), 5u);
  EXPECT_EQ(error_position(R"(a = '\uD800\uDC0')"), 5u);
}

TEST(WhereParserTest, StringErrors) {
  EXPECT_EQ(error_position("a = 'abc"), 4u);
  EXPECT_EQ(error_position("a = \"abc'"), 4u);
  EXPECT_EQ(error_position("a = 'abc\""), 4u);
  EXPECT_EQ(error_position("a = 'x\\"), 4u);    // backslash at the end: unterminated
  EXPECT_EQ(error_position("a = 'x\\q'"), 6u);  // unknown escape: its backslash
  EXPECT_EQ(error_position("a = 'x\\U0041'"), 6u);
  EXPECT_EQ(error_position("a = 'x\\x41'"), 6u);
  EXPECT_EQ(error_position("a = '\\u12'"), 5u);  // fewer than four hex digits
  EXPECT_EQ(error_position("a = '\\u12G4'"), 5u);
  EXPECT_EQ(error_position("a = '\\u"), 5u);
  EXPECT_EQ(error_position("a = 'x\ny'"), 6u);  // raw control characters
  EXPECT_EQ(error_position("a = 'x\ty'"), 6u);
  EXPECT_EQ(error_position(std::string_view("a = '\0'", 7)), 5u);
  EXPECT_EQ(error_position("a = 'x\x1f'"), 6u);
}

TEST(WhereParserTest, InvalidUtf8IsAnErrorAtItsFirstByte) {
  EXPECT_EQ(error_position("a = '\xff'"), 5u);
  EXPECT_EQ(error_position("a = 'ab\xc3'"), 7u);  // truncated sequence
  EXPECT_EQ(error_position("a = '\xc3'"), 5u);
  EXPECT_EQ(error_position("a = '\xc0\x80'"), 5u);          // overlong NUL
  EXPECT_EQ(error_position("a = '\xe0\x80\x80'"), 5u);      // overlong
  EXPECT_EQ(error_position("a = '\xed\xa0\x80'"), 5u);      // encoded surrogate
  EXPECT_EQ(error_position("a = '\xf4\x90\x80\x80'"), 5u);  // above U+10FFFF
  EXPECT_EQ(error_position("a = '\x80'"), 5u);              // lone continuation byte
  EXPECT_EQ(error_position("`a\xfe` = 1"), 2u);             // inside backquotes
  EXPECT_EQ(error_position("a = 1 \xff"), 6u);              // outside strings
  EXPECT_EQ(error_position("a = 1 AND \xc3"), 10u);
  // Valid UTF-8 outside strings and backquotes is still not a token.
  EXPECT_EQ(error_position("\xc3\xa9 = 1"), 0u);
  EXPECT_EQ(error_position("a = \xe2\x82\xac"), 4u);
}

// ---- Numbers ---------------------------------------------------------------------------

TEST(WhereParserTest, IntegersAreInt64ThenUint64) {
  using L = std::numeric_limits<std::int64_t>;
  EXPECT_EQ(literal_of("a = 0"), Literal(std::int64_t{0}));
  EXPECT_EQ(literal_of("a = 42"), Literal(std::int64_t{42}));
  EXPECT_EQ(literal_of("a = -42"), Literal(std::int64_t{-42}));
  EXPECT_EQ(literal_of("a = -0"), Literal(std::int64_t{0}));
  EXPECT_EQ(literal_of("a = 9223372036854775807"), Literal(L::max()));
  EXPECT_EQ(literal_of("a = -9223372036854775808"), Literal(L::min()));
  EXPECT_EQ(literal_of("a = 9223372036854775808"), Literal(std::uint64_t{9223372036854775808u}));
  EXPECT_EQ(literal_of("a = 18446744073709551615"),
            Literal(std::numeric_limits<std::uint64_t>::max()));
}

TEST(WhereParserTest, IntegersOutsideBothRangesAreErrors) {
  EXPECT_EQ(error_position("a = 18446744073709551616"), 4u);
  EXPECT_EQ(error_position("a = -9223372036854775809"), 4u);
  EXPECT_EQ(error_position("a = 99999999999999999999999999"), 4u);
  EXPECT_EQ(error_position("a = 1 OR b = -18446744073709551615"), 13u);
  EXPECT_EQ(error_position(("a = 1" + std::string(400, '0'))), 4u);
}

TEST(WhereParserTest, DoublesHaveAFractionOrAnExponent) {
  auto dbl = [](std::string_view text) {
    const Literal lit = literal_of(text);
    EXPECT_TRUE(std::holds_alternative<double>(lit)) << text;
    return std::holds_alternative<double>(lit) ? std::get<double>(lit) : -12345.0;
  };
  EXPECT_EQ(dbl("a = 1.0"), 1.0);
  EXPECT_EQ(dbl("a = 1.5"), 1.5);
  EXPECT_EQ(dbl("a = -2.25"), -2.25);
  EXPECT_EQ(dbl("a = 0.5e-3"), 0.0005);
  EXPECT_EQ(dbl("a = 1e2"), 100.0);
  EXPECT_EQ(dbl("a = 1E2"), 100.0);
  EXPECT_EQ(dbl("a = 1e+2"), 100.0);
  EXPECT_EQ(dbl("a = 1e-2"), 0.01);
  EXPECT_EQ(dbl("a = 0e0"), 0.0);
  EXPECT_EQ(dbl("a = 9007199254740993.0"), 9007199254740992.0);  // rounded to nearest
  EXPECT_EQ(dbl("a = 1.7976931348623157e308"), std::numeric_limits<double>::max());
  EXPECT_EQ(dbl("a = 4.9e-324"), std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(dbl("a = 0e99999"), 0.0);
  const double neg_zero = dbl("a = -0.0");
  EXPECT_EQ(neg_zero, 0.0);
  EXPECT_TRUE(std::signbit(neg_zero));
  EXPECT_FALSE(std::signbit(dbl("a = 0.0")));
  // Underflow reads as zero, keeping the sign, as JSON ingestion does.
  EXPECT_EQ(dbl("a = 1e-400"), 0.0);
  EXPECT_FALSE(std::signbit(dbl("a = 1e-400")));
  EXPECT_TRUE(std::signbit(dbl("a = -1e-400")));
  EXPECT_EQ(dbl("a = 0.0000000001e-320"), 0.0);
  EXPECT_EQ(dbl(("a = 0." + std::string(400, '0') + "1e10")), 0.0);  // small despite e+10
}

TEST(WhereParserTest, NonFiniteDoublesAreErrors) {
  EXPECT_EQ(error_position("a = 1e400"), 4u);
  EXPECT_EQ(error_position("a = -1e400"), 4u);
  EXPECT_EQ(error_position("a = 1.7976931348623159e308"), 4u);
  EXPECT_EQ(error_position("a = 1e99999999999999999999"), 4u);
  EXPECT_EQ(error_position(("a = 1" + std::string(400, '0') + ".0")), 4u);
  EXPECT_EQ(error_position(("a = 1" + std::string(400, '0') + "e-5")), 4u);  // big despite e-5
}

TEST(WhereParserTest, MalformedNumbersFailAtTheirFirstByte) {
  struct Case {
    std::string_view text;
    std::uint32_t position;
  };
  const Case cases[] = {
      {"a = 01", 4},
      {"a = -01", 4},
      {"a = 00", 4},
      {"a = 0.5.1", 4},
      {"a = .5", 4},
      {"a = 5.", 4},
      {"a = 5.e3", 4},
      {"a = +1", 4},
      {"a = -", 4},
      {"a = - 1", 4},
      {"a = -x", 4},
      {"a = 1e", 4},
      {"a = 1e+", 4},
      {"a = 1E-", 4},
      {"a = 1x", 4},
      {"a = 1AND b = 2", 4},
      {"a = 1e5e", 4},
      {"a = 1_0", 4},
      {"a = -.5", 4},
      {"a IN (1, 02)", 9},
      {"a = 0x10", 4},
      {"a = 1.5f", 4},
      {"a = 1 AND b = 5.", 14},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.text));
    EXPECT_EQ(error_position(c.text), c.position);
  }
}

// ---- Literal kinds and operator rules --------------------------------------------------

TEST(WhereParserTest, KeywordLiterals) {
  EXPECT_EQ(literal_of("a = TRUE"), Literal(true));
  EXPECT_EQ(literal_of("a = false"), Literal(false));
  EXPECT_EQ(literal_of("a = Null"), Literal(std::monostate{}));
  EXPECT_EQ(literal_of("a CONTAINS NULL"), Literal(std::monostate{}));
  EXPECT_EQ(literal_of("a != FALSE"), Literal(false));
}

TEST(WhereParserTest, OrderingNeedsANumberOrAString) {
  EXPECT_EQ(tree("a < 'm'"), "(< a 'm')");
  EXPECT_EQ(tree("a >= -1.5"), "(>= a -1.5d)");
  EXPECT_EQ(error_position("a < TRUE"), 4u);
  EXPECT_EQ(error_position("a <= false"), 5u);
  EXPECT_EQ(error_position("a > NULL"), 4u);
  EXPECT_EQ(error_position("a >= null"), 5u);
  EXPECT_EQ(error_position("x = 1 AND a<null"), 12u);
}

TEST(WhereParserTest, InLists) {
  EXPECT_EQ(tree("a IN (1)"), "(in a 1)");
  EXPECT_EQ(tree("a IN ( 'x' , \"y\" , 2.5 , TRUE , NULL , -3 , 18446744073709551615 )"),
            "(in a 'x' 'y' 2.5d true null -3 18446744073709551615u)");
  EXPECT_EQ(tree("a in (1) and b in (2, 3)"), "(and (in a 1) (in b 2 3))");
  const Query q = parse_ok("a IN (1, 2) OR b IN (3)");
  ASSERT_EQ(q.nodes.size(), 3u);
  EXPECT_EQ(q.nodes[0].begin, 0u);
  EXPECT_EQ(q.nodes[0].count, 2u);
  EXPECT_EQ(q.nodes[1].begin, 2u);
  EXPECT_EQ(q.nodes[1].count, 1u);
  EXPECT_EQ(q.literals.size(), 3u);

  EXPECT_EQ(error_position("a IN ()"), 6u);  // empty list: the ')'
  EXPECT_EQ(error_position("a IN ( )"), 7u);
  EXPECT_EQ(error_position("a IN (1,)"), 8u);
  EXPECT_EQ(error_position("a IN (,1)"), 6u);
  EXPECT_EQ(error_position("a IN (1 2)"), 8u);
  EXPECT_EQ(error_position("a IN 1"), 5u);
  EXPECT_EQ(error_position("a IN (1"), 7u);
  EXPECT_EQ(error_position("a IN"), 4u);
  EXPECT_EQ(error_position("a IN (b)"), 6u);
  EXPECT_EQ(error_position("a IN ((1))"), 6u);
}

// ---- Nesting limits --------------------------------------------------------------------

TEST(WhereParserTest, SixtyFourNotsParseSixtyFiveDoNot) {
  const std::string ok = repeat("NOT ", 64) + "a = 1";
  const Query q = parse_ok(ok);
  EXPECT_EQ(q.nodes.size(), 65u);
  std::uint32_t n = q.root;
  for (int i = 0; i < 64; ++i) {
    ASSERT_EQ(q.nodes[n].kind, NodeKind::kNot);
    n = q.operands(q.nodes[n])[0];
  }
  EXPECT_EQ(q.nodes[n].kind, NodeKind::kCompare);
  EXPECT_EQ(error_position(repeat("NOT ", 65) + "a = 1"), 64u * 4u);  // the 65th NOT
}

TEST(WhereParserTest, SixtyFourParenthesesParseSixtyFiveDoNot) {
  const std::string ok = repeat("(", 64) + "a = 1" + repeat(")", 64);
  EXPECT_EQ(tree(ok), "(= a 1)");
  EXPECT_EQ(error_position(repeat("(", 65) + "a = 1" + repeat(")", 65)), 64u);
}

TEST(WhereParserTest, NotAndParenthesesShareTheLimit) {
  EXPECT_TRUE(parse_where(repeat("NOT (", 32) + "a = 1" + repeat(")", 32)).ok());
  // Level 65 is the 33rd NOT, at byte 32 * 5.
  EXPECT_EQ(error_position(repeat("NOT (", 32) + "NOT a = 1" + repeat(")", 32)), 160u);
  EXPECT_EQ(error_position(repeat("(NOT ", 32) + "(a = 1)" + repeat(")", 32)), 160u);
  EXPECT_TRUE(parse_where(repeat("NOT ", 63) + "(a = 1)").ok());
  EXPECT_EQ(error_position(repeat("NOT ", 64) + "(a = 1)"), 256u);
}

TEST(WhereParserTest, NestingIsCountedPerBranchNotInTotal) {
  const std::string deep = repeat("(", 64) + "a = 1" + repeat(")", 64);
  const std::string nots = repeat("NOT ", 64) + "b = 2";
  EXPECT_TRUE(parse_where(deep + " AND " + deep + " OR " + nots + " AND " + nots).ok());
  // Siblings inside a group each get the remaining 63 levels.
  const std::string inner = repeat("(", 63) + "a = 1" + repeat(")", 63);
  EXPECT_TRUE(parse_where("(" + inner + " OR " + inner + ")").ok());
}

TEST(WhereParserTest, DeepInputFailsWithoutCrashing) {
  EXPECT_EQ(error_position(std::string(100000, '(')), 64u);
  EXPECT_EQ(error_position(repeat("NOT ", 100000)), 256u);
  EXPECT_EQ(error_position(repeat("NOT(", 100000)), 128u);
  EXPECT_EQ(error_position(std::string(100000, ')')), 0u);
}

TEST(WhereParserTest, LongChainsAreIterative) {
  constexpr std::size_t kTerms = 100000;
  std::string text = "a = 0";
  for (std::size_t i = 1; i < kTerms; ++i) text += " AND a = " + std::to_string(i);
  const Query q = parse_ok(text);
  ASSERT_EQ(q.root_node().kind, NodeKind::kAnd);
  ASSERT_EQ(q.root_node().count, kTerms);
  EXPECT_EQ(q.literals.back(), Literal(static_cast<std::int64_t>(kTerms - 1)));

  std::string mixed = "NOT a = 0";
  for (std::size_t i = 1; i < kTerms; ++i)
    mixed += (i % 2 ? " OR NOT (a = " : " AND NOT (a = ") + std::to_string(i) + ")";
  const Query m = parse_ok(mixed);
  EXPECT_EQ(m.root_node().kind, NodeKind::kOr);
  EXPECT_EQ(m.root_node().count, kTerms / 2 + 1);
}

// ---- Error positions -------------------------------------------------------------------

TEST(WhereParserTest, ErrorPositionsTable) {
  struct Case {
    std::string_view text;
    std::uint32_t position;
  };
  const Case cases[] = {
      {"a", 1},                  // end of input: text.size()
      {"a ", 2},                 //
      {"a =", 3},                //
      {"a = ", 4},               //
      {"= 1", 0},                // no path
      {"1 = a", 0},              // a number is not a condition
      {"'a' = 1", 0},            //
      {"a = b", 4},              // a path is not a value
      {"a = 1 b = 2", 6},        // missing AND/OR
      {"a == 1", 3},             //
      {"a <> 1", 3},             //
      {"a != != 1", 5},          //
      {"a ! 1", 2},              //
      {"a =! 1", 3},             //
      {"a = 1 AND", 9},          //
      {"a = 1 or", 8},           //
      {"a = 1 OR OR b = 1", 9},  //
      {"AND a = 1", 0},          //
      {"NOT", 3},                //
      {"NOT NOT", 7},            //
      {"a NOT = 1", 2},          //
      {"(a = 1", 6},             //
      {"a = 1 AND (b = 2", 16},  //
      {"a = 1)", 5},             //
      {"()", 1},                 //
      {"(", 1},                  //
      {")", 0},                  //
      {"a EXISTS 1", 9},         //
      {"a EXISTS = 1", 9},       //
      {"a CONTAINS", 10},        //
      {"a CONTAINS b", 11},      //
      {"a = 'x' 'y'", 8},        //
      {"a = TRUE AND", 12},      //
      {"a = 1 ; b = 2", 6},      // unexpected character
      {"a = 1 && b = 2", 6},     //
      {"\fa = 1", 0},            // only space, \t, \n, \r are whitespace
      {"a = 1\v", 5},            //
      {"a = [1]", 4},            //
      {"a = 1, b = 2", 5},       //
      {"a IN (1) IN (2)", 9},    //
      {"a = 1 AND NOT", 13},     //
      {"a = 1 AND NOT (", 15},   //
      {"a.b.c", 5},              //
      {"a = -", 4},              //
      {"a = 'abc", 4},           // unterminated string: its opening quote
      {"a = 1 OR b = \"", 13},   //
      {"`a", 0},                 // unterminated backquote
      {"a = 1 OR `b``c", 9},     //
      {"a = 'x\\q'", 6},         // bad escape: its backslash
      {"a = '\\uD800'", 5},      // lone surrogate: its backslash
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.text));
    auto r = parse_where(c.text);
    ASSERT_THAT(r, HasCode(ErrorCode::kInvalidQuery));
    ASSERT_NE(r.error().detail(), nullptr);
    EXPECT_EQ(r.error().detail()->position, c.position);
    EXPECT_FALSE(r.error().message().empty());
  }
}

TEST(WhereParserTest, TheFirstErrorInTextOrderWins) {
  EXPECT_EQ(error_position("a < TRUE AND 'unterminated"), 4u);
  EXPECT_EQ(error_position("a = 01 AND b = 1e400"), 4u);
  EXPECT_EQ(error_position("a = 1 b = '\xff"), 6u);
  EXPECT_EQ(error_position("in = '\xff'"), 0u);
}

TEST(WhereParserTest, MessagesNameTheProblem) {
  auto message = [](std::string_view text) {
    auto r = parse_where(text);
    return r.ok() ? std::string() : std::string(r.error().message());
  };
  EXPECT_THAT(message("in = 1"), ::testing::HasSubstr("`in`"));
  EXPECT_THAT(message("a = 'x"), ::testing::HasSubstr("unterminated"));
  EXPECT_THAT(message(std::string(70, '(')), ::testing::HasSubstr("64"));
  EXPECT_THAT(message("a IN ()"), ::testing::HasSubstr("at least one"));
}

// ---- parse_where_path ------------------------------------------------------------------

TEST(ParseWherePathTest, ValidPaths) {
  auto ok = [](std::string_view text) {
    auto r = parse_where_path(text);
    EXPECT_TRUE(r.ok()) << text << ": " << r.status().to_string();
    return r.ok() ? *r : std::vector<std::string>{};
  };
  EXPECT_THAT(ok("a"), ElementsAre("a"));
  EXPECT_THAT(ok("address.zip"), ElementsAre("address", "zip"));
  EXPECT_THAT(ok("  a.b \t\n"), ElementsAre("a", "b"));
  EXPECT_THAT(ok("`a.b`.c"), ElementsAre("a.b", "c"));
  EXPECT_THAT(ok("`in`"), ElementsAre("in"));
  EXPECT_THAT(ok("tags.`0`"), ElementsAre("tags", "0"));
  EXPECT_THAT(ok("`a``b`"), ElementsAre("a`b"));
  EXPECT_THAT(ok("``"), ElementsAre(""));
  EXPECT_THAT(ok("indexed.nothing"), ElementsAre("indexed", "nothing"));
}

TEST(ParseWherePathTest, Errors) {
  struct Case {
    std::string_view text;
    std::uint32_t position;
  };
  const Case cases[] = {
      {"", 0},      {"   ", 3},  {"a b", 2},  {"a = 1", 2},    {"in", 0},
      {" NULL", 1}, {"a.in", 2}, {"a.", 2},   {"a..b", 2},     {"a.0", 2},
      {"`a", 0},    {"'a'", 0},  {"1", 0},    {"(a)", 0},      {"a.b)", 3},
      {"a`b`", 1},  {"a-b", 1},  {"\xff", 0}, {"a EXISTS", 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.text));
    auto r = parse_where_path(c.text);
    ASSERT_THAT(r, HasCode(ErrorCode::kInvalidQuery));
    ASSERT_NE(r.error().detail(), nullptr);
    EXPECT_EQ(r.error().detail()->position, c.position);
  }
}

TEST(ParseWherePathTest, AgreesWithTheWhereParser) {
  for (std::string_view path : {"a", "a.b.c", "`x y`.z", "`and`.`or`", "_1.`2`"}) {
    auto alone = parse_where_path(path);
    auto in_where = parse_where(std::string(path) + " EXISTS");
    ASSERT_TRUE(alone.ok()) << path;
    ASSERT_TRUE(in_where.ok()) << path;
    EXPECT_EQ(*alone, in_where->paths[0]) << path;
  }
}

// ---- Robustness ------------------------------------------------------------------------

// Random token soup: every outcome is a well-shaped Query or kInvalidQuery with a position
// inside the text (ASan/UBSan runs catch the rest).
TEST(WhereParserTest, RandomTokenSoupNeverMisbehaves) {
  const std::vector<std::string> pieces = {
      "a",       "b.c",      "`x`",   "`",      "``",       ".",    "=",    "!=",
      "<",       "<=",       ">",     ">=",     "(",        ")",    ",",    "AND",
      "or",      "NOT",      "IN",    "EXISTS", "CONTAINS", "TRUE", "null", "1",
      "-",       "0.5e3",    "1e400", "01",     "'s'",      "\"",   "'",    "\\u",
      "\\uD800", "\xc3\xa9", "\xff",  " ",      "  ",       "\t",   "e",    "9223372036854775808"};
  std::mt19937_64 rng(7);
  int ok = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string text;
    const std::size_t n = rng() % 12;
    for (std::size_t i = 0; i < n; ++i) {
      text += pieces[rng() % pieces.size()];
      if (rng() % 2) text += ' ';
    }
    auto r = parse_where(text);
    if (r.ok()) {
      ++ok;
      check_shape(*r);
    } else {
      ASSERT_THAT(r, HasCode(ErrorCode::kInvalidQuery)) << text;
      ASSERT_NE(r.error().detail(), nullptr);
      ASSERT_TRUE(r.error().detail()->position.has_value());
      ASSERT_LE(*r.error().detail()->position, text.size()) << text;
    }
  }
  EXPECT_GT(ok, 0);
}

// Every prefix of a valid query either parses or fails inside the text; none crashes.
TEST(WhereParserTest, EveryPrefixOfAValidQuery) {
  const std::string text =
      "NOT (a.`b``c` IN ('x\\u00e9', -1.5e3, NULL) OR d CONTAINS \"\\uD83D\\uDE00\") AND "
      "e >= 18446744073709551615 AND f EXISTS";
  ASSERT_TRUE(parse_where(text).ok());
  for (std::size_t len = 0; len <= text.size(); ++len) {
    auto r = parse_where(std::string_view(text).substr(0, len));
    if (!r.ok()) {
      ASSERT_THAT(r, HasCode(ErrorCode::kInvalidQuery));
      ASSERT_LE(*r.error().detail()->position, len);
    }
  }
}

}  // namespace
}  // namespace kora::doc
