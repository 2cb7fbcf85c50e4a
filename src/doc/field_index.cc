#include "doc/field_index.h"

#include <roaring/containers/containers.h>
#include <roaring/containers/convert.h>
#include <roaring/roaring_array.h>
#include <roaring/roaring_version.h>

#include <vector>

namespace kora::doc {

// bitmap_memory reads CRoaring's internal structs (array, bitset, run and shared
// containers; the roaring_array_t whose keys, typecodes and container pointers share one
// malloc block), and the equality indexes choose their containers' types through them
// (see "Dense containers" below). Those are 0.2.x's; a new CRoaring must be checked
// against its sources.
static_assert(ROARING_VERSION_MAJOR == 0 && ROARING_VERSION_MINOR == 2,
              "field_index.cc uses CRoaring 0.2.x internals: recheck them for this version");

namespace {

void add_block(MemoryCounter& m, const void* p, std::size_t requested) noexcept {
  if (p == nullptr) return;
  m.bytes += requested;
  m.heap_bytes += heap_bytes(const_cast<void*>(p), requested);
}

void add_container(MemoryCounter& m, const void* c, std::uint8_t typecode) noexcept {
  switch (typecode) {
    case BITSET_CONTAINER_TYPE_CODE: {
      const auto* b = static_cast<const bitset_container_t*>(c);
      add_block(m, b, sizeof(*b));
      add_block(m, b->array, sizeof(std::uint64_t) * BITSET_CONTAINER_SIZE_IN_WORDS);
      break;
    }
    case ARRAY_CONTAINER_TYPE_CODE: {
      const auto* a = static_cast<const array_container_t*>(c);
      add_block(m, a, sizeof(*a));
      add_block(m, a->array, sizeof(std::uint16_t) * static_cast<std::size_t>(a->capacity));
      break;
    }
    case RUN_CONTAINER_TYPE_CODE: {
      const auto* r = static_cast<const run_container_t*>(c);
      add_block(m, r, sizeof(*r));
      add_block(m, r->runs, sizeof(rle16_t) * static_cast<std::size_t>(r->capacity));
      break;
    }
    case SHARED_CONTAINER_TYPE_CODE: {
      // Only copy-on-write bitmaps share containers, and the indexes never enable it; a
      // shared payload would be counted once per holder here.
      const auto* s = static_cast<const shared_container_t*>(c);
      add_block(m, s, sizeof(*s));
      add_container(m, s->container, s->typecode);
      break;
    }
    default:
      break;
  }
}

MemoryCounter key_memory(const ScalarKey& key) noexcept {
  MemoryCounter m;
  const std::size_t n = key.allocated_bytes();
  if (n != 0) add_block(m, key.string_value().data(), n);
  return m;
}

void count_in(MemoryCounter& counter, const MemoryCounter& m) noexcept {
  counter.bytes += m.bytes;
  counter.heap_bytes += m.heap_bytes;
}

void count_out(MemoryCounter& counter, const MemoryCounter& m) noexcept {
  counter.bytes -= m.bytes;
  counter.heap_bytes -= m.heap_bytes;
}

// ---- Dense containers ----------------------------------------------------------------
//
// CRoaring keeps a 65536-doc chunk as a sorted array until it holds 4096 docs, then as a
// bitset. An AND of two arrays is a merge of sorted lists, and CRoaring as Debian builds
// it (no SSE4.2 path) merges one element at a time: counting `country = 'X' AND city =
// 'Y'` (5% and 2% of the documents) took about 100 us per 500,000 documents. When the
// denser side is a bitset the same AND only probes a bit per element of the other: about
// 6 us. So an equality index's chunk turns into a bitset from kDenseArray docs on (at most
// twice the array's bytes: 8 KiB against 4 KiB at the threshold), and stays one until it
// falls below kSparseBitset (a gap, so a chunk near the threshold does not convert back
// and forth on every write). CRoaring's own remove turns a bitset of 4096 docs or fewer
// back into an array, so removals from a bitset above kSparseBitset clear the bit in
// place instead.
constexpr std::int32_t kDenseArray = 2048;
constexpr std::int32_t kSparseBitset = 1024;

// The container of `doc`'s chunk in `bitmap` and its index; nullptr when there is none.
void* chunk_of(const Bitmap& bitmap, DocNumber doc, std::int32_t& index, std::uint8_t& type) {
  const roaring_array_t* ra = &bitmap.roaring.high_low_container;
  index = ra_get_index(ra, static_cast<std::uint16_t>(doc >> 16));
  if (index < 0) return nullptr;
  return ra_get_container_at_index(ra, static_cast<std::uint16_t>(index), &type);
}

// After `doc` was added: its chunk becomes a bitset if it is an array of kDenseArray or
// more docs. Out of memory, the chunk stays an array (slower to AND, as correct).
void densify_chunk(Bitmap& bitmap, DocNumber doc) noexcept {
  std::int32_t index = 0;
  std::uint8_t type = 0;
  void* chunk = chunk_of(bitmap, doc, index, type);
  if (chunk == nullptr || type != ARRAY_CONTAINER_TYPE_CODE) return;
  auto* array = static_cast<array_container_t*>(chunk);
  if (array->cardinality < kDenseArray) return;
  bitset_container_t* bits = bitset_container_from_array(array);
  if (bits == nullptr) return;
  ra_set_container_at_index(&bitmap.roaring.high_low_container, index, bits,
                            BITSET_CONTAINER_TYPE_CODE);
  array_container_free(array);
}

// Removes `doc` from its chunk in place when that chunk is a bitset above kSparseBitset
// docs (which stays one); nullopt when CRoaring's own remove should do it. Returns whether
// the doc was there.
std::optional<bool> remove_from_dense_chunk(Bitmap& bitmap, DocNumber doc) {
  std::int32_t index = 0;
  std::uint8_t type = 0;
  void* chunk = chunk_of(bitmap, doc, index, type);
  if (chunk == nullptr || type != BITSET_CONTAINER_TYPE_CODE) return std::nullopt;
  auto* bits = static_cast<bitset_container_t*>(chunk);
  if (bits->cardinality <= kSparseBitset) return std::nullopt;
  return bitset_container_remove(bits, static_cast<std::uint16_t>(doc & 0xFFFF));
}

template <class Map>
MemoryCounter map_memory(const MemoryCounter& counter, const Map& map) noexcept {
  MemoryCounter total = counter;
  for (const auto& entry : map) count_in(total, bitmap_memory(entry.second));
  return total;
}

}  // namespace

MemoryCounter bitmap_memory(const Bitmap& bitmap) noexcept {
  MemoryCounter m;
  const roaring_array_t& ra = bitmap.roaring.high_low_container;
  if (ra.containers == nullptr) return m;
  // One block holds the container pointers, then the 16-bit keys, then the typecodes.
  add_block(m, ra.containers,
            static_cast<std::size_t>(ra.allocation_size) *
                (sizeof(void*) + sizeof(std::uint16_t) + sizeof(std::uint8_t)));
  for (std::int32_t i = 0; i < ra.size; ++i) add_container(m, ra.containers[i], ra.typecodes[i]);
  return m;
}

namespace index_internal {

BitmapHashTable::BitmapHashTable()
    : map_(0, ScalarKey::Hash{}, std::equal_to<>{}, Map::allocator_type(&counter_)) {}
BitmapHashTable::~BitmapHashTable() = default;

void BitmapHashTable::add(const ScalarKey& key, DocNumber doc) {
  auto [it, inserted] = map_.try_emplace(key);
  if (inserted) count_in(counter_, key_memory(it->first));
  it->second.add(doc);
  densify_chunk(it->second, doc);
}

bool BitmapHashTable::remove(const ScalarKey& key, DocNumber doc) {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  if (const std::optional<bool> removed = remove_from_dense_chunk(it->second, doc)) {
    return *removed;  // the chunk keeps more than kSparseBitset docs: never the last one
  }
  if (!it->second.removeChecked(doc)) return false;
  if (it->second.isEmpty()) {
    count_out(counter_, key_memory(it->first));
    map_.erase(it);
    if (map_.empty()) {
      // unordered_map keeps its bucket array when emptied; a fresh one holds none, so
      // bytes() returns to its starting value.
      Map(0, ScalarKey::Hash{}, std::equal_to<>{}, Map::allocator_type(&counter_)).swap(map_);
    }
  }
  return true;
}

const Bitmap* BitmapHashTable::lookup(const ScalarKey& key) const {
  auto it = map_.find(key);
  return it == map_.end() ? nullptr : &it->second;
}

MemoryCounter BitmapHashTable::memory() const { return map_memory(counter_, map_); }

void BitmapHashTable::shrink_to_fit() {
  for (auto& entry : map_) entry.second.shrinkToFit();
}

}  // namespace index_internal

SortedIndex::SortedIndex() : map_(KeyLess{}, Map::allocator_type(&counter_)) {}
SortedIndex::~SortedIndex() = default;

void SortedIndex::add(const ScalarKey& key, DocNumber doc) {
  auto [it, inserted] = map_.try_emplace(key);
  if (inserted) count_in(counter_, key_memory(it->first));
  it->second.add(doc);
}

bool SortedIndex::remove(const ScalarKey& key, DocNumber doc) {
  auto it = map_.find(key);
  if (it == map_.end() || !it->second.removeChecked(doc)) return false;
  if (it->second.isEmpty()) {
    count_out(counter_, key_memory(it->first));
    map_.erase(it);
  }
  return true;
}

const Bitmap* SortedIndex::lookup(const ScalarKey& key) const {
  auto it = map_.find(key);
  return it == map_.end() ? nullptr : &it->second;
}

SortedIndex::Entries SortedIndex::entries(const KeyRange& range) const {
  const Entries none{map_.end(), map_.end()};
  if (range.kind != ScalarKey::Kind::kNumber && range.kind != ScalarKey::Kind::kString) {
    return none;
  }
  if ((range.lo && range.lo->key.kind() != range.kind) ||
      (range.hi && range.hi->key.kind() != range.kind)) {
    return none;
  }
  if (range.lo && range.hi) {
    const auto c = range.lo->key <=> range.hi->key;
    if (c > 0 || (c == 0 && !(range.lo->inclusive && range.hi->inclusive))) return none;
  }
  // With lo <= hi (checked above) the first position never passes the last. A bound's key
  // has the range's kind, so bounding by it already stays inside the kind; an open side
  // stops at the kind's edge.
  const int rank = static_cast<int>(range.kind);
  const_iterator first = !range.lo             ? map_.lower_bound(KindEdge{rank})
                         : range.lo->inclusive ? map_.lower_bound(range.lo->key)
                                               : map_.upper_bound(range.lo->key);
  const_iterator last = !range.hi             ? map_.lower_bound(KindEdge{rank + 1})
                        : range.hi->inclusive ? map_.upper_bound(range.hi->key)
                                              : map_.lower_bound(range.hi->key);
  return Entries{first, last};
}

Bitmap SortedIndex::range_union(const KeyRange& range) const {
  const Entries e = entries(range);
  std::vector<const Bitmap*> inputs;
  for (const auto& entry : e) inputs.push_back(&entry.second);
  // fastunion mallocs n pointers and throws when malloc(0) returns null, so the trivial
  // cases stay out of it.
  if (inputs.empty()) return Bitmap();
  if (inputs.size() == 1) return *inputs.front();
  return Bitmap::fastunion(inputs.size(), inputs.data());
}

std::uint64_t SortedIndex::range_cardinality(const KeyRange& range) const {
  std::uint64_t n = 0;
  for (const auto& entry : entries(range)) n += entry.second.cardinality();
  return n;
}

MemoryCounter SortedIndex::memory() const { return map_memory(counter_, map_); }

void SortedIndex::shrink_to_fit() {
  for (auto& entry : map_) entry.second.shrinkToFit();
}

UniqueIndex::UniqueIndex()
    : map_(0, ScalarKey::Hash{}, std::equal_to<>{}, Map::allocator_type(&counter_)) {}
UniqueIndex::~UniqueIndex() = default;

std::optional<DocNumber> UniqueIndex::check(const ScalarKey& key, DocNumber doc) const {
  if (key.is_null()) return std::nullopt;
  auto it = map_.find(key);
  if (it == map_.end() || it->second == doc) return std::nullopt;
  return it->second;
}

bool UniqueIndex::insert(const ScalarKey& key, DocNumber doc) {
  if (key.is_null()) return true;
  auto [it, inserted] = map_.try_emplace(key, doc);
  if (inserted) {
    count_in(counter_, key_memory(it->first));
    return true;
  }
  return it->second == doc;
}

bool UniqueIndex::erase(const ScalarKey& key, DocNumber doc) {
  auto it = map_.find(key);
  if (it == map_.end() || it->second != doc) return false;
  count_out(counter_, key_memory(it->first));
  map_.erase(it);
  if (map_.empty()) {
    Map(0, ScalarKey::Hash{}, std::equal_to<>{}, Map::allocator_type(&counter_)).swap(map_);
  }
  return true;
}

std::optional<DocNumber> UniqueIndex::find(const ScalarKey& key) const {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

}  // namespace kora::doc
