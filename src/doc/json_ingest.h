// Parsing and validating incoming documents, on the caller's thread, before a shard sees
// them (simdjson DOM; RapidJSON only to locate errors).
//
// Rules, in the order they are checked:
//   1. json.size() > limits.max_bytes: kLimitExceeded (the text is not parsed).
//   2. Not valid JSON, not valid UTF-8, or anything but whitespace after the value:
//      kInvalidJson, detail()->position = byte offset of the first error (see below).
//      - Integers outside [INT64_MIN, UINT64_MAX] (e.g. 2^64) are rejected as kInvalidJson
//        at the number's first byte: they could not come back exactly as they went in.
//        Numbers that overflow a double (1e400) likewise; underflow (1e-400) reads as 0
//        or a subnormal, as JSON parsers do.
//      - Duplicate keys in one object are rejected as kInvalidJson at the second
//        occurrence's opening quote: last-wins would silently drop data, and "first or
//        last" is ambiguous across tools.
//   3. Nesting deeper than limits.max_depth containers (the root object counts as 1, so
//      128 accepts 128 nested containers and rejects 129): kLimitExceeded, position = the
//      opening bracket of the first container that is too deep. (When the text is also
//      malformed after that point, the depth error wins: parsing stops there.)
//   4. Root not an object: kInvalidArgument.
//
// Error positions: simdjson reports no offsets, so on failure the text is re-read by
// RapidJSON's Reader (UTF-8 validation on, iterative so deep input cannot overflow the
// stack, trailing content checked). The position is the earliest of: RapidJSON's error
// offset, the first invalid UTF-8 sequence, the first out-of-range number, the first
// duplicate key, the first non-whitespace byte after the root value (RapidJSON treats a
// NUL byte as the end of input, so "{}\0x" is caught here). If none of these finds
// anything (simdjson rejected what every check accepts), the position is 0.
//
// Thread safety: parse_document may run on any number of threads at once (one simdjson
// parser per thread). A ParsedDocument is a value: it owns its memory and stays valid
// independently of other parses.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kora/status.h"

namespace kora::doc {

struct IngestLimits {
  std::size_t max_bytes;    // Config::max_document_bytes
  std::uint32_t max_depth;  // Config::max_document_depth
};

// A parsed, validated document whose root is an object. Movable, not copyable.
class ParsedDocument {
 public:
  ParsedDocument() = default;
  ParsedDocument(ParsedDocument&&) noexcept = default;
  ParsedDocument& operator=(ParsedDocument&&) noexcept = default;

  // The root object. Valid while this ParsedDocument lives (also after moves: elements
  // refer to the document, so take root() again after moving it).
  // REQUIRES: produced by parse_document (a root object).
  simdjson::dom::object root() const;
  // The root value, whatever its type (parse_value_into accepts any).
  simdjson::dom::element value() const;
  // Size of the JSON text it was parsed from.
  std::size_t source_bytes() const { return source_bytes_; }
  // Frees the buffers when a large document made them grow, so a reused ParsedDocument
  // does not pin megabytes.
  void release_if_large();

 private:
  friend Status parse_into(std::string_view json, const IngestLimits& limits, bool require_object,
                           ParsedDocument& out);
  simdjson::dom::document doc_;
  std::size_t source_bytes_ = 0;
};

// Parses and validates `json` into `out`, reusing out's buffers (no allocation once they
// are large enough). On error `out` holds no document.
Status parse_document_into(std::string_view json, const IngestLimits& limits, ParsedDocument& out);
Result<ParsedDocument> parse_document(std::string_view json, const IngestLimits& limits);
// As parse_document_into, for a value of any type (rule 4 does not apply): the values of
// update mutations.
Status parse_value_into(std::string_view json, const IngestLimits& limits, ParsedDocument& out);
// The common implementation of the two above.
Status parse_into(std::string_view json, const IngestLimits& limits, bool require_object,
                  ParsedDocument& out);

}  // namespace kora::doc
