#include "doc/json_ingest.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "doc/rapidjson.h"
#include "doc/utf8.h"

namespace kora::doc {
namespace {

constexpr std::size_t kNoPosition = std::numeric_limits<std::size_t>::max();
// After parsing a document bigger than this, the thread's parser is rebuilt so one large
// document does not pin ~6x its size in per-thread buffers.
constexpr std::size_t kShrinkParserAbove = std::size_t{1} << 20;

struct ThreadParser {
  simdjson::dom::parser parser;
  std::uint32_t depth = 0;  // max_depth the parser was allocated with; 0: not yet
};

ThreadParser& thread_parser() {
  thread_local ThreadParser tp;
  return tp;
}

Status json_error(std::string_view what, std::size_t position) {
  ErrorDetail detail;
  detail.position = static_cast<std::uint32_t>(position);
  return Status(ErrorCode::kInvalidJson, std::string(what), std::move(detail));
}

// Offset of the lead byte of the first invalid UTF-8 sequence (overlong forms, surrogates
// and code points above U+10FFFF are invalid), or kNoPosition.
std::size_t first_invalid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence_length(text, i);
    if (len == 0) return i;
    i += len;
  }
  return kNoPosition;
}

// Offset of the opening bracket of the first container nested deeper than max_depth, in
// a text simdjson found too deep (so well-formed up to that point).
std::size_t too_deep_position(std::string_view text, std::uint32_t max_depth) {
  std::uint64_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return i;
    } else if (c == '}' || c == ']') {
      if (depth > 0) --depth;
    }
  }
  return 0;
}

// RapidJSON handler that finds what RapidJSON itself accepts but we reject: integers
// outside int64/uint64, numbers that overflow a double, duplicate keys. It stops the
// parse at the first one (everything before it was accepted, so it is the first error).
class LocateHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, LocateHandler> {
 public:
  explicit LocateHandler(const rapidjson::MemoryStream& is, std::string_view text)
      : is_(is), text_(text) {}

  std::size_t issue() const { return issue_; }

  bool StartObject() {
    objects_.emplace_back();
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    objects_.pop_back();
    return true;
  }
  bool Key(const char* str, rapidjson::SizeType length, bool) {
    if (objects_.empty()) return true;
    if (!objects_.back().emplace(str, length).second) {
      issue_ = key_start();
      return false;
    }
    return true;
  }
  bool RawNumber(const char* str, rapidjson::SizeType length, bool) {
    const std::string number(str, length);
    bool bad;
    if (number.find_first_of(".eE") == std::string::npos) {
      errno = 0;
      if (number[0] == '-') {
        (void)std::strtoll(number.c_str(), nullptr, 10);
      } else {
        (void)std::strtoull(number.c_str(), nullptr, 10);
      }
      bad = errno == ERANGE;
    } else {
      bad = std::isinf(std::strtod(number.c_str(), nullptr));
    }
    if (bad) {
      issue_ = is_.Tell() - length;
      return false;
    }
    return true;
  }

 private:
  // The stream stands just after the key's closing quote; walk back to the opening quote,
  // the first '"' not escaped by an odd run of backslashes.
  std::size_t key_start() const {
    std::size_t i = is_.Tell() - 1;  // the closing quote
    while (i > 0) {
      --i;
      if (text_[i] != '"') continue;
      std::size_t backslashes = 0;
      while (backslashes < i && text_[i - 1 - backslashes] == '\\') ++backslashes;
      if (backslashes % 2 == 0) return i;
    }
    return 0;
  }

  const rapidjson::MemoryStream& is_;
  std::string_view text_;
  std::vector<std::set<std::string>> objects_;
  std::size_t issue_ = kNoPosition;
};

// The byte offset of the first error in a text simdjson rejected (see the header).
std::size_t locate_error(std::string_view text) {
  rapidjson::MemoryStream is(text.data(), text.size());
  LocateHandler handler(is, text);
  rapidjson::Reader reader;
  constexpr unsigned kFlags = rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseIterativeFlag |
                              rapidjson::kParseNumbersAsStringsFlag;
  const rapidjson::ParseResult result = reader.Parse<kFlags>(is, handler);
  std::size_t position = kNoPosition;
  if (handler.issue() != kNoPosition) {
    position = handler.issue();
  } else if (result.IsError()) {
    position = result.Offset();
  } else if (is.Tell() < text.size()) {
    position = is.Tell();  // a NUL byte RapidJSON took for the end of input
  }
  position = std::min(position, first_invalid_utf8(text));
  return position == kNoPosition ? 0 : position;
}

enum class TreeCheck { kOk, kDuplicateKey, kTooDeep };

