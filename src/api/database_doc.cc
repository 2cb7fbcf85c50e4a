// The document half of Database: caller-side validation and parsing, routing by
// (collection, id), fan-out and merge; the work runs in doc::CollectionShard.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "api/database_impl.h"
#include "api/doc_checks.h"
#include "core/guard.h"
#include "doc/collection_shard.h"
#include "doc/json_ingest.h"
#include "doc/path.h"
#include "kora/database.h"

namespace kora {
namespace {

using api::check_collection_name;
using api::check_document_id;
using api::not_found;
using core::with_batch_index;
using shard::Fanout;
using shard::Shard;

// A write's TTL as an absolute time; kInvalidArgument unless 0 < ttl <= kMaxTtlMs.
Result<doc::CollectionShard::ExpireAt> expire_at_of(Database::Impl& impl,
                                                    std::optional<std::chrono::milliseconds> ttl) {
  if (!ttl) return doc::CollectionShard::ExpireAt();
  if (ttl->count() <= 0) {
    return core::invalid_argument("ttl must be > 0 ms, got " + std::to_string(ttl->count()));
  }
  KORA_RETURN_IF_ERROR(core::check_ttl(ttl->count()));
  return doc::CollectionShard::ExpireAt(impl.engine().clock().now_ms() + ttl->count());
}

Result<std::vector<std::vector<std::string>>> parse_projection(
    std::span<const std::string_view> projection) {
  std::vector<std::vector<std::string>> paths;
  paths.reserve(projection.size());
  for (std::size_t i = 0; i < projection.size(); ++i) {
    auto path = doc::parse_path(projection[i]);
    if (!path.ok()) return with_batch_index(path.status(), i);
    paths.push_back(std::move(path).value());
  }
  return paths;
}

// Runs f(CollectionShard&) on the shard that holds (collection, id); kNotFound when the
// collection does not exist.
template <class R, class F>
R on_document(Database::Impl& impl, std::string_view collection, std::string_view id, F&& f) {
  return impl.engine().call(impl.engine().shard_of_doc(collection, id), [&](Shard& shard) -> R {
    doc::CollectionShard* c = shard.collection(collection);
    if (c == nullptr) return not_found(collection);
    return f(*c);
  });
}

// Parsed documents live only until the shard call that stores them returns, so each
// calling thread reuses the same ones and their buffers: no allocation per document once
// warm. Large documents give their buffers back after use.
doc::ParsedDocument& scratch_document() {
  thread_local doc::ParsedDocument document;
  return document;
}

std::vector<doc::ParsedDocument>& scratch_batch(std::size_t size) {
  thread_local std::vector<doc::ParsedDocument> batch;
  if (batch.size() < size) batch.resize(size);
  return batch;
}

// After a call: drop what a large document or batch made grow.
void trim_scratch(std::span<doc::ParsedDocument> used) {
  for (doc::ParsedDocument& d : used) d.release_if_large();
}

constexpr std::size_t kMaxRetainedBatch = 4096;

// A time-ordered 128-bit id in UUID version 7 layout: 48 bits of Unix milliseconds, then
// 74 random bits. Random per process and thread, so ids from concurrent inserts differ.
std::string generate_document_id(std::int64_t now_ms) {
  thread_local std::mt19937_64 random{std::random_device{}() ^
                                      (static_cast<std::uint64_t>(now_ms) << 16)};
  std::array<std::uint8_t, 16> bytes{};
  const auto ms = static_cast<std::uint64_t>(now_ms);
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  const std::uint64_t r1 = random();
  const std::uint64_t r2 = random();
  for (int i = 6; i < 16; ++i) {
    bytes[i] = static_cast<std::uint8_t>((i < 14 ? r1 : r2) >> (8 * (i % 8)));
  }
  bytes[6] = static_cast<std::uint8_t>(0x70 | (bytes[6] & 0x0f));  // version 7
  bytes[8] = static_cast<std::uint8_t>(0x80 | (bytes[8] & 0x3f));  // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id.push_back('-');
    id.push_back(kHex[bytes[i] >> 4]);
    id.push_back(kHex[bytes[i] & 0x0f]);
  }
  return id;
}

// Where validate_batch parses entry i: the batch's own documents, or one scratch document
// when the shards decode the text themselves.
using ParseSlot = doc::FunctionRef<doc::ParsedDocument&(std::size_t)>;

// Checks every entry of a doc_mset batch on the calling thread (id, TTL, JSON), then
// reserves the batch's values for the collection's unique indexes (see
// UniqueRegistry::reserve_batch), so no write of an accepted batch can fail on a clash.
// An error names the entry in detail()->batch_index and reserves nothing. Fills
// `expire_at` (absolute expiry per entry) when some entry has a TTL. Takes no lock that a
// thread waiting on a shard may hold (doc_mset's shards wait for it).
Status validate_batch(Database::Impl& impl, doc::UniqueRegistry& unique,
                      std::span<const DocEntry> entries, const doc::IngestLimits& limits,
                      ParseSlot slot, std::vector<doc::CollectionShard::ExpireAt>& expire_at) {
  const auto paths = unique.paths();
  std::vector<doc::UniqueRegistry::Claim> claims;
  claims.reserve(entries.size() * paths.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (Status s = check_document_id(entries[i].id); !s.ok()) return with_batch_index(s, i);
    if (entries[i].ttl) {
      auto at = expire_at_of(impl, entries[i].ttl);
      if (!at.ok()) return with_batch_index(at.status(), i);
      expire_at.resize(entries.size());
      expire_at[i] = *at;
    }
    doc::ParsedDocument& parsed = slot(i);
    if (Status s = doc::parse_document_into(entries[i].json, limits, parsed); !s.ok()) {
      return with_batch_index(s, i);
    }
    for (const auto& [text, segments] : paths) {
      claims.push_back({text, std::nullopt, doc::unique_key_at(parsed.root(), segments)});
    }
  }
  if (paths.empty() || entries.empty()) return {};
  std::vector<doc::UniqueRegistry::BatchEntry> batch(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    batch[i] = {entries[i].id, std::span<const doc::UniqueRegistry::Claim>(claims).subspan(
                                   i * paths.size(), paths.size())};
  }
  if (auto failure = unique.reserve_batch(batch, impl.engine().clock().now_ms())) {
    return with_batch_index(failure->second, failure->first);
  }
  return {};
}

// Waits until `verdict` leaves `pending` and returns it. A batch's verdict usually comes
// within a millisecond, sooner than a sleeping thread wakes on this kind of machine (a
// futex wake-up costs hundreds of microseconds under load), so the wait spins first,
// yielding now and then to let the validating caller run; past a millisecond it sleeps.
std::uint32_t wait_for_verdict(const std::atomic<std::uint32_t>& verdict, std::uint32_t pending) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point sleep_after = Clock::now() + std::chrono::milliseconds(1);
  for (std::uint32_t spins = 1;; ++spins) {
    const std::uint32_t v = verdict.load(std::memory_order_acquire);
    if (v != pending) return v;
    if (spins % 64 != 0) {
      shard::cpu_relax();
    } else if (Clock::now() < sleep_after) {
      std::this_thread::yield();
    } else {
      verdict.wait(pending, std::memory_order_acquire);
    }
  }
}

