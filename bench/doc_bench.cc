// kora_doc_bench: JSON documents through the public kora::Database API (doc_set, doc_mset,
// doc_get full and projected) against two baselines in the same binary and the same run:
//   - simdjson parse-only: one reused simdjson::dom::parser, error-code API, parsing the
//     same std::string_view the API receives (simdjson copies it into its reused padded
//     buffer). Nothing is stored: this is the ceiling for ingest.
//   - a naive store: one RapidJSON DOM per document in a std::unordered_map<std::string,
//     ...>. Made fair on memory: RapidJSON's default MemoryPoolAllocator reserves 64 KiB per
//     Document, so each document gets its own pool, one chunk of 2.5x its JSON length
//     (kNaivePoolPercent; these DOMs need about 2x, at most 2.25x), all pools sharing one
//     base CrtAllocator. Numbers are parsed with kParseFullPrecisionFlag (exact, as kora
//     promises); UTF-8 is not validated (kora and simdjson do). A get serializes the DOM
//     with one reused rapidjson::Writer into a new std::string, as doc_get returns one.
//
// Data: bench/user_docs.h, kFixtureDocs documents (seed kSeed, ids "user:<n>"), loaded once
// into one shared Database (Config{.shard_count = default_shard_count()}, collection
// "users", doc_mset batches of 1000) and one shared naive store. Every benchmark draws
// documents from the same xorshift sequence on every side. Set benchmarks write each id's
// own document back (a replace), so the data never changes and later checks still hold.
//
// Each benchmark checks before it times, for a sample of ids: kora doc_get, the naive
// store's serialized DOM and the source text are the same value (re-parsed with
// RapidJSON, compared with operator==); doc_get with the projection {"name",
// "address.city"} is the same value as the projection built from the naive DOM (source key
// order, nesting kept); simdjson's parse, printed back, is the same value as the source;
// absent ids are nullopt on both stores. Else SkipWithError.
//
// Memory (BM_KoraLoad, BM_NaiveLoad; one iteration each, run after the rest): a fresh
// Database / naive store takes --kora_docs documents (default 1,000,000; 0 skips both)
// in doc_mset batches of 1000 (the naive store: one set per document). Reported counters:
// bytes_per_doc and ratio_to_raw (kora: doc_storage_info total_bytes; naive: the malloc
// delta), malloc_bytes_per_doc and malloc_ratio_to_raw (mallinfo2 uordblks + hblkhd after
// minus before the load, an independent check), raw_bytes_per_doc. Their time is that of
// the load calls only (manual time; generating the documents is not counted), so
// items_per_second is the fresh-insert rate.
//
// After the benchmarks, main prints a summary with the ratios and the targets: doc_mset
// ingest >= 25% of simdjson parse-only docs/s; doc_get >= 1 M docs/s single-thread;
// doc_storage_info total_bytes for 1M docs <= 0.6 x raw JSON bytes. Exit status 1 if any
// benchmark failed its check. Extra flags: --kora_docs=N (memory step size, 0 skips it),
// --kora_shards=N (shard count).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bench_util.h"
#include "kora/kora.h"
#include "naive_store.h"
#include "user_docs.h"

