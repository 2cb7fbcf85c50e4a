// IdMap: one shard's external document id -> doc number index for one collection.
//
// The ids themselves are not stored here: the caller keeps each id inside its record and
// hands every call an `id_of` callback that returns the id of a doc number. The table is
// Robin Hood open addressing with linear probing over an array of 8-byte slots — the doc
// number and the high 32 bits of the id's hash — with backward-shift deletion, so churn
// leaves no tombstones. The stored hash bits give each entry's home slot (growth never
// calls id_of) and filter probes, so id_of runs on average once per successful lookup and
// almost never for a miss. Capacity is not a power of two (home = high hash bits scaled to
// the capacity) and grows 1.5x at load 0.8 and shrinks to load 0.5 below load 0.125, so
// the table costs 10 to 15 bytes per id.
//
// Thread safety: none; a shard's data is touched by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "doc/memory.h"

namespace kora::doc {

using DocNumber = std::uint32_t;

template <class Signature>
class FunctionRef;

// A non-owning reference to a callable: two pointers, no allocation. The callable must
// outlive the FunctionRef (a lambda passed straight to a call does).
template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
           std::is_invocable_r_v<R, F&, Args...>) FunctionRef(F&& f)
  noexcept  // NOLINT(google-explicit-constructor)
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return std::invoke(*static_cast<std::remove_reference_t<F>*>(object),
                             std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

class IdMap {
 public:
  // Returns the id stored for a doc number in the map; the bytes must stay valid while
  // the call that received the callback runs.
  using IdOf = FunctionRef<std::string_view(DocNumber)>;

  static constexpr DocNumber kNoDoc = 0xFFFFFFFFu;  // reserved: never a stored doc

  // `counter` must outlive the map; it receives the table's bytes.
  explicit IdMap(MemoryCounter* counter);
  ~IdMap();
  IdMap(const IdMap&) = delete;
  IdMap& operator=(const IdMap&) = delete;

  // In all calls, `hash` is the id's hash, the same in every call: IdMap::hash(id) (tests
  // may pass others; only its high 32 bits are used).
  std::optional<DocNumber> find(std::string_view id, std::uint64_t hash, IdOf id_of) const;
  // REQUIRES: id not present, doc != kNoDoc. id_of is only used to check that in debug
  // builds. Throws std::bad_alloc when growing fails (the map is unchanged).
  void insert(std::string_view id, std::uint64_t hash, DocNumber doc, IdOf id_of);
  // false when the id was not present.
  bool erase(std::string_view id, std::uint64_t hash, IdOf id_of);

  std::uint64_t size() const { return size_; }
  std::uint64_t capacity() const { return capacity_; }
  // Bytes of the table allocation.
  std::uint64_t bytes() const { return capacity_ * sizeof(Slot); }

  // XXH3-64 with a fixed seed of this map's own.
  static std::uint64_t hash(std::string_view id);

 private:
  struct Slot {
    DocNumber doc;
    std::uint32_t hash;  // high 32 bits of the id's hash
  };

  std::uint64_t home(std::uint32_t h) const { return (std::uint64_t{h} * capacity_) >> 32; }
  std::uint64_t distance(std::uint64_t pos, std::uint32_t h) const {
    const std::uint64_t from = home(h);
    return pos >= from ? pos - from : pos + capacity_ - from;
  }
  std::uint64_t next(std::uint64_t pos) const { return pos + 1 == capacity_ ? 0 : pos + 1; }
  // The slot index holding id, or capacity_ when absent.
  std::uint64_t locate(std::string_view id, std::uint64_t hash, IdOf id_of) const;
  void place(Slot entry);
  void rehash(std::uint64_t new_capacity);

  MemoryCounter* counter_;
  Slot* slots_ = nullptr;
  std::uint64_t capacity_ = 0;
  std::uint64_t size_ = 0;
};

}  // namespace kora::doc
