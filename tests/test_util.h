// Shared helpers for the test suite: an injectable clock and error-code matchers.
#pragma once

#include <gmock/gmock.h>

#include <atomic>
#include <cstdint>
#include <functional>

#include "kora/status.h"

namespace kora::testing {

// A clock the test moves by hand; thread-safe, because shard workers read it too.
class ManualClock {
 public:
  explicit ManualClock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  std::int64_t now() const { return now_.load(); }
  void advance(std::int64_t ms) { now_.fetch_add(ms); }
  std::function<std::int64_t()> source() {
    return [this] { return now_.load(); };
  }

 private:
  std::atomic<std::int64_t> now_;
};

inline ErrorCode code_of(const Status& status) { return status.code(); }
template <class T>
ErrorCode code_of(const Result<T>& result) {
  return result.status().code();
}

// EXPECT_THAT(db->get(k), HasCode(ErrorCode::kWrongType));
MATCHER_P(HasCode, code, std::string("has error code ") + std::string(to_string(code))) {
  const ErrorCode actual = code_of(arg);
  *result_listener << "whose code is " << to_string(actual);
  return actual == code;
}

MATCHER(IsOk, "is OK") {
  const ErrorCode actual = code_of(arg);
  *result_listener << "whose code is " << to_string(actual);
  return actual == ErrorCode::kOk;
}

}  // namespace kora::testing
