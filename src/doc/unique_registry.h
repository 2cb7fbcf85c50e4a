// UniqueRegistry: the holders of a collection's unique index values, collection-wide.
//
// Why it is shared. Shards share no data, but a unique constraint spans every shard: two
// documents that clash usually live on different shards. So each collection has one
// registry, created with the collection and shared by its shards, holding, per unique
// index, value -> the id of the one document that holds it. It is the only structure two
// shard threads touch; a mutex guards it, and only writes to a collection that has a
// unique index take that mutex (a few hash lookups under it, never a shard call).
// Queries never read it: each shard also keeps a hash index of its own documents' values
// of the path (collection_indexes.h).
//
// Protocol. A write checks and claims every new value of the written document in one
// critical section (claim), so two shards cannot both take a value; releasing the values a
// document no longer holds happens in the same section. A claim names the holder when it
// fails and then changes nothing. Values are ScalarKeys, so 1 and 1.0 clash; null is never
// held (null and missing never clash).
//
// Expiry. Each holder carries its document's expiry time: a holder whose document has
// expired no longer holds anything (its shard may not have swept it yet), so a claim takes
// the value over; the late sweep's release then finds another holder and leaves it.
//
// Memory: every map node and key buffer goes through the registry's MemoryCounter, and the
// holder ids' heap buffers are added to it; bytes(path) is one index's share.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/errors.h"
#include "doc/memory.h"
#include "doc/scalar_key.h"

namespace kora::doc {

class UniqueRegistry {
 public:
  // One document's value for one unique index: the path text and the key (nullopt: the
  // document holds no value there — missing, null, array or object).
  struct Claim {
    std::string_view path;
    std::optional<ScalarKey> old_key;  // what the document held before the write
    std::optional<ScalarKey> new_key;  // what it holds after
  };

  struct Holder {
    std::string id;
    core::TimeMs expire_at = 0;  // 0: the document does not expire
  };

  UniqueRegistry() = default;
  UniqueRegistry(const UniqueRegistry&) = delete;
  UniqueRegistry& operator=(const UniqueRegistry&) = delete;

  // Adds an empty table for `path` (its text; `segments` parsed). REQUIRES: none exists.
  void add_index(std::string_view path, std::vector<std::string> segments);
  // Every table's path text and segments.
  std::vector<std::pair<std::string, std::vector<std::string>>> paths() const;
  void drop_index(std::string_view path);
  bool has_index(std::string_view path) const;

  // For document `id`, which after the write expires at `expire_at` (0: never): checks
  // every claim's new key is free, held by `id`, or held by an expired document (at
  // `now`); if one is held by another live document, returns kConstraintViolation naming
  // that id and changes nothing. Otherwise makes `id` the holder of every new key (with
  // the expiry) and releases every old key `id` held that is not its new key. Claims on
  // paths without a table are ignored (the index is being dropped). May throw
  // std::bad_alloc part way (the caller treats bad_alloc as fatal for the call).
  // `reserved`: the write belongs to a batch reserve_batch accepted: nothing is checked,
  // and a key the batch gave to another id is left to it (an earlier entry of a repeated
  // id may name a value a later entry of the batch takes).
  Status claim(std::string_view id, std::span<const Claim> claims, core::TimeMs now,
               core::TimeMs expire_at, bool reserved = false);

  // Releases `key` on `path` if `id` holds it.
  void release(std::string_view path, std::string_view id, const ScalarKey& key);

  // Reserves a batch's values (doc_mset) before any of it is written, so no write of the
  // batch can then fail on a clash. Entries apply in order, as the writes will: an entry's
  // new key must be free, held by its own id, held by an expired document, or given up by
  // an earlier entry that rewrote its holder; the keys the entries end up with are then
  // held by their ids (the shards' writes release what the documents no longer hold).
  // On a clash nothing changes; returns the failing entry's index and the error.
  struct BatchEntry {
    std::string_view id;
    std::span<const Claim> claims;  // new_key only
  };
  std::optional<std::pair<std::size_t, Status>> reserve_batch(std::span<const BatchEntry> entries,
                                                              core::TimeMs now);

  // One index's table: heap bytes (map, keys, holder ids) and distinct values.
  std::uint64_t bytes(std::string_view path) const;
  std::uint64_t distinct_keys(std::string_view path) const;

 private:
  using Holders = std::unordered_map<ScalarKey, Holder, ScalarKey::Hash, std::equal_to<>,
                                     CountingAllocator<std::pair<const ScalarKey, Holder>>>;
  Holders* table(std::string_view path);
  // The live holder of `key` (an expired one holds nothing).
  static const Holder* holder(const Holders& holders, const ScalarKey& key, core::TimeMs now);
  static void erase(Holders& holders, Holders::iterator it);
  // Makes `id` the holder of `key`, taking it from an expired (or freed) holder.
  static void hold(Holders& holders, const ScalarKey& key, std::string_view id,
                   core::TimeMs expire_at);

  mutable std::mutex mutex_;
  struct Table {
    explicit Table(std::vector<std::string> s)
        : segments(std::move(s)),
          holders(0, ScalarKey::Hash(), std::equal_to<>(),
                  CountingAllocator<std::pair<const ScalarKey, Holder>>(&counter)) {}
    std::vector<std::string> segments;
    MemoryCounter counter;  // before holders: their allocator points here
    Holders holders;
  };
  std::map<std::string, std::unique_ptr<Table>, std::less<>> tables_;  // guarded by mutex_
};

// The unique-index key of the value at `path` in a parsed document: nullopt when it is
// missing, null, an array or an object (paths go through objects only).
std::optional<ScalarKey> unique_key_at(simdjson::dom::object root,
                                       std::span<const std::string> path);

// The error a clash reports.
Status unique_violation(std::string_view path, std::string_view holder, std::string_view writer);

}  // namespace kora::doc
