// Many threads on overlapping keys through the public API; final state checked exactly.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kora/kora.h"
#include "test_util.h"

namespace kora {
namespace {

using testing::IsOk;

constexpr int kThreads = 8;

class DatabaseConcurrencyTest : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  void SetUp() override {
    auto db = Database::open(Config{.shard_count = GetParam()});
    ASSERT_TRUE(db.ok());
    db_ = std::move(db).value();
  }

  template <class F>
  void run_threads(F body) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back(body, t);
    for (auto& thread : threads) thread.join();
  }

  std::unique_ptr<Database> db_;
};

INSTANTIATE_TEST_SUITE_P(Shards, DatabaseConcurrencyTest, ::testing::Values(1u, 3u),
                         [](const auto& info) { return "shards" + std::to_string(info.param); });

TEST_P(DatabaseConcurrencyTest, IncrTotalsAreExact) {
  constexpr int kIncrs = 2000;
  constexpr int kCounters = 5;
  run_threads([&](int t) {
    for (int i = 0; i < kIncrs; ++i) {
      auto r = db_->incrby("counter:" + std::to_string((i + t) % kCounters), t + 1);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
    }
  });
  std::int64_t total = 0;
  for (int c = 0; c < kCounters; ++c) {
    auto v = db_->get("counter:" + std::to_string(c));
    ASSERT_TRUE(v.ok() && v->has_value());
    total += std::stoll(**v);
  }
  // Thread t adds (t + 1) kIncrs times: sum over t of (t + 1) * kIncrs.
  EXPECT_EQ(total, static_cast<std::int64_t>(kIncrs) * (kThreads * (kThreads + 1) / 2));
}

TEST_P(DatabaseConcurrencyTest, ListsHashesAndSetsLoseNothing) {
  constexpr int kOps = 1000;
  run_threads([&](int t) {
    for (int i = 0; i < kOps; ++i) {
      const std::string item = std::to_string(t) + ":" + std::to_string(i);
      ASSERT_TRUE(db_->rpush("list", {item}).ok());
      ASSERT_TRUE(db_->sadd("set", {item, "common"}).ok());
      ASSERT_TRUE(db_->hincrby("hash", "field" + std::to_string(i % 7), 1).ok());
    }
  });
  EXPECT_EQ(*db_->llen("list"), kThreads * kOps);
  EXPECT_EQ(*db_->scard("set"), kThreads * kOps + 1);
  auto all = db_->lrange("list", 0, -1);
  ASSERT_TRUE(all.ok());
  std::set<std::string> unique(all->begin(), all->end());
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kThreads * kOps));
  std::int64_t hash_total = 0;
  auto hash = db_->hgetall("hash");
  ASSERT_TRUE(hash.ok());
  for (const auto& [field, value] : *hash) hash_total += std::stoll(value);
  EXPECT_EQ(hash_total, kThreads * kOps);
}

// Writers and readers mixed: every read sees a value some writer wrote, mget stays
// positional, and the final state holds the last value each key's single owner wrote.
TEST_P(DatabaseConcurrencyTest, MixedReadersAndWriters) {
  constexpr int kKeys = 64;
  constexpr int kRounds = 300;
  std::atomic<bool> bad_read{false};
  run_threads([&](int t) {
    std::vector<std::string> keys;
    for (int k = 0; k < kKeys; ++k) keys.push_back("shared:" + std::to_string(k));
    std::vector<std::string_view> views(keys.begin(), keys.end());
    for (int r = 0; r < kRounds; ++r) {
      if (t % 2 == 0) {
        // Writer t owns keys k with k % 4 == t / 2.
        for (int k = t / 2; k < kKeys; k += 4) {
          ASSERT_THAT(db_->set(keys[k], std::to_string(k) + "@" + std::to_string(r)), IsOk());
        }
      } else {
        auto values = db_->mget(views);
        ASSERT_TRUE(values.ok());
        for (int k = 0; k < kKeys; ++k) {
          const auto& v = (*values)[k];
          if (v && v->rfind(std::to_string(k) + "@", 0) != 0) bad_read = true;
        }
      }
    }
  });
  EXPECT_FALSE(bad_read);
  for (int k = 0; k < kKeys; ++k) {
    EXPECT_EQ(*db_->get("shared:" + std::to_string(k)),
              std::optional<std::string>(std::to_string(k) + "@" + std::to_string(kRounds - 1)));
  }
  EXPECT_EQ(*db_->db_size(), static_cast<std::uint64_t>(kKeys));
}

TEST_P(DatabaseConcurrencyTest, FanoutCallsDuringWrites) {
  constexpr int kOps = 500;
  run_threads([&](int t) {
    for (int i = 0; i < kOps; ++i) {
      if (t == 0 && i % 50 == 0) {
        ASSERT_TRUE(db_->keys("k:*").ok());
        ASSERT_TRUE(db_->db_size().ok());
      }
      ASSERT_THAT(db_->set("k:" + std::to_string(t) + ":" + std::to_string(i), "v"), IsOk());
    }
  });
  EXPECT_EQ(*db_->db_size(), static_cast<std::uint64_t>(kThreads * kOps));
  EXPECT_EQ(db_->keys("k:3:*")->size(), static_cast<std::size_t>(kOps));
  EXPECT_EQ(*db_->del_many({"k:0:0", "k:1:1", "k:0:0"}), 2);
}

