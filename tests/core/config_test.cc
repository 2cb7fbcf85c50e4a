#include "kora/config.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace kora {
namespace {

using testing::HasCode;
using testing::IsOk;

TEST(ConfigTest, DefaultsAreValid) {
  Config config;
  EXPECT_THAT(config.validate(), IsOk());
  EXPECT_GE(config.shard_count, 1u);
  EXPECT_EQ(config.shard_count, default_shard_count());
  EXPECT_EQ(config.limits.max_document_depth, 128u);
  EXPECT_EQ(config.limits.max_document_bytes, 16u << 20);
  EXPECT_EQ(config.limits.max_value_bytes, 512u << 20);
}

TEST(ConfigTest, ShardCountBounds) {
  EXPECT_THAT(Config{.shard_count = 0}.validate(), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Config{.shard_count = 1}.validate(), IsOk());
  EXPECT_THAT(Config{.shard_count = 1024}.validate(), IsOk());
  EXPECT_THAT(Config{.shard_count = 1025}.validate(), HasCode(ErrorCode::kInvalidArgument));
  Status s = Config{.shard_count = 0}.validate();
  EXPECT_NE(s.message().find("shard_count"), std::string_view::npos) << s.message();
}

TEST(ConfigTest, OtherBadValues) {
  Config zero_sweep;
  zero_sweep.expiry_sweep_interval = std::chrono::milliseconds(0);
  EXPECT_THAT(zero_sweep.validate(), HasCode(ErrorCode::kInvalidArgument));
  Config huge_sweep;
  huge_sweep.expiry_sweep_interval = std::chrono::hours(2);
  EXPECT_THAT(huge_sweep.validate(), HasCode(ErrorCode::kInvalidArgument));
  for (int field = 0; field < 4; ++field) {
    Config config;
    if (field == 0) config.limits.max_document_bytes = 0;
    if (field == 1) config.limits.max_document_depth = 0;
    if (field == 2) config.limits.max_value_bytes = 0;
    if (field == 3) config.limits.max_key_bytes = 0;
    EXPECT_THAT(config.validate(), HasCode(ErrorCode::kInvalidArgument)) << field;
  }
}

}  // namespace
}  // namespace kora
