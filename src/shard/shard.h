// Shard: the data one shard owns. Only the thread holding the shard's execution right (see
// shard_engine.h) touches it, so nothing inside locks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "doc/collection_shard.h"
#include "kv/kv_store.h"

namespace kora::shard {

struct Shard {
  Shard(std::uint32_t shard_index, const core::Clock& shard_clock, kv::KvLimits kv_limits)
      : index(shard_index), clock(shard_clock), kv(shard_clock, kv_limits) {}

  // This shard's slice of a collection, or nullptr when there is no such collection.
  doc::CollectionShard* collection(std::string_view name) {
    auto it = collections.find(name);
    return it == collections.end() ? nullptr : it->second.get();
  }

  // Reclaims up to max_items expired keys and documents (keys first); returns how many.
  std::size_t sweep_expired(std::size_t max_items) {
    std::size_t swept = kv.sweep_expired(max_items);
    for (auto& [name, collection] : collections) {
      if (swept >= max_items) break;
      swept += collection->sweep_expired(max_items - swept);
    }
    return swept;
  }

  const std::uint32_t index;
  const core::Clock& clock;
  kv::KvStore kv;
  std::map<std::string, std::unique_ptr<doc::CollectionShard>, std::less<>> collections;
};

}  // namespace kora::shard
