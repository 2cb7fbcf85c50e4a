// Indexes and queries of Database: caller-side parsing, fan-out to every shard, merge.
//
// doc_find: each shard returns its first offset + limit hits in the request's order
// (doc-number order without order_by), with their sort values; the caller merges them in
// the same order — by shard, then doc number, without order_by — and cuts the page.
#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "api/database_impl.h"
#include "api/doc_checks.h"
#include "core/guard.h"
#include "doc/collection_shard.h"
#include "doc/path.h"
#include "doc/where_parser.h"
#include "kora/database.h"

namespace kora {
namespace {

using api::check_collection_name;
using api::not_found;
using shard::Shard;
using Hit = doc::CollectionShard::Hit;

Status no_index(std::string_view collection, std::string_view path) {
  return Status(ErrorCode::kNotFound, "collection '" + std::string(collection) +
                                          "' has no index on '" + std::string(path) + "'");
}

// The catalog entry's index on the same path as `segments` (whatever its spelling).
const std::string* same_path(const Database::Impl::CollectionMeta& meta,
                             const std::vector<std::string>& segments) {
  for (const auto& [text, type] : meta.indexes) {
    auto parsed = doc::parse_where_path(text);
    if (parsed.ok() && *parsed == segments) return &text;
  }
  return nullptr;
}

// Hits in the request's order: sort values (missing last, reversed when descending),
// then ids.
bool hit_less(const Hit& a, const Hit& b, bool descending);

// An ordered page with a limit, without building documents the page drops: every shard
// returns its first offset + limit hits as ids and sort values only; the caller merges,
// cuts the page, and fetches the JSON of the page's hits from their shards. Shards with a
// sorted index on the order_by path walk it, which takes microseconds, so the caller runs
// those parts itself (waking a worker would cost more); the others scan, on their own
// workers at once. A shard written to in between (its generation moved) makes the attempt
// start over; after a few, nullopt: the caller builds the page in one phase instead.
Result<std::optional<std::vector<DocHit>>> find_page_in_two_phases(
    Database::Impl& impl, std::string_view collection, doc::CollectionShard::FindRequest request,
    const DocFindOptions& options) {
  constexpr int kAttempts = 3;
  request.with_json = false;
  struct Part {
    std::vector<Hit> hits;
    std::uint64_t generation = 0;
    bool done = false;  // false: left for the parallel scan
  };
  auto find_part = [&](Shard& shard, bool walks_only) -> Result<Part> {
    doc::CollectionShard* c = shard.collection(collection);
    if (c == nullptr) return not_found(collection);
    Part part;
    if (walks_only && !c->has_sorted_index(*request.order_by)) return part;
    c->find(request, part.hits);
    part.generation = c->generation();
    part.done = true;
    return part;
  };
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto parts = impl.engine().call_all([&](Shard& shard) { return find_part(shard, true); });
    bool scans = false;
    for (const auto& part : parts) {
      KORA_RETURN_IF_ERROR(part);
      scans |= !part->done;
    }
    if (scans) {
      auto scanned = impl.engine().call_all(
          [&](Shard& shard) -> Result<Part> {
            if (parts[shard.index]->done) return Part{};
            return find_part(shard, false);
          },
          shard::Fanout::kParallel);
      for (std::size_t s = 0; s < parts.size(); ++s) {
        KORA_RETURN_IF_ERROR(scanned[s]);
        if (!parts[s]->done) parts[s] = std::move(scanned[s]);
      }
    }
    struct Ref {
      Hit* hit;
      std::uint32_t shard;
    };
    std::size_t total = 0;
    for (const auto& part : parts) {
      KORA_RETURN_IF_ERROR(part);
      total += part->hits.size();
    }
    const std::size_t begin = std::min<std::uint64_t>(options.offset, total);
    const std::size_t end = begin + std::min<std::uint64_t>(total - begin, *options.limit);
    // Each part is in the request's order already: merge them (a heap of the shards by
    // their next hit) and stop at the page's end.
    std::vector<Ref> all;
    all.reserve(end);
    struct Cursor {
      std::uint32_t shard;
      std::size_t next;
    };
    auto head = [&](const Cursor& c) -> Hit& { return parts[c.shard]->hits[c.next]; };
    auto later = [&](const Cursor& a, const Cursor& b) {
      return hit_less(head(b), head(a), options.descending);
    };
    std::vector<Cursor> heads;
    heads.reserve(parts.size());
    for (std::uint32_t s = 0; s < parts.size(); ++s) {
      if (!parts[s]->hits.empty()) heads.push_back({s, 0});
    }
    std::make_heap(heads.begin(), heads.end(), later);
    while (all.size() < end && !heads.empty()) {
      std::pop_heap(heads.begin(), heads.end(), later);
      Cursor& c = heads.back();
      all.push_back({&head(c), c.shard});
      if (++c.next < parts[c.shard]->hits.size()) {
        std::push_heap(heads.begin(), heads.end(), later);
      } else {
        heads.pop_back();
      }
    }
    // The page's hits grouped by shard, for one fetch per shard.
    std::vector<Hit*> wanted;
    wanted.reserve(end - begin);
    bool unchanged = true;
    for (std::uint32_t s = 0; s < parts.size() && unchanged; ++s) {
      wanted.clear();
      for (std::size_t i = begin; i < end; ++i) {
        if (all[i].shard == s) wanted.push_back(all[i].hit);
      }
      if (wanted.empty()) continue;
      KORA_ASSIGN_OR_RETURN(unchanged, impl.engine().call(s, [&](Shard& shard) -> Result<bool> {
        doc::CollectionShard* c = shard.collection(collection);
        if (c == nullptr) return not_found(collection);
        return c->fetch(parts[s]->generation, wanted, request.projection);
      }));
    }
    if (!unchanged) continue;
    std::vector<DocHit> page;
    page.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      page.push_back(DocHit{std::move(all[i].hit->id), std::move(all[i].hit->json)});
    }
    return std::optional<std::vector<DocHit>>(std::move(page));
  }
  return std::optional<std::vector<DocHit>>();
}

