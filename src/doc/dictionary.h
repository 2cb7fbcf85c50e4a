// The per (shard, collection) dictionary: interned field paths and, per field, interned
// string terms, all reference counted so nothing a record no longer uses stays behind.
//
// Field paths. A path is (parent path, in_array, key): `in_array` says the key belongs to
// an object that is an element of the array stored at `parent` (for nested arrays, the
// outermost array that has a key). Real path ids start at 1; kRootPath (0) is the root
// object. A live child path holds one reference on its parent, so a path's ancestors stay
// live (and display_path works) as long as it does. Freed ids are reused, lowest-churn
// first (LIFO free list), so ids stay small and varint-friendly.
//
// String terms. Per field, string values of at least config.min_interned_term_bytes bytes
// are interned while the field has fewer than config.max_interned_terms_per_field live
// terms. The first time a new term would pass the limit, the field stops interning for the
// rest of its life (terms_interned = false); terms already interned stay valid until their
// last reference goes. Term ids are per field, start at 0 and are reused after reclaim.
//
// Cardinality estimate (stats): the number of distinct live interned terms while the field
// interns. Once it stops, a 256-register HyperLogLog (about 6.5% standard error) is fed
// with the field's live terms at that moment and with every eligible string offered to
// acquire_term from then on; the estimate is max(live interned terms, HLL estimate). The
// HLL cannot forget, so past the limit it counts distinct values seen since, not only live
// ones. Strings shorter than min_interned_term_bytes are never counted.
//
// Memory: every container allocates through CountingAllocator into the counter given to
// the constructor; when the last path is reclaimed the containers are reset, so bytes()
// returns to its value for a fresh dictionary.
//
// Thread safety: none; a dictionary belongs to one shard and is used by its thread only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "doc/memory.h"
#include "kora/document.h"

namespace kora::doc {

using PathId = std::uint32_t;
using TermId = std::uint32_t;
inline constexpr PathId kRootPath = 0;  // real path ids start at 1

class Dictionary {
 public:
  // REQUIRES: `counter` (if not null) outlives the dictionary and counts only its bytes;
  // null: the dictionary uses a counter of its own.
  Dictionary(const DocCollectionConfig& config, MemoryCounter* counter);
  ~Dictionary();
  Dictionary(const Dictionary&) = delete;
  Dictionary& operator=(const Dictionary&) = delete;

  // Interns (parent, in_array, key) if new and adds one reference. REQUIRES: parent is
  // kRootPath or live.
  PathId acquire_path(PathId parent, bool in_array, std::string_view key);
  // The fast path of acquire_path for a caller that remembers which id a key had last
  // time: when `hint` is live and is exactly (parent, in_array, key), adds one reference
  // and returns it; otherwise nullopt (any id is a safe hint, stale or from elsewhere).
  std::optional<PathId> acquire_path_hinted(PathId hint, PathId parent, bool in_array,
                                            std::string_view key) {
    if (hint == kRootPath || hint >= paths_.size()) return std::nullopt;
    PathEntry& e = paths_[hint];
    if (e.refs == 0 || e.key->parent != parent || e.key->in_array != in_array ||
        std::string_view(e.key->key) != key) {
      return std::nullopt;
    }
    ++e.refs;
    return hint;
  }
  // Drops one reference; at zero the path is reclaimed and its id may be reused.
  // REQUIRES: id is live and holds no live terms once reclaimed.
  void release_path(PathId id);
  std::optional<PathId> find_path(PathId parent, bool in_array, std::string_view key) const;

  // REQUIRES (these three): id is kRootPath or live. The root has key "" and parent 0.
  std::string_view key_of(PathId id) const;
  PathId parent_of(PathId id) const;
  bool in_array(PathId id) const;
  // The key segments from the root in format_path form; an in_array step appends "[]" to
  // its parent's segment: "orders[].sku". "" for the root.
  std::string display_path(PathId id) const;

  // Interns `value` for `field` (or finds it) and adds one reference; nullopt: keep the
  // string inline (too short, the field stopped interning, or the limit is 0).
  // REQUIRES: field is live.
  std::optional<TermId> acquire_term(PathId field, std::string_view value);
  // Drops one reference; reclaimed at zero. REQUIRES: the term is live.
  void release_term(PathId field, TermId id);
  // REQUIRES: the term is live.
  std::string_view term(PathId field, TermId id) const;

