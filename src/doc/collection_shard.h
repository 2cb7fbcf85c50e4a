// CollectionShard: one shard's slice of one collection — its dictionary, record arena and
// id map — and the document operations on it.
//
// A stored record is: varint (id length << 1 | has_ttl), the id bytes, then the packed
// body (docs/record-format.md). Keeping the id inside the record lets the id map hold only
// doc numbers; the TTL bit lets reads skip the expiry table for documents without one.
//
// TTLs: an expiry table (doc number -> Unix ms) and a queue ordered by time. A document
// whose time has come is treated as missing by every call and erased when a call meets
// it; sweep_expired() reclaims the rest in bounded steps. Counts purge expired documents
// first, so they are exact.
//
// Indexes: every write keeps the shard's bitmaps (collection_indexes.h) exact, and checks
// the collection's unique indexes in the shared UniqueRegistry first; a write a unique
// index rejects changes nothing.
//
// Runs on its shard only (no locks; the UniqueRegistry has its own). Writes are
// all-or-nothing for input errors: the caller validated the JSON, the id and any
// projection before calling.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "doc/collection_indexes.h"
#include "doc/dictionary.h"
#include "doc/document_editor.h"
#include "doc/id_map.h"
#include "doc/json_ingest.h"
#include "doc/memory.h"
#include "doc/query_ast.h"
#include "doc/query_eval.h"
#include "doc/record_arena.h"
#include "doc/unique_registry.h"
#include "kora/document.h"

namespace kora::doc {

class CollectionShard {
 public:
  // An absolute expiry time (Unix ms), or nullopt for none.
  using ExpireAt = std::optional<core::TimeMs>;

  // `clock` must outlive the collection; `unique` is the collection's registry, shared by
  // its shards.
  CollectionShard(const DocCollectionConfig& config, const core::Clock& clock,
                  std::shared_ptr<UniqueRegistry> unique);
  CollectionShard(const CollectionShard&) = delete;
  CollectionShard& operator=(const CollectionShard&) = delete;

  // Creates or replaces; the document expires at expire_at (a replace without one clears
  // the old TTL). true: created. kConstraintViolation: a unique index rejected it.
  // `reserved`: a doc_mset entry whose unique values the batch reserved (UniqueRegistry).
  Result<bool> set(std::string_view id, const ParsedDocument& doc, ExpireAt expire_at = {},
                   bool reserved = false);
  // Stores only when the id is free. false: it was taken (nothing changed).
  Result<bool> insert_new(std::string_view id, const ParsedDocument& doc, ExpireAt expire_at = {});
  // Appends the document's JSON (whole, or projected when `projection` is non-empty) to
  // out; false when there is no such document.
  bool get(std::string_view id, std::span<const std::vector<std::string>> projection,
           std::string& out);
  bool erase(std::string_view id);
  bool contains(std::string_view id);
  // Applies the mutations atomically (see document_editor.h); the TTL is kept. false: no
  // such document. On error nothing changed.
  Result<bool> update(std::string_view id, std::span<const EditOp> ops, std::uint32_t max_depth);

  // TTLs. expire: false when there is no such document. persist: false when there is none
  // or it has no TTL. ttl: the expiry time, nullopt when there is no document or no TTL.
  bool expire(std::string_view id, core::TimeMs expire_at);
  bool persist(std::string_view id);
  std::optional<core::TimeMs> expire_at(std::string_view id);
  // Erases up to max_docs expired documents; returns how many.
  std::size_t sweep_expired(std::size_t max_docs);

  // One bounded step of an on-demand compaction (until no block holds garbage).
  // true: more remains.
  bool compact_all_step();

  // ---- indexes (see collection_indexes.h) ----
  // Adds the index and backfills it from every document. A unique index's values are
  // claimed in the registry; a clash returns kConstraintViolation (the caller then drops
  // the index everywhere). REQUIRES: no index on the path yet.
  Status create_index(CollectionIndexes::Definition definition);
  bool drop_index(std::string_view path_text);
  // Per index, in path order: {distinct keys, bytes} on this shard.
  std::vector<DocIndexInfo> index_info() const;

  // ---- queries (collection_query.cc) ----
  struct FindRequest {
    const Query* query = nullptr;
    std::span<const std::vector<std::string>> projection;
    const QueryPath* order_by = nullptr;  // nullptr: doc-number order
    bool descending = false;
    std::optional<std::uint64_t> keep;  // the first `keep` hits suffice (offset + limit)
    // false: leave Hit::json empty; the caller fetches the JSON of the hits it keeps.
    bool with_json = true;
  };
  struct Hit {
    std::string id;
    std::string json;
    std::optional<SortValue> sort;  // order_by only; nullopt: the path is missing
    DocNumber doc = 0;
  };
  // The matching documents (expired ones purged first), ordered by the request; at most
  // `keep` of them.
  void find(const FindRequest& request, std::vector<Hit>& out);
  // Fills the JSON of hits a find on this shard returned, if no write has happened since
  // (generation() unchanged); false otherwise, and nothing is filled.
  bool fetch(std::uint64_t generation, std::span<Hit* const> hits,
             std::span<const std::vector<std::string>> projection) const;
  // Whether a sorted index on `path` can order a find (see collection_query.cc).
  bool has_sorted_index(const QueryPath& path) const;
  // Changes with every write to the documents (not with compaction or TTL changes).
  std::uint64_t generation() const { return generation_; }
  std::uint64_t count(const Query& query);
  // The count when the bitmaps alone answer it; nullopt when it needs a scan.
  std::optional<std::uint64_t> exact_count(const Query& query);

