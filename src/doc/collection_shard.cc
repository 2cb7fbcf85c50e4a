#include "doc/collection_shard.h"

#include <algorithm>

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

// Reads the id length prefix; returns {length, bytes the prefix took}.
std::pair<std::uint64_t, std::size_t> read_id_length(std::string_view record) {
  std::uint64_t value = 0;
  std::size_t i = 0;
  for (int shift = 0; i < record.size(); shift += 7) {
    const auto byte = static_cast<std::uint8_t>(record[i++]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  return {value, i};
}

}  // namespace

std::string_view record_id(std::string_view record) {
  const auto [length, prefix] = read_id_length(record);
  return record.substr(prefix, length);
}

std::string_view record_body(std::string_view record) {
  const auto [length, prefix] = read_id_length(record);
  return record.substr(prefix + length);
}

CollectionShard::CollectionShard(const DocCollectionConfig& config)
    : config_(config),
      dictionary_(config, &dictionary_bytes_),
      arena_(&arena_bytes_),
      id_map_(&id_map_bytes_) {}

std::optional<DocNumber> CollectionShard::find(std::string_view id, std::uint64_t hash) const {
  return id_map_.find(id, hash, [this](DocNumber doc) { return record_id(arena_.get(doc)); });
}

void CollectionShard::build_record(std::string_view id, const ParsedDocument& doc) {
  scratch_.clear();
  append_varint(scratch_, id.size());
  scratch_.append(id);
  encode_document(doc.root(), dictionary_, scratch_);
}

void CollectionShard::release_record(DocNumber doc) {
  release_document(record_body(arena_.get(doc)), dictionary_);
}

bool CollectionShard::set(std::string_view id, const ParsedDocument& doc) {
  const std::uint64_t hash = IdMap::hash(id);
  const std::optional<DocNumber> existing = find(id, hash);
  // Encode the new record before releasing the old one, so terms both share are never
  // reclaimed and re-interned in between.
  build_record(id, doc);
  const std::uint64_t garbage_before = arena_.garbage_bytes();
  if (existing) {
    release_record(*existing);
    arena_.replace(*existing, scratch_);
  } else {
    const DocNumber number = arena_.insert(scratch_);
    id_map_.insert(id, hash, number, [this](DocNumber d) { return record_id(arena_.get(d)); });
  }
  maybe_compact(arena_.garbage_bytes() - std::min(garbage_before, arena_.garbage_bytes()));
  return !existing;
}

bool CollectionShard::insert_new(std::string_view id, const ParsedDocument& doc) {
  const std::uint64_t hash = IdMap::hash(id);
  if (find(id, hash)) return false;
  build_record(id, doc);
  const DocNumber number = arena_.insert(scratch_);
  id_map_.insert(id, hash, number, [this](DocNumber d) { return record_id(arena_.get(d)); });
  return true;
}

bool CollectionShard::get(std::string_view id, std::span<const std::vector<std::string>> projection,
                          std::string& out) const {
  const std::optional<DocNumber> number = find(id, IdMap::hash(id));
  if (!number) return false;
  const std::string_view body = record_body(arena_.get(*number));
  // JSON text is rarely more than twice its packed body: one allocation instead of a
  // string growing (and copying) four or five times.
  out.reserve(out.size() + 2 * body.size() + 64);
  if (projection.empty()) {
    decode_document(body, dictionary_, out);
  } else {
    decode_projected(body, dictionary_, projection, out);
  }
  return true;
}

bool CollectionShard::erase(std::string_view id) {
  const std::uint64_t hash = IdMap::hash(id);
  const std::optional<DocNumber> number = find(id, hash);
  if (!number) return false;
  release_record(*number);
  // The id map compares ids through the record, so unlink it before the record goes.
  id_map_.erase(id, hash, [this](DocNumber d) { return record_id(arena_.get(d)); });
  const std::uint64_t garbage_before = arena_.garbage_bytes();
  arena_.erase(*number);
  maybe_compact(arena_.garbage_bytes() - std::min(garbage_before, arena_.garbage_bytes()));
  return true;
}

bool CollectionShard::contains(std::string_view id) const {
  return find(id, IdMap::hash(id)).has_value();
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

DocStorageInfo CollectionShard::storage_info() const {
  DocStorageInfo info{};
  info.doc_count = arena_.doc_count();
  info.live_bytes = arena_.live_bytes();
  info.garbage_bytes = arena_.garbage_bytes();
  info.arena_capacity_bytes = arena_.capacity_bytes();
  info.min_record_bytes = arena_.min_record_bytes();
  info.max_record_bytes = arena_.max_record_bytes();
  info.compactions = arena_.compactions();
  info.reclaimed_bytes = arena_.reclaimed_bytes();
  info.id_map_bytes = id_map_bytes_.bytes;
  info.dictionary_bytes = dictionary_bytes_.bytes;
  info.index_bytes = 0;  // no indexes yet
  // What the heap really spent (chunk overhead included), so it matches the allocator.
  info.total_bytes = arena_bytes_.heap_bytes + id_map_bytes_.heap_bytes +
                     dictionary_bytes_.heap_bytes + scratch_.capacity() + sizeof(*this);
  return info;
}

}  // namespace kora::doc
