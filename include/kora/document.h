// Document types: collection configuration, write options and results, and the stats
// structs with their to_json. The calls that use them are Database::doc_* (database.h).
//
// JSON goes in and comes out as text, compact, keys in the order they came in; numbers
// come back as they went in (int64, uint64 and doubles that read back to the same value;
// -0.0 stays -0.0).
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace kora {

struct DocCollectionConfig {
  // A field's string values are interned in the dictionary while the field has at most
  // this many distinct values; beyond it the field's new values stay inline. 0: never
  // intern string values. Default: 10'000.
  std::uint32_t max_interned_terms_per_field = 10'000;
  // Strings shorter than this many bytes always stay inline. Default: 4.
  std::uint32_t min_interned_term_bytes = 4;
  // Compact a shard's arena when garbage / arena bytes passes this ratio. (0, 1].
  // Default: 0.3.
  double compaction_garbage_ratio = 0.3;
};

struct DocCollectionInfo {
  std::string name;
  std::uint64_t created_at_ms;  // Unix epoch
  std::uint64_t doc_count;
  std::uint64_t dictionary_entries;
  DocCollectionConfig config;
};

// A TTL must be > 0 (and at most 10^15 ms); the document expires that long after the write.
// A write without a TTL stores a document that does not expire: replacing a document
// clears its TTL unless the new write gives one. Updates (doc_update) keep the TTL.
struct DocWriteOptions {
  std::optional<std::chrono::milliseconds> ttl;  // none: no expiry
};
struct DocSetResult {
  bool created;  // false: replaced
};
struct DocInsertResult {
  std::string id;
};
struct DocEntry {
  std::string_view id;
  std::string_view json;
  std::optional<std::chrono::milliseconds> ttl = {};  // none: no expiry
};

// One change of a doc_update call; build with the factories. Paths are dotted
// ("address.zip"); a segment of decimal digits addresses an array element ("tags.0") when
// its parent is an array; a key containing '.' (or any text) is written backquoted, as in
// the WHERE language ("`a.b`.c", a backquote doubled inside). Copyable; the values are
// checked (JSON, path syntax) by doc_update, not here.
//
//  set(p, v)   p = v. Missing intermediate objects are created; going through a scalar, or
//              through an array with a segment that is not an index, is kWrongType. On an
//              array, index < size replaces, index == size appends, index > size is
//              kOutOfRange. A new key goes at the end of its object.
//  del(p)      Removes the key or the array element; a missing path is a no-op.
//  incr(p, d)  Adds d to the number at p; a missing path is set to d. An integer plus an
//              integral delta stays an integer when the sum fits int64 (integer overflow is
//              kOutOfRange); otherwise the result is a double (non-finite: kOutOfRange). A
//              non-number is kWrongType; an unsigned delta above INT64_MAX is kOutOfRange.
//  push(p, v)  Appends v to the array at p; a missing path becomes [v]; else kWrongType.
//  pull(p, v)  Removes every element of the array at p equal to v (numbers by value,
//              objects by keys and values in any order); missing: no-op; else kWrongType.
//  merge(o)    RFC 7386 merge patch of the whole document; o must be an object
//              (kInvalidArgument otherwise).
class DocUpdateMutation {
 public:
  enum class Kind : std::uint8_t { kSet, kDel, kIncr, kPush, kPull, kMerge };

  static DocUpdateMutation set(std::string_view path, std::string_view json_value) {
    return DocUpdateMutation(Kind::kSet, path, json_value);
  }
  static DocUpdateMutation del(std::string_view path) {
    return DocUpdateMutation(Kind::kDel, path, {});
  }
  template <std::integral I>
  requires(!std::same_as<I, bool>) static DocUpdateMutation incr(std::string_view path, I delta) {
    DocUpdateMutation m(Kind::kIncr, path, {});
    m.integer_delta_ = true;
    if constexpr (std::is_unsigned_v<I>) {
      m.delta_out_of_range_ = static_cast<std::uint64_t>(delta) >
                              static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    }
    m.int_delta_ = static_cast<std::int64_t>(delta);
    return m;
  }
  static DocUpdateMutation incr(std::string_view path, double delta) {
    DocUpdateMutation m(Kind::kIncr, path, {});
    m.double_delta_ = delta;
    return m;
  }
  static DocUpdateMutation push(std::string_view path, std::string_view json_value) {
    return DocUpdateMutation(Kind::kPush, path, json_value);
  }
  static DocUpdateMutation pull(std::string_view path, std::string_view json_value) {
    return DocUpdateMutation(Kind::kPull, path, json_value);
  }
  static DocUpdateMutation merge(std::string_view json_object) {
    return DocUpdateMutation(Kind::kMerge, {}, json_object);
  }

  Kind kind() const { return kind_; }
  const std::string& path() const { return path_; }  // empty for merge
  const std::string& json() const { return json_; }  // the value or patch; empty for del, incr
  bool integer_delta() const { return integer_delta_; }
  std::int64_t int_delta() const { return int_delta_; }
  double double_delta() const { return double_delta_; }
  bool delta_out_of_range() const { return delta_out_of_range_; }

 private:
  DocUpdateMutation(Kind kind, std::string_view path, std::string_view json)
      : kind_(kind), path_(path), json_(json) {}

  Kind kind_;
  bool integer_delta_ = false;
  bool delta_out_of_range_ = false;
  std::int64_t int_delta_ = 0;
  double double_delta_ = 0;
  std::string path_;
  std::string json_;
};

// Secondary indexes (Database::doc_create_index). Any type may be created on any path,
// whatever it holds; answers never change because an index exists, only their speed.
//   kHash    scalar equality (`p = v`, `p != v`, IN): strings, numbers by value, booleans,
//            null.
//   kSorted  the same plus ranges on numbers and on strings (<, <=, >, >=) and ORDER BY
//            on the path without a sort.
//   kArray   the scalar elements of an array (`p CONTAINS v`).
//   kUnique  a hash index whose scalar values may be held by one document only, across
//            the whole collection (1 and 1.0 clash; null and missing never do).
enum class DocIndexType : std::uint8_t { kHash, kSorted, kArray, kUnique };
struct DocIndexInfo {
  std::string path;  // as given to doc_create_index
  DocIndexType type;
  std::uint64_t distinct_keys;  // summed over shards (a key on two shards counts twice)
  std::uint64_t bytes;          // heap the index holds, CRoaring's bitmaps included
};

struct DocFindOptions {
  std::vector<std::string> projection;  // dotted paths; empty: whole documents
  std::optional<std::uint64_t> limit;   // none: every hit; 0: no hits
  std::uint64_t offset = 0;
  // A path in WHERE syntax; empty: unspecified order, stable while the collection does
  // not change. Order: null < false < true < numbers < strings < arrays < objects;
  // documents without the field last in both directions; ties by id ascending.
  std::string order_by;
  bool descending = false;
};
struct DocHit {
  std::string id;
  std::string json;
};

// Exact bytes, summed over shards.
struct DocStorageInfo {
  std::uint64_t doc_count;
  std::uint64_t live_bytes;            // packed records of live documents
  std::uint64_t garbage_bytes;         // dead records not yet compacted
  std::uint64_t arena_capacity_bytes;  // bytes reserved by arena blocks
  std::uint64_t min_record_bytes, max_record_bytes;
  double avg_record_bytes;
  std::uint64_t compactions;      // runs so far
  std::uint64_t reclaimed_bytes;  // by compaction, so far
  std::uint64_t id_map_bytes;
  std::uint64_t dictionary_bytes;
  std::uint64_t index_bytes;
  // Everything this collection holds, as the heap spent it: the parts above plus the
  // allocator's per-allocation overhead and bookkeeping (slot tables, scratch buffers).
  std::uint64_t total_bytes;
};

struct DocDictionaryFieldInfo {
  std::string path;
  std::uint32_t field_id;
  std::uint64_t interned_terms;
  std::uint64_t cardinality_estimate;
  bool terms_interned;
};
struct DocDictionaryInfo {
  std::uint64_t entries;
  std::uint64_t bytes;
  std::vector<DocDictionaryFieldInfo> fields;
};

// Compact JSON objects whose keys are the structs' field names; each validates against
// its schema in schemas/.
std::string to_json(const DocStorageInfo& info);
std::string to_json(const DocDictionaryInfo& info);
std::string to_json(const DocCollectionInfo& info);

}  // namespace kora
