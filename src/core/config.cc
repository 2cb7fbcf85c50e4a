#include "kora/config.h"

#include <string>
#include <thread>

namespace kora {

std::uint32_t default_shard_count() noexcept {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

Status Config::validate() const {
  auto bad = [](std::string message) {
    return Status(ErrorCode::kInvalidArgument, std::move(message));
  };
  if (shard_count < 1 || shard_count > 1024) {
    return bad("Config.shard_count must be 1..1024, got " + std::to_string(shard_count));
  }
  if (expiry_sweep_interval < std::chrono::milliseconds(1) ||
      expiry_sweep_interval > std::chrono::hours(1)) {
    return bad("Config.expiry_sweep_interval must be 1 ms .. 1 hour, got " +
               std::to_string(expiry_sweep_interval.count()) + " ms");
  }
  if (limits.max_document_bytes == 0) return bad("Config.limits.max_document_bytes must be > 0");
  if (limits.max_document_depth == 0 || limits.max_document_depth > 1024) {
    return bad("Config.limits.max_document_depth must be 1..1024");
  }
  if (limits.max_value_bytes == 0) return bad("Config.limits.max_value_bytes must be > 0");
  if (limits.max_key_bytes == 0) return bad("Config.limits.max_key_bytes must be > 0");
  return {};
}

}  // namespace kora
