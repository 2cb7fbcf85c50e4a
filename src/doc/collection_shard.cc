#include "doc/collection_shard.h"

#include <algorithm>
#include <limits>

#include "doc/packed_codec.h"

namespace kora::doc {
namespace {

// On-demand compaction (doc_compact) moves this much per shard call.
constexpr std::size_t kCompactionStepBytes = 256u << 10;
// Background compaction rides on writes once garbage passes the ratio. Each write moves
// a few times the garbage it created (at least a small floor), so the work is amortised
// over the writes that cause it and bounded per call.
constexpr std::size_t kCompactionWorkPerGarbageByte = 4;
constexpr std::size_t kMinCompactionStepBytes = 4u << 10;

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

}  // namespace

CollectionShard::CollectionShard(const DocCollectionConfig& config, const core::Clock& clock,
                                 std::shared_ptr<UniqueRegistry> unique)
    : config_(config),
      clock_(clock),
      dictionary_(config, &dictionary_bytes_),
      arena_(&arena_bytes_),
      id_map_(&id_map_bytes_),
      expiry_table_(0, std::hash<DocNumber>(), std::equal_to<>(),
                    Alloc<std::pair<const DocNumber, core::TimeMs>>(&expiry_bytes_)),
      expiry_queue_(Alloc<std::pair<core::TimeMs, DocNumber>>(&expiry_bytes_)),
      unique_(std::move(unique)) {
  unique_check_ = [this](std::string_view new_body) -> Status {
    indexes_.extract(new_body, dictionary_, new_values_);
    return claim_unique(editing_id_, &old_values_, new_values_, editing_expiry_);
  };
}

namespace {
std::optional<ScalarKey> unique_key(const IndexedField& field) {
  if (field.kind != IndexedField::Kind::kScalar) return std::nullopt;
  return field.key;
}
}  // namespace

Status CollectionShard::claim_unique(std::string_view id, const IndexedValues* previous,
                                     const IndexedValues& next, ExpireAt expire_at, bool reserved) {
  if (!indexes_.has_unique()) return {};
  claims_.clear();
  const auto indexes = indexes_.indexes();
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    if (indexes[i].definition.type != FieldIndexType::kUnique) continue;
    claims_.push_back({indexes[i].definition.path_text,
                       previous ? unique_key(previous->fields[i]) : std::nullopt,
                       unique_key(next.fields[i])});
  }
  return unique_->claim(id, claims_, clock_.now_ms(), expire_at.value_or(0), reserved);
}

void CollectionShard::release_unique(std::string_view id, const IndexedValues& values) {
  if (!indexes_.has_unique()) return;
  const auto indexes = indexes_.indexes();
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    if (indexes[i].definition.type != FieldIndexType::kUnique) continue;
    if (values.fields[i].kind == IndexedField::Kind::kScalar) {
      unique_->release(indexes[i].definition.path_text, id, values.fields[i].key);
    }
  }
}

bool CollectionShard::expired(DocNumber doc) const {
  if (!record_has_ttl(arena_.get(doc))) return false;
  const auto it = expiry_table_.find(doc);
  return it != expiry_table_.end() && it->second <= clock_.now_ms();
}

std::optional<DocNumber> CollectionShard::find(std::string_view id, std::uint64_t hash) {
  const std::optional<DocNumber> doc =
      id_map_.find(id, hash, [this](DocNumber d) { return record_id(arena_.get(d)); });
  if (doc && expired(*doc)) [[unlikely]] {
    erase_document(*doc, id, hash);
    return std::nullopt;
  }
  return doc;
}

void CollectionShard::build_record(std::string_view id, const ParsedDocument& doc, bool has_ttl) {
  scratch_.clear();
  append_varint(scratch_, (std::uint64_t{id.size()} << 1) | (has_ttl ? 1 : 0));
  scratch_.append(id);
  encode_document(doc.root(), dictionary_, scratch_);
}

void CollectionShard::release_record(DocNumber doc) {
  release_document(record_body(arena_.get(doc)), dictionary_);
}

void CollectionShard::set_expiry(DocNumber doc, ExpireAt expire_at) {
  char* header = arena_.mutable_data(doc);
  if (record_has_ttl(std::string_view(header, 1))) {
    const auto it = expiry_table_.find(doc);
    expiry_queue_.erase({it->second, doc});
    expiry_table_.erase(it);
  }
  // Reserve both entries before changing anything, so a bad_alloc leaves the old state.
  if (expire_at) {
    auto [slot, fresh] = expiry_table_.try_emplace(doc, *expire_at);
    try {
      expiry_queue_.emplace(*expire_at, doc);
    } catch (...) {
      if (fresh) expiry_table_.erase(slot);
      *header = static_cast<char>(*header & ~1);
      throw;
    }
    *header = static_cast<char>(*header | 1);
  } else {
    *header = static_cast<char>(*header & ~1);
  }
}

