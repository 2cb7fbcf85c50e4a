// Planning a WHERE query on one shard with bitmap algebra (collection_indexes.h).
//
// plan() turns the query into a set of doc numbers plus a flag: exact (the set is exactly
// the matching documents) or a superset (every match is in it; the caller checks each
// candidate on its packed record with matches()). Per node:
//   match-all                 live, exact
//   p = v, p IN (...)         the hash, unique or sorted index's bitmaps, exact; else the
//                             path's presence bitmap (a superset)
//   p < v (<=, >, >=)         the sorted index's range union, exact; else presence
//   p CONTAINS v              the array index's bitmap, exact; else presence
//   p EXISTS                  presence, exact
//   a path the shard's dictionary has never seen: the empty set, exact
//   AND                       intersection; exact when every operand is
//   OR                        union; exact when every operand is
//   NOT x, p != v             live minus x when x is exact; else live (a superset)
// A set that is an existing bitmap (an index entry, presence, live) is borrowed, not
// copied, so an indexed equality costs a lookup; count() of an AND of two exact borrowed
// sets uses and_cardinality without building the intersection.
//
// Borrowed bitmaps stay valid until the shard's next write: plan, use and drop within one
// shard call.
#pragma once

#include <cstdint>

#include "doc/collection_indexes.h"
#include "doc/query_ast.h"
#include "doc/query_eval.h"

namespace kora::doc {

class Candidates {
 public:
  static Candidates borrow(const Bitmap& set, bool exact) {
    Candidates c;
    c.borrowed_ = &set;
    c.exact_ = exact;
    return c;
  }
  static Candidates own(Bitmap set, bool exact) {
    Candidates c;
    c.owned_ = std::move(set);
    c.exact_ = exact;
    return c;
  }
  static Candidates none() { return own(Bitmap(), true); }

  const Bitmap& set() const { return borrowed_ != nullptr ? *borrowed_ : owned_; }
  bool exact() const { return exact_; }
  bool borrowed() const { return borrowed_ != nullptr; }
  // The set as an owned bitmap (copies a borrowed one).
  Bitmap take() && { return borrowed_ != nullptr ? *borrowed_ : std::move(owned_); }

 private:
  const Bitmap* borrowed_ = nullptr;
  Bitmap owned_;
  bool exact_ = true;
};

// REQUIRES: `bound` was bound from `query` with the shard's current dictionary.
Candidates plan(const Query& query, const BoundQuery& bound, const CollectionIndexes& indexes);

// The number of documents matching when the plan is exact, without materialising what it
// need not; nullopt when the plan needs a residual check (the caller scans).
std::optional<std::uint64_t> exact_count(const Query& query, const BoundQuery& bound,
                                         const CollectionIndexes& indexes);

}  // namespace kora::doc
