// The key-value API through Database, on 1 and 3 shards, with an injected clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "kora/kora.h"
#include "test_util.h"

namespace kora {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using testing::HasCode;
using testing::IsOk;
using ::testing::UnorderedElementsAre;
using Opt = std::optional<std::string>;

class DatabaseKvTest : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  void SetUp() override { db_ = open_with(Config{.shard_count = GetParam()}); }

  std::unique_ptr<Database> open_with(Config config) {
    config.clock = clock_.source();
    auto db = Database::open(std::move(config));
    EXPECT_TRUE(db.ok()) << db.status().to_string();
    return std::move(db).value();
  }

  testing::ManualClock clock_;
  std::unique_ptr<Database> db_;
};

INSTANTIATE_TEST_SUITE_P(Shards, DatabaseKvTest, ::testing::Values(1u, 3u),
                         [](const auto& info) { return "shards" + std::to_string(info.param); });

TEST_P(DatabaseKvTest, SetGetOverwriteAndDelete) {
  EXPECT_EQ(*db_->get("k"), std::nullopt);
  ASSERT_THAT(db_->set("k", "v1"), IsOk());
  EXPECT_EQ(*db_->get("k"), Opt("v1"));
  ASSERT_THAT(db_->set("k", "v2"), IsOk());
  EXPECT_EQ(*db_->get("k"), Opt("v2"));
  EXPECT_TRUE(*db_->exists("k"));
  EXPECT_TRUE(*db_->del("k"));
  EXPECT_FALSE(*db_->del("k"));
  EXPECT_FALSE(*db_->exists("k"));
  EXPECT_EQ(*db_->get("k"), std::nullopt);
}

TEST_P(DatabaseKvTest, EmptyKeyAndEmptyValueAreValid) {
  ASSERT_THAT(db_->set("", ""), IsOk());
  EXPECT_EQ(*db_->get(""), Opt(""));
  EXPECT_EQ(*db_->strlen(""), 0);
  EXPECT_EQ(*db_->key_type(""), "string");
}

TEST_P(DatabaseKvTest, AllByteValuesRoundTrip) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  ASSERT_THAT(db_->set(all, all), IsOk());
  EXPECT_EQ(*db_->get(all), Opt(all));
  for (int b = 0; b < 256; ++b) {
    const std::string key(1, static_cast<char>(b));
    const std::string value = std::string("v") + static_cast<char>(b) + '\0' + "end";
    ASSERT_THAT(db_->set(key, value), IsOk());
  }
  for (int b = 0; b < 256; ++b) {
    const std::string key(1, static_cast<char>(b));
    EXPECT_EQ(*db_->get(key), Opt(std::string("v") + static_cast<char>(b) + '\0' + "end"));
  }
  EXPECT_EQ(*db_->db_size(), 257u);
  ASSERT_TRUE(db_->hset(all + "h", all, all).ok());
  EXPECT_EQ(*db_->hget(all + "h", all), Opt(all));
  EXPECT_THAT(db_->hset(std::string(1, '\0'), "f", "v"), HasCode(ErrorCode::kWrongType));
}

TEST_P(DatabaseKvTest, LargeValuesRoundTrip) {
  std::string big(1u << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7919 % 251);
  ASSERT_THAT(db_->set("big", big), IsOk());
  EXPECT_EQ(*db_->get("big"), Opt(big));
  EXPECT_EQ(*db_->strlen("big"), 1 << 20);
  ASSERT_TRUE(db_->rpush("list", {big, "x"}).ok());
  EXPECT_EQ(*db_->lindex("list", 0), Opt(big));
}

