// Errors: ErrorCode, ErrorDetail, Status and Result<T>.
//
// Every fallible call returns a Status (no value) or a Result<T> (a value or an error).
// No exception ever crosses the API. Absence is a value, not an error: a missing key or
// document is std::nullopt / false, never an ErrorCode.
//
// Choosing a code:
//   kInvalidArgument      the argument can never be valid (bad option, empty document id)
//   kInvalidJson          the JSON text is malformed; detail()->position is the byte offset
//   kInvalidQuery         WHERE / path / projection syntax; detail()->position is set
//   kWrongType            the key holds another KV type, or a document path another JSON type
//   kNotFound             a named container (collection, index) is missing
//   kAlreadyExists        the named container already exists
//   kConstraintViolation  a unique index rejected the write; nothing changed
//   kOutOfRange           not an integer where one is needed, overflow, non-finite result
//   kLimitExceeded        a Config limit (size, depth, count); the message names the limit
//   kShuttingDown         the Database is being destroyed
//   kInternal             a bug (or memory exhaustion), never caused by input
//
// Thread safety: Status and Result are values; distinct objects may be used from distinct
// threads freely, one object needs external synchronisation like any value type.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace kora {

enum class ErrorCode : std::uint8_t {  // stable values: append, never renumber
  kOk = 0,
  kInvalidArgument = 1,
  kInvalidJson = 2,
  kInvalidQuery = 3,
  kWrongType = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kConstraintViolation = 7,
  kOutOfRange = 8,
  kLimitExceeded = 9,
  kShuttingDown = 10,
  kInternal = 11,
};

// The enumerator's name without the leading 'k' ("InvalidArgument"); "Unknown" for values
// outside the enum.
std::string_view to_string(ErrorCode code) noexcept;

// Where an error happened, when the call can say.
struct ErrorDetail {
  std::optional<std::uint32_t> position;     // byte offset in the JSON or WHERE text
  std::optional<std::uint32_t> batch_index;  // which entry of a batch call failed
  std::string path;                          // document path, e.g. "address.zip"
};

// The outcome of a call without a value. OK is a null pointer: creating, copying and
// destroying an OK Status allocates nothing. An error carries a code, a message and an
// optional ErrorDetail.
class [[nodiscard]] Status {
 public:
  // OK.
  Status() noexcept = default;
  // An error. REQUIRES: code != ErrorCode::kOk (kOk yields OK and drops message and detail).
  Status(ErrorCode code, std::string message);
  Status(ErrorCode code, std::string message, ErrorDetail detail);

  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&& other) noexcept = default;
  Status& operator=(Status&& other) noexcept = default;
  ~Status() = default;

  bool ok() const noexcept { return state_ == nullptr; }
  ErrorCode code() const noexcept { return state_ ? state_->code : ErrorCode::kOk; }
  // Empty when ok().
  std::string_view message() const noexcept;
  // nullptr when ok().
  const ErrorDetail* detail() const noexcept { return state_ ? &state_->detail : nullptr; }
  // "OK", or "<Code>: <message>" followed by the detail fields that are set.
  std::string to_string() const;

 private:
  struct State {
    ErrorCode code;
    std::string message;
    ErrorDetail detail;
  };
  std::unique_ptr<State> state_;
};

// A value of type T or an error Status; named like std::expected<T, Status>.
template <class T>
class [[nodiscard]] Result {
 public:
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>, "use Status directly");

  // A value.
  Result(const T& value) : value_(value) {}        // NOLINT(google-explicit-constructor)
  Result(T&& value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  template <class U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Result> &&
           !std::is_same_v<std::decay_t<U>, Status> && !std::is_same_v<std::decay_t<U>, T>)
      Result(U&& value)
      : value_(std::forward<U>(value)) {}  // NOLINT(google-explicit-constructor)
  // An error. An OK status here is a programming error and becomes kInternal, so a Result
  // is never "ok without a value".
  Result(Status status)  // NOLINT(google-explicit-constructor)
      : status_(status.ok() ? Status(ErrorCode::kInternal, "Result built from an OK Status")
                            : std::move(status)) {}

  bool ok() const noexcept { return value_.has_value(); }
  bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return value_.has_value(); }

  // REQUIRES: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T&& operator*() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

  // The OK status when ok().
  const Status& status() const noexcept { return status_; }
  // REQUIRES: !ok().
  const Status& error() const noexcept { return status_; }

  template <class U>
  T value_or(U&& fallback) const& {
    return value_ ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  Status status_;
  std::optional<T> value_;
};

namespace status_internal {
inline const Status& status_of(const Status& status) noexcept { return status; }
template <class T>
const Status& status_of(const Result<T>& result) noexcept {
  return result.status();
}
}  // namespace status_internal

}  // namespace kora

#define KORA_STATUS_CONCAT_INNER_(a, b) a##b
#define KORA_STATUS_CONCAT_(a, b) KORA_STATUS_CONCAT_INNER_(a, b)

// Returns the Status of `expr` (a Status or a Result) from the enclosing function when it
// is an error.
#define KORA_RETURN_IF_ERROR(expr)                                       \
  do {                                                                   \
    auto&& kora_status_or_result_ = (expr);                              \
    if (!kora_status_or_result_.ok()) {                                  \
      return ::kora::status_internal::status_of(kora_status_or_result_); \
    }                                                                    \
  } while (false)

// `KORA_ASSIGN_OR_RETURN(auto x, f());` declares x from f()'s value, or returns its error.
#define KORA_ASSIGN_OR_RETURN(lhs, expr) \
  KORA_ASSIGN_OR_RETURN_IMPL_(KORA_STATUS_CONCAT_(kora_result_, __LINE__), lhs, expr)
#define KORA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()
