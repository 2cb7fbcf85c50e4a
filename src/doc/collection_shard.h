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
// Runs on its shard only (no locks). Writes are all-or-nothing for input errors: the
// caller validated the JSON, the id and any projection before calling.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "doc/dictionary.h"
#include "doc/document_editor.h"
#include "doc/id_map.h"
#include "doc/json_ingest.h"
#include "doc/memory.h"
#include "doc/record_arena.h"
#include "kora/document.h"

namespace kora::doc {

class CollectionShard {
 public:
  // An absolute expiry time (Unix ms), or nullopt for none.
  using ExpireAt = std::optional<core::TimeMs>;

  // `clock` must outlive the collection.
  CollectionShard(const DocCollectionConfig& config, const core::Clock& clock);
  CollectionShard(const CollectionShard&) = delete;
  CollectionShard& operator=(const CollectionShard&) = delete;

  // Creates or replaces; the document expires at expire_at (a replace without one clears
  // the old TTL). true: created.
  bool set(std::string_view id, const ParsedDocument& doc, ExpireAt expire_at = {});
  // Stores only when the id is free. false: it was taken (nothing changed).
  bool insert_new(std::string_view id, const ParsedDocument& doc, ExpireAt expire_at = {});
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
};

// The id stored at the front of a record.
std::string_view record_id(std::string_view record);
// The packed body after the id.
std::string_view record_body(std::string_view record);
// Whether the record's document has a TTL (an entry in the expiry table).
bool record_has_ttl(std::string_view record);

}  // namespace kora::doc