namespace {

using kora_bench::console_format;
using kora_bench::display_reporter;
using kora_bench::fixed;
using kora_bench::flag;
using kora_bench::g_crt;
using kora_bench::NaiveEntry;
using kora_bench::parse_value;
using kora_bench::rate;
using kora_bench::RjValue;
using kora_bench::RjWriter;
using kora_bench::same_value;
using kora_bench::SummaryReporter;
using kora_bench::take_int_flags;
using kora_bench::timed_rng;
using kora_bench::verify_rng;
using kora_bench::XorShift64;

constexpr std::uint32_t kFixtureDocs = 100'000;
constexpr std::uint64_t kSeed = 42;
constexpr std::size_t kBatchDocs = 1000;     // documents per doc_mset
constexpr std::size_t kVerifySamples = 512;  // ids checked before timing
constexpr double kMinTime = 0.2;             // seconds per benchmark run
constexpr std::string_view kCollection = "users";
constexpr std::string_view kLoadCollection = "load";
constexpr std::array<std::string_view, 2> kProjection = {"name", "address.city"};

std::uint32_t g_shard_count = 0;        // 0: default_shard_count()
std::size_t g_load_docs = 1'000'000;    // --kora_docs
std::size_t g_identical_samples = 0;    // verified samples whose doc_get equals the source text
std::size_t g_identical_projected = 0;  // ... whose projected doc_get equals the naive text
std::size_t g_verified_samples = 0;     // samples checked by the last verification
std::optional<kora::DocStorageInfo> g_load_info;  // doc_storage_info after BM_KoraLoad

std::span<const std::string_view> projection() { return kProjection; }

// ---- Projection from a DOM -----------------------------------------------------------------

// The projection paths as a tree: {"name", "address.city"} -> name (whole), address ->
// city (whole). Plain dotted paths only (no backquotes: the benchmark's paths need none).
struct ProjectionNode {
  std::string key;
  bool whole = false;  // the path ends here: take the whole value
  std::vector<ProjectionNode> children;
};

std::vector<ProjectionNode> projection_tree(std::span<const std::string_view> paths) {
  std::vector<ProjectionNode> roots;
  for (std::string_view path : paths) {
    std::vector<ProjectionNode>* level = &roots;
    while (true) {
      const std::size_t dot = path.find('.');
      const std::string_view segment = path.substr(0, dot);
      auto it = std::find_if(level->begin(), level->end(),
                             [&](const ProjectionNode& n) { return n.key == segment; });
      if (it == level->end()) {
        level->push_back(ProjectionNode{std::string(segment), false, {}});
        it = level->end() - 1;
      }
      if (dot == std::string_view::npos) {
        it->whole = true;
        break;
      }
      level = &it->children;
      path.remove_prefix(dot + 1);
    }
  }
  return roots;
}

const ProjectionNode* find_node(const std::vector<ProjectionNode>& nodes, const RjValue& key) {
  const std::string_view name(key.GetString(), key.GetStringLength());
  for (const ProjectionNode& n : nodes) {
    if (n.key == name) return &n;
  }
  return nullptr;
}

// true: at least one projected path exists under `object`. A path through a non-object is
// missing.
bool any_present(const RjValue& object, const std::vector<ProjectionNode>& nodes) {
  for (auto m = object.MemberBegin(); m != object.MemberEnd(); ++m) {
    const ProjectionNode* node = find_node(nodes, m->name);
    if (node == nullptr) continue;
    if (node->whole) return true;
    if (m->value.IsObject() && any_present(m->value, node->children)) return true;
  }
  return false;
}

// Writes the members of `object` that the projection selects, in the object's own order,
// keeping the nesting; an object none of whose sub-paths exist is left out.
void write_projection(const RjValue& object, const std::vector<ProjectionNode>& nodes,
                      RjWriter& writer) {
  for (auto m = object.MemberBegin(); m != object.MemberEnd(); ++m) {
    const ProjectionNode* node = find_node(nodes, m->name);
    if (node == nullptr) continue;
    if (node->whole) {
      writer.Key(m->name.GetString(), m->name.GetStringLength());
      m->value.Accept(writer);
    } else if (m->value.IsObject() && any_present(m->value, node->children)) {
      writer.Key(m->name.GetString(), m->name.GetStringLength());
      writer.StartObject();
      write_projection(m->value, node->children, writer);
      writer.EndObject();
    }
  }
}

// ---- Baseline: a RapidJSON DOM per document in an unordered_map ----------------------------

// Reused output buffer and writer (Writer::Reset keeps its level stack).
struct NaiveWriter {
  rapidjson::StringBuffer buffer;
  RjWriter writer{buffer, &g_crt};

  std::string take(const RjValue& value) {
    buffer.Clear();
    writer.Reset(buffer);
    value.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
  }
  std::string take_projection(const RjValue& object, const std::vector<ProjectionNode>& nodes) {
    buffer.Clear();
    writer.Reset(buffer);
    writer.StartObject();
    write_projection(object, nodes, writer);
    writer.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
  }
};

class NaiveStore {
 public:
  using Entry = NaiveEntry;

  // Creates or replaces the document. false: not a JSON object (nothing changes).
  bool set(std::string_view id, std::string_view json) {
    auto entry = NaiveEntry::parse(json);
    if (entry == nullptr) return false;
    map_.insert_or_assign(std::string(id), std::move(entry));
    return true;
  }

  const Entry* find(const std::string& id) const {
    auto it = map_.find(id);
    return it == map_.end() ? nullptr : it->second.get();
  }

  std::optional<std::string> get(const std::string& id, NaiveWriter& w) const {
    const Entry* e = find(id);
    if (e == nullptr) return std::nullopt;
    return w.take(e->root);
  }
  std::optional<std::string> get_projected(const std::string& id,
                                           const std::vector<ProjectionNode>& nodes,
                                           NaiveWriter& w) const {
    const Entry* e = find(id);
    if (e == nullptr) return std::nullopt;
    return w.take_projection(e->root, nodes);
  }

