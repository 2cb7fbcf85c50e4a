#include "doc/record_arena.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace kora::doc {
namespace {

constexpr std::size_t varint_size(std::uint64_t value) {
  std::size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

unsigned char* put_varint(unsigned char* p, std::uint64_t value) {
  while (value >= 0x80) {
    *p++ = static_cast<unsigned char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  *p++ = static_cast<unsigned char>(value);
  return p;
}

std::size_t round_up_2(std::size_t n) { return (n + 1) & ~std::size_t{1}; }

}  // namespace

RecordArena::RecordArena(MemoryCounter* counter)
    : counter_(counter),
      slots_(CountingAllocator<std::uint32_t>(counter)),
      free_docs_(CountingAllocator<DocNumber>(counter)),
      blocks_(CountingAllocator<Block>(counter)),
      free_blocks_(CountingAllocator<std::uint32_t>(counter)),
      sizes_(CountingAllocator<std::pair<const std::uint32_t, std::uint32_t>>(counter)) {}

RecordArena::~RecordArena() {
  CountingAllocator<unsigned char> alloc(counter_);
  for (const Block& b : blocks_) {
    if (b.data != nullptr) alloc.deallocate(b.data, b.size);
  }
}

std::uint64_t RecordArena::stored_bytes(DocNumber doc, std::size_t record_bytes) {
  return round_up_2(varint_size(record_bytes) + varint_size(doc) + record_bytes);
}

void RecordArena::prefetch(std::span<const DocNumber> docs, bool whole) const {
  // Slots first, then (once they have had time to arrive) the records they point at.
  for (DocNumber doc : docs) __builtin_prefetch(&slots_[doc]);
  for (DocNumber doc : docs) {
    const std::uint32_t location = slots_[doc];
    const unsigned char* p = blocks_[block_of(location)].data + offset_of(location);
    __builtin_prefetch(p);
    if (whole) {
      __builtin_prefetch(p + 64);
      __builtin_prefetch(p + 128);
    }
  }
}

std::uint64_t RecordArena::min_record_bytes() const {
  return sizes_.empty() ? 0 : sizes_.begin()->first;
}

std::uint64_t RecordArena::max_record_bytes() const {
  return sizes_.empty() ? 0 : sizes_.rbegin()->first;
}

std::uint64_t RecordArena::slot_table_bytes() const {
  return slots_.capacity() * sizeof(std::uint32_t) + free_docs_.capacity() * sizeof(DocNumber) +
         blocks_.capacity() * sizeof(Block) + free_blocks_.capacity() * sizeof(std::uint32_t) +
         sizes_bytes_;
}

// The map's node size is the library's business: measure what its allocator reports.
void RecordArena::add_size(std::uint32_t stored) {
  const std::uint64_t before = counter_->bytes;
  ++sizes_[stored];
  sizes_bytes_ += counter_->bytes - before;
}

void RecordArena::remove_size(std::uint32_t stored) {
  auto it = sizes_.find(stored);
  assert(it != sizes_.end());
  if (--it->second == 0) {
    const std::uint64_t before = counter_->bytes;
    sizes_.erase(it);
    sizes_bytes_ -= before - counter_->bytes;
  }
}

void RecordArena::reserve_slot() {
  if (slots_.size() < slots_.capacity()) return;
  // 1.25x rather than the library's 2x: the table is a per-document cost, and growing
  // it is one memcpy.
  const std::size_t cap = slots_.capacity();
  slots_.reserve(std::max<std::size_t>(16, cap + cap / 4));
}

void RecordArena::adjust_block(std::uint32_t block, std::int64_t used_delta,
                               std::int64_t live_delta) {
  Block& b = blocks_[block];
  const bool was_worth = worth_evacuating(b);
  b.used = static_cast<std::uint32_t>(b.used + used_delta);
  b.live = static_cast<std::uint32_t>(b.live + live_delta);
  garbage_bytes_ += used_delta - live_delta;
  const bool is_worth = worth_evacuating(b);
  worth_blocks_ += static_cast<std::uint64_t>(is_worth) - static_cast<std::uint64_t>(was_worth);
}

std::uint32_t RecordArena::new_block(std::size_t size) {
  if (free_blocks_.empty()) {
    if (blocks_.size() >= kMaxBlocks) {
      throw std::length_error("record arena: too many blocks");
    }
    if (blocks_.size() == blocks_.capacity()) {
      blocks_.reserve(
          std::min<std::size_t>(kMaxBlocks, std::max<std::size_t>(8, 2 * blocks_.size())));
    }
    if (free_blocks_.capacity() < blocks_.capacity()) free_blocks_.reserve(blocks_.capacity());
  }
  Block b;
  b.data = CountingAllocator<unsigned char>(counter_).allocate(size);
  b.size = static_cast<std::uint32_t>(size);
  capacity_bytes_ += size;
  if (free_blocks_.empty()) {
    blocks_.push_back(b);  // capacity reserved above: cannot throw
    return static_cast<std::uint32_t>(blocks_.size() - 1);
  }
  const std::uint32_t index = free_blocks_.back();
  free_blocks_.pop_back();
  blocks_[index] = b;
  return index;
}

void RecordArena::free_block(std::uint32_t block) {
  Block& b = blocks_[block];
  assert(b.live == 0);
  if (worth_evacuating(b)) --worth_blocks_;
  garbage_bytes_ -= b.used - b.live;
  capacity_bytes_ -= b.size;
  CountingAllocator<unsigned char>(counter_).deallocate(b.data, b.size);
  b = Block{};
  if (current_ == block) current_ = kNoBlock;
  free_blocks_.push_back(block);  // capacity reserved in new_block
}

std::uint32_t RecordArena::place(std::uint32_t stored) {
  if (stored > kOwnBlockThreshold) return make_location(new_block(stored), 0);
  if (current_ != kNoBlock) {
    const Block& b = blocks_[current_];
    if (b.size - b.used >= stored) return make_location(current_, b.used);
  }
  // Geometric growth: the next block doubles the arena until blocks reach the cap.
  std::size_t size = std::bit_floor(std::max<std::uint64_t>(capacity_bytes_, 1));
  size = std::clamp(size, kMinBlockBytes, kMaxBlockBytes);
  if (size < stored) size = std::bit_ceil(std::size_t{stored});
  current_ = new_block(size);
  return make_location(current_, 0);
}

void RecordArena::write(std::uint32_t location, DocNumber doc, std::string_view record,
                        std::uint32_t stored) {
  const std::uint32_t block = block_of(location);
  unsigned char* const start = blocks_[block].data + offset_of(location);
  unsigned char* p = put_varint(start, record.size());
  p = put_varint(p, doc);
  if (!record.empty()) std::memcpy(p, record.data(), record.size());
  p += record.size();
  if (static_cast<std::uint32_t>(p - start) < stored) *p = 0;  // alignment pad
  adjust_block(block, stored, stored);
}

void RecordArena::kill(std::uint32_t block, std::uint32_t stored) {
  adjust_block(block, 0, -static_cast<std::int64_t>(stored));
  const Block& b = blocks_[block];
  if (b.live != 0 || block == source_) return;
  if (block == current_) {
    // Rewind the append block instead of releasing it.
    adjust_block(block, -static_cast<std::int64_t>(b.used), 0);
  } else {
    free_block(block);
  }
}

std::uint32_t RecordArena::size_and_place(std::uint32_t stored) {
  add_size(stored);
  try {
    return place(stored);
  } catch (...) {
    remove_size(stored);
    throw;
  }
}

DocNumber RecordArena::insert(std::string_view record) {
  if (record.size() > kMaxRecordBytes) throw std::length_error("record arena: record too large");
  const bool reuse = !free_docs_.empty();
  const std::size_t fresh = slots_.size();
  if (!reuse && fresh > kMaxDocNumber) throw std::length_error("record arena: doc numbers used up");
  const DocNumber doc = reuse ? free_docs_.front() : static_cast<DocNumber>(fresh);
  const auto stored = static_cast<std::uint32_t>(stored_bytes(doc, record.size()));
  if (!reuse) reserve_slot();
  const std::uint32_t location = size_and_place(stored);
  // Nothing below allocates.
  if (reuse) {
    std::pop_heap(free_docs_.begin(), free_docs_.end(), std::greater<>());
    free_docs_.pop_back();
    slots_[doc] = location;
    // Give back the free list's memory once most numbers are in use again.
    if (free_docs_.capacity() >= 1024 && free_docs_.size() < free_docs_.capacity() / 4) {
      try {
        free_docs_.shrink_to_fit();
      } catch (...) {  // keeping the larger buffer is fine
      }
    }
  } else {
    slots_.push_back(location);
  }
  write(location, doc, record, stored);
  live_bytes_ += stored;
  ++doc_count_;
  return doc;
}

void RecordArena::replace(DocNumber doc, std::string_view record) {
  assert(contains(doc));
  if (record.size() > kMaxRecordBytes) throw std::length_error("record arena: record too large");
  const std::uint32_t old_location = slots_[doc];
  const auto old_stored = static_cast<std::uint32_t>(stored_bytes(doc, get(doc).size()));
  const auto stored = static_cast<std::uint32_t>(stored_bytes(doc, record.size()));
  const std::uint32_t location = size_and_place(stored);
  slots_[doc] = location;
  write(location, doc, record, stored);
  remove_size(old_stored);
  kill(block_of(old_location), old_stored);
  live_bytes_ = live_bytes_ + stored - old_stored;
}

void RecordArena::erase(DocNumber doc) {
  assert(contains(doc));
  const std::uint32_t location = slots_[doc];
  const auto stored = static_cast<std::uint32_t>(stored_bytes(doc, get(doc).size()));
  free_docs_.push_back(doc);  // the only step that may throw
  std::push_heap(free_docs_.begin(), free_docs_.end(), std::greater<>());
  slots_[doc] = kFreeSlot;
  remove_size(stored);
  kill(block_of(location), stored);
  live_bytes_ -= stored;
  --doc_count_;
}

bool RecordArena::wants_compaction(double garbage_ratio) const {
  if (source_ != kNoBlock) return true;
  if (worth_blocks_ == 0) return false;
  if (run_active_) return true;
  return capacity_bytes_ > 0 &&
         static_cast<double>(garbage_bytes_) > garbage_ratio * static_cast<double>(capacity_bytes_);
}

std::uint32_t RecordArena::pick_source(bool all) const {
  std::uint32_t best = kNoBlock;
  std::uint32_t best_garbage = 0;
  for (std::uint32_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    if (b.data == nullptr) continue;
    const std::uint32_t garbage = b.used - b.live;
    if (garbage <= best_garbage) continue;
    if (!all && !worth_evacuating(b)) continue;
    best = i;
    best_garbage = garbage;
  }
  return best;
}

std::size_t RecordArena::step(std::size_t budget, bool all) {
  std::size_t reclaimed = 0;
  // Walking dead records costs too, at an eighth of the rate of copying.
  std::size_t work = 0;
  for (;;) {
    if (source_ == kNoBlock) {
      if (work >= budget && work > 0) break;
      const std::uint32_t pick = all || worth_blocks_ > 0 ? pick_source(all) : kNoBlock;
      if (pick == kNoBlock) {
        run_active_ = false;
        break;
      }
      if (!run_active_) {
        run_active_ = true;
        ++compactions_;
      }
      source_ = pick;
      cursor_ = 0;
      blocks_[pick].moved = 0;
      if (current_ == pick) current_ = kNoBlock;  // moved records must land elsewhere
    }
    while (cursor_ < blocks_[source_].used) {
      if (work >= budget && work > 0) return reclaimed;
      const std::uint32_t here = make_location(source_, cursor_);
      std::uint64_t length = 0;
      std::uint64_t doc = 0;
      read_varint(read_varint(blocks_[source_].data + cursor_, &length), &doc);
      const auto stored =
          static_cast<std::uint32_t>(stored_bytes(static_cast<DocNumber>(doc), length));
      if (doc < slots_.size() && slots_[doc] == here) {
        const std::uint32_t to = place(stored);  // may add a block; never source_
        std::memcpy(blocks_[block_of(to)].data + offset_of(to), blocks_[source_].data + cursor_,
                    stored);
        adjust_block(block_of(to), stored, stored);
        slots_[doc] = to;
        adjust_block(source_, 0, -static_cast<std::int64_t>(stored));
        blocks_[source_].moved += stored;
        work += stored;
      } else {
        work += stored / 8 + 1;
      }
      cursor_ += stored;
    }
    const Block& b = blocks_[source_];
    const std::size_t freed = b.used - b.moved;
    reclaimed += freed;
    reclaimed_bytes_ += freed;
    free_block(source_);
    source_ = kNoBlock;
    if (!all && worth_blocks_ == 0) {
      run_active_ = false;
      break;
    }
  }
  return reclaimed;
}

RecordArena::Audit RecordArena::audit() const {
  Audit audit;
  for (std::uint32_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    if (b.data == nullptr) continue;
    audit.capacity_bytes += b.size;
    for (std::uint32_t offset = 0; offset < b.used;) {
      std::uint64_t length = 0;
      std::uint64_t doc = 0;
      read_varint(read_varint(b.data + offset, &length), &doc);
      const std::uint64_t stored = stored_bytes(static_cast<DocNumber>(doc), length);
      if (doc < slots_.size() && slots_[doc] == make_location(i, offset)) {
        audit.live_bytes += stored;
        ++audit.live_records;
      } else {
        audit.garbage_bytes += stored;
      }
      offset += static_cast<std::uint32_t>(stored);
    }
  }
  return audit;
}

std::size_t RecordArena::compact_step(std::size_t max_bytes_moved) {
  return step(max_bytes_moved, false);
}

bool RecordArena::compact_all_step(std::size_t max_bytes_moved) {
  step(max_bytes_moved, true);
  // step() clears run_active_ only when no block holds garbage any more.
  return source_ != kNoBlock || run_active_;
}

void RecordArena::compact_all() {
  while (compact_all_step(std::size_t{4} << 20)) {
  }
}

}  // namespace kora::doc
