#include "doc/path.h"

#include <cstdint>

namespace kora::doc {
namespace {

constexpr bool is_alpha_(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

Status path_error(std::string_view what, std::size_t position) {
  ErrorDetail detail;
  detail.position = static_cast<std::uint32_t>(position);
  return Status(ErrorCode::kInvalidQuery, "invalid path: " + std::string(what), std::move(detail));
}

}  // namespace

bool is_bare_segment(std::string_view segment) noexcept {
  if (segment.empty()) return false;
  if (is_digit(segment[0])) {
    for (char c : segment) {
      if (!is_digit(c)) return false;
    }
    return true;
  }
  if (!is_alpha_(segment[0])) return false;
  for (char c : segment) {
    if (!is_alpha_(c) && !is_digit(c)) return false;
  }
  return true;
}

Result<std::vector<std::string>> parse_path(std::string_view text) {
  std::vector<std::string> segments;
  if (text.empty()) return path_error("empty path", 0);
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (true) {
    // A segment starts at i.
    if (i >= n) return path_error("trailing '.'", i - 1);
    const char c = text[i];
    if (c == '`') {
      const std::size_t open = i;
      std::string segment;
      ++i;
      while (true) {
        if (i >= n) return path_error("unterminated backquote", open);
        if (text[i] == '`') {
          if (i + 1 < n && text[i + 1] == '`') {
            segment.push_back('`');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        // Copy the run up to the next backquote in one go.
        std::size_t next = text.find('`', i);
        if (next == std::string_view::npos) next = n;
        segment.append(text.substr(i, next - i));
        i = next;
      }
      segments.push_back(std::move(segment));
    } else if (is_alpha_(c)) {
      const std::size_t start = i;
      while (i < n && (is_alpha_(text[i]) || is_digit(text[i]))) ++i;
      segments.emplace_back(text.substr(start, i - start));
    } else if (is_digit(c)) {
      const std::size_t start = i;
      while (i < n && is_digit(text[i])) ++i;
      segments.emplace_back(text.substr(start, i - start));
    } else {
      return path_error(c == '.' ? "empty segment" : "unexpected character", i);
    }
    if (i == n) return segments;
    if (text[i] != '.') return path_error("unexpected character", i);
    ++i;
  }
}

void append_segment(std::string_view segment, std::string& out) {
  if (is_bare_segment(segment)) {
    out.append(segment);
    return;
  }
  out.push_back('`');
  for (char c : segment) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  out.push_back('`');
}

std::string format_path(std::span<const std::string> segments) {
  std::string out;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i != 0) out.push_back('.');
    append_segment(segments[i], out);
  }
  return out;
}

}  // namespace kora::doc