TEST_P(DatabaseKvTest, LimitsRejectOversizedInputAndChangeNothing) {
  Config config{.shard_count = GetParam()};
  config.limits.max_key_bytes = 8;
  config.limits.max_value_bytes = 16;
  auto db = open_with(config);
  EXPECT_THAT(db->set("123456789", "v"), HasCode(ErrorCode::kLimitExceeded));
  EXPECT_THAT(db->set("k", std::string(17, 'x')), HasCode(ErrorCode::kLimitExceeded));
  ASSERT_THAT(db->set("k", std::string(16, 'x')), IsOk());
  EXPECT_THAT(db->append("k", "y"), HasCode(ErrorCode::kLimitExceeded));
  EXPECT_EQ(*db->get("k"), Opt(std::string(16, 'x')));
  EXPECT_THAT(db->get("123456789"), HasCode(ErrorCode::kLimitExceeded));
  EXPECT_THAT(db->rpush("l", {"ok", std::string(17, 'x')}), HasCode(ErrorCode::kLimitExceeded));
  EXPECT_EQ(*db->key_type("l"), "none");
  auto batch = db->mset({{"a", "1"}, {"b", std::string(17, 'x')}});
  EXPECT_THAT(batch, HasCode(ErrorCode::kLimitExceeded));
  ASSERT_NE(batch.detail(), nullptr);
  EXPECT_EQ(batch.detail()->batch_index, 1u);
  EXPECT_EQ(*db->exists("a"), false);  // nothing of the batch was applied
  EXPECT_THAT(db->hset("h", "123456789", "v"), HasCode(ErrorCode::kLimitExceeded));
  EXPECT_EQ(*db->db_size(), 1u);
}

TEST_P(DatabaseKvTest, SetnxGetsetAppendStrlen) {
  EXPECT_TRUE(*db_->setnx("k", "a"));
  EXPECT_FALSE(*db_->setnx("k", "b"));
  EXPECT_EQ(*db_->get("k"), Opt("a"));
  EXPECT_EQ(*db_->getset("k", "c"), Opt("a"));
  EXPECT_EQ(*db_->getset("new", "x"), std::nullopt);
  EXPECT_EQ(*db_->get("new"), Opt("x"));
  EXPECT_EQ(*db_->append("k", "def"), 4);
  EXPECT_EQ(*db_->append("fresh", "abc"), 3);
  EXPECT_EQ(*db_->strlen("k"), 4);
  EXPECT_EQ(*db_->strlen("missing"), 0);
  ASSERT_TRUE(db_->rpush("list", {"x"}).ok());
  EXPECT_THAT(db_->getset("list", "v"), HasCode(ErrorCode::kWrongType));
  EXPECT_EQ(*db_->key_type("list"), "list");
  EXPECT_THAT(db_->append("list", "v"), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->strlen("list"), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->get("list"), HasCode(ErrorCode::kWrongType));
  // SET overwrites any type.
  ASSERT_THAT(db_->set("list", "now a string"), IsOk());
  EXPECT_EQ(*db_->key_type("list"), "string");
}

TEST_P(DatabaseKvTest, IntegerArithmetic) {
  EXPECT_EQ(*db_->incr("n"), 1);
  EXPECT_EQ(*db_->incrby("n", 41), 42);
  EXPECT_EQ(*db_->decr("n"), 41);
  EXPECT_EQ(*db_->decrby("n", 50), -9);
  EXPECT_EQ(*db_->get("n"), Opt("-9"));
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  ASSERT_THAT(db_->set("max", std::to_string(kMax)), IsOk());
  EXPECT_THAT(db_->incr("max"), HasCode(ErrorCode::kOutOfRange));
  EXPECT_EQ(*db_->get("max"), Opt(std::to_string(kMax)));
  ASSERT_THAT(db_->set("min", std::to_string(kMin)), IsOk());
  EXPECT_THAT(db_->decr("min"), HasCode(ErrorCode::kOutOfRange));
  EXPECT_THAT(db_->decrby("n", kMin), HasCode(ErrorCode::kOutOfRange));
  EXPECT_EQ(*db_->get("n"), Opt("-9"));
  for (const char* bad : {"abc", "1.5", " 1", "1 ", "", "99999999999999999999", "+1"}) {
    ASSERT_THAT(db_->set("s", bad), IsOk());
    EXPECT_THAT(db_->incr("s"), HasCode(ErrorCode::kOutOfRange)) << bad;
    EXPECT_EQ(*db_->get("s"), Opt(bad));
  }
  ASSERT_TRUE(db_->sadd("set", {"m"}).ok());
  EXPECT_THAT(db_->incr("set"), HasCode(ErrorCode::kWrongType));
}

