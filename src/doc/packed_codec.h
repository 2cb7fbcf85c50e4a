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
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
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

// One dictionary reference: (path, term) for a term, (path, kPathReference) for the path.
using DictionaryReference = std::pair<PathId, TermId>;
inline constexpr TermId kPathReference = std::numeric_limits<TermId>::max();

// Appends the record body of `root` to out, acquiring dictionary references.
void encode_document(simdjson::dom::object root, Dictionary& dict, std::string& out);

// Appends the bytes of one value as stored at `field` (in_array: as an element of the
// array at `field`, so an object's keys get in_array paths) and returns its tag, which
// the caller writes into its node's tag column. Same reference and exception rules as
// encode_document.
// When `references` is given, every reference taken is appended to it (see
// release_references).
PackedTag encode_value(simdjson::dom::element value, PathId field, bool in_array, Dictionary& dict,
                       std::string& out, std::vector<DictionaryReference>* references = nullptr);
// Drops references recorded by encode_value (or by hand), terms before paths.
void release_references(std::span<const DictionaryReference> references, Dictionary& dict);

// Releases every reference the body holds (call before dropping a record).
// REQUIRES: body was produced by encode_document with this dictionary.
void release_document(std::string_view body, Dictionary& dict);
// Releases the references of one value: `value` holds its bytes (for a container, from its
// length prefix on), `field` is as given to encode_value.
void release_value(PackedTag tag, std::string_view value, PathId field, Dictionary& dict);

// Compact JSON: keys in input order; int64/uint64 exact; doubles as the shortest text
// that reads back to the same bits, always with '.' or an exponent (30.0 -> "30.0",
// -0.0 -> "-0.0"); strings escaped as RapidJSON's Writer does (\" \\ \b \f \n \r \t,
// other control characters as \u00XX, everything else, UTF-8 included, passed through).
void decode_document(std::string_view body, const Dictionary& dict, std::string& out);
// Appends the compact JSON (decode_document's format) of one stored value; `value` and
// `field` as for release_value (a container's bytes start at its length prefix).
void decode_value(PackedTag tag, std::string_view value, PathId field, const Dictionary& dict,
                  std::string& out);

// Projection. `paths` are parse_path() results. The output keeps the source key order
// and nesting; a path naming an object gives the whole sub-object; a path that does not
// resolve (missing key, or through an array or a scalar) contributes nothing, and an
// object none of whose requested descendants exist is left out rather than written as
// {}; overlapping paths (a and a.b) give a once. The root braces are always written
// ("{}" if nothing matched). Empty paths are ignored.
void decode_projected(std::string_view body, const Dictionary& dict,
                      std::span<const std::vector<std::string>> paths, std::string& out);

}  // namespace kora::doc
