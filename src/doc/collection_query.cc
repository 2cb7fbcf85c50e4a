// CollectionShard's queries: plan with the bitmaps (query_plan.h), check what the plan
// could not decide on the packed records (query_eval.h), order and cut.
//
// Ordering (API.md): values by SortValue's total order, documents without the field last
// in both directions, ties and missing values by id ascending. With a sorted index on the
// order_by path the walk follows the index and stops once `keep` documents are certain:
// every document of a key is collected before the cut, since ties go by id. Without one,
// every match gets its sort value and a bounded heap keeps the best `keep`.
#include <algorithm>
#include <array>
#include <limits>
#include <queue>
#include <span>
#include <type_traits>

#include "doc/collection_shard.h"
#include "doc/packed_codec.h"
#include "doc/query_plan.h"

namespace kora::doc {
namespace {

constexpr std::uint64_t kAll = std::numeric_limits<std::uint64_t>::max();
// Above this many kept hits a heap stops paying; collect and sort instead.
constexpr std::uint64_t kMaxHeapKeep = 1u << 14;
// Index entries at most this large are checked against the candidates member by member;
// larger ones are intersected.
constexpr std::uint64_t kProbeLimit = 64;
// Hits whose records are prefetched together before they are decoded.
constexpr std::size_t kPrefetchBatch = 16;
// Up to this many hits still wanted, a sorted-index walk keeps a key's best documents by
// insertion; beyond, it sorts.
constexpr std::uint64_t kBoundedRoom = 32;
// The sorted-index walk's scratch vectors keep at most this many bytes each between
// queries (not counted in the storage figures).
constexpr std::size_t kRetainedWalkBytes = 4096;

// f(DocNumber) -> bool (false stops) over a bitmap, ascending, through CRoaring's own
// iteration (faster than its iterator class).
template <class F>
void for_each_doc(const Bitmap& docs, F&& f) {
  using Fn = std::remove_reference_t<F>;
  docs.iterate([](std::uint32_t doc, void* context) { return (*static_cast<Fn*>(context))(doc); },
               const_cast<void*>(static_cast<const void*>(&f)));
}

// f(DocNumber) for each of `docs` in order, prefetching each batch's records before reading
// them: scattered records then cost overlapped cache misses instead of one after another.
// `whole`: f reads whole records (decoding), not only their ids.
template <class F>
void with_records_prefetched(const RecordArena& arena, std::span<const DocNumber> docs, bool whole,
                             F&& f) {
  for (std::size_t begin = 0; begin < docs.size(); begin += kPrefetchBatch) {
    const std::span<const DocNumber> batch =
        docs.subspan(begin, std::min(kPrefetchBatch, docs.size() - begin));
    arena.prefetch(batch, whole);
    for (DocNumber doc : batch) f(doc);
  }
}

struct Entry {
  std::optional<SortValue> value;
  std::string_view id;
  DocNumber doc;
};

// Appends an entry with no value yet. (Filled in place: building a temporary and copying
// it stalls on store forwarding, which showed in the sorted-index walk's profile.)
void add_entry(std::vector<Entry>& entries, std::string_view id, DocNumber doc) {
  Entry& e = entries.emplace_back();
  e.id = id;
  e.doc = doc;
}

// The request's order: values (reversed when descending), missing last, then ids.
struct EntryLess {
  bool descending;
  bool operator()(const Entry& a, const Entry& b) const {
    if (a.value.has_value() != b.value.has_value()) return a.value.has_value();
    if (a.value) {
      const std::strong_ordering o = *a.value <=> *b.value;
      if (o != 0) return descending ? o > 0 : o < 0;
    }
    return a.id < b.id;
  }
};

}  // namespace

void CollectionShard::write_json(DocNumber doc,
                                 std::span<const std::vector<std::string>> projection,
                                 std::string& out) const {
  const std::string_view body = record_body(arena_.get(doc));
  // JSON text is rarely more than twice its packed body: one allocation instead of a
  // string growing (and copying) four or five times. At least the 256 bytes the decoder's
  // sink wants ahead (packed_codec.cc), which would otherwise reallocate at once. (Not
  // more: the sink zero-fills the capacity before writing.)
  out.reserve(out.size() + std::max<std::size_t>(2 * body.size() + 64, 256));
  if (projection.empty()) {
    decode_document(body, dictionary_, out);
  } else {
    decode_projected(body, dictionary_, projection, out);
  }
}

void CollectionShard::append_hit(DocNumber doc,
                                 std::span<const std::vector<std::string>> projection,
                                 std::vector<Hit>& out) const {
  Hit& hit = out.emplace_back();
  hit.id = record_id(arena_.get(doc));
  hit.doc = doc;
  write_json(doc, projection, hit.json);
}

bool CollectionShard::fetch(std::uint64_t generation, std::span<Hit* const> hits,
                            std::span<const std::vector<std::string>> projection) const {
  if (generation != generation_) return false;
  std::array<DocNumber, kPrefetchBatch> docs;
  for (std::size_t begin = 0; begin < hits.size(); begin += kPrefetchBatch) {
    const std::size_t n = std::min(kPrefetchBatch, hits.size() - begin);
    for (std::size_t i = 0; i < n; ++i) docs[i] = hits[begin + i]->doc;
    std::size_t i = begin;
    with_records_prefetched(arena_, std::span(docs.data(), n), /*whole=*/true,
                            [&](DocNumber doc) { write_json(doc, projection, hits[i++]->json); });
  }
  return true;
}

bool CollectionShard::has_sorted_index(const QueryPath& path) const {
  const CollectionIndexes::Index* index = indexes_.find(path);
  if (index == nullptr || !index->sorted) return false;
  // A path no document here has ever held is not walked: every document would be missing
  // it, so the order is by id alone, which takes a scan (better on the shard's worker).
  PathId parent = kRootPath;
  for (const std::string& segment : path) {
    const std::optional<PathId> id = dictionary_.find_path(parent, /*in_array=*/false, segment);
    if (!id) return false;
    parent = *id;
  }
  return true;
}

std::optional<std::uint64_t> CollectionShard::exact_count(const Query& query) {
  sweep_expired(std::numeric_limits<std::size_t>::max());
  return doc::exact_count(query, bind_query(query, dictionary_), indexes_);
}

std::uint64_t CollectionShard::count(const Query& query) {
  sweep_expired(std::numeric_limits<std::size_t>::max());
  const BoundQuery bound = bind_query(query, dictionary_);
  const Candidates candidates = plan(query, bound, indexes_);
  if (candidates.exact()) return candidates.set().cardinality();
  std::uint64_t n = 0;
  for_each_doc(candidates.set(), [&](DocNumber doc) {
    n += matches(bound, record_body(arena_.get(doc))) ? 1 : 0;
    return true;
  });
  return n;
}

void CollectionShard::find(const FindRequest& request, std::vector<Hit>& out) {
  sweep_expired(std::numeric_limits<std::size_t>::max());
  const std::uint64_t keep = request.keep.value_or(kAll);
  if (keep == 0) return;
  const BoundQuery bound = bind_query(*request.query, dictionary_);
  const Candidates candidates = plan(*request.query, bound, indexes_);
  auto is_match = [&](DocNumber doc) {
    return candidates.exact() || matches(bound, record_body(arena_.get(doc)));
  };

  if (request.order_by == nullptr) {
    if (candidates.exact()) {
      // Every candidate is a hit: take them a batch at a time, so their records load
      // together.
      out.reserve(out.size() + std::min(keep, candidates.set().cardinality()));
      std::array<DocNumber, kPrefetchBatch> docs;
      std::size_t n = 0;
      std::uint64_t found = 0;
      auto flush = [&] {
        arena_.prefetch(std::span(docs.data(), n));
        for (std::size_t i = 0; i < n; ++i) append_hit(docs[i], request.projection, out);
        n = 0;
      };
      for_each_doc(candidates.set(), [&](DocNumber doc) {
        docs[n++] = doc;
        if (n == kPrefetchBatch) flush();
        return ++found < keep;
      });
      flush();
      return;
    }
    std::uint64_t found = 0;
    for_each_doc(candidates.set(), [&](DocNumber doc) {
      if (is_match(doc)) {
        append_hit(doc, request.projection, out);
        ++found;
      }
      return found < keep;
    });
    return;
  }

  const BoundPath order_path = bind_path(*request.order_by, dictionary_);
  const EntryLess less{request.descending};
  auto entry_of = [&](DocNumber doc) {
    const std::string_view record = arena_.get(doc);
    return Entry{order_path.present ? sort_value(order_path, record_body(record), dictionary_)
                                    : std::nullopt,
                 record_id(record), doc};
  };
  std::vector<Entry> picked;
  picked.reserve(std::min<std::uint64_t>(keep, kPrefetchBatch));

  const CollectionIndexes::Index* index =
      order_path.present ? indexes_.find(*request.order_by) : nullptr;
  if (index != nullptr && index->sorted) {
    // Every live document is a candidate (no WHERE): the index holds only live documents,
    // so its entries need no membership test.
    const bool every_live = candidates.exact() && &candidates.set() == &indexes_.live();
    auto candidate = [&](DocNumber doc) { return every_live || candidates.set().contains(doc); };
    // Documents whose value is an array or an object: after the scalars ascending, before
    // them descending.
    auto containers = [&] {
      std::vector<Entry> group;
      for_each_doc(index->non_scalar, [&](DocNumber doc) {
        if (candidate(doc) && is_match(doc)) group.push_back(entry_of(doc));
        return true;
      });
      std::sort(group.begin(), group.end(), less);
      picked.insert(picked.end(), group.begin(), group.end());
    };
    auto scalars = [&] {
      // A key's documents as IdOrdered (id, its first bytes, doc): light to select and
      // sort; full entries are made for the kept ones only.
      std::vector<IdOrdered>& group = walk_group_;
      std::vector<DocNumber>& members = walk_docs_;
      index->sorted->for_each(request.descending, [&](const ScalarKey& key, const Bitmap& docs) {
        group.clear();
        members.clear();
        // Every document of a key has the key's value: only ids differ, and only the
        // first `room` of them by id are needed.
        const std::uint64_t room = keep - picked.size();
        if (every_live) {
          // One copy (CRoaring copies array containers with memcpy) instead of a call per
          // document.
          members.resize(docs.cardinality());
          docs.toUint32Array(members.data());
        } else if (docs.cardinality() <= kProbeLimit) {
          for_each_doc(docs, [&](DocNumber doc) {
            if (candidates.set().contains(doc)) members.push_back(doc);
            return true;
          });
        } else {
          for_each_doc(docs & candidates.set(), [&](DocNumber doc) {
            members.push_back(doc);
            return true;
          });
        }
        // A small page keeps its best `room` sorted as they come (a top-10 among a key's
        // hundred documents inserts a few dozen times); a large one sorts at the end.
        const bool bounded = room <= kBoundedRoom;
        // Only ids are read here, unless a WHERE must be checked on the records.
        with_records_prefetched(arena_, members, /*whole=*/!candidates.exact(), [&](DocNumber doc) {
          if (!is_match(doc)) return;
          const IdOrdered m(record_id(arena_.get(doc)), doc);
          if (!bounded) {
            group.push_back(m);
            return;
          }
          if (group.size() == room) {
            if (!(m < group.back())) return;
            group.pop_back();
          }
          group.insert(std::upper_bound(group.begin(), group.end(), m), m);
        });
        if (!bounded) {
          if (group.size() > room) {
            std::nth_element(group.begin(), group.begin() + static_cast<std::ptrdiff_t>(room),
                             group.end());
            group.erase(group.begin() + static_cast<std::ptrdiff_t>(room), group.end());
          }
          std::sort(group.begin(), group.end());
        }
        for (const IdOrdered& m : group) {
          add_entry(picked, m.id, m.doc);
          picked.back().value = SortValue{SortValue::Kind::kScalar, key, {}};
        }
        return picked.size() < keep;
      });
      // A key of many documents (a boolean field's) grew them: do not hold that memory
      // between queries, unaccounted. (Assigning {} would keep the capacity.)
      if (members.capacity() * sizeof(DocNumber) > kRetainedWalkBytes) {
        std::vector<DocNumber>().swap(members);
      }
      if (group.capacity() * sizeof(IdOrdered) > kRetainedWalkBytes) {
        std::vector<IdOrdered>().swap(group);
      }
    };
    if (request.descending) {
      containers();
      if (picked.size() < keep) scalars();
    } else {
      scalars();
      if (picked.size() < keep) containers();
    }
    if (picked.size() < keep) {
      // Documents without the field, by id.
      Bitmap missing = candidates.set();
      if (const Bitmap* present = indexes_.presence(order_path.field())) missing -= *present;
      std::vector<Entry> group;
      for_each_doc(missing, [&](DocNumber doc) {
        if (is_match(doc)) add_entry(group, record_id(arena_.get(doc)), doc);
        return true;
      });
      // A path through an array or a scalar is present in no bitmap but resolves nowhere:
      // those documents are in `missing` already (presence is per resolved path).
      std::sort(group.begin(), group.end(), less);
      picked.insert(picked.end(), group.begin(), group.end());
    }
    if (picked.size() > keep) picked.resize(keep);
  } else if (keep <= kMaxHeapKeep) {
    // The best `keep` so far; the top is the worst of them.
    std::priority_queue<Entry, std::vector<Entry>, EntryLess> best(less);
    for_each_doc(candidates.set(), [&](DocNumber doc) {
      if (!is_match(doc)) return true;
      Entry e = entry_of(doc);
      if (best.size() < keep) {
        best.push(std::move(e));
      } else if (less(e, best.top())) {
        best.pop();
        best.push(std::move(e));
      }
      return true;
    });
    picked.reserve(best.size());
    while (!best.empty()) {
      picked.push_back(best.top());
      best.pop();
    }
    std::reverse(picked.begin(), picked.end());
  } else {
    for_each_doc(candidates.set(), [&](DocNumber doc) {
      if (is_match(doc)) picked.push_back(entry_of(doc));
      return true;
    });
    if (picked.size() > keep) {
      std::partial_sort(picked.begin(), picked.begin() + static_cast<std::ptrdiff_t>(keep),
                        picked.end(), less);
      picked.resize(keep);
    } else {
      std::sort(picked.begin(), picked.end(), less);
    }
  }

  out.reserve(out.size() + picked.size());
  for (Entry& e : picked) {
    if (request.with_json) {
      append_hit(e.doc, request.projection, out);
    } else {
      out.push_back(Hit{std::string(e.id), {}, {}, e.doc});
    }
    out.back().sort = std::move(e.value);
  }
}

}  // namespace kora::doc