// Keeps a thread's batch of parsed documents from pinning what a large document or batch
// made it grow to.
struct TrimScratch {
  std::vector<doc::ParsedDocument>& pool;
  std::span<doc::ParsedDocument> used;
  ~TrimScratch() {
    trim_scratch(used);
    if (pool.size() > kMaxRetainedBatch) {
      pool.resize(kMaxRetainedBatch);
      pool.shrink_to_fit();
    }
  }
};

}  // namespace

// ---- Collections --------------------------------------------------------------------

Status Database::doc_create_collection(std::string_view name, const DocCollectionConfig& config) {
  KORA_RETURN_IF_ERROR(check_collection_name(name));
  if (!(config.compaction_garbage_ratio > 0.0 && config.compaction_garbage_ratio <= 1.0)) {
    return core::invalid_argument("DocCollectionConfig.compaction_garbage_ratio must be in (0, 1]");
  }
  return core::guarded([&]() -> Status {
    std::lock_guard lock(impl_->catalog_mutex);
    if (impl_->catalog.contains(name)) {
      return Status(ErrorCode::kAlreadyExists,
                    "collection '" + std::string(name) + "' already exists");
    }
    auto unique = std::make_shared<doc::UniqueRegistry>();
    auto created = impl_->engine().call_all([&](Shard& shard) -> Status {
      shard.collections.emplace(
          std::string(name), std::make_unique<doc::CollectionShard>(config, shard.clock, unique));
      return {};
    });
    for (const Status& s : created) {
      if (!s.ok()) {
        // Undo the shards that did create it, so the catalog and the shards agree.
        (void)impl_->engine().call_all([&](Shard& shard) -> Status {
          if (auto it = shard.collections.find(name); it != shard.collections.end()) {
            shard.collections.erase(it);
          }
          return {};
        });
        return s;
      }
    }
    impl_->catalog.emplace(
        std::string(name),
        Impl::CollectionMeta{config,
                             static_cast<std::uint64_t>(impl_->engine().clock().now_ms()),
                             std::move(unique),
                             {}});
    return {};
  });
}

