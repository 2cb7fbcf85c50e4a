// Document types: collection configuration, write options and results, and the stats
// structs with their to_json. The calls that use them are Database::doc_* (database.h).
//
// JSON goes in and comes out as text, compact, keys in the order they came in; numbers
// come back as they went in (int64, uint64 and doubles that read back to the same value;
// -0.0 stays -0.0).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
