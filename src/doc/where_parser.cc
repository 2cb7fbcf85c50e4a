#include "doc/where_parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <system_error>
#include <utility>

#include "doc/utf8.h"

namespace kora::doc {
namespace {

enum class Tok : std::uint8_t {
  kEnd,
  kPath,
  kString,
  kNumber,
  kLParen,
  kRParen,
  kComma,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kNot,
  kIn,
  kExists,
  kContains,
  kTrue,
  kFalse,
  kNull,
};

struct Token {
  Tok kind = Tok::kEnd;
  std::uint32_t pos = 0;  // first byte
  std::uint32_t end = 0;  // one past the last byte
  QueryPath path;         // kPath
  Literal value;          // kString, kNumber
};

struct Keyword {
  std::string_view name;  // upper case
  Tok tok;
};
constexpr Keyword kKeywords[] = {
    {"AND", Tok::kAnd},   {"OR", Tok::kOr},         {"NOT", Tok::kNot},
    {"IN", Tok::kIn},     {"EXISTS", Tok::kExists}, {"CONTAINS", Tok::kContains},
    {"TRUE", Tok::kTrue}, {"FALSE", Tok::kFalse},   {"NULL", Tok::kNull},
};

constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_word_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
constexpr bool is_word_char(char c) noexcept { return is_word_start(c) || is_digit(c); }

// The keyword `word` spells (ASCII case-insensitively), or kPath when it is none.
Tok keyword_of(std::string_view word) noexcept {
  for (const Keyword& k : kKeywords) {
    if (k.name.size() != word.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < word.size() && same; ++i) {
      char c = word[i];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      same = c == k.name[i];
    }
    if (same) return k.tok;
  }
  return Tok::kPath;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status query_error(std::string what, std::size_t position) {
  ErrorDetail detail;
  detail.position = static_cast<std::uint32_t>(position);
  return Status(ErrorCode::kInvalidQuery, "invalid WHERE: " + what, std::move(detail));
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<Query> parse_query() {
    KORA_RETURN_IF_ERROR(check_size());
    KORA_RETURN_IF_ERROR(advance());
    if (tok_.kind == Tok::kEnd) {
      query_.nodes.push_back(QueryNode{});
      query_.root = 0;
      return std::move(query_);
    }
    KORA_ASSIGN_OR_RETURN(const std::uint32_t root, parse_or());
    if (tok_.kind != Tok::kEnd) {
      return query_error(tok_.kind == Tok::kRParen
                             ? "unbalanced ')'"
                             : "expected AND, OR or the end, found " + describe(tok_),
                         tok_.pos);
    }
    query_.root = root;
    return std::move(query_);
  }

  Result<QueryPath> parse_single_path() {
    KORA_RETURN_IF_ERROR(check_size());
    KORA_RETURN_IF_ERROR(advance());
    if (tok_.kind != Tok::kPath) {
      return query_error("expected a path, found " + describe(tok_) + keyword_hint(tok_), tok_.pos);
    }
    QueryPath path = std::move(tok_.path);
    KORA_RETURN_IF_ERROR(advance());
    if (tok_.kind != Tok::kEnd) {
      return query_error("expected the end after the path, found " + describe(tok_), tok_.pos);
    }
    return path;
  }

 private:
  Status check_size() const {
    if (text_.size() > std::numeric_limits<std::uint32_t>::max()) {
      return query_error("text longer than 4 GiB", 0);
    }
    return Status();
  }

  // ---- Lexer -------------------------------------------------------------------------

  Status advance() {
    const std::size_t n = text_.size();
    while (pos_ < n && is_space(text_[pos_])) ++pos_;
    const std::size_t start = pos_;
    tok_.pos = static_cast<std::uint32_t>(start);
    if (start == n) {
      tok_.kind = Tok::kEnd;
      tok_.end = tok_.pos;
      return Status();
    }
    const char c = text_[start];
    const char next = start + 1 < n ? text_[start + 1] : '\0';
    switch (c) {
      case '(':
        return single(Tok::kLParen, 1);
      case ')':
        return single(Tok::kRParen, 1);
      case ',':
        return single(Tok::kComma, 1);
      case '=':
        return single(Tok::kEq, 1);
      case '!':
        if (next == '=') return single(Tok::kNe, 2);
        return query_error("unexpected '!' (did you mean '!='?)", start);
      case '<':
        return next == '=' ? single(Tok::kLe, 2) : single(Tok::kLt, 1);
      case '>':
        return next == '=' ? single(Tok::kGe, 2) : single(Tok::kGt, 1);
      case '\'':
      case '"':
        return lex_string();
      case '`':
        return lex_path();
      default:
        break;
    }
    if (c == '-' || is_digit(c)) return lex_number();
    if (is_word_start(c)) return lex_word();
    if (static_cast<unsigned char>(c) >= 0x80) {
      return query_error(utf8_sequence_length(text_, start) == 0
                             ? "invalid UTF-8"
                             : "non-ASCII character outside a string or backquotes",
                         start);
    }
    return query_error("unexpected character", start);
  }

  Status single(Tok kind, std::size_t length) {
    tok_.kind = kind;
    pos_ += length;
    tok_.end = static_cast<std::uint32_t>(pos_);
    return Status();
  }

  // A bare word: a keyword, or the first segment of a path.
  Status lex_word() {
    const std::size_t start = pos_;
    std::size_t i = start;
    while (i < text_.size() && is_word_char(text_[i])) ++i;
    const std::string_view word = text_.substr(start, i - start);
    const Tok keyword = keyword_of(word);
    if (keyword == Tok::kPath) return lex_path();
    if (i < text_.size() && text_[i] == '.') return keyword_as_field(start, word);
    pos_ = i;
    tok_.kind = keyword;
    tok_.end = static_cast<std::uint32_t>(i);
    return Status();
  }

  static Status keyword_as_field(std::size_t position, std::string_view word) {
    return query_error("keyword '" + std::string(word) +
                           "' cannot be a bare field name; write it in backquotes: `" +
                           std::string(word) + "`",
                       position);
  }

  Status lex_path() {
    const std::size_t n = text_.size();
    QueryPath path;
    while (true) {
      const std::size_t seg = pos_;
      if (seg < n && text_[seg] == '`') {
        std::string segment;
        KORA_RETURN_IF_ERROR(lex_backquoted(segment));
        path.push_back(std::move(segment));
      } else if (seg < n && is_word_start(text_[seg])) {
        std::size_t i = seg;
        while (i < n && is_word_char(text_[i])) ++i;
        const std::string_view word = text_.substr(seg, i - seg);
        if (keyword_of(word) != Tok::kPath) return keyword_as_field(seg, word);
        path.emplace_back(word);
        pos_ = i;
      } else if (seg == n) {
        return query_error("unexpected end after '.'", n);
      } else if (is_digit(text_[seg])) {
        return query_error("a segment of digits must be written in backquotes", seg);
      } else {
        return query_error("expected a path segment after '.'", seg);
      }
      if (pos_ == n || text_[pos_] != '.') break;
      ++pos_;
    }
    tok_.kind = Tok::kPath;
    tok_.path = std::move(path);
    tok_.end = static_cast<std::uint32_t>(pos_);
    return Status();
  }

  Status lex_backquoted(std::string& out) {
    const std::size_t n = text_.size();
    const std::size_t open = pos_;
    std::size_t i = open + 1;
    while (true) {
      if (i >= n) return query_error("unterminated backquoted segment", open);
      const char c = text_[i];
      if (c == '`') {
        if (i + 1 < n && text_[i + 1] == '`') {
          out.push_back('`');
          i += 2;
          continue;
        }
        pos_ = i + 1;
        return Status();
      }
      if (static_cast<unsigned char>(c) >= 0x80) {
        const std::size_t len = utf8_sequence_length(text_, i);
        if (len == 0) return query_error("invalid UTF-8", i);
        out.append(text_.substr(i, len));
        i += len;
        continue;
      }
      out.push_back(c);
      ++i;
    }
  }

  Status lex_string() {
    const std::size_t n = text_.size();
    const std::size_t open = pos_;
    const char quote = text_[open];
    std::string out;
    std::size_t i = open + 1;
    while (true) {
      if (i >= n) return query_error("unterminated string", open);
      const char c = text_[i];
      const auto u = static_cast<unsigned char>(c);
      if (c == quote) break;
      if (c == '\\') {
        KORA_ASSIGN_OR_RETURN(i, lex_escape(open, i, out));
        continue;
      }
      if (u < 0x20) {
        return query_error("raw control character in a string (write it as an escape)", i);
      }
      if (u >= 0x80) {
        const std::size_t len = utf8_sequence_length(text_, i);
        if (len == 0) return query_error("invalid UTF-8", i);
        out.append(text_.substr(i, len));
        i += len;
        continue;
      }
      out.push_back(c);
      ++i;
    }
    pos_ = i + 1;
    tok_.kind = Tok::kString;
    tok_.value = std::move(out);
    tok_.end = static_cast<std::uint32_t>(pos_);
    return Status();
  }

  // The four hex digits at text_[i..i+4) as a code unit, or -1.
  long hex4(std::size_t i) const {
    if (i + 4 > text_.size()) return -1;
    long v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const int h = hex_value(text_[i + k]);
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    return v;
  }

  // Decodes the escape whose backslash is at `esc` into `out`; returns the index after it.
  Result<std::size_t> lex_escape(std::size_t open, std::size_t esc, std::string& out) {
    if (esc + 1 >= text_.size()) return query_error("unterminated string", open);
    switch (text_[esc + 1]) {
      case '"':
      case '\'':
      case '\\':
      case '/':
        out.push_back(text_[esc + 1]);
        return esc + 2;
      case 'b':
        out.push_back('\b');
        return esc + 2;
      case 'f':
        out.push_back('\f');
        return esc + 2;
      case 'n':
        out.push_back('\n');
        return esc + 2;
      case 'r':
        out.push_back('\r');
        return esc + 2;
      case 't':
        out.push_back('\t');
        return esc + 2;
      case 'u':
        break;
      default:
        return query_error("invalid escape", esc);
    }
    const long unit = hex4(esc + 2);
    if (unit < 0) return query_error("\\u needs four hex digits", esc);
    if (unit >= 0xDC00 && unit <= 0xDFFF) return query_error("lone low surrogate", esc);
    if (unit < 0xD800 || unit > 0xDBFF) {
      append_utf8(static_cast<std::uint32_t>(unit), out);
      return esc + 6;
    }
    // A high surrogate counts only when a low one follows at once; otherwise the high one
    // is the offending escape, whatever comes after it.
    const std::size_t low_esc = esc + 6;
    const long low =
        low_esc + 1 < text_.size() && text_[low_esc] == '\\' && text_[low_esc + 1] == 'u'
            ? hex4(low_esc + 2)
            : -1;
    if (low < 0xDC00 || low > 0xDFFF) return query_error("lone high surrogate", esc);
    append_utf8(0x10000 + ((static_cast<std::uint32_t>(unit) - 0xD800) << 10) +
                    (static_cast<std::uint32_t>(low) - 0xDC00),
                out);
    return esc + 12;
  }

  Status lex_number() {
    const std::size_t n = text_.size();
    const std::size_t start = pos_;
    std::size_t i = start;
    const bool negative = text_[i] == '-';
    if (negative) ++i;
    if (i >= n || !is_digit(text_[i])) return query_error("'-' must be followed by a digit", start);
    const std::size_t int_begin = i;
    if (text_[i] == '0') {
      ++i;
    } else {
      while (i < n && is_digit(text_[i])) ++i;
    }
    const std::size_t int_end = i;
    std::size_t frac_begin = i, frac_end = i;
    std::size_t exp_begin = n;  // first byte after 'e' / 'E', n when there is no exponent
    bool is_double = false;
    if (i < n && text_[i] == '.') {
      ++i;
      frac_begin = i;
      if (i >= n || !is_digit(text_[i])) return malformed_number(start);
      while (i < n && is_digit(text_[i])) ++i;
      frac_end = i;
      is_double = true;
    }
    if (i < n && (text_[i] == 'e' || text_[i] == 'E')) {
      ++i;
      exp_begin = i;
      if (i < n && (text_[i] == '+' || text_[i] == '-')) ++i;
      if (i >= n || !is_digit(text_[i])) return malformed_number(start);
      while (i < n && is_digit(text_[i])) ++i;
      is_double = true;
    }
    // `01`, `5.`, `1x`: JSON's number ends there, but reading `0` then `1` as two tokens
    // would only produce a more confusing error later.
    if (i < n && (is_word_char(text_[i]) || text_[i] == '.')) return malformed_number(start);

    const char* first = text_.data() + start;
    const char* last = text_.data() + i;
    if (!is_double) {
      if (negative) {
        std::int64_t v = 0;
        const auto r = std::from_chars(first, last, v);
        if (r.ec != std::errc() || r.ptr != last) return integer_out_of_range(start);
        tok_.value = v;
      } else {
        std::uint64_t v = 0;
        const auto r = std::from_chars(first, last, v);
        if (r.ec != std::errc() || r.ptr != last) return integer_out_of_range(start);
        if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          tok_.value = static_cast<std::int64_t>(v);
        } else {
          tok_.value = v;
        }
      }
    } else {
      double v = 0;
      const auto r = std::from_chars(first, last, v);
      if (r.ec == std::errc::result_out_of_range) {
        // from_chars reports underflow and overflow alike; the decimal exponent of the
        // first significant digit tells them apart (both are far from 10^0).
        if (!is_below_one(int_begin, int_end, frac_begin, frac_end, exp_begin, i)) {
          return query_error("number too large for a double", start);
        }
        v = negative ? -0.0 : 0.0;
      } else if (r.ec != std::errc() || r.ptr != last) {
        return malformed_number(start);
      }
      if (!std::isfinite(v)) return query_error("number too large for a double", start);
      tok_.value = v;
    }
    pos_ = i;
    tok_.kind = Tok::kNumber;
    tok_.end = static_cast<std::uint32_t>(i);
    return Status();
  }

  // True when the magnitude of the (nonzero) number is below 1, from its digit layout:
  // the decimal exponent of its first significant digit plus its exponent part.
  bool is_below_one(std::size_t int_begin, std::size_t int_end, std::size_t frac_begin,
                    std::size_t frac_end, std::size_t exp_begin, std::size_t end) const {
    constexpr std::int64_t kCap = std::int64_t{1} << 40;  // far beyond any double exponent
    std::int64_t lead = 0;
    if (text_[int_begin] != '0') {
      lead = static_cast<std::int64_t>(int_end - int_begin) - 1;
    } else {
      std::size_t k = frac_begin;
      while (k < frac_end && text_[k] == '0') ++k;
      lead = -static_cast<std::int64_t>(k - frac_begin) - 1;
    }
    std::int64_t exponent = 0;
    if (exp_begin < end) {
      std::size_t k = exp_begin;
      const bool negative = text_[k] == '-';
      if (text_[k] == '+' || text_[k] == '-') ++k;
      for (; k < end; ++k) {
        exponent = std::min(kCap, exponent * 10 + (text_[k] - '0'));
      }
      if (negative) exponent = -exponent;
    }
    return lead + exponent < 0;
  }

  static Status malformed_number(std::size_t start) {
    return query_error(
        "malformed number (JSON syntax: no '+', no leading zeros, digits on "
        "both sides of '.')",
        start);
  }
  static Status integer_out_of_range(std::size_t start) {
    return query_error("integer outside [-2^63, 2^64-1]; it could never equal a stored number",
                       start);
  }

  // ---- Parser ------------------------------------------------------------------------

  std::string describe(const Token& tok) const {
    if (tok.kind == Tok::kEnd) return "the end";
    constexpr std::size_t kMaxShown = 32;
    const std::size_t len = std::min<std::size_t>(tok.end - tok.pos, kMaxShown);
    return "'" + std::string(text_.substr(tok.pos, len)) + (tok.end - tok.pos > len ? "...'" : "'");
  }

  std::string keyword_hint(const Token& tok) const {
    if (tok.kind < Tok::kAnd) return "";
    return " (keywords are not field names; write `" +
           std::string(text_.substr(tok.pos, tok.end - tok.pos)) + "`)";
  }

  std::uint32_t add_node(const QueryNode& node) {
    query_.nodes.push_back(node);
    return static_cast<std::uint32_t>(query_.nodes.size() - 1);
  }

  // Turns the operands pending_[start..] into one kAnd / kOr node.
  std::uint32_t close_chain(NodeKind kind, std::size_t start) {
    QueryNode node;
    node.kind = kind;
    node.begin = static_cast<std::uint32_t>(query_.children.size());
    node.count = static_cast<std::uint32_t>(pending_.size() - start);
    query_.children.insert(query_.children.end(),
                           pending_.begin() + static_cast<std::ptrdiff_t>(start), pending_.end());
    pending_.resize(start);
    return add_node(node);
  }

  // or := and (OR and)*, as a loop: a chain of any length uses one stack frame.
  Result<std::uint32_t> parse_or() {
    KORA_ASSIGN_OR_RETURN(const std::uint32_t first, parse_and());
    if (tok_.kind != Tok::kOr) return first;
    const std::size_t start = pending_.size();
    pending_.push_back(first);
    while (tok_.kind == Tok::kOr) {
      KORA_RETURN_IF_ERROR(advance());
      KORA_ASSIGN_OR_RETURN(const std::uint32_t next, parse_and());
      pending_.push_back(next);
    }
    return close_chain(NodeKind::kOr, start);
  }

  Result<std::uint32_t> parse_and() {
    KORA_ASSIGN_OR_RETURN(const std::uint32_t first, parse_unary());
    if (tok_.kind != Tok::kAnd) return first;
    const std::size_t start = pending_.size();
    pending_.push_back(first);
    while (tok_.kind == Tok::kAnd) {
      KORA_RETURN_IF_ERROR(advance());
      KORA_ASSIGN_OR_RETURN(const std::uint32_t next, parse_unary());
      pending_.push_back(next);
    }
    return close_chain(NodeKind::kAnd, start);
  }

  Status enter_level() {
    if (depth_ == kMaxWhereNesting) {
      return query_error("nesting deeper than " + std::to_string(kMaxWhereNesting) +
                             " levels of NOT and parentheses",
                         tok_.pos);
    }
    ++depth_;
    return Status();
  }

  // unary := NOT unary | '(' expr ')' | predicate. A run of NOTs is counted in a loop and
  // wrapped afterwards, so only '(' recurses, at most kMaxWhereNesting times.
  Result<std::uint32_t> parse_unary() {
    const std::uint32_t outer_depth = depth_;
    std::uint32_t nots = 0;
    while (tok_.kind == Tok::kNot) {
      KORA_RETURN_IF_ERROR(enter_level());
      ++nots;
      KORA_RETURN_IF_ERROR(advance());
    }
    std::uint32_t node = 0;
    if (tok_.kind == Tok::kLParen) {
      KORA_RETURN_IF_ERROR(enter_level());
      KORA_RETURN_IF_ERROR(advance());
      KORA_ASSIGN_OR_RETURN(node, parse_or());
      if (tok_.kind != Tok::kRParen) {
        return query_error("expected ')', found " + describe(tok_), tok_.pos);
      }
      KORA_RETURN_IF_ERROR(advance());
    } else if (tok_.kind == Tok::kPath) {
      KORA_ASSIGN_OR_RETURN(node, parse_predicate());
    } else {
      return query_error(
          "expected a condition (a path, NOT or '('), found " + describe(tok_) + keyword_hint(tok_),
          tok_.pos);
    }
    depth_ = outer_depth;
    for (; nots > 0; --nots) {
      QueryNode not_node;
      not_node.kind = NodeKind::kNot;
      not_node.begin = static_cast<std::uint32_t>(query_.children.size());
      not_node.count = 1;
      query_.children.push_back(node);
      node = add_node(not_node);
    }
    return node;
  }

  // Appends the value token tok_ to query_.literals; `what` names the context for errors.
  Status take_value(std::string_view what) {
    switch (tok_.kind) {
      case Tok::kString:
      case Tok::kNumber:
        query_.literals.push_back(std::move(tok_.value));
        break;
      case Tok::kTrue:
        query_.literals.emplace_back(true);
        break;
      case Tok::kFalse:
        query_.literals.emplace_back(false);
        break;
      case Tok::kNull:
        query_.literals.emplace_back(std::monostate{});
        break;
      default:
        return query_error("expected a value " + std::string(what) +
                               " (a string, a number, TRUE, FALSE or NULL), found " +
                               describe(tok_),
                           tok_.pos);
    }
    return advance();
  }

  // predicate := path EXISTS | path IN '(' value (',' value)* ')' | path op value
  Result<std::uint32_t> parse_predicate() {
    QueryNode node;
    node.path = static_cast<std::uint32_t>(query_.paths.size());
    query_.paths.push_back(std::move(tok_.path));
    KORA_RETURN_IF_ERROR(advance());
    node.begin = static_cast<std::uint32_t>(query_.literals.size());
    switch (tok_.kind) {
      case Tok::kExists:
        node.kind = NodeKind::kExists;
        KORA_RETURN_IF_ERROR(advance());
        return add_node(node);
      case Tok::kContains:
        node.kind = NodeKind::kContains;
        node.count = 1;
        KORA_RETURN_IF_ERROR(advance());
        KORA_RETURN_IF_ERROR(take_value("after CONTAINS"));
        return add_node(node);
      case Tok::kIn:
        node.kind = NodeKind::kIn;
        KORA_RETURN_IF_ERROR(advance());
        if (tok_.kind != Tok::kLParen) {
          return query_error("expected '(' after IN, found " + describe(tok_), tok_.pos);
        }
        KORA_RETURN_IF_ERROR(advance());
        if (tok_.kind == Tok::kRParen) {
          return query_error("IN needs at least one value", tok_.pos);
        }
        while (true) {
          KORA_RETURN_IF_ERROR(take_value("in the IN list"));
          ++node.count;
          if (tok_.kind == Tok::kRParen) break;
          if (tok_.kind != Tok::kComma) {
            return query_error("expected ',' or ')' in the IN list, found " + describe(tok_),
                               tok_.pos);
          }
          KORA_RETURN_IF_ERROR(advance());
        }
        KORA_RETURN_IF_ERROR(advance());
        return add_node(node);
      default:
        break;
    }
    node.kind = NodeKind::kCompare;
    node.count = 1;
    switch (tok_.kind) {
      case Tok::kEq:
        node.op = CompareOp::kEq;
        break;
      case Tok::kNe:
        node.op = CompareOp::kNe;
        break;
      case Tok::kLt:
        node.op = CompareOp::kLt;
        break;
      case Tok::kLe:
        node.op = CompareOp::kLe;
        break;
      case Tok::kGt:
        node.op = CompareOp::kGt;
        break;
      case Tok::kGe:
        node.op = CompareOp::kGe;
        break;
      default:
        return query_error(
            "expected an operator (= != < <= > >= CONTAINS IN EXISTS) after the path, found " +
                describe(tok_),
            tok_.pos);
    }
    KORA_RETURN_IF_ERROR(advance());
    const bool ordering = node.op != CompareOp::kEq && node.op != CompareOp::kNe;
    if (ordering && tok_.kind != Tok::kString && tok_.kind != Tok::kNumber) {
      return query_error("<, <=, > and >= need a number or a string, found " + describe(tok_),
                         tok_.pos);
    }
    KORA_RETURN_IF_ERROR(take_value("after the operator"));
    return add_node(node);
  }

  std::string_view text_;
  std::size_t pos_ = 0;  // lexer position: the byte after tok_
  Token tok_;
  std::uint32_t depth_ = 0;  // NOT and '(' levels open around the current token
  Query query_;
  // Operands of the AND / OR chains being built, innermost chain last; one shared stack
  // instead of a vector per chain.
  std::vector<std::uint32_t> pending_;
};

}  // namespace

Result<Query> parse_where(std::string_view text) { return Parser(text).parse_query(); }

Result<std::vector<std::string>> parse_where_path(std::string_view text) {
  return Parser(text).parse_single_path();
}

}  // namespace kora::doc