Result<bool> Database::doc_drop_collection(std::string_view name) {
  KORA_RETURN_IF_ERROR(check_collection_name(name));
  return core::guarded([&]() -> Result<bool> {
    std::lock_guard lock(impl_->catalog_mutex);
    auto it = impl_->catalog.find(name);
    if (it == impl_->catalog.end()) return false;
    auto dropped = impl_->engine().call_all(
        [&](Shard& shard) -> Status {
          if (auto c = shard.collections.find(name); c != shard.collections.end()) {
            shard.collections.erase(c);
          }
          return {};
        },
        Fanout::kParallel);
    for (const Status& s : dropped) KORA_RETURN_IF_ERROR(s);
    impl_->catalog.erase(it);
    return true;
  });
}

Result<std::vector<std::string>> Database::doc_collections() {
  return core::guarded([&]() -> Result<std::vector<std::string>> {
    std::lock_guard lock(impl_->catalog_mutex);
    std::vector<std::string> names;
    names.reserve(impl_->catalog.size());
    for (const auto& [name, meta] : impl_->catalog) names.push_back(name);
    return names;  // std::map keeps them sorted bytewise
  });
}

Result<DocCollectionInfo> Database::doc_collection_info(std::string_view name) {
  KORA_RETURN_IF_ERROR(check_collection_name(name));
  return core::guarded([&]() -> Result<DocCollectionInfo> {
    DocCollectionInfo info{};
    {
      std::lock_guard lock(impl_->catalog_mutex);
      auto it = impl_->catalog.find(name);
      if (it == impl_->catalog.end()) return not_found(name);
      info.name = it->first;
      info.created_at_ms = it->second.created_at_ms;
      info.config = it->second.config;
    }
    struct Counts {
      std::uint64_t docs;
      std::uint64_t entries;
    };
    auto parts = impl_->engine().call_all([&](Shard& shard) -> Result<Counts> {
      doc::CollectionShard* c = shard.collection(name);
      if (c == nullptr) return not_found(name);
      return Counts{c->doc_count(), c->dictionary().entries()};
    });
    for (auto& part : parts) {
      KORA_RETURN_IF_ERROR(part);
      info.doc_count += part->docs;
      info.dictionary_entries += part->entries;
    }
    return info;
  });
}

// ---- Documents ----------------------------------------------------------------------

Result<DocSetResult> Database::doc_set(std::string_view collection, std::string_view id,
                                       std::string_view json, const DocWriteOptions& options) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  KORA_RETURN_IF_ERROR(check_document_id(id));
  KORA_ASSIGN_OR_RETURN(const auto expire_at, expire_at_of(*impl_, options.ttl));
  doc::ParsedDocument& parsed = scratch_document();
  KORA_RETURN_IF_ERROR(doc::parse_document_into(json, impl_->ingest_limits(), parsed));
  auto result = on_document<Result<DocSetResult>>(
      *impl_, collection, id, [&](doc::CollectionShard& c) -> Result<DocSetResult> {
        KORA_ASSIGN_OR_RETURN(const bool created, c.set(id, parsed, expire_at));
        return DocSetResult{created};
      });
  parsed.release_if_large();
  return result;
}

