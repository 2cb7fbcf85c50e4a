// The reference side of the WHERE differential tests (tests/doc/query_eval_test.cc on
// packed bodies, tests/api/database_doc_query_test.cc through the Database API): a seeded
// generator of random JSON documents and WHERE queries (as text and as a tree), and
// API.md's WHERE and order_by semantics evaluated directly on a RapidJSON DOM.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// doc/rapidjson.h first: its pragma then covers the RapidJSON internals the DOM uses (a
// Document parsed without it trips clang's -fsanitize=pointer-overflow).
// clang-format off
#include "doc/rapidjson.h"
#include <rapidjson/document.h>
// clang-format on

namespace kora::testing {

using RValue = rapidjson::Value;

// The reference compares numbers as long double, which is exact for every int64, uint64
// and double only with a 64-bit significand (x86-64's 80-bit format).
static_assert(std::numeric_limits<long double>::digits >= 64);

// ---- The reference: API.md's WHERE and order_by semantics on a RapidJSON DOM -----

inline rapidjson::Document parse_json(std::string_view json) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseFullPrecisionFlag>(json.data(), json.size());
  EXPECT_FALSE(d.HasParseError()) << json;
  return d;
}

inline long double number_of(const RValue& v) {
  if (v.IsInt64()) return static_cast<long double>(v.GetInt64());
  if (v.IsUint64()) return static_cast<long double>(v.GetUint64());
  return static_cast<long double>(v.GetDouble());
}

inline std::string_view string_of(const RValue& v) { return {v.GetString(), v.GetStringLength()}; }

inline int bytewise(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

// `=` between two scalars (a container never equals anything here).
inline bool ref_equal(const RValue& a, const RValue& lit) {
  if (a.IsNull() || lit.IsNull()) return a.IsNull() && lit.IsNull();
  if (a.IsBool() || lit.IsBool()) return a.IsBool() && lit.IsBool() && a.GetBool() == lit.GetBool();
  if (a.IsNumber() || lit.IsNumber()) {
    return a.IsNumber() && lit.IsNumber() && number_of(a) == number_of(lit);
  }
  if (a.IsString() && lit.IsString()) return string_of(a) == string_of(lit);
  return false;
}

// -1, 0, 1, or 2 when the ordering operators do not apply.
inline int ref_order(const RValue& a, const RValue& lit) {
  if (a.IsNumber() && lit.IsNumber()) {
    const long double x = number_of(a), y = number_of(lit);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.IsString() && lit.IsString()) return bytewise(string_of(a), string_of(lit));
  return 2;
}

inline const RValue* ref_resolve(const RValue& root, const std::vector<std::string>& path) {
  const RValue* v = &root;
  for (const std::string& seg : path) {
    if (!v->IsObject()) return nullptr;
    const RValue key(rapidjson::StringRef(seg.data(), seg.size()));
    auto it = v->FindMember(key);
    if (it == v->MemberEnd()) return nullptr;
    v = &it->value;
  }
  return v;
}

// The engine's compact JSON: shortest doubles with ".0" added when needed, RapidJSON
// Writer's string escapes.
inline void ref_json(const RValue& v, std::string& out) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      out += "null";
      return;
    case rapidjson::kFalseType:
      out += "false";
      return;
    case rapidjson::kTrueType:
      out += "true";
      return;
    case rapidjson::kNumberType: {
      char buf[40];
      std::to_chars_result r{};
      if (v.IsDouble()) {
        r = std::to_chars(buf, buf + sizeof(buf), v.GetDouble());
      } else if (v.IsInt64()) {
        r = std::to_chars(buf, buf + sizeof(buf), v.GetInt64());
      } else {
        r = std::to_chars(buf, buf + sizeof(buf), v.GetUint64());
      }
      const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
      out += text;
      if (v.IsDouble() && text.find_first_of(".eE") == std::string_view::npos) out += ".0";
      return;
    }
    case rapidjson::kStringType: {
      out += '"';
      for (const char c : string_of(v)) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
          case '"':
            out += "\\\"";
            break;
          case '\\':
            out += "\\\\";
            break;
          case '\b':
            out += "\\b";
            break;
          case '\f':
            out += "\\f";
            break;
          case '\n':
            out += "\\n";
            break;
          case '\r':
            out += "\\r";
            break;
          case '\t':
            out += "\\t";
            break;
          default:
            if (u < 0x20) {
              char buf[8];
              std::snprintf(buf, sizeof(buf), "\\u%04X", u);
              out += buf;
            } else {
              out += c;
            }
        }
      }
      out += '"';
      return;
    }
    case rapidjson::kArrayType: {
      out += '[';
      bool first = true;
      for (const RValue& e : v.GetArray()) {
        if (!first) out += ',';
        first = false;
        ref_json(e, out);
      }
      out += ']';
      return;
    }
    case rapidjson::kObjectType: {
      out += '{';
      bool first = true;
      for (const auto& m : v.GetObject()) {
        if (!first) out += ',';
        first = false;
        ref_json(m.name, out);
        out += ':';
        ref_json(m.value, out);
      }
      out += '}';
      return;
    }
  }
}
inline std::string ref_json(const RValue& v) {
  std::string out;
  ref_json(v, out);
  return out;
}