// Hits in the request's order: sort values (missing last, reversed when descending),
// then ids. Without order_by the caller keeps shard order instead.
bool hit_less(const Hit& a, const Hit& b, bool descending) {
  if (a.sort.has_value() != b.sort.has_value()) return a.sort.has_value();
  if (a.sort) {
    const std::strong_ordering o = *a.sort <=> *b.sort;
    if (o != 0) return descending ? o > 0 : o < 0;
  }
  return a.id < b.id;
}

}  // namespace

// ---- Indexes ------------------------------------------------------------------------

Status Database::doc_create_index(std::string_view collection, std::string_view path,
                                  DocIndexType type) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  KORA_ASSIGN_OR_RETURN(std::vector<std::string> segments, doc::parse_where_path(path));
  if (static_cast<std::uint8_t>(type) > static_cast<std::uint8_t>(DocIndexType::kUnique)) {
    return core::invalid_argument("unknown index type");
  }
  return core::guarded([&]() -> Status {
    std::lock_guard lock(impl_->catalog_mutex);
    auto it = impl_->catalog.find(collection);
    if (it == impl_->catalog.end()) return not_found(collection);
    Impl::CollectionMeta& meta = it->second;
    if (const std::string* existing = same_path(meta, segments)) {
      return Status(ErrorCode::kAlreadyExists, "collection '" + std::string(collection) +
                                                   "' already has an index on '" + *existing + "'");
    }
    const std::string text(path);
    if (type == DocIndexType::kUnique) meta.unique->add_index(text, segments);
    auto created = impl_->engine().call_all([&](Shard& shard) -> Status {
      doc::CollectionShard* c = shard.collection(collection);
      if (c == nullptr) return not_found(collection);
      return c->create_index({text, segments, type});
    });
    for (const Status& s : created) {
      if (s.ok()) continue;
      // A clash (or a failure) on any shard: the index exists nowhere.
      (void)impl_->engine().call_all([&](Shard& shard) -> Status {
        if (doc::CollectionShard* c = shard.collection(collection)) c->drop_index(text);
        return {};
      });
      if (type == DocIndexType::kUnique) meta.unique->drop_index(text);
      return s;
    }
    meta.indexes.emplace(text, type);
    return {};
  });
}

