// Database: the embedded engine handle.
//
// A Database owns N shards, each with one worker thread. Every key hashes (XXH3 with a fixed
// seed) to the one shard that owns it; shards share no data. Calls are synchronous: when the
// owning shard is idle the caller runs the command itself while holding the shard's single
// execution right, otherwise it hands the command to the shard's worker and waits. Either
// way exactly one thread touches a shard's data at a time, and every single-key call is
// atomic. Multi-key calls (mget, mset, del_many, keys, db_size, flush_db) are split by
// shard; each shard's part is atomic, the call as a whole is not (another thread may see
// some shards' part applied and not others').
//
// Keys, values, fields and members are arbitrary bytes (std::string_view in, std::string
// out); the empty key is a valid key. Where this header is silent, semantics follow Redis 7.
// A key longer than LimitsConfig::max_key_bytes, or a value longer than max_value_bytes, is
// kLimitExceeded and changes nothing. Calls on a key holding another type are kWrongType.
//
// Thread safety: any number of threads may share one Database and call any method
// concurrently. The destructor must not run concurrently with other calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kora/config.h"
#include "kora/document.h"
#include "kora/status.h"

namespace kora {

class Database {
 public:
  using KeyList = std::span<const std::string_view>;
  using KeyValueList = std::span<const std::pair<std::string_view, std::string_view>>;

  // Starts config.shard_count workers. Errors: whatever config.validate() returns;
  // kInternal if a thread cannot be started. Never crashes on a bad Config.
  static Result<std::unique_ptr<Database>> open(Config config = {});
  // Drains every queued command, then stops and joins the shard workers.
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  std::uint32_t shard_count() const noexcept;
  // The shard that owns `key`: XXH3-64 of the key with a fixed seed, modulo shard_count().
  // The same key maps to the same shard in every process with the same shard_count.
  std::uint32_t shard_of(std::string_view key) const noexcept;

  // ---- Strings ----------------------------------------------------------------------
  // The string value, or nullopt when the key is missing or expired. kWrongType if the
  // key holds a list, hash or set.
  Result<std::optional<std::string>> get(std::string_view key);
  // Stores the value whatever the key held before, and clears its TTL.
  Status set(std::string_view key, std::string_view value);
  // As set, with a TTL. kInvalidArgument when ttl <= 0.
  Status set_ex(std::string_view key, std::string_view value, std::chrono::milliseconds ttl);
  // Sets only when the key does not exist. true: it was set.
  Result<bool> setnx(std::string_view key, std::string_view value);
  // Sets the value (clearing the TTL) and returns the old one (nullopt if none).
  // kWrongType (and no change) when the key holds another type.
  Result<std::optional<std::string>> getset(std::string_view key, std::string_view value);
  // Appends to the string (creating it) and returns the new length. kLimitExceeded when
  // the result would exceed max_value_bytes.
  Result<std::int64_t> append(std::string_view key, std::string_view value);
  // Length of the string; 0 when missing.
  Result<std::int64_t> strlen(std::string_view key);
  // Removes a key of any type. true: it existed.
  Result<bool> del(std::string_view key);
  Result<bool> del(std::initializer_list<std::string_view>) = delete;  // use del_many
  // Removes keys of any type; returns how many existed (a repeated key counts once).
  Result<std::int64_t> del_many(KeyList keys);
  Result<std::int64_t> del_many(std::initializer_list<std::string_view> keys);
  // true: the key exists (any type) and has not expired.
  Result<bool> exists(std::string_view key);
  // Integer arithmetic on a string holding a base-10 int64 (a missing key counts as 0;
  // the TTL is kept). kOutOfRange, with the value unchanged, when the value is not such an
  // integer or the result overflows. kWrongType on other types.
  Result<std::int64_t> incr(std::string_view key);
  Result<std::int64_t> decr(std::string_view key);
  Result<std::int64_t> incrby(std::string_view key, std::int64_t delta);
  Result<std::int64_t> decrby(std::string_view key, std::int64_t delta);
  // Positional: result[i] is keys[i]'s string value, nullopt when missing, expired or of
  // another type.
  Result<std::vector<std::optional<std::string>>> mget(KeyList keys);
  Result<std::vector<std::optional<std::string>>> mget(
      std::initializer_list<std::string_view> keys);
  // Sets every pair (clearing TTLs); for a repeated key the last pair wins. All sizes are
  // checked first: one oversized entry rejects the whole call with detail()->batch_index.
  Status mset(KeyValueList entries);
  Status mset(std::initializer_list<std::pair<std::string_view, std::string_view>> entries);
  // Every live key matching a Redis glob (* ? [abc] [a-c] [^a] and \ escapes), sorted
  // bytewise.
  Result<std::vector<std::string>> keys(std::string_view glob);
  // "none", "string", "list", "hash" or "set".
  Result<std::string> key_type(std::string_view key);
  // Number of live keys; expired keys are never counted.
  Result<std::uint64_t> db_size();
  // Removes every key (documents stay).
  Status flush_db();

