#include "doc/dictionary.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>
#include <memory>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "doc/path.h"

namespace kora::doc {
namespace {

constexpr std::size_t kHllRegisters = 256;  // 2^8: about 1.04/16 = 6.5% standard error
// A field stops interning early when, after this many strings, more than 1 in
// kDistinctShareDenominator of them were new terms.
constexpr std::uint64_t kCardinalityWarmup = 4096;
constexpr std::uint64_t kDistinctShareDenominator = 2;
constexpr int kHllBits = 8;

// See Dictionary::JsonText.
bool json_plain(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\';
  });
}

}  // namespace

std::size_t Dictionary::StringHash::operator()(std::string_view s) const {
  return static_cast<std::size_t>(XXH3_64bits(s.data(), s.size()));
}

std::size_t Dictionary::PathHash::operator()(const PathKeyView& k) const {
  const std::uint64_t seed = (std::uint64_t{k.parent} << 1) | (k.in_array ? 1u : 0u);
  return static_cast<std::size_t>(XXH3_64bits_withSeed(k.key.data(), k.key.size(), seed));
}

Dictionary::FieldTerms::FieldTerms(MemoryCounter* counter)
    : map(0, StringHash{}, StringEq{}, Alloc<CString, TermId>(counter)),
      entries(CountingAllocator<TermEntry>(counter)),
      free_ids(CountingAllocator<TermId>(counter)),
      hll(CountingAllocator<std::uint8_t>(counter)) {
  recent.fill(std::numeric_limits<TermId>::max());
}

Dictionary::Dictionary(const DocCollectionConfig& config, MemoryCounter* counter)
    : config_(config),
      counter_(counter != nullptr ? counter : &own_counter_),
      path_map_(0, PathHash{}, PathEq{}, Alloc<PathKey, PathId>(counter_)),
      paths_(CountingAllocator<PathEntry>(counter_)),
      free_paths_(CountingAllocator<PathId>(counter_)) {}

Dictionary::~Dictionary() {
  for (PathEntry& e : paths_) {
    if (e.terms != nullptr) delete_terms(e.terms);
  }
}

Dictionary::FieldTerms* Dictionary::new_terms() {
  CountingAllocator<FieldTerms> alloc(counter_);
  FieldTerms* p = alloc.allocate(1);
  try {
    std::construct_at(p, counter_);
  } catch (...) {
    alloc.deallocate(p, 1);
    throw;
  }
  return p;
}

void Dictionary::delete_terms(FieldTerms* terms) {
  std::destroy_at(terms);
  CountingAllocator<FieldTerms>(counter_).deallocate(terms, 1);
}

PathId Dictionary::acquire_path(PathId parent, bool in_array, std::string_view key) {
  if (auto it = path_map_.find(PathKeyView{parent, in_array, key}); it != path_map_.end()) {
    ++paths_[it->second].refs;
    return it->second;
  }
  if (paths_.empty()) paths_.emplace_back();  // the root's slot
  PathId id;
  if (!free_paths_.empty()) {
    id = free_paths_.back();
  } else {
    id = static_cast<PathId>(paths_.size());
    paths_.emplace_back();
  }
  auto [it, inserted] = path_map_.emplace(
      PathKey{parent, in_array, CString(key.data(), key.size(), CountingAllocator<char>(counter_))},
      id);
  assert(inserted);
  (void)inserted;
  if (!free_paths_.empty() && free_paths_.back() == id) free_paths_.pop_back();
  PathEntry& e = paths_[id];
  e.refs = 1;
  e.plain_key = json_plain(key);
  e.key = &it->first;
  e.terms = nullptr;
  ++live_paths_;
  if (parent != kRootPath) ++paths_[parent].refs;
  return id;
}