void CollectionShard::erase_document(DocNumber doc, std::string_view id, std::uint64_t hash) {
  ++generation_;
  if (record_has_ttl(arena_.get(doc))) set_expiry(doc, std::nullopt);
  indexes_.extract(record_body(arena_.get(doc)), dictionary_, old_values_);
  indexes_.remove(doc, old_values_);
  release_unique(id, old_values_);
  release_record(doc);
  // The id map compares ids through the record, so unlink it before the record goes.
  id_map_.erase(id, hash, [this](DocNumber d) { return record_id(arena_.get(d)); });
  const std::uint64_t garbage_before = arena_.garbage_bytes();
  arena_.erase(doc);
  maybe_compact(arena_.garbage_bytes() - std::min(garbage_before, arena_.garbage_bytes()));
}

Result<bool> CollectionShard::set(std::string_view id, const ParsedDocument& doc,
                                  ExpireAt expire_at, bool reserved) {
  const std::uint64_t hash = IdMap::hash(id);
  const std::optional<DocNumber> existing = find(id, hash);
  // Encode the new record before releasing the old one, so terms both share are never
  // reclaimed and re-interned in between. The TTL bit starts clear; set_expiry sets it.
  build_record(id, doc, false);
  indexes_.extract(record_body(scratch_), dictionary_, new_values_);
  if (existing) indexes_.extract(record_body(arena_.get(*existing)), dictionary_, old_values_);
  if (Status s =
          claim_unique(id, existing ? &old_values_ : nullptr, new_values_, expire_at, reserved);
      !s.ok()) {
    release_document(record_body(scratch_), dictionary_);
    return s;
  }
  ++generation_;
  const std::uint64_t garbage_before = arena_.garbage_bytes();
  DocNumber number;
  if (existing) {
    number = *existing;
    if (record_has_ttl(arena_.get(number))) set_expiry(number, std::nullopt);
    release_record(number);
    arena_.replace(number, scratch_);
    indexes_.replace(number, old_values_, new_values_);
  } else {
    number = arena_.insert(scratch_);
    id_map_.insert(id, hash, number, [this](DocNumber d) { return record_id(arena_.get(d)); });
    indexes_.add(number, new_values_);
  }
  if (expire_at) set_expiry(number, expire_at);
  maybe_compact(arena_.garbage_bytes() - std::min(garbage_before, arena_.garbage_bytes()));
  return !existing;
}

Result<bool> CollectionShard::insert_new(std::string_view id, const ParsedDocument& doc,
                                         ExpireAt expire_at) {
  const std::uint64_t hash = IdMap::hash(id);
  if (find(id, hash)) return false;
  build_record(id, doc, false);
  indexes_.extract(record_body(scratch_), dictionary_, new_values_);
  if (Status s = claim_unique(id, nullptr, new_values_, expire_at); !s.ok()) {
    release_document(record_body(scratch_), dictionary_);
    return s;
  }
  ++generation_;
  const DocNumber number = arena_.insert(scratch_);
  id_map_.insert(id, hash, number, [this](DocNumber d) { return record_id(arena_.get(d)); });
  indexes_.add(number, new_values_);
  if (expire_at) set_expiry(number, expire_at);
  return true;
}

bool CollectionShard::get(std::string_view id, std::span<const std::vector<std::string>> projection,
                          std::string& out) {
  const std::optional<DocNumber> number = find(id, IdMap::hash(id));
  if (!number) return false;
  write_json(*number, projection, out);
  return true;
}

bool CollectionShard::erase(std::string_view id) {
  const std::uint64_t hash = IdMap::hash(id);
  const std::optional<DocNumber> number = find(id, hash);
  if (!number) return false;
  erase_document(*number, id, hash);
  return true;
}

bool CollectionShard::contains(std::string_view id) {
  return find(id, IdMap::hash(id)).has_value();
}

Result<bool> CollectionShard::update(std::string_view id, std::span<const EditOp> ops,
                                     std::uint32_t max_depth) {
  const std::optional<DocNumber> number = find(id, IdMap::hash(id));
  if (!number) return false;
  const std::string_view record = arena_.get(*number);
  const std::string_view body = record_body(record);
  scratch_.assign(record.data(), record.size() - body.size());  // the header and id, TTL bit kept
  indexes_.extract(body, dictionary_, old_values_);
  editing_id_ = record_id(record);
  editing_expiry_ =
      record_has_ttl(record) ? ExpireAt(expiry_table_.find(*number)->second) : ExpireAt();
  KORA_RETURN_IF_ERROR(apply_edits(body, ops, dictionary_, max_depth, scratch_, &unique_check_));
  ++generation_;
  const std::uint64_t garbage_before = arena_.garbage_bytes();
  arena_.replace(*number, scratch_);
  indexes_.replace(*number, old_values_, new_values_);
  maybe_compact(arena_.garbage_bytes() - std::min(garbage_before, arena_.garbage_bytes()));
  return true;
}

bool CollectionShard::expire(std::string_view id, core::TimeMs expire_at) {
  const std::optional<DocNumber> number = find(id, IdMap::hash(id));
  if (!number) return false;
  set_expiry(*number, expire_at);
  refresh_unique_expiry(*number, expire_at);
  return true;
}