inline int ref_rank(const RValue& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return 0;
    case rapidjson::kFalseType:
      return 1;
    case rapidjson::kTrueType:
      return 2;
    case rapidjson::kNumberType:
      return 3;
    case rapidjson::kStringType:
      return 4;
    case rapidjson::kArrayType:
      return 5;
    case rapidjson::kObjectType:
      return 6;
  }
  return 7;
}

// order_by's total order: null < false < true < numbers < strings < arrays < objects,
// containers by their compact JSON, bytewise.
inline int ref_sort_compare(const RValue& a, const RValue& b) {
  const int ra = ref_rank(a), rb = ref_rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 3 || ra == 4) return ref_order(a, b);
  if (ra >= 5) return bytewise(ref_json(a), ref_json(b));
  return 0;
}

// A path as WHERE text: bare when it can be, else backquoted.
inline std::string path_text(const std::vector<std::string>& path) {
  static const std::set<std::string> kKeywords = {"and",      "or",   "not",   "in",  "exists",
                                                  "contains", "true", "false", "null"};
  std::string s;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i != 0) s += '.';
    const std::string& seg = path[i];
    bool bare = !seg.empty();
    for (std::size_t k = 0; k < seg.size() && bare; ++k) {
      const char c = seg[k];
      bare = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (k > 0 && c >= '0' && c <= '9');
    }
    std::string lower = seg;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (kKeywords.count(lower) != 0) bare = false;
    if (bare) {
      s += seg;
      continue;
    }
    s += '`';
    for (const char c : seg) {
      s += c;
      if (c == '`') s += '`';
    }
    s += '`';
  }
  return s;
}

// ---- Generators ------------------------------------------------------------------------

// Numbers at the representation edges (text forms).
inline const std::vector<std::string> kNumberPool = {"0",
                                                     "1",
                                                     "-1",
                                                     "2",
                                                     "30",
                                                     "-7",
                                                     "100",
                                                     "50",
                                                     "51",
                                                     "9007199254740992",
                                                     "9007199254740993",
                                                     "-9007199254740993",
                                                     "-9223372036854775808",
                                                     "9223372036854775807",
                                                     "9223372036854775808",
                                                     "18446744073709551615",
                                                     "18446744073709551614",
                                                     "30.0",
                                                     "0.5",
                                                     "-0.0",
                                                     "0.0",
                                                     "1.5",
                                                     "50.5",
                                                     "50.49",
                                                     "50.51",
                                                     "9007199254740992.0",
                                                     "9007199254740993.0",
                                                     "1e300",
                                                     "-1e300",
                                                     "2.5e-3",
                                                     "1E2",
                                                     "9.223372036854775807e18",
                                                     "1.8446744073709552e19",
                                                     "-9.2233720368547758e18",
                                                     "-1.5",
                                                     "1e-300",
                                                     "4.9e-324",
                                                     "3.0000000000000004"};

// JSON string literals: short (inline) and long (interned) ones, prefixes of each other,
// escapes, non-ASCII and strings that look like other types.
inline const std::vector<std::string> kStringPool = {
    R"("")",
    R"("x")",
    R"("ab")",
    R"("abc")",
    R"("abcd")",
    R"("abcde")",
    R"("abce")",
    R"("\u00e9")",
    R"("z")",
    R"("hello world")",
    R"("hello")",
    R"("zzzz")",
    R"("Ab\u0000cd")",
    R"("caf\u00e9s")",
    R"("\u00ff\u00ffxx")",
    R"("ab\"cd")",
    R"("line\nbreak")",
    R"("tab\there")",
    R"("\u20ac uro")",
    R"("\u0001ctl")",
    R"("a fairly long string that is well past any inline threshold")",
    R"("ABCD")",
    R"("30")",
    R"("true")",
    R"("null")"};

// Keys of the differential documents; queries also use others, e.g. "zz" (never present).
inline const std::vector<std::string> kDocKeys = {"a", "b", "c", "d", "a.b", "in"};

