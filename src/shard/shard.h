// Shard: the data one shard owns. Only the thread holding the shard's execution right (see
// shard_engine.h) touches it, so nothing inside locks.
#pragma once

#include <cstdint>

#include "core/clock.h"
#include "kv/kv_store.h"

namespace kora::shard {

struct Shard {
  Shard(std::uint32_t shard_index, const core::Clock& clock, kv::KvLimits kv_limits)
      : index(shard_index), kv(clock, kv_limits) {}

  const std::uint32_t index;
  kv::KvStore kv;
};

}  // namespace kora::shard
