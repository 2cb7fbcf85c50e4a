// Evaluating a parsed WHERE query (doc/query_ast.h) and reading order_by values directly
// on packed record bodies (docs/record-format.md), without building JSON. Semantics are
// docs/api.md, "The WHERE language" and "Finding and ordering".
//
// Binding. A query names fields by text; a body names them by PathId and holds interned
// strings as per-field term ids. bind_query translates the query once against one
// (shard, collection) Dictionary so evaluation only compares integers:
//   - each path becomes its chain of PathIds (WHERE paths go through objects only, so
//     every step is find_path(parent, /*in_array=*/false, segment) from kRootPath). A
//     chain that is not in the dictionary cannot occur in any body of that dictionary: the
//     path is missing in every document;
//   - each string literal also gets its term id in the path's final field, if it is a
//     term there. A stored term (tag 7) equals the literal only when it is that term; a
//     stored inline string (tag 6) is compared by bytes (a field may hold the same text
//     inline, e.g. after it stopped interning).
// Lifetime: a BoundQuery / BoundPath refers to the dictionary it was bound with and is
// valid only until that dictionary changes (any acquire or release may add, reuse or free
// path and term ids). Bind per call on the shard thread, evaluate, drop. It does not
// refer to the Query: literals are copied.
//
// Evaluation (matches) allocates nothing, reads each body at most as far as the fields it
// needs, and short-circuits AND / OR. It recurses once per AND/OR/NOT level of the AST,
// which the parser bounds (kMaxWhereNesting).
//
// Bodies are trusted (as everywhere in the packed format): REQUIRES for every function
// taking a body: it was encoded with the dictionary the query or path was bound with.
//
// Thread safety: binding reads the dictionary; a bound query is immutable and may be
// evaluated from several threads as long as the dictionary does not change meanwhile.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "doc/dictionary.h"
#include "doc/packed_codec.h"
#include "doc/packed_format.h"
#include "doc/query_ast.h"
#include "doc/scalar_key.h"

namespace kora::doc {

// A path bound to one dictionary: its PathId chain, or nothing when the dictionary has no
// such path (then it is missing in every body).
struct BoundPath {
  std::vector<PathId> steps;  // from the root's member down to the final field
  bool present = false;       // false: some step is not in the dictionary
  // The final field (the stored value's term field). REQUIRES: present.
  PathId field() const { return steps.back(); }
};

// Resolves `path` (QueryPath / parse_where_path segments; never empty) against `dict`.
BoundPath bind_path(const std::vector<std::string>& path, const Dictionary& dict);

// A query bound to one dictionary (see the lifetime rules above). Opaque to callers: build
// with bind_query, evaluate with matches.
class BoundQuery {
 public:
  // One literal, prepared for comparison against stored values.
  struct Value {
    enum class Kind : std::uint8_t { kNull, kFalse, kTrue, kNumber, kString };
    Kind kind = Kind::kNull;
    // kNumber: the canonical key (exact value), plus the literal as written when it was
    // an int64 or a double, for the common same-representation comparisons.
    ScalarKey number;
    bool is_int = false;     // written as an int64 literal: `i` holds it
    bool is_double = false;  // written with '.' or an exponent: `d` holds it
    std::int64_t i = 0;
    double d = 0;
    // kString: the bytes, and the term id in the path's final field when it is one.
    std::string text;
    bool has_term = false;
    TermId term = 0;
  };
  struct Node {
    NodeKind kind = NodeKind::kMatchAll;
    CompareOp op = CompareOp::kEq;
    std::uint32_t path = 0;   // index into paths
    std::uint32_t begin = 0;  // into children (kAnd/kOr/kNot) or values
    std::uint32_t count = 0;
  };

