#include "doc/query_eval.h"

#include <bit>
#include <cassert>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "doc/packed_codec.h"
#include "doc/packed_format.h"

namespace kora::doc {
namespace {

using namespace packed;  // NOLINT: the format primitives are this file's vocabulary

using Value = BoundQuery::Value;

// A stored value: its tag and its first byte (for a container, its length prefix).
struct Located {
  PackedTag tag;
  const std::uint8_t* p;
};

// The position of member `id` in an object's id column at p (p: just past the member
// count), or `count` when absent; p ends past the column. `end` bounds the readable bytes.
inline std::uint32_t member_index(const std::uint8_t*& p, const std::uint8_t* end,
                                  std::uint32_t count, PathId id) {
#if defined(__SSE2__)
  // Most objects have at most 16 members whose path ids fit one byte each, so the column is
  // `count` bytes: one 16-byte compare finds the member.
  if (count <= 16 && id < 0x80 && end - p >= 16) {
    const __m128i column = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned in_column = (1u << count) - 1;
    if ((static_cast<unsigned>(_mm_movemask_epi8(column)) & in_column) == 0) {
      const __m128i wanted = _mm_set1_epi8(static_cast<char>(id));
      const unsigned hits =
          static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(column, wanted))) & in_column;
      p += count;
      return hits == 0 ? count : static_cast<std::uint32_t>(std::countr_zero(hits));
    }
  }
#else
  (void)end;
#endif
  std::uint32_t index = count;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (get_varint(p) == id) {
      index = i;
      for (++i; i < count; ++i) skip_varint(p);
      break;
    }
  }
  return index;
}

// Finds member `id` in the object node at p. Compares path ids only (a nested object's
// keys all have its path as parent, so an id identifies the key at this level).
inline bool find_member(const std::uint8_t* p, const std::uint8_t* end, PathId id, Located& out) {
  const auto count = static_cast<std::uint32_t>(get_varint(p));
  const std::uint32_t index = member_index(p, end, count, id);
  if (index == count) return false;
  const std::uint8_t* tags = p;
  p += tag_column_bytes(count);
  for (std::uint32_t j = 0; j < index; ++j) p = skip_value(tag_at(tags, j), p);
  out = {tag_at(tags, index), p};
  return true;
}

// Resolves a bound path through objects only; `end` is the body's end.
inline bool resolve(const BoundPath& path, const std::uint8_t* body, const std::uint8_t* end,
                    Located& out) {
  if (!path.present) return false;
  const std::uint8_t* p = body;
  const std::size_t last = path.steps.size() - 1;
  for (std::size_t k = 0;; ++k) {
    if (!find_member(p, end, path.steps[k], out)) return false;
    if (k == last) return true;
    if (out.tag != PackedTag::kObject) return false;  // through an array or a scalar
    p = out.p;
    skip_varint(p);  // the node's length
  }
}