  std::size_t size() const { return map_.size(); }
  // Sum over documents of the pool bytes used and reserved.
  std::pair<std::size_t, std::size_t> pool_bytes() const {
    std::pair<std::size_t, std::size_t> sum{0, 0};
    for (const auto& [id, entry] : map_) {
      sum.first += entry->pool.Size();
      sum.second += entry->pool.Capacity();
    }
    return sum;
  }

 private:
  std::unordered_map<std::string, std::unique_ptr<Entry>> map_;
};

// ---- Malloc accounting -------------------------------------------------------------------

// Bytes glibc malloc has handed out and not taken back, over all arenas.
std::uint64_t malloc_in_use() {
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// after - before; nullopt when mallinfo2 reported nothing (another allocator, e.g. a
// sanitizer's, serves malloc).
std::optional<double> malloc_delta(std::uint64_t before, std::uint64_t after) {
  if (before == 0 && after == 0) return std::nullopt;
  return static_cast<double>(static_cast<std::int64_t>(after) - static_cast<std::int64_t>(before));
}

// ---- Shared fixture ------------------------------------------------------------------------

struct Fixture {
  std::vector<std::string> ids;
  std::vector<std::string> docs;
  std::uint64_t raw_bytes = 0;
  std::unique_ptr<kora::Database> db;
  NaiveStore naive;
  std::vector<ProjectionNode> projection_nodes = projection_tree(projection());
  std::string error;  // non-empty: setup failed, every benchmark skips with it
};

kora::Config make_config() {
  kora::Config config;
  config.shard_count = g_shard_count != 0 ? g_shard_count : kora::default_shard_count();
  return config;
}

// Stores documents [0, ids.size()) in doc_mset batches of kBatchDocs. Empty: done.
std::string kora_load(kora::Database& db, std::string_view collection,
                      const std::vector<std::string>& ids, const std::vector<std::string>& docs) {
  std::vector<kora::DocEntry> entries;
  entries.reserve(kBatchDocs);
  for (std::size_t start = 0; start < ids.size(); start += kBatchDocs) {
    entries.clear();
    for (std::size_t i = start; i < std::min(ids.size(), start + kBatchDocs); ++i) {
      entries.push_back(kora::DocEntry{ids[i], docs[i]});
    }
    auto r = db.doc_mset(collection, entries);
    if (!r.ok()) return "doc_mset: " + r.error().to_string();
    if (r->size() != entries.size()) return "doc_mset: wrong number of results";
  }
  return {};
}

std::once_flag g_fixture_once;
std::unique_ptr<Fixture> g_fixture;

void build_fixture() {
  auto f = std::make_unique<Fixture>();
  f->ids = kora_bench::make_user_doc_ids(kFixtureDocs);
  f->docs = kora_bench::make_user_docs(kFixtureDocs, kSeed);
  for (const std::string& d : f->docs) f->raw_bytes += d.size();
  for (std::size_t i = 0; i < kFixtureDocs; ++i) {
    if (!f->naive.set(f->ids[i], f->docs[i])) {
      f->error = "naive store refused " + f->ids[i];
      break;
    }
  }
  auto opened = kora::Database::open(make_config());
  if (!opened.ok()) {
    f->error = "Database::open: " + opened.error().to_string();
  } else {
    f->db = std::move(opened).value();
    if (kora::Status s = f->db->doc_create_collection(kCollection); !s.ok()) {
      f->error = "doc_create_collection: " + s.to_string();
    } else if (std::string e = kora_load(*f->db, kCollection, f->ids, f->docs); !e.empty()) {
      f->error = "prepopulating: " + e;
    }
  }
  g_fixture = std::move(f);
}

// The shared fixture, built by whichever thread gets here first.
Fixture& fixture() {
  std::call_once(g_fixture_once, build_fixture);
  return *g_fixture;
}

// ---- Verify before timing --------------------------------------------------------------

std::string describe(const std::optional<std::string>& v) {
  return v ? *v : std::string("nullopt");
}

// Empty: kora, the naive store and simdjson agree with the source documents for a sample
// of ids (full and projected gets), and absent ids are absent. Otherwise what differed.
std::string verify_same_answers(Fixture& f, int thread_index) {
  if (!f.error.empty()) return f.error;
  XorShift64 rng = verify_rng(thread_index);
  NaiveWriter w;
  simdjson::dom::parser parser;
  std::size_t identical = 0;
  std::size_t identical_projected = 0;
  for (std::size_t n = 0; n < kVerifySamples; ++n) {
    const std::size_t i = n == 0 ? 0 : n == 1 ? kFixtureDocs - 1 : rng.index(kFixtureDocs);
    const std::string& id = f.ids[i];
    const std::string& source = f.docs[i];

    auto got = f.db->doc_get(kCollection, id);
    if (!got.ok()) return "kora doc_get(" + id + "): " + got.error().to_string();
    const std::optional<std::string> base = f.naive.get(id, w);
    if (!got->has_value() || !base) {
      return "doc_get(" + id + "): kora " + describe(*got) + ", naive " + describe(base);
    }
    if (!same_value(**got, source) || !same_value(*base, source)) {
      return "doc_get(" + id + "): kora " + **got + ", naive " + *base + ", expected " + source;
    }
    identical += **got == source;

    auto projected = f.db->doc_get(kCollection, id, projection());
    if (!projected.ok()) {
      return "kora doc_get(" + id + ", projection): " + projected.error().to_string();
    }
    const std::optional<std::string> expected = f.naive.get_projected(id, f.projection_nodes, w);
    if (!projected->has_value() || !expected || !same_value(**projected, *expected)) {
      return "doc_get(" + id + ", {name, address.city}): kora " + describe(*projected) +
             ", expected (from the naive DOM) " + describe(expected);
    }
    identical_projected += **projected == *expected;
    const auto expected_value = parse_value(*expected);  // the projection is not trivial
    if (!expected_value || !expected_value->HasMember("name") ||
        !expected_value->HasMember("address") || !(*expected_value)["address"].IsObject() ||
        !(*expected_value)["address"].HasMember("city") || expected_value->MemberCount() != 2) {
      return "naive projection of " + id + " is not {name, address: {city}}: " + *expected;
    }

    simdjson::dom::element root;
    if (auto err = parser.parse(source.data(), source.size()).get(root); err) {
      return "simdjson parse of " + id + ": " + simdjson::error_message(err);
    }
    if (!root.is_object() || !same_value(simdjson::to_string(root), source)) {
      return "simdjson parse of " + id + " reads back as " + simdjson::to_string(root);
    }
  }
  for (std::size_t n = 0; n < 8; ++n) {
    const std::string absent = "absent:" + std::to_string(rng.next());
    auto got = f.db->doc_get(kCollection, absent);
    if (!got.ok()) return "kora doc_get(" + absent + "): " + got.error().to_string();
    if (got->has_value() || f.naive.get(absent, w).has_value()) {
      return "doc_get(" + absent + ") of an absent id returned a document";
    }
  }
  g_identical_samples = identical;
  g_identical_projected = identical_projected;
  g_verified_samples = kVerifySamples;
  return {};
}

// Fixture and checks; nullptr (after SkipWithError) when the benchmark must not run.
Fixture* prepare(benchmark::State& state) {
  Fixture& f = fixture();
  if (std::string error = verify_same_answers(f, state.thread_index()); !error.empty()) {
    state.SkipWithError(error.c_str());
    return nullptr;
  }
  return &f;
}

// ---- Benchmarks: ingest ------------------------------------------------------------------

void BM_SimdjsonParse(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  simdjson::dom::parser parser;  // reused; its buffers grow once
  XorShift64 rng = timed_rng(state.thread_index());
  std::int64_t bad = 0;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    const std::string& doc = f->docs[rng.index(kFixtureDocs)];
    simdjson::dom::element root;
    bad += parser.parse(doc.data(), doc.size()).get(root) != simdjson::SUCCESS;
    benchmark::DoNotOptimize(root);
    bytes += static_cast<std::int64_t>(doc.size());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  if (bad != 0) state.SkipWithError("simdjson parse failed during the timed loop");
}

void BM_KoraDocSet(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  kora::Database& db = *f->db;
  XorShift64 rng = timed_rng(state.thread_index());
  std::int64_t bad = 0;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    const std::size_t i = rng.index(kFixtureDocs);
    auto r = db.doc_set(kCollection, f->ids[i], f->docs[i]);
    bad += !r.ok() || r->created;  // every id exists: a replace
    benchmark::DoNotOptimize(r);
    bytes += static_cast<std::int64_t>(f->docs[i].size());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  if (bad != 0) state.SkipWithError("kora doc_set failed (or created) during the timed loop");
}

void BM_KoraDocMset1000(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  kora::Database& db = *f->db;
  XorShift64 rng = timed_rng(state.thread_index());
  std::vector<kora::DocEntry> entries(kBatchDocs);
  std::int64_t bad = 0;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    for (auto& e : entries) {
      const std::size_t i = rng.index(kFixtureDocs);
      e = kora::DocEntry{f->ids[i], f->docs[i]};
      bytes += static_cast<std::int64_t>(e.json.size());
    }
    auto r = db.doc_mset(kCollection, entries);
    bad += !r.ok() || r->size() != kBatchDocs;
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatchDocs));
  state.SetBytesProcessed(bytes);
  if (bad != 0) state.SkipWithError("kora doc_mset failed during the timed loop");
}

