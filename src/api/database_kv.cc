// The key-value half of Database: caller-side checks and routing; the work itself runs in
// kv::KvStore on the owning shard.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "api/database_impl.h"
#include "core/guard.h"
#include "kora/database.h"

namespace kora {
namespace {

using core::with_batch_index;
using shard::Fanout;
using shard::Shard;
using KeyList = Database::KeyList;

// Keys grouped by owning shard: for shard s, keys[s][i] came from input position
// positions[s][i].
struct ShardGroups {
  std::vector<std::vector<std::string_view>> keys;
  std::vector<std::vector<std::uint32_t>> positions;
};

ShardGroups group_by_shard(shard::ShardEngine& engine, KeyList keys) {
  ShardGroups groups;
  groups.keys.resize(engine.shard_count());
  groups.positions.resize(engine.shard_count());
  for (std::uint32_t i = 0; i < keys.size(); ++i) {
    const std::uint32_t s = engine.shard_of(keys[i]);
    groups.keys[s].push_back(keys[i]);
    groups.positions[s].push_back(i);
  }
  return groups;
}

Status first_error(const std::vector<Status>& statuses) {
  for (const Status& s : statuses) {
    if (!s.ok()) return s;
  }
  return {};
}

}  // namespace

// ---- Strings ------------------------------------------------------------------------

Result<std::optional<std::string>> Database::get(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.get(key); });
}

Status Database::set(std::string_view key, std::string_view value) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  KORA_RETURN_IF_ERROR(impl_->check_value(value));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.set(key, value, std::nullopt); });
}

Status Database::set_ex(std::string_view key, std::string_view value,
                        std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) {
    return core::invalid_argument("set_ex needs a ttl > 0, got " + std::to_string(ttl.count()) +
                                  " ms");
  }
  KORA_RETURN_IF_ERROR(core::check_ttl(ttl.count()));
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  KORA_RETURN_IF_ERROR(impl_->check_value(value));
  return impl_->on_key(key, [&](kv::KvStore& kv) {
    return kv.set(key, value, impl_->engine().clock().now_ms() + ttl.count());
  });
}

Result<bool> Database::setnx(std::string_view key, std::string_view value) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  KORA_RETURN_IF_ERROR(impl_->check_value(value));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.setnx(key, value); });
}

Result<std::optional<std::string>> Database::getset(std::string_view key, std::string_view value) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  KORA_RETURN_IF_ERROR(impl_->check_value(value));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.getset(key, value); });
}

Result<std::int64_t> Database::append(std::string_view key, std::string_view value) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  KORA_RETURN_IF_ERROR(impl_->check_value(value));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.append(key, value); });
}

Result<std::int64_t> Database::strlen(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.strlen(key); });
}

Result<bool> Database::del(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.del(key); });
}

Result<std::int64_t> Database::del_many(KeyList keys) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (Status s = impl_->check_key(keys[i]); !s.ok()) return with_batch_index(s, i);
  }
  return core::guarded([&]() -> Result<std::int64_t> {
    ShardGroups groups = group_by_shard(impl_->engine(), keys);
    auto counts = impl_->engine().call_all([&](Shard& shard) -> Result<std::int64_t> {
      const auto& mine = groups.keys[shard.index];
      return mine.empty() ? 0 : shard.kv.del_many(mine);
    });
    std::int64_t total = 0;
    for (auto& count : counts) {
      KORA_RETURN_IF_ERROR(count);
      total += *count;
    }
    return total;
  });
}

Result<std::int64_t> Database::del_many(std::initializer_list<std::string_view> keys) {
  return del_many(KeyList(keys.begin(), keys.size()));
}

Result<bool> Database::exists(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.exists(key); });
}

Result<std::int64_t> Database::incr(std::string_view key) { return incrby(key, 1); }
Result<std::int64_t> Database::decr(std::string_view key) { return incrby(key, -1); }

Result<std::int64_t> Database::incrby(std::string_view key, std::int64_t delta) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.incrby(key, delta); });
}

Result<std::int64_t> Database::decrby(std::string_view key, std::int64_t delta) {
  if (delta == std::numeric_limits<std::int64_t>::min()) {
    return core::out_of_range("decrement would overflow");
  }
  return incrby(key, -delta);
}