Status Database::doc_drop_index(std::string_view collection, std::string_view path) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  KORA_ASSIGN_OR_RETURN(std::vector<std::string> segments, doc::parse_where_path(path));
  return core::guarded([&]() -> Status {
    std::lock_guard lock(impl_->catalog_mutex);
    auto it = impl_->catalog.find(collection);
    if (it == impl_->catalog.end()) return not_found(collection);
    Impl::CollectionMeta& meta = it->second;
    const std::string* existing = same_path(meta, segments);
    if (existing == nullptr) return no_index(collection, path);
    const std::string text = *existing;
    auto dropped = impl_->engine().call_all([&](Shard& shard) -> Status {
      if (doc::CollectionShard* c = shard.collection(collection)) c->drop_index(text);
      return {};
    });
    for (const Status& s : dropped) KORA_RETURN_IF_ERROR(s);
    if (meta.indexes.at(text) == DocIndexType::kUnique) meta.unique->drop_index(text);
    meta.indexes.erase(text);
    return {};
  });
}

Result<std::vector<DocIndexInfo>> Database::doc_indexes(std::string_view collection) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  return core::guarded([&]() -> Result<std::vector<DocIndexInfo>> {
    std::lock_guard lock(impl_->catalog_mutex);
    auto it = impl_->catalog.find(collection);
    if (it == impl_->catalog.end()) return not_found(collection);
    const Impl::CollectionMeta& meta = it->second;
    auto parts = impl_->engine().call_all([&](Shard& shard) -> Result<std::vector<DocIndexInfo>> {
      doc::CollectionShard* c = shard.collection(collection);
      if (c == nullptr) return not_found(collection);
      return c->index_info();
    });
    std::map<std::string, DocIndexInfo> total;
    for (auto& part : parts) {
      KORA_RETURN_IF_ERROR(part);
      for (DocIndexInfo& info : *part) {
        auto [at, fresh] = total.try_emplace(info.path, info);
        if (!fresh) {
          at->second.distinct_keys += info.distinct_keys;
          at->second.bytes += info.bytes;
        }
      }
    }
    std::vector<DocIndexInfo> out;
    out.reserve(total.size());
    for (auto& [path, info] : total) {
      if (info.type == DocIndexType::kUnique) {
        // Unique values are collection-wide: count them once, and add the shared table.
        info.distinct_keys = meta.unique->distinct_keys(path);
        info.bytes += meta.unique->bytes(path);
      }
      out.push_back(std::move(info));
    }
    return out;
  });
}

// ---- Queries ------------------------------------------------------------------------

