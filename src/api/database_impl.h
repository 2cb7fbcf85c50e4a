// Database::Impl: the engine behind the public handle, plus the caller-side checks every
// call makes before it reaches a shard.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/errors.h"
#include "kora/config.h"
#include "kora/database.h"
#include "shard/shard_engine.h"

namespace kora {

class Database::Impl {
 public:
  Impl(Config config, std::unique_ptr<shard::ShardEngine> engine)
      : config_(std::move(config)), engine_(std::move(engine)) {}

  const Config& config() const noexcept { return config_; }
  shard::ShardEngine& engine() noexcept { return *engine_; }

  Status check_key(std::string_view key) const {
    if (key.size() <= config_.limits.max_key_bytes) [[likely]] {
      return {};
    }
    return core::limit_exceeded("key of " + std::to_string(key.size()) +
                                " bytes exceeds limits.max_key_bytes (" +
                                std::to_string(config_.limits.max_key_bytes) + ")");
  }
  Status check_value(std::string_view value) const {
    if (value.size() <= config_.limits.max_value_bytes) [[likely]] {
      return {};
    }
    return core::limit_exceeded("value of " + std::to_string(value.size()) +
                                " bytes exceeds limits.max_value_bytes (" +
                                std::to_string(config_.limits.max_value_bytes) + ")");
  }

  // Runs f(kv::KvStore&) on the shard that owns `key`.
  template <class F>
  auto on_key(std::string_view key, F&& f) {
    return engine_->call(engine_->shard_of(key), [&f](shard::Shard& shard) { return f(shard.kv); });
  }

 private:
  Config config_;
  std::unique_ptr<shard::ShardEngine> engine_;
};

}  // namespace kora
