// RecordArena: one shard's packed records of one collection, addressed by doc number.
//
// Doc numbers (u32) are handed out by insert() — freed numbers are reused smallest first —
// and never change while the document lives: compaction moves bytes and rewrites the slot
// table, so the roaring bitmaps of doc numbers never need rewriting.
//
// Layout
//   Blocks: heap blocks that grow geometrically with the arena (the next one is as large
//   as the arena's capacity rounded down to a power of two, from 4 KiB up to 1 MiB), so a
//   tiny collection on many shards reserves kilobytes, not megabytes. A record larger
//   than a quarter of the 1 MiB cap gets its own block of exactly its (2-byte rounded)
//   size, so 10 MB documents work and mid-sized ones do not strand half a block.
//   Record in a block: varint(record length), varint(doc number), the record bytes, then
//   one zero byte when needed to keep records 2-byte aligned. The doc number lets
//   compaction walk a block and tell live records (the slot still points here) from dead
//   ones. These are the bytes live_bytes() counts per record (stored_bytes()).
//   Slot table: one u32 per doc number: (block index << 19) | (offset / 2), or
//   0xFFFFFFFF for a free number. Hence the limits: at most 8191 blocks, i.e. about
//   8 GiB of records up to 256 KiB, and at most 8191 records above 256 KiB, per arena
//   (one collection on one shard). Exceeding them throws std::length_error.
//   Free doc numbers: a min-heap of u32.
//
// Garbage: replace() and erase() leave the old bytes in their block as garbage, except
// that a block left without any live record is released at once (or, when it is the block
// being appended to, rewound). compact_step() evacuates the live records of the block with
// the most garbage into the append block, a bounded number of bytes per call, and
// releases the emptied block. A block is worth evacuating when at least a quarter of its
// size is garbage; compact_all() evacuates every block that holds any garbage.
//
// Accounting is exact: every byte this class allocates goes through CountingAllocator to
// the counter given at construction, and counter->bytes == capacity_bytes() +
// slot_table_bytes() at all times (when the counter is not shared).
//
// Exception safety: mutating calls either complete or throw (std::bad_alloc,
// std::length_error) with the arena's contents unchanged (an empty block may remain).
//
// Thread safety: none; a shard's data is touched by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "doc/memory.h"

namespace kora::doc {

using DocNumber = std::uint32_t;

class RecordArena {
 public:
  static constexpr std::size_t kMinBlockBytes = 4u << 10;
  static constexpr std::size_t kMaxBlockBytes = 1u << 20;
  // Records whose stored size exceeds this get a block of their own.
  static constexpr std::size_t kOwnBlockThreshold = kMaxBlockBytes / 4;
  static constexpr std::size_t kMaxRecordBytes = 1u << 30;
  static constexpr std::uint32_t kMaxBlocks = 8191;
  static constexpr DocNumber kMaxDocNumber = 0xFFFFFFFEu;

  // `counter` must outlive the arena.
  explicit RecordArena(MemoryCounter* counter);
  ~RecordArena();
  RecordArena(const RecordArena&) = delete;
  RecordArena& operator=(const RecordArena&) = delete;

