// Short constructors for the error Statuses the engine returns, so call sites read as
// `return core::wrong_type();` and messages stay uniform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kora/status.h"

namespace kora::core {

inline Status invalid_argument(std::string message) {
  return Status(ErrorCode::kInvalidArgument, std::move(message));
}
inline Status wrong_type() {
  return Status(ErrorCode::kWrongType,
                "WRONGTYPE Operation against a key holding the wrong kind of value");
}
inline Status out_of_range(std::string message) {
  return Status(ErrorCode::kOutOfRange, std::move(message));
}
inline Status limit_exceeded(std::string message) {
  return Status(ErrorCode::kLimitExceeded, std::move(message));
}
inline Status internal_error(std::string message) {
  return Status(ErrorCode::kInternal, std::move(message));
}
// TTLs beyond this (about 31,700 years) are refused rather than risk overflowing
// now + ttl.
inline constexpr std::int64_t kMaxTtlMs = 1'000'000'000'000'000;
inline Status check_ttl(std::int64_t ttl_ms) {
  if (ttl_ms > kMaxTtlMs) {
    return invalid_argument("ttl of " + std::to_string(ttl_ms) + " ms is too large");
  }
  return {};
}

// The same error, naming which entry of a batch call caused it.
inline Status with_batch_index(const Status& status, std::size_t index) {
  ErrorDetail detail = status.detail() ? *status.detail() : ErrorDetail{};
  detail.batch_index = static_cast<std::uint32_t>(index);
  return Status(status.code(), std::string(status.message()), std::move(detail));
}

}  // namespace kora::core
