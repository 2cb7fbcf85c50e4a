// CollectionIndexes: the roaring bitmaps of one shard's slice of one collection.
//
// Always kept, without being asked:
//   live      every stored doc number (match-all, NOT, !=)
//   presence  per key path reachable through objects only (the paths WHERE can name), the
//             docs where it resolves to any value (EXISTS, and the candidates of any
//             predicate on the path)
// Kept per secondary index (field_index.h structures over doc numbers):
//   kHash, kUnique  HashIndex of the path's scalar values (unique: the collection-wide
//                   constraint lives in the UniqueRegistry; this is the shard's lookup)
//   kSorted         SortedIndex of the scalar values, plus the docs whose value is an array
//                   or an object (ORDER BY walks them after, or before, the scalars)
//   kArray          ArrayIndex of the distinct scalar elements of the path's array
//
// Writes go through IndexedValues: what one body contributes, extracted while its
// dictionary references are valid and owned afterwards (term ids may be reclaimed once the
// body is released). A write extracts the old body's values, writes, then remove(old) and
// add(new); a failed write touches nothing here.
//
// Presence bitmaps are a table indexed by PathId (the dictionary hands out small, dense
// ids), so a write finds each of its paths' bitmaps without hashing. A path id is only
// reclaimed when no document uses it; its bitmap is then empty (and its memory given
// back), so a reused id starts from nothing.
//
// Thread safety: none; runs on its shard.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "doc/dictionary.h"
#include "doc/field_index.h"
#include "doc/memory.h"
#include "doc/query_eval.h"
#include "doc/scalar_key.h"

namespace kora::doc {

// What a body holds at one index's path.
struct IndexedField {
  enum class Kind : std::uint8_t { kMissing, kScalar, kArray, kObject };
  Kind kind = Kind::kMissing;
  ScalarKey key;                    // kScalar
  std::vector<ScalarKey> elements;  // kArray, for array indexes: distinct scalar elements

  friend bool operator==(const IndexedField&, const IndexedField&) = default;
};

// What one body contributes to a shard's bitmaps.
struct IndexedValues {
  std::vector<PathId> present;       // every object path of the body
  std::vector<IndexedField> fields;  // one per secondary index, in index order
};

class CollectionIndexes {
 public:
  struct Definition {
    std::string path_text;          // as given to doc_create_index
    std::vector<std::string> path;  // its segments
    FieldIndexType type;
  };
  struct Index {
    Definition definition;
    std::unique_ptr<HashIndex> hash;      // kHash, kUnique
    std::unique_ptr<SortedIndex> sorted;  // kSorted
    Bitmap non_scalar;                    // kSorted: docs holding an array or an object
    std::unique_ptr<ArrayIndex> array;    // kArray
  };

  CollectionIndexes();
  CollectionIndexes(const CollectionIndexes&) = delete;
  CollectionIndexes& operator=(const CollectionIndexes&) = delete;

  // The values `body` contributes (`out` is reused: no allocation once warm, except for
  // string keys).
  void extract(std::string_view body, const Dictionary& dict, IndexedValues& out) const;
  // The value `body` holds at one index's path.
  IndexedField extract_field(const Index& index, std::string_view body,
                             const Dictionary& dict) const;

  void add(DocNumber doc, const IndexedValues& values);
  void remove(DocNumber doc, const IndexedValues& values);
  // A stored document's new contents: touches only what changed (an update of one value
  // usually leaves every presence bit and most index entries as they were).
  void replace(DocNumber doc, const IndexedValues& before, const IndexedValues& after);

  // Adds an empty index (the caller backfills it with add_to_index). Kept sorted by path.
  // Returns its position.
  std::size_t add_index(Definition definition);
  void add_to_index(std::size_t position, DocNumber doc, const IndexedField& field);
  bool drop_index(std::string_view path_text);

  const Bitmap& live() const { return live_; }
  // The docs where the path resolves, or nullptr when none.
  const Bitmap* presence(PathId path) const;
  std::span<const Index> indexes() const { return indexes_; }
  const Index* find(const std::vector<std::string>& path) const;
  bool has_unique() const { return unique_count_ > 0; }

  // Heap held: bitmaps (bitmap_memory), index maps, presence table.
  MemoryCounter memory() const;
  std::uint64_t index_bytes(const Index& index) const;

 private:
  using PresenceTable = std::vector<Bitmap, CountingAllocator<Bitmap>>;

  void remove_field(std::size_t position, DocNumber doc, const IndexedField& field);

  MemoryCounter presence_table_bytes_;  // before presence_: its allocator points here
  Bitmap live_;
  PresenceTable presence_;  // by PathId
  std::vector<Index> indexes_;
  std::size_t unique_count_ = 0;
};

}  // namespace kora::doc
