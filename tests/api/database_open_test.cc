#include <gtest/gtest.h>

#include <string>

#include "kora/kora.h"
#include "test_util.h"

namespace kora {
namespace {

using testing::HasCode;
using testing::IsOk;

TEST(DatabaseOpenTest, DefaultConfigOpensOneShardPerHardwareThread) {
  auto db = Database::open();
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  EXPECT_EQ((*db)->shard_count(), default_shard_count());
}

TEST(DatabaseOpenTest, BadConfigsAreRefusedNotCrashed) {
  EXPECT_THAT(Database::open(Config{.shard_count = 0}), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Database::open(Config{.shard_count = 1025}), HasCode(ErrorCode::kInvalidArgument));
  Config bad_sweep{.shard_count = 2};
  bad_sweep.expiry_sweep_interval = std::chrono::milliseconds(-5);
  EXPECT_THAT(Database::open(bad_sweep), HasCode(ErrorCode::kInvalidArgument));
  Config bad_limits{.shard_count = 2};
  bad_limits.limits.max_value_bytes = 0;
  EXPECT_THAT(Database::open(bad_limits), HasCode(ErrorCode::kInvalidArgument));
}

TEST(DatabaseOpenTest, ManyShardsOpenAndClose) {
  auto db = Database::open(Config{.shard_count = 64});
  ASSERT_TRUE(db.ok());
  EXPECT_EQ((*db)->shard_count(), 64u);
  ASSERT_THAT((*db)->set("k", "v"), IsOk());
  EXPECT_EQ(*(*db)->get("k"), std::optional<std::string>("v"));
}

TEST(DatabaseOpenTest, TwoDatabasesCoexistWithSeparateData) {
  auto a = Database::open(Config{.shard_count = 3});
  auto b = Database::open(Config{.shard_count = 3});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_THAT((*a)->set("shared-name", "from a"), IsOk());
  ASSERT_THAT((*b)->set("shared-name", "from b"), IsOk());
  EXPECT_EQ(*(*a)->get("shared-name"), std::optional<std::string>("from a"));
  EXPECT_EQ(*(*b)->get("shared-name"), std::optional<std::string>("from b"));
  ASSERT_THAT((*a)->flush_db(), IsOk());
  EXPECT_EQ(*(*a)->db_size(), 0u);
  EXPECT_EQ(*(*b)->db_size(), 1u);
}

TEST(DatabaseOpenTest, RoutingIsStableAcrossInstances) {
  auto a = Database::open(Config{.shard_count = 5});
  auto b = Database::open(Config{.shard_count = 5});
  ASSERT_TRUE(a.ok() && b.ok());
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "user:" + std::to_string(i);
    EXPECT_EQ((*a)->shard_of(key), (*b)->shard_of(key));
    EXPECT_LT((*a)->shard_of(key), 5u);
  }
}

}  // namespace
}  // namespace kora
