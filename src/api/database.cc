#include "kora/database.h"

#include "api/database_impl.h"

namespace kora {

Result<std::unique_ptr<Database>> Database::open(Config config) {
  KORA_RETURN_IF_ERROR(config.validate());
  shard::ShardEngine::Options options;
  options.shard_count = config.shard_count;
  options.sweep_interval = config.expiry_sweep_interval;
  options.kv_limits.max_value_bytes = config.limits.max_value_bytes;
  options.clock = core::Clock(config.clock);
  KORA_ASSIGN_OR_RETURN(auto engine, shard::ShardEngine::start(std::move(options)));
  try {
    auto impl = std::make_unique<Impl>(std::move(config), std::move(engine));
    return std::unique_ptr<Database>(new Database(std::move(impl)));
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kInternal, "out of memory while opening the database");
  }
}

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() = default;

std::uint32_t Database::shard_count() const noexcept { return impl_->engine().shard_count(); }

std::uint32_t Database::shard_of(std::string_view key) const noexcept {
  return impl_->engine().shard_of(key);
}

}  // namespace kora