void Dictionary::release_path(PathId id) {
  // Iterative: reclaiming a path drops the reference it held on its parent.
  while (id != kRootPath) {
    PathEntry& e = paths_[id];
    assert(e.refs > 0);
    if (--e.refs != 0) return;
    if (e.terms != nullptr) {
      assert(e.terms->map.empty());
      delete_terms(e.terms);
      e.terms = nullptr;
    }
    const PathId parent = e.key->parent;
    path_map_.erase(*e.key);
    e.key = nullptr;
    free_paths_.push_back(id);
    --live_paths_;
    id = parent;
  }
  reset_if_empty();
}

void Dictionary::reset_if_empty() {
  if (live_paths_ != 0) return;
  // Give every container's memory back so bytes() returns to a fresh dictionary's value.
  PathMap(0, PathHash{}, PathEq{}, Alloc<PathKey, PathId>(counter_)).swap(path_map_);
  Vector<PathEntry>(CountingAllocator<PathEntry>(counter_)).swap(paths_);
  Vector<PathId>(CountingAllocator<PathId>(counter_)).swap(free_paths_);
}

std::optional<PathId> Dictionary::find_path(PathId parent, bool in_array,
                                            std::string_view key) const {
  auto it = path_map_.find(PathKeyView{parent, in_array, key});
  if (it == path_map_.end()) return std::nullopt;
  return it->second;
}

std::string_view Dictionary::key_of(PathId id) const {
  if (id == kRootPath) return {};
  return std::string_view(entry(id).key->key);
}

PathId Dictionary::parent_of(PathId id) const {
  return id == kRootPath ? kRootPath : entry(id).key->parent;
}

bool Dictionary::in_array(PathId id) const {
  return id == kRootPath ? false : entry(id).key->in_array;
}

std::string Dictionary::display_path(PathId id) const {
  std::vector<PathId> chain;
  for (PathId p = id; p != kRootPath; p = entry(p).key->parent) chain.push_back(p);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const PathKey& k = *entry(*it).key;
    if (it != chain.rbegin()) {
      if (k.in_array) out.append("[]");
      out.push_back('.');
    }
    append_segment(std::string_view(k.key), out);
  }
  return out;
}

std::optional<TermId> Dictionary::acquire_term(PathId field, std::string_view value) {
  if (value.size() < config_.min_interned_term_bytes) return std::nullopt;
  PathEntry& e = paths_[field];
  if (e.terms == nullptr) e.terms = new_terms();
  FieldTerms& t = *e.terms;
  if (!t.interning) {
    // A field that stopped interning keeps every string inline without a lookup: its
    // values are mostly distinct, so the lookup would almost always miss.
    hll_add(t, value);
    return std::nullopt;
  }
  ++t.seen;
  TermId& recent = t.recent[StringHash{}(value) % t.recent.size()];
  if (recent < t.entries.size()) {
    TermEntry& te = t.entries[recent];
    if (te.refs != 0 && std::string_view(*te.text) == value) {
      ++te.refs;
      return recent;
    }
  }
  if (auto it = t.map.find(value); it != t.map.end()) {
    ++t.entries[it->second].refs;
    recent = it->second;
    return it->second;
  }
  ++t.created;
  // Adaptive rule: stop at the configured number of distinct terms, or earlier once the
  // field has shown itself to be high-cardinality (after a warm-up, more than half of its
  // values were new): interning such values costs memory and time and is never reused.
  const bool at_limit = t.map.size() >= config_.max_interned_terms_per_field;
  const bool mostly_distinct =
      t.seen >= kCardinalityWarmup && t.created * kDistinctShareDenominator > t.seen;
  if (at_limit || mostly_distinct) {
    // From now on the field keeps new strings inline and we estimate its cardinality
    // instead. Seed the sketch with the live terms.
    t.interning = false;
    t.hll.assign(kHllRegisters, 0);
    for (const auto& [text, id] : t.map) hll_add(t, std::string_view(text));
    hll_add(t, value);
    return std::nullopt;
  }
  TermId id;
  if (!t.free_ids.empty()) {
    id = t.free_ids.back();
  } else {
    id = static_cast<TermId>(t.entries.size());
    t.entries.emplace_back();
  }
  auto [it, inserted] =
      t.map.emplace(CString(value.data(), value.size(), CountingAllocator<char>(counter_)), id);
  assert(inserted);
  (void)inserted;
  if (!t.free_ids.empty() && t.free_ids.back() == id) t.free_ids.pop_back();
  t.entries[id] = TermEntry{1, json_plain(value), &it->first};
  recent = id;
  ++live_terms_;
  return id;
}

