// Helpers shared by the benchmark binaries (header-only): the xorshift key sequences, the
// reporter that keeps every run's counters for the end-of-run summary, number formatting,
// and reading flags / choosing the display reporter the way benchmark itself would.
#pragma once

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kora_bench {

// ---- Key choice -----------------------------------------------------------------------

// xorshift64; index() maps the high 32 bits to [0, n) by multiply-shift (no division).
class XorShift64 {
 public:
  explicit XorShift64(std::uint64_t seed) : state_(seed | 1) {}
  std::uint64_t next() noexcept {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  std::size_t index(std::uint32_t n) noexcept {
    return static_cast<std::size_t>(((next() >> 32) * n) >> 32);
  }

 private:
  std::uint64_t state_;
};

// The timed sequence for a thread: the same for kora and the baseline.
inline XorShift64 timed_rng(int thread_index) {
  return XorShift64(0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(thread_index + 1));
}
// A different sequence for the checks, so they do not warm exactly the timed keys.
inline XorShift64 verify_rng(int thread_index) {
  return XorShift64(0xD1B54A32D192ED03ull * static_cast<std::uint64_t>(thread_index + 7));
}

// ---- Summary ---------------------------------------------------------------------------

// Forwards everything to the display reporter and keeps, per (function, threads), every
// counter (items_per_second, p50_ns, ...) of every successful iteration run.
class SummaryReporter : public benchmark::BenchmarkReporter {
 public:
  explicit SummaryReporter(std::unique_ptr<benchmark::BenchmarkReporter> inner)
      : inner_(std::move(inner)) {}

  bool ReportContext(const Context& context) override { return inner_->ReportContext(context); }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) {
        ++errors_;
        continue;
      }
      // Iteration runs; also the median aggregate, for --benchmark_report_aggregates_only.
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type != Run::RT_Iteration && !median) continue;
      auto& slot = (median ? medians_ : results_)[{run.run_name.function_name, run.threads}];
      for (const auto& [name, counter] : run.counters) slot[name].push_back(counter.value);
    }
    inner_->ReportRuns(runs);
  }
  void Finalize() override { inner_->Finalize(); }

  int errors() const { return errors_; }

  // Median over repetitions; nullopt if the benchmark did not run (filtered out, failed).
  std::optional<double> value(const std::string& function, std::int64_t threads,
                              const std::string& counter) const {
    for (const Results* results : {&results_, &medians_}) {
      auto it = results->find({function, threads});
      if (it == results->end()) continue;
      auto c = it->second.find(counter);
      if (c == it->second.end() || c->second.empty()) continue;
      std::vector<double> v = c->second;
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    }
    return std::nullopt;
  }

 private:
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
  // (function name, threads) -> counter name -> one value per run.
  using Results =
      std::map<std::pair<std::string, std::int64_t>, std::map<std::string, std::vector<double>>>;
  Results results_;  // iteration runs
  Results medians_;  // "median" aggregates
  int errors_ = 0;
};

inline std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

inline std::string rate(double items_per_second) {
  return fixed(items_per_second / 1e6, 2) + " M/s";
}

// ---- Flags and the display reporter ------------------------------------------------------

// The value of --name=value in argv, if given (read before benchmark::Initialize removes
// the benchmark flags).
inline std::optional<std::string> flag(int argc, char** argv, std::string_view name) {
  std::optional<std::string> value;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() > name.size() + 3 && arg.substr(0, 2) == "--" &&
        arg.substr(2, name.size()) == name && arg[2 + name.size()] == '=') {
      value = std::string(arg.substr(3 + name.size()));
    }
  }
  return value;
}

// One of our own integer flags, --kora_<name>=N with N in [min, max].
struct IntFlag {
  std::string_view name;  // without the leading "--"
  long long min;
  long long max;
  long long* value;  // set when given
};

