// Database::Impl: the engine behind the public handle, plus the caller-side checks every
// call makes before it reaches a shard.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/errors.h"
#include "doc/json_ingest.h"
#include "doc/unique_registry.h"
#include "kora/config.h"
#include "kora/database.h"
#include "kora/document.h"
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

  doc::IngestLimits ingest_limits() const {
    return doc::IngestLimits{config_.limits.max_document_bytes, config_.limits.max_document_depth};
  }

  // Runs f(kv::KvStore&) on the shard that owns `key`.
  template <class F>
  auto on_key(std::string_view key, F&& f) {
    return engine_->call(engine_->shard_of(key), [&f](shard::Shard& shard) { return f(shard.kv); });
  }

  // The collection catalog: the one place collections are created and dropped, so two
  // concurrent creates (or a create and a drop) of one name cannot interleave shard by
  // shard. Document reads and writes never take this lock.
  struct CollectionMeta {
    DocCollectionConfig config;
    std::uint64_t created_at_ms;
    // The collection's unique-index holders, shared with its shards (unique_registry.h).
    std::shared_ptr<doc::UniqueRegistry> unique;
    // Index paths (as given) whose creation or drop is under way or done: create and drop
    // hold catalog_mutex while they run on the shards, so this is only for doc_indexes'
    // order and the kAlreadyExists / kNotFound answers.
    std::map<std::string, DocIndexType, std::less<>> indexes;
  };
  // The collection's unique registry, or nullptr when there is no such collection.
  std::shared_ptr<doc::UniqueRegistry> unique_registry(std::string_view collection) {
    std::lock_guard lock(catalog_mutex);
    auto it = catalog.find(collection);
    return it == catalog.end() ? nullptr : it->second.unique;
  }
  std::mutex catalog_mutex;
  std::map<std::string, CollectionMeta, std::less<>> catalog;  // guarded by catalog_mutex

 private:
  Config config_;
  std::unique_ptr<shard::ShardEngine> engine_;
};

}  // namespace kora
