#include "doc/document_editor.h"

#include <array>
#include <bit>
#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>

#include "core/errors.h"
#include "doc/packed_codec.h"
#include "doc/packed_format.h"

namespace kora::doc {
namespace {

using namespace packed;  // NOLINT: the format primitives are this file's vocabulary
using simdjson::dom::element;
using simdjson::dom::element_type;

struct EditNode;

// Sums of an int64 or uint64 and an int64 are exact in 128 bits (GCC and Clang have them).
__extension__ using Int128 = __int128;

// One value of an expanded container.
struct Slot {
  enum class Kind : std::uint8_t {
    kStored,   // bytes of the old body (a value, containers from their length prefix)
    kScalar,   // a number computed by incr, encoded in `scalar`
    kElement,  // a new value, encoded at commit
    kNode,     // an expanded container
  };
  Kind kind = Kind::kStored;
  PackedTag tag = PackedTag::kNull;  // kStored, kScalar
  std::uint8_t scalar_size = 0;
  std::array<char, 10> scalar{};
  std::string_view bytes;    // kStored
  element value;             // kElement
  EditNode* node = nullptr;  // kNode

  std::string_view scalar_bytes() const { return {scalar.data(), scalar_size}; }
};

struct Key {
  PathId id = kRootPath;  // kRootPath: a new key, interned at commit
  std::string_view name;  // new keys only
};

// An expanded object or array. Stored nodes (expanded from the old body) know their
// dictionary context; new nodes only hold new keys and values, which need none until the
// commit gives them one.
struct EditNode {
  bool is_object = true;
  bool stored = false;
  PathId field = kRootPath;  // stored objects: their keys' parent; stored arrays: their path
  bool in_array = false;     // stored objects: their keys are in_array paths
  std::uint32_t depth = 1;   // containers from the root (1) down to this one
  std::vector<Key> keys;     // objects
  std::vector<Slot> slots;
};

// A decoded number.
struct Number {
  enum class Kind : std::uint8_t { kInt, kUint, kDouble } kind;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
};

// Exact: an integer equals a double only when the double is that very integer.
bool int_equals_double(std::int64_t i, double d) {
  if (!(d >= -0x1p63 && d < 0x1p63) || d != std::trunc(d)) return false;
  return static_cast<std::int64_t>(d) == i;
}
bool uint_equals_double(std::uint64_t u, double d) {
  if (!(d >= 0 && d < 0x1p64) || d != std::trunc(d)) return false;
  return static_cast<std::uint64_t>(d) == u;
}

bool numbers_equal(const Number& a, const Number& b) {
  using K = Number::Kind;
  if (a.kind == K::kDouble && b.kind == K::kDouble) return a.d == b.d;
  if (a.kind == K::kDouble) return numbers_equal(b, a);
  // a is an integer.
  switch (b.kind) {
    case K::kDouble:
      return a.kind == K::kInt ? int_equals_double(a.i, b.d) : uint_equals_double(a.u, b.d);
    case K::kInt:
      return a.kind == K::kInt ? a.i == b.i : (b.i >= 0 && static_cast<std::uint64_t>(b.i) == a.u);
    case K::kUint:
      return a.kind == K::kUint ? a.u == b.u : (a.i >= 0 && static_cast<std::uint64_t>(a.i) == b.u);
  }
  return false;
}

std::optional<Number> element_number(element v) {
  Number n{};
  switch (v.type()) {
    case element_type::INT64:
      n.kind = Number::Kind::kInt;
      return v.get(n.i) == simdjson::SUCCESS ? std::optional<Number>(n) : std::nullopt;
    case element_type::UINT64:
      n.kind = Number::Kind::kUint;
      return v.get(n.u) == simdjson::SUCCESS ? std::optional<Number>(n) : std::nullopt;
    case element_type::DOUBLE:
      n.kind = Number::Kind::kDouble;
      return v.get(n.d) == simdjson::SUCCESS ? std::optional<Number>(n) : std::nullopt;
    default:
      return std::nullopt;
  }
}

// The number at p, a value of type `tag`; nullopt for other types.
std::optional<Number> packed_number(PackedTag tag, const std::uint8_t* p) {
  Number n{};
  switch (tag) {
    case PackedTag::kInt:
      n.kind = Number::Kind::kInt;
      n.i = unzigzag(get_varint(p));
      return n;
    case PackedTag::kUint:
      n.kind = Number::Kind::kUint;
      n.u = get_varint(p);
      return n;
    case PackedTag::kDouble:
      n.kind = Number::Kind::kDouble;
      n.d = get_double(p);
      return n;
    default:
      return std::nullopt;
  }
}

// The type was checked first, so these conversions cannot fail.
simdjson::dom::object as_object(element v) {
  simdjson::dom::object obj;
  [[maybe_unused]] const auto error = v.get(obj);
  assert(error == simdjson::SUCCESS);
  return obj;
}
simdjson::dom::array as_array(element v) {
  simdjson::dom::array arr;
  [[maybe_unused]] const auto error = v.get(arr);
  assert(error == simdjson::SUCCESS);
  return arr;
}

const std::uint8_t* bytes_of(std::string_view s) {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

// Containers on the deepest path of v: 0 for a scalar, 1 for [] or {}.
std::uint32_t element_depth(element v) {
  thread_local std::vector<std::pair<element, std::uint32_t>> stack;
  stack.clear();
  std::uint32_t deepest = 0;
  stack.emplace_back(v, 1);
  while (!stack.empty()) {
    const auto [e, depth] = stack.back();
    stack.pop_back();
    if (e.type() == element_type::OBJECT) {
      deepest = std::max(deepest, depth);
      for (simdjson::dom::key_value_pair kv : as_object(e)) {
        stack.emplace_back(kv.value, depth + 1);
      }
    } else if (e.type() == element_type::ARRAY) {
      deepest = std::max(deepest, depth);
      for (element child : as_array(e)) stack.emplace_back(child, depth + 1);
    }
  }
  return deepest;
}

// A path segment that addresses an array element: decimal digits without a leading zero
// (other than "0" itself). Saturates at UINT64_MAX, which no array reaches.
std::optional<std::uint64_t> array_index(std::string_view segment) {
  if (segment.empty() || (segment.size() > 1 && segment[0] == '0')) return std::nullopt;
  for (char c : segment) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto r = std::from_chars(segment.data(), segment.data() + segment.size(), value);
  if (r.ec == std::errc::result_out_of_range) return std::numeric_limits<std::uint64_t>::max();
  return value;
}

Slot element_slot(element v) {
  Slot s;
  s.kind = Slot::Kind::kElement;
  s.value = v;
  return s;
}

Slot node_slot(EditNode* node) {
  Slot s;
  s.kind = Slot::Kind::kNode;
  s.tag = node->is_object ? PackedTag::kObject : PackedTag::kArray;
  s.node = node;
  return s;
}

// REQUIRES: n is an int64 or a double (incr's results).
Slot number_slot(const Number& n) {
  Slot s;
  s.kind = Slot::Kind::kScalar;
  std::size_t size = 0;
  if (n.kind == Number::Kind::kDouble) {
    s.tag = PackedTag::kDouble;
    std::uint64_t bits = std::bit_cast<std::uint64_t>(n.d);
    for (; size < 8; ++size, bits >>= 8) s.scalar[size] = static_cast<char>(bits & 0xFF);
  } else {
    s.tag = PackedTag::kInt;
    std::uint64_t v = zigzag(n.i);
    for (; v >= 0x80; v >>= 7) s.scalar[size++] = static_cast<char>((v & 0x7F) | 0x80);
    s.scalar[size++] = static_cast<char>(v);
  }
  s.scalar_size = static_cast<std::uint8_t>(size);
  return s;
}

enum class Shape : std::uint8_t { kScalar, kObject, kArray };

Shape shape_of(const Slot& s) {
  switch (s.kind) {
    case Slot::Kind::kElement:
      if (s.value.type() == element_type::OBJECT) return Shape::kObject;
      if (s.value.type() == element_type::ARRAY) return Shape::kArray;
      return Shape::kScalar;
    case Slot::Kind::kNode:
      return s.node->is_object ? Shape::kObject : Shape::kArray;
    default:
      if (s.tag == PackedTag::kObject) return Shape::kObject;
      if (s.tag == PackedTag::kArray) return Shape::kArray;
      return Shape::kScalar;
  }
}

class Editor {
 public:
  Editor(std::string_view body, Dictionary& dict, std::uint32_t max_depth)
      : body_(body), dict_(dict), max_depth_(max_depth) {
    used_ = 0;
    removed_.clear();
    removed_keys_.clear();
    references_.clear();
    root_ = new_node(true, 1);
    root_->stored = true;
    expand_stored(*root_, bytes_of(body));
  }

  Status plan(std::span<const EditOp> ops) {
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (Status s = apply(ops[i]); !s.ok()) return core::with_batch_index(s, i);
    }
    return {};
  }

  Status commit(std::string& out, const EditCheck* check) {
    const std::size_t start = out.size();
    try {
      write_node(*root_, kRootPath, false, out);
      // Both bodies are readable here: the new one holds its references, the removed
      // values are not released yet. A failed check gives back what the new body took.
      if (check != nullptr && *check) {
        if (Status s = (*check)(std::string_view(out).substr(start)); !s.ok()) {
          release_references(references_, dict_);
          return s;
        }
      }
    } catch (...) {
      release_references(references_, dict_);
      throw;
    }
    for (const Removed& r : removed_) release(r.slot, r.field);
    for (PathId key : removed_keys_) dict_.release_path(key);
    return {};
  }

 private:
  struct Removed {
    Slot slot;
    PathId field;
  };

  EditNode* new_node(bool is_object, std::uint32_t depth) {
    if (used_ == pool_.size()) pool_.push_back(std::make_unique<EditNode>());
    EditNode* n = pool_[used_++].get();
    n->is_object = is_object;
    n->stored = false;
    n->field = kRootPath;
    n->in_array = false;
    n->depth = depth;
    n->keys.clear();
    n->slots.clear();
    return n;
  }

  // Fills `n` from the node bytes at p (after any length prefix).
  void expand_stored(EditNode& n, const std::uint8_t* p) {
    const auto count = static_cast<std::uint32_t>(get_varint(p));
    if (n.is_object) {
      n.keys.resize(count);
      for (Key& k : n.keys) k.id = static_cast<PathId>(get_varint(p));
    }
    const std::uint8_t* tags = p;
    p += tag_column_bytes(count);
    n.slots.resize(count);
    for (std::uint32_t i = 0; i < count; ++i) {
      Slot& s = n.slots[i];
      s.kind = Slot::Kind::kStored;
      s.tag = tag_at(tags, i);
      const std::uint8_t* start = p;
      p = skip_value(s.tag, p);
      s.bytes = std::string_view(reinterpret_cast<const char*>(start),
                                 static_cast<std::size_t>(p - start));
    }
  }

  // The dictionary field of parent's value i (stored parents only).
  static PathId child_field(const EditNode& parent, std::size_t i) {
    return parent.is_object ? parent.keys[i].id : parent.field;
  }

  // The container held by parent.slots[i], expanded. REQUIRES: it holds a container.
  EditNode* expand(EditNode& parent, std::size_t i) {
    Slot& s = parent.slots[i];
    if (s.kind == Slot::Kind::kNode) return s.node;
    const Shape shape = shape_of(s);
    EditNode* n = new_node(shape == Shape::kObject, parent.depth + 1);
    if (s.kind == Slot::Kind::kStored) {
      n->stored = true;
      n->field = child_field(parent, i);
      n->in_array = !parent.is_object;
      const std::uint8_t* p = bytes_of(s.bytes);
      skip_varint(p);  // the length
      expand_stored(*n, p);
    } else if (n->is_object) {
      for (simdjson::dom::key_value_pair kv : as_object(s.value)) {
        n->keys.push_back(Key{kRootPath, kv.key});
        n->slots.push_back(element_slot(kv.value));
      }
    } else {
      for (element e : as_array(s.value)) n->slots.push_back(element_slot(e));
    }
    // A removed container must release what its stored parts hold, so it stays reachable
    // as a node whose stored flag says so.
    s = node_slot(n);
    return n;
  }

  std::string_view key_name(const Key& k) const {
    return k.id != kRootPath ? dict_.key_of(k.id) : k.name;
  }

  std::optional<std::size_t> find_key(const EditNode& n, std::string_view name) const {
    for (std::size_t i = 0; i < n.keys.size(); ++i) {
      if (key_name(n.keys[i]) == name) return i;
    }
    return std::nullopt;
  }

  // Queues what value i of n holds for release at commit.
  void discard_value(const EditNode& n, std::size_t i) {
    const Slot& s = n.slots[i];
    // New values and new nodes hold no references yet (new nodes only ever hold new
    // values), so only what came from the old body is queued.
    if (s.kind == Slot::Kind::kStored || (s.kind == Slot::Kind::kNode && s.node->stored)) {
      removed_.push_back({s, n.stored ? child_field(n, i) : kRootPath});
    }
  }

  void remove_member(EditNode& n, std::size_t i) {
    discard_value(n, i);
    if (n.is_object) {
      if (n.keys[i].id != kRootPath) removed_keys_.push_back(n.keys[i].id);
      n.keys.erase(n.keys.begin() + static_cast<std::ptrdiff_t>(i));
    }
    n.slots.erase(n.slots.begin() + static_cast<std::ptrdiff_t>(i));
  }

  void replace_value(EditNode& n, std::size_t i, Slot value) {
    discard_value(n, i);
    n.slots[i] = value;
  }

  void append_member(EditNode& n, std::string_view name, Slot value) {
    if (n.is_object) n.keys.push_back(Key{kRootPath, name});
    n.slots.push_back(value);
  }

  Status check_depth(std::uint32_t depth) const {
    if (depth <= max_depth_) return {};
    return core::limit_exceeded("the updated document would nest deeper than max_document_depth (" +
                                std::to_string(max_depth_) + ")");
  }

  // The container that holds the path's last segment. Missing steps: with `create`, new
  // empty objects; without, nullptr (the caller's no-op).
  Result<EditNode*> walk(const std::vector<std::string>& path, bool create) {
    EditNode* n = root_;
    for (std::size_t step = 0; step + 1 < path.size(); ++step) {
      const std::string& segment = path[step];
      std::size_t i = 0;
      if (n->is_object) {
        const std::optional<std::size_t> k = find_key(*n, segment);
        if (!k) {
          if (!create) return nullptr;
          KORA_RETURN_IF_ERROR(check_depth(n->depth + 1));
          EditNode* child = new_node(true, n->depth + 1);
          append_member(*n, segment, node_slot(child));
          n = child;
          continue;
        }
        i = *k;
      } else {
        const std::optional<std::uint64_t> index = array_index(segment);
        if (!index) {
          if (!create) return nullptr;
          return Status(ErrorCode::kWrongType,
                        "path segment '" + segment + "' is not an index into an array");
        }
        if (*index >= n->slots.size()) {
          if (!create) return nullptr;
          return core::out_of_range("array index " + segment + " is past the end");
        }
        i = static_cast<std::size_t>(*index);
      }
      if (shape_of(n->slots[i]) == Shape::kScalar) {
        if (!create) return nullptr;
        return Status(ErrorCode::kWrongType,
                      "path segment '" + segment + "' holds a scalar, not an object");
      }
      n = expand(*n, i);
    }
    return n;
  }

  // Where the last segment is in n: its position, or nullopt when it is missing (then a
  // new value may be appended). Errors for arrays: a segment that is not an index
  // (kWrongType) and, when `appendable`, an index past size (kOutOfRange).
  Result<std::optional<std::size_t>> locate(const EditNode& n, const std::string& segment,
                                            bool appendable) {
    if (n.is_object) return find_key(n, segment);
    const std::optional<std::uint64_t> index = array_index(segment);
    if (!index) {
      return Status(ErrorCode::kWrongType,
                    "path segment '" + segment + "' is not an index into an array");
    }
    if (*index < n.slots.size()) return std::optional<std::size_t>(*index);
    if (appendable && *index > n.slots.size()) {
      return core::out_of_range("array index " + segment + " is past the end");
    }
    return std::optional<std::size_t>();
  }

  Status apply(const EditOp& op) {
    using K = DocUpdateMutation::Kind;
    switch (op.kind) {
      case K::kSet:
        return set(op.path, op.value->value());
      case K::kDel:
        return del(op.path);
      case K::kIncr:
        return incr(op);
      case K::kPush:
        return push(op.path, op.value->value());
      case K::kPull:
        return pull(op.path, op.value->value());
      case K::kMerge:
        return merge_into(*root_, as_object(op.value->value()));
    }
    return core::internal_error("unknown mutation kind");
  }

  Status set(const std::vector<std::string>& path, element value) {
    KORA_ASSIGN_OR_RETURN(EditNode * n, walk(path, /*create=*/true));
    KORA_ASSIGN_OR_RETURN(auto at, locate(*n, path.back(), /*appendable=*/true));
    KORA_RETURN_IF_ERROR(check_depth(n->depth + element_depth(value)));
    if (at) {
      replace_value(*n, *at, element_slot(value));
    } else {
      append_member(*n, path.back(), element_slot(value));
    }
    return {};
  }

  Status del(const std::vector<std::string>& path) {
    KORA_ASSIGN_OR_RETURN(EditNode * n, walk(path, /*create=*/false));
    if (n == nullptr) return {};
    if (!n->is_object && !array_index(path.back())) return {};
    KORA_ASSIGN_OR_RETURN(auto at, locate(*n, path.back(), /*appendable=*/false));
    if (at) remove_member(*n, *at);
    return {};
  }

  Status incr(const EditOp& op) {
    KORA_ASSIGN_OR_RETURN(EditNode * n, walk(op.path, /*create=*/true));
    KORA_ASSIGN_OR_RETURN(auto at, locate(*n, op.path.back(), /*appendable=*/true));
    Number delta{};
    if (op.integer_delta) {
      delta.kind = Number::Kind::kInt;
      delta.i = op.int_delta;
    } else {
      delta.kind = Number::Kind::kDouble;
      delta.d = op.double_delta;
    }
    if (!at) {
      append_member(*n, op.path.back(), number_slot(delta));
      return {};
    }
    const Slot& s = n->slots[*at];
    std::optional<Number> current;
    if (s.kind == Slot::Kind::kElement) {
      current = element_number(s.value);
    } else if (s.kind == Slot::Kind::kStored) {
      current = packed_number(s.tag, bytes_of(s.bytes));
    } else if (s.kind == Slot::Kind::kScalar) {
      current = packed_number(s.tag, bytes_of(s.scalar_bytes()));
    }
    if (!current) {
      return Status(ErrorCode::kWrongType, "incr: '" + op.path.back() + "' is not a number");
    }
    KORA_ASSIGN_OR_RETURN(Number sum, add(*current, delta));
    replace_value(*n, *at, number_slot(sum));
    return {};
  }

  // The incr rule: an integer plus an integral delta stays an integer when the sum fits
  // int64 (an integer delta that overflows is an error); anything else is a double.
  static Result<Number> add(const Number& a, const Number& delta) {
    const bool integer = a.kind != Number::Kind::kDouble;
    std::optional<std::int64_t> integral_delta;
    if (delta.kind == Number::Kind::kInt) {
      integral_delta = delta.i;
    } else if (delta.d == std::trunc(delta.d) && delta.d >= -0x1p63 && delta.d < 0x1p63) {
      integral_delta = static_cast<std::int64_t>(delta.d);
    }
    if (integer && integral_delta) {
      const Int128 base = a.kind == Number::Kind::kInt ? Int128{a.i} : Int128{a.u};
      const Int128 sum = base + *integral_delta;
      if (sum >= std::numeric_limits<std::int64_t>::min() &&
          sum <= std::numeric_limits<std::int64_t>::max()) {
        Number n{};
        n.kind = Number::Kind::kInt;
        n.i = static_cast<std::int64_t>(sum);
        return n;
      }
      if (delta.kind == Number::Kind::kInt) {
        return core::out_of_range("incr: integer overflow");
      }
    }
    const double base = a.kind == Number::Kind::kDouble ? a.d
                        : a.kind == Number::Kind::kInt  ? static_cast<double>(a.i)
                                                        : static_cast<double>(a.u);
    const double step =
        delta.kind == Number::Kind::kDouble ? delta.d : static_cast<double>(delta.i);
    Number n{};
    n.kind = Number::Kind::kDouble;
    n.d = base + step;
    if (!std::isfinite(n.d)) return core::out_of_range("incr: the result is not finite");
    return n;
  }

  Status push(const std::vector<std::string>& path, element value) {
    KORA_ASSIGN_OR_RETURN(EditNode * n, walk(path, /*create=*/true));
    KORA_ASSIGN_OR_RETURN(auto at, locate(*n, path.back(), /*appendable=*/true));
    const std::uint32_t value_depth = element_depth(value);
    if (!at) {
      KORA_RETURN_IF_ERROR(check_depth(n->depth + 1 + value_depth));
      EditNode* array = new_node(false, n->depth + 1);
      array->slots.push_back(element_slot(value));
      append_member(*n, path.back(), node_slot(array));
      return {};
    }
    if (shape_of(n->slots[*at]) != Shape::kArray) {
      return Status(ErrorCode::kWrongType, "push: '" + path.back() + "' is not an array");
    }
    EditNode* array = expand(*n, *at);
    KORA_RETURN_IF_ERROR(check_depth(array->depth + value_depth));
    array->slots.push_back(element_slot(value));
    return {};
  }

  Status pull(const std::vector<std::string>& path, element value) {
    KORA_ASSIGN_OR_RETURN(EditNode * n, walk(path, /*create=*/false));
    if (n == nullptr) return {};
    if (!n->is_object && !array_index(path.back())) return {};
    KORA_ASSIGN_OR_RETURN(auto at, locate(*n, path.back(), /*appendable=*/false));
    if (!at) return {};
    if (shape_of(n->slots[*at]) != Shape::kArray) {
      return Status(ErrorCode::kWrongType, "pull: '" + path.back() + "' is not an array");
    }
    EditNode* array = expand(*n, *at);
    for (std::size_t i = array->slots.size(); i-- > 0;) {
      if (slot_equals(*array, i, value)) remove_member(*array, i);
    }
    return {};
  }

  // RFC 7386 into the object node t.
  Status merge_into(EditNode& t, simdjson::dom::object patch) {
    for (simdjson::dom::key_value_pair kv : patch) {
      const std::optional<std::size_t> k = find_key(t, kv.key);
      const element_type type = kv.value.type();
      if (type == element_type::NULL_VALUE) {
        if (k) remove_member(t, *k);
        continue;
      }
      if (type == element_type::OBJECT) {
        EditNode* child = nullptr;
        if (k && shape_of(t.slots[*k]) == Shape::kObject) {
          child = expand(t, *k);
        } else {
          KORA_RETURN_IF_ERROR(check_depth(t.depth + 1));
          child = new_node(true, t.depth + 1);
          if (k) {
            replace_value(t, *k, node_slot(child));
          } else {
            append_member(t, kv.key, node_slot(child));
          }
        }
        KORA_RETURN_IF_ERROR(merge_into(*child, as_object(kv.value)));
        continue;
      }
      KORA_RETURN_IF_ERROR(check_depth(t.depth + element_depth(kv.value)));
      if (k) {
        replace_value(t, *k, element_slot(kv.value));
      } else {
        append_member(t, kv.key, element_slot(kv.value));
      }
    }
    return {};
  }

  // ---- equality (pull): numbers by value, objects by keys and values in any order -----

  bool slot_equals(const EditNode& parent, std::size_t i, element v) const {
    const Slot& s = parent.slots[i];
    switch (s.kind) {
      case Slot::Kind::kElement:
        return elements_equal(s.value, v);
      case Slot::Kind::kScalar:
        return packed_equals(s.tag, bytes_of(s.scalar_bytes()), kRootPath, v);
      case Slot::Kind::kStored:
        return packed_equals(s.tag, bytes_of(s.bytes), child_field(parent, i), v);
      case Slot::Kind::kNode:
        return node_equals(*s.node, v);
    }
    return false;
  }

  bool node_equals(const EditNode& n, element v) const {
    if (n.is_object) {
      simdjson::dom::object obj;
      if (v.get(obj) != simdjson::SUCCESS || obj.size() != n.slots.size()) return false;
      for (std::size_t i = 0; i < n.slots.size(); ++i) {
        element member;
        if (obj.at_key(key_name(n.keys[i])).get(member) != simdjson::SUCCESS) return false;
        if (!slot_equals(n, i, member)) return false;
      }
      return true;
    }
    simdjson::dom::array arr;
    if (v.get(arr) != simdjson::SUCCESS || arr.size() != n.slots.size()) return false;
    std::size_t i = 0;
    for (element e : arr) {
      if (!slot_equals(n, i++, e)) return false;
    }
    return true;
  }

  // The packed value of type tag at p (field: its dictionary field) against v.
  bool packed_equals(PackedTag tag, const std::uint8_t* p, PathId field, element v) const {
    switch (tag) {
      case PackedTag::kNull:
        return v.type() == element_type::NULL_VALUE;
      case PackedTag::kFalse:
      case PackedTag::kTrue: {
        bool b = false;
        return v.get(b) == simdjson::SUCCESS && b == (tag == PackedTag::kTrue);
      }
      case PackedTag::kInt:
      case PackedTag::kUint:
      case PackedTag::kDouble: {
        const std::optional<Number> other = element_number(v);
        return other && numbers_equal(*packed_number(tag, p), *other);
      }
      case PackedTag::kInlineString:
      case PackedTag::kTermString: {
        std::string_view other;
        if (v.get(other) != simdjson::SUCCESS) return false;
        if (tag == PackedTag::kTermString) {
          return dict_.term(field, static_cast<TermId>(get_varint(p))) == other;
        }
        const std::uint64_t len = get_varint(p);
        return std::string_view(reinterpret_cast<const char*>(p), len) == other;
      }
      case PackedTag::kObject:
      case PackedTag::kArray: {
        skip_varint(p);
        const bool is_object = tag == PackedTag::kObject;
        Node n = open_node(is_object, p, field);
        if (is_object) {
          simdjson::dom::object obj;
          if (v.get(obj) != simdjson::SUCCESS || obj.size() != n.count) return false;
          for (std::uint32_t i = 0; i < n.count; ++i) {
            const auto key = static_cast<PathId>(get_varint(n.ids));
            const PackedTag t = tag_at(n.tags, i);
            element member;
            if (obj.at_key(dict_.key_of(key)).get(member) != simdjson::SUCCESS ||
                !packed_equals(t, p, key, member)) {
              return false;
            }
            p = skip_value(t, p);
          }
          return true;
        }
        simdjson::dom::array arr;
        if (v.get(arr) != simdjson::SUCCESS || arr.size() != n.count) return false;
        std::uint32_t i = 0;
        for (element e : arr) {
          const PackedTag t = tag_at(n.tags, i++);
          if (!packed_equals(t, p, field, e)) return false;
          p = skip_value(t, p);
        }
        return true;
      }
    }
    return false;
  }

  static bool elements_equal(element a, element b) {
    if (const std::optional<Number> x = element_number(a)) {
      const std::optional<Number> y = element_number(b);
      return y && numbers_equal(*x, *y);
    }
    if (a.type() != b.type()) return false;
    switch (a.type()) {
      case element_type::NULL_VALUE:
        return true;
      case element_type::BOOL: {
        bool x = false, y = false;
        return a.get(x) == simdjson::SUCCESS && b.get(y) == simdjson::SUCCESS && x == y;
      }
      case element_type::STRING: {
        std::string_view x, y;
        return a.get(x) == simdjson::SUCCESS && b.get(y) == simdjson::SUCCESS && x == y;
      }
      case element_type::ARRAY: {
        const simdjson::dom::array x = as_array(a), y = as_array(b);
        if (x.size() != y.size()) return false;
        auto it = y.begin();
        for (element e : x) {
          if (!elements_equal(e, *it)) return false;
          ++it;
        }
        return true;
      }
      case element_type::OBJECT: {
        const simdjson::dom::object x = as_object(a), y = as_object(b);
        if (x.size() != y.size()) return false;
        for (simdjson::dom::key_value_pair kv : x) {
          element other;
          if (y.at_key(kv.key).get(other) != simdjson::SUCCESS) return false;
          if (!elements_equal(kv.value, other)) return false;
        }
        return true;
      }
      default:
        return false;
    }
  }

  // ---- commit --------------------------------------------------------------------------

  // Writes node n whose keys' parent (objects) or elements' field (arrays) is `field`.
  void write_node(EditNode& n, PathId field, bool in_array, std::string& out) {
    const std::size_t count = n.slots.size();
    put_varint(out, count);
    if (n.is_object) {
      for (Key& k : n.keys) {
        if (k.id == kRootPath) {
          k.id = dict_.acquire_path(field, in_array, k.name);
          references_.push_back({k.id, kPathReference});
        }
        put_varint(out, k.id);
      }
    }
    const std::size_t tags_pos = out.size();
    out.append(tag_column_bytes(count), '\0');
    for (std::size_t i = 0; i < count; ++i) {
      Slot& s = n.slots[i];
      const PathId f = n.is_object ? n.keys[i].id : field;
      PackedTag tag = s.tag;
      switch (s.kind) {
        case Slot::Kind::kStored:
          out.append(s.bytes);
          break;
        case Slot::Kind::kScalar:
          out.append(s.scalar_bytes());
          break;
        case Slot::Kind::kElement:
          tag = encode_value(s.value, f, !n.is_object, dict_, out, &references_);
          break;
        case Slot::Kind::kNode: {
          const std::size_t len_pos = out.size();
          out.push_back('\0');
          write_node(*s.node, f, !n.is_object, out);
          const std::size_t len = out.size() - len_pos - 1;
          const std::size_t extra = varint_size(len) - 1;
          if (extra > 0) out.insert(len_pos + 1, extra, '\0');
          std::string prefix;
          put_varint(prefix, len);
          out.replace(len_pos, prefix.size(), prefix);
          break;
        }
      }
      const auto bits = static_cast<unsigned>(tag) << ((i & 1) * 4);
      char& c = out[tags_pos + i / 2];
      c = static_cast<char>(static_cast<unsigned char>(c) | bits);
    }
  }

  // Releases what a removed slot held in the old body.
  void release(const Slot& s, PathId field) {
    if (s.kind == Slot::Kind::kStored) {
      release_value(s.tag, s.bytes, field, dict_);
      return;
    }
    if (s.kind != Slot::Kind::kNode || !s.node->stored) return;
    const EditNode& n = *s.node;
    for (std::size_t i = 0; i < n.slots.size(); ++i) {
      release(n.slots[i], n.is_object ? n.keys[i].id : n.field);
    }
    // Values before keys: a field's terms go before its path.
    for (const Key& k : n.keys) {
      if (k.id != kRootPath) dict_.release_path(k.id);
    }
  }

  std::string_view body_;
  Dictionary& dict_;
  const std::uint32_t max_depth_;
  EditNode* root_ = nullptr;

  // Reused across updates on a thread: nodes keep their vectors' capacity.
  static thread_local std::vector<std::unique_ptr<EditNode>> pool_;
  static thread_local std::size_t used_;
  static thread_local std::vector<Removed> removed_;
  static thread_local std::vector<PathId> removed_keys_;
  static thread_local std::vector<DictionaryReference> references_;
};

thread_local std::vector<std::unique_ptr<EditNode>> Editor::pool_;
thread_local std::size_t Editor::used_ = 0;
thread_local std::vector<Editor::Removed> Editor::removed_;
thread_local std::vector<PathId> Editor::removed_keys_;
thread_local std::vector<DictionaryReference> Editor::references_;

}  // namespace

Status apply_edits(std::string_view body, std::span<const EditOp> ops, Dictionary& dict,
                   std::uint32_t max_depth, std::string& out, const EditCheck* check) {
  Editor editor(body, dict, max_depth);
  KORA_RETURN_IF_ERROR(editor.plan(ops));
  return editor.commit(out, check);
}

}  // namespace kora::doc