Result<DocInsertResult> Database::doc_insert(std::string_view collection, std::string_view json,
                                             const DocWriteOptions& options) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  KORA_ASSIGN_OR_RETURN(const auto expire_at, expire_at_of(*impl_, options.ttl));
  doc::ParsedDocument& parsed = scratch_document();
  KORA_RETURN_IF_ERROR(doc::parse_document_into(json, impl_->ingest_limits(), parsed));
  struct Trim {
    doc::ParsedDocument& parsed;
    ~Trim() { parsed.release_if_large(); }
  } trim{parsed};
  // A clash needs two equal 74-bit random suffixes in one millisecond; retry anyway, so an
  // insert can never overwrite.
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string id = generate_document_id(impl_->engine().clock().now_ms());
    KORA_ASSIGN_OR_RETURN(bool stored, on_document<Result<bool>>(
                                           *impl_, collection, id, [&](doc::CollectionShard& c) {
                                             return c.insert_new(id, parsed, expire_at);
                                           }));
    if (stored) return DocInsertResult{std::move(id)};
  }
  return core::internal_error("could not generate a free document id");
}

Result<std::vector<DocSetResult>> Database::doc_mset(std::string_view collection,
                                                     std::span<const DocEntry> entries) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  return core::guarded([&]() -> Result<std::vector<DocSetResult>> {
    // Taken first: the catalog lock must not be waited for once shards wait on this call.
    const std::shared_ptr<doc::UniqueRegistry> unique = impl_->unique_registry(collection);
    if (unique == nullptr) return not_found(collection);
    shard::ShardEngine& engine = impl_->engine();
    const std::uint32_t n = engine.shard_count();
    std::vector<std::vector<std::uint32_t>> by_shard(n);
    for (std::uint32_t i = 0; i < entries.size(); ++i) {
      by_shard[engine.shard_of_doc(collection, entries[i].id)].push_back(i);
    }
    const doc::IngestLimits limits = impl_->ingest_limits();
    std::vector<doc::CollectionShard::ExpireAt> expire_at;
    std::vector<DocSetResult> results(entries.size(), DocSetResult{false});
    // Writes one shard's entries in input order, so a repeated id (always on one shard)
    // ends with its last entry; document(k, i) is the k-th of them, entry i.
    auto write = [&](Shard& shard, auto&& document) -> Status {
      const auto& mine = by_shard[shard.index];
      if (mine.empty()) return {};
      doc::CollectionShard* c = shard.collection(collection);
      if (c == nullptr) return not_found(collection);
      for (std::size_t k = 0; k < mine.size(); ++k) {
        const std::uint32_t i = mine[k];
        KORA_ASSIGN_OR_RETURN(
            results[i].created,
            c->set(entries[i].id, document(k, i), expire_at.empty() ? std::nullopt : expire_at[i],
                   /*reserved=*/true));
      }
      return {};
    };

    if (shard::batch_fanout(entries.size(), n) == Fanout::kInline) {
      // A small batch: parsed once, here, and written by this thread while shards are idle.
      std::vector<doc::ParsedDocument>& pool = scratch_batch(entries.size());
      const TrimScratch trim{pool, std::span(pool.data(), entries.size())};
      KORA_RETURN_IF_ERROR(validate_batch(
          *impl_, *unique, entries, limits,
          [&](std::size_t i) -> doc::ParsedDocument& { return pool[i]; }, expire_at));
      auto statuses = engine.call_all([&](Shard& shard) -> Status {
        return write(shard, [&](std::size_t, std::uint32_t i) -> const doc::ParsedDocument& {
          return pool[i];
        });
      });
      for (const Status& s : statuses) KORA_RETURN_IF_ERROR(s);
      return results;
    }

    // A large batch, split between this thread and the shards' workers. Each worker
    // decodes its own entries' text while this thread validates the whole batch, then
    // waits for the verdict and writes only on success, while this thread writes its own
    // shard (whose entries it parsed into `pool` while validating). So bad input still
    // fails here before any shard changes, decoding runs on every core, and each parse
    // tree is built in the cache of the core that encodes it.
    const std::uint32_t own = engine.caller_shard();
    enum : std::uint32_t { kPending, kWrite, kAbandon };
    std::atomic<std::uint32_t> verdict{kPending};
    auto decode_and_write = [&](Shard& shard) -> Status {
      const auto& mine = by_shard[shard.index];
      if (mine.empty()) return {};
      std::vector<doc::ParsedDocument>& docs = scratch_batch(mine.size());
      const TrimScratch trim{docs, std::span(docs.data(), mine.size())};
      bool all_parsed = true;
      for (std::size_t k = 0; k < mine.size(); ++k) {
        all_parsed &= doc::parse_document_into(entries[mine[k]].json, limits, docs[k]).ok();
      }
      if (wait_for_verdict(verdict, kPending) == kAbandon) return {};
      if (!all_parsed) {
        return Status(ErrorCode::kInternal, "a document the batch validated failed to decode");
      }
      return write(shard, [&](std::size_t k, std::uint32_t) -> const doc::ParsedDocument& {
        return docs[k];
      });
    };
    auto posted = engine.post_all_except(own, decode_and_write);
    // Declared after `posted`, so on every way out (an error or an exception) the shards
    // are told to abandon the batch before `posted` waits for them.
    struct Abandon {
      std::atomic<std::uint32_t>& verdict;
      ~Abandon() {
        if (verdict.load(std::memory_order_relaxed) == kPending) {
          verdict.store(kAbandon, std::memory_order_release);
          verdict.notify_all();
        }
      }
    } abandon{verdict};
    std::vector<doc::ParsedDocument>& pool = scratch_batch(entries.size() + 1);
    const TrimScratch trim{pool, std::span(pool.data(), entries.size() + 1)};
    doc::ParsedDocument& scratch = pool[entries.size()];
    std::vector<bool> is_own(entries.size(), false);
    for (std::uint32_t i : by_shard[own]) is_own[i] = true;
    const Status valid = validate_batch(
        *impl_, *unique, entries, limits,
        [&](std::size_t i) -> doc::ParsedDocument& { return is_own[i] ? pool[i] : scratch; },
        expire_at);
    verdict.store(valid.ok() ? kWrite : kAbandon, std::memory_order_release);
    verdict.notify_all();
    KORA_RETURN_IF_ERROR(valid);
    KORA_RETURN_IF_ERROR(engine.call(own, [&](Shard& shard) -> Status {
      return write(shard, [&](std::size_t, std::uint32_t i) -> const doc::ParsedDocument& {
        return pool[i];
      });
    }));
    for (const Status& s : posted.wait()) KORA_RETURN_IF_ERROR(s);
    return results;
  });
}

