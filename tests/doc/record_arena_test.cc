#include "doc/record_arena.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "doc/id_map.h"
#include "doc/memory.h"

namespace kora::doc {
namespace {

std::string random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Mirrors the arena with a std::map and checks every observable against it.
class ArenaModel {
 public:
  ArenaModel() : arena_(&counter_) {}

  RecordArena& arena() { return arena_; }
  MemoryCounter& counter() { return counter_; }
  const std::map<DocNumber, std::string>& docs() const { return docs_; }

  DocNumber insert(std::string record) {
    const DocNumber expected = free_.empty() ? next_ : *free_.begin();
    const DocNumber doc = arena_.insert(record);
    EXPECT_EQ(doc, expected);  // smallest free number first
    if (free_.empty()) {
      ++next_;
    } else {
      free_.erase(free_.begin());
    }
    docs_[doc] = std::move(record);
    return doc;
  }
  void replace(DocNumber doc, std::string record) {
    arena_.replace(doc, record);
    docs_[doc] = std::move(record);
  }
  void erase(DocNumber doc) {
    arena_.erase(doc);
    docs_.erase(doc);
    free_.insert(doc);
  }

  void check() {
    ASSERT_EQ(arena_.doc_count(), docs_.size());
    ASSERT_EQ(arena_.doc_number_limit(), next_);
    std::uint64_t live = 0;
    std::uint64_t min = 0;
    std::uint64_t max = 0;
    for (const auto& [doc, record] : docs_) {
      ASSERT_TRUE(arena_.contains(doc)) << doc;
      ASSERT_EQ(arena_.get(doc), record) << "doc " << doc;
      const std::uint64_t stored = RecordArena::stored_bytes(doc, record.size());
      live += stored;
      min = min == 0 ? stored : std::min(min, stored);
      max = std::max(max, stored);
    }
    for (DocNumber doc : free_) ASSERT_FALSE(arena_.contains(doc)) << doc;
    ASSERT_FALSE(arena_.contains(next_));
    auto it = docs_.begin();
    bool in_order = true;
    arena_.for_each([&](DocNumber doc, std::string_view record) {
      if (it == docs_.end() || it->first != doc || it->second != record) in_order = false;
      if (it != docs_.end()) ++it;
    });
    ASSERT_TRUE(in_order);
    ASSERT_TRUE(it == docs_.end());

    EXPECT_EQ(arena_.live_bytes(), live);
    EXPECT_EQ(arena_.min_record_bytes(), min);
    EXPECT_EQ(arena_.max_record_bytes(), max);
    const RecordArena::Audit audit = arena_.audit();
    EXPECT_EQ(audit.live_bytes, live);
    EXPECT_EQ(audit.live_records, docs_.size());
    EXPECT_EQ(audit.garbage_bytes, arena_.garbage_bytes());
    EXPECT_EQ(audit.capacity_bytes, arena_.capacity_bytes());
    EXPECT_LE(arena_.live_bytes() + arena_.garbage_bytes(), arena_.capacity_bytes());
    // Every byte the arena holds went through the counter.
    EXPECT_EQ(counter_.bytes, arena_.capacity_bytes() + arena_.slot_table_bytes());
  }