void BM_NaiveSet(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  NaiveStore& naive = f->naive;
  XorShift64 rng = timed_rng(state.thread_index());
  std::int64_t bad = 0;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    const std::size_t i = rng.index(kFixtureDocs);
    bad += !naive.set(f->ids[i], f->docs[i]);
    benchmark::ClobberMemory();
    bytes += static_cast<std::int64_t>(f->docs[i].size());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  if (bad != 0) state.SkipWithError("naive set failed during the timed loop");
}

// ---- Benchmarks: get ---------------------------------------------------------------------

void BM_KoraDocGet(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  kora::Database& db = *f->db;
  XorShift64 rng = timed_rng(state.thread_index());
  std::int64_t bad = 0;
  for (auto _ : state) {
    auto r = db.doc_get(kCollection, f->ids[rng.index(kFixtureDocs)]);
    bad += !r.ok() || !r->has_value();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError("kora doc_get failed or missed during the timed loop");
}

void BM_KoraDocGetProjected(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  kora::Database& db = *f->db;
  XorShift64 rng = timed_rng(state.thread_index());
  std::int64_t bad = 0;
  for (auto _ : state) {
    auto r = db.doc_get(kCollection, f->ids[rng.index(kFixtureDocs)], projection());
    bad += !r.ok() || !r->has_value();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError("kora projected doc_get failed during the timed loop");
}

void BM_NaiveGet(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  const NaiveStore& naive = f->naive;
  NaiveWriter w;
  XorShift64 rng = timed_rng(state.thread_index());
  std::int64_t bad = 0;
  for (auto _ : state) {
    auto r = naive.get(f->ids[rng.index(kFixtureDocs)], w);
    bad += !r.has_value();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError("naive get missed during the timed loop");
}

void BM_NaiveGetProjected(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  const NaiveStore& naive = f->naive;
  NaiveWriter w;
  XorShift64 rng = timed_rng(state.thread_index());
  std::int64_t bad = 0;
  for (auto _ : state) {
    auto r = naive.get_projected(f->ids[rng.index(kFixtureDocs)], f->projection_nodes, w);
    bad += !r.has_value();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError("naive projected get missed during the timed loop");
}

// Wall-clock time, single thread (the targets are single-thread figures).
BENCHMARK(BM_SimdjsonParse)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_KoraDocSet)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_KoraDocMset1000)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_NaiveSet)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_KoraDocGet)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_NaiveGet)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_KoraDocGetProjected)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_NaiveGetProjected)->MinTime(kMinTime)->UseRealTime();