TEST_P(DatabaseConcurrencyTest, DocumentWritersAndReaders) {
  ASSERT_THAT(db_->doc_create_collection("users"), IsOk());
  constexpr int kOps = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        // Distinct ids per thread, plus a shared id everyone overwrites.
        const std::string own = "t" + std::to_string(t) + ":" + std::to_string(i);
        ASSERT_TRUE(db_->doc_set("users", own, R"({"t":)" + std::to_string(t) + "}").ok());
        ASSERT_TRUE(
            db_->doc_set("users", "shared", R"({"writer":)" + std::to_string(t) + "}").ok());
        auto shared = db_->doc_get("users", "shared");
        ASSERT_TRUE(shared.ok() && shared->has_value());
        ASSERT_EQ((*shared)->rfind(R"({"writer":)", 0), 0u);
        if (i % 3 == 0) {
          ASSERT_TRUE(*db_->doc_del("users", own));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(db_->doc_collection_info("users")->doc_count,
            static_cast<std::uint64_t>(kThreads * (kOps - kOps / 3) + 1));
  EXPECT_EQ(*db_->doc_get("users", "t3:1"), std::optional<std::string>(R"({"t":3})"));
  EXPECT_EQ(*db_->doc_get("users", "t3:0"), std::nullopt);
}

// Large batches take doc_mset's parallel path, where the shards' workers wait for the
// caller's verdict; index changes (which hold the catalog lock while they call every
// shard) and readers run meanwhile. Nothing deadlocks, a failed batch never shows, and
// every document ends as a good batch wrote it.
TEST_P(DatabaseConcurrencyTest, LargeDocumentBatchesWithIndexChanges) {
  ASSERT_THAT(db_->doc_create_collection("users"), IsOk());
  constexpr int kIds = 200, kWriters = 3, kRounds = 12;
  auto json_of = [](int writer, int round, int k, bool bad) {
    return R"({"k":)" + std::to_string(k) + R"(,"w":)" + std::to_string(writer) + R"(,"round":)" +
           std::to_string(round) + (bad ? R"(,"bad":true})" : "}");
  };
  std::atomic<int> writers_done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        const bool bad = round % 3 == 2;
        std::vector<std::string> ids, jsons;
        for (int k = 0; k < kIds; ++k) {
          ids.push_back("id-" + std::to_string(k));
          jsons.push_back(json_of(t, round, k, bad));
        }
        if (bad) jsons[(t * 67 + round) % kIds] = R"({"k":)";  // malformed: all must fail
        std::vector<DocEntry> batch;
        for (int k = 0; k < kIds; ++k) batch.push_back({.id = ids[k], .json = jsons[k]});
        auto r = db_->doc_mset("users", batch);
        ASSERT_EQ(r.ok(), !bad) << r.status().to_string();
      }
      writers_done.fetch_add(1);
    });
  }
  threads.emplace_back([&] {
    while (writers_done.load() < kWriters) {
      ASSERT_THAT(db_->doc_create_index("users", "k", DocIndexType::kUnique), IsOk());
      ASSERT_THAT(db_->doc_create_index("users", "w", DocIndexType::kHash), IsOk());
      ASSERT_THAT(db_->doc_drop_index("users", "w"), IsOk());
      ASSERT_THAT(db_->doc_drop_index("users", "k"), IsOk());
    }
  });
  threads.emplace_back([&] {
    std::vector<std::string> ids;
    for (int k = 0; k < kIds; ++k) ids.push_back("id-" + std::to_string(k));
    const std::vector<std::string_view> views(ids.begin(), ids.end());
    while (writers_done.load() < kWriters) {
      auto docs = db_->doc_mget("users", views);
      ASSERT_TRUE(docs.ok());
      for (const auto& d : *docs) {
        if (d) {
          ASSERT_EQ(d->find("bad"), std::string::npos) << *d;
        }
      }
      ASSERT_EQ(*db_->doc_count("users", "bad = true"), 0u);
    }
  });
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(*db_->doc_count("users", ""), static_cast<std::uint64_t>(kIds));
  for (int k = 0; k < kIds; ++k) {
    auto doc = db_->doc_get("users", "id-" + std::to_string(k));
    ASSERT_TRUE(doc.ok() && doc->has_value());
    bool matches_a_batch = false;
    for (int t = 0; t < kWriters; ++t) {
      for (int round = 0; round < kRounds; ++round) {
        matches_a_batch |= **doc == json_of(t, round, k, false);
      }
    }
    EXPECT_TRUE(matches_a_batch) << **doc;
  }
}

}  // namespace
}  // namespace kora