  // Stores a record for a new document and returns its doc number (the smallest free one).
  // Throws std::length_error when record.size() > kMaxRecordBytes or a limit is reached.
  DocNumber insert(std::string_view record);
  // New bytes for a live doc number; the old bytes become garbage. REQUIRES: contains(doc).
  void replace(DocNumber doc, std::string_view record);
  // The old bytes become garbage and the number becomes free. REQUIRES: contains(doc).
  void erase(DocNumber doc);
  bool contains(DocNumber doc) const { return doc < slots_.size() && slots_[doc] != kFreeSlot; }
  // REQUIRES: contains(doc). Valid until the next mutating call (compaction included).
  std::string_view get(DocNumber doc) const { return record_at(slots_[doc]); }
  // Starts loading the records of `docs` into the cache, so that reading them next costs
  // overlapped misses instead of one after another (a page of query hits is scattered over
  // the arena). REQUIRES: contains(doc) for each.
  // `whole`: the records' first three cache lines (a typical record); otherwise only the
  // first, which holds the id.
  void prefetch(std::span<const DocNumber> docs, bool whole = true) const;
  // The same bytes, writable, for edits that keep the record's size (a flag bit).
  char* mutable_data(DocNumber doc) { return const_cast<char*>(get(doc).data()); }
  std::uint64_t doc_count() const { return doc_count_; }
  // f(DocNumber, std::string_view) for every live doc, ascending doc number. f must not
  // mutate the arena.
  template <class F>
  void for_each(F&& f) const {
    const auto limit = static_cast<DocNumber>(slots_.size());
    for (DocNumber doc = 0; doc < limit; ++doc) {
      if (slots_[doc] != kFreeSlot) std::invoke(f, doc, record_at(slots_[doc]));
    }
  }
  // 1 + the highest doc number ever handed out (for bitmap sizing).
  DocNumber doc_number_limit() const { return static_cast<DocNumber>(slots_.size()); }

  // Compaction.
  // true while a compaction run is unfinished, or when garbage_bytes / capacity_bytes >
  // garbage_ratio and some block is worth evacuating.
  bool wants_compaction(double garbage_ratio) const;
  // Moves live records (about max_bytes_moved bytes, at least one record) out of the blocks
  // with the most garbage and releases the blocks it empties. Returns the garbage bytes
  // released by this call; 0 also when it moved records without finishing a block yet
  // (see compacting()). A run — counted in compactions() — lasts from the step that starts
  // on a block until no block is worth evacuating.
  std::size_t compact_step(std::size_t max_bytes_moved);
  // One step of compact_all(), moving about max_bytes_moved bytes. true: more remains.
  bool compact_all_step(std::size_t max_bytes_moved);
  // Steps until no block holds garbage.
  void compact_all();
  // true while a block is half evacuated.
  bool compacting() const { return source_ != kNoBlock; }

  // Stats, exact.
  // Sum of stored_bytes() over live records.
  std::uint64_t live_bytes() const { return live_bytes_; }
  // Bytes of dead records still inside blocks.
  std::uint64_t garbage_bytes() const { return garbage_bytes_; }
  // Bytes of all blocks (live + garbage + not yet used).
  std::uint64_t capacity_bytes() const { return capacity_bytes_; }
  // Over live records, by stored_bytes(); 0 when empty.
  std::uint64_t min_record_bytes() const;
  std::uint64_t max_record_bytes() const;
  std::uint64_t compactions() const { return compactions_; }
  // Garbage bytes released by compaction so far.
  std::uint64_t reclaimed_bytes() const { return reclaimed_bytes_; }
  // Everything besides block bytes: the slot table, the free doc numbers, the block table
  // and the record-size histogram behind min/max.
  std::uint64_t slot_table_bytes() const;
  std::uint64_t block_count() const { return blocks_.size() - free_blocks_.size(); }

  // Recomputes the byte counts by walking every block (O(capacity)), independently of the
  // running counters, for tests and debugging: a record counts as live when its doc's slot
  // points at it.
  struct Audit {
    std::uint64_t live_bytes = 0;
    std::uint64_t garbage_bytes = 0;
    std::uint64_t capacity_bytes = 0;
    std::uint64_t live_records = 0;
  };
  Audit audit() const;

  // Bytes a record of `record_bytes` bytes occupies in a block as doc number `doc`.
  static std::uint64_t stored_bytes(DocNumber doc, std::size_t record_bytes);

 private:
  static constexpr std::uint32_t kFreeSlot = 0xFFFFFFFFu;
  static constexpr std::uint32_t kNoBlock = 0xFFFFFFFFu;
  static constexpr int kOffsetBits = 19;  // in 2-byte units: 1 MiB

