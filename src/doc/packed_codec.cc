#include "doc/packed_codec.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "doc/packed_format.h"

namespace kora::doc {
namespace {

using namespace packed;  // NOLINT: the format primitives are this file's vocabulary

using simdjson::dom::element_type;

// The type was checked first, so the typed read cannot fail.
inline void must(simdjson::error_code error) {
  assert(error == simdjson::SUCCESS);
  (void)error;
}

// ---- encoding -----------------------------------------------------------------------

class Encoder {
 public:
  Encoder(Dictionary& dict, std::string& out) : dict_(dict), out_(out) {}

  // Encodes a root object node (no length prefix).
  void run(simdjson::dom::object root) {
    guarded([&] {
      begin_object(root, kRootPath, false, kNoLength);
      drain();
    });
  }

  // Encodes one value as it is stored at `field` (in_array: as an element of the array at
  // `field`); returns its tag.
  PackedTag run_value(simdjson::dom::element value, PathId field, bool in_array,
                      std::vector<DictionaryReference>* references) {
    PackedTag tag = PackedTag::kNull;
    guarded([&] {
      tag = put_value(value, field, in_array);
      drain();
      if (references != nullptr) {
        references->insert(references->end(), acquired_.begin(), acquired_.end());
      }
    });
    return tag;
  }

 private:
  struct Frame {
    bool is_object;
    simdjson::dom::object::iterator oit, oend;
    simdjson::dom::array::iterator ait, aend;
    std::size_t tags_pos;
    std::uint32_t index;
    std::size_t ids_base;  // objects: where this object's path ids start in ids_
    PathId field;          // arrays: the array's path (strings' field, elements' parent)
    std::size_t len_pos;   // the placeholder byte of the length, or kNoLength (root)
  };
  static constexpr TermId kPathMark = kPathReference;

  // Runs `encode` with all-or-nothing semantics: on an exception every reference taken is
  // released and out_ is restored.
  template <class F>
  void guarded(F&& encode) {
    const std::size_t old_size = out_.size();
    stack_.clear();
    ids_.clear();
    acquired_.clear();
    try {
      encode();
    } catch (...) {
      undo();
      out_.resize(old_size);
      throw;
    }
  }

  // Encodes the containers opened so far, depth first.
  void drain() {
    while (!stack_.empty()) {
      Frame& f = stack_.back();
      simdjson::dom::element v;
      PathId field;
      if (f.is_object) {
        if (f.oit == f.oend) {
          finish();
          continue;
        }
        v = (*f.oit).value;
        ++f.oit;
        field = ids_[f.ids_base + f.index];
      } else {
        if (f.ait == f.aend) {
          finish();
          continue;
        }
        v = *f.ait;
        ++f.ait;
        field = f.field;
      }
      const bool in_array = !f.is_object;
      const std::size_t tag_pos = f.tags_pos * 2 + f.index++;  // in nibbles
      // `f` may dangle below this point (put_value may open a container).
      set_tag(tag_pos, put_value(v, field, in_array));
    }
  }