std::strong_ordering order_of(double x, double y) {
  // Finite doubles only (JSON has no NaN): exact, and -0.0 == 0.0.
  if (x < y) return std::strong_ordering::less;
  if (x > y) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

// Exact comparison of a stored number (tag kInt, kUint or kDouble) with a number literal,
// through ScalarKey's canonical, exact order. Out of line: the scan loop keeps only the
// same-representation fast paths below.
[[gnu::noinline]] std::strong_ordering compare_number_exact(PackedTag tag, const std::uint8_t* p,
                                                            const Value& v) {
  switch (tag) {
    case PackedTag::kInt:
      return ScalarKey::from_int64(unzigzag(get_varint(p))) <=> v.number;
    case PackedTag::kUint:
      return ScalarKey::from_uint64(get_varint(p)) <=> v.number;
    default:
      assert(tag == PackedTag::kDouble);
      return ScalarKey::from_double(get_double(p)) <=> v.number;
  }
}

// The same, short-cut when the literal was written in the stored value's representation
// (an int64 against an integer literal, a double against a literal with '.' or 'e').
inline std::strong_ordering compare_number(PackedTag tag, const std::uint8_t* p, const Value& v) {
  if (tag == PackedTag::kDouble && v.is_double) return order_of(get_double(p), v.d);
  if (tag == PackedTag::kInt && v.is_int) return unzigzag(get_varint(p)) <=> v.i;
  return compare_number_exact(tag, p, v);
}

inline std::string_view inline_string(const std::uint8_t* p) {
  const std::size_t len = get_varint(p);
  return {reinterpret_cast<const char*>(p), len};
}

// `stored = v` for one stored value of field `field`.
inline bool equals(PackedTag tag, const std::uint8_t* p, const Value& v) {
  switch (tag) {
    case PackedTag::kNull:
      return v.kind == Value::Kind::kNull;
    case PackedTag::kFalse:
      return v.kind == Value::Kind::kFalse;
    case PackedTag::kTrue:
      return v.kind == Value::Kind::kTrue;
    case PackedTag::kInt:
    case PackedTag::kUint:
    case PackedTag::kDouble:
      return v.kind == Value::Kind::kNumber && compare_number(tag, p, v) == 0;
    case PackedTag::kInlineString:
      return v.kind == Value::Kind::kString && inline_string(p) == std::string_view(v.text);
    case PackedTag::kTermString:
      // A term of this field is equal to the literal only if the literal is that term.
      return v.kind == Value::Kind::kString && v.has_term && get_varint(p) == v.term;
    case PackedTag::kObject:
    case PackedTag::kArray:
      return false;
  }
  return false;
}

inline bool order_satisfies(CompareOp op, std::strong_ordering o) {
  switch (op) {
    case CompareOp::kLt:
      return o < 0;
    case CompareOp::kLe:
      return o <= 0;
    case CompareOp::kGt:
      return o > 0;
    case CompareOp::kGe:
      return o >= 0;
    default:
      return false;
  }
}

// `stored op v` for the ordering operators: same kind only (numbers or strings).
inline bool ordered(CompareOp op, PackedTag tag, const std::uint8_t* p, const Value& v,
                    PathId field, const Dictionary& dict) {
  switch (tag) {
    case PackedTag::kInt:
    case PackedTag::kUint:
    case PackedTag::kDouble:
      return v.kind == Value::Kind::kNumber && order_satisfies(op, compare_number(tag, p, v));
    case PackedTag::kInlineString:
      // string_view compares as unsigned bytes (char_traits<char>), as API.md asks.
      return v.kind == Value::Kind::kString &&
             order_satisfies(op, inline_string(p) <=> std::string_view(v.text));
    case PackedTag::kTermString:
      if (v.kind != Value::Kind::kString) return false;
      return order_satisfies(
          op, dict.term(field, static_cast<TermId>(get_varint(p))) <=> std::string_view(v.text));
    default:
      return false;
  }
}

// `array CONTAINS v`: some scalar element equals v. `p` is the array's length prefix.
inline bool array_contains(const std::uint8_t* p, const Value& v) {
  skip_varint(p);
  const auto count = static_cast<std::uint32_t>(get_varint(p));
  const std::uint8_t* tags = p;
  p += tag_column_bytes(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const PackedTag tag = tag_at(tags, i);
    if (equals(tag, p, v)) return true;
    p = skip_value(tag, p);
  }
  return false;
}

bool eval(const BoundQuery& q, std::uint32_t index, const std::uint8_t* body,
          const std::uint8_t* end) {
  const BoundQuery::Node& node = q.nodes[index];
  switch (node.kind) {
    case NodeKind::kMatchAll:
      return true;
    case NodeKind::kAnd:
      for (std::uint32_t i = 0; i < node.count; ++i) {
        if (!eval(q, q.children[node.begin + i], body, end)) return false;
      }
      return true;
    case NodeKind::kOr:
      for (std::uint32_t i = 0; i < node.count; ++i) {
        if (eval(q, q.children[node.begin + i], body, end)) return true;
      }
      return false;
    case NodeKind::kNot:
      return !eval(q, q.children[node.begin], body, end);
    case NodeKind::kCompare: {
      Located at;
      const bool found = resolve(q.paths[node.path], body, end, at);
      const Value& v = q.values[node.begin];
      switch (node.op) {
        case CompareOp::kEq:
          return found && equals(at.tag, at.p, v);
        case CompareOp::kNe:
          return !(found && equals(at.tag, at.p, v));
        default:
          return found && ordered(node.op, at.tag, at.p, v, q.paths[node.path].field(), *q.dict);
      }
    }
    case NodeKind::kIn: {
      Located at;
      if (!resolve(q.paths[node.path], body, end, at)) return false;
      for (std::uint32_t i = 0; i < node.count; ++i) {
        if (equals(at.tag, at.p, q.values[node.begin + i])) return true;
      }
      return false;
    }
    case NodeKind::kContains: {
      Located at;
      return resolve(q.paths[node.path], body, end, at) && at.tag == PackedTag::kArray &&
             array_contains(at.p, q.values[node.begin]);
    }
    case NodeKind::kExists: {
      Located at;
      return resolve(q.paths[node.path], body, end, at);
    }
  }
  return false;
}

Value bind_value(const Literal& literal, const BoundPath& path, const Dictionary& dict) {
  Value v;
  switch (literal.index()) {
    case 0:
      v.kind = Value::Kind::kNull;
      break;
    case 1:
      v.kind = std::get<1>(literal) ? Value::Kind::kTrue : Value::Kind::kFalse;
      break;
    case 2:
      v.kind = Value::Kind::kNumber;
      v.i = std::get<2>(literal);
      v.is_int = true;
      v.number = ScalarKey::from_int64(v.i);
      break;
    case 3:
      v.kind = Value::Kind::kNumber;
      v.number = ScalarKey::from_uint64(std::get<3>(literal));
      break;
    case 4:
      v.kind = Value::Kind::kNumber;
      v.d = std::get<4>(literal);
      v.is_double = true;
      v.number = ScalarKey::from_double(v.d);
      break;
    default: {
      v.kind = Value::Kind::kString;
      v.text = std::get<5>(literal);
      if (path.present) {
        if (const std::optional<TermId> term = dict.find_term(path.field(), v.text)) {
          v.has_term = true;
          v.term = *term;
        }
      }
      break;
    }
  }
  return v;
}

}  // namespace