bool CollectionShard::persist(std::string_view id) {
  const std::optional<DocNumber> number = find(id, IdMap::hash(id));
  if (!number || !record_has_ttl(arena_.get(*number))) return false;
  set_expiry(*number, std::nullopt);
  refresh_unique_expiry(*number, std::nullopt);
  return true;
}

void CollectionShard::refresh_unique_expiry(DocNumber doc, ExpireAt expire_at) {
  if (!indexes_.has_unique()) return;
  const std::string_view record = arena_.get(doc);
  indexes_.extract(record_body(record), dictionary_, old_values_);
  // Claiming what it already holds cannot clash; it only rewrites the expiry.
  (void)claim_unique(record_id(record), &old_values_, old_values_, expire_at);
}

std::optional<core::TimeMs> CollectionShard::expire_at(std::string_view id) {
  const std::optional<DocNumber> number = find(id, IdMap::hash(id));
  if (!number || !record_has_ttl(arena_.get(*number))) return std::nullopt;
  return expiry_table_.find(*number)->second;
}

std::size_t CollectionShard::sweep_expired(std::size_t max_docs) {
  if (expiry_queue_.empty()) return 0;
  const core::TimeMs now = clock_.now_ms();
  std::size_t erased = 0;
  while (erased < max_docs && !expiry_queue_.empty() && expiry_queue_.begin()->first <= now) {
    const DocNumber doc = expiry_queue_.begin()->second;
    const std::string_view id = record_id(arena_.get(doc));
    // erase_document reads the id from the record while unlinking, before it is freed.
    erase_document(doc, id, IdMap::hash(id));
    ++erased;
  }
  return erased;
}

std::uint64_t CollectionShard::doc_count() {
  sweep_expired(std::numeric_limits<std::size_t>::max());
  return arena_.doc_count();
}

bool CollectionShard::compact_all_step() { return arena_.compact_all_step(kCompactionStepBytes); }

void CollectionShard::maybe_compact(std::uint64_t garbage_created) {
  if (arena_.wants_compaction(config_.compaction_garbage_ratio)) {
    const std::uint64_t budget =
        std::clamp<std::uint64_t>(garbage_created * kCompactionWorkPerGarbageByte,
                                  kMinCompactionStepBytes, kCompactionStepBytes);
    arena_.compact_step(budget);
  }
}

DocStorageInfo CollectionShard::storage_info() {
  DocStorageInfo info{};
  info.doc_count = doc_count();
  info.live_bytes = arena_.live_bytes();
  info.garbage_bytes = arena_.garbage_bytes();
  info.arena_capacity_bytes = arena_.capacity_bytes();
  info.min_record_bytes = arena_.min_record_bytes();
  info.max_record_bytes = arena_.max_record_bytes();
  info.compactions = arena_.compactions();
  info.reclaimed_bytes = arena_.reclaimed_bytes();
  info.id_map_bytes = id_map_bytes_.bytes;
  info.dictionary_bytes = dictionary_bytes_.bytes;
  const MemoryCounter index_memory = indexes_.memory();
  info.index_bytes = index_memory.bytes;
  // What the heap really spent (chunk overhead included), so it matches the allocator.
  info.total_bytes = arena_bytes_.heap_bytes + id_map_bytes_.heap_bytes +
                     dictionary_bytes_.heap_bytes + expiry_bytes_.heap_bytes +
                     index_memory.heap_bytes + scratch_.capacity() + sizeof(*this);
  return info;
}

Status CollectionShard::create_index(CollectionIndexes::Definition definition) {
  sweep_expired(std::numeric_limits<std::size_t>::max());
  const bool unique = definition.type == FieldIndexType::kUnique;
  const std::string path_text = definition.path_text;
  const std::size_t position = indexes_.add_index(std::move(definition));
  const CollectionIndexes::Index& index = indexes_.indexes()[position];
  Status status;
  arena_.for_each([&](DocNumber doc, std::string_view record) {
    if (!status.ok()) return;
    const IndexedField field = indexes_.extract_field(index, record_body(record), dictionary_);
    if (unique) {
      const UniqueRegistry::Claim claim{path_text, std::nullopt, unique_key(field)};
      const ExpireAt expiry =
          record_has_ttl(record) ? ExpireAt(expiry_table_.find(doc)->second) : ExpireAt();
      status = unique_->claim(record_id(record), std::span(&claim, 1), clock_.now_ms(),
                              expiry.value_or(0));
      if (!status.ok()) return;
    }
    indexes_.add_to_index(position, doc, field);
  });
  return status;
}

bool CollectionShard::drop_index(std::string_view path_text) {
  return indexes_.drop_index(path_text);
}

std::vector<DocIndexInfo> CollectionShard::index_info() const {
  std::vector<DocIndexInfo> out;
  for (const CollectionIndexes::Index& index : indexes_.indexes()) {
    DocIndexInfo info{};
    info.path = index.definition.path_text;
    info.type = index.definition.type;
    if (index.hash) info.distinct_keys = index.hash->distinct_keys();
    if (index.sorted) info.distinct_keys = index.sorted->distinct_keys();
    if (index.array) info.distinct_keys = index.array->distinct_keys();
    info.bytes = indexes_.index_bytes(index);
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace kora::doc
