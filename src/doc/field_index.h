// Secondary index structures of one shard's collection over doc numbers (record_arena.h),
// as roaring bitmaps (CRoaring 0.2.66: the class is ::Roaring). Building blocks only: the
// caller extracts values from records, decides what to index and keeps every index in
// step with the documents; these classes just hold the key -> docs mapping.
//
//   HashIndex    scalar key -> bitmap of the docs whose field holds it     (`p = v`, IN)
//   SortedIndex  the same, ordered: ranges on numbers or strings, walks in key order
//                in both directions (`p < v`, ORDER BY with top-k)
//   ArrayIndex   element -> bitmap of the docs whose array field contains it (CONTAINS)
//   UniqueIndex  scalar key -> the one doc that holds it, with clash checks
//
// Keys are ScalarKeys, so 30, uint64 30 and 30.0 are one key and the order is API.md's.
// Objects and arrays are never keys: the caller does not index them (a scalar never
// equals an array or object, and CONTAINS takes a scalar).
//
// Invariants shared by the bitmap indexes: no key maps to an empty bitmap (a key whose
// last doc is removed is erased), so distinct_keys() is exact; hash and sorted indexes
// expect each doc under at most one key (a field holds one value), array indexes under
// any number (one per distinct element).
//
// Memory. bytes() is what the index holds on the heap, as requested from the allocator:
//   - map nodes and hash buckets, through CountingAllocator into the index's own
//     MemoryCounter (memory.h), exactly as the Dictionary counts its containers;
//   - out-of-line string buffers of the keys (ScalarKey::allocated_bytes), added to the
//     same counter as keys come and go;
//   - each bitmap's own allocations, from bitmap_memory(): CRoaring cannot take an
//     allocator, and its size functions (getSizeInBytes, the portable and the native
//     serialized sizes) measure serialized bytes, which undercount a sparse bitmap's
//     array capacity and ignore its container headers and key array. bitmap_memory walks
//     the bitmap's containers instead and adds up every block CRoaring allocated: the
//     combined key/typecode/pointer array (allocation_size * 11 bytes), each container
//     header and each container's payload at its capacity (arrays 2 bytes a slot, bitsets
//     8 KiB, runs 4 bytes a run). That walk depends on CRoaring 0.2.x's struct layout,
//     hence the version check in field_index.cc.
// heap_bytes() is the same with glibc's real chunk sizes (memory.h heap_bytes), for
// DocStorageInfo::total_bytes; bytes() is for index_bytes. The bitmap part is computed
// when asked, O(keys + containers), so writes pay nothing for accounting (measured on
// this VM: ~1 ms for 2'000 keys over 1M docs). Checked against glibc's mallinfo2 in the
// tests: heap_bytes() is within 1% of what malloc reports in use (0.04% measured).
// Removing docs does not shrink a bitmap's capacity (CRoaring keeps it); shrink_to_fit()
// gives the slack back. Erasing a key frees all of its bitmap, and an index left empty
// frees its hash buckets, so bytes() returns to a fresh index's value.
//
// Each index owns its MemoryCounter and its allocators point at it, so an index can be
// neither copied nor moved; hold it by unique_ptr.
//
// Exception safety: a mutating call that throws (std::bad_alloc from the maps) leaves the
// index unchanged. CRoaring itself does not report allocation failure from add().
//
// Thread safety: none; a shard's data is touched by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <roaring/roaring.hh>
#include <span>
#include <unordered_map>
#include <utility>

#include "doc/memory.h"
#include "doc/scalar_key.h"
#include "kora/document.h"

namespace kora::doc {

using DocNumber = std::uint32_t;
using Bitmap = ::Roaring;

// The index types of API.md.
using FieldIndexType = kora::DocIndexType;

// The heap a bitmap holds beyond sizeof(Bitmap): `bytes` as requested from malloc,
// `heap_bytes` as glibc spent it (see the file comment). An empty bitmap holds nothing.
MemoryCounter bitmap_memory(const Bitmap& bitmap) noexcept;

// One side of a range; `inclusive` says whether the key itself is in.
struct KeyBound {
  ScalarKey key;
  bool inclusive = true;
};

// The keys of one kind — numbers or strings — between optional bounds, as `p < v` and its
// siblings need: they never match across types, so a range never spans kinds.
//   KeyRange{.kind = ScalarKey::Kind::kNumber, .lo = KeyBound{ScalarKey::from_int64(5), false}}
// is every number > 5. A missing bound is open on that side (within the kind).
// A range is empty when lo > hi, when lo == hi and either side is exclusive, when `kind`
// is not kNumber or kString, or when a bound's key is not of `kind`.
struct KeyRange {
  ScalarKey::Kind kind = ScalarKey::Kind::kNumber;
  std::optional<KeyBound> lo;
  std::optional<KeyBound> hi;
};

namespace index_internal {

// Scalar key -> bitmap in a hash table; the common part of HashIndex and ArrayIndex.
class BitmapHashTable {
 public:
  BitmapHashTable();
  ~BitmapHashTable();
  BitmapHashTable(const BitmapHashTable&) = delete;
  BitmapHashTable& operator=(const BitmapHashTable&) = delete;