  // Appends v's value bytes; a container is opened (pushed) with a length placeholder and
  // filled in by drain().
  PackedTag put_value(simdjson::dom::element v, PathId field, bool in_array) {
    switch (v.type()) {
      case element_type::OBJECT: {
        simdjson::dom::object obj;
        must(v.get(obj));
        const std::size_t len_pos = out_.size();
        out_.push_back('\0');
        begin_object(obj, field, in_array, len_pos);
        return PackedTag::kObject;
      }
      case element_type::ARRAY: {
        simdjson::dom::array arr;
        must(v.get(arr));
        const std::size_t len_pos = out_.size();
        out_.push_back('\0');
        begin_array(arr, field, len_pos);
        return PackedTag::kArray;
      }
      case element_type::INT64: {
        std::int64_t i = 0;
        must(v.get(i));
        put_varint(out_, zigzag(i));
        return PackedTag::kInt;
      }
      case element_type::UINT64: {
        std::uint64_t u = 0;
        must(v.get(u));
        if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          put_varint(out_, zigzag(static_cast<std::int64_t>(u)));
          return PackedTag::kInt;
        }
        put_varint(out_, u);
        return PackedTag::kUint;
      }
      case element_type::DOUBLE: {
        double d = 0;
        must(v.get(d));
        put_double(out_, d);
        return PackedTag::kDouble;
      }
      case element_type::STRING: {
        std::string_view str;
        must(v.get(str));
        if (const std::optional<TermId> term = dict_.acquire_term(field, str)) {
          acquired_.push_back({field, *term});
          put_varint(out_, *term);
          return PackedTag::kTermString;
        }
        put_varint(out_, str.size());
        out_.append(str);
        return PackedTag::kInlineString;
      }
      case element_type::BOOL: {
        bool b = false;
        must(v.get(b));
        return b ? PackedTag::kTrue : PackedTag::kFalse;
      }
      case element_type::NULL_VALUE:
        return PackedTag::kNull;
    }
    assert(false && "unknown simdjson element type");
    return PackedTag::kNull;
  }

  // `nibble`: the tag column's byte offset * 2 + the value's index.
  void set_tag(std::size_t nibble, PackedTag tag) {
    const auto bits = static_cast<unsigned>(tag) << ((nibble & 1) * 4);
    out_[nibble >> 1] = static_cast<char>(static_cast<unsigned char>(out_[nibble >> 1]) | bits);
  }

  // A per-thread table of the path id last seen at (parent, in_array, position), for
  // small parents and positions; nullptr outside it. Entries are only hints.
  static PathId* path_hint(PathId parent, bool in_array, std::uint32_t position) {
    constexpr std::uint32_t kParents = 64, kPositions = 32;  // 16 KiB
    if (parent >= kParents || position >= kPositions) return nullptr;
    thread_local std::array<PathId, kParents * 2 * kPositions> hints{};
    return &hints[(parent * 2 + (in_array ? 1 : 0)) * kPositions + position];
  }

  void begin_object(simdjson::dom::object obj, PathId parent, bool in_array, std::size_t len_pos) {
    const std::size_t count = obj.size();
    put_varint(out_, count);
    const std::size_t ids_base = ids_.size();
    std::uint32_t position = 0;
    for (simdjson::dom::key_value_pair kv : obj) {
      // Documents of one collection mostly share their shape: the key at this position
      // under this parent is usually the one seen last time, which a compare confirms
      // without a hash lookup.
      PathId* hint = path_hint(parent, in_array, position++);
      const std::optional<PathId> hinted =
          hint != nullptr ? dict_.acquire_path_hinted(*hint, parent, in_array, kv.key)
                          : std::nullopt;
      const PathId id = hinted ? *hinted : dict_.acquire_path(parent, in_array, kv.key);
      if (hint != nullptr) *hint = id;
      acquired_.push_back({id, kPathMark});
      ids_.push_back(id);
      put_varint(out_, id);
    }
    const std::size_t tags_pos = out_.size();
    out_.append(tag_column_bytes(count), '\0');
    Frame f{};
    f.is_object = true;
    f.oit = obj.begin();
    f.oend = obj.end();
    f.tags_pos = tags_pos;
    f.index = 0;
    f.ids_base = ids_base;
    f.field = parent;
    f.len_pos = len_pos;
    stack_.push_back(f);
  }

  void begin_array(simdjson::dom::array arr, PathId field, std::size_t len_pos) {
    const std::size_t count = arr.size();
    put_varint(out_, count);
    const std::size_t tags_pos = out_.size();
    out_.append(tag_column_bytes(count), '\0');
    Frame f{};
    f.is_object = false;
    f.ait = arr.begin();
    f.aend = arr.end();
    f.tags_pos = tags_pos;
    f.index = 0;
    f.ids_base = ids_.size();
    f.field = field;
    f.len_pos = len_pos;
    stack_.push_back(f);
  }

