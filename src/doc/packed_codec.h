// The packed record body: a parsed JSON object encoded against a Dictionary, and back.
// The format is described in docs/record-format.md. In short, an object node is
// "count, the keys' path ids, one tag byte per value, the values"; nested objects and
// arrays are length-prefixed, so a reader finds one field without decoding the rest.
//
// Robustness: encode, release and decode keep their own explicit stacks, so nesting depth
// is bounded only by memory (a depth-1000 document is fine). Projection recurses once per
// object level it descends, which is at most the length of the longest requested path.
//
// Exceptions: encode may throw std::bad_alloc (the shard boundary turns it into an
// error); if it does, every dictionary reference it acquired is released again and `out`
// is restored to its old size, so nothing changes.
//
// Thread safety: none beyond the Dictionary's (one shard thread).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "doc/dictionary.h"

namespace kora::doc {

// Type tags of the packed format (stable: they are stored).
enum class PackedTag : std::uint8_t {
  kNull = 0,
  kFalse = 1,
  kTrue = 2,
  kInt = 3,           // int64, zigzag varint
  kUint = 4,          // uint64 above INT64_MAX, varint
  kDouble = 5,        // 8 bytes, little-endian IEEE 754 bits
  kInlineString = 6,  // varint byte length, bytes
  kTermString = 7,    // varint term id (field: the key's path, or the array's for elements)
  kObject = 8,        // varint byte length, object node
  kArray = 9,         // varint byte length, array node
};

// Appends the record body of `root` to out, acquiring dictionary references.
void encode_document(simdjson::dom::object root, Dictionary& dict, std::string& out);

// Releases every reference the body holds (call before dropping a record).
// REQUIRES: body was produced by encode_document with this dictionary.
void release_document(std::string_view body, Dictionary& dict);

// Compact JSON: keys in input order; int64/uint64 exact; doubles as the shortest text
// that reads back to the same bits, always with '.' or an exponent (30.0 -> "30.0",
// -0.0 -> "-0.0"); strings escaped as RapidJSON's Writer does (\" \\ \b \f \n \r \t,
// other control characters as \u00XX, everything else, UTF-8 included, passed through).
void decode_document(std::string_view body, const Dictionary& dict, std::string& out);

// Projection. `paths` are parse_path() results. The output keeps the source key order
// and nesting; a path naming an object gives the whole sub-object; a path that does not
// resolve (missing key, or through an array or a scalar) contributes nothing, and an
// object none of whose requested descendants exist is left out rather than written as
// {}; overlapping paths (a and a.b) give a once. The root braces are always written
// ("{}" if nothing matched). Empty paths are ignored.
void decode_projected(std::string_view body, const Dictionary& dict,
                      std::span<const std::vector<std::string>> paths, std::string& out);

}  // namespace kora::doc
