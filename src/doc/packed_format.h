// Primitives of the packed record format (docs/record-format.md) shared by the code that
// writes, reads, edits and queries record bodies: varints, zigzag, doubles, the 4-bit tag
// column, skipping a value and opening a container node.
//
// Readers trust the bytes: bodies are internal and only read with the dictionary that
// wrote them, so nothing here checks bounds (a corrupt body is a bug, asserted in debug).
#pragma once

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "doc/dictionary.h"
#include "doc/packed_codec.h"

namespace kora::doc::packed {

constexpr std::size_t kNoLength = std::numeric_limits<std::size_t>::max();

// ---- varints ------------------------------------------------------------------------

inline void put_varint(std::string& out, std::uint64_t v) {
  char buf[10];
  std::size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(static_cast<std::uint8_t>(v) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

inline std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline std::uint64_t get_varint(const std::uint8_t*& p) {
  std::uint64_t v = 0;
  int shift = 0;
  while (true) {
    const std::uint8_t b = *p++;
    v |= std::uint64_t{b & 0x7Fu} << shift;
    if (b < 0x80) return v;
    shift += 7;
  }
}

inline void skip_varint(const std::uint8_t*& p) {
  while (*p++ >= 0x80) {
  }
}

inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

// Doubles are stored as their IEEE-754 bits, little-endian. (On a little-endian machine
// that is one 8-byte copy, which compilers do not make of the byte loop.)
inline void put_double(std::string& out, double d) {
  std::uint64_t bits = std::bit_cast<std::uint64_t>(d);
  char buf[8];
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(buf, &bits, 8);
  } else {
    for (char& c : buf) {
      c = static_cast<char>(bits & 0xFF);
      bits >>= 8;
    }
  }
  out.append(buf, 8);
}

inline double get_double(const std::uint8_t*& p) {
  std::uint64_t bits = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&bits, p, 8);
  } else {
    for (int i = 7; i >= 0; --i) bits = (bits << 8) | p[i];
  }
  p += 8;
  return std::bit_cast<double>(bits);
}

// Tags are 4 bits, two to a byte (the even index in the low nibble).
constexpr std::size_t tag_column_bytes(std::size_t count) { return (count + 1) / 2; }
inline PackedTag tag_at(const std::uint8_t* tags, std::uint32_t i) {
  return static_cast<PackedTag>((tags[i >> 1] >> ((i & 1) * 4)) & 0x0F);
}

// Advances past one value of type `tag`.
inline const std::uint8_t* skip_value(PackedTag tag, const std::uint8_t* p) {
  switch (tag) {
    case PackedTag::kNull:
    case PackedTag::kFalse:
    case PackedTag::kTrue:
      return p;
    case PackedTag::kInt:
    case PackedTag::kUint:
    case PackedTag::kTermString:
      skip_varint(p);
      return p;
    case PackedTag::kDouble:
      return p + 8;
    case PackedTag::kInlineString:
    case PackedTag::kObject:
    case PackedTag::kArray: {
      // Most lengths take one byte: the next value's address is then one load and one add
      // away, which matters since skipping is a chain of such steps.
      if (*p < 0x80) return p + 1 + *p;
      const std::uint64_t len = get_varint(p);
      return p + len;
    }
  }
  assert(false && "corrupt packed record");
  return p;
}

// ---- walking a body ------------------------------------------------------------------

struct Node {
  bool is_object;
  const std::uint8_t* ids;   // objects: the next path id to read
  const std::uint8_t* tags;  // the tag column
  std::uint32_t count;
  std::uint32_t index;
  PathId field;  // arrays: the array's path
};

// Reads a node header at p; p ends at the node's first value.
inline Node open_node(bool is_object, const std::uint8_t*& p, PathId field) {
  Node n;
  n.is_object = is_object;
  n.count = static_cast<std::uint32_t>(get_varint(p));
  n.ids = p;
  if (is_object) {
    for (std::uint32_t i = 0; i < n.count; ++i) skip_varint(p);
  }
  n.tags = p;
  p += tag_column_bytes(n.count);
  n.index = 0;
  n.field = field;
  return n;
}

}  // namespace kora::doc::packed
