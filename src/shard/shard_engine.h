// ShardEngine: N shards, one worker thread and one mailbox each, and the small vocabulary
// every operation travels through:
//
//   call(shard, f)      run f(Shard&) on that shard, synchronously; returns f's value
//   call_all(f, mode)   run f on every shard; results indexed by shard
//
// f returns a Status or a Result<T>. Exceptions thrown by f (std::bad_alloc above all) are
// caught at this boundary and become kInternal errors; none escapes to the caller.
//
// Dispatch (docs/architecture.md, "Dispatch"): each shard has one execution right, an
// atomic flag. A caller that finds the shard idle (right free, mailbox empty) takes the
// right and runs f inline: no handoff, no wake-up, no allocation. Otherwise it puts a task
// that lives on its own stack into the shard's mailbox and waits for the worker (spinning
// briefly, then sleeping on a C++20 atomic wait). The worker takes the right to drain its
// mailbox and to run the periodic expiry sweep. A non-empty mailbox makes new callers queue
// behind it, so queued callers are never starved by inline ones. Either way exactly one
// thread touches a shard's data at a time, and each call is atomic on its shard.
//
// Thread safety: every method may be called from any number of threads, except from inside
// an f (a shard operation never calls back into the engine).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/guard.h"
#include "kora/status.h"
#include "shard/shard.h"

namespace kora::shard {

// How call_all spreads work. kInline: the caller runs every idle shard's part itself, one
// after another; best for cheap parts (a handoff to a sleeping worker costs tens of
// microseconds). kParallel: every shard's worker runs its part at once while the caller
// runs one; best for parts that scan a whole shard.
enum class Fanout { kInline, kParallel };

// The fan-out for a batch of document reads or writes (doc_mget, doc_mset) of `items`
// spread over `shards`: parallel once each shard's part averages kParallelItemsPerShard
// documents, enough work (a document write costs about a microsecond) to repay waking a
// worker. (KV batches stay inline: an entry costs a tenth of that.)
inline constexpr std::size_t kParallelItemsPerShard = 32;
inline Fanout batch_fanout(std::size_t items, std::uint32_t shards) noexcept {
  return shards > 1 && items >= kParallelItemsPerShard * shards ? Fanout::kParallel
                                                                : Fanout::kInline;
}

// A unit of work in a mailbox. It lives on the waiting caller's stack, so queuing allocates
// nothing; the worker must not touch it after setting `done`.
struct Task {
  using RunFn = void (*)(Task*, Shard&) noexcept;
  explicit Task(RunFn fn) : run(fn) {}
  RunFn run;
  Task* next = nullptr;
  std::atomic<std::uint32_t> done{0};
};

// One shard: its data, execution right, mailbox and worker.
struct alignas(64) ShardSlot {
  ShardSlot(std::uint32_t index, const core::Clock& clock, kv::KvLimits kv_limits)
      : shard(index, clock, kv_limits) {}

  // The execution right: true while some thread runs this shard's code.
  std::atomic<bool> busy{false};
  // Tasks in the mailbox or being drained; callers queue behind them while non-zero.
  std::atomic<std::uint32_t> queued{0};
  std::mutex mailbox_mutex;
  std::condition_variable mailbox_cv;
  Task* mailbox_head = nullptr;  // guarded by mailbox_mutex
  Task* mailbox_tail = nullptr;  // guarded by mailbox_mutex
  bool stopping = false;         // guarded by mailbox_mutex
  std::thread worker;
  Shard shard;
};

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

class ShardEngine {
 public:
  struct Options {
    std::uint32_t shard_count = 1;
    std::chrono::milliseconds sweep_interval{100};
    kv::KvLimits kv_limits;
    core::Clock clock;
  };

  // Starts one worker per shard. kInternal if a thread cannot be started.
  static Result<std::unique_ptr<ShardEngine>> start(Options options);
  // Drains every mailbox, then stops and joins the workers.
  ~ShardEngine();
  ShardEngine(const ShardEngine&) = delete;
  ShardEngine& operator=(const ShardEngine&) = delete;