void Dictionary::release_term(PathId field, TermId id) {
  FieldTerms& t = *paths_[field].terms;
  TermEntry& te = t.entries[id];
  assert(te.refs > 0);
  if (--te.refs != 0) return;
  t.map.erase(*te.text);
  te.text = nullptr;
  --live_terms_;
  if (t.map.empty()) {
    // Give the field's memory back; the interning decision and the sketch stay.
    TermMap(0, StringHash{}, StringEq{}, Alloc<CString, TermId>(counter_)).swap(t.map);
    Vector<TermEntry>(CountingAllocator<TermEntry>(counter_)).swap(t.entries);
    Vector<TermId>(CountingAllocator<TermId>(counter_)).swap(t.free_ids);
  } else {
    t.free_ids.push_back(id);
  }
}

std::string_view Dictionary::term(PathId field, TermId id) const {
  return std::string_view(*entry(field).terms->entries[id].text);
}

std::optional<TermId> Dictionary::find_term(PathId field, std::string_view value) const {
  if (field == kRootPath || field >= paths_.size()) return std::nullopt;
  const PathEntry& e = entry(field);
  if (e.refs == 0 || e.terms == nullptr) return std::nullopt;
  auto it = e.terms->map.find(value);
  if (it == e.terms->map.end()) return std::nullopt;
  return it->second;
}

void Dictionary::hll_add(FieldTerms& terms, std::string_view value) const {
  const std::uint64_t h = XXH3_64bits(value.data(), value.size());
  const std::size_t index = static_cast<std::size_t>(h >> (64 - kHllBits));
  const std::uint64_t rest = h << kHllBits;
  const int rank = rest == 0 ? 64 - kHllBits + 1 : std::countl_zero(rest) + 1;
  std::uint8_t& reg = terms.hll[index];
  if (rank > reg) reg = static_cast<std::uint8_t>(rank);
}

std::uint64_t Dictionary::hll_estimate(const FieldTerms& terms) {
  if (terms.hll.empty()) return 0;
  const double m = static_cast<double>(kHllRegisters);
  double sum = 0;
  std::size_t zeros = 0;
  for (std::uint8_t r : terms.hll) {
    sum += std::ldexp(1.0, -static_cast<int>(r));
    if (r == 0) ++zeros;
  }
  const double alpha = 0.7213 / (1.0 + 1.079 / m);
  double estimate = alpha * m * m / sum;
  if (estimate <= 2.5 * m && zeros != 0) {
    estimate = m * std::log(m / static_cast<double>(zeros));  // linear counting
  }
  return static_cast<std::uint64_t>(std::llround(estimate));
}

std::vector<DocDictionaryFieldInfo> Dictionary::fields() const {
  std::vector<DocDictionaryFieldInfo> out;
  out.reserve(live_paths_);
  for (PathId id = 1; id < paths_.size(); ++id) {
    const PathEntry& e = paths_[id];
    if (e.refs == 0) continue;
    DocDictionaryFieldInfo info;
    info.path = display_path(id);
    info.field_id = id;
    info.interned_terms = e.terms != nullptr ? e.terms->map.size() : 0;
    info.terms_interned =
        e.terms != nullptr ? e.terms->interning : config_.max_interned_terms_per_field != 0;
    info.cardinality_estimate =
        e.terms != nullptr ? std::max<std::uint64_t>(info.interned_terms, hll_estimate(*e.terms))
                           : 0;
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(),
            [](const DocDictionaryFieldInfo& a, const DocDictionaryFieldInfo& b) {
              return a.path < b.path;
            });
  return out;
}

}  // namespace kora::doc