Result<std::optional<std::string>> Database::doc_get(std::string_view collection,
                                                     std::string_view id,
                                                     std::span<const std::string_view> projection) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  KORA_RETURN_IF_ERROR(check_document_id(id));
  return core::guarded([&]() -> Result<std::optional<std::string>> {
    KORA_ASSIGN_OR_RETURN(auto paths, parse_projection(projection));
    return on_document<Result<std::optional<std::string>>>(
        *impl_, collection, id, [&](doc::CollectionShard& c) {
          std::string json;
          if (!c.get(id, paths, json)) return std::optional<std::string>();
          return std::optional<std::string>(std::move(json));
        });
  });
}

Result<std::optional<std::string>> Database::doc_get(
    std::string_view collection, std::string_view id,
    std::initializer_list<std::string_view> projection) {
  return doc_get(collection, id,
                 std::span<const std::string_view>(projection.begin(), projection.size()));
}

Result<std::vector<std::optional<std::string>>> Database::doc_mget(
    std::string_view collection, std::span<const std::string_view> ids) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (Status s = check_document_id(ids[i]); !s.ok()) return with_batch_index(s, i);
  }
  return core::guarded([&]() -> Result<std::vector<std::optional<std::string>>> {
    const std::uint32_t n = impl_->engine().shard_count();
    std::vector<std::vector<std::uint32_t>> by_shard(n);
    for (std::uint32_t i = 0; i < ids.size(); ++i) {
      by_shard[impl_->engine().shard_of_doc(collection, ids[i])].push_back(i);
    }
    std::vector<std::optional<std::string>> docs(ids.size());
    auto statuses = impl_->engine().call_all(
        [&](Shard& shard) -> Status {
          const auto& mine = by_shard[shard.index];
          if (mine.empty()) return {};
          doc::CollectionShard* c = shard.collection(collection);
          if (c == nullptr) return not_found(collection);
          for (std::uint32_t i : mine) {
            std::string json;
            if (c->get(ids[i], {}, json)) docs[i] = std::move(json);
          }
          return {};
        },
        shard::batch_fanout(ids.size(), n));
    for (const Status& s : statuses) KORA_RETURN_IF_ERROR(s);
    return docs;
  });
}

Result<std::vector<std::optional<std::string>>> Database::doc_mget(
    std::string_view collection, std::initializer_list<std::string_view> ids) {
  return doc_mget(collection, std::span<const std::string_view>(ids.begin(), ids.size()));
}