  // Pops the finished container and fills in its length. The placeholder is one byte;
  // a longer length shifts the node (at most once per container and level).
  void finish() {
    const Frame f = stack_.back();
    stack_.pop_back();
    if (f.is_object) ids_.resize(f.ids_base);
    if (f.len_pos == kNoLength) return;
    const std::size_t len = out_.size() - f.len_pos - 1;
    const std::size_t n = varint_size(len);
    if (n > 1) out_.insert(f.len_pos + 1, n - 1, '\0');
    std::uint64_t v = len;
    for (std::size_t i = 0; i < n; ++i) {
      std::uint8_t b = static_cast<std::uint8_t>(v & 0x7F);
      v >>= 7;
      if (i + 1 < n) b |= 0x80;
      out_[f.len_pos + i] = static_cast<char>(b);
    }
  }

  void undo() noexcept { release_references(acquired_, dict_); }

  Dictionary& dict_;
  std::string& out_;
  // Scratch reused across calls on the same thread (shard threads encode a lot).
  static thread_local std::vector<Frame> stack_;
  static thread_local std::vector<PathId> ids_;
  static thread_local std::vector<DictionaryReference> acquired_;
};

thread_local std::vector<Encoder::Frame> Encoder::stack_;
thread_local std::vector<PathId> Encoder::ids_;
thread_local std::vector<DictionaryReference> Encoder::acquired_;

// ---- JSON output ---------------------------------------------------------------------

// 0: pass through; otherwise the character after the backslash ('u': \u00XX).
constexpr std::array<char, 256> kEscape = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 'u';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}();

// Whether any of the 8 bytes in `x` needs escaping (< 0x20, '"' or '\\'): the classic
// "has a byte less than n" and "has a zero byte" word tricks, exact as a yes/no answer.
inline bool any_escape(std::uint64_t x) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const std::uint64_t control = (x - kOnes * 0x20) & ~x;
  const std::uint64_t q = x ^ (kOnes * '"');
  const std::uint64_t b = x ^ (kOnes * '\\');
  return ((control | ((q - kOnes) & ~q) | ((b - kOnes) & ~b)) & kHighs) != 0;
}

// Appends to a std::string through a raw cursor: decoding writes many small pieces, and
// std::string's append re-checks capacity and re-terminates for each. The string is grown
// ahead and cut back to what was written when the sink goes away (also on an exception).
class JsonSink {
 public:
  explicit JsonSink(std::string& s) : s_(s) {
    const std::size_t used = s.size();
    s.resize(std::max(s.capacity(), used + 256));
    cur_ = s.data() + used;
    end_ = s.data() + s.size();
  }
  ~JsonSink() { s_.resize(size()); }
  JsonSink(const JsonSink&) = delete;
  JsonSink& operator=(const JsonSink&) = delete;

  std::size_t size() const { return static_cast<std::size_t>(cur_ - s_.data()); }
  // Back to an earlier size (a projection dropping what it began).
  void resize(std::size_t n) { cur_ = s_.data() + n; }
  void push_back(char c) { *reserve(1) = c, ++cur_; }
  void append(const char* p, std::size_t n) {
    std::memcpy(reserve(n), p, n);
    cur_ += n;
  }
  void append(std::string_view v) { append(v.data(), v.size()); }
  // Room for n more bytes at the returned cursor; commit(end) after writing them.
  char* reserve(std::size_t n) {
    if (static_cast<std::size_t>(end_ - cur_) < n) grow(n);
    return cur_;
  }
  void commit(char* end) { cur_ = end; }

 private:
  void grow(std::size_t n) {
    const std::size_t used = size();
    s_.resize(std::max(2 * s_.size(), used + n + 256));
    cur_ = s_.data() + used;
    end_ = s_.data() + s_.size();
  }

  std::string& s_;
  char* cur_;
  char* end_;
};