BoundPath bind_path(const std::vector<std::string>& path, const Dictionary& dict) {
  assert(!path.empty());
  BoundPath bound;
  bound.steps.reserve(path.size());
  PathId parent = kRootPath;
  for (const std::string& segment : path) {
    const std::optional<PathId> id = dict.find_path(parent, /*in_array=*/false, segment);
    if (!id) {
      bound.steps.clear();
      return bound;
    }
    bound.steps.push_back(*id);
    parent = *id;
  }
  bound.present = true;
  return bound;
}

BoundQuery bind_query(const Query& q, const Dictionary& dict) {
  BoundQuery b;
  b.dict = &dict;
  b.root = q.root;
  b.children = q.children;
  b.paths.reserve(q.paths.size());
  for (const QueryPath& path : q.paths) b.paths.push_back(bind_path(path, dict));
  b.values.resize(q.literals.size());
  b.nodes.reserve(q.nodes.size());
  for (const QueryNode& n : q.nodes) {
    b.nodes.push_back({n.kind, n.op, n.path, n.begin, n.count});
    if (n.kind == NodeKind::kCompare || n.kind == NodeKind::kIn || n.kind == NodeKind::kContains) {
      for (std::uint32_t i = n.begin; i < n.begin + n.count; ++i) {
        b.values[i] = bind_value(q.literals[i], b.paths[n.path], dict);
      }
    }
  }
  return b;
}

bool matches(const BoundQuery& q, std::string_view body) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(body.data());
  return eval(q, q.root, data, data + body.size());
}

std::strong_ordering operator<=>(const SortValue& a, const SortValue& b) noexcept {
  if (a.kind != b.kind) return a.kind <=> b.kind;
  if (a.kind == SortValue::Kind::kScalar) return a.scalar <=> b.scalar;
  return std::string_view(a.json) <=> std::string_view(b.json);
}

std::strong_ordering compare_sort_values(const SortValue& a, const SortValue& b) noexcept {
  return a <=> b;
}

std::optional<ValueRef> locate(const BoundPath& path, std::string_view body) {
  Located at;
  const auto* data = reinterpret_cast<const std::uint8_t*>(body.data());
  if (!resolve(path, data, data + body.size(), at)) return std::nullopt;
  return ValueRef{at.tag, at.p};
}

ScalarKey scalar_key(ValueRef value, PathId field, const Dictionary& dict) {
  const std::uint8_t* p = value.p;
  switch (value.tag) {
    case PackedTag::kFalse:
    case PackedTag::kTrue:
      return ScalarKey::from_bool(value.tag == PackedTag::kTrue);
    case PackedTag::kInt:
      return ScalarKey::from_int64(unzigzag(get_varint(p)));
    case PackedTag::kUint:
      return ScalarKey::from_uint64(get_varint(p));
    case PackedTag::kDouble:
      return ScalarKey::from_double(get_double(p));
    case PackedTag::kInlineString:
      return ScalarKey::from_string(inline_string(p));
    case PackedTag::kTermString:
      return ScalarKey::from_string(dict.term(field, static_cast<TermId>(get_varint(p))));
    default:
      assert(value.tag == PackedTag::kNull);
      return ScalarKey::null();
  }
}

std::optional<SortValue> sort_value(const BoundPath& path, std::string_view body,
                                    const Dictionary& dict) {
  const std::optional<ValueRef> at = locate(path, body);
  if (!at) return std::nullopt;
  SortValue out;
  if (at->tag != PackedTag::kObject && at->tag != PackedTag::kArray) {
    out.scalar = scalar_key(*at, path.field(), dict);
    return out;
  }
  out.kind = at->tag == PackedTag::kArray ? SortValue::Kind::kArray : SortValue::Kind::kObject;
  const std::uint8_t* end = skip_value(at->tag, at->p);
  decode_value(
      at->tag,
      std::string_view(reinterpret_cast<const char*>(at->p), static_cast<std::size_t>(end - at->p)),
      path.field(), dict, out.json);
  return out;
}

}  // namespace kora::doc
