// Shared helpers for the test suite: an injectable clock, error-code matchers and a
// collection config with the interning limits set.
#pragma once

#include <gmock/gmock.h>

#include <atomic>
#include <cstdint>
#include <functional>

#include "kora/document.h"
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

// A collection config with the interning limits set (the rest default).
inline DocCollectionConfig config(std::uint32_t max_terms = 10'000, std::uint32_t min_bytes = 4) {
  DocCollectionConfig c;
  c.max_interned_terms_per_field = max_terms;
  c.min_interned_term_bytes = min_bytes;
  return c;
}

}  // namespace kora::testing
