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
  Shard(std::uint32_t shard_index, const core::Clock& clock, kv::KvLimits kv_limits)
      : index(shard_index), kv(clock, kv_limits) {}

  // This shard's slice of a collection, or nullptr when there is no such collection.
  doc::CollectionShard* collection(std::string_view name) {
    auto it = collections.find(name);
    return it == collections.end() ? nullptr : it->second.get();
  }

  const std::uint32_t index;
  kv::KvStore kv;
  std::map<std::string, std::unique_ptr<doc::CollectionShard>, std::less<>> collections;
};

}  // namespace kora::shard
