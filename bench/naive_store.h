// The RapidJSON side of the document benchmarks' naive baseline (doc_bench.cc,
// doc_query_bench.cc): one DOM per document, each in its own pool sized from its JSON
// text, plus the JSON value comparison the checks use.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

namespace kora_bench {

using RjPool = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using RjValue = rapidjson::GenericValue<rapidjson::UTF8<>, RjPool>;
using RjDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, RjPool, rapidjson::CrtAllocator>;
using RjWriter = rapidjson::Writer<rapidjson::StringBuffer>;
constexpr unsigned kRjParseFlags = rapidjson::kParseFullPrecisionFlag;

// Naive pool chunk = 250% of the JSON bytes: the standard user documents' DOMs take about
// 2x their JSON text (at most 2.25x), so one chunk holds each whole DOM.
constexpr std::size_t kNaivePoolPercent = 250;

// Base allocator shared by every pool and parse stack (CrtAllocator is stateless); without
// it each pool and each Document's stack `new`s its own.
inline rapidjson::CrtAllocator g_crt;

// For checks: JSON text parsed into a self-contained document (nullopt if invalid).
inline std::optional<rapidjson::Document> parse_value(std::string_view json) {
  std::optional<rapidjson::Document> doc(std::in_place);
  doc->Parse<kRjParseFlags>(json.data(), json.size());
  if (doc->HasParseError()) return std::nullopt;
  return doc;
}

// true: both texts are valid JSON with the same value (object member order ignored, as
// RapidJSON's operator== does).
inline bool same_value(std::string_view a, std::string_view b) {
  const auto va = parse_value(a);
  const auto vb = parse_value(b);
  return va && vb && *va == *vb;
}

// One document of a naive store: its DOM in its own pool.
struct NaiveEntry {
  explicit NaiveEntry(std::size_t chunk_bytes) : pool(chunk_bytes, &g_crt) {}
  RjPool pool;  // this document's own pool
  RjValue root;

  // The document parsed from `json`; nullptr when it is not a JSON object.
  static std::unique_ptr<NaiveEntry> parse(std::string_view json) {
    auto entry = std::make_unique<NaiveEntry>(json.size() * kNaivePoolPercent / 100);
    RjDocument doc(&entry->pool, 1024, &g_crt);
    doc.Parse<kRjParseFlags>(json.data(), json.size());
    if (doc.HasParseError() || !doc.IsObject()) return nullptr;
    entry->root.Swap(doc);  // the values stay in entry->pool
    return entry;
  }
};

}  // namespace kora_bench