Result<std::vector<std::optional<std::string>>> Database::mget(KeyList keys) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (Status s = impl_->check_key(keys[i]); !s.ok()) return with_batch_index(s, i);
  }
  return core::guarded([&]() -> Result<std::vector<std::optional<std::string>>> {
    std::vector<std::optional<std::string>> values(keys.size());
    ShardGroups groups = group_by_shard(impl_->engine(), keys);
    // Each shard writes only the positions of its own keys, so the parts never overlap.
    auto statuses = impl_->engine().call_all([&](Shard& shard) -> Status {
      const auto& mine = groups.keys[shard.index];
      if (!mine.empty()) shard.kv.get_many(mine, groups.positions[shard.index], values);
      return {};
    });
    KORA_RETURN_IF_ERROR(first_error(statuses));
    return values;
  });
}

Result<std::vector<std::optional<std::string>>> Database::mget(
    std::initializer_list<std::string_view> keys) {
  return mget(KeyList(keys.begin(), keys.size()));
}

Status Database::mset(KeyValueList entries) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    Status s = impl_->check_key(entries[i].first);
    if (s.ok()) s = impl_->check_value(entries[i].second);
    if (!s.ok()) return with_batch_index(s, i);
  }
  return core::guarded([&]() -> Status {
    const std::uint32_t n = impl_->engine().shard_count();
    std::vector<std::vector<std::pair<std::string_view, std::string_view>>> parts(n);
    for (const auto& entry : entries) parts[impl_->engine().shard_of(entry.first)].push_back(entry);
    auto statuses = impl_->engine().call_all([&](Shard& shard) -> Status {
      // In input order, so for a repeated key (always on one shard) the last pair wins.
      for (const auto& [key, value] : parts[shard.index]) {
        KORA_RETURN_IF_ERROR(shard.kv.set(key, value, std::nullopt));
      }
      return {};
    });
    return first_error(statuses);
  });
}

Status Database::mset(
    std::initializer_list<std::pair<std::string_view, std::string_view>> entries) {
  return mset(KeyValueList(entries.begin(), entries.size()));
}

Result<std::vector<std::string>> Database::keys(std::string_view glob) {
  return core::guarded([&]() -> Result<std::vector<std::string>> {
    auto parts = impl_->engine().call_all(
        [&](Shard& shard) -> Result<std::vector<std::string>> {
          std::vector<std::string> found;
          shard.kv.keys(glob, found);
          return found;
        },
        Fanout::kParallel);
    std::vector<std::string> all;
    for (auto& part : parts) {
      KORA_RETURN_IF_ERROR(part);
      all.insert(all.end(), std::make_move_iterator(part->begin()),
                 std::make_move_iterator(part->end()));
    }
    std::sort(all.begin(), all.end());
    return all;
  });
}

Result<std::string> Database::key_type(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.key_type(key); });
}

Result<std::uint64_t> Database::db_size() {
  auto sizes = impl_->engine().call_all(
      [](Shard& shard) -> Result<std::uint64_t> { return shard.kv.size(); });
  std::uint64_t total = 0;
  for (auto& size : sizes) {
    KORA_RETURN_IF_ERROR(size);
    total += *size;
  }
  return total;
}

Status Database::flush_db() {
  auto statuses = impl_->engine().call_all(
      [](Shard& shard) -> Status {
        shard.kv.clear();
        return {};
      },
      Fanout::kParallel);
  return first_error(statuses);
}

// ---- TTL ----------------------------------------------------------------------------

Result<bool> Database::expire(std::string_view key, std::chrono::seconds ttl) {
  if (ttl.count() > core::kMaxTtlMs / 1000) {
    return core::invalid_argument("ttl of " + std::to_string(ttl.count()) + " s is too large");
  }
  return pexpire(key, std::chrono::duration_cast<std::chrono::milliseconds>(ttl));
}

Result<bool> Database::pexpire(std::string_view key, std::chrono::milliseconds ttl) {
  KORA_RETURN_IF_ERROR(core::check_ttl(ttl.count()));
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  // A very negative TTL behaves as any TTL <= 0 (delete) and must not overflow below.
  const std::int64_t ttl_ms = std::max<std::int64_t>(ttl.count(), 0);
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.pexpire(key, ttl_ms); });
}

Result<bool> Database::persist(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.persist(key); });
}

Result<std::optional<std::chrono::seconds>> Database::ttl(std::string_view key) {
  KORA_ASSIGN_OR_RETURN(auto remaining, pttl(key));
  if (!remaining) return std::optional<std::chrono::seconds>();
  // Redis rounds TTL to the nearest second.
  return std::optional<std::chrono::seconds>(
      std::chrono::seconds((remaining->count() + 500) / 1000));
}

