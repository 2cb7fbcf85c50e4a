// The engine's time source: milliseconds since the Unix epoch, injectable for tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <utility>

namespace kora::core {

using TimeMs = std::int64_t;

class Clock {
 public:
  // An empty function means the system clock.
  explicit Clock(std::function<TimeMs()> source = {}) : source_(std::move(source)) {}

  TimeMs now_ms() const {
    if (source_) return source_();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

 private:
  std::function<TimeMs()> source_;
};

}  // namespace kora::core
