// Parsing WHERE expressions and order_by paths (docs/api.md, "The WHERE language").
//
//   expr    := or ;  or := and (OR and)* ;  and := unary (AND unary)*
//   unary   := NOT unary | '(' expr ')' | path EXISTS | path IN '(' value (',' value)* ')'
//            | path op value
//   op      := = | != | < | <= | > | >= | CONTAINS
//   value   := 'string' | "string" | number | TRUE | FALSE | NULL
//   number  := '-'? int frac? exp?        (JSON: no '+', no leading zeros, no '.5' or '5.')
//   path    := segment ('.' segment)* ;  segment := [A-Za-z_][A-Za-z0-9_]* | `any text`
//
// Lexical rules (where docs/api.md is silent, the choice is marked *):
//   - Whitespace is JSON's: space, \t, \n, \r.* It separates tokens and is optional where
//     the tokens cannot run together (`a=1`, `NOT(a=1)`, `a IN(1,2)` are fine).
//   - Keywords AND OR NOT IN EXISTS CONTAINS TRUE FALSE NULL are ASCII case-insensitive
//     and are never bare segments, in any position of a path* (`a.in` is rejected like
//     `in`): write `` `in` ``. A keyword directly followed by '.' is reported as a keyword
//     used as a field name, at the keyword.
//   - A path is one token: no whitespace around its dots* (`a . b` is an error at the
//     '.'), as in projection paths (doc/path.h). Unlike doc/path.h, an all-digit segment
//     must be backquoted (`` tags.`0` ``): WHERE paths resolve through objects only.
//   - Backquoted segments: a backquote is doubled; the segment may be empty and may hold
//     any valid UTF-8, control characters included* (there is no escape syntax inside
//     backquotes, so rejecting them would make such keys unreachable).
//   - Strings: '...' or "..."; escapes \" \' \\ \/ \b \f \n \r \t \uXXXX (hex in either
//     case). \uD800-\uDBFF followed by \uDC00-\uDFFF is joined into one code point; any
//     other surrogate is a lone surrogate and an error at its backslash.* \u0000 is
//     allowed (strings are byte strings). Raw control characters U+0000-U+001F inside a
//     string are an error at that byte,* as in JSON: they are almost always damaged input,
//     and every one of them can be written as an escape.
//   - Numbers: an integer (no '.' or exponent) is int64 when it fits, else uint64 when it
//     fits, else an error at its first byte. `-0` is the integer 0; `-0.0` is the double
//     -0.0. Anything with '.' or an exponent is a double, rounded to nearest; a result too
//     large for a double (1e400) is an error at its first byte, one too small (1e-400)
//     reads as 0 or a subnormal,* as JSON ingestion does (doc/json_ingest.h). A number
//     directly followed by a letter, digit, '_' or '.' is malformed* (`01`, `5.`, `1x`,
//     `1AND`), error at its first byte.
//   - The text must be valid UTF-8. Bytes >= 0x80 may only appear inside strings and
//     backquoted segments; an invalid sequence there is an error at its first byte,
//     anywhere else a non-ASCII byte is an unexpected character at that byte.
//
// Errors: kInvalidQuery, detail()->position = byte offset of the first byte of the
// offending token, with these refinements: an unterminated string or backquoted segment
// reports its opening quote; a bad escape or lone surrogate its backslash; a raw control
// character or an invalid UTF-8 sequence its own first byte; an unexpected end of input
// text.size(). The first error in text order wins (the parser never looks past a token it
// rejects). `<`, `<=`, `>`, `>=` with TRUE, FALSE or NULL: error at that literal.
// `IN ()` (an empty list): error at the ')'.
//
// Limits: NOT and '(' each count one nesting level while their operand is open: 64 levels
// parse, 65 are an error at the 65th NOT or '('. The parser recurses only per level (AND
// and OR chains and NOT chains are loops), so stack use is bounded whatever the input.
// A text of 2^32 bytes or more is rejected (kInvalidQuery at 0): positions are uint32.
//
// Thread safety: both functions are pure; call them from any number of threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "doc/query_ast.h"
#include "kora/status.h"

namespace kora::doc {

// NOT and '(' levels that may be open at once; one more is kInvalidQuery.
inline constexpr std::uint32_t kMaxWhereNesting = 64;

// Parses a whole WHERE text. Empty or all-whitespace text gives a Query whose only node is
// kMatchAll. Errors as described above.
Result<Query> parse_where(std::string_view text);

// Parses a text that must be exactly one path in WHERE syntax (an order_by value),
// optionally surrounded by whitespace. Returns its unquoted segments (never empty).
// Errors: kInvalidQuery; empty or all-whitespace text at text.size() (callers that give
// an empty order_by a meaning, "no order", test for it first); a keyword at the keyword;
// anything after the path at its first byte (`a b` at 2, `a = 1` at 2).
Result<std::vector<std::string>> parse_where_path(std::string_view text);

}  // namespace kora::doc