TEST_P(DatabaseKvTest, MgetIsPositionalAcrossShards) {
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) keys.push_back("key:" + std::to_string(i));
  for (int i = 0; i < 50; i += 2) ASSERT_THAT(db_->set(keys[i], "v" + std::to_string(i)), IsOk());
  ASSERT_TRUE(db_->rpush("key:1", {"list"}).ok());  // another type reads as nullopt
  std::vector<std::string_view> views(keys.begin(), keys.end());
  views.push_back("key:0");  // repeated key
  auto values = db_->mget(views);
  ASSERT_TRUE(values.ok());
  ASSERT_EQ(values->size(), 51u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ((*values)[i], i % 2 == 0 ? Opt("v" + std::to_string(i)) : std::nullopt) << i;
  }
  EXPECT_EQ((*values)[50], Opt("v0"));
  EXPECT_TRUE(db_->mget(std::span<const std::string_view>())->empty());
}

TEST_P(DatabaseKvTest, MsetLastWinsAndClearsTtl) {
  ASSERT_THAT(db_->set_ex("a", "old", seconds(10)), IsOk());
  ASSERT_THAT(db_->mset({{"a", "1"}, {"b", "2"}, {"a", "3"}}), IsOk());
  EXPECT_THAT(*db_->mget({"a", "b"}), ElementsAre(Opt("3"), Opt("2")));
  EXPECT_EQ(*db_->pttl("a"), std::nullopt);
  ASSERT_THAT(db_->mset(std::span<const std::pair<std::string_view, std::string_view>>()), IsOk());
}

TEST_P(DatabaseKvTest, DelManyCountsExistingKeysOnce) {
  ASSERT_THAT(db_->mset({{"a", "1"}, {"b", "2"}, {"c", "3"}}), IsOk());
  ASSERT_TRUE(db_->sadd("s", {"x"}).ok());
  EXPECT_EQ(*db_->del_many({"a", "a", "b", "missing", "s"}), 3);
  EXPECT_EQ(*db_->db_size(), 1u);
  EXPECT_EQ(*db_->del_many(std::span<const std::string_view>()), 0);
}

TEST_P(DatabaseKvTest, KeysFollowsRedisGlobAndIsSorted) {
  for (const char* k : {"hello", "hallo", "hxllo", "hllo", "heeeello", "hillo", "h*llo", "x"}) {
    ASSERT_THAT(db_->set(k, "1"), IsOk());
  }
  EXPECT_THAT(*db_->keys("h?llo"), ElementsAre("h*llo", "hallo", "hello", "hillo", "hxllo"));
  EXPECT_THAT(*db_->keys("h*llo"),
              ElementsAre("h*llo", "hallo", "heeeello", "hello", "hillo", "hllo", "hxllo"));
  EXPECT_THAT(*db_->keys("h[ae]llo"), ElementsAre("hallo", "hello"));
  EXPECT_THAT(*db_->keys("h[^e]llo"), ElementsAre("h*llo", "hallo", "hillo", "hxllo"));
  EXPECT_THAT(*db_->keys("h[a-b]llo"), ElementsAre("hallo"));
  EXPECT_THAT(*db_->keys("h\\*llo"), ElementsAre("h*llo"));
  EXPECT_EQ(db_->keys("*")->size(), 8u);
  EXPECT_TRUE(db_->keys("nomatch*")->empty());
}

TEST_P(DatabaseKvTest, FlushDbRemovesEveryKey) {
  for (int i = 0; i < 100; ++i) ASSERT_THAT(db_->set("k" + std::to_string(i), "v"), IsOk());
  ASSERT_TRUE(db_->hset("h", "f", "v").ok());
  EXPECT_EQ(*db_->db_size(), 101u);
  ASSERT_THAT(db_->flush_db(), IsOk());
  EXPECT_EQ(*db_->db_size(), 0u);
  EXPECT_EQ(*db_->get("k1"), std::nullopt);
  EXPECT_TRUE(db_->keys("*")->empty());
}