  std::uint32_t shard_count() const noexcept { return static_cast<std::uint32_t>(slots_.size()); }
  // XXH3-64 of the key with a fixed seed, modulo shard_count().
  std::uint32_t shard_of(std::string_view key) const noexcept;
  // The shard that holds document `id` of `collection`: XXH3-64 of the id, seeded with the
  // XXH3-64 of the collection name (itself with the fixed routing seed).
  std::uint32_t shard_of_doc(std::string_view collection, std::string_view id) const noexcept;
  const core::Clock& clock() const noexcept { return clock_; }
  // Commands waiting in (or being drained from) the shard's mailbox right now.
  std::uint32_t mailbox_depth(std::uint32_t shard) const noexcept {
    return slots_[shard]->queued.load(std::memory_order_relaxed);
  }

  template <class F>
  auto call(std::uint32_t shard, F&& f) -> std::invoke_result_t<F&, Shard&>;

  template <class F>
  auto call_all(F&& f, Fanout mode = Fanout::kInline)
      -> std::vector<std::invoke_result_t<F&, Shard&>>;

  // Work posted to shards' workers by post_all_except; wait() collects the results of the
  // posted shards, in shard order. The destructor waits too, since the tasks refer to the
  // caller's stack.
  template <class F>
  class PostedCalls;

  // Hands f to the worker of every shard but `skipped` (the caller's own part, which it
  // runs later with call()) and returns at once, so the caller is free to work meanwhile.
  // For parts that wait on the caller: doc_mset's shards decode their documents while the
  // caller validates the batch, then wait for its verdict. `f` must outlive the returned
  // PostedCalls.
  template <class F>
  PostedCalls<F> post_all_except(std::uint32_t skipped, F& f);

  // The shard whose part the caller runs itself in parallel fan-outs.
  std::uint32_t caller_shard() const noexcept { return shard_count() - 1; }

 private:
  using Slot = ShardSlot;
  // How often call() retries the inline path before queuing to the worker.
  static constexpr int kInlineAttempts = 128;
  template <class F, class R>
  struct CallTask;

  explicit ShardEngine(Options options);

  template <class F, class R = std::invoke_result_t<F&, Shard&>>
  static R run_guarded(F& f, Shard& shard) noexcept;

  // Takes the shard's right if the shard is idle; true: the caller now holds it.
  static bool try_enter_inline(Slot& slot) noexcept {
    return slot.queued.load(std::memory_order_acquire) == 0 &&
           !slot.busy.load(std::memory_order_relaxed) &&
           !slot.busy.exchange(true, std::memory_order_acquire);
  }
  static void leave(Slot& slot) noexcept { slot.busy.store(false, std::memory_order_release); }
  static Shard& data(Slot& slot) noexcept { return slot.shard; }
  // Queues a task for the worker (waking it if needed).
  void enqueue(Slot& slot, Task& task);
  static void wait(Task& task) noexcept;
  void worker_loop(Slot& slot);

  core::Clock clock_;
  std::chrono::milliseconds sweep_interval_;
  std::vector<std::unique_ptr<Slot>> slots_;
};

// ---- Implementation of the templates -------------------------------------------------

template <class F, class R>
R ShardEngine::run_guarded(F& f, Shard& shard) noexcept {
  return core::guarded([&]() -> R { return f(shard); });
}

template <class F, class R>
struct ShardEngine::CallTask : Task {
  explicit CallTask(F* fn) : Task(&CallTask::run_impl), f(fn) {}
  static void run_impl(Task* task, Shard& shard) noexcept {
    auto* self = static_cast<CallTask*>(task);
    self->result.emplace(run_guarded(*self->f, shard));
  }
  F* f;
  std::optional<R> result;
};

template <class F>
auto ShardEngine::call(std::uint32_t shard, F&& f) -> std::invoke_result_t<F&, Shard&> {
  using R = std::invoke_result_t<F&, Shard&>;
  Slot& slot = *slots_[shard];
  // Another caller's inline command lasts well under a microsecond, so competing for the
  // right briefly beats a handoff to a sleeping worker (tens of microseconds). Yielding
  // now and then lets a preempted holder finish when threads outnumber cores.
  for (int attempt = 0;; ++attempt) {
    if (try_enter_inline(slot)) {
      R result = run_guarded(f, data(slot));
      leave(slot);
      return result;
    }
    if (attempt == kInlineAttempts) break;
    if (attempt % 16 == 15) {
      std::this_thread::yield();
    } else {
      cpu_relax();
    }
  }
  CallTask<std::remove_reference_t<F>, R> task(&f);
  enqueue(slot, task);
  wait(task);
  return std::move(*task.result);
}

template <class F>
class ShardEngine::PostedCalls {
 public:
  using R = std::invoke_result_t<F&, Shard&>;