  // Adds `doc` under `key`; adding a doc that is already there changes nothing.
  void add(const ScalarKey& key, DocNumber doc);
  // Removes `doc` from `key`; true when it was there. The key goes when its last doc does.
  bool remove(const ScalarKey& key, DocNumber doc);
  // The docs under `key`; nullptr when there are none (never an empty bitmap). Valid until
  // the next mutating call.
  const Bitmap* lookup(const ScalarKey& key) const;

  std::uint64_t distinct_keys() const { return map_.size(); }
  std::uint64_t bytes() const { return memory().bytes; }
  std::uint64_t heap_bytes() const { return memory().heap_bytes; }
  MemoryCounter memory() const;
  // Gives back the capacity removals left in the bitmaps (CRoaring's shrink_to_fit).
  void shrink_to_fit();

  // f(const ScalarKey&, const Bitmap&) for every key, in unspecified order. f must not
  // modify the index.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [key, bitmap] : map_) f(key, bitmap);
  }

 private:
  using Map = std::unordered_map<ScalarKey, Bitmap, ScalarKey::Hash, std::equal_to<>,
                                 CountingAllocator<std::pair<const ScalarKey, Bitmap>>>;

  MemoryCounter counter_;  // declared before map_: the map's allocator points here
  Map map_;
};

}  // namespace index_internal

// `p = v` and `p IN (...)`: each doc sits under the one scalar its field holds (null
// included: `p = NULL` matches a stored null), so the bitmaps are disjoint and their
// cardinalities add up; nothing here depends on it.
class HashIndex : public index_internal::BitmapHashTable {
 public:
  static constexpr FieldIndexType kType = FieldIndexType::kHash;
};

// `p CONTAINS v`: each doc sits under every distinct scalar element of its array (null
// elements included; object and array elements are not indexed). Adding a doc once per
// element, repeats included, is fine: a doc is in a bitmap at most once. To take a doc out,
// call remove (or remove_elements) with each distinct element it held; repeats are
// harmless, a missing element leaves the doc in that element's bitmap.
class ArrayIndex : public index_internal::BitmapHashTable {
 public:
  static constexpr FieldIndexType kType = FieldIndexType::kArray;

  void add_elements(std::span<const ScalarKey> elements, DocNumber doc) {
    for (const ScalarKey& e : elements) add(e, doc);
  }
  void remove_elements(std::span<const ScalarKey> elements, DocNumber doc) {
    for (const ScalarKey& e : elements) remove(e, doc);
  }
};

// Ordered scalar key -> bitmap: equality, ranges over numbers or strings, and walks in
// key order (null < false < true < numbers < strings) both ways. REQUIRES (caller): at
// most one key per doc — range_cardinality relies on it.
class SortedIndex {
 private:
  // Orders keys, and places a KindEdge before every key of its kind and the kinds after.
  struct KindEdge {
    int rank;  // static_cast<int>(ScalarKey::Kind)
  };
  struct KeyLess {
    using is_transparent = void;
    bool operator()(const ScalarKey& a, const ScalarKey& b) const noexcept { return a < b; }
    bool operator()(const ScalarKey& a, KindEdge e) const noexcept {
      return static_cast<int>(a.kind()) < e.rank;
    }
    bool operator()(KindEdge e, const ScalarKey& a) const noexcept {
      return e.rank <= static_cast<int>(a.kind());
    }
  };
  using Map =
      std::map<ScalarKey, Bitmap, KeyLess, CountingAllocator<std::pair<const ScalarKey, Bitmap>>>;

 public:
  static constexpr FieldIndexType kType = FieldIndexType::kSorted;
  // Bidirectional, over (const ScalarKey, Bitmap) pairs in ascending key order; valid
  // until the next mutating call.
  using const_iterator = Map::const_iterator;
  using const_reverse_iterator = Map::const_reverse_iterator;
  // A run of consecutive entries: range-for walks it ascending, rbegin()/rend()
  // descending. (Not std::ranges::subrange: clang 14 cannot compile it with libstdc++ 12.)
  struct Entries {
    const_iterator first, last;
    const_iterator begin() const { return first; }
    const_iterator end() const { return last; }
    const_reverse_iterator rbegin() const { return const_reverse_iterator(last); }
    const_reverse_iterator rend() const { return const_reverse_iterator(first); }
    bool empty() const { return first == last; }
  };