TEST_P(DatabaseKvTest, TtlBoundariesWithInjectedClock) {
  ASSERT_THAT(db_->set_ex("k", "v", milliseconds(500)), IsOk());
  EXPECT_EQ(*db_->pttl("k"), milliseconds(500));
  EXPECT_EQ(*db_->ttl("k"), seconds(1));  // 0.5 s rounds to the nearest second
  clock_.advance(499);
  EXPECT_EQ(*db_->get("k"), Opt("v"));
  EXPECT_EQ(*db_->pttl("k"), milliseconds(1));
  EXPECT_EQ(*db_->ttl("k"), seconds(0));
  EXPECT_EQ(*db_->db_size(), 1u);
  clock_.advance(1);
  EXPECT_EQ(*db_->get("k"), std::nullopt);
  EXPECT_EQ(*db_->pttl("k"), std::nullopt);
  EXPECT_FALSE(*db_->exists("k"));
  EXPECT_EQ(*db_->db_size(), 0u);
}

TEST_P(DatabaseKvTest, DbSizeNeverCountsExpiredKeys) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(db_->set_ex("t" + std::to_string(i), "v", milliseconds(100 + i)), IsOk());
  }
  ASSERT_THAT(db_->set("forever", "v"), IsOk());
  EXPECT_EQ(*db_->db_size(), 21u);
  clock_.advance(110);
  EXPECT_EQ(*db_->db_size(), 10u);  // t0..t10 expired: t11..t19 and forever remain
  EXPECT_EQ(db_->keys("t*")->size(), 9u);
  clock_.advance(1000);
  EXPECT_EQ(*db_->db_size(), 1u);
}

