// The parsed form of a WHERE expression (docs/api.md, "The WHERE language"), produced by
// parse_where (doc/where_parser.h) and walked by the evaluator once per candidate document.
//
// Layout: one flat vector of fixed-size nodes; a node refers to its operands and values by
// index ranges into side vectors, so walking a query touches a few contiguous arrays and
// never chases heap pointers. Node indices are uint32_t (a query text is at most 4 GiB).
//
//   kind       operands (Query::children)   values (Query::literals)   path
//   kMatchAll  -                            -                          -
//   kAnd, kOr  >= 2 node indices            -                          -
//   kNot       exactly 1 node index         -                          -
//   kCompare   -                            exactly 1                  yes (op set)
//   kIn        -                            >= 1, in written order     yes
//   kContains  -                            exactly 1                  yes
//   kExists    -                            -                          yes
//
// Shape guarantees (the parser's contract; tests rely on them):
//   - kMatchAll appears only as the root of an empty (all-whitespace) WHERE.
//   - `a AND b AND c` is one kAnd with three operands, likewise OR; a single operand never
//     gets an And/Or node. Parentheses make no node, and nested groups are not flattened:
//     `a AND (b AND c)` is kAnd{a, kAnd{b, c}}.
//   - NOT is kept as written (`NOT NOT x` is two kNot nodes), and `!=` stays kNe; the
//     evaluator treats `p != v` as NOT(p = v).
//   - Every operand index is smaller than the index of the node that refers to it (operands
//     are built first), and `root` is the last node.
//
// Thread safety: a Query is an immutable value once built; any number of threads may read
// one at once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace kora::doc {

// The segments of a dotted path, unquoted (`` `a.b`.c `` is {"a.b", "c"}). Never empty.
using QueryPath = std::vector<std::string>;

// A literal value. The alternative order is stable (switch on index()):
//   0 std::monostate  NULL
//   1 bool            TRUE / FALSE
//   2 std::int64_t    an integer literal (no '.' or exponent) in [INT64_MIN, INT64_MAX]
//   3 std::uint64_t   an integer literal in (INT64_MAX, UINT64_MAX]; never <= INT64_MAX,
//                     so each integer has exactly one representation
//   4 double          a literal with '.' or an exponent; always finite (-0.0 kept)
//   5 std::string     a string literal, unescaped, valid UTF-8 (may contain NUL via \u0000)
// Integers outside [INT64_MIN, UINT64_MAX] are rejected by the parser: no stored value
// (documents keep int64, uint64 or double) could equal them exactly, and silently rounding
// them to a double would make `=` match the wrong numbers.
using Literal =
    std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string>;

enum class NodeKind : std::uint8_t {
  kMatchAll,  // empty WHERE: every document
  kAnd,
  kOr,
  kNot,
  kCompare,   // path op literal
  kIn,        // path IN (literal, ...)
  kContains,  // path CONTAINS literal
  kExists,    // path EXISTS
};

enum class CompareOp : std::uint8_t {
  kEq,  // =
  kNe,  // !=   (evaluated as NOT =)
  kLt,  // <    literal is a number or a string (the parser guarantees it)
  kLe,  // <=   "
  kGt,  // >    "
  kGe,  // >=   "
};

struct QueryNode {
  NodeKind kind = NodeKind::kMatchAll;
  CompareOp op = CompareOp::kEq;  // kCompare only
  std::uint32_t path = 0;         // index into Query::paths (kCompare, kIn, kContains, kExists)
  std::uint32_t begin = 0;        // first index into Query::children or Query::literals
  std::uint32_t count = 0;        // number of operands or values (see the table above)
};

struct Query {
  std::vector<QueryNode> nodes;
  std::vector<std::uint32_t> children;  // operand node indices of kAnd / kOr / kNot
  std::vector<Literal> literals;        // values of kCompare / kIn / kContains
  std::vector<QueryPath> paths;         // one entry per path-bearing node, in text order
  std::uint32_t root = 0;               // index into nodes; nodes.size() - 1

  const QueryNode& root_node() const { return nodes[root]; }
  // REQUIRES: node.kind is kAnd, kOr or kNot.
  std::span<const std::uint32_t> operands(const QueryNode& node) const {
    return std::span<const std::uint32_t>(children).subspan(node.begin, node.count);
  }
  // REQUIRES: node.kind is kCompare, kIn or kContains.
  std::span<const Literal> values(const QueryNode& node) const {
    return std::span<const Literal>(literals).subspan(node.begin, node.count);
  }
  // REQUIRES: node.kind is kCompare, kIn, kContains or kExists.
  const QueryPath& path_of(const QueryNode& node) const { return paths[node.path]; }
};

}  // namespace kora::doc
