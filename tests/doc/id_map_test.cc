#include "doc/id_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "doc/memory.h"

namespace kora::doc {
namespace {

// Ids live outside the map, as they do in the arena's records: by doc number.
class IdMapModel {
 public:
  IdMapModel() : map_(&counter_) {}

  IdMap& map() { return map_; }
  MemoryCounter& counter() { return counter_; }
  std::uint64_t id_of_calls() const { return id_of_calls_; }
  const std::unordered_map<std::string, DocNumber>& oracle() const { return oracle_; }

  auto id_of() {
    return [this](DocNumber doc) -> std::string_view {
      ++id_of_calls_;
      EXPECT_LT(doc, ids_.size());
      EXPECT_TRUE(present_[doc]) << doc;
      return ids_[doc];
    };
  }
  std::uint64_t hash(const std::string& id) const {
    return hash_override_ ? hash_override_(id) : IdMap::hash(id);
  }
  void set_hash(std::function<std::uint64_t(const std::string&)> h) { hash_override_ = h; }

  // Gives `id` a fresh doc number (smallest free) and inserts it.
  DocNumber insert(const std::string& id) {
    DocNumber doc;
    if (!free_.empty()) {
      doc = free_.back();
      free_.pop_back();
      ids_[doc] = id;
    } else {
      doc = static_cast<DocNumber>(ids_.size());
      ids_.push_back(id);
      present_.push_back(false);
    }
    present_[doc] = true;
    map_.insert(id, hash(id), doc, id_of());
    oracle_[id] = doc;
    return doc;
  }
  bool erase(const std::string& id) {
    const bool erased = map_.erase(id, hash(id), id_of());
    auto it = oracle_.find(id);
    EXPECT_EQ(erased, it != oracle_.end()) << id;
    if (it != oracle_.end()) {
      present_[it->second] = false;
      free_.push_back(it->second);
      oracle_.erase(it);
    }
    return erased;
  }
  std::optional<DocNumber> find(const std::string& id) { return map_.find(id, hash(id), id_of()); }

  void check_all() {
    ASSERT_EQ(map_.size(), oracle_.size());
    for (const auto& [id, doc] : oracle_) {
      const auto found = find(id);
      ASSERT_TRUE(found.has_value()) << "id of " << id.size() << " bytes";
      ASSERT_EQ(*found, doc);
    }
    EXPECT_EQ(counter_.bytes, map_.bytes());
    EXPECT_LE(static_cast<double>(map_.size()), 0.8 * static_cast<double>(map_.capacity()));
  }

 private:
  MemoryCounter counter_;
  IdMap map_;
  std::vector<std::string> ids_;
  std::vector<bool> present_;
  std::vector<DocNumber> free_;
  std::unordered_map<std::string, DocNumber> oracle_;
  std::function<std::uint64_t(const std::string&)> hash_override_;
  std::uint64_t id_of_calls_ = 0;
};

std::string random_id(std::mt19937_64& rng) {
  const std::uint64_t r = rng() % 100;
  std::size_t n;
  if (r < 2) {
    n = 1024;  // the longest ids
  } else if (r < 10) {
    n = 1 + rng() % 1024;
  } else {
    n = 1 + rng() % 24;
  }
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());  // any byte, NUL included
  return s;
}

TEST(IdMapTest, EmptyMap) {
  MemoryCounter counter;
  IdMap map(&counter);
  auto id_of = [](DocNumber) -> std::string_view {
    ADD_FAILURE() << "no id to ask for";
    return {};
  };
  EXPECT_FALSE(map.find("x", IdMap::hash("x"), id_of).has_value());
  EXPECT_FALSE(map.erase("x", IdMap::hash("x"), id_of));
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.bytes(), 0u);
  EXPECT_EQ(counter.bytes, 0u);
}

TEST(IdMapTest, InsertFindErase) {
  IdMapModel m;
  EXPECT_EQ(m.insert("alice"), 0u);
  EXPECT_EQ(m.insert("bob"), 1u);
  EXPECT_EQ(m.find("alice"), std::optional<DocNumber>(0));
  EXPECT_EQ(m.find("bob"), std::optional<DocNumber>(1));
  EXPECT_FALSE(m.find("carol").has_value());
  EXPECT_TRUE(m.erase("alice"));
  EXPECT_FALSE(m.erase("alice"));
  EXPECT_FALSE(m.find("alice").has_value());
  EXPECT_EQ(m.find("bob"), std::optional<DocNumber>(1));
  m.check_all();
}

TEST(IdMapTest, HashIsSeededXxh3) {
  EXPECT_EQ(IdMap::hash("abc"), IdMap::hash(std::string("abc")));
  EXPECT_NE(IdMap::hash("abc"), IdMap::hash("abd"));
  EXPECT_NE(IdMap::hash(std::string_view("a\0", 2)), IdMap::hash("a"));
}

