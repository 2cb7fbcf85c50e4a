// guarded(f): runs f, which returns a Status or a Result<T>, and turns any exception it
// throws into a kInternal error, so no exception crosses the API or a shard boundary.
#pragma once

#include <exception>
#include <new>
#include <string>
#include <type_traits>

#include "kora/status.h"

namespace kora::core {

template <class R>
inline constexpr bool kIsStatusLike = false;
template <>
inline constexpr bool kIsStatusLike<Status> = true;
template <class T>
inline constexpr bool kIsStatusLike<Result<T>> = true;

template <class F, class R = std::invoke_result_t<F&>>
R guarded(F&& f) noexcept {
  static_assert(kIsStatusLike<R>, "guarded code returns Status or Result<T>");
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return R(Status(ErrorCode::kInternal, "out of memory"));
  } catch (const std::exception& e) {
    return R(Status(ErrorCode::kInternal, std::string("unexpected exception: ") + e.what()));
  } catch (...) {
    return R(Status(ErrorCode::kInternal, "unexpected exception"));
  }
}

}  // namespace kora::core