Result<bool> Database::doc_del(std::string_view collection, std::string_view id) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  KORA_RETURN_IF_ERROR(check_document_id(id));
  return on_document<Result<bool>>(*impl_, collection, id,
                                   [&](doc::CollectionShard& c) { return c.erase(id); });
}

Result<bool> Database::doc_exists(std::string_view collection, std::string_view id) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  KORA_RETURN_IF_ERROR(check_document_id(id));
  return on_document<Result<bool>>(*impl_, collection, id,
                                   [&](doc::CollectionShard& c) { return c.contains(id); });
}

// ---- Updates and TTL ----------------------------------------------------------------

Result<bool> Database::doc_update(std::string_view collection, std::string_view id,
                                  std::span<const DocUpdateMutation> mutations) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  KORA_RETURN_IF_ERROR(check_document_id(id));
  if (mutations.empty()) return core::invalid_argument("doc_update needs at least one mutation");
  return core::guarded([&]() -> Result<bool> {
    // Paths and values are checked and parsed here, on the caller, like documents.
    std::vector<doc::ParsedDocument>& pool = scratch_batch(mutations.size());
    const std::span<doc::ParsedDocument> values(pool.data(), mutations.size());
    const TrimScratch trim{pool, values};
    const doc::IngestLimits limits = impl_->ingest_limits();
    std::vector<doc::EditOp> ops(mutations.size());
    for (std::size_t i = 0; i < mutations.size(); ++i) {
      const DocUpdateMutation& m = mutations[i];
      doc::EditOp& op = ops[i];
      op.kind = m.kind();
      using Kind = DocUpdateMutation::Kind;
      if (op.kind != Kind::kMerge) {
        auto path = doc::parse_path(m.path());
        if (!path.ok()) return with_batch_index(path.status(), i);
        op.path = std::move(path).value();
      }
      Status s;
      switch (op.kind) {
        case Kind::kSet:
        case Kind::kPush:
        case Kind::kPull:
          s = doc::parse_value_into(m.json(), limits, values[i]);
          op.value = &values[i];
          break;
        case Kind::kMerge:
          s = doc::parse_document_into(m.json(), limits, values[i]);
          if (s.code() == ErrorCode::kInvalidArgument) {
            s = core::invalid_argument("a merge patch must be a JSON object");
          }
          op.value = &values[i];
          break;
        case Kind::kIncr:
          if (m.delta_out_of_range()) {
            s = core::out_of_range("incr: the delta is above INT64_MAX");
          } else if (!m.integer_delta() && !std::isfinite(m.double_delta())) {
            s = core::invalid_argument("incr: the delta must be finite");
          }
          op.integer_delta = m.integer_delta();
          op.int_delta = m.int_delta();
          op.double_delta = m.double_delta();
          break;
        case Kind::kDel:
          break;
      }
      if (!s.ok()) return with_batch_index(s, i);
    }
    const std::uint32_t max_depth = impl_->ingest_limits().max_depth;
    return on_document<Result<bool>>(*impl_, collection, id, [&](doc::CollectionShard& c) {
      return c.update(id, ops, max_depth);
    });
  });
}

Result<bool> Database::doc_update(std::string_view collection, std::string_view id,
                                  std::initializer_list<DocUpdateMutation> mutations) {
  return doc_update(collection, id,
                    std::span<const DocUpdateMutation>(mutations.begin(), mutations.size()));
}

Result<bool> Database::doc_expire(std::string_view collection, std::string_view id,
                                  std::chrono::milliseconds ttl) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  KORA_RETURN_IF_ERROR(check_document_id(id));
  KORA_RETURN_IF_ERROR(core::check_ttl(ttl.count()));
  if (ttl.count() <= 0) return doc_del(collection, id);
  const core::TimeMs expire_at = impl_->engine().clock().now_ms() + ttl.count();
  return on_document<Result<bool>>(
      *impl_, collection, id, [&](doc::CollectionShard& c) { return c.expire(id, expire_at); });
}

Result<bool> Database::doc_persist(std::string_view collection, std::string_view id) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  KORA_RETURN_IF_ERROR(check_document_id(id));
  return on_document<Result<bool>>(*impl_, collection, id,
                                   [&](doc::CollectionShard& c) { return c.persist(id); });
}

