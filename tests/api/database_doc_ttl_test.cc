// Document TTLs through Database, on 1 and 3 shards, with an injected clock.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "kora/kora.h"
#include "test_util.h"

namespace kora {
namespace {

using std::chrono::milliseconds;
using testing::HasCode;
using testing::IsOk;
using Opt = std::optional<std::string>;
using Ttl = std::optional<milliseconds>;

class DatabaseDocTtlTest : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  void SetUp() override {
    Config config{.shard_count = GetParam()};
    config.clock = clock_.source();
    config.expiry_sweep_interval = milliseconds(1);
    auto db = Database::open(std::move(config));
    ASSERT_TRUE(db.ok());
    db_ = std::move(db).value();
    ASSERT_THAT(db_->doc_create_collection("c"), IsOk());
  }

  Opt get(std::string_view id) {
    auto r = db_->doc_get("c", id);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : Opt("<error>");
  }
  Ttl ttl(std::string_view id) {
    auto r = db_->doc_ttl("c", id);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : Ttl();
  }
  std::uint64_t count() { return db_->doc_collection_info("c")->doc_count; }

  testing::ManualClock clock_;
  std::unique_ptr<Database> db_;
};

INSTANTIATE_TEST_SUITE_P(Shards, DatabaseDocTtlTest, ::testing::Values(1u, 3u),
                         [](const auto& info) { return "shards" + std::to_string(info.param); });

TEST_P(DatabaseDocTtlTest, ExpiresExactlyAtItsTime) {
  ASSERT_TRUE(db_->doc_set("c", "a", R"({"x":1})", {.ttl = milliseconds(500)}).ok());
  ASSERT_TRUE(db_->doc_set("c", "keep", R"({"x":2})").ok());
  EXPECT_EQ(ttl("a"), milliseconds(500));
  EXPECT_EQ(ttl("keep"), std::nullopt);
  clock_.advance(499);
  EXPECT_EQ(ttl("a"), milliseconds(1));
  EXPECT_EQ(get("a"), R"({"x":1})");
  EXPECT_EQ(count(), 2u);
  clock_.advance(1);
  // Gone for every read and count at once, without waiting for the sweep.
  EXPECT_EQ(get("a"), std::nullopt);
  EXPECT_FALSE(*db_->doc_exists("c", "a"));
  EXPECT_EQ(ttl("a"), std::nullopt);
  EXPECT_EQ(count(), 1u);
  EXPECT_EQ(db_->doc_storage_info("c")->doc_count, 1u);
  EXPECT_EQ((*db_->doc_mget("c", {"a", "keep"}))[0], std::nullopt);
  EXPECT_FALSE(*db_->doc_del("c", "a"));
  EXPECT_FALSE(*db_->doc_update("c", "a", {DocUpdateMutation::incr("x", 1)}));
  EXPECT_EQ(get("keep"), R"({"x":2})");
}

TEST_P(DatabaseDocTtlTest, SweepReclaimsMemoryOfExpiredDocuments) {
  const DocStorageInfo empty = *db_->doc_storage_info("c");
  for (int i = 0; i < 2000; ++i) {
    const std::string id = "doc" + std::to_string(i);
    ASSERT_TRUE(db_->doc_set("c", id, R"({"name":"someone )" + std::to_string(i) + R"(","n":1})",
                             {.ttl = milliseconds(100 + i % 50)})
                    .ok());
  }
  EXPECT_GT(db_->doc_dictionary_info("c")->entries, 0u);
  const DocStorageInfo loaded = *db_->doc_storage_info("c");
  ASSERT_EQ(loaded.doc_count, 2000u);
  clock_.advance(200);
  // The dictionary stats do not purge, so only the shards' active sweep can empty them.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (db_->doc_dictionary_info("c")->entries != 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  EXPECT_EQ(db_->doc_dictionary_info("c")->entries, 0u);
  const DocStorageInfo after = *db_->doc_storage_info("c");
  EXPECT_EQ(after.doc_count, 0u);
  EXPECT_EQ(after.live_bytes, 0u);
  EXPECT_EQ(after.dictionary_bytes, empty.dictionary_bytes);
  EXPECT_LT(after.total_bytes, loaded.total_bytes);
}

TEST_P(DatabaseDocTtlTest, ReplaceClearsTtlUnlessGiven) {
  ASSERT_TRUE(db_->doc_set("c", "a", "{}", {.ttl = milliseconds(100)}).ok());
  EXPECT_FALSE(db_->doc_set("c", "a", R"({"v":1})")->created);
  EXPECT_EQ(ttl("a"), std::nullopt);
  clock_.advance(1000);
  EXPECT_EQ(get("a"), R"({"v":1})");
  EXPECT_FALSE(db_->doc_set("c", "a", R"({"v":2})", {.ttl = milliseconds(50)})->created);
  EXPECT_EQ(ttl("a"), milliseconds(50));
  clock_.advance(50);
  // Writing over an expired document creates it anew.
  EXPECT_TRUE(db_->doc_set("c", "a", R"({"v":3})")->created);
  EXPECT_EQ(get("a"), R"({"v":3})");
}

TEST_P(DatabaseDocTtlTest, ExpirePersistAndTtl) {
  EXPECT_FALSE(*db_->doc_expire("c", "missing", milliseconds(10)));
  EXPECT_FALSE(*db_->doc_persist("c", "missing"));
  EXPECT_EQ(ttl("missing"), std::nullopt);
  ASSERT_TRUE(db_->doc_set("c", "a", R"({"v":1})").ok());
  EXPECT_FALSE(*db_->doc_persist("c", "a"));  // no TTL to remove
  EXPECT_TRUE(*db_->doc_expire("c", "a", milliseconds(300)));
  EXPECT_EQ(ttl("a"), milliseconds(300));
  EXPECT_TRUE(*db_->doc_expire("c", "a", milliseconds(20)));  // replaces the TTL
  EXPECT_EQ(ttl("a"), milliseconds(20));
  EXPECT_TRUE(*db_->doc_persist("c", "a"));
  EXPECT_EQ(ttl("a"), std::nullopt);
  clock_.advance(100);
  EXPECT_EQ(get("a"), R"({"v":1})");
  // A TTL <= 0 deletes.
  EXPECT_TRUE(*db_->doc_expire("c", "a", milliseconds(0)));
  EXPECT_EQ(get("a"), std::nullopt);
  EXPECT_FALSE(*db_->doc_expire("c", "a", milliseconds(-5)));
  ASSERT_TRUE(db_->doc_set("c", "b", "{}").ok());
  EXPECT_TRUE(*db_->doc_expire("c", "b", milliseconds(-5)));
  EXPECT_FALSE(*db_->doc_exists("c", "b"));
  EXPECT_THAT(db_->doc_expire("c", "b", milliseconds(2'000'000'000'000'000)),
              HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->doc_expire("nope", "b", milliseconds(5)), HasCode(ErrorCode::kNotFound));
}

TEST_P(DatabaseDocTtlTest, UpdatesKeepTheTtl) {
  ASSERT_TRUE(db_->doc_set("c", "a", R"({"n":1})", {.ttl = milliseconds(100)}).ok());
  clock_.advance(40);
  EXPECT_TRUE(*db_->doc_update("c", "a", {DocUpdateMutation::incr("n", 1)}));
  EXPECT_EQ(ttl("a"), milliseconds(60));
  EXPECT_EQ(get("a"), R"({"n":2})");
  clock_.advance(60);
  EXPECT_EQ(get("a"), std::nullopt);
}

TEST_P(DatabaseDocTtlTest, InsertAndMsetTakeTtls) {
  auto inserted = db_->doc_insert("c", R"({"k":1})", {.ttl = milliseconds(30)});
  ASSERT_TRUE(inserted.ok());
  EXPECT_EQ(ttl(inserted->id), milliseconds(30));
  const std::vector<DocEntry> entries = {
      {.id = "m1", .json = "{}", .ttl = milliseconds(10)},
      {.id = "m2", .json = "{}"},
      {.id = "m3", .json = "{}", .ttl = milliseconds(20)},
  };
  ASSERT_TRUE(db_->doc_mset("c", entries).ok());
  EXPECT_EQ(ttl("m1"), milliseconds(10));
  EXPECT_EQ(ttl("m2"), std::nullopt);
  EXPECT_EQ(ttl("m3"), milliseconds(20));
  clock_.advance(15);
  EXPECT_EQ(count(), 3u);  // the insert, m2, m3
  clock_.advance(100);
  EXPECT_EQ(count(), 1u);
  EXPECT_EQ(get("m2"), "{}");
}

TEST_P(DatabaseDocTtlTest, BadTtlsChangeNothing) {
  EXPECT_THAT(db_->doc_set("c", "a", "{}", {.ttl = milliseconds(0)}),
              HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->doc_set("c", "a", "{}", {.ttl = milliseconds(-1)}),
              HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->doc_insert("c", "{}", {.ttl = milliseconds(0)}),
              HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->doc_set("c", "a", "{}", {.ttl = milliseconds(2'000'000'000'000'000)}),
              HasCode(ErrorCode::kInvalidArgument));
  const std::vector<DocEntry> entries = {
      {.id = "m1", .json = "{}", .ttl = milliseconds(10)},
      {.id = "m2", .json = "{}", .ttl = milliseconds(0)},
  };
  auto r = db_->doc_mset("c", entries);
  ASSERT_THAT(r, HasCode(ErrorCode::kInvalidArgument));
  ASSERT_NE(r.status().detail(), nullptr);
  EXPECT_EQ(r.status().detail()->batch_index, 1u);
  EXPECT_EQ(count(), 0u);
}

}  // namespace
}  // namespace kora