// Copies n bytes without calling memcpy when n <= 16 (most keys and values are short, and
// a call costs more than the copy): two overlapping loads and stores cover 4 to 16 bytes.
inline void copy_text(char* dst, const char* src, std::size_t n) {
  if (n > 16) {
    std::memcpy(dst, src, n);
  } else if (n >= 8) {
    std::uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else {
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

void write_string(std::string_view s, JsonSink& out) {
  char* w = out.reserve(6 * s.size() + 2);  // every byte escaped as \u00XX at worst
  *w++ = '"';
  const char* p = s.data();
  const char* end = p + s.size();
  // Most strings need no escape at all: copy them 8 bytes at a time, then the tail as the
  // string's last 8 bytes (overlapping what was copied, with the same bytes); a string
  // of 4 to 7 bytes as two overlapping 4-byte words.
  while (end - p >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    if (any_escape(word)) break;
    std::memcpy(w, p, 8);
    w += 8;
    p += 8;
  }
  if (p != end && end - p < 8 && s.size() >= 8) {  // fewer than 8 left, none escaped yet
    std::uint64_t word;
    std::memcpy(&word, end - 8, 8);
    if (!any_escape(word)) {
      std::memcpy(w - (8 - (end - p)), &word, 8);
      w += end - p;
      p = end;
    }
  } else if (s.size() >= 4 && s.size() < 8) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, end - 4, 4);
    if (!any_escape(std::uint64_t{a} | std::uint64_t{b} << 32)) {
      copy_text(w, p, s.size());
      w += s.size();
      p = end;
    }
  }
  for (; p != end; ++p) {
    const char e = kEscape[static_cast<unsigned char>(*p)];
    if (e == 0) {
      *w++ = *p;
    } else if (e == 'u') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      const auto c = static_cast<unsigned char>(*p);
      const char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      std::memcpy(w, buf, 6);
      w += 6;
    } else {
      *w++ = '\\';
      *w++ = e;
    }
  }
  *w++ = '"';
  out.commit(w);
}