Result<std::optional<std::chrono::milliseconds>> Database::doc_ttl(std::string_view collection,
                                                                   std::string_view id) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  KORA_RETURN_IF_ERROR(check_document_id(id));
  using Remaining = std::optional<std::chrono::milliseconds>;
  return on_document<Result<Remaining>>(*impl_, collection, id, [&](doc::CollectionShard& c) {
    const std::optional<core::TimeMs> at = c.expire_at(id);
    if (!at) return Remaining();
    // The document is live, so at least 1 ms remains.
    const core::TimeMs now = impl_->engine().clock().now_ms();
    return Remaining(std::chrono::milliseconds(std::max<core::TimeMs>(*at - now, 1)));
  });
}

// ---- Stats --------------------------------------------------------------------------

Result<DocStorageInfo> Database::doc_storage_info(std::string_view collection) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  auto parts = impl_->engine().call_all([&](Shard& shard) -> Result<DocStorageInfo> {
    doc::CollectionShard* c = shard.collection(collection);
    if (c == nullptr) return not_found(collection);
    return c->storage_info();
  });
  DocStorageInfo total{};
  bool any_docs = false;
  for (auto& part : parts) {
    KORA_RETURN_IF_ERROR(part);
    const DocStorageInfo& p = *part;
    total.doc_count += p.doc_count;
    total.live_bytes += p.live_bytes;
    total.garbage_bytes += p.garbage_bytes;
    total.arena_capacity_bytes += p.arena_capacity_bytes;
    if (p.doc_count > 0) {
      total.min_record_bytes =
          any_docs ? std::min(total.min_record_bytes, p.min_record_bytes) : p.min_record_bytes;
      total.max_record_bytes = std::max(total.max_record_bytes, p.max_record_bytes);
      any_docs = true;
    }
    total.compactions += p.compactions;
    total.reclaimed_bytes += p.reclaimed_bytes;
    total.id_map_bytes += p.id_map_bytes;
    total.dictionary_bytes += p.dictionary_bytes;
    total.index_bytes += p.index_bytes;
    total.total_bytes += p.total_bytes;
  }
  total.avg_record_bytes = total.doc_count == 0 ? 0.0
                                                : static_cast<double>(total.live_bytes) /
                                                      static_cast<double>(total.doc_count);
  return total;
}

Result<DocDictionaryInfo> Database::doc_dictionary_info(std::string_view collection) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  return core::guarded([&]() -> Result<DocDictionaryInfo> {
    auto parts = impl_->engine().call_all([&](Shard& shard) -> Result<DocDictionaryInfo> {
      doc::CollectionShard* c = shard.collection(collection);
      if (c == nullptr) return not_found(collection);
      const doc::Dictionary& d = c->dictionary();
      return DocDictionaryInfo{d.entries(), d.bytes(), d.fields()};
    });
    DocDictionaryInfo total{};
    std::map<std::string, DocDictionaryFieldInfo> fields;
    for (auto& part : parts) {
      KORA_RETURN_IF_ERROR(part);
      total.entries += part->entries;
      total.bytes += part->bytes;
      for (DocDictionaryFieldInfo& f : part->fields) {
        auto [it, fresh] = fields.try_emplace(f.path, f);
        if (!fresh) {
          it->second.interned_terms += f.interned_terms;
          it->second.cardinality_estimate += f.cardinality_estimate;
          it->second.terms_interned = it->second.terms_interned && f.terms_interned;
        }
      }
    }
    total.fields.reserve(fields.size());
    for (auto& [path, f] : fields) total.fields.push_back(std::move(f));
    return total;
  });
}

Status Database::doc_compact(std::string_view collection) {
  KORA_RETURN_IF_ERROR(check_collection_name(collection));
  // Bounded steps, each its own shard call, so other commands run in between and no call
  // waits on a whole-collection pause.
  for (std::uint32_t s = 0; s < impl_->engine().shard_count(); ++s) {
    for (bool more = true; more;) {
      KORA_ASSIGN_OR_RETURN(more, impl_->engine().call(s, [&](Shard& shard) -> Result<bool> {
        doc::CollectionShard* c = shard.collection(collection);
        if (c == nullptr) return not_found(collection);
        return c->compact_all_step();
      }));
    }
  }
  return {};
}

}  // namespace kora
