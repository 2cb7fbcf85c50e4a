// Caller-side checks shared by the document calls (database_doc.cc, database_query.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/errors.h"
#include "kora/status.h"

namespace kora::api {

constexpr std::size_t kMaxCollectionNameBytes = 255;
constexpr std::size_t kMaxDocumentIdBytes = 1024;

inline Status check_collection_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxCollectionNameBytes) {
    return core::invalid_argument("collection name must be 1..255 bytes, got " +
                                  std::to_string(name.size()));
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) {
      return Status(ErrorCode::kInvalidArgument,
                    "collection name contains a control character at byte " + std::to_string(i),
                    ErrorDetail{.position = static_cast<std::uint32_t>(i)});
    }
  }
  return {};
}

inline Status check_document_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxDocumentIdBytes) {
    return core::invalid_argument("document id must be 1..1024 bytes, got " +
                                  std::to_string(id.size()));
  }
  return {};
}

inline Status not_found(std::string_view collection) {
  return Status(ErrorCode::kNotFound, "no collection named '" + std::string(collection) + "'");
}

}  // namespace kora::api