// Takes our own flags out of argv before benchmark sees them (it refuses flags it does
// not know). false, after printing why, when one has a bad value.
inline bool take_int_flags(int& argc, char** argv, std::initializer_list<IntFlag> flags) {
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    bool ours = false;
    for (const IntFlag& f : flags) {
      if (arg.size() <= f.name.size() + 3 || arg.substr(0, 2) != "--" ||
          arg.substr(2, f.name.size()) != f.name || arg[2 + f.name.size()] != '=') {
        continue;
      }
      const char* text = argv[i] + 3 + f.name.size();
      char* end = nullptr;
      const long long n = std::strtoll(text, &end, 10);
      if (end == text || *end != '\0' || n < f.min || n > f.max) {
        std::fprintf(stderr, "--%.*s must be %lld..%lld\n", static_cast<int>(f.name.size()),
                     f.name.data(), f.min, f.max);
        return false;
      }
      *f.value = n;
      ours = true;
    }
    if (!ours) argv[kept++] = argv[i];
  }
  argc = kept;
  return true;
}

// true for console output, false for json; nullopt (after printing why) for anything else
// (the deprecated csv format is refused).
inline std::optional<bool> console_format(int argc, char** argv) {
  const std::string format = flag(argc, argv, "benchmark_format").value_or("console");
  if (format != "console" && format != "json") {
    std::fprintf(stderr, "--benchmark_format must be console or json\n");
    return std::nullopt;
  }
  return format == "console";
}

inline bool is_true(const std::optional<std::string>& v) {
  return v && (*v == "true" || *v == "1" || *v == "yes" || *v == "on");
}

// The display reporter benchmark would have chosen from --benchmark_format (console or
// json; the deprecated csv is refused by the callers' main), --benchmark_color and
// --benchmark_counters_tabular.
inline std::unique_ptr<benchmark::BenchmarkReporter> display_reporter(int argc, char** argv) {
  const std::string format = flag(argc, argv, "benchmark_format").value_or("console");
  if (format == "json") return std::make_unique<benchmark::JSONReporter>();
  const auto color = flag(argc, argv, "benchmark_color");
  const bool use_color = color && *color != "auto" ? is_true(color) : isatty(STDOUT_FILENO) != 0;
  int options = benchmark::ConsoleReporter::OO_None;
  if (use_color) options |= benchmark::ConsoleReporter::OO_Color;
  if (is_true(flag(argc, argv, "benchmark_counters_tabular"))) {
    options |= benchmark::ConsoleReporter::OO_Tabular;
  }
  return std::make_unique<benchmark::ConsoleReporter>(
      static_cast<benchmark::ConsoleReporter::OutputOptions>(options));
}

// ---- main -------------------------------------------------------------------------------

// The main() of the document benches over --kora_docs documents: reads --kora_shards (1 to
// 1024, into `shard_count`) and --kora_docs (1 to 10M, into `docs`, whose value is the
// default), runs the benchmarks through a SummaryReporter, then, when any ran,
// `summary(reporter, out)` on stdout (console format) or stderr (json; stdout holds the
// report); `release()` (e.g. joining shard workers) runs before benchmark::Shutdown().
// Returns the exit status: 2 for bad flags, 1 when a benchmark reported an error or
// `summary` returned false (a check failed), else 0.
template <class Summary, class Release>
int run_doc_benchmarks(int argc, char** argv, std::uint32_t& shard_count, std::size_t& docs,
                       Summary summary, Release release) {
  long long shards = 0;
  auto doc_count = static_cast<long long>(docs);
  if (!take_int_flags(
          argc, argv,
          {{"kora_shards", 1, 1024, &shards}, {"kora_docs", 1, 10'000'000, &doc_count}})) {
    return 2;
  }
  shard_count = static_cast<std::uint32_t>(shards);
  docs = static_cast<std::size_t>(doc_count);
  const std::optional<bool> console = console_format(argc, argv);
  if (!console) return 2;
  SummaryReporter reporter(display_reporter(argc, argv));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  const std::size_t ran = benchmark::RunSpecifiedBenchmarks(&reporter);
  int status = reporter.errors() > 0 ? 1 : 0;
  if (ran > 0 &&
      !summary(static_cast<const SummaryReporter&>(reporter), *console ? std::cout : std::cerr)) {
    status = 1;
  }
  std::cout.flush();
  release();
  benchmark::Shutdown();
  return status;
}

}  // namespace kora_bench
