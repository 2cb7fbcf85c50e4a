#include "kora/status.h"

#include <string>

namespace kora {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kInvalidArgument:
      return "InvalidArgument";
    case ErrorCode::kInvalidJson:
      return "InvalidJson";
    case ErrorCode::kInvalidQuery:
      return "InvalidQuery";
    case ErrorCode::kWrongType:
      return "WrongType";
    case ErrorCode::kNotFound:
      return "NotFound";
    case ErrorCode::kAlreadyExists:
      return "AlreadyExists";
    case ErrorCode::kConstraintViolation:
      return "ConstraintViolation";
    case ErrorCode::kOutOfRange:
      return "OutOfRange";
    case ErrorCode::kLimitExceeded:
      return "LimitExceeded";
    case ErrorCode::kShuttingDown:
      return "ShuttingDown";
    case ErrorCode::kInternal:
      return "Internal";
  }
  return "Unknown";
}

Status::Status(ErrorCode code, std::string message) : Status(code, std::move(message), {}) {}

Status::Status(ErrorCode code, std::string message, ErrorDetail detail) {
  if (code == ErrorCode::kOk) return;
  state_ = std::make_unique<State>(State{code, std::move(message), std::move(detail)});
}

Status::Status(const Status& other)
    : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
  return *this;
}

std::string_view Status::message() const noexcept {
  return state_ ? std::string_view(state_->message) : std::string_view();
}

std::string Status::to_string() const {
  if (ok()) return "OK";
  std::string out(kora::to_string(state_->code));
  out += ": ";
  out += state_->message;
  const ErrorDetail& d = state_->detail;
  if (d.position) out += " (position " + std::to_string(*d.position) + ")";
  if (d.batch_index) out += " (batch index " + std::to_string(*d.batch_index) + ")";
  if (!d.path.empty()) out += " (path " + d.path + ")";
  return out;
}

}  // namespace kora
