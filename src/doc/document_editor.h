// Applying doc_update mutations to a packed record body, without a JSON round trip.
//
// Two phases make the update all-or-nothing without touching the dictionary on failure:
//   1. Plan: the mutations run in order on an edit tree. Only the containers a mutation
//      walks through are expanded (into key and value slots); every other value stays a
//      slice of the old body. New values stay simdjson elements and new keys stay strings,
//      so planning acquires no dictionary reference and can fail at any step with nothing
//      to undo.
//   2. Commit: the tree is written as a new body: old slices are copied (their references
//      move from the old body to the new one unchanged), new keys and values are interned
//      and encoded, and only then the references of what the mutations removed are
//      released.
// The only failure in the commit is std::bad_alloc; the references it took are released
// before it propagates, so the dictionary keeps the references it had.
//
// Recursion: writing, merging and comparing recurse once per nesting level, bounded by the
// depth limit (Config::limits.max_document_depth <= 1024), which every result must meet.
//
// Thread safety: none beyond the Dictionary's (one shard thread).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "doc/dictionary.h"
#include "doc/json_ingest.h"
#include "kora/document.h"
#include "kora/status.h"

namespace kora::doc {

// A mutation, validated and parsed by the caller (off the shard).
struct EditOp {
  DocUpdateMutation::Kind kind;
  std::vector<std::string> path;          // >= 1 segment, except merge (empty)
  const ParsedDocument* value = nullptr;  // set, push, pull: any value; merge: an object
  bool integer_delta = false;             // incr
  std::int64_t int_delta = 0;
  double double_delta = 0;  // finite
};

// A last check of the new body before the edit is final (a unique index): called with the
// new body while both it and the old body are readable (every reference of each still
// held). A non-OK result undoes the edit's dictionary changes and is returned.
using EditCheck = std::function<Status(std::string_view new_body)>;

// Applies `ops` to `body` (a record body of `dict`) and appends the new body to `out`.
// On error: the failing op's Status with detail()->batch_index = its position, or the
// check's error; `dict` is unchanged (`out` holds garbage). Errors: kWrongType,
// kOutOfRange, kLimitExceeded (result deeper than max_depth).
Status apply_edits(std::string_view body, std::span<const EditOp> ops, Dictionary& dict,
                   std::uint32_t max_depth, std::string& out, const EditCheck* check = nullptr);

}  // namespace kora::doc
