#include "doc/id_map.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace kora::doc {
namespace {

constexpr XXH64_hash_t kIdSeed = 0x4b6f7261'49644d70ULL;  // "KoraIdMp"
constexpr std::uint64_t kMinCapacity = 16;
constexpr std::uint64_t kMaxCapacity = std::uint64_t{1} << 32;  // home() needs cap <= 2^32

std::uint32_t high_bits(std::uint64_t hash) { return static_cast<std::uint32_t>(hash >> 32); }

}  // namespace

IdMap::IdMap(MemoryCounter* counter) : counter_(counter) {}

IdMap::~IdMap() {
  if (slots_ != nullptr) CountingAllocator<Slot>(counter_).deallocate(slots_, capacity_);
}

std::uint64_t IdMap::hash(std::string_view id) {
  return XXH3_64bits_withSeed(id.data(), id.size(), kIdSeed);
}

std::uint64_t IdMap::locate(std::string_view id, std::uint64_t hash, IdOf id_of) const {
  if (size_ == 0) return capacity_;
  const std::uint32_t h = high_bits(hash);
  std::uint64_t pos = home(h);
  for (std::uint64_t dist = 0;; ++dist, pos = next(pos)) {
    const Slot& s = slots_[pos];
    if (s.doc == kNoDoc) return capacity_;
    // Robin Hood order: past the point where entries sit closer to home than we would,
    // the id cannot be.
    if (distance(pos, s.hash) < dist) return capacity_;
    if (s.hash == h && id_of(s.doc) == id) return pos;
  }
}

std::optional<DocNumber> IdMap::find(std::string_view id, std::uint64_t hash, IdOf id_of) const {
  const std::uint64_t pos = locate(id, hash, id_of);
  if (pos == capacity_) return std::nullopt;
  return slots_[pos].doc;
}

// Robin Hood insertion of an entry known to be absent; a free slot must exist.
void IdMap::place(Slot entry) {
  std::uint64_t pos = home(entry.hash);
  for (std::uint64_t dist = 0;; ++dist, pos = next(pos)) {
    Slot& s = slots_[pos];
    if (s.doc == kNoDoc) {
      s = entry;
      return;
    }
    const std::uint64_t theirs = distance(pos, s.hash);
    if (theirs < dist) {
      std::swap(s, entry);
      dist = theirs;
    }
  }
}

void IdMap::rehash(std::uint64_t new_capacity) {
  CountingAllocator<Slot> alloc(counter_);
  Slot* const fresh = alloc.allocate(new_capacity);
  std::fill_n(fresh, new_capacity, Slot{kNoDoc, 0});
  Slot* const old = slots_;
  const std::uint64_t old_capacity = capacity_;
  slots_ = fresh;
  capacity_ = new_capacity;
  for (std::uint64_t i = 0; i < old_capacity; ++i) {
    if (old[i].doc != kNoDoc) place(old[i]);
  }
  if (old != nullptr) alloc.deallocate(old, old_capacity);
}

void IdMap::insert([[maybe_unused]] std::string_view id, std::uint64_t hash, DocNumber doc,
                   [[maybe_unused]] IdOf id_of) {
  assert(doc != kNoDoc);
  assert(!find(id, hash, id_of).has_value());
  if ((size_ + 1) * 5 > capacity_ * 4) {
    std::uint64_t grown = std::max(kMinCapacity, capacity_ + capacity_ / 2);
    grown = std::min(grown, kMaxCapacity);
    if (size_ + 1 >= grown) throw std::length_error("id map: too many ids");
    rehash(grown);
  }
  place(Slot{doc, high_bits(hash)});
  ++size_;
}

bool IdMap::erase(std::string_view id, std::uint64_t hash, IdOf id_of) {
  std::uint64_t pos = locate(id, hash, id_of);
  if (pos == capacity_) return false;
  // Backward shift: pull each following entry one slot closer to its home until an empty
  // slot or an entry already at home.
  for (std::uint64_t n = next(pos);; pos = n, n = next(n)) {
    const Slot& s = slots_[n];
    if (s.doc == kNoDoc || distance(n, s.hash) == 0) break;
    slots_[pos] = s;
  }
  slots_[pos] = Slot{kNoDoc, 0};
  --size_;
  if (capacity_ > kMinCapacity && size_ * 8 < capacity_) {
    try {
      rehash(std::max(kMinCapacity, size_ * 2));
    } catch (const std::bad_alloc&) {  // a larger table is still correct
    }
  }
  return true;
}

}  // namespace kora::doc
