#include "doc/collection_indexes.h"

#include <algorithm>

namespace kora::doc {
namespace {

void count_in(MemoryCounter& total, const MemoryCounter& m) {
  total.bytes += m.bytes;
  total.heap_bytes += m.heap_bytes;
}

bool is_container(PackedTag tag) { return tag == PackedTag::kObject || tag == PackedTag::kArray; }

}  // namespace

CollectionIndexes::CollectionIndexes()
    : presence_(CountingAllocator<Bitmap>(&presence_table_bytes_)) {}

IndexedField CollectionIndexes::extract_field(const Index& index, std::string_view body,
                                              const Dictionary& dict) const {
  IndexedField field;
  const BoundPath bound = bind_path(index.definition.path, dict);
  const std::optional<ValueRef> at = locate(bound, body);
  if (!at) return field;
  if (at->tag == PackedTag::kObject) {
    field.kind = IndexedField::Kind::kObject;
  } else if (at->tag == PackedTag::kArray) {
    field.kind = IndexedField::Kind::kArray;
    if (index.definition.type == FieldIndexType::kArray) {
      for_each_element(*at, [&](ValueRef element) {
        if (is_container(element.tag)) return;
        ScalarKey key = scalar_key(element, bound.field(), dict);
        if (std::find(field.elements.begin(), field.elements.end(), key) == field.elements.end()) {
          field.elements.push_back(std::move(key));
        }
      });
    }
  } else {
    field.kind = IndexedField::Kind::kScalar;
    field.key = scalar_key(*at, bound.field(), dict);
  }
  return field;
}

void CollectionIndexes::extract(std::string_view body, const Dictionary& dict,
                                IndexedValues& out) const {
  out.present.clear();
  for_each_object_path(body, [&](PathId id) { out.present.push_back(id); });
  out.fields.resize(indexes_.size());
  for (std::size_t i = 0; i < indexes_.size(); ++i) {
    out.fields[i] = extract_field(indexes_[i], body, dict);
  }
}

void CollectionIndexes::add_to_index(std::size_t position, DocNumber doc,
                                     const IndexedField& field) {
  Index& index = indexes_[position];
  switch (index.definition.type) {
    case FieldIndexType::kHash:
    case FieldIndexType::kUnique:
      if (field.kind == IndexedField::Kind::kScalar) index.hash->add(field.key, doc);
      break;
    case FieldIndexType::kSorted:
      if (field.kind == IndexedField::Kind::kScalar) {
        index.sorted->add(field.key, doc);
      } else if (field.kind != IndexedField::Kind::kMissing) {
        index.non_scalar.add(doc);
      }
      break;
    case FieldIndexType::kArray:
      if (field.kind == IndexedField::Kind::kArray) index.array->add_elements(field.elements, doc);
      break;
  }
}

void CollectionIndexes::remove_field(std::size_t position, DocNumber doc,
                                     const IndexedField& field) {
  Index& index = indexes_[position];
  switch (index.definition.type) {
    case FieldIndexType::kHash:
    case FieldIndexType::kUnique:
      if (field.kind == IndexedField::Kind::kScalar) index.hash->remove(field.key, doc);
      break;
    case FieldIndexType::kSorted:
      if (field.kind == IndexedField::Kind::kScalar) {
        index.sorted->remove(field.key, doc);
      } else {
        index.non_scalar.remove(doc);
      }
      break;
    case FieldIndexType::kArray:
      if (field.kind == IndexedField::Kind::kArray) {
        index.array->remove_elements(field.elements, doc);
      }
      break;
  }
}

void CollectionIndexes::add(DocNumber doc, const IndexedValues& values) {
  live_.add(doc);
  for (const PathId path : values.present) {
    if (path >= presence_.size()) presence_.resize(path + 1);
    presence_[path].add(doc);
  }
  for (std::size_t i = 0; i < indexes_.size(); ++i) add_to_index(i, doc, values.fields[i]);
}

void CollectionIndexes::remove(DocNumber doc, const IndexedValues& values) {
  live_.remove(doc);
  for (const PathId path : values.present) {
    if (path >= presence_.size()) continue;
    Bitmap& bitmap = presence_[path];
    bitmap.remove(doc);
    if (bitmap.isEmpty()) bitmap = Bitmap();  // give its containers back
  }
  for (std::size_t i = 0; i < indexes_.size() && i < values.fields.size(); ++i) {
    remove_field(i, doc, values.fields[i]);
  }
}

void CollectionIndexes::replace(DocNumber doc, const IndexedValues& before,
                                const IndexedValues& after) {
  if (before.present != after.present) {
    for (const PathId path : before.present) {
      if (path >= presence_.size()) continue;
      Bitmap& bitmap = presence_[path];
      bitmap.remove(doc);
      if (bitmap.isEmpty()) bitmap = Bitmap();
    }
    for (const PathId path : after.present) {
      if (path >= presence_.size()) presence_.resize(path + 1);
      presence_[path].add(doc);
    }
  }
  for (std::size_t i = 0; i < indexes_.size(); ++i) {
    if (before.fields[i] == after.fields[i]) continue;
    remove_field(i, doc, before.fields[i]);
    add_to_index(i, doc, after.fields[i]);
  }
}

std::size_t CollectionIndexes::add_index(Definition definition) {
  Index index;
  switch (definition.type) {
    case FieldIndexType::kHash:
    case FieldIndexType::kUnique:
      index.hash = std::make_unique<HashIndex>();
      break;
    case FieldIndexType::kSorted:
      index.sorted = std::make_unique<SortedIndex>();
      break;
    case FieldIndexType::kArray:
      index.array = std::make_unique<ArrayIndex>();
      break;
  }
  if (definition.type == FieldIndexType::kUnique) ++unique_count_;
  index.definition = std::move(definition);
  auto at = std::lower_bound(
      indexes_.begin(), indexes_.end(), index.definition.path_text,
      [](const Index& a, const std::string& path) { return a.definition.path_text < path; });
  at = indexes_.insert(at, std::move(index));
  return static_cast<std::size_t>(at - indexes_.begin());
}

bool CollectionIndexes::drop_index(std::string_view path_text) {
  auto it = std::find_if(indexes_.begin(), indexes_.end(),
                         [&](const Index& i) { return i.definition.path_text == path_text; });
  if (it == indexes_.end()) return false;
  if (it->definition.type == FieldIndexType::kUnique) --unique_count_;
  indexes_.erase(it);
  return true;
}

const Bitmap* CollectionIndexes::presence(PathId path) const {
  if (path >= presence_.size() || presence_[path].isEmpty()) return nullptr;
  return &presence_[path];
}

const CollectionIndexes::Index* CollectionIndexes::find(
    const std::vector<std::string>& path) const {
  for (const Index& index : indexes_) {
    if (index.definition.path == path) return &index;
  }
  return nullptr;
}

std::uint64_t CollectionIndexes::index_bytes(const Index& index) const {
  MemoryCounter m;
  if (index.hash) count_in(m, index.hash->memory());
  if (index.sorted) count_in(m, index.sorted->memory());
  if (index.array) count_in(m, index.array->memory());
  count_in(m, bitmap_memory(index.non_scalar));
  return m.bytes;  // as DocStorageInfo::index_bytes: bytes requested
}

MemoryCounter CollectionIndexes::memory() const {
  MemoryCounter total = presence_table_bytes_;
  count_in(total, bitmap_memory(live_));
  for (const Bitmap& bitmap : presence_) count_in(total, bitmap_memory(bitmap));
  for (const Index& index : indexes_) {
    if (index.hash) count_in(total, index.hash->memory());
    if (index.sorted) count_in(total, index.sorted->memory());
    if (index.array) count_in(total, index.array->memory());
    count_in(total, bitmap_memory(index.non_scalar));
  }
  return total;
}

}  // namespace kora::doc