Result<std::vector<DocHit>> Database::doc_find(std::string_view collection, std::string_view where,
                                               const DocFindOptions& options) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  KORA_ASSIGN_OR_RETURN(const doc::Query query, doc::parse_where(where));
  std::vector<std::vector<std::string>> projection;
  projection.reserve(options.projection.size());
  for (std::size_t i = 0; i < options.projection.size(); ++i) {
    auto path = doc::parse_path(options.projection[i]);
    if (!path.ok()) return core::with_batch_index(path.status(), i);
    projection.push_back(std::move(path).value());
  }
  std::optional<doc::QueryPath> order_by;
  if (!options.order_by.empty()) {
    KORA_ASSIGN_OR_RETURN(order_by, doc::parse_where_path(options.order_by));
  }
  if (options.limit && *options.limit == 0) {
    // No hits, but still a real call: the collection must exist.
    if (impl_->unique_registry(collection) == nullptr) return not_found(collection);
    return std::vector<DocHit>{};
  }
  return core::guarded([&]() -> Result<std::vector<DocHit>> {
    std::optional<std::uint64_t> keep;
    if (options.limit) {
      const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
      keep = options.offset > max - *options.limit ? max : options.offset + *options.limit;
    }
    doc::CollectionShard::FindRequest request;
    request.query = &query;
    request.projection = projection;
    request.order_by = order_by ? &*order_by : nullptr;
    request.descending = options.descending;
    request.keep = keep;
    auto find_on = [&](Shard& shard) -> Result<std::vector<Hit>> {
      doc::CollectionShard* c = shard.collection(collection);
      if (c == nullptr) return not_found(collection);
      std::vector<Hit> hits;
      c->find(request, hits);
      return hits;
    };
    std::vector<Hit> merged;
    if (!order_by && keep) {
      // Shard order is the result order: ask the shards one by one for what is still
      // missing, so no shard builds documents the page will not use.
      const std::uint64_t wanted = *keep;
      for (std::uint32_t s = 0; s < impl_->engine().shard_count(); ++s) {
        request.keep = wanted - merged.size();
        KORA_ASSIGN_OR_RETURN(std::vector<Hit> part, impl_->engine().call(s, find_on));
        if (merged.empty()) {
          merged = std::move(part);
        } else {
          std::move(part.begin(), part.end(), std::back_inserter(merged));
        }
        if (merged.size() >= wanted) break;
      }
    } else if (order_by && keep) {
      KORA_ASSIGN_OR_RETURN(std::optional<std::vector<DocHit>> page,
                            find_page_in_two_phases(*impl_, collection, request, options));
      if (page) return std::move(*page);
    }
    if (merged.empty() && !(!order_by && keep)) {
      // Scans and sorts: every shard at once, on its own worker.
      request.keep = keep;
      request.with_json = true;
      auto parts = impl_->engine().call_all(find_on, shard::Fanout::kParallel);
      for (auto& part : parts) {
        KORA_RETURN_IF_ERROR(part);
        std::move(part->begin(), part->end(), std::back_inserter(merged));
      }
    }
    if (order_by) {
      std::sort(merged.begin(), merged.end(),
                [&](const Hit& a, const Hit& b) { return hit_less(a, b, options.descending); });
    }
    std::vector<DocHit> page;
    const std::uint64_t begin = std::min<std::uint64_t>(options.offset, merged.size());
    std::uint64_t end = merged.size();
    if (options.limit) end = begin + std::min<std::uint64_t>(end - begin, *options.limit);
    page.reserve(end - begin);
    for (std::uint64_t i = begin; i < end; ++i) {
      page.push_back(DocHit{std::move(merged[i].id), std::move(merged[i].json)});
    }
    return page;
  });
}

Result<std::uint64_t> Database::doc_count(std::string_view collection, std::string_view where) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  KORA_ASSIGN_OR_RETURN(const doc::Query query, doc::parse_where(where));
  return core::guarded([&]() -> Result<std::uint64_t> {
    // First from the bitmaps alone, inline (microseconds: waking workers would cost more);
    // shards whose plan needs a scan then scan on their own workers at once.
    auto exact =
        impl_->engine().call_all([&](Shard& shard) -> Result<std::optional<std::uint64_t>> {
          doc::CollectionShard* c = shard.collection(collection);
          if (c == nullptr) return not_found(collection);
          return c->exact_count(query);
        });
    std::uint64_t total = 0;
    bool scan = false;
    for (auto& part : exact) {
      KORA_RETURN_IF_ERROR(part);
      if (*part) {
        total += **part;
      } else {
        scan = true;
      }
    }
    if (!scan) return total;
    auto scanned = impl_->engine().call_all(
        [&](Shard& shard) -> Result<std::uint64_t> {
          if (*exact[shard.index]) return std::uint64_t{0};  // counted above
          doc::CollectionShard* c = shard.collection(collection);
          if (c == nullptr) return not_found(collection);
          return c->count(query);
        },
        shard::Fanout::kParallel);
    for (auto& part : scanned) {
      KORA_RETURN_IF_ERROR(part);
      total += *part;
    }
    return total;
  });
}

}  // namespace kora