  // ---- TTL ---------------------------------------------------------------------------
  // Set a TTL on an existing key. false: no such key. A TTL <= 0 deletes the key (true if
  // it existed).
  Result<bool> expire(std::string_view key, std::chrono::seconds ttl);
  Result<bool> pexpire(std::string_view key, std::chrono::milliseconds ttl);
  // Removes the TTL. false: no such key or it had none.
  Result<bool> persist(std::string_view key);
  // Remaining time. nullopt: no such key, or a key without TTL. ttl() rounds to the
  // nearest second; pttl() is exact to the millisecond.
  Result<std::optional<std::chrono::seconds>> ttl(std::string_view key);
  Result<std::optional<std::chrono::milliseconds>> pttl(std::string_view key);

  // ---- Lists -------------------------------------------------------------------------
  // Push each value in turn at the head (lpush: so the last value ends first) or tail;
  // returns the new length. An empty list of values is kInvalidArgument.
  Result<std::int64_t> lpush(std::string_view key, KeyList values);
  Result<std::int64_t> lpush(std::string_view key, std::initializer_list<std::string_view> values);
  Result<std::int64_t> rpush(std::string_view key, KeyList values);
  Result<std::int64_t> rpush(std::string_view key, std::initializer_list<std::string_view> values);
  // Elements start..stop inclusive; negative indexes count from the end; out-of-range
  // bounds are clamped as in Redis LRANGE.
  Result<std::vector<std::string>> lrange(std::string_view key, std::int64_t start,
                                          std::int64_t stop);
  // Removes and returns the head (lpop) or tail (rpop); an emptied list is deleted.
  Result<std::optional<std::string>> lpop(std::string_view key);
  Result<std::optional<std::string>> rpop(std::string_view key);
  Result<std::int64_t> llen(std::string_view key);
  // Element at index (negative from the end); nullopt when out of range or missing.
  Result<std::optional<std::string>> lindex(std::string_view key, std::int64_t index);

  // ---- Hashes ------------------------------------------------------------------------
  // true: the field is new.
  Result<bool> hset(std::string_view key, std::string_view field, std::string_view value);
  Result<std::optional<std::string>> hget(std::string_view key, std::string_view field);
  // Number of fields removed; an emptied hash is deleted.
  Result<std::int64_t> hdel(std::string_view key, KeyList fields);
  Result<std::int64_t> hdel(std::string_view key, std::initializer_list<std::string_view> fields);
  // Every (field, value), in unspecified order.
  Result<std::vector<std::pair<std::string, std::string>>> hgetall(std::string_view key);
  Result<std::int64_t> hlen(std::string_view key);
  Result<bool> hexists(std::string_view key, std::string_view field);
  // As incrby, on a hash field.
  Result<std::int64_t> hincrby(std::string_view key, std::string_view field, std::int64_t delta);

  // ---- Sets --------------------------------------------------------------------------
  // Number of members added (not already present).
  Result<std::int64_t> sadd(std::string_view key, KeyList members);
  Result<std::int64_t> sadd(std::string_view key, std::initializer_list<std::string_view> members);
  // Every member, in unspecified order.
  Result<std::vector<std::string>> smembers(std::string_view key);
  // Number of members removed; an emptied set is deleted.
  Result<std::int64_t> srem(std::string_view key, KeyList members);
  Result<std::int64_t> srem(std::string_view key, std::initializer_list<std::string_view> members);
  Result<bool> sismember(std::string_view key, std::string_view member);
  Result<std::int64_t> scard(std::string_view key);

  // ---- Documents ---------------------------------------------------------------------
  // Collections exist on every shard; each (collection, id) hashes to the one shard that
  // holds the document. Names: 1..255 bytes, no control characters (else
  // kInvalidArgument). Using a collection that does not exist is kNotFound; collections are
  // never created implicitly. Document ids: 1 byte .. 1 KiB, any bytes (else
  // kInvalidArgument). JSON is parsed and validated on the calling thread before any shard
  // is touched: the root must be an object (kInvalidArgument); malformed JSON or UTF-8 is
  // kInvalidJson with detail()->position; documents above LimitsConfig::max_document_bytes
  // or deeper than max_document_depth are kLimitExceeded. On any error nothing changes.

  // kAlreadyExists if the name is taken. config.compaction_garbage_ratio must be in (0, 1].
  Status doc_create_collection(std::string_view name, const DocCollectionConfig& config = {});
  // Removes the collection and all its documents. false: it did not exist.
  Result<bool> doc_drop_collection(std::string_view name);
  // Every collection name, sorted bytewise.
  Result<std::vector<std::string>> doc_collections();
  Result<DocCollectionInfo> doc_collection_info(std::string_view name);

