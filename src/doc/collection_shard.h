// CollectionShard: one shard's slice of one collection — its dictionary, record arena and
// id map — and the document operations on it.
//
// A stored record is: varint id length, the id bytes, then the packed body
// (docs/record-format.md). Keeping the id inside the record lets the id map hold only doc
// numbers.
//
// Runs on its shard only (no locks). Writes are all-or-nothing for input errors: the
// caller validated the JSON, the id and any projection before calling.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "doc/dictionary.h"
#include "doc/id_map.h"
#include "doc/json_ingest.h"
#include "doc/memory.h"
#include "doc/record_arena.h"
#include "kora/document.h"

namespace kora::doc {

class CollectionShard {
 public:
  explicit CollectionShard(const DocCollectionConfig& config);
  CollectionShard(const CollectionShard&) = delete;
  CollectionShard& operator=(const CollectionShard&) = delete;

  // Creates or replaces. true: created.
  bool set(std::string_view id, const ParsedDocument& doc);
  // Stores only when the id is free. false: it was taken (nothing changed).
  bool insert_new(std::string_view id, const ParsedDocument& doc);
  // Appends the document's JSON (whole, or projected when `projection` is non-empty) to
  // out; false when there is no such document.
  bool get(std::string_view id, std::span<const std::vector<std::string>> projection,
           std::string& out) const;
  bool erase(std::string_view id);
  bool contains(std::string_view id) const;
  // One bounded step of an on-demand compaction (until no block holds garbage).
  // true: more remains.
  bool compact_all_step();

  std::uint64_t doc_count() const { return arena_.doc_count(); }
  // Storage figures of this shard; the caller sums shards.
  DocStorageInfo storage_info() const;
  const Dictionary& dictionary() const { return dictionary_; }

 private:
  std::optional<DocNumber> find(std::string_view id, std::uint64_t hash) const;
  // Builds the record of (id, doc) in scratch_, acquiring dictionary references.
  void build_record(std::string_view id, const ParsedDocument& doc);
  void release_record(DocNumber doc);
  // A bounded compaction step after a write that created `garbage_created` bytes of
  // garbage, when garbage passes the configured ratio.
  void maybe_compact(std::uint64_t garbage_created);

  DocCollectionConfig config_;
  MemoryCounter dictionary_bytes_;
  MemoryCounter arena_bytes_;
  MemoryCounter id_map_bytes_;
  Dictionary dictionary_;
  RecordArena arena_;
  IdMap id_map_;
  std::string scratch_;  // reused record buffer; its capacity counts in total_bytes
};

// The id stored at the front of a record.
std::string_view record_id(std::string_view record);
// The packed body after the id.
std::string_view record_body(std::string_view record);

}  // namespace kora::doc
