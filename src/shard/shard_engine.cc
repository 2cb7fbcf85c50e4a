#include "shard/shard_engine.h"

#include <system_error>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace kora::shard {
namespace {

// Fixed so that a key lands on the same shard in every process (and, later, on disk).
constexpr XXH64_hash_t kRoutingSeed = 0x4b6f7261'43707021ULL;
// Expired keys and documents reclaimed per sweep step; the worker releases the shard between steps so a
// sweep of millions of keys never stalls callers for long.
constexpr std::size_t kSweepBatch = 1024;
// How long a waiting caller spins before it sleeps. A reply from a running worker arrives
// in well under a microsecond; a sleep/wake costs tens of microseconds.
constexpr int kReplySpins = 256;
constexpr int kEnterSpins = 64;

}  // namespace

ShardEngine::ShardEngine(Options options)
    : clock_(std::move(options.clock)), sweep_interval_(options.sweep_interval) {
  slots_.reserve(options.shard_count);
  for (std::uint32_t i = 0; i < options.shard_count; ++i) {
    slots_.push_back(std::make_unique<Slot>(i, clock_, options.kv_limits));
  }
}

Result<std::unique_ptr<ShardEngine>> ShardEngine::start(Options options) {
  std::unique_ptr<ShardEngine> engine;
  try {
    engine.reset(new ShardEngine(std::move(options)));
    for (auto& slot : engine->slots_) {
      Slot* s = slot.get();
      s->worker = std::thread([e = engine.get(), s] { e->worker_loop(*s); });
    }
  } catch (const std::system_error& e) {
    return Status(ErrorCode::kInternal, std::string("cannot start shard workers: ") + e.what());
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kInternal, "out of memory while starting shards");
  }
  return engine;
}

ShardEngine::~ShardEngine() {
  for (auto& slot : slots_) {
    {
      std::lock_guard lock(slot->mailbox_mutex);
      slot->stopping = true;
    }
    slot->mailbox_cv.notify_one();
  }
  for (auto& slot : slots_) {
    if (slot->worker.joinable()) slot->worker.join();
  }
}

std::uint32_t ShardEngine::shard_of(std::string_view key) const noexcept {
  const XXH64_hash_t h = XXH3_64bits_withSeed(key.data(), key.size(), kRoutingSeed);
  return static_cast<std::uint32_t>(h % slots_.size());
}

std::uint32_t ShardEngine::shard_of_doc(std::string_view collection,
                                        std::string_view id) const noexcept {
  // The collection's hash seeds the id's hash: ("ab", "c") and ("a", "bc") route apart.
  const XXH64_hash_t collection_seed =
      XXH3_64bits_withSeed(collection.data(), collection.size(), kRoutingSeed);
  const XXH64_hash_t h = XXH3_64bits_withSeed(id.data(), id.size(), collection_seed);
  return static_cast<std::uint32_t>(h % slots_.size());
}

void ShardEngine::enqueue(Slot& slot, Task& task) {
  slot.queued.fetch_add(1, std::memory_order_acq_rel);
  {
    std::lock_guard lock(slot.mailbox_mutex);
    if (slot.mailbox_tail) {
      slot.mailbox_tail->next = &task;
    } else {
      slot.mailbox_head = &task;
    }
    slot.mailbox_tail = &task;
  }
  slot.mailbox_cv.notify_one();
}

void ShardEngine::wait(Task& task) noexcept {
  for (int i = 0; i < kReplySpins; ++i) {
    if (task.done.load(std::memory_order_acquire) != 0) return;
    cpu_relax();
  }
  while (task.done.load(std::memory_order_acquire) == 0) {
    task.done.wait(0, std::memory_order_acquire);
  }
}

void ShardEngine::worker_loop(Slot& slot) {
  using SteadyClock = std::chrono::steady_clock;
  auto next_sweep = SteadyClock::now() + sweep_interval_;
  for (;;) {
    Task* batch = nullptr;
    bool stopping = false;
    {
      std::unique_lock lock(slot.mailbox_mutex);
      slot.mailbox_cv.wait_until(lock, next_sweep,
                                 [&] { return slot.mailbox_head != nullptr || slot.stopping; });
      batch = slot.mailbox_head;
      slot.mailbox_head = slot.mailbox_tail = nullptr;
      stopping = slot.stopping;
    }
    const bool sweep_due = SteadyClock::now() >= next_sweep;
    if (batch == nullptr && !sweep_due) {
      if (stopping) return;
      continue;
    }
    // Take the right: an inline caller may hold it for the length of one command.
    for (int spins = 0; slot.busy.exchange(true, std::memory_order_acquire); ++spins) {
      if (spins < kEnterSpins) {
        cpu_relax();
      } else {
        std::this_thread::yield();
      }
    }
    while (batch != nullptr) {
      Task* next = batch->next;  // the caller may free `batch` once done is set
      batch->run(batch, slot.shard);
      slot.queued.fetch_sub(1, std::memory_order_release);
      batch->done.store(1, std::memory_order_release);
      batch->done.notify_one();
      batch = next;
    }
    if (sweep_due) {
      std::size_t removed = 0;
      try {
        removed = slot.shard.sweep_expired(kSweepBatch);
      } catch (const std::bad_alloc&) {
        // Nothing was half-done; the next sweep retries.
      }
      next_sweep =
          SteadyClock::now() + (removed == kSweepBatch ? SteadyClock::duration::zero()
                                                       : SteadyClock::duration(sweep_interval_));
    }
    leave(slot);
  }
}

}  // namespace kora::shard