  struct Block {
    unsigned char* data = nullptr;
    std::uint32_t size = 0;   // bytes allocated
    std::uint32_t used = 0;   // bytes appended (live + garbage)
    std::uint32_t live = 0;   // bytes of live records
    std::uint32_t moved = 0;  // bytes moved out while it is the compaction source
  };
  using SizeMap = std::map<std::uint32_t, std::uint32_t, std::less<>,
                           CountingAllocator<std::pair<const std::uint32_t, std::uint32_t>>>;

  static std::uint32_t make_location(std::uint32_t block, std::uint32_t offset) {
    return (block << kOffsetBits) | (offset >> 1);
  }
  static std::uint32_t block_of(std::uint32_t location) { return location >> kOffsetBits; }
  static std::uint32_t offset_of(std::uint32_t location) {
    return (location & ((1u << kOffsetBits) - 1)) << 1;
  }

  // Inline: every query reads records through it, once a document.
  std::string_view record_at(std::uint32_t location) const {
    const unsigned char* p = blocks_[block_of(location)].data + offset_of(location);
    std::uint64_t length = 0;
    std::uint64_t doc = 0;
    p = read_varint(p, &length);
    p = read_varint(p, &doc);
    return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(length)};
  }
  // The bytes were written by the arena itself, so no bounds checks.
  static const unsigned char* read_varint(const unsigned char* p, std::uint64_t* value) {
    std::uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const unsigned char byte = *p++;
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
    }
    *value = v;
    return p;
  }
  // Picks where `stored` bytes go (creating a block when needed) without accounting them.
  std::uint32_t place(std::uint32_t stored);
  // add_size + place, undoing add_size when place throws.
  std::uint32_t size_and_place(std::uint32_t stored);
  std::uint32_t new_block(std::size_t size);
  void free_block(std::uint32_t block);
  // Writes a record at `location` and accounts it in its block.
  void write(std::uint32_t location, DocNumber doc, std::string_view record, std::uint32_t stored);
  // A record of `stored` bytes in `block` died.
  void kill(std::uint32_t block, std::uint32_t stored);
  void adjust_block(std::uint32_t block, std::int64_t used_delta, std::int64_t live_delta);
  bool worth_evacuating(const Block& b) const {
    const std::uint32_t garbage = b.used - b.live;
    return garbage > 0 && std::uint64_t{garbage} * 4 >= b.size;
  }
  void add_size(std::uint32_t stored);
  void remove_size(std::uint32_t stored);
  void reserve_slot();
  std::size_t step(std::size_t budget, bool all);
  std::uint32_t pick_source(bool all) const;

  MemoryCounter* counter_;
  std::vector<std::uint32_t, CountingAllocator<std::uint32_t>> slots_;
  std::vector<DocNumber, CountingAllocator<DocNumber>> free_docs_;  // min-heap
  std::vector<Block, CountingAllocator<Block>> blocks_;
  // Indexes of released blocks; its capacity always covers blocks_.size(), so releasing a
  // block never allocates.
  std::vector<std::uint32_t, CountingAllocator<std::uint32_t>> free_blocks_;
  SizeMap sizes_;  // stored bytes -> live records of that size
  std::uint64_t sizes_bytes_ = 0;

  std::uint64_t doc_count_ = 0;
  std::uint64_t live_bytes_ = 0;
  std::uint64_t garbage_bytes_ = 0;
  std::uint64_t capacity_bytes_ = 0;
  std::uint64_t compactions_ = 0;
  std::uint64_t reclaimed_bytes_ = 0;
  std::uint64_t worth_blocks_ = 0;  // blocks for which worth_evacuating() holds

  std::uint32_t current_ = kNoBlock;  // the block appends go to
  std::uint32_t source_ = kNoBlock;   // the block being evacuated
  std::uint32_t cursor_ = 0;          // next record offset in source_
  bool run_active_ = false;
};

}  // namespace kora::doc
