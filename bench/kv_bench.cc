// kora_kv_bench: string get / set / mget through the public kora::Database API, against a
// baseline std::unordered_map<std::string, std::string> under one std::mutex, in the same
// binary and the same run.
//
// Data: 100k keys "key:<n>" with 64-byte values, loaded once into one shared Database
// (Config{.shard_count = default_shard_count()}) and one shared baseline map. Every
// benchmark draws keys from the same xorshift sequence (seeded by thread index) on both
// sides, so neither side gets a friendlier access pattern. Set benchmarks write each key's
// own value back, so the data set never changes and later checks still hold.
//
// Each benchmark checks before it times: kora and the baseline must return the expected
// value for a sample of keys (and nullopt for absent ones), else SkipWithError.
//
// The single-thread get benchmarks also time individual calls with steady_clock after the
// timed loop (so the throughput figure is not disturbed) and report p50_ns / p99_ns. Those
// include the cost of one clock read, reported as timer_ns.
//
// After the benchmarks, main prints a summary: kora get / mutex-map get throughput and the
// kora get p50, against the targets (>= 30 %, <= 1000 ns). Exit status 1 if any benchmark
// failed its check. Extra flag: --kora_shards=N overrides the shard count.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

namespace {

using kora_bench::console_format;
using kora_bench::display_reporter;
using kora_bench::fixed;
using kora_bench::flag;
using kora_bench::rate;
using kora_bench::SummaryReporter;
using kora_bench::take_int_flags;
using kora_bench::timed_rng;
using kora_bench::verify_rng;
using kora_bench::XorShift64;

constexpr std::uint32_t kKeyCount = 100'000;
constexpr std::size_t kValueBytes = 64;
constexpr std::size_t kBatchKeys = 100;          // keys per mget
constexpr std::size_t kVerifySamples = 512;      // keys checked before timing
constexpr std::size_t kLatencySamples = 50'000;  // individually timed calls per run
constexpr double kMinTime = 0.2;                 // seconds per benchmark run

std::uint32_t g_shard_count = 0;  // 0: default_shard_count()

// ---- Baseline: one mutex around an unordered_map -----------------------------------------

class MutexMap {
 public:
  std::optional<std::string> get(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void set(const std::string& key, std::string_view value) {
    std::lock_guard<std::mutex> lock(mutex_);
    map_[key].assign(value);
  }
  // One lock for the whole batch.
  std::vector<std::optional<std::string>> mget(std::span<const std::string* const> keys) const {
    std::vector<std::optional<std::string>> out;
    out.reserve(keys.size());
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::string* key : keys) {
      auto it = map_.find(*key);
      if (it == map_.end()) {
        out.emplace_back(std::nullopt);
      } else {
        out.emplace_back(it->second);
      }
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::string> map_;
};

// ---- Shared fixture ------------------------------------------------------------------------

struct Fixture {
  std::vector<std::string> keys;
  std::vector<std::string> values;
  std::unique_ptr<kora::Database> db;
  MutexMap map;
  std::string error;  // non-empty: setup failed, every benchmark skips with it
};

std::string make_value(std::size_t i) {
  std::string value = "value:" + std::to_string(i) + ":";
  value.reserve(kValueBytes);
  while (value.size() < kValueBytes) value.push_back(static_cast<char>('a' + value.size() % 26));
  return value;
}

std::once_flag g_fixture_once;
std::unique_ptr<Fixture> g_fixture;

void build_fixture() {
  auto f = std::make_unique<Fixture>();
  f->keys.reserve(kKeyCount);
  f->values.reserve(kKeyCount);
  for (std::size_t i = 0; i < kKeyCount; ++i) {
    f->keys.push_back("key:" + std::to_string(i));
    f->values.push_back(make_value(i));
  }
  kora::Config config;
  config.shard_count = g_shard_count != 0 ? g_shard_count : kora::default_shard_count();
  auto opened = kora::Database::open(std::move(config));
  if (!opened.ok()) {
    f->error = "Database::open: " + opened.error().to_string();
  } else {
    f->db = std::move(opened).value();
    for (std::size_t i = 0; i < kKeyCount && f->error.empty(); ++i) {
      if (kora::Status s = f->db->set(f->keys[i], f->values[i]); !s.ok()) {
        f->error = "prepopulating set(" + f->keys[i] + "): " + s.to_string();
      }
      f->map.set(f->keys[i], f->values[i]);
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
  return v ? "\"" + *v + "\"" : std::string("nullopt");
}

// Empty: kora and the baseline agree with the expected data for a sample of keys (single
// get and one mget batch) and for absent keys. Otherwise what differed.
std::string verify_same_answers(Fixture& f, int thread_index) {
  if (!f.error.empty()) return f.error;
  XorShift64 rng = verify_rng(thread_index);
  for (std::size_t n = 0; n < kVerifySamples; ++n) {
    const std::size_t i = rng.index(kKeyCount);
    auto got = f.db->get(f.keys[i]);
    if (!got.ok()) return "kora get(" + f.keys[i] + "): " + got.error().to_string();
    const std::optional<std::string> base = f.map.get(f.keys[i]);
    if (*got != base || base != f.values[i]) {
      return "get(" + f.keys[i] + "): kora " + describe(*got) + ", mutex-map " + describe(base) +
             ", expected " + describe(f.values[i]);
    }
  }
  for (std::size_t n = 0; n < 8; ++n) {
    const std::string absent = "absent:" + std::to_string(rng.next());
    auto got = f.db->get(absent);
    if (!got.ok()) return "kora get(" + absent + "): " + got.error().to_string();
    if (got->has_value() || f.map.get(absent).has_value()) {
      return "get(" + absent + ") of an absent key returned a value";
    }
  }
  std::array<std::string_view, kBatchKeys> views;
  std::array<const std::string*, kBatchKeys> ptrs;
  for (std::size_t k = 0; k < kBatchKeys; ++k) {
    const std::size_t i = rng.index(kKeyCount);
    views[k] = f.keys[i];
    ptrs[k] = &f.keys[i];
  }
  auto got = f.db->mget(std::span<const std::string_view>(views));
  if (!got.ok()) return "kora mget: " + got.error().to_string();
  const auto base = f.map.mget(ptrs);
  if (got->size() != kBatchKeys || *got != base) return "mget: kora and mutex-map differ";
  for (std::size_t k = 0; k < kBatchKeys; ++k) {
    const std::size_t i = static_cast<std::size_t>(ptrs[k] - f.keys.data());
    if (base[k] != f.values[i]) return "mget: wrong value for " + f.keys[i];
  }
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

// ---- Per-call latency ------------------------------------------------------------------

using Clock = std::chrono::steady_clock;

std::int64_t elapsed_ns(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

double percentile(std::vector<std::int64_t>& samples, double p) {
  const auto k = static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1));
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(k),
                   samples.end());
  return static_cast<double>(samples[k]);
}

// Median cost of an empty timed region (two steady_clock reads).
double timer_overhead_ns() {
  static const double overhead = [] {
    std::vector<std::int64_t> samples(kLatencySamples);
    for (auto& s : samples) {
      const auto t0 = Clock::now();
      const auto t1 = Clock::now();
      s = elapsed_ns(t0, t1);
    }
    return percentile(samples, 0.5);
  }();
  return overhead;
}

// Times kLatencySamples single calls of op(key index), keys from the timed sequence, and
// sets p50_ns / p99_ns / timer_ns. Runs after the timed loop, so it does not count there.
template <class Op>
void report_latency(benchmark::State& state, Op&& op) {
  XorShift64 rng = timed_rng(state.thread_index());
  std::vector<std::int64_t> samples(kLatencySamples);
  for (std::size_t n = 0; n < 1000; ++n) op(rng.index(kKeyCount));  // warm-up
  for (auto& s : samples) {
    const std::size_t i = rng.index(kKeyCount);
    const auto t0 = Clock::now();
    op(i);
    const auto t1 = Clock::now();
    s = elapsed_ns(t0, t1);
  }
  state.counters["p50_ns"] = benchmark::Counter(percentile(samples, 0.50));
  state.counters["p99_ns"] = benchmark::Counter(percentile(samples, 0.99));
  state.counters["timer_ns"] = benchmark::Counter(timer_overhead_ns());
}

// ---- Benchmarks: kora ------------------------------------------------------------------

void BM_KoraGet(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  kora::Database& db = *f->db;
  XorShift64 rng = timed_rng(state.thread_index());
  std::int64_t bad = 0;
  for (auto _ : state) {
    auto r = db.get(f->keys[rng.index(kKeyCount)]);
    bad += !r.ok() || !r->has_value();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) {
    state.SkipWithError("kora get failed or missed during the timed loop");
    return;
  }
  if (state.threads() == 1) {
    report_latency(state, [&](std::size_t i) {
      auto r = db.get(f->keys[i]);
      benchmark::DoNotOptimize(r);
    });
  }
}

void BM_KoraSet(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  kora::Database& db = *f->db;
  XorShift64 rng = timed_rng(state.thread_index());
  std::int64_t bad = 0;
  for (auto _ : state) {
    const std::size_t i = rng.index(kKeyCount);
    kora::Status s = db.set(f->keys[i], f->values[i]);
    bad += !s.ok();
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError("kora set failed during the timed loop");
}

void BM_KoraMget100(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  kora::Database& db = *f->db;
  XorShift64 rng = timed_rng(state.thread_index());
  std::array<std::string_view, kBatchKeys> keys;
  std::int64_t bad = 0;
  for (auto _ : state) {
    for (auto& k : keys) k = f->keys[rng.index(kKeyCount)];
    auto r = db.mget(std::span<const std::string_view>(keys));
    bad += !r.ok() || r->size() != kBatchKeys || !r->back().has_value();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatchKeys));
  if (bad != 0) state.SkipWithError("kora mget failed during the timed loop");
}

// ---- Benchmarks: baseline --------------------------------------------------------------

void BM_MapGet(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  const MutexMap& map = f->map;
  XorShift64 rng = timed_rng(state.thread_index());
  std::int64_t bad = 0;
  for (auto _ : state) {
    auto r = map.get(f->keys[rng.index(kKeyCount)]);
    bad += !r.has_value();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) {
    state.SkipWithError("mutex-map get missed during the timed loop");
    return;
  }
  if (state.threads() == 1) {
    report_latency(state, [&](std::size_t i) {
      auto r = map.get(f->keys[i]);
      benchmark::DoNotOptimize(r);
    });
  }
}

void BM_MapSet(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  MutexMap& map = f->map;
  XorShift64 rng = timed_rng(state.thread_index());
  for (auto _ : state) {
    const std::size_t i = rng.index(kKeyCount);
    map.set(f->keys[i], f->values[i]);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_MapMget100(benchmark::State& state) {
  Fixture* f = prepare(state);
  if (f == nullptr) return;
  const MutexMap& map = f->map;
  XorShift64 rng = timed_rng(state.thread_index());
  std::array<const std::string*, kBatchKeys> keys;
  std::int64_t bad = 0;
  for (auto _ : state) {
    for (auto& k : keys) k = &f->keys[rng.index(kKeyCount)];
    auto r = map.mget(keys);
    bad += r.size() != kBatchKeys || !r.back().has_value();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatchKeys));
  if (bad != 0) state.SkipWithError("mutex-map mget failed during the timed loop");
}

// Wall-clock time everywhere: with threads, items_per_second is then the aggregate rate.
BENCHMARK(BM_KoraGet)->MinTime(kMinTime)->UseRealTime()->Threads(1)->Threads(2)->Threads(4);
BENCHMARK(BM_MapGet)->MinTime(kMinTime)->UseRealTime()->Threads(1)->Threads(2)->Threads(4);
BENCHMARK(BM_KoraSet)->MinTime(kMinTime)->UseRealTime()->Threads(1)->Threads(2)->Threads(4);
BENCHMARK(BM_MapSet)->MinTime(kMinTime)->UseRealTime()->Threads(1)->Threads(2)->Threads(4);
BENCHMARK(BM_KoraMget100)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_MapMget100)->MinTime(kMinTime)->UseRealTime();

// ---- Summary ---------------------------------------------------------------------------

void print_summary(const SummaryReporter& r, std::ostream& out) {
  out << "\n---- summary (same run; shards = " << fixture().db->shard_count()
      << ", keys = " << kKeyCount << ", value bytes = " << kValueBytes << ") ----\n";
  // Informational ratios for every pair that ran.
  struct Pair {
    const char* label;
    const char* kora;
    const char* map;
  };
  for (const Pair& p :
       {Pair{"get", "BM_KoraGet", "BM_MapGet"}, Pair{"set", "BM_KoraSet", "BM_MapSet"},
        Pair{"mget100", "BM_KoraMget100", "BM_MapMget100"}}) {
    for (std::int64_t threads : {1, 2, 4}) {
      const auto k = r.value(p.kora, threads, "items_per_second");
      const auto m = r.value(p.map, threads, "items_per_second");
      if (!k || !m) continue;
      out << "  " << p.label << ", " << threads << " thread(s): kora " << rate(*k) << ", mutex-map "
          << rate(*m) << " -> " << fixed(100.0 * *k / *m, 1) << "%\n";
    }
  }
  const auto kora_get = r.value("BM_KoraGet", 1, "items_per_second");
  const auto map_get = r.value("BM_MapGet", 1, "items_per_second");
  if (kora_get && map_get) {
    const double pct = 100.0 * *kora_get / *map_get;
    out << "kora get / mutex-map get throughput = " << fixed(pct, 1)
        << "% (target >= 30%: " << (pct >= 30.0 ? "met" : "NOT MET") << ")\n";
  } else {
    out << "kora get / mutex-map get throughput = n/a (needs BM_KoraGet and BM_MapGet at "
           "threads:1)\n";
  }
  const auto p50 = r.value("BM_KoraGet", 1, "p50_ns");
  const auto p99 = r.value("BM_KoraGet", 1, "p99_ns");
  if (p50) {
    out << "kora get p50 = " << fixed(*p50, 0)
        << " ns (target <= 1000: " << (*p50 <= 1000.0 ? "met" : "NOT MET")
        << "), p99 = " << fixed(p99.value_or(0), 0) << " ns\n";
  } else {
    out << "kora get p50 = n/a (needs BM_KoraGet at threads:1)\n";
  }
  if (const auto mp50 = r.value("BM_MapGet", 1, "p50_ns")) {
    out << "mutex-map get p50 = " << fixed(*mp50, 0)
        << " ns, p99 = " << fixed(r.value("BM_MapGet", 1, "p99_ns").value_or(0), 0) << " ns\n";
  }
  if (p50) {
    out << "(latencies: each call timed with steady_clock; they include ~"
        << fixed(timer_overhead_ns(), 0) << " ns of timer overhead)\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  long long shards = 0;
  if (!take_int_flags(argc, argv, {{"kora_shards", 1, 1024, &shards}})) return 2;
  g_shard_count = static_cast<std::uint32_t>(shards);
  const std::optional<bool> console_output = console_format(argc, argv);
  if (!console_output) return 2;
  const bool console = *console_output;
  SummaryReporter reporter(display_reporter(argc, argv));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  const std::size_t ran = benchmark::RunSpecifiedBenchmarks(&reporter);
  if (ran > 0 && g_fixture && g_fixture->db)
    print_summary(reporter, console ? std::cout : std::cerr);
  std::cout.flush();
  g_fixture.reset();  // join the shard workers before static destruction
  benchmark::Shutdown();
  return reporter.errors() > 0 ? 1 : 0;
}
