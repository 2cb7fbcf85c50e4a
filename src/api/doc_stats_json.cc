// to_json for the document stats structs: compact JSON whose keys are the field names,
// matching the JSON Schemas in schemas/.
#include <string>

#include "doc/rapidjson.h"
#include "kora/document.h"

namespace kora {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void key(JsonWriter& w, const char* name) { w.Key(name); }
void field(JsonWriter& w, const char* name, std::uint64_t value) {
  w.Key(name);
  w.Uint64(value);
}
void field(JsonWriter& w, const char* name, double value) {
  w.Key(name);
  w.Double(value);
}
void field(JsonWriter& w, const char* name, std::string_view value) {
  w.Key(name);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void field(JsonWriter& w, const char* name, bool value) {
  w.Key(name);
  w.Bool(value);
}

std::string finish(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::string to_json(const DocStorageInfo& info) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  field(w, "doc_count", info.doc_count);
  field(w, "live_bytes", info.live_bytes);
  field(w, "garbage_bytes", info.garbage_bytes);
  field(w, "arena_capacity_bytes", info.arena_capacity_bytes);
  field(w, "min_record_bytes", info.min_record_bytes);
  field(w, "max_record_bytes", info.max_record_bytes);
  field(w, "avg_record_bytes", info.avg_record_bytes);
  field(w, "compactions", info.compactions);
  field(w, "reclaimed_bytes", info.reclaimed_bytes);
  field(w, "id_map_bytes", info.id_map_bytes);
  field(w, "dictionary_bytes", info.dictionary_bytes);
  field(w, "index_bytes", info.index_bytes);
  field(w, "total_bytes", info.total_bytes);
  w.EndObject();
  return finish(buffer);
}

std::string to_json(const DocDictionaryInfo& info) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  field(w, "entries", info.entries);
  field(w, "bytes", info.bytes);
  key(w, "fields");
  w.StartArray();
  for (const DocDictionaryFieldInfo& f : info.fields) {
    w.StartObject();
    field(w, "path", std::string_view(f.path));
    field(w, "field_id", std::uint64_t{f.field_id});
    field(w, "interned_terms", f.interned_terms);
    field(w, "cardinality_estimate", f.cardinality_estimate);
    field(w, "terms_interned", f.terms_interned);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return finish(buffer);
}

std::string to_json(const DocCollectionInfo& info) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  field(w, "name", std::string_view(info.name));
  field(w, "created_at_ms", info.created_at_ms);
  field(w, "doc_count", info.doc_count);
  field(w, "dictionary_entries", info.dictionary_entries);
  key(w, "config");
  w.StartObject();
  field(w, "max_interned_terms_per_field", std::uint64_t{info.config.max_interned_terms_per_field});
  field(w, "min_interned_term_bytes", std::uint64_t{info.config.min_interned_term_bytes});
  field(w, "compaction_garbage_ratio", info.config.compaction_garbage_ratio);
  w.EndObject();
  w.EndObject();
  return finish(buffer);
}

}  // namespace kora