// ---- Benchmarks: memory (registered in main unless --kora_docs=0) ------------------------

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Batch buffers reused across batches, allocated before the "before" snapshot, so the
// malloc delta holds only what the store keeps.
struct LoadBatch {
  std::vector<std::string> ids;
  std::vector<std::string> docs;
  explicit LoadBatch(std::size_t n) : ids(n), docs(n) {
    for (auto& d : docs) d.reserve(512);
  }
  // Fills documents [start, start + count); returns their JSON bytes.
  std::uint64_t fill(std::size_t start, std::size_t count) {
    std::uint64_t bytes = 0;
    for (std::size_t k = 0; k < count; ++k) {
      ids[k] = kora_bench::user_doc_id(start + k);
      kora_bench::make_user_doc(docs[k], start + k, kSeed);
      bytes += docs[k].size();
    }
    return bytes;
  }
};

// Counters for n documents of raw JSON bytes in total; a figure that is unknown is left out.
void set_memory_counters(benchmark::State& state, double n, double raw, std::optional<double> bytes,
                         std::optional<double> malloc_bytes) {
  state.counters["docs"] = benchmark::Counter(n);
  state.counters["raw_bytes_per_doc"] = benchmark::Counter(raw / n);
  if (bytes) {
    state.counters["bytes_per_doc"] = benchmark::Counter(*bytes / n);
    state.counters["ratio_to_raw"] = benchmark::Counter(*bytes / raw);
  }
  if (malloc_bytes) {
    state.counters["malloc_bytes_per_doc"] = benchmark::Counter(*malloc_bytes / n);
    state.counters["malloc_ratio_to_raw"] = benchmark::Counter(*malloc_bytes / raw);
  }
}

