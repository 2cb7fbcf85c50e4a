// kora_doc_update_bench: doc_update of one field (incr of an integer, set of a string) on
// the standard ~200-byte user documents, against doc_get of the same documents in the same
// run (the target: each update rate >= 50% of the doc_get rate, single thread).
//
//   build/release/bench/kora_doc_update_bench [--kora_docs=N] [--kora_shards=N]
//
// --kora_docs: documents loaded (default 100,000); --kora_shards: default
// default_shard_count(). After the benchmarks, main checks that the updates really
// happened (the counters add up, the set values are there) and prints the ratios.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "kora/kora.h"
#include "user_docs.h"

namespace {

using kora_bench::fixed;
using kora_bench::rate;
using kora_bench::SummaryReporter;
using kora_bench::timed_rng;
using kora_bench::XorShift64;

constexpr double kMinTime = 0.2;
constexpr std::string_view kCollection = "users";
constexpr std::uint64_t kSeed = 42;

std::uint32_t g_shard_count = 0;  // 0: default_shard_count()
std::size_t g_docs = 100'000;     // --kora_docs

struct Fixture {
  std::unique_ptr<kora::Database> db;
  std::vector<std::string> ids;
  // The set mutations, one per city value, built once so the loop measures doc_update.
  std::vector<kora::DocUpdateMutation> set_city;
  std::int64_t increments = 0;  // incr calls that returned true
};

std::unique_ptr<Fixture> g_fixture;

Fixture& fixture() {
  if (g_fixture) return *g_fixture;
  auto f = std::make_unique<Fixture>();
  kora::Config config;
  if (g_shard_count != 0) config.shard_count = g_shard_count;
  f->db = std::move(kora::Database::open(std::move(config))).value();
  if (!f->db->doc_create_collection(kCollection).ok()) std::abort();
  f->ids = kora_bench::make_user_doc_ids(g_docs);
  const std::vector<std::string> docs = kora_bench::make_user_docs(g_docs, kSeed);
  std::vector<kora::DocEntry> batch;
  for (std::size_t i = 0; i < g_docs; ++i) {
    batch.push_back({.id = f->ids[i], .json = docs[i]});
    if (batch.size() == 1000 || i + 1 == g_docs) {
      if (!f->db->doc_mset(kCollection, batch).ok()) std::abort();
      batch.clear();
    }
  }
  for (const kora_bench::UserCity& city : kora_bench::kUserCities) {
    std::string quoted = "\"";
    quoted.append(city.name);
    quoted.push_back('"');
    f->set_city.push_back(kora::DocUpdateMutation::set("address.city", quoted));
  }
  g_fixture = std::move(f);
  return *g_fixture;
}

void BM_KoraDocGet(benchmark::State& state) {
  Fixture& f = fixture();
  const auto n = static_cast<std::uint32_t>(f.ids.size());
  XorShift64 rng = timed_rng(state.thread_index());
  std::int64_t bad = 0;
  for (auto _ : state) {
    auto r = f.db->doc_get(kCollection, f.ids[rng.index(n)]);
    bad += !r.ok() || !r->has_value();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError("doc_get failed or missed");
}

void BM_KoraDocUpdateIncr(benchmark::State& state) {
  Fixture& f = fixture();
  const auto n = static_cast<std::uint32_t>(f.ids.size());
  const std::array<kora::DocUpdateMutation, 1> incr = {kora::DocUpdateMutation::incr("age", 1)};
  XorShift64 rng = timed_rng(state.thread_index());
  std::int64_t bad = 0;
  for (auto _ : state) {
    auto r = f.db->doc_update(kCollection, f.ids[rng.index(n)], incr);
    bad += !r.ok() || !*r;
  }
  f.increments += static_cast<std::int64_t>(state.iterations()) - bad;
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError("doc_update incr failed or missed");
}

void BM_KoraDocUpdateSet(benchmark::State& state) {
  Fixture& f = fixture();
  const auto n = static_cast<std::uint32_t>(f.ids.size());
  const auto cities = static_cast<std::uint32_t>(f.set_city.size());
  XorShift64 rng = timed_rng(state.thread_index());
  std::int64_t bad = 0;
  for (auto _ : state) {
    const kora::DocUpdateMutation& m = f.set_city[rng.index(cities)];
    auto r = f.db->doc_update(kCollection, f.ids[rng.index(n)], {&m, 1});
    bad += !r.ok() || !*r;
  }
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError("doc_update set failed or missed");
}

BENCHMARK(BM_KoraDocGet)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_KoraDocUpdateIncr)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_KoraDocUpdateSet)->MinTime(kMinTime)->UseRealTime();

// The updates really happened: the ages grew by exactly the number of increments, and
// every document's city is one of the 50 (set kept the document valid).
std::string verify(Fixture& f) {
  std::int64_t age_sum_now = 0;
  std::int64_t age_sum_source = 0;
  const std::vector<std::string> docs = kora_bench::make_user_docs(f.ids.size(), kSeed);
  auto age_of = [](std::string_view json) -> std::int64_t {
    const std::size_t at = json.find("\"age\":");
    if (at == std::string_view::npos) return -1;
    return std::strtoll(json.data() + at + 6, nullptr, 10);
  };
  for (std::size_t i = 0; i < f.ids.size(); ++i) {
    auto r = f.db->doc_get(kCollection, f.ids[i]);
    if (!r.ok() || !r->has_value()) return "document " + f.ids[i] + " is missing";
    age_sum_now += age_of(**r);
    age_sum_source += age_of(docs[i]);
    auto city = f.db->doc_get(kCollection, f.ids[i], {"address.city"});
    if (!city.ok() || !city->has_value() ||
        city->value().find("\"city\":\"") == std::string::npos) {
      return "document " + f.ids[i] + " lost its city";
    }
  }
  if (age_sum_now - age_sum_source != f.increments) {
    return "ages grew by " + std::to_string(age_sum_now - age_sum_source) + ", expected " +
           std::to_string(f.increments);
  }
  return {};
}

void print_summary(const SummaryReporter& reporter, std::ostream& out) {
  auto ips = [&](const char* name) { return reporter.value(name, 1, "items_per_second"); };
  const auto get = ips("BM_KoraDocGet");
  out << "\nsummary (single thread, " << g_docs << " documents):\n";
  for (const char* name : {"BM_KoraDocUpdateIncr", "BM_KoraDocUpdateSet"}) {
    const auto update = ips(name);
    if (!get || !update) {
      out << "  " << name << ": n/a (needs it and BM_KoraDocGet)\n";
      continue;
    }
    const double p = 100.0 * *update / *get;
    out << "  " << name << " " << rate(*update) << " = " << fixed(p, 1) << "% of doc_get ("
        << rate(*get) << "); target >= 50% -> " << (p >= 50.0 ? "met" : "NOT met") << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  return kora_bench::run_doc_benchmarks(
      argc, argv, g_shard_count, g_docs,
      [](const SummaryReporter& reporter, std::ostream& out) {
        const std::string error = verify(fixture());
        if (!error.empty()) std::cerr << "verification failed: " << error << "\n";
        print_summary(reporter, out);
        return error.empty();
      },
      [] { g_fixture.reset(); });  // join the shard workers before static destruction
}