// The text of d with the fewest decimals (1 to 8) that reads back as d, for 1 <= |d| <
// 1e15 and not an integer; nullptr otherwise (the caller then uses std::to_chars). Most
// stored doubles are prices, scores or measurements with a few decimals, and this costs
// about half of to_chars' general shortest-digits search. Fixed notation is what to_chars
// picks for such values too (scientific is never shorter with a fractional part and an
// integer part of 1 to 15 digits), so both give the same text.
char* write_decimal(double d, char* w) {
  static constexpr std::array<double, 9> kPow10 = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
  const double a = d < 0 ? -d : d;
  if (!(a >= 1.0 && a < 1e15)) return nullptr;
  for (std::size_t k = 1; k < kPow10.size(); ++k) {
    const double scaled = a * kPow10[k];
    if (scaled >= 0x1p53) return nullptr;  // the digits would no longer be exact
    // The closest k-decimal candidate, and its neighbour when the product's rounding may
    // have picked the wrong one. Both are exact integers below 2^53, so the division is
    // correctly rounded: it equals d exactly when the decimal text reads back as d.
    const double nearest = std::nearbyint(scaled);
    double m = nearest;
    if (m / kPow10[k] != a) {
      const double other = scaled > nearest ? nearest + 1 : nearest - 1;
      if (scaled - std::floor(scaled) < 0.49 || scaled - std::floor(scaled) > 0.51 ||
          other / kPow10[k] != a) {
        continue;
      }
      m = other;
    }
    const auto digits = static_cast<std::uint64_t>(m);
    const std::uint64_t scale = static_cast<std::uint64_t>(kPow10[k]);
    if (digits % 10 == 0) return nullptr;  // an integer (k = 1 found "x0"): to_chars
    if (d < 0) *w++ = '-';
    w = std::to_chars(w, w + 20, digits / scale).ptr;
    *w++ = '.';
    std::uint64_t fraction = digits % scale;
    for (std::size_t i = k; i-- > 0;) {
      w[i] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    return w + k;
  }
  return nullptr;
}

void write_double(double d, JsonSink& out) {
  constexpr std::size_t kMax = 40;
  char* w = out.reserve(kMax + 2);
  if (char* end = write_decimal(d, w)) {
    out.commit(end);
    return;
  }
  char* end = std::to_chars(w, w + kMax, d).ptr;
  // Keep it a double when read back: "30" -> "30.0". (JSON input is always finite.)
  if (std::string_view(w, static_cast<std::size_t>(end - w)).find_first_of(".eE") ==
      std::string_view::npos) {
    *end++ = '.';
    *end++ = '0';
  }
  out.commit(end);
}

// A dictionary key or term: copied between quotes without a scan when it is plain; a
// key is followed by its colon.
// (Takes the parts of a Dictionary::JsonText: a 24-byte struct would travel through
// memory, and reading it back stalls on store forwarding. Always inlined: it runs for
// every key, and the call cost as much as the copy.)
[[gnu::always_inline]] inline void write_text(std::string_view text, bool plain, JsonSink& out,
                                              bool key) {
  if (!plain) {
    write_string(text, out);
    if (key) out.push_back(':');
    return;
  }
  char* w = out.reserve(text.size() + 3);
  *w++ = '"';
  copy_text(w, text.data(), text.size());
  w += text.size();
  *w++ = '"';
  if (key) *w++ = ':';
  out.commit(w);
}

template <class Int>
void write_int(Int v, JsonSink& out) {
  constexpr std::size_t kMax = 24;
  char* w = out.reserve(kMax);
  out.commit(std::to_chars(w, w + kMax, v).ptr);
}

// Writes the container node at p (an object when is_object) and every value inside it;
// returns the end of the node.
const std::uint8_t* write_node(bool is_object, const std::uint8_t* p, PathId field,
                               const Dictionary& dict, JsonSink& out) {
  thread_local std::vector<Node> stack;
  const std::size_t base = stack.size();
  struct Trim {  // leave the scratch stack as found, also when `out` throws
    std::vector<Node>& stack;
    std::size_t base;
    ~Trim() { stack.resize(base); }
  } trim{stack, base};
  stack.push_back(open_node(is_object, p, field));
  out.push_back(is_object ? '{' : '[');
  while (stack.size() > base) {
    Node& n = stack.back();
    if (n.index == n.count) {
      out.push_back(n.is_object ? '}' : ']');
      stack.pop_back();
      continue;
    }
    if (n.index != 0) out.push_back(',');
    PathId f = n.field;
    if (n.is_object) {
      f = static_cast<PathId>(get_varint(n.ids));
      const Dictionary::JsonText key = dict.key_json(f);
      write_text(key.text, key.plain, out, /*key=*/true);
    }
    const PackedTag tag = tag_at(n.tags, n.index++);
    switch (tag) {
      case PackedTag::kNull:
        out.append("null");
        break;
      case PackedTag::kFalse:
        out.append("false");
        break;
      case PackedTag::kTrue:
        out.append("true");
        break;
      case PackedTag::kInt:
        write_int(unzigzag(get_varint(p)), out);
        break;
      case PackedTag::kUint:
        write_int(get_varint(p), out);
        break;
      case PackedTag::kDouble:
        write_double(get_double(p), out);
        break;
      case PackedTag::kInlineString: {
        const std::size_t len = get_varint(p);
        write_string(std::string_view(reinterpret_cast<const char*>(p), len), out);
        p += len;
        break;
      }
      case PackedTag::kTermString: {
        const Dictionary::JsonText term = dict.term_json(f, static_cast<TermId>(get_varint(p)));
        write_text(term.text, term.plain, out, /*key=*/false);
        break;
      }
      case PackedTag::kObject:
      case PackedTag::kArray: {
        skip_varint(p);  // the length: not needed when reading everything
        const bool obj = tag == PackedTag::kObject;
        stack.push_back(open_node(obj, p, f));  // `n` dangles from here
        out.push_back(obj ? '{' : '[');
        break;
      }
    }
  }
  return p;
}

// Writes one value of type `tag` at p; returns the end of the value.
const std::uint8_t* write_value(PackedTag tag, const std::uint8_t* p, PathId field,
                                const Dictionary& dict, JsonSink& out) {
  if (tag == PackedTag::kObject || tag == PackedTag::kArray) {
    skip_varint(p);
    return write_node(tag == PackedTag::kObject, p, field, dict, out);
  }
  // A scalar: wrap it as a one-element array walk would be overkill; decode inline.
  switch (tag) {
    case PackedTag::kNull:
      out.append("null");
      return p;
    case PackedTag::kFalse:
      out.append("false");
      return p;
    case PackedTag::kTrue:
      out.append("true");
      return p;
    case PackedTag::kInt:
      write_int(unzigzag(get_varint(p)), out);
      return p;
    case PackedTag::kUint:
      write_int(get_varint(p), out);
      return p;
    case PackedTag::kDouble:
      write_double(get_double(p), out);
      return p;
    case PackedTag::kInlineString: {
      const std::size_t len = get_varint(p);
      write_string(std::string_view(reinterpret_cast<const char*>(p), len), out);
      return p + len;
    }
    case PackedTag::kTermString: {
      const Dictionary::JsonText term = dict.term_json(field, static_cast<TermId>(get_varint(p)));
      write_text(term.text, term.plain, out, /*key=*/false);
      return p;
    }
    default:
      break;
  }
  assert(false && "corrupt packed record");
  return p;
}

// ---- projection ----------------------------------------------------------------------

struct TrieNode {
  std::string_view key;
  bool terminal = false;
  std::vector<std::uint32_t> children;
};

class Projector {
 public:
  Projector(std::span<const std::vector<std::string>> paths, const Dictionary& dict, JsonSink& out)
      : dict_(dict), out_(out) {
    nodes_.emplace_back();
    for (const std::vector<std::string>& path : paths) {
      if (path.empty()) continue;
      std::uint32_t at = 0;
      for (const std::string& segment : path) {
        if (nodes_[at].terminal) break;  // an ancestor is already wanted whole
        at = child(at, segment, /*create=*/true);
      }
      nodes_[at].terminal = true;
      nodes_[at].children.clear();
    }
  }

  // Writes the members of the object node at p that the trie node `at` asks for, without
  // braces. Returns true when it wrote any.
  bool project(const std::uint8_t* p, std::uint32_t at) {
    Node n = open_node(true, p, kRootPath);
    bool wrote = false;
    for (std::uint32_t i = 0; i < n.count; ++i) {
      const PathId id = static_cast<PathId>(get_varint(n.ids));
      const PackedTag tag = tag_at(n.tags, i);
      const std::uint32_t c = child(at, dict_.key_of(id), /*create=*/false);
      if (c == 0) {
        p = skip_value(tag, p);
        continue;
      }
      const std::size_t mark = out_.size();
      if (wrote) out_.push_back(',');
      const Dictionary::JsonText key = dict_.key_json(id);
      write_text(key.text, key.plain, out_, /*key=*/true);
      if (nodes_[c].terminal) {
        p = write_value(tag, p, id, dict_, out_);
        wrote = true;
        continue;
      }
      if (tag == PackedTag::kObject) {
        const std::uint64_t len = get_varint(p);
        out_.push_back('{');
        if (project(p, c)) {
          out_.push_back('}');
          wrote = true;
        } else {
          out_.resize(mark);
        }
        p += len;
        continue;
      }
      out_.resize(mark);  // through an array or a scalar: missing
      p = skip_value(tag, p);
    }
    return wrote;
  }

 private:
  std::uint32_t child(std::uint32_t at, std::string_view key, bool create) {
    for (std::uint32_t c : nodes_[at].children) {
      if (nodes_[c].key == key) return c;
    }
    if (!create) return 0;
    const auto c = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
    nodes_.back().key = key;
    nodes_[at].children.push_back(c);
    return c;
  }

  const Dictionary& dict_;
  JsonSink& out_;
  std::vector<TrieNode> nodes_;  // [0] is the root
};

}  // namespace

