// Opening options: Config and LimitsConfig.
//
// Config is an aggregate, so designated initialisers work:
//   auto db = kora::Database::open({.shard_count = 4});
// Database::open() calls validate() and refuses a bad Config with the same Status.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "kora/status.h"

namespace kora {

// The number of hardware threads, at least 1.
std::uint32_t default_shard_count() noexcept;

struct LimitsConfig {
  // Largest JSON document accepted, in bytes. Must be > 0. Default: 16 MiB.
  std::size_t max_document_bytes = 16u << 20;
  // Deepest nesting accepted; the root object counts as 1. 1..1024 (document updates walk
  // nesting recursively, so the bound keeps their stack use small). Default: 128.
  std::uint32_t max_document_depth = 128;
  // Largest KV value (a string, one list element, hash value or set member) and RESP bulk
  // string, in bytes. A write beyond it is kLimitExceeded. Must be > 0. Default: 512 MiB.
  std::size_t max_value_bytes = 512u << 20;
  // Largest key (and hash field), in bytes. A call with a longer key is kLimitExceeded.
  // Must be > 0. Default: 512 MiB, as in Redis.
  std::size_t max_key_bytes = 512u << 20;
};

struct Config {
  // Number of shards, each owned by one worker thread. 1..1024, else kInvalidArgument.
  // Default: default_shard_count().
  std::uint32_t shard_count = default_shard_count();
  // How often each shard's worker reclaims expired keys when it is otherwise idle.
  // Must be 1 ms .. 1 hour. Default: 100 ms.
  std::chrono::milliseconds expiry_sweep_interval{100};
  LimitsConfig limits;
  // The time source for TTLs and timestamps: milliseconds since the Unix epoch. Called from
  // shard worker threads and callers alike, so it must be thread-safe. Tests inject a
  // controllable clock here. Default (empty): the system clock.
  std::function<std::int64_t()> clock;

  // OK, or kInvalidArgument naming the first bad field.
  Status validate() const;
};

}  // namespace kora