TEST_P(DatabaseKvTest, ExpirePersistAndTtlRules) {
  EXPECT_FALSE(*db_->expire("missing", seconds(10)));
  ASSERT_THAT(db_->set("k", "v"), IsOk());
  EXPECT_EQ(*db_->ttl("k"), std::nullopt);  // no TTL
  EXPECT_FALSE(*db_->persist("k"));
  EXPECT_TRUE(*db_->expire("k", seconds(10)));
  EXPECT_EQ(*db_->ttl("k"), seconds(10));
  EXPECT_EQ(*db_->pttl("k"), milliseconds(10'000));
  EXPECT_TRUE(*db_->persist("k"));
  EXPECT_EQ(*db_->pttl("k"), std::nullopt);
  clock_.advance(20'000);
  EXPECT_EQ(*db_->get("k"), Opt("v"));
  // set and getset clear a TTL; incr keeps it.
  EXPECT_TRUE(*db_->pexpire("k", milliseconds(250)));
  ASSERT_THAT(db_->set("k", "w"), IsOk());
  EXPECT_EQ(*db_->pttl("k"), std::nullopt);
  ASSERT_THAT(db_->set_ex("n", "1", milliseconds(300)), IsOk());
  EXPECT_EQ(*db_->incr("n"), 2);
  EXPECT_EQ(*db_->pttl("n"), milliseconds(300));
  EXPECT_EQ(*db_->getset("n", "5"), Opt("2"));
  EXPECT_EQ(*db_->pttl("n"), std::nullopt);
  // A TTL <= 0 deletes.
  EXPECT_TRUE(*db_->pexpire("n", milliseconds(0)));
  EXPECT_FALSE(*db_->exists("n"));
  EXPECT_TRUE(*db_->expire("k", seconds(-3)));
  EXPECT_FALSE(*db_->exists("k"));
  EXPECT_FALSE(*db_->pexpire("k", milliseconds(-1)));
  EXPECT_FALSE(*db_->pexpire("k", milliseconds(std::numeric_limits<std::int64_t>::min())));
  // Bad TTLs for set_ex, and absurd ones, change nothing.
  EXPECT_THAT(db_->set_ex("x", "v", milliseconds(0)), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->set_ex("x", "v", milliseconds(-5)), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->set_ex("x", "v", milliseconds(std::numeric_limits<std::int64_t>::max())),
              HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->expire("x", seconds(std::numeric_limits<std::int64_t>::max())),
              HasCode(ErrorCode::kInvalidArgument));
  EXPECT_FALSE(*db_->exists("x"));
}

TEST_P(DatabaseKvTest, TtlAppliesToEveryType) {
  ASSERT_TRUE(db_->rpush("l", {"a"}).ok());
  ASSERT_TRUE(db_->hset("h", "f", "v").ok());
  ASSERT_TRUE(db_->sadd("s", {"m"}).ok());
  for (const char* k : {"l", "h", "s"}) EXPECT_TRUE(*db_->pexpire(k, milliseconds(10)));
  clock_.advance(10);
  EXPECT_EQ(*db_->llen("l"), 0);
  EXPECT_EQ(*db_->hget("h", "f"), std::nullopt);
  EXPECT_FALSE(*db_->sismember("s", "m"));
  EXPECT_EQ(*db_->key_type("l"), "none");
  EXPECT_EQ(*db_->db_size(), 0u);
}

TEST_P(DatabaseKvTest, Lists) {
  EXPECT_EQ(*db_->lpush("l", {"a", "b", "c"}), 3);  // c b a
  EXPECT_EQ(*db_->rpush("l", {"d", "e"}), 5);       // c b a d e
  EXPECT_THAT(*db_->lrange("l", 0, -1), ElementsAre("c", "b", "a", "d", "e"));
  EXPECT_THAT(*db_->lrange("l", -2, -1), ElementsAre("d", "e"));
  EXPECT_THAT(*db_->lrange("l", 1, 2), ElementsAre("b", "a"));
  EXPECT_THAT(*db_->lrange("l", -100, 100), ElementsAre("c", "b", "a", "d", "e"));
  EXPECT_TRUE(db_->lrange("l", 3, 1)->empty());
  EXPECT_TRUE(db_->lrange("l", 5, 10)->empty());
  EXPECT_TRUE(db_->lrange("missing", 0, -1)->empty());
  EXPECT_EQ(*db_->lindex("l", 0), Opt("c"));
  EXPECT_EQ(*db_->lindex("l", -1), Opt("e"));
  EXPECT_EQ(*db_->lindex("l", -5), Opt("c"));
  EXPECT_EQ(*db_->lindex("l", 5), std::nullopt);
  EXPECT_EQ(*db_->lindex("l", -6), std::nullopt);
  EXPECT_EQ(*db_->lindex("l", std::numeric_limits<std::int64_t>::min()), std::nullopt);
  EXPECT_EQ(*db_->llen("l"), 5);
  EXPECT_EQ(*db_->lpop("l"), Opt("c"));
  EXPECT_EQ(*db_->rpop("l"), Opt("e"));
  EXPECT_EQ(*db_->llen("l"), 3);
  EXPECT_EQ(*db_->lpop("missing"), std::nullopt);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(db_->rpop("l")->has_value());
  EXPECT_EQ(*db_->key_type("l"), "none");  // an emptied list is removed
  EXPECT_THAT(db_->lpush("l", std::span<const std::string_view>()),
              HasCode(ErrorCode::kInvalidArgument));
  ASSERT_THAT(db_->set("str", "v"), IsOk());
  EXPECT_THAT(db_->lpush("str", {"x"}), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->rpush("str", {"x"}), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->lrange("str", 0, -1), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->lpop("str"), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->rpop("str"), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->llen("str"), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->lindex("str", 0), HasCode(ErrorCode::kWrongType));
  EXPECT_EQ(*db_->get("str"), Opt("v"));
}

TEST_P(DatabaseKvTest, Hashes) {
  EXPECT_TRUE(*db_->hset("h", "a", "1"));
  EXPECT_FALSE(*db_->hset("h", "a", "2"));
  EXPECT_TRUE(*db_->hset("h", "b", "3"));
  EXPECT_EQ(*db_->hget("h", "a"), Opt("2"));
  EXPECT_EQ(*db_->hget("h", "zz"), std::nullopt);
  EXPECT_EQ(*db_->hget("missing", "a"), std::nullopt);
  EXPECT_EQ(*db_->hlen("h"), 2);
  EXPECT_TRUE(*db_->hexists("h", "b"));
  EXPECT_FALSE(*db_->hexists("h", "c"));
  using Pair = std::pair<std::string, std::string>;
  EXPECT_THAT(*db_->hgetall("h"), UnorderedElementsAre(Pair("a", "2"), Pair("b", "3")));
  EXPECT_EQ(*db_->hincrby("h", "b", 10), 13);
  EXPECT_EQ(*db_->hincrby("h", "new", -4), -4);
  EXPECT_THAT(db_->hincrby("h", "big", std::numeric_limits<std::int64_t>::max()), IsOk());
  EXPECT_THAT(db_->hincrby("h", "big", 1), HasCode(ErrorCode::kOutOfRange));
  EXPECT_EQ(*db_->hget("h", "big"), Opt(std::to_string(std::numeric_limits<std::int64_t>::max())));
  EXPECT_THAT(db_->hincrby("h", "a", std::numeric_limits<std::int64_t>::max()),
              HasCode(ErrorCode::kOutOfRange));
  EXPECT_EQ(*db_->hget("h", "a"), Opt("2"));
  ASSERT_TRUE(db_->hset("h", "text", "abc").ok());
  EXPECT_THAT(db_->hincrby("h", "text", 1), HasCode(ErrorCode::kOutOfRange));
  EXPECT_EQ(*db_->hget("h", "text"), Opt("abc"));
  EXPECT_EQ(*db_->hdel("h", {"a", "b", "nope", "a"}), 2);
  EXPECT_EQ(*db_->hdel("h", {"new", "text", "big"}), 3);
  EXPECT_EQ(*db_->key_type("h"), "none");  // an emptied hash is removed
  EXPECT_TRUE(db_->hgetall("h")->empty());
  ASSERT_THAT(db_->set("str", "v"), IsOk());
  EXPECT_THAT(db_->hset("str", "f", "v"), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->hget("str", "f"), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->hdel("str", {"f"}), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->hgetall("str"), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->hlen("str"), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->hexists("str", "f"), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->hincrby("str", "f", 1), HasCode(ErrorCode::kWrongType));
}

TEST_P(DatabaseKvTest, Sets) {
  EXPECT_EQ(*db_->sadd("s", {"a", "b", "a"}), 2);
  EXPECT_EQ(*db_->sadd("s", {"b", "c"}), 1);
  EXPECT_THAT(*db_->smembers("s"), UnorderedElementsAre("a", "b", "c"));
  EXPECT_TRUE(*db_->sismember("s", "a"));
  EXPECT_FALSE(*db_->sismember("s", "z"));
  EXPECT_FALSE(*db_->sismember("missing", "a"));
  EXPECT_EQ(*db_->scard("s"), 3);
  EXPECT_EQ(*db_->scard("missing"), 0);
  EXPECT_EQ(*db_->srem("s", {"a", "z"}), 1);
  EXPECT_EQ(*db_->srem("s", {"b", "c"}), 2);
  EXPECT_EQ(*db_->key_type("s"), "none");  // an emptied set is removed
  EXPECT_TRUE(db_->smembers("s")->empty());
  ASSERT_THAT(db_->set("str", "v"), IsOk());
  EXPECT_THAT(db_->sadd("str", {"m"}), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->smembers("str"), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->srem("str", {"m"}), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->sismember("str", "m"), HasCode(ErrorCode::kWrongType));
  EXPECT_THAT(db_->scard("str"), HasCode(ErrorCode::kWrongType));
}

TEST_P(DatabaseKvTest, KeyTypeNamesEveryType) {
  ASSERT_THAT(db_->set("s", "v"), IsOk());
  ASSERT_TRUE(db_->rpush("l", {"v"}).ok());
  ASSERT_TRUE(db_->hset("h", "f", "v").ok());
  ASSERT_TRUE(db_->sadd("z", {"v"}).ok());
  EXPECT_EQ(*db_->key_type("s"), "string");
  EXPECT_EQ(*db_->key_type("l"), "list");
  EXPECT_EQ(*db_->key_type("h"), "hash");
  EXPECT_EQ(*db_->key_type("z"), "set");
  EXPECT_EQ(*db_->key_type("none"), "none");
}

}  // namespace
}  // namespace kora