void encode_document(simdjson::dom::object root, Dictionary& dict, std::string& out) {
  Encoder(dict, out).run(root);
}

namespace {

// Releases the references of the container node at p and everything inside it.
void release_node(bool is_object, const std::uint8_t* p, PathId field, Dictionary& dict) {
  struct Frame {
    Node node;
    const std::uint8_t* ids_start;  // objects: the path ids, released last
  };
  thread_local std::vector<Frame> stack;
  stack.clear();
  {
    const std::uint8_t* ids = p;
    skip_varint(ids);
    stack.push_back({open_node(is_object, p, field), ids});
  }
  while (!stack.empty()) {
    Frame& fr = stack.back();
    Node& n = fr.node;
    if (n.index == n.count) {
      if (n.is_object) {
        // Terms of this object's fields are gone by now; drop the keys.
        const std::uint8_t* ids = fr.ids_start;
        for (std::uint32_t i = 0; i < n.count; ++i) {
          dict.release_path(static_cast<PathId>(get_varint(ids)));
        }
      }
      stack.pop_back();
      continue;
    }
    PathId f = n.field;
    if (n.is_object) f = static_cast<PathId>(get_varint(n.ids));
    const PackedTag tag = tag_at(n.tags, n.index++);
    if (tag == PackedTag::kTermString) {
      dict.release_term(f, static_cast<TermId>(get_varint(p)));
    } else if (tag == PackedTag::kObject || tag == PackedTag::kArray) {
      skip_varint(p);
      const bool obj = tag == PackedTag::kObject;
      const std::uint8_t* ids = p;
      skip_varint(ids);
      stack.push_back({open_node(obj, p, f), ids});  // `fr` and `n` dangle from here
    } else {
      p = skip_value(tag, p);
    }
  }
}

}  // namespace