  // Live documents (expired ones are purged first).
  std::uint64_t doc_count();
  // Storage figures of this shard (after purging expired documents); the caller sums.
  DocStorageInfo storage_info();
  const Dictionary& dictionary() const { return dictionary_; }

 private:
  template <class T>
  using Alloc = CountingAllocator<T>;
  using ExpiryTable =
      std::unordered_map<DocNumber, core::TimeMs, std::hash<DocNumber>, std::equal_to<>,
                         Alloc<std::pair<const DocNumber, core::TimeMs>>>;
  using ExpiryQueue = std::set<std::pair<core::TimeMs, DocNumber>, std::less<>,
                               Alloc<std::pair<core::TimeMs, DocNumber>>>;

  // The live document with this id; an expired one is erased and reported missing.
  std::optional<DocNumber> find(std::string_view id, std::uint64_t hash);
  bool expired(DocNumber doc) const;
  // Builds the record of (id, doc) in scratch_, acquiring dictionary references.
  void build_record(std::string_view id, const ParsedDocument& doc, bool has_ttl);
  void release_record(DocNumber doc);
  // Unlinks and frees a document (its TTL included).
  void erase_document(DocNumber doc, std::string_view id, std::uint64_t hash);
  // Sets, changes or clears (nullopt) the TTL of a stored document.
  void set_expiry(DocNumber doc, ExpireAt expire_at);
  // A bounded compaction step after a write that created `garbage_created` bytes of
  // garbage, when garbage passes the configured ratio.
  void maybe_compact(std::uint64_t garbage_created);
  // Checks and claims `next`'s unique values for `id` (releasing what `previous` held).
  // `expire_at`: the document's expiry after the write.
  Status claim_unique(std::string_view id, const IndexedValues* previous, const IndexedValues& next,
                      ExpireAt expire_at, bool reserved = false);
  // After a TTL change: the registry's copy of the document's expiry.
  void refresh_unique_expiry(DocNumber doc, ExpireAt expire_at);
  void release_unique(std::string_view id, const IndexedValues& values);
  // Appends the hit for `doc` (id and JSON) to out.
  void append_hit(DocNumber doc, std::span<const std::vector<std::string>> projection,
                  std::vector<Hit>& out) const;
  void write_json(DocNumber doc, std::span<const std::vector<std::string>> projection,
                  std::string& out) const;

  // A document's id with its first bytes as a number, so that ordering by id compares
  // one integer and reads the ids' bytes only on a tie.
  struct IdOrdered {
    IdOrdered(std::string_view id_, DocNumber doc_) : head(id_head(id_)), id(id_), doc(doc_) {}
    // The first 8 bytes, big-endian, zero-padded: a < b as numbers implies a < b as ids.
    static std::uint64_t id_head(std::string_view id) {
      std::uint64_t head = 0;
      if (id.size() >= 8) {
        std::memcpy(&head, id.data(), 8);  // one load, not a memcpy call
        if constexpr (std::endian::native == std::endian::little) head = __builtin_bswap64(head);
        return head;
      }
      for (std::size_t i = 0; i < 8; ++i) {
        head = head << 8 | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0u);
      }
      return head;
    }
    friend bool operator<(const IdOrdered& a, const IdOrdered& b) {
      return a.head != b.head ? a.head < b.head : a.id < b.id;
    }
    std::uint64_t head;
    std::string_view id;
    DocNumber doc;
  };

  DocCollectionConfig config_;
  const core::Clock& clock_;
  MemoryCounter dictionary_bytes_;
  MemoryCounter arena_bytes_;
  MemoryCounter id_map_bytes_;
  MemoryCounter expiry_bytes_;
  Dictionary dictionary_;
  RecordArena arena_;
  IdMap id_map_;
  ExpiryTable expiry_table_;
  ExpiryQueue expiry_queue_;
  std::string scratch_;  // reused record buffer; its capacity counts in total_bytes
  std::shared_ptr<UniqueRegistry> unique_;
  CollectionIndexes indexes_;
  // Reused per write: what the old and the new body give the indexes.
  IndexedValues old_values_;
  IndexedValues new_values_;
  std::vector<UniqueRegistry::Claim> claims_;
  // Reused by ordered finds that walk a sorted index: one key's documents.
  std::vector<DocNumber> walk_docs_;
  std::vector<IdOrdered> walk_group_;
  std::uint64_t generation_ = 0;
  std::string_view editing_id_;  // the document update() is editing, for its unique check
  ExpireAt editing_expiry_;
  EditCheck unique_check_;  // built once: claims new_values_ for editing_id_
};

// The record header: {id length, has_ttl, bytes the header took}. Inline, as the
// accessors below: queries call them once a document.
struct RecordHeader {
  std::uint64_t id_length;
  bool has_ttl;
  std::size_t size;
};
inline RecordHeader read_record_header(std::string_view record) {
  std::uint64_t value = 0;
  std::size_t i = 0;
  for (int shift = 0; i < record.size(); shift += 7) {
    const auto byte = static_cast<std::uint8_t>(record[i++]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  return {value >> 1, (value & 1) != 0, i};
}

// The id stored at the front of a record.
inline std::string_view record_id(std::string_view record) {
  const RecordHeader h = read_record_header(record);
  return record.substr(h.size, h.id_length);
}
// The packed body after the id.
inline std::string_view record_body(std::string_view record) {
  const RecordHeader h = read_record_header(record);
  return record.substr(h.size + h.id_length);
}
// Whether the record's document has a TTL (an entry in the expiry table).
inline bool record_has_ttl(std::string_view record) { return (record[0] & 1) != 0; }

}  // namespace kora::doc