// Checks what simdjson does not: duplicate keys (compared after unescaping) and our exact
// depth limit. Visits every container once with an explicit stack.
TreeCheck check_tree(simdjson::dom::element root, std::uint32_t max_depth) {
  struct Item {
    simdjson::dom::element element;
    std::uint32_t depth;
  };
  thread_local std::vector<Item> stack;
  thread_local std::vector<std::string_view> keys;
  if (max_depth < 1) return TreeCheck::kTooDeep;
  stack.clear();
  stack.push_back({root, 1});
  auto is_container = [](simdjson::dom::element_type t) {
    return t == simdjson::dom::element_type::OBJECT || t == simdjson::dom::element_type::ARRAY;
  };
  while (!stack.empty()) {
    const Item item = stack.back();
    stack.pop_back();
    const std::uint32_t child_depth = item.depth + 1;
    if (item.element.type() == simdjson::dom::element_type::OBJECT) {
      simdjson::dom::object obj;
      if (item.element.get(obj) != simdjson::SUCCESS) continue;
      keys.clear();
      for (simdjson::dom::key_value_pair field : obj) {
        keys.push_back(field.key);
        if (is_container(field.value.type())) {
          if (child_depth > max_depth) return TreeCheck::kTooDeep;
          stack.push_back({field.value, child_depth});
        }
      }
      if (keys.size() <= 8) {
        for (std::size_t i = 1; i < keys.size(); ++i) {
          for (std::size_t j = 0; j < i; ++j) {
            if (keys[i] == keys[j]) return TreeCheck::kDuplicateKey;
          }
        }
      } else {
        std::sort(keys.begin(), keys.end());
        if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) {
          return TreeCheck::kDuplicateKey;
        }
      }
    } else {
      simdjson::dom::array arr;
      if (item.element.get(arr) != simdjson::SUCCESS) continue;
      for (simdjson::dom::element child : arr) {
        if (is_container(child.type())) {
          if (child_depth > max_depth) return TreeCheck::kTooDeep;
          stack.push_back({child, child_depth});
        }
      }
    }
  }
  return TreeCheck::kOk;
}

Status too_deep(std::string_view json, std::uint32_t max_depth) {
  ErrorDetail detail;
  detail.position = static_cast<std::uint32_t>(too_deep_position(json, max_depth));
  return Status(ErrorCode::kLimitExceeded,
                "document nesting exceeds max_document_depth (" + std::to_string(max_depth) + ")",
                std::move(detail));
}

}  // namespace

simdjson::dom::element ParsedDocument::value() const { return doc_.root(); }

simdjson::dom::object ParsedDocument::root() const {
  simdjson::dom::object obj;
  [[maybe_unused]] const simdjson::error_code err = doc_.root().get(obj);
  assert(err == simdjson::SUCCESS);
  return obj;
}

void ParsedDocument::release_if_large() {
  if (doc_.capacity() > kShrinkParserAbove) doc_ = simdjson::dom::document();
}

Result<ParsedDocument> parse_document(std::string_view json, const IngestLimits& limits) {
  ParsedDocument parsed;
  KORA_RETURN_IF_ERROR(parse_document_into(json, limits, parsed));
  return parsed;
}

Status parse_document_into(std::string_view json, const IngestLimits& limits,
                           ParsedDocument& parsed) {
  return parse_into(json, limits, /*require_object=*/true, parsed);
}

Status parse_value_into(std::string_view json, const IngestLimits& limits, ParsedDocument& out) {
  return parse_into(json, limits, /*require_object=*/false, out);
}

Status parse_into(std::string_view json, const IngestLimits& limits, bool require_object,
                  ParsedDocument& parsed) {
  parsed.source_bytes_ = 0;
  if (json.size() > limits.max_bytes) {
    return Status(ErrorCode::kLimitExceeded, "document of " + std::to_string(json.size()) +
                                                 " bytes exceeds max_document_bytes (" +
                                                 std::to_string(limits.max_bytes) + ")");
  }
  ThreadParser& tp = thread_parser();
  // simdjson's own depth check is not quite ours (it counts a non-empty container's
  // contents as one more level), so it gets one level of slack and check_tree decides.
  // A text of max_bytes cannot nest deeper than max_bytes / 2 containers.
  const auto parser_depth = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(std::uint64_t{limits.max_depth} + 1, limits.max_bytes / 2 + 2));
  if (tp.depth != parser_depth) {
    if (tp.parser.allocate(std::max<std::size_t>(tp.parser.capacity(), 64), parser_depth) !=
        simdjson::SUCCESS) {
      tp.depth = 0;
      return Status(ErrorCode::kInternal, "out of memory allocating the JSON parser");
    }
    tp.depth = parser_depth;
  }

  parsed.source_bytes_ = json.size();
  const simdjson::error_code error =
      tp.parser.parse_into_document(parsed.doc_, json.data(), json.size(), true).error();
  if (json.size() > kShrinkParserAbove) {
    tp.parser = simdjson::dom::parser();
    tp.depth = 0;
  }
  if (error != simdjson::SUCCESS) {
    switch (error) {
      case simdjson::DEPTH_ERROR:  // deeper than max_depth + 1 levels: too deep for us too
        return too_deep(json, limits.max_depth);
      case simdjson::MEMALLOC:
        return Status(ErrorCode::kInternal, "out of memory parsing a document");
      case simdjson::CAPACITY:
        return Status(ErrorCode::kLimitExceeded, "document too large for the JSON parser");
      default:
        return json_error(std::string("invalid JSON (") + simdjson::error_message(error) + ")",
                          locate_error(json));
    }
  }
  const simdjson::dom::element root = parsed.doc_.root();
  const bool container = root.type() == simdjson::dom::element_type::OBJECT ||
                         root.type() == simdjson::dom::element_type::ARRAY;
  const TreeCheck check = container ? check_tree(root, limits.max_depth) : TreeCheck::kOk;
  if (check == TreeCheck::kTooDeep) return too_deep(json, limits.max_depth);
  if (require_object && root.type() != simdjson::dom::element_type::OBJECT) {
    return Status(ErrorCode::kInvalidArgument, "the document root must be a JSON object");
  }
  if (check == TreeCheck::kDuplicateKey) return json_error("duplicate key", locate_error(json));
  return {};
}

}  // namespace kora::doc