void BM_KoraLoad(benchmark::State& state) {
  const std::size_t n = g_load_docs;
  for (auto _ : state) {
    auto opened = kora::Database::open(make_config());
    if (!opened.ok()) {
      state.SkipWithError(("Database::open: " + opened.error().to_string()).c_str());
      break;
    }
    std::unique_ptr<kora::Database> db = std::move(opened).value();
    if (kora::Status s = db->doc_create_collection(kLoadCollection); !s.ok()) {
      state.SkipWithError(("doc_create_collection: " + s.to_string()).c_str());
      break;
    }
    LoadBatch batch(kBatchDocs);
    std::vector<kora::DocEntry> entries(kBatchDocs);
    std::uint64_t raw = 0;
    double seconds = 0;
    std::string error;
    const std::uint64_t before = malloc_in_use();
    for (std::size_t start = 0; start < n && error.empty(); start += kBatchDocs) {
      const std::size_t count = std::min(kBatchDocs, n - start);
      raw += batch.fill(start, count);
      for (std::size_t k = 0; k < count; ++k) entries[k] = {batch.ids[k], batch.docs[k]};
      const auto t0 = Clock::now();
      auto r = db->doc_mset(kLoadCollection, std::span(entries.data(), count));
      const auto t1 = Clock::now();
      seconds += seconds_between(t0, t1);
      if (!r.ok()) {
        error = "doc_mset at " + std::to_string(start) + ": " + r.error().to_string();
      } else if (r->size() != count ||
                 !std::all_of(r->begin(), r->end(), [](auto& x) { return x.created; })) {
        error = "doc_mset at " + std::to_string(start) + ": not every document was created";
      }
    }
    const std::uint64_t after = malloc_in_use();
    auto info = db->doc_storage_info(kLoadCollection);
    if (error.empty() && !info.ok()) error = "doc_storage_info: " + info.error().to_string();
    if (error.empty() && info->doc_count != n) {
      error = "doc_storage_info: doc_count " + std::to_string(info->doc_count) + ", expected " +
              std::to_string(n);
    }
    // Spot check what was loaded.
    XorShift64 rng = verify_rng(state.thread_index());
    for (std::size_t s = 0; s < 64 && error.empty(); ++s) {
      const std::size_t i = s == 0 ? n - 1 : rng.index(static_cast<std::uint32_t>(n));
      const std::string id = kora_bench::user_doc_id(i);
      auto got = db->doc_get(kLoadCollection, id);
      if (!got.ok() || !got->has_value() ||
          !same_value(**got, kora_bench::make_user_doc(i, kSeed))) {
        error = "after the load, doc_get(" + id + ") is wrong";
      }
    }
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
    state.SetIterationTime(seconds);
    g_load_info = *info;
    set_memory_counters(state, static_cast<double>(n), static_cast<double>(raw),
                        static_cast<double>(info->total_bytes), malloc_delta(before, after));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n) * state.iterations());
}

void BM_NaiveLoad(benchmark::State& state) {
  const std::size_t n = g_load_docs;
  for (auto _ : state) {
    auto naive = std::make_unique<NaiveStore>();
    LoadBatch batch(kBatchDocs);
    std::uint64_t raw = 0;
    double seconds = 0;
    bool ok = true;
    const std::uint64_t before = malloc_in_use();
    for (std::size_t start = 0; start < n && ok; start += kBatchDocs) {
      const std::size_t count = std::min(kBatchDocs, n - start);
      raw += batch.fill(start, count);
      const auto t0 = Clock::now();
      for (std::size_t k = 0; k < count; ++k) ok &= naive->set(batch.ids[k], batch.docs[k]);
      const auto t1 = Clock::now();
      seconds += seconds_between(t0, t1);
    }
    const std::uint64_t after = malloc_in_use();
    if (!ok || naive->size() != n) {
      state.SkipWithError("naive load failed");
      break;
    }
    const auto [pool_used, pool_reserved] = naive->pool_bytes();
    state.SetIterationTime(seconds);
    const std::optional<double> delta = malloc_delta(before, after);
    set_memory_counters(state, static_cast<double>(n), static_cast<double>(raw), delta, delta);
    state.counters["dom_used_per_doc"] =
        benchmark::Counter(static_cast<double>(pool_used) / static_cast<double>(n));
    state.counters["dom_reserved_per_doc"] =
        benchmark::Counter(static_cast<double>(pool_reserved) / static_cast<double>(n));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n) * state.iterations());
}

// ---- Summary ---------------------------------------------------------------------------

std::string met(bool ok) { return ok ? "met" : "NOT met"; }

std::string pct(double a, double b) { return fixed(100.0 * a / b, 1) + "%"; }

std::string mib(double bytes) { return fixed(bytes / (1024.0 * 1024.0), 1) + " MiB"; }