  // Creates or replaces the document; options.ttl as in DocWriteOptions (a replace without
  // a TTL clears the old one).
  Result<DocSetResult> doc_set(std::string_view collection, std::string_view id,
                               std::string_view json, const DocWriteOptions& options = {});
  // Stores the document under a generated id: a time-ordered 128-bit id written as 36
  // characters (8-4-4-4-12 lowercase hex, UUID version 7 layout); never overwrites.
  Result<DocInsertResult> doc_insert(std::string_view collection, std::string_view json,
                                     const DocWriteOptions& options = {});
  // Validates every entry first: one bad entry rejects the whole batch, naming it in
  // detail()->batch_index. Entries apply in order (a repeated id: the last wins); results
  // are positional. An empty batch is OK. Each entry's ttl as in DocWriteOptions.
  Result<std::vector<DocSetResult>> doc_mset(std::string_view collection,
                                             std::span<const DocEntry> entries);
  // The document as compact JSON, or nullopt. With a projection (dotted paths, backquoted
  // segments), only those paths, in the source's key order and nesting; missing paths are
  // skipped. A malformed path is kInvalidQuery.
  Result<std::optional<std::string>> doc_get(std::string_view collection, std::string_view id,
                                             std::span<const std::string_view> projection = {});
  Result<std::optional<std::string>> doc_get(std::string_view collection, std::string_view id,
                                             std::initializer_list<std::string_view> projection);
  // Positional: result[i] is ids[i]'s document or nullopt.
  Result<std::vector<std::optional<std::string>>> doc_mget(std::string_view collection,
                                                           std::span<const std::string_view> ids);
  Result<std::vector<std::optional<std::string>>> doc_mget(
      std::string_view collection, std::initializer_list<std::string_view> ids);
  // true: the document existed and was removed.
  Result<bool> doc_del(std::string_view collection, std::string_view id);
  Result<bool> doc_exists(std::string_view collection, std::string_view id);

  // Applies every mutation (see DocUpdateMutation) in order, atomically: if one fails, its
  // error is returned (detail()->batch_index names it) and the document, the dictionary
  // and the stats are exactly as before. false: no such document. An empty list is
  // kInvalidArgument. Values are parsed as documents are (kInvalidJson, kLimitExceeded);
  // a result nested deeper than max_document_depth is kLimitExceeded. The TTL is kept.
  Result<bool> doc_update(std::string_view collection, std::string_view id,
                          std::span<const DocUpdateMutation> mutations);
  Result<bool> doc_update(std::string_view collection, std::string_view id,
                          std::initializer_list<DocUpdateMutation> mutations);

  // Document TTLs. An expired document is gone for every read and count at once; the
  // shard's sweep reclaims its memory soon after. doc_expire: false when there is no such
  // document; a TTL <= 0 deletes it (true if it existed). doc_persist: false when there
  // is no such document or it has no TTL. doc_ttl: the remaining milliseconds, rounded
  // up (at least 1 while the document lives); nullopt when there is no such document or
  // it has no TTL.
  Result<bool> doc_expire(std::string_view collection, std::string_view id,
                          std::chrono::milliseconds ttl);
  Result<bool> doc_persist(std::string_view collection, std::string_view id);
  Result<std::optional<std::chrono::milliseconds>> doc_ttl(std::string_view collection,
                                                           std::string_view id);

  // Secondary indexes (see DocIndexType). Creating one backfills it from every document;
  // a unique index over duplicates is kConstraintViolation naming two clashing ids and is
  // not created. An index on the same path already: kAlreadyExists (whatever its type).
  // The path is in WHERE syntax (malformed: kInvalidQuery). drop: kNotFound when there is
  // no index on the path. doc_indexes: sorted by path.
  Status doc_create_index(std::string_view collection, std::string_view path, DocIndexType type);
  Status doc_drop_index(std::string_view collection, std::string_view path);
  Result<std::vector<DocIndexInfo>> doc_indexes(std::string_view collection);

  // The documents matching `where` (the WHERE language of docs/api.md; empty matches
  // every document), as {id, JSON} pairs, ordered and paged by `options`. Each shard plans
  // with its bitmaps, checks what the indexes cannot answer on the packed records, and
  // keeps only offset + limit hits when a limit is given. Errors: kInvalidQuery with
  // detail()->position (WHERE), kInvalidQuery naming the bad projection or order_by path.
  Result<std::vector<DocHit>> doc_find(std::string_view collection, std::string_view where,
                                       const DocFindOptions& options = {});
  // The number of matching documents; answered from bitmap cardinalities alone when every
  // predicate has an index (or is EXISTS / match-all).
  Result<std::uint64_t> doc_count(std::string_view collection, std::string_view where = {});

  // Exact storage figures summed over shards (see DocStorageInfo).
  Result<DocStorageInfo> doc_storage_info(std::string_view collection);
  // Interned field paths and terms, summed over shards (a path on two shards is listed
  // once, its counts summed).
  Result<DocDictionaryInfo> doc_dictionary_info(std::string_view collection);
  // Compacts every shard's arena now (each shard in bounded steps).
  Status doc_compact(std::string_view collection);

  class Impl;

 private:
  explicit Database(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kora