  SortedIndex();
  ~SortedIndex();
  SortedIndex(const SortedIndex&) = delete;
  SortedIndex& operator=(const SortedIndex&) = delete;

  // As BitmapHashTable's.
  void add(const ScalarKey& key, DocNumber doc);
  bool remove(const ScalarKey& key, DocNumber doc);
  const Bitmap* lookup(const ScalarKey& key) const;

  // Every entry, ascending.
  Entries entries() const { return Entries{map_.begin(), map_.end()}; }
  // The entries whose keys are in `range`, ascending (empty for an empty range).
  Entries entries(const KeyRange& range) const;

  // The union of the bitmaps of the keys in `range`.
  Bitmap range_union(const KeyRange& range) const;
  // The number of docs under the keys in `range`, without building the union: the sum of
  // the bitmaps' cardinalities, O(keys in range). Exact given one key per doc.
  std::uint64_t range_cardinality(const KeyRange& range) const;

  // f(const ScalarKey&, const Bitmap&) -> bool for each entry of `range` (or of the whole
  // index), ascending or descending; f returns false to stop. Returns false when f
  // stopped. For ORDER BY ... LIMIT k: walk from the top and stop after k docs.
  template <class F>
  bool for_each(const KeyRange& range, bool descending, F&& f) const {
    return walk(entries(range), descending, f);
  }
  template <class F>
  bool for_each(bool descending, F&& f) const {
    return walk(entries(), descending, f);
  }

  std::uint64_t distinct_keys() const { return map_.size(); }
  std::uint64_t bytes() const { return memory().bytes; }
  std::uint64_t heap_bytes() const { return memory().heap_bytes; }
  MemoryCounter memory() const;
  void shrink_to_fit();

 private:
  template <class F>
  static bool walk(Entries entries, bool descending, F& f) {
    if (descending) {
      for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        if (!f(it->first, it->second)) return false;
      }
    } else {
      for (const auto& [key, bitmap] : entries) {
        if (!f(key, bitmap)) return false;
      }
    }
    return true;
  }

  MemoryCounter counter_;  // declared before map_: the map's allocator points here
  Map map_;
};

// Unique scalar values: key -> the one doc that holds it. 1 and 1.0 are one key, so they
// clash. Null never clashes: the caller does not index nulls (nor missing values), and
// this class enforces it — check() on null finds no clash, insert() of null does nothing.
// On a write, check every unique index first and insert only when none clashes, so a
// failed write changes nothing; on an update, a doc keeping its value is no clash.
class UniqueIndex {
 public:
  static constexpr FieldIndexType kType = FieldIndexType::kUnique;

  UniqueIndex();
  ~UniqueIndex();
  UniqueIndex(const UniqueIndex&) = delete;
  UniqueIndex& operator=(const UniqueIndex&) = delete;

  // The doc, other than `doc`, that already holds `key`; nullopt when inserting `key` for
  // `doc` would not clash (free, held by `doc` itself, or null).
  std::optional<DocNumber> check(const ScalarKey& key, DocNumber doc) const;
  // Makes `doc` the holder of `key`. False, and nothing changes, when another doc holds
  // it; true when inserted or already held by `doc`; true for null (not stored).
  bool insert(const ScalarKey& key, DocNumber doc);
  // Removes `key` if `doc` holds it; false otherwise (another holder is left alone).
  bool erase(const ScalarKey& key, DocNumber doc);
  // The holder of `key`, if any.
  std::optional<DocNumber> find(const ScalarKey& key) const;

  std::uint64_t distinct_keys() const { return map_.size(); }
  // Exact and O(1): everything this index holds goes through its counter.
  std::uint64_t bytes() const { return counter_.bytes; }
  std::uint64_t heap_bytes() const { return counter_.heap_bytes; }
  MemoryCounter memory() const { return counter_; }

 private:
  using Map = std::unordered_map<ScalarKey, DocNumber, ScalarKey::Hash, std::equal_to<>,
                                 CountingAllocator<std::pair<const ScalarKey, DocNumber>>>;

  MemoryCounter counter_;  // declared before map_: the map's allocator points here
  Map map_;
};

}  // namespace kora::doc