void print_summary(const SummaryReporter& r, std::ostream& out) {
  const auto ips = [&](const char* function) { return r.value(function, 1, "items_per_second"); };
  const auto simd = ips("BM_SimdjsonParse");
  const auto set = ips("BM_KoraDocSet");
  const auto mset = ips("BM_KoraDocMset1000");
  const auto naive_set = ips("BM_NaiveSet");
  const auto get = ips("BM_KoraDocGet");
  const auto naive_get = ips("BM_NaiveGet");
  const auto pget = ips("BM_KoraDocGetProjected");
  const auto naive_pget = ips("BM_NaiveGetProjected");

  out << "\n---- summary (same run; single thread; shards = ";
  if (g_fixture && g_fixture->db) {
    out << g_fixture->db->shard_count() << ", fixture = " << kFixtureDocs << " user docs, avg "
        << fixed(static_cast<double>(g_fixture->raw_bytes) / kFixtureDocs, 1) << " bytes";
  } else {
    out << make_config().shard_count;
  }
  out << ", seed = " << kSeed
      << ", simdjson implementation = " << simdjson::get_active_implementation()->name()
      << ") ----\n";

  const auto line = [&](std::string_view label, const std::optional<double>& v,
                        const std::optional<double>& ref, const char* ref_label) {
    if (!v) return;
    out << "  " << label << std::string(label.size() < 40 ? 40 - label.size() : 1, ' ') << rate(*v);
    if (ref) out << "  (" << pct(*v, *ref) << " of " << ref_label << ")";
    out << "\n";
  };
  out << "ingest (docs/s):\n";
  line("simdjson parse-only (the ceiling)", simd, std::nullopt, "");
  line("kora doc_set, one at a time (replace)", set, simd, "simdjson");
  line("kora doc_mset, 1000 a batch (replace)", mset, simd, "simdjson");
  line("naive insert (parse to a DOM, replace)", naive_set, simd, "simdjson");
  if (set && naive_set) {
    out << "  kora doc_set / naive insert = " << pct(*set, *naive_set)
        << ", kora doc_mset / naive insert = " << pct(mset.value_or(0), *naive_set) << "\n";
  }
  out << "get (docs/s):\n";
  line("kora doc_get, full", get, naive_get, "naive get");
  line("naive get (DOM -> Writer -> string)", naive_get, std::nullopt, "");
  line("kora doc_get {name, address.city}", pget, naive_pget, "naive projected get");
  line("naive projected get", naive_pget, std::nullopt, "");
  if (g_verified_samples > 0) {
    out << "  (checked before timing: " << g_verified_samples
        << " sampled ids, the same values on every side;\n   byte-identical: kora doc_get "
           "to the source text for "
        << g_identical_samples << ", projected doc_get to the naive projection for "
        << g_identical_projected << ")\n";
  }

  const auto kload = [&](const char* c) { return r.value("BM_KoraLoad", 1, c); };
  const auto nload = [&](const char* c) { return r.value("BM_NaiveLoad", 1, c); };
  const auto docs = kload("docs") ? kload("docs") : nload("docs");
  if (docs) {
    const double raw_per_doc =
        kload("raw_bytes_per_doc").value_or(nload("raw_bytes_per_doc").value_or(0));
    out << "memory, " << fixed(*docs, 0) << " docs (raw JSON " << mib(raw_per_doc * *docs) << ", "
        << fixed(raw_per_doc, 1) << " bytes/doc):\n";
    if (kload("bytes_per_doc")) {
      out << "  kora doc_storage_info total_bytes       " << fixed(*kload("bytes_per_doc"), 1)
          << " bytes/doc = " << fixed(*kload("ratio_to_raw"), 3) << " x raw\n";
      if (g_load_info) {
        const kora::DocStorageInfo& i = *g_load_info;
        const double n = static_cast<double>(i.doc_count);
        out << "    per doc: live records " << fixed(static_cast<double>(i.live_bytes) / n, 1)
            << " (avg record " << fixed(i.avg_record_bytes, 1) << "), arena capacity "
            << fixed(static_cast<double>(i.arena_capacity_bytes) / n, 1) << ", garbage "
            << fixed(static_cast<double>(i.garbage_bytes) / n, 1) << ", id map "
            << fixed(static_cast<double>(i.id_map_bytes) / n, 1) << ", dictionary "
            << fixed(static_cast<double>(i.dictionary_bytes) / n, 1) << ", indexes "
            << fixed(static_cast<double>(i.index_bytes) / n, 1) << "\n";
      }
      if (kload("malloc_bytes_per_doc")) {
        out << "  kora malloc delta (mallinfo2)           "
            << fixed(*kload("malloc_bytes_per_doc"), 1)
            << " bytes/doc = " << fixed(*kload("malloc_ratio_to_raw"), 3) << " x raw\n";
      } else {
        out << "  kora malloc delta (mallinfo2)           n/a (mallinfo2 reports nothing)\n";
      }
      out << "  kora doc_mset load, fresh inserts       " << rate(*kload("items_per_second"));
      if (simd) out << "  (" << pct(*kload("items_per_second"), *simd) << " of simdjson)";
      out << "\n";
    }
    if (nload("items_per_second")) {
      out << "  naive malloc delta (mallinfo2)          ";
      if (nload("bytes_per_doc")) {
        out << fixed(*nload("bytes_per_doc"), 1)
            << " bytes/doc = " << fixed(*nload("ratio_to_raw"), 3) << " x raw";
      } else {
        out << "n/a (mallinfo2 reports nothing)";
      }
      out << " (DOM pools: " << fixed(nload("dom_used_per_doc").value_or(0), 1) << " used, "
          << fixed(nload("dom_reserved_per_doc").value_or(0), 1) << " reserved per doc)\n";
      out << "  naive load, fresh inserts               " << rate(*nload("items_per_second"))
          << "\n";
    }
    if (kload("bytes_per_doc") && nload("bytes_per_doc")) {
      out << "  kora total_bytes / naive malloc delta = "
          << pct(*kload("bytes_per_doc"), *nload("bytes_per_doc")) << "\n";
    }
  }

  out << "targets:\n";
  if (mset && simd) {
    const double p = 100.0 * *mset / *simd;
    out << "  doc_mset ingest >= 25% of simdjson parse-only docs/s: " << fixed(p, 1) << "% -> "
        << met(p >= 25.0) << " (BM_KoraDocMset1000, replacing existing ids";
    if (const auto load = kload("items_per_second")) {
      const double q = 100.0 * *load / *simd;
      out << "; the fresh-insert load: " << fixed(q, 1) << "%, " << met(q >= 25.0);
    }
    out << ")\n";
  } else {
    out << "  doc_mset ingest >= 25% of simdjson parse-only docs/s: n/a (needs "
           "BM_KoraDocMset1000 and BM_SimdjsonParse)\n";
  }
  if (get) {
    out << "  doc_get >= 1 M docs/s single-thread: full " << rate(*get) << " -> "
        << met(*get >= 1e6);
    if (pget) out << "; projected " << rate(*pget) << " -> " << met(*pget >= 1e6);
    out << "\n";
  } else {
    out << "  doc_get >= 1 M docs/s single-thread: n/a (needs BM_KoraDocGet)\n";
  }
  if (kload("ratio_to_raw")) {
    const double ratio = *kload("ratio_to_raw");
    out << "  total bytes for 1M docs <= 0.6 x raw JSON: doc_storage_info " << fixed(ratio, 3)
        << " x -> " << met(ratio <= 0.6);
    if (const auto malloc_ratio = kload("malloc_ratio_to_raw")) {
      out << " (independent mallinfo2 check: " << fixed(*malloc_ratio, 3) << " x, "
          << met(*malloc_ratio <= 0.6) << ")";
    } else {
      out << " (no mallinfo2 check: it reports nothing)";
    }
    if (*docs != 1e6) out << " [measured at " << fixed(*docs, 0) << " docs, not 1M]";
    out << "\n";
  } else {
    out << "  total bytes for 1M docs <= 0.6 x raw JSON: n/a (BM_KoraLoad did not run; "
           "--kora_docs=0 skips it)\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  long long shards = 0;
  auto docs = static_cast<long long>(g_load_docs);
  if (!take_int_flags(argc, argv,
                      {{"kora_shards", 1, 1024, &shards}, {"kora_docs", 0, 100'000'000, &docs}})) {
    return 2;
  }
  g_shard_count = static_cast<std::uint32_t>(shards);
  g_load_docs = static_cast<std::size_t>(docs);
  const std::optional<bool> console_output = console_format(argc, argv);
  if (!console_output) return 2;
  const bool console = *console_output;
  if (g_load_docs > 0) {
    // One iteration each: the load itself is the measurement.
    benchmark::RegisterBenchmark("BM_KoraLoad", BM_KoraLoad)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_NaiveLoad", BM_NaiveLoad)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
  SummaryReporter reporter(display_reporter(argc, argv));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  const std::size_t ran = benchmark::RunSpecifiedBenchmarks(&reporter);
  if (ran > 0) print_summary(reporter, console ? std::cout : std::cerr);
  std::cout.flush();
  g_fixture.reset();  // join the shard workers before static destruction
  benchmark::Shutdown();
  return reporter.errors() > 0 ? 1 : 0;
}