TEST(IdMapTest, EveryByteValueAndLongIds) {
  IdMapModel m;
  for (int b = 0; b < 256; ++b) m.insert(std::string(1, static_cast<char>(b)));
  for (int b = 0; b < 256; ++b) m.insert(std::string(2, static_cast<char>(b)));
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  m.insert(all);
  for (int b = 0; b < 256; ++b) m.insert(std::string(1024, static_cast<char>(b)));
  std::string kib = all + all + all + all;
  m.insert(kib);
  kib.back() = 'x';
  m.insert(kib);  // differs only in the last of 1024 bytes
  m.check_all();
  EXPECT_FALSE(m.find(std::string(1023, '\0')).has_value());
  EXPECT_FALSE(m.find(std::string(3, '\xff')).has_value());
  for (int b = 0; b < 256; b += 2) EXPECT_TRUE(m.erase(std::string(1, static_cast<char>(b))));
  m.check_all();
}

// Misses should almost never compare ids; hits compare about once.
TEST(IdMapTest, StoredHashBitsSpareTheCallback) {
  IdMapModel m;
  for (int i = 0; i < 50'000; ++i) m.insert("id-" + std::to_string(i));
  const std::uint64_t before = m.id_of_calls();
  for (int i = 50'000; i < 100'000; ++i) {
    EXPECT_FALSE(m.find("id-" + std::to_string(i)).has_value());
  }
  EXPECT_LE(m.id_of_calls() - before, 5u);
  const std::uint64_t mid = m.id_of_calls();
  for (int i = 0; i < 50'000; ++i) ASSERT_TRUE(m.find("id-" + std::to_string(i)).has_value());
  EXPECT_LE(m.id_of_calls() - mid, 50'005u);
}

// Ids whose hashes all collide, or share the stored high bits, still work (long probe
// runs, comparisons through id_of).
TEST(IdMapTest, CollidingHashes) {
  for (int variant = 0; variant < 2; ++variant) {
    IdMapModel m;
    if (variant == 0) {
      m.set_hash([](const std::string&) { return std::uint64_t{42}; });
    } else {
      m.set_hash([](const std::string& id) { return IdMap::hash(id) & 0x0000'0003'FFFF'FFFFull; });
    }
    std::mt19937_64 rng(variant);
    std::vector<std::string> ids;
    for (int i = 0; i < 1500; ++i) {
      ids.push_back("c" + std::to_string(i));
      m.insert(ids.back());
    }
    m.check_all();
    std::shuffle(ids.begin(), ids.end(), rng);
    for (std::size_t i = 0; i < ids.size() / 2; ++i) ASSERT_TRUE(m.erase(ids[i]));
    m.check_all();
    for (std::size_t i = 0; i < ids.size() / 2; ++i) ASSERT_FALSE(m.find(ids[i]).has_value());
  }
}

// The randomized model test: 200k ids of random bytes (1 B .. 1 KiB), then erase churn
// with re-inserts, checked against an unordered_map after every phase.
TEST(IdMapTest, RandomChurnMatchesModel) {
  IdMapModel m;
  std::mt19937_64 rng(99);
  std::vector<std::string> live;
  auto add = [&] {
    std::string id = random_id(rng);
    if (m.oracle().contains(id)) return;
    m.insert(id);
    live.push_back(std::move(id));
  };
  auto remove = [&] {
    const std::size_t i = rng() % live.size();
    ASSERT_TRUE(m.erase(live[i]));
    live[i] = std::move(live.back());
    live.pop_back();
  };
  while (m.oracle().size() < 200'000) add();
  m.check_all();
  for (int phase = 0; phase < 6; ++phase) {
    for (int op = 0; op < 100'000; ++op) {
      if (rng() % 2 == 0 && !live.empty()) {
        remove();
      } else {
        add();
      }
      if (op % 10'000 == 0) {
        const std::string absent = random_id(rng);
        EXPECT_EQ(m.find(absent).has_value(), m.oracle().contains(absent));
        EXPECT_FALSE(m.erase(absent + "\x01not-there"));
      }
    }
    m.check_all();
    if (::testing::Test::HasFailure()) FAIL() << "phase " << phase;
  }
  // Shrink: erasing almost everything gives the table back.
  const std::uint64_t big = m.map().bytes();
  while (live.size() > 100) remove();
  m.check_all();
  EXPECT_LT(m.map().bytes(), big / 100);
  while (!live.empty()) remove();
  m.check_all();
  EXPECT_EQ(m.map().size(), 0u);
  while (m.oracle().size() < 1000) add();
  m.check_all();
}

TEST(IdMapTest, BytesAreReleasedOnDestruction) {
  MemoryCounter counter;
  {
    IdMap map(&counter);
    std::vector<std::string> ids;
    for (int i = 0; i < 1000; ++i) ids.push_back(std::to_string(i));
    auto id_of = [&](DocNumber d) -> std::string_view { return ids[d]; };
    for (int i = 0; i < 1000; ++i) {
      map.insert(ids[i], IdMap::hash(ids[i]), static_cast<DocNumber>(i), id_of);
    }
    EXPECT_EQ(counter.bytes, map.bytes());
    EXPECT_GT(counter.bytes, 1000u * 8u);
  }
  EXPECT_EQ(counter.bytes, 0u);
}

}  // namespace
}  // namespace kora::doc
