// Document paths: dotted segments, a segment that needs other characters in backquotes.
//
//   path    := segment ('.' segment)*
//   segment := [A-Za-z_][A-Za-z0-9_]*  |  [0-9]+  |  `any text`
//
// Inside backquotes a backquote is doubled (``` `a``b` ``` is the key "a`b"); a backquoted
// segment may be empty and may hold any bytes, '.' included. The all-digits bare form
// (`tags.0`) is an extension of the WHERE grammar so updates can address array elements;
// here it is just a key made of digits — whether it means an element is the caller's call.
// Keywords (AND, IN, ...) are not special at this level.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kora/status.h"

namespace kora::doc {

// Splits `text` into its segments (unquoted). Errors: kInvalidQuery with
// detail()->position = byte offset of the offending character: 0 for an empty path, the
// trailing '.' for "a.", the opening backquote of an unterminated segment, otherwise the
// first character that cannot continue the path (e.g. '-' in "a-b", the second '.' in
// "a..b").
Result<std::vector<std::string>> parse_path(std::string_view text);

// True when `segment` can be written without backquotes: it matches
// [A-Za-z_][A-Za-z0-9_]* or [0-9]+.
bool is_bare_segment(std::string_view segment) noexcept;

// Appends `segment` in canonical form (bare when is_bare_segment, else backquoted with
// backquotes doubled).
void append_segment(std::string_view segment, std::string& out);

// The canonical text of `segments`, joined by '.'; parse_path(format_path(x)) == x for any
// non-empty x. An empty span gives "".
std::string format_path(std::span<const std::string> segments);

}  // namespace kora::doc