  // A key or term, and whether it is JSON-plain: no byte needs escaping (a control byte,
  // '"' or '\\'), so a JSON writer may copy it between quotes as it is. Decoding writes
  // every key and term of every document; this spares it the scan. REQUIRES: as key_of
  // (not the root) and term.
  struct JsonText {
    std::string_view text;
    bool plain;
  };
  JsonText key_json(PathId id) const {
    const PathEntry& e = paths_[id];
    return {std::string_view(e.key->key), e.plain_key};
  }
  JsonText term_json(PathId field, TermId id) const {
    const TermEntry& te = paths_[field].terms->entries[id];
    return {std::string_view(*te.text), te.plain};
  }
  std::optional<TermId> find_term(PathId field, std::string_view value) const;

  // Live paths + live terms.
  std::uint64_t entries() const { return live_paths_ + live_terms_; }
  // Exact bytes allocated by this dictionary (its counter's value).
  std::uint64_t bytes() const { return counter_->bytes; }
  // One entry per live path, sorted by path.
  std::vector<DocDictionaryFieldInfo> fields() const;

 private:
  using CString = std::basic_string<char, std::char_traits<char>, CountingAllocator<char>>;

  // The hashers are deliberately not noexcept: libstdc++ then stores each node's hash
  // code, so a lookup compares codes instead of re-hashing every key in the bucket chain
  // (measured: ~20% of encode time without it).
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const;
    std::size_t operator()(const CString& s) const {
      return (*this)(std::string_view(s.data(), s.size()));
    }
  };
  struct StringEq {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      return std::string_view(a.data(), a.size()) == std::string_view(b.data(), b.size());
    }
  };

  struct PathKey {
    PathKey(PathId p, bool a, CString k) : parent(p), in_array(a), key(std::move(k)) {}
    PathId parent;
    bool in_array;
    CString key;
  };
  struct PathKeyView {
    PathId parent;
    bool in_array;
    std::string_view key;
  };
  struct PathHash {
    using is_transparent = void;
    std::size_t operator()(const PathKeyView& k) const;
    std::size_t operator()(const PathKey& k) const {
      return (*this)(PathKeyView{k.parent, k.in_array, std::string_view(k.key)});
    }
  };
  struct PathEq {
    using is_transparent = void;
    static PathKeyView view(const PathKey& k) noexcept {
      return {k.parent, k.in_array, std::string_view(k.key)};
    }
    static PathKeyView view(const PathKeyView& k) noexcept { return k; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      const PathKeyView x = view(a), y = view(b);
      return x.parent == y.parent && x.in_array == y.in_array && x.key == y.key;
    }
  };

  template <class K, class V>
  using Alloc = CountingAllocator<std::pair<const K, V>>;
  using TermMap = std::unordered_map<CString, TermId, StringHash, StringEq, Alloc<CString, TermId>>;
  using PathMap = std::unordered_map<PathKey, PathId, PathHash, PathEq, Alloc<PathKey, PathId>>;
  template <class T>
  using Vector = std::vector<T, CountingAllocator<T>>;

  struct TermEntry {
    std::uint32_t refs = 0;  // 0: free slot
    bool plain = false;      // see JsonText (fits the padding)
    const CString* text = nullptr;
  };
  // Per-field term state, allocated when the field first sees an eligible string.
  struct FieldTerms {
    explicit FieldTerms(MemoryCounter* counter);
    TermMap map;
    Vector<TermEntry> entries;
    Vector<TermId> free_ids;
    Vector<std::uint8_t> hll;  // empty while the field interns
    bool interning = true;
    // Recently used term ids by value hash: a low-cardinality field's values are found
    // with one hash and one compare, without the map. Only hints: checked on use.
    std::array<TermId, 32> recent;
    std::uint64_t seen = 0;     // eligible strings offered while interning
    std::uint64_t created = 0;  // of those, how many were new terms
  };
  struct PathEntry {
    std::uint32_t refs = 0;  // 0: free slot
    bool plain_key = false;  // see JsonText (fits the padding)
    const PathKey* key = nullptr;
    FieldTerms* terms = nullptr;
  };

  const PathEntry& entry(PathId id) const { return paths_[id]; }
  FieldTerms* new_terms();
  void delete_terms(FieldTerms* terms);
  void hll_add(FieldTerms& terms, std::string_view value) const;
  static std::uint64_t hll_estimate(const FieldTerms& terms);
  void reset_if_empty();

  DocCollectionConfig config_;
  MemoryCounter own_counter_;
  MemoryCounter* counter_;
  PathMap path_map_;
  Vector<PathEntry> paths_;  // index = PathId; slot 0 is the root
  Vector<PathId> free_paths_;
  std::uint64_t live_paths_ = 0;
  std::uint64_t live_terms_ = 0;
};

}  // namespace kora::doc