  PostedCalls(ShardEngine& engine, std::uint32_t skipped, F& f)
      : count_(engine.shard_count()), tasks_(new std::optional<Call>[count_]) {
    for (std::uint32_t i = 0; i < count_; ++i) {
      if (i == skipped) continue;
      tasks_[i].emplace(&f);
      engine.enqueue(*engine.slots_[i], *tasks_[i]);
    }
  }
  PostedCalls(const PostedCalls&) = delete;
  PostedCalls& operator=(const PostedCalls&) = delete;
  ~PostedCalls() {
    if (!collected_) {
      for (std::uint32_t i = 0; i < count_; ++i) {
        if (tasks_[i]) ShardEngine::wait(*tasks_[i]);
      }
    }
  }

  std::vector<R> wait() {
    std::vector<R> results;
    results.reserve(count_);
    for (std::uint32_t i = 0; i < count_; ++i) {
      if (!tasks_[i]) continue;
      ShardEngine::wait(*tasks_[i]);
      results.push_back(std::move(*tasks_[i]->result));
    }
    collected_ = true;
    return results;
  }

 private:
  using Call = CallTask<F, R>;
  std::uint32_t count_;
  std::unique_ptr<std::optional<Call>[]> tasks_;
  bool collected_ = false;
};

template <class F>
ShardEngine::PostedCalls<F> ShardEngine::post_all_except(std::uint32_t skipped, F& f) {
  return PostedCalls<F>(*this, skipped, f);
}

template <class F>
auto ShardEngine::call_all(F&& f, Fanout mode) -> std::vector<std::invoke_result_t<F&, Shard&>> {
  using R = std::invoke_result_t<F&, Shard&>;
  using Call = CallTask<std::remove_reference_t<F>, R>;
  const std::uint32_t n = shard_count();
  std::vector<R> results;
  results.reserve(n);
  // The shards before `first` are done.
  std::uint32_t first = 0;
  if (mode == Fanout::kInline) {
    // Usually every shard is idle: run them all here without the bookkeeping below (a
    // query of a few microseconds felt its allocations).
    for (; first < n && try_enter_inline(*slots_[first]); ++first) {
      results.push_back(run_guarded(f, data(*slots_[first])));
      leave(*slots_[first]);
    }
    if (first == n) return results;
  }
  std::vector<std::optional<R>> inline_results(n);
  // Tasks are not movable (atomics), so they live in a fixed array.
  std::unique_ptr<std::optional<Call>[]> tasks(new std::optional<Call>[n]);
  // kParallel: hand every shard but the last to its worker first, so they run while the
  // caller works on the last one.
  const std::uint32_t caller_shard = this->caller_shard();
  for (std::uint32_t i = first; i < n; ++i) {
    Slot& slot = *slots_[i];
    const bool run_here = mode == Fanout::kInline || i == caller_shard;
    if (run_here && mode == Fanout::kInline && try_enter_inline(slot)) {
      inline_results[i].emplace(run_guarded(f, data(slot)));
      leave(slot);
    } else if (!run_here || mode == Fanout::kInline) {
      tasks[i].emplace(&f);
      enqueue(slot, *tasks[i]);
    }
  }
  if (mode == Fanout::kParallel) {
    Call& own = tasks[caller_shard].emplace(&f);
    Slot& slot = *slots_[caller_shard];
    if (try_enter_inline(slot)) {
      inline_results[caller_shard].emplace(run_guarded(f, data(slot)));
      leave(slot);
      tasks[caller_shard].reset();
    } else {
      enqueue(slot, own);
    }
  }
  for (std::uint32_t i = first; i < n; ++i) {
    if (tasks[i]) {
      wait(*tasks[i]);
      results.push_back(std::move(*tasks[i]->result));
    } else {
      results.push_back(std::move(*inline_results[i]));
    }
  }
  return results;
}

}  // namespace kora::shard