Result<std::optional<std::chrono::milliseconds>> Database::pttl(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  KORA_ASSIGN_OR_RETURN(auto remaining,
                        impl_->on_key(key, [&](kv::KvStore& kv) { return kv.pttl(key); }));
  if (!remaining) return std::optional<std::chrono::milliseconds>();
  return std::optional<std::chrono::milliseconds>(std::chrono::milliseconds(*remaining));
}

// ---- Lists --------------------------------------------------------------------------

namespace {
// Checks every element of a list-shaped argument against the value limit.
Status check_values(const Database::Impl& impl, KeyList values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (Status s = impl.check_value(values[i]); !s.ok()) return with_batch_index(s, i);
  }
  return {};
}
}  // namespace

Result<std::int64_t> Database::lpush(std::string_view key, KeyList values) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  KORA_RETURN_IF_ERROR(check_values(*impl_, values));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.lpush(key, values); });
}

Result<std::int64_t> Database::lpush(std::string_view key,
                                     std::initializer_list<std::string_view> values) {
  return lpush(key, KeyList(values.begin(), values.size()));
}

Result<std::int64_t> Database::rpush(std::string_view key, KeyList values) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  KORA_RETURN_IF_ERROR(check_values(*impl_, values));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.rpush(key, values); });
}

Result<std::int64_t> Database::rpush(std::string_view key,
                                     std::initializer_list<std::string_view> values) {
  return rpush(key, KeyList(values.begin(), values.size()));
}

Result<std::vector<std::string>> Database::lrange(std::string_view key, std::int64_t start,
                                                  std::int64_t stop) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.lrange(key, start, stop); });
}

Result<std::optional<std::string>> Database::lpop(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.lpop(key); });
}

Result<std::optional<std::string>> Database::rpop(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.rpop(key); });
}

Result<std::int64_t> Database::llen(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.llen(key); });
}

Result<std::optional<std::string>> Database::lindex(std::string_view key, std::int64_t index) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.lindex(key, index); });
}

// ---- Hashes -------------------------------------------------------------------------

Result<bool> Database::hset(std::string_view key, std::string_view field, std::string_view value) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  KORA_RETURN_IF_ERROR(impl_->check_key(field));
  KORA_RETURN_IF_ERROR(impl_->check_value(value));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.hset(key, field, value); });
}

Result<std::optional<std::string>> Database::hget(std::string_view key, std::string_view field) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  KORA_RETURN_IF_ERROR(impl_->check_key(field));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.hget(key, field); });
}

Result<std::int64_t> Database::hdel(std::string_view key, KeyList fields) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.hdel(key, fields); });
}

Result<std::int64_t> Database::hdel(std::string_view key,
                                    std::initializer_list<std::string_view> fields) {
  return hdel(key, KeyList(fields.begin(), fields.size()));
}

Result<std::vector<std::pair<std::string, std::string>>> Database::hgetall(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.hgetall(key); });
}

Result<std::int64_t> Database::hlen(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.hlen(key); });
}

Result<bool> Database::hexists(std::string_view key, std::string_view field) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  KORA_RETURN_IF_ERROR(impl_->check_key(field));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.hexists(key, field); });
}

Result<std::int64_t> Database::hincrby(std::string_view key, std::string_view field,
                                       std::int64_t delta) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  KORA_RETURN_IF_ERROR(impl_->check_key(field));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.hincrby(key, field, delta); });
}

// ---- Sets ---------------------------------------------------------------------------

Result<std::int64_t> Database::sadd(std::string_view key, KeyList members) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  KORA_RETURN_IF_ERROR(check_values(*impl_, members));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.sadd(key, members); });
}

Result<std::int64_t> Database::sadd(std::string_view key,
                                    std::initializer_list<std::string_view> members) {
  return sadd(key, KeyList(members.begin(), members.size()));
}

Result<std::vector<std::string>> Database::smembers(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.smembers(key); });
}

Result<std::int64_t> Database::srem(std::string_view key, KeyList members) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.srem(key, members); });
}

Result<std::int64_t> Database::srem(std::string_view key,
                                    std::initializer_list<std::string_view> members) {
  return srem(key, KeyList(members.begin(), members.size()));
}

Result<bool> Database::sismember(std::string_view key, std::string_view member) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.sismember(key, member); });
}

Result<std::int64_t> Database::scard(std::string_view key) {
  KORA_RETURN_IF_ERROR(impl_->check_key(key));
  return impl_->on_key(key, [&](kv::KvStore& kv) { return kv.scard(key); });
}

}  // namespace kora