PackedTag encode_value(simdjson::dom::element value, PathId field, bool in_array, Dictionary& dict,
                       std::string& out, std::vector<DictionaryReference>* references) {
  return Encoder(dict, out).run_value(value, field, in_array, references);
}

void release_references(std::span<const DictionaryReference> references, Dictionary& dict) {
  // Terms first: a field's terms must go before its path can be reclaimed.
  for (auto it = references.rbegin(); it != references.rend(); ++it) {
    if (it->second != kPathReference) dict.release_term(it->first, it->second);
  }
  for (auto it = references.rbegin(); it != references.rend(); ++it) {
    if (it->second == kPathReference) dict.release_path(it->first);
  }
}

void release_document(std::string_view body, Dictionary& dict) {
  release_node(true, reinterpret_cast<const std::uint8_t*>(body.data()), kRootPath, dict);
}

void release_value(PackedTag tag, std::string_view value, PathId field, Dictionary& dict) {
  auto p = reinterpret_cast<const std::uint8_t*>(value.data());
  if (tag == PackedTag::kTermString) {
    dict.release_term(field, static_cast<TermId>(get_varint(p)));
  } else if (tag == PackedTag::kObject || tag == PackedTag::kArray) {
    skip_varint(p);
    release_node(tag == PackedTag::kObject, p, field, dict);
  }
}

void decode_document(std::string_view body, const Dictionary& dict, std::string& out) {
  JsonSink sink(out);
  write_node(true, reinterpret_cast<const std::uint8_t*>(body.data()), kRootPath, dict, sink);
}

void decode_value(PackedTag tag, std::string_view value, PathId field, const Dictionary& dict,
                  std::string& out) {
  JsonSink sink(out);
  write_value(tag, reinterpret_cast<const std::uint8_t*>(value.data()), field, dict, sink);
}

void decode_projected(std::string_view body, const Dictionary& dict,
                      std::span<const std::vector<std::string>> paths, std::string& out) {
  JsonSink sink(out);
  Projector projector(paths, dict, sink);
  sink.push_back('{');
  projector.project(reinterpret_cast<const std::uint8_t*>(body.data()), 0);
  sink.push_back('}');
}

}  // namespace kora::doc