// Seeded random JSON text: documents (object(1)) and the pieces of queries (paths over
// `query_keys`, literals, keywords in random case).
class Generator {
 public:
  Generator(std::uint64_t seed, std::vector<std::string> query_keys)
      : rng_(seed), query_keys_(std::move(query_keys)) {}

  std::size_t below(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  bool chance(int percent) { return static_cast<int>(below(100)) < percent; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }

  // A random JSON string literal: short alphabet soup, so many distinct values appear
  // (fields pass small term limits) and some collide.
  std::string random_string() {
    static const char* const kPieces[] = {"a", "b", "c", "\\u00e9", "\\n", "\\\"", "\\u0001", "Z"};
    std::string s = "\"";
    const std::size_t len = below(7);
    for (std::size_t i = 0; i < len; ++i) s += kPieces[below(std::size(kPieces))];
    return s + "\"";
  }

  std::string scalar() {
    switch (below(10)) {
      case 0:
        return "null";
      case 1:
        return chance(50) ? "true" : "false";
      case 2:
      case 3:
      case 4:
        return pick(kNumberPool);
      case 5:
        return std::to_string(static_cast<int>(below(7)) - 3);
      case 6:
      case 7:
        return pick(kStringPool);
      default:
        return random_string();
    }
  }

  std::string value(int depth) {
    const std::size_t r = below(100);
    if (depth < 4 && r < 20) return object(depth + 1);
    if (depth < 4 && r < 38) return array(depth + 1);
    return scalar();
  }

  std::string array(int depth) {
    std::string s = "[";
    const std::size_t n = below(5);
    for (std::size_t i = 0; i < n; ++i) {
      if (i != 0) s += ',';
      s += chance(70) ? scalar() : value(depth);
    }
    return s + "]";
  }

  std::string object(int depth) {
    std::vector<std::string> keys = kDocKeys;
    std::shuffle(keys.begin(), keys.end(), rng_);
    keys.resize(below(depth == 1 ? keys.size() + 1 : 4));
    std::string s = "{";
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i != 0) s += ',';
      s += '"' + keys[i] + "\":" + value(depth);
    }
    return s + "}";
  }

  // A query path: one to three segments from the query keys.
  std::vector<std::string> path() {
    std::vector<std::string> p(1 + below(chance(60) ? 1 : 3));
    for (std::string& seg : p) seg = pick(query_keys_);
    return p;
  }

  std::string keyword(std::string_view word) {
    std::string s(word);
    const std::size_t style = below(3);
    for (char& c : s) {
      if (style == 0 || (style == 2 && chance(50))) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
    }
    return s;
  }

  std::mt19937_64& rng() { return rng_; }

  // Extra literal pool for one field (e.g. the uid values), used for half the literals
  // of queries on that single-segment path.
  void set_field_literals(std::string field, std::vector<std::string> literals) {
    field_ = std::move(field);
    field_literals_ = std::move(literals);
  }
  const std::string& field() const { return field_; }
  const std::vector<std::string>& field_literals() const { return field_literals_; }

 private:
  std::mt19937_64 rng_;
  std::vector<std::string> query_keys_;
  std::string field_;
  std::vector<std::string> field_literals_;
};

// The test's own query tree, rendered to WHERE text and evaluated by the reference.
struct RefQuery {
  enum Kind { kAnd, kOr, kNot, kEq, kNe, kLt, kLe, kGt, kGe, kIn, kContains, kExists, kAll };
  Kind kind = kExists;
  std::vector<std::string> path;
  std::vector<rapidjson::Document> literals;
  std::vector<RefQuery> children;
};

class QueryGen {
 public:
  // Queries nest AND/OR/NOT up to max_depth levels.
  explicit QueryGen(Generator& g, int max_depth = 4) : g_(g), max_depth_(max_depth) {}

  // A whole query: now and then an empty or blank one (matches everything).
  RefQuery make_top(std::string& text) {
    if (g_.chance(2)) {
      text = g_.chance(50) ? "" : " \t\n ";
      RefQuery q;
      q.kind = RefQuery::kAll;
      return q;
    }
    RefQuery q = make(0, text);
    if (g_.chance(10)) text = "  " + text + " \n";
    return q;
  }

