// KvStore: one shard's key-value data (strings, lists, hashes, sets) with millisecond TTLs.
//
// Runs on its shard only: the shard engine guarantees one thread at a time, so nothing here
// locks. Method semantics are those of the same-named kora::Database methods (see
// include/kora/database.h); this layer adds no routing. Key and value sizes are checked by
// the caller (Database) before dispatch, except where only the store can know the result
// size (append), which it checks against the limits given at construction.
//
// Expiry: lazy on every access (an expired key is removed when touched), plus
// sweep_expired(), which the shard worker calls periodically so an idle shard reclaims
// expired keys. Expired-but-unswept keys are never visible: size() purges them first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "kora/status.h"

namespace kora::kv {

using core::TimeMs;

struct KvLimits {
  std::size_t max_value_bytes = 512u << 20;
};

// Heterogeneous hashing so lookups by std::string_view never build a std::string.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept;
};
struct StringEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};

using StringSet = std::unordered_set<std::string, StringHash, StringEqual>;
using StringMap = std::unordered_map<std::string, std::string, StringHash, StringEqual>;

class KvStore {
 public:
  // `clock` must outlive the store.
  KvStore(const core::Clock& clock, KvLimits limits);

  // Strings.
  Result<std::optional<std::string>> get(std::string_view key);
  // expire_at: absolute unix ms, or nullopt for no TTL (an existing TTL is cleared).
  Status set(std::string_view key, std::string_view value, std::optional<TimeMs> expire_at);
  Result<bool> setnx(std::string_view key, std::string_view value);
  Result<std::optional<std::string>> getset(std::string_view key, std::string_view value);
  Result<std::int64_t> append(std::string_view key, std::string_view value);
  Result<std::int64_t> strlen(std::string_view key);
  Result<bool> del(std::string_view key);
  Result<bool> exists(std::string_view key);
  Result<std::int64_t> incrby(std::string_view key, std::int64_t delta);
  Result<std::string> key_type(std::string_view key);

  // Multi-key parts: the engine passes the keys this shard owns. get_many writes
  // out[positions[i]] for keys[i]; a non-string key reads as nullopt.
  void get_many(std::span<const std::string_view> keys, std::span<const std::uint32_t> positions,
                std::vector<std::optional<std::string>>& out);
  // Number of keys that existed; a key repeated in `keys` counts once.
  std::int64_t del_many(std::span<const std::string_view> keys);
  // Appends every live key matching the Redis glob to `out` (unsorted).
  void keys(std::string_view glob, std::vector<std::string>& out);
  // Number of live keys (purges expired ones first).
  std::uint64_t size();
  // Keys held in memory, expired-but-unreclaimed ones included (for stats and tests of the
  // sweep; size() is the count callers see).
  std::size_t stored_count() const noexcept { return map_.size(); }
  void clear();

  // TTL. ttl_ms <= 0 deletes (true if the key existed).
  Result<bool> pexpire(std::string_view key, std::int64_t ttl_ms);
  Result<bool> persist(std::string_view key);
  // Remaining milliseconds; nullopt when missing or without a TTL.
  Result<std::optional<std::int64_t>> pttl(std::string_view key);

  // Lists.
  Result<std::int64_t> lpush(std::string_view key, std::span<const std::string_view> values);
  Result<std::int64_t> rpush(std::string_view key, std::span<const std::string_view> values);
  Result<std::vector<std::string>> lrange(std::string_view key, std::int64_t start,
                                          std::int64_t stop);
  Result<std::optional<std::string>> lpop(std::string_view key);
  Result<std::optional<std::string>> rpop(std::string_view key);
  Result<std::int64_t> llen(std::string_view key);
  Result<std::optional<std::string>> lindex(std::string_view key, std::int64_t index);

  // Hashes.
  Result<bool> hset(std::string_view key, std::string_view field, std::string_view value);
  Result<std::optional<std::string>> hget(std::string_view key, std::string_view field);
  Result<std::int64_t> hdel(std::string_view key, std::span<const std::string_view> fields);
  Result<std::vector<std::pair<std::string, std::string>>> hgetall(std::string_view key);
  Result<std::int64_t> hlen(std::string_view key);
  Result<bool> hexists(std::string_view key, std::string_view field);
  Result<std::int64_t> hincrby(std::string_view key, std::string_view field, std::int64_t delta);

  // Sets.
  Result<std::int64_t> sadd(std::string_view key, std::span<const std::string_view> members);
  Result<std::vector<std::string>> smembers(std::string_view key);
  Result<std::int64_t> srem(std::string_view key, std::span<const std::string_view> members);
  Result<bool> sismember(std::string_view key, std::string_view member);
  Result<std::int64_t> scard(std::string_view key);

  // Active expiry: removes up to max_keys keys whose TTL has passed, earliest first.
  // Returns how many were removed.
  std::size_t sweep_expired(std::size_t max_keys);

 private:
  using List = std::deque<std::string>;
  using Value = std::variant<std::string, List, StringMap, StringSet>;
  struct Entry {
    Value value;
    TimeMs expire_at = 0;  // 0: no TTL
  };
  using Map = std::unordered_map<std::string, Entry, StringHash, StringEqual>;

  // The live entry for key, removing it first if it has expired; nullptr when absent.
  Entry* find_live(std::string_view key);
  // As find_live, as an iterator (map_.end() when absent) for callers that may erase.
  Map::iterator find_live_iter(std::string_view key);
  // find_live, then: nullptr when absent, kWrongType when it holds another type.
  template <class T>
  Result<T*> find_typed(std::string_view key);
  // The entry of type T for key, created empty when absent; kWrongType otherwise.
  template <class T>
  Result<T*> find_or_create(std::string_view key);
  void set_expiry(Map::iterator it, TimeMs expire_at);
  void erase(Map::iterator it);

  const core::Clock& clock_;
  KvLimits limits_;
  Map map_;
  // (expire_at, key) for every key with a TTL: the sweep pops from the front.
  std::set<std::pair<TimeMs, std::string>, std::less<>> expiry_queue_;
};

// Redis glob matching (STRINGMATCHLEN semantics): * ? [abc] [a-c] [^a] and \ escapes.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

}  // namespace kora::kv