  const Dictionary* dict = nullptr;
  std::vector<Node> nodes;  // same indices as the Query's nodes
  std::vector<std::uint32_t> children;
  std::vector<Value> values;  // same indices as Query::literals
  std::vector<BoundPath> paths;
  std::uint32_t root = 0;
};

// Binds every path and literal of `q` against `dict`. Never fails: an unknown path or a
// string that is no term simply cannot match what needs them.
BoundQuery bind_query(const Query& q, const Dictionary& dict);

// Whether the document whose record body is `body` satisfies the query (API.md semantics;
// `p != v` is NOT(p = v)). No allocation.
bool matches(const BoundQuery& q, std::string_view body);

// ---- reading values for the indexes -------------------------------------------------

// A stored value in a body: its tag and its first byte (a container's length prefix).
struct ValueRef {
  PackedTag tag;
  const std::uint8_t* p;
};

// The value at `path` in `body` (through objects only), or nullopt when it is missing.
std::optional<ValueRef> locate(const BoundPath& path, std::string_view body);

// The key of a stored scalar (REQUIRES: not an object or array). `field` is the field its
// terms belong to: the path's final field, for array elements too.
ScalarKey scalar_key(ValueRef value, PathId field, const Dictionary& dict);

// f(ValueRef) for each element of the array at `array` (REQUIRES: tag kArray).
template <class F>
void for_each_element(ValueRef array, F&& f);

// f(PathId) for every key path reachable from the root through objects only (the paths
// WHERE can name), each once per body, parents before children.
template <class F>
void for_each_object_path(std::string_view body, F&& f);

// ---- order_by ------------------------------------------------------------------------

// The value at an order_by path, ordered by API.md's total order:
//   null < false < true < numbers (exact value) < strings (bytewise) < arrays < objects,
// arrays and objects among themselves by their compact JSON text (decode_document's
// format), bytewise. Owns its data (the dictionary may change after it is read).
struct SortValue {
  enum class Kind : std::uint8_t { kScalar, kArray, kObject };  // in sort order
  Kind kind = Kind::kScalar;
  ScalarKey scalar;  // kScalar
  std::string json;  // kArray / kObject: compact JSON of the value

  friend std::strong_ordering operator<=>(const SortValue& a, const SortValue& b) noexcept;
  friend bool operator==(const SortValue& a, const SortValue& b) noexcept {
    return (a <=> b) == std::strong_ordering::equal;
  }
};

// Three-way comparison by the order above; the same as operator<=>. Missing values are the
// caller's business (they sort last in both directions, see API.md).
std::strong_ordering compare_sort_values(const SortValue& a, const SortValue& b) noexcept;

// The value at `path` in `body`, or nullopt when the path is missing (absent, or through
// an array or a scalar). `dict` is the dictionary `path` was bound with. Allocates only
// for a long string, an array or an object.
std::optional<SortValue> sort_value(const BoundPath& path, std::string_view body,
                                    const Dictionary& dict);

namespace query_eval_internal {
template <class F>
void walk_object(const std::uint8_t* p, F& f) {
  const packed::Node node = packed::open_node(true, p, kRootPath);
  const std::uint8_t* ids = node.ids;
  for (std::uint32_t i = 0; i < node.count; ++i) {
    const auto id = static_cast<PathId>(packed::get_varint(ids));
    f(id);
    const PackedTag tag = packed::tag_at(node.tags, i);
    if (tag == PackedTag::kObject) {
      const std::uint8_t* inner = p;
      packed::skip_varint(inner);  // the node's length
      walk_object(inner, f);
    }
    p = packed::skip_value(tag, p);
  }
}
}  // namespace query_eval_internal

template <class F>
void for_each_element(ValueRef array, F&& f) {
  const std::uint8_t* p = array.p;
  packed::skip_varint(p);  // the node's length
  const packed::Node node = packed::open_node(false, p, kRootPath);
  for (std::uint32_t i = 0; i < node.count; ++i) {
    const PackedTag tag = packed::tag_at(node.tags, i);
    f(ValueRef{tag, p});
    p = packed::skip_value(tag, p);
  }
}

template <class F>
void for_each_object_path(std::string_view body, F&& f) {
  query_eval_internal::walk_object(reinterpret_cast<const std::uint8_t*>(body.data()), f);
}

}  // namespace kora::doc