  RefQuery make(int depth, std::string& text) {
    RefQuery q;
    const std::size_t r = g_.below(100);
    if (depth < max_depth_ && r < 30) {
      q.kind = g_.chance(50) ? RefQuery::kAnd : RefQuery::kOr;
      const std::size_t n = 2 + g_.below(3);
      for (std::size_t i = 0; i < n; ++i) {
        if (i != 0) text += " " + g_.keyword(q.kind == RefQuery::kAnd ? "and" : "or") + " ";
        std::string sub;
        q.children.push_back(make(depth + 1, sub));
        const RefQuery::Kind k = q.children.back().kind;
        if (k == RefQuery::kAnd || k == RefQuery::kOr || g_.chance(10)) sub = "(" + sub + ")";
        text += sub;
      }
      return q;
    }
    if (depth < max_depth_ && r < 42) {
      q.kind = RefQuery::kNot;
      std::string sub;
      q.children.push_back(make(depth + 1, sub));
      const RefQuery::Kind k = q.children.back().kind;
      if (k == RefQuery::kAnd || k == RefQuery::kOr) sub = "(" + sub + ")";
      text += g_.keyword("not") + " " + sub;
      return q;
    }
    q.path = g_.path();
    text += path_text(q.path);
    const std::size_t leaf = g_.below(100);
    if (leaf < 10) {
      q.kind = RefQuery::kExists;
      text += " " + g_.keyword("exists");
      return q;
    }
    if (leaf < 22) {
      q.kind = RefQuery::kIn;
      text += " " + g_.keyword("in") + " (";
      const std::size_t n = 1 + g_.below(4);
      for (std::size_t i = 0; i < n; ++i) {
        if (i != 0) text += g_.chance(50) ? ", " : ",";
        text += add_literal(q, false);
      }
      text += ")";
      return q;
    }
    if (leaf < 34) {
      q.kind = RefQuery::kContains;
      text += " " + g_.keyword("contains") + " " + add_literal(q, false);
      return q;
    }
    static const char* const kOps[] = {"=", "!=", "<", "<=", ">", ">="};
    const std::size_t op = leaf < 58 ? 0 : (leaf < 68 ? 1 : 2 + g_.below(4));
    q.kind = static_cast<RefQuery::Kind>(RefQuery::kEq + op);
    text += std::string(g_.chance(50) ? " " : "") + kOps[op] + " " + add_literal(q, op >= 2);
    return q;
  }

 private:
  std::string add_literal(RefQuery& q, bool ordered_only) {
    std::string json;
    const bool on_field = q.path.size() == 1 && q.path[0] == g_.field() && g_.chance(60);
    if (on_field) {
      json = g_.pick(g_.field_literals());
    } else if (ordered_only) {
      json = g_.chance(55) ? g_.pick(kNumberPool)
                           : (g_.chance(60) ? g_.pick(kStringPool) : g_.random_string());
    } else {
      json = g_.scalar();
    }
    if (ordered_only && (json == "null" || json == "true" || json == "false")) json = "0";
    std::string text = json;
    if (json == "null" || json == "true" || json == "false") {
      text = g_.keyword(json);
    } else if (json[0] == '"' && g_.chance(30)) {
      text = "'" + json.substr(1, json.size() - 2) + "'";
    }
    q.literals.push_back(parse_json(json));
    return text;
  }

  Generator& g_;
  int max_depth_;
};

inline bool ref_eval(const RefQuery& q, const RValue& doc) {
  switch (q.kind) {
    case RefQuery::kAll:
      return true;
    case RefQuery::kAnd:
      for (const RefQuery& c : q.children) {
        if (!ref_eval(c, doc)) return false;
      }
      return true;
    case RefQuery::kOr:
      for (const RefQuery& c : q.children) {
        if (ref_eval(c, doc)) return true;
      }
      return false;
    case RefQuery::kNot:
      return !ref_eval(q.children[0], doc);
    default:
      break;
  }
  const RValue* v = ref_resolve(doc, q.path);
  switch (q.kind) {
    case RefQuery::kExists:
      return v != nullptr;
    case RefQuery::kEq:
      return v != nullptr && ref_equal(*v, q.literals[0]);
    case RefQuery::kNe:
      return !(v != nullptr && ref_equal(*v, q.literals[0]));
    case RefQuery::kIn:
      if (v == nullptr) return false;
      for (const auto& lit : q.literals) {
        if (ref_equal(*v, lit)) return true;
      }
      return false;
    case RefQuery::kContains:
      if (v == nullptr || !v->IsArray()) return false;
      for (const RValue& e : v->GetArray()) {
        if (ref_equal(e, q.literals[0])) return true;
      }
      return false;
    default: {
      if (v == nullptr) return false;
      const int o = ref_order(*v, q.literals[0]);
      if (o == 2) return false;
      switch (q.kind) {
        case RefQuery::kLt:
          return o < 0;
        case RefQuery::kLe:
          return o <= 0;
        case RefQuery::kGt:
          return o > 0;
        default:
          return o >= 0;
      }
    }
  }
}

}  // namespace kora::testing