 private:
  MemoryCounter counter_;
  RecordArena arena_;
  std::map<DocNumber, std::string> docs_;
  std::set<DocNumber> free_;
  DocNumber next_ = 0;
};

TEST(RecordArenaTest, EmptyArenaHoldsNothing) {
  MemoryCounter counter;
  {
    RecordArena arena(&counter);
    EXPECT_EQ(arena.doc_count(), 0u);
    EXPECT_EQ(arena.doc_number_limit(), 0u);
    EXPECT_FALSE(arena.contains(0));
    EXPECT_EQ(arena.live_bytes(), 0u);
    EXPECT_EQ(arena.garbage_bytes(), 0u);
    EXPECT_EQ(arena.capacity_bytes(), 0u);
    EXPECT_EQ(arena.min_record_bytes(), 0u);
    EXPECT_EQ(arena.max_record_bytes(), 0u);
    EXPECT_FALSE(arena.wants_compaction(0.0));
    EXPECT_EQ(arena.compact_step(1 << 20), 0u);
    arena.compact_all();
    EXPECT_EQ(arena.compactions(), 0u);
    EXPECT_EQ(counter.bytes, 0u);
  }
  EXPECT_EQ(counter.bytes, 0u);
}

TEST(RecordArenaTest, InsertGetReplaceErase) {
  ArenaModel m;
  const DocNumber a = m.insert("alpha");
  const DocNumber b = m.insert("");
  const DocNumber c = m.insert(std::string(300, 'c'));
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(b, 1u);
  EXPECT_EQ(c, 2u);
  m.check();
  EXPECT_EQ(m.arena().get(b), "");
  EXPECT_EQ(m.arena().capacity_bytes(), RecordArena::kMinBlockBytes);  // starts small

  m.replace(a, "a much longer alpha record");
  m.check();
  EXPECT_EQ(m.arena().garbage_bytes(), RecordArena::stored_bytes(a, 5));

  m.erase(b);
  m.erase(a);
  m.check();
  EXPECT_EQ(m.insert("reuses 0"), 0u);
  EXPECT_EQ(m.insert("reuses 1"), 1u);
  EXPECT_EQ(m.insert("fresh"), 3u);
  m.check();
}

TEST(RecordArenaTest, StoredBytesIncludeHeaderAndPadding) {
  EXPECT_EQ(RecordArena::stored_bytes(0, 0), 2u);
  EXPECT_EQ(RecordArena::stored_bytes(0, 1), 4u);  // 1 + 1 + 1, padded
  EXPECT_EQ(RecordArena::stored_bytes(1000, 100), 104u);
  EXPECT_EQ(RecordArena::stored_bytes(1'000'000, 100), 104u);    // 1 + 3 + 100
  EXPECT_EQ(RecordArena::stored_bytes(0xFFFFFFFEu, 200), 208u);  // 2 + 5 + 200 + pad
}

TEST(RecordArenaTest, EmptiedBlocksAreReleasedAtOnce) {
  ArenaModel m;
  std::vector<DocNumber> docs;
  for (int i = 0; i < 2000; ++i) docs.push_back(m.insert(std::string(1000, 'x')));
  m.check();
  const std::uint64_t full = m.arena().capacity_bytes();
  EXPECT_GE(full, 2000u * 1000u);
  for (DocNumber d : docs) m.erase(d);
  m.check();
  EXPECT_EQ(m.arena().garbage_bytes(), 0u);
  // Only the append block (rewound) remains.
  EXPECT_LE(m.arena().capacity_bytes(), RecordArena::kMaxBlockBytes);
}

TEST(RecordArenaTest, TenMegabyteRecord) {
  ArenaModel m;
  std::mt19937_64 rng(7);
  const DocNumber small = m.insert("small");
  const DocNumber big = m.insert(random_bytes(rng, 10'000'000));
  m.check();
  EXPECT_GE(m.arena().capacity_bytes(), 10'000'000u);
  EXPECT_LT(m.arena().capacity_bytes(), 10'000'000u + RecordArena::kMaxBlockBytes);
  EXPECT_EQ(m.arena().max_record_bytes(), RecordArena::stored_bytes(big, 10'000'000));
  m.replace(big, random_bytes(rng, 10'000'001));
  m.check();
  EXPECT_EQ(m.arena().garbage_bytes(), 0u);  // the old block went back at once
  EXPECT_LT(m.arena().capacity_bytes(), 10'100'000u);
  m.erase(big);
  m.check();
  EXPECT_LE(m.arena().capacity_bytes(), RecordArena::kMinBlockBytes);
  EXPECT_EQ(m.arena().get(small), "small");
}

TEST(RecordArenaTest, CompactionReclaimsAfterHeavyDeletes) {
  ArenaModel m;
  std::mt19937_64 rng(11);
  std::vector<DocNumber> docs;
  for (int i = 0; i < 20'000; ++i) docs.push_back(m.insert(random_bytes(rng, 50 + rng() % 400)));
  m.check();
  const std::uint64_t before = m.arena().capacity_bytes();
  std::shuffle(docs.begin(), docs.end(), rng);
  for (std::size_t i = 0; i < docs.size() * 85 / 100; ++i) m.erase(docs[i]);
  m.check();
  EXPECT_GT(m.arena().garbage_bytes(), m.arena().capacity_bytes() / 2);
  EXPECT_TRUE(m.arena().wants_compaction(0.3));

  // Bounded steps: each call moves about its budget, and records keep their numbers.
  std::uint64_t reclaimed = 0;
  int steps = 0;
  while (m.arena().wants_compaction(0.3)) {
    reclaimed += m.arena().compact_step(16 << 10);
    ++steps;
    if (steps % 25 == 0) m.check();
    ASSERT_LT(steps, 100'000);
  }
  m.check();
  EXPECT_GT(steps, 10);
  EXPECT_EQ(m.arena().compactions(), 1u);
  EXPECT_EQ(m.arena().reclaimed_bytes(), reclaimed);
  EXPECT_GT(reclaimed, 0u);
  EXPECT_FALSE(m.arena().compacting());

  m.arena().compact_all();
  m.check();
  EXPECT_EQ(m.arena().garbage_bytes(), 0u);
  EXPECT_LT(m.arena().capacity_bytes(), before / 4);
  EXPECT_LE(m.arena().capacity_bytes(), m.arena().live_bytes() + 2 * RecordArena::kMaxBlockBytes);
  EXPECT_FALSE(m.arena().wants_compaction(0.0));
}

TEST(RecordArenaTest, ReclaimedBytesAreTheGarbageReleased) {
  ArenaModel m;
  std::vector<DocNumber> docs;
  for (int i = 0; i < 5000; ++i) docs.push_back(m.insert(std::string(200, 'r')));
  for (std::size_t i = 0; i < docs.size(); i += 2) m.erase(docs[i]);
  m.check();
  const std::uint64_t garbage = m.arena().garbage_bytes();
  ASSERT_GT(garbage, 0u);
  m.arena().compact_all();
  m.check();
  EXPECT_EQ(m.arena().reclaimed_bytes(), garbage);
  EXPECT_EQ(m.arena().compactions(), 1u);
  m.arena().compact_all();  // nothing to do: no new run
  EXPECT_EQ(m.arena().compactions(), 1u);
}

TEST(RecordArenaTest, WritesDuringACompactionRun) {
  ArenaModel m;
  std::mt19937_64 rng(5);
  std::vector<DocNumber> docs;
  for (int i = 0; i < 8000; ++i) docs.push_back(m.insert(random_bytes(rng, 100 + rng() % 200)));
  for (std::size_t i = 0; i < docs.size(); i += 3) m.erase(docs[i]);
  m.check();
  // Tiny budgets leave a block half evacuated between writes.
  for (int round = 0; round < 400; ++round) {
    m.arena().compact_step(1 + rng() % 2000);
    const auto& live = m.docs();
    auto it = live.lower_bound(static_cast<DocNumber>(rng() % m.arena().doc_number_limit()));
    if (it == live.end()) it = live.begin();
    const DocNumber doc = it->first;
    switch (rng() % 3) {
      case 0:
        m.replace(doc, random_bytes(rng, rng() % 300));
        break;
      case 1:
        m.erase(doc);
        break;
      default:
        m.insert(random_bytes(rng, rng() % 300));
    }
    if (round % 20 == 0) m.check();
  }
  m.arena().compact_all();
  m.check();
  EXPECT_EQ(m.arena().garbage_bytes(), 0u);
}

// The model-based churn test: random inserts, replaces and erases of 1 B .. 20 KiB records
// (and a few of 2 MB), compaction steps with small budgets in between, everything checked
// against the oracle after every batch.
TEST(RecordArenaTest, ChurnMatchesModel) {
  ArenaModel m;
  std::mt19937_64 rng(20240601);
  auto random_size = [&]() -> std::size_t {
    const std::uint64_t r = rng() % 1000;
    if (r == 0) return 2'000'000 + rng() % 1000;  // 0.1%: 2 MB
    if (r < 700) return 1 + rng() % 300;          // mostly small
    if (r < 950) return 1 + rng() % 4096;
    return 1 + rng() % (20 << 10);
  };
  std::uint64_t max_capacity = 0;
  for (int batch = 0; batch < 120; ++batch) {
    for (int op = 0; op < 60; ++op) {
      const auto& live = m.docs();
      const std::uint64_t r = rng() % 100;
      // Grow during the first half, then shrink, so compaction sees both.
      const int insert_weight = batch < 60 ? 55 : 25;
      if (live.empty() || r < static_cast<std::uint64_t>(insert_weight)) {
        m.insert(random_bytes(rng, random_size()));
        continue;
      }
      auto it = live.lower_bound(static_cast<DocNumber>(rng() % m.arena().doc_number_limit()));
      if (it == live.end()) it = live.begin();
      if (r < 75) {
        m.replace(it->first, random_bytes(rng, random_size()));
      } else {
        m.erase(it->first);
      }
      if (rng() % 4 == 0 && m.arena().wants_compaction(0.2)) {
        m.arena().compact_step(1 + rng() % (64 << 10));
      }
    }
    max_capacity = std::max(max_capacity, m.arena().capacity_bytes());
    m.check();
    if (::testing::Test::HasFailure()) FAIL() << "after batch " << batch;
  }
  EXPECT_GT(m.arena().compactions(), 0u);
  EXPECT_GT(m.arena().reclaimed_bytes(), 0u);
  m.arena().compact_all();
  m.check();
  EXPECT_EQ(m.arena().garbage_bytes(), 0u);
  EXPECT_LT(m.arena().capacity_bytes(), max_capacity);
  // Erase everything: only the rewound append block may stay.
  std::vector<DocNumber> all;
  for (const auto& [doc, record] : m.docs()) all.push_back(doc);
  for (DocNumber doc : all) m.erase(doc);
  m.check();
  EXPECT_EQ(m.arena().live_bytes(), 0u);
  EXPECT_EQ(m.arena().garbage_bytes(), 0u);
  EXPECT_LE(m.arena().capacity_bytes(), RecordArena::kMaxBlockBytes);
}

TEST(RecordArenaTest, BlocksGrowGeometricallyToTheCap) {
  ArenaModel m;
  std::uint64_t previous = 0;
  std::vector<std::uint64_t> capacities;
  for (int i = 0; i < 30'000; ++i) {
    m.insert(std::string(100, 'g'));
    if (m.arena().capacity_bytes() != previous) {
      capacities.push_back(m.arena().capacity_bytes() - previous);
      previous = m.arena().capacity_bytes();
    }
  }
  m.check();
  ASSERT_GE(capacities.size(), 3u);
  EXPECT_EQ(capacities.front(), RecordArena::kMinBlockBytes);
  for (std::size_t i = 1; i < capacities.size(); ++i) {
    EXPECT_GE(capacities[i], capacities[i - 1]);
    EXPECT_LE(capacities[i], RecordArena::kMaxBlockBytes);
  }
  EXPECT_EQ(capacities.back(), RecordArena::kMaxBlockBytes);
}

TEST(RecordArenaTest, RecordsAboveTheCapGetExactBlocks) {
  ArenaModel m;
  const DocNumber doc = m.insert(std::string(3'000'001, 'b'));
  m.check();
  EXPECT_EQ(m.arena().capacity_bytes(), RecordArena::stored_bytes(doc, 3'000'001));
  EXPECT_EQ(m.arena().block_count(), 1u);
}

// The per-document cost of the structures besides the records, at the size the memory
// target is stated for: 1 million documents with ~100-byte records, each record carrying
// its id, as the collection stores them.
TEST(RecordArenaTest, OverheadPerDocumentForAMillionDocuments) {
  constexpr int kDocs = 1'000'000;
  MemoryCounter arena_bytes;
  MemoryCounter id_map_bytes;
  RecordArena arena(&arena_bytes);
  IdMap ids(&id_map_bytes);
  std::mt19937_64 rng(3);
  std::uint64_t payload = 0;
  std::string record;
  auto id_of = [&](DocNumber doc) {
    const std::string_view r = arena.get(doc);
    return r.substr(1, static_cast<unsigned char>(r[0]));
  };
  for (int i = 0; i < kDocs; ++i) {
    const std::string id = "user:" + std::to_string(i);
    record.assign(1, static_cast<char>(id.size()));
    record += id;
    record.append(80 + rng() % 40 - id.size(), 'p');
    payload += record.size();
    const DocNumber doc = arena.insert(record);
    ids.insert(id, IdMap::hash(id), doc, id_of);
  }
  const double n = kDocs;
  const double slots = static_cast<double>(arena.slot_table_bytes()) / n;
  const double id_map = static_cast<double>(ids.bytes()) / n;
  const double headers = static_cast<double>(arena.live_bytes() - payload) / n;
  const double tails = static_cast<double>(arena.capacity_bytes() - arena.live_bytes()) / n;
  RecordProperty("slot_table_bytes_per_doc", std::to_string(slots));
  RecordProperty("id_map_bytes_per_doc", std::to_string(id_map));
  std::printf(
      "per doc: slot table %.2f B, id map %.2f B, record header+pad %.2f B, unused block "
      "tail %.2f B; records avg %.1f B\n",
      slots, id_map, headers, tails, static_cast<double>(payload) / n);
  EXPECT_EQ(id_map_bytes.bytes, ids.bytes());
  EXPECT_EQ(arena_bytes.bytes, arena.capacity_bytes() + arena.slot_table_bytes());
  EXPECT_LE(slots + id_map, 16.5);
  EXPECT_LE(headers, 5.0);
  for (int i = 0; i < kDocs; i += 9973) {
    const std::string id = "user:" + std::to_string(i);
    const auto doc = ids.find(id, IdMap::hash(id), id_of);
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ(*doc, static_cast<DocNumber>(i));
  }
}

}  // namespace
}  // namespace kora::doc
