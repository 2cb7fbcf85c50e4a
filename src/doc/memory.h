// Byte accounting for the document store: every container a collection owns allocates
// through a CountingAllocator that adds its bytes to one MemoryCounter, so the stats
// (id map, dictionary, arena, indexes) report what was really allocated, not an estimate.
// Per shard, single-threaded: the counters are plain integers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace kora::doc {

struct MemoryCounter {
  std::uint64_t bytes = 0;       // bytes requested
  std::uint64_t heap_bytes = 0;  // bytes the heap spent on them, chunk overhead included
};

// The bytes the heap really spends on a block: with glibc, the usable size plus the chunk
// header, so small allocations are not undercounted; elsewhere, the requested size.
inline std::size_t heap_bytes(void* p, std::size_t requested) noexcept {
#if defined(__GLIBC__)
  (void)requested;
  return malloc_usable_size(p) + sizeof(std::size_t);
#else
  (void)p;
  return requested;
#endif
}

template <class T>
class CountingAllocator {
 public:
  using value_type = T;

  explicit CountingAllocator(MemoryCounter* counter) noexcept : counter_(counter) {}
  template <class U>
  CountingAllocator(const CountingAllocator<U>& other) noexcept  // NOLINT
      : counter_(other.counter()) {}

  T* allocate(std::size_t n) {
    T* p = std::allocator<T>().allocate(n);
    counter_->bytes += n * sizeof(T);
    counter_->heap_bytes += heap_bytes(p, n * sizeof(T));
    return p;
  }
  void deallocate(T* p, std::size_t n) noexcept {
    counter_->bytes -= n * sizeof(T);
    counter_->heap_bytes -= heap_bytes(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  MemoryCounter* counter() const noexcept { return counter_; }

  template <class U>
  bool operator==(const CountingAllocator<U>& other) const noexcept {
    return counter_ == other.counter();
  }

 private:
  MemoryCounter* counter_;
};

}  // namespace kora::doc
