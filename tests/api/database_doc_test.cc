// The document API through Database, on 1 and 3 shards.
#include <gtest/gtest.h>
#include <malloc.h>
#include <rapidjson/document.h>
#include <rapidjson/schema.h>

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kora/kora.h"
#include "test_util.h"

namespace kora {
namespace {

using ::testing::ElementsAre;
using testing::HasCode;
using testing::IsOk;
using Opt = std::optional<std::string>;

class DatabaseDocTest : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  void SetUp() override {
    auto db = Database::open(Config{.shard_count = GetParam()});
    ASSERT_TRUE(db.ok());
    db_ = std::move(db).value();
    ASSERT_THAT(db_->doc_create_collection("users"), IsOk());
  }

  Opt get(std::string_view id) {
    auto r = db_->doc_get("users", id);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : Opt("<error>");
  }

  std::unique_ptr<Database> db_;
};

INSTANTIATE_TEST_SUITE_P(Shards, DatabaseDocTest, ::testing::Values(1u, 3u),
                         [](const auto& info) { return "shards" + std::to_string(info.param); });

TEST_P(DatabaseDocTest, CollectionLifecycle) {
  EXPECT_THAT(db_->doc_create_collection("users"), HasCode(ErrorCode::kAlreadyExists));
  ASSERT_THAT(db_->doc_create_collection("orders"), IsOk());
  EXPECT_THAT(*db_->doc_collections(), ElementsAre("orders", "users"));
  auto info = db_->doc_collection_info("orders");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->name, "orders");
  EXPECT_EQ(info->doc_count, 0u);
  EXPECT_GT(info->created_at_ms, 1'600'000'000'000u);
  EXPECT_TRUE(*db_->doc_drop_collection("orders"));
  EXPECT_FALSE(*db_->doc_drop_collection("orders"));
  EXPECT_THAT(db_->doc_collection_info("orders"), HasCode(ErrorCode::kNotFound));
  EXPECT_THAT(db_->doc_set("orders", "1", "{}"), HasCode(ErrorCode::kNotFound));
  EXPECT_THAT(db_->doc_get("orders", "1"), HasCode(ErrorCode::kNotFound));
  EXPECT_THAT(db_->doc_storage_info("orders"), HasCode(ErrorCode::kNotFound));
  EXPECT_THAT(*db_->doc_collections(), ElementsAre("users"));
  // Dropping removes the documents: a new collection of the same name starts empty.
  ASSERT_THAT(db_->doc_set("users", "a", R"({"x":1})"), IsOk());
  EXPECT_TRUE(*db_->doc_drop_collection("users"));
  ASSERT_THAT(db_->doc_create_collection("users"), IsOk());
  EXPECT_EQ(get("a"), std::nullopt);
}

TEST_P(DatabaseDocTest, CollectionNamesAndConfigsAreValidated) {
  EXPECT_THAT(db_->doc_create_collection(""), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->doc_create_collection(std::string(256, 'a')),
              HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->doc_create_collection(std::string(255, 'a')), IsOk());
  EXPECT_THAT(db_->doc_create_collection("tab\there"), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->doc_create_collection(std::string("nul\0", 4)),
              HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->doc_create_collection("ünïcode and spaces"), IsOk());
  EXPECT_THAT(db_->doc_create_collection("bad-ratio", {.compaction_garbage_ratio = 0.0}),
              HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->doc_create_collection("bad-ratio", {.compaction_garbage_ratio = 1.5}),
              HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->doc_collections()->size(), 3u);
}

TEST_P(DatabaseDocTest, SetGetReplaceDeleteExists) {
  auto created = db_->doc_set("users", "alice", R"({"name":"Alice","age":30})");
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  EXPECT_TRUE(created->created);
  EXPECT_EQ(get("alice"), Opt(R"({"name":"Alice","age":30})"));
  auto replaced = db_->doc_set("users", "alice", R"({"name":"Alice B."})");
  ASSERT_TRUE(replaced.ok());
  EXPECT_FALSE(replaced->created);
  EXPECT_EQ(get("alice"), Opt(R"({"name":"Alice B."})"));
  EXPECT_TRUE(*db_->doc_exists("users", "alice"));
  EXPECT_FALSE(*db_->doc_exists("users", "bob"));
  EXPECT_EQ(get("bob"), std::nullopt);
  EXPECT_TRUE(*db_->doc_del("users", "alice"));
  EXPECT_FALSE(*db_->doc_del("users", "alice"));
  EXPECT_EQ(get("alice"), std::nullopt);
  EXPECT_EQ(db_->doc_collection_info("users")->doc_count, 0u);
}

TEST_P(DatabaseDocTest, IdsAreAnyBytesUpToOneKiB) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  ASSERT_TRUE(db_->doc_set("users", all, R"({"v":1})").ok());
  ASSERT_TRUE(db_->doc_set("users", std::string(1024, 'x'), R"({"v":2})").ok());
  EXPECT_EQ(get(all), Opt(R"({"v":1})"));
  EXPECT_EQ(get(std::string(1024, 'x')), Opt(R"({"v":2})"));
  EXPECT_THAT(db_->doc_set("users", "", "{}"), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->doc_set("users", std::string(1025, 'x'), "{}"),
              HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->doc_get("users", ""), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_EQ(db_->doc_collection_info("users")->doc_count, 2u);
}

// 8-4-4-4-12 lowercase hex, version nibble 7, variant bits 10.
bool is_uuid_v7(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = id[i];
    if (dash != (c == '-')) return false;
    if (!dash && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return id[14] == '7' && std::string_view("89ab").find(id[19]) != std::string_view::npos;
}

TEST_P(DatabaseDocTest, InsertGeneratesUniqueTimeOrderedIds) {
  EXPECT_FALSE(is_uuid_v7("01a237c5-8748-6749-bd52-41893dffbc26"));  // version 6
  EXPECT_FALSE(is_uuid_v7("01a237c5-8748-7749-cd52-41893dffbc26"));  // wrong variant
  EXPECT_TRUE(is_uuid_v7("01a237c5-8748-7749-bd52-41893dffbc26"));
  std::set<std::string> ids;
  for (int i = 0; i < 500; ++i) {
    auto r = db_->doc_insert("users", R"({"n":)" + std::to_string(i) + "}");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_TRUE(is_uuid_v7(r->id)) << r->id;
    ids.insert(r->id);
  }
  EXPECT_EQ(ids.size(), 500u);
  EXPECT_EQ(db_->doc_collection_info("users")->doc_count, 500u);
  EXPECT_EQ(get(*ids.begin()).value_or("").rfind(R"({"n":)", 0), 0u);
  EXPECT_THAT(db_->doc_insert("users", "[1]"), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(db_->doc_insert("missing", "{}"), HasCode(ErrorCode::kNotFound));
}

// Each bad input: its error code, and a store exactly as before.
TEST_P(DatabaseDocTest, BadInputsChangeNothing) {
  ASSERT_TRUE(db_->doc_set("users", "keep", R"({"a":1})").ok());
  const std::string before = to_json(*db_->doc_storage_info("users"));
  struct Case {
    std::string json;
    ErrorCode code;
  };
  const std::vector<Case> cases = {
      {"", ErrorCode::kInvalidJson},
      {"{", ErrorCode::kInvalidJson},
      {R"({"a":})", ErrorCode::kInvalidJson},
      {R"({"a":1,})", ErrorCode::kInvalidJson},
      {R"({"a":1} x)", ErrorCode::kInvalidJson},
      {R"({"a":1}{})", ErrorCode::kInvalidJson},
      {R"({'a':1})", ErrorCode::kInvalidJson},
      {R"({"a":01})", ErrorCode::kInvalidJson},
      {R"({"a":NaN})", ErrorCode::kInvalidJson},
      {"{\"a\":\"\xff\"}", ErrorCode::kInvalidJson},
      {"{\"a\":\"\x01\"}", ErrorCode::kInvalidJson},
      {R"([1,2])", ErrorCode::kInvalidArgument},
      {R"("text")", ErrorCode::kInvalidArgument},
      {R"(42)", ErrorCode::kInvalidArgument},
      {R"(null)", ErrorCode::kInvalidArgument},
      {"{\"a\":" + std::string(128, '[') + std::string(128, ']') + "}", ErrorCode::kLimitExceeded},
  };
  for (const Case& c : cases) {
    auto r = db_->doc_set("users", "keep", c.json);
    EXPECT_THAT(r, HasCode(c.code)) << c.json.substr(0, 40);
    if (c.code == ErrorCode::kInvalidJson) {
      ASSERT_NE(r.status().detail(), nullptr);
      EXPECT_TRUE(r.status().detail()->position.has_value()) << c.json.substr(0, 40);
    }
    EXPECT_EQ(get("keep"), Opt(R"({"a":1})"));
  }
  EXPECT_EQ(to_json(*db_->doc_storage_info("users")), before);
}

TEST_P(DatabaseDocTest, DepthLimitCountsTheRootAsOne) {
  auto nested = [](int depth) {  // `depth` nested objects, the root included
    std::string s;
    for (int i = 1; i < depth; ++i) s += R"({"a":)";
    s += "{}";
    for (int i = 1; i < depth; ++i) s += "}";
    return s;
  };
  EXPECT_TRUE(db_->doc_set("users", "deep", nested(128)).ok());
  EXPECT_EQ(get("deep"), Opt(nested(128)));
  EXPECT_THAT(db_->doc_set("users", "deeper", nested(129)), HasCode(ErrorCode::kLimitExceeded));
  EXPECT_EQ(get("deeper"), std::nullopt);
}

TEST_P(DatabaseDocTest, SizeLimitIsEnforced) {
  Config config{.shard_count = GetParam()};
  config.limits.max_document_bytes = 64;
  auto db = std::move(Database::open(config)).value();
  ASSERT_THAT(db->doc_create_collection("c"), IsOk());
  const std::string fits = R"({"s":")" + std::string(64 - 8, 'x') + R"("})";
  ASSERT_EQ(fits.size(), 64u);
  EXPECT_TRUE(db->doc_set("c", "a", fits).ok());
  EXPECT_THAT(db->doc_set("c", "b", fits + " "), HasCode(ErrorCode::kLimitExceeded));
  EXPECT_EQ(db->doc_collection_info("c")->doc_count, 1u);
}

TEST_P(DatabaseDocTest, ExactRoundTrip) {
  const std::vector<std::string> docs = {
      R"({})",
      R"({"z":1,"a":2,"m":3})",
      R"({"i":-9223372036854775808,"j":9223372036854775807,"u":18446744073709551615})",
      R"({"d":0.1,"e":-0.0,"f":1e+300,"g":5e-324,"h":30.0,"k":2.5})",
      R"({"s":"quote \" backslash \\ slash / ctrl \u0001 tab \t nl \n","u":"ünï €𝄞"})",
      R"({"":"empty key","a.b":"dotted key","nested":{"":{"x":[]}}})",
      R"({"arr":[{"a":1},{"b":[true,false,null]},[],{}],"o":{}})",
      R"({"same":"value","other":"value","same2":"value"})",
  };
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const std::string id = "doc" + std::to_string(i);
    ASSERT_TRUE(db_->doc_set("users", id, docs[i]).ok()) << docs[i];
    auto back = get(id);
    ASSERT_TRUE(back.has_value());
    // Same value when both are parsed; compact text equal when the input was compact and
    // canonical.
    rapidjson::Document a, b;
    a.Parse(docs[i].c_str());
    b.Parse(back->c_str());
    EXPECT_TRUE(a == b) << docs[i] << " came back as " << *back;
    auto again = db_->doc_set("users", id + "'", *back);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(get(id + "'"), back) << "not canonical";
  }
  EXPECT_EQ(get("doc1"), Opt(R"({"z":1,"a":2,"m":3})"));
  EXPECT_EQ(get("doc2"), Opt(docs[2]));
}

TEST_P(DatabaseDocTest, LargeDocumentsRoundTrip) {
  std::string big = R"({"items":[)";
  for (int i = 0; big.size() < 10'000'000; ++i) {
    if (i) big += ',';
    big += R"({"i":)" + std::to_string(i) + R"(,"s":"item number )" + std::to_string(i) +
           R"(","f":)" + std::to_string(i) + ".5}";
  }
  big += "]}";
  ASSERT_TRUE(db_->doc_set("users", "big", big).ok());
  EXPECT_EQ(get("big"), Opt(big));
}

TEST_P(DatabaseDocTest, ProjectionKeepsSourceOrderAndNesting) {
  ASSERT_TRUE(db_->doc_set("users", "u",
                           R"({"name":"A","address":{"city":"Paris","zip":"75001"},"tags":["x"],)"
                           R"("a.b":{"c":1},"age":3})")
                  .ok());
  EXPECT_EQ(*db_->doc_get("users", "u", {"age", "name"}), Opt(R"({"name":"A","age":3})"));
  EXPECT_EQ(*db_->doc_get("users", "u", {"address.zip"}), Opt(R"({"address":{"zip":"75001"}})"));
  EXPECT_EQ(*db_->doc_get("users", "u", {"address"}),
            Opt(R"({"address":{"city":"Paris","zip":"75001"}})"));
  EXPECT_EQ(*db_->doc_get("users", "u", {"`a.b`.c", "missing", "name.x", "tags.0"}),
            Opt(R"({"a.b":{"c":1}})"));
  EXPECT_EQ(*db_->doc_get("users", "u", {"nothing"}), Opt("{}"));
  auto bad = db_->doc_get("users", "u", {"name", "a..b"});
  EXPECT_THAT(bad, HasCode(ErrorCode::kInvalidQuery));
  ASSERT_NE(bad.status().detail(), nullptr);
  EXPECT_EQ(bad.status().detail()->batch_index, 1u);
  EXPECT_TRUE(bad.status().detail()->position.has_value());
  EXPECT_EQ(*db_->doc_get("users", "missing-doc", {"name"}), std::nullopt);
}

TEST_P(DatabaseDocTest, MsetIsAllOrNothingAndPositional) {
  ASSERT_TRUE(db_->doc_set("users", "b", R"({"v":0})").ok());
  std::vector<DocEntry> batch = {
      {.id = "a", .json = R"({"v":1})"},
      {.id = "b", .json = R"({"v":2})"},
      {.id = "c", .json = R"({"v":3)"},  // malformed
  };
  auto bad = db_->doc_mset("users", batch);
  EXPECT_THAT(bad, HasCode(ErrorCode::kInvalidJson));
  ASSERT_NE(bad.status().detail(), nullptr);
  EXPECT_EQ(bad.status().detail()->batch_index, 2u);
  EXPECT_EQ(get("a"), std::nullopt);
  EXPECT_EQ(get("b"), Opt(R"({"v":0})"));
  batch[2] = {.id = "", .json = "{}"};
  EXPECT_THAT(db_->doc_mset("users", batch), HasCode(ErrorCode::kInvalidArgument));
  batch[2] = {.id = "a", .json = R"({"v":4})"};  // repeated id: the last wins
  auto good = db_->doc_mset("users", batch);
  ASSERT_TRUE(good.ok()) << good.status().to_string();
  ASSERT_EQ(good->size(), 3u);
  EXPECT_TRUE((*good)[0].created);
  EXPECT_FALSE((*good)[1].created);
  EXPECT_FALSE((*good)[2].created);
  EXPECT_EQ(get("a"), Opt(R"({"v":4})"));
  EXPECT_EQ(get("b"), Opt(R"({"v":2})"));
  EXPECT_TRUE(db_->doc_mset("users", {})->empty());
  auto docs = db_->doc_mget("users", {"a", "nope", "b", "a"});
  ASSERT_TRUE(docs.ok());
  EXPECT_THAT(*docs,
              ElementsAre(Opt(R"({"v":4})"), std::nullopt, Opt(R"({"v":2})"), Opt(R"({"v":4})")));
  EXPECT_THAT(db_->doc_mset("missing", batch), HasCode(ErrorCode::kNotFound));
}

std::string user_doc(std::mt19937_64& rng, int i) {
  static const char* kCities[] = {"Paris", "Berlin", "Tokyo", "Lima", "Oslo"};
  return R"({"name":"user )" + std::to_string(i) + R"(","email":"u)" + std::to_string(i) +
         R"(@example.com","age":)" + std::to_string(18 + rng() % 60) + R"(,"city":")" +
         kCities[rng() % 5] + R"(","tags":["a","b"],"active":true,"score":)" +
         std::to_string(rng() % 100) + "." + std::to_string(1 + rng() % 9) + "}";
}

// Batches large enough that the shards' workers decode their parts while the caller
// validates (doc_mset's parallel path; on one shard the caller does it all): an error at
// any position, of any kind, changes nothing, and a good batch lands whole.
TEST_P(DatabaseDocTest, LargeMsetIsAllOrNothing) {
  ASSERT_THAT(db_->doc_create_index("users", "email", DocIndexType::kUnique), IsOk());
  constexpr std::size_t kBatch = 600, kPreloaded = 300;
  std::mt19937_64 rng(7);
  std::vector<std::string> ids, jsons;
  for (std::size_t i = 0; i < kBatch; ++i) {
    ids.push_back("doc-" + std::to_string(i));
    jsons.push_back(user_doc(rng, static_cast<int>(i)));
  }
  std::vector<std::string> old_jsons;
  for (std::size_t i = 0; i < kPreloaded; ++i) {
    old_jsons.push_back(R"({"old":)" + std::to_string(i) + "}");
  }
  std::vector<DocEntry> preload;
  for (std::size_t i = 0; i < kPreloaded; ++i)
    preload.push_back({.id = ids[i], .json = old_jsons[i]});
  {
    auto loaded = db_->doc_mset("users", preload);
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  }
  auto snapshot = [&] {
    std::string s = to_json(*db_->doc_storage_info("users")) +
                    to_json(*db_->doc_dictionary_info("users")) +
                    std::to_string(*db_->doc_count("users", ""));
    for (const std::string& id : ids) s += get(id).value_or("-");
    return s;
  };
  const std::string before = snapshot();
  std::string deep;
  for (int d = 0; d < 200; ++d) deep += R"({"a":)";
  deep += "1" + std::string(200, '}');
  const std::string clash = R"({"email":"u5@example.com"})";  // doc-5's, kept by the batch
  struct Bad {
    std::string name;
    std::optional<std::string> id, json;
    std::optional<std::chrono::milliseconds> ttl;
    ErrorCode code;
  };
  const std::vector<Bad> bad = {
      {"malformed", std::nullopt, R"({"v":)", std::nullopt, ErrorCode::kInvalidJson},
      {"not an object", std::nullopt, "[1]", std::nullopt, ErrorCode::kInvalidArgument},
      {"too deep", std::nullopt, deep, std::nullopt, ErrorCode::kLimitExceeded},
      {"empty id", "", std::nullopt, std::nullopt, ErrorCode::kInvalidArgument},
      {"zero ttl", std::nullopt, std::nullopt, std::chrono::milliseconds(0),
       ErrorCode::kInvalidArgument},
      {"unique clash", std::nullopt, clash, std::nullopt, ErrorCode::kConstraintViolation},
  };
  for (const Bad& b : bad) {
    for (std::size_t position : {std::size_t{0}, std::size_t{301}, kBatch - 1}) {
      std::vector<DocEntry> batch;
      for (std::size_t i = 0; i < kBatch; ++i) batch.push_back({.id = ids[i], .json = jsons[i]});
      if (b.id) batch[position].id = *b.id;
      if (b.json) batch[position].json = *b.json;
      batch[position].ttl = b.ttl;
      auto r = db_->doc_mset("users", batch);
      EXPECT_THAT(r, HasCode(b.code)) << b.name << " at " << position;
      ASSERT_NE(r.status().detail(), nullptr) << b.name;
      // Entries apply in order: an entry before doc-5 takes u5 first, and doc-5 clashes.
      const std::size_t named =
          b.code == ErrorCode::kConstraintViolation ? std::max<std::size_t>(position, 5) : position;
      EXPECT_EQ(r.status().detail()->batch_index, named) << b.name << " at " << position;
      ASSERT_EQ(snapshot(), before) << b.name << " at " << position << " changed the store";
    }
  }
  // A good batch, with a repeated id whose last entry wins.
  std::vector<DocEntry> batch;
  for (std::size_t i = 0; i < kBatch; ++i) batch.push_back({.id = ids[i], .json = jsons[i]});
  batch.push_back({.id = ids[400], .json = R"({"last":true})"});
  auto good = db_->doc_mset("users", batch);
  ASSERT_TRUE(good.ok()) << good.status().to_string();
  ASSERT_EQ(good->size(), kBatch + 1);
  for (std::size_t i = 0; i < kBatch; ++i) {
    EXPECT_EQ((*good)[i].created, i >= kPreloaded) << i;
    EXPECT_EQ(get(ids[i]), Opt(i == 400 ? R"({"last":true})" : jsons[i])) << i;
  }
  EXPECT_FALSE((*good)[kBatch].created);
  EXPECT_EQ(*db_->doc_count("users", ""), kBatch);
  EXPECT_EQ(*db_->doc_count("users", "email = 'u7@example.com'"), 1u);
  EXPECT_EQ(*db_->doc_count("users", "email = 'u400@example.com'"), 0u);
}

// Random churn with compaction, compared against a std::map model after every batch.
TEST_P(DatabaseDocTest, ChurnWithCompactionMatchesModel) {
  ASSERT_THAT(db_->doc_create_collection("churn", {.compaction_garbage_ratio = 0.2}), IsOk());
  std::mt19937_64 rng(42);
  std::map<std::string, std::string> model;
  for (int batch = 0; batch < 20; ++batch) {
    for (int op = 0; op < 300; ++op) {
      const std::string id = "id" + std::to_string(rng() % 400);
      const auto kind = rng() % 10;
      if (kind < 6) {
        std::string json = user_doc(rng, static_cast<int>(rng() % 100000));
        if (rng() % 20 == 0) json = R"({"big":")" + std::string(rng() % 50000, 'x') + R"("})";
        ASSERT_TRUE(db_->doc_set("churn", id, json).ok());
        model[id] = json;
      } else {
        EXPECT_EQ(*db_->doc_del("churn", id), model.erase(id) == 1);
      }
    }
    if (batch % 5 == 4) {
      ASSERT_THAT(db_->doc_compact("churn"), IsOk());
    }
    for (const auto& [id, json] : model) {
      auto back = db_->doc_get("churn", id);
      ASSERT_TRUE(back.ok() && back->has_value()) << id;
      ASSERT_EQ(**back, json);
    }
    auto info = db_->doc_storage_info("churn");
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->doc_count, model.size());
  }
  auto info = *db_->doc_storage_info("churn");
  EXPECT_GT(info.compactions, 0u);
  EXPECT_GT(info.reclaimed_bytes, 0u);
  ASSERT_THAT(db_->doc_compact("churn"), IsOk());
  info = *db_->doc_storage_info("churn");
  EXPECT_LE(info.garbage_bytes, info.arena_capacity_bytes / 5);
}

TEST_P(DatabaseDocTest, DictionaryEntriesAreReclaimedAfterDeletes) {
  const auto empty = *db_->doc_dictionary_info("users");
  EXPECT_EQ(empty.entries, 0u);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(db_->doc_set("users", "u" + std::to_string(i),
                             R"({"city":"Paris","country":"France","n":)" + std::to_string(i) +
                                 R"(,"extra":{"k":"v)" + std::to_string(i % 3) + R"("}})")
                    .ok());
  }
  auto full = *db_->doc_dictionary_info("users");
  EXPECT_GT(full.entries, 0u);
  EXPECT_GT(full.bytes, empty.bytes);
  std::set<std::string> paths;
  for (const auto& f : full.fields) paths.insert(f.path);
  EXPECT_EQ(paths, (std::set<std::string>{"city", "country", "extra", "extra.k", "n"}));
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(*db_->doc_del("users", "u" + std::to_string(i)));
  auto after = *db_->doc_dictionary_info("users");
  EXPECT_EQ(after.entries, 0u);
  EXPECT_TRUE(after.fields.empty());
  EXPECT_EQ(db_->doc_collection_info("users")->dictionary_entries, 0u);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void expect_valid(const std::string& json, const std::string& schema_file) {
  rapidjson::Document schema_doc;
  schema_doc.Parse(read_file(std::string(KORA_SCHEMA_DIR) + "/" + schema_file).c_str());
  ASSERT_FALSE(schema_doc.HasParseError()) << schema_file;
  rapidjson::SchemaDocument schema(schema_doc);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  rapidjson::SchemaValidator validator(schema);
  EXPECT_TRUE(doc.Accept(validator))
      << schema_file << " rejects " << json << " at " << validator.GetInvalidSchemaKeyword();
}

TEST_P(DatabaseDocTest, StatsJsonValidatesAgainstSchemas) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        db_->doc_set("users", std::to_string(i), R"({"a":"some text","b":[1,{"c":2}]})").ok());
  }
  const auto storage = to_json(*db_->doc_storage_info("users"));
  expect_valid(storage, "doc_storage_info.schema.json");
  const auto dictionary = to_json(*db_->doc_dictionary_info("users"));
  expect_valid(dictionary, "doc_dictionary_info.schema.json");
  const auto info = to_json(*db_->doc_collection_info("users"));
  expect_valid(info, "doc_collection_info.schema.json");
  EXPECT_NE(storage.find(R"("doc_count":20)"), std::string::npos) << storage;
  // A broken document must fail validation, or the check above proves nothing.
  rapidjson::Document schema_doc;
  schema_doc.Parse(
      read_file(std::string(KORA_SCHEMA_DIR) + "/doc_storage_info.schema.json").c_str());
  rapidjson::SchemaDocument schema(schema_doc);
  rapidjson::Document broken;
  broken.Parse(R"({"doc_count":-1})");
  rapidjson::SchemaValidator validator(schema);
  EXPECT_FALSE(broken.Accept(validator));
}

// total_bytes must match what the allocator really handed out for the collection.
TEST_P(DatabaseDocTest, TotalBytesMatchTheAllocator) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizer allocators do not report through mallinfo2";
#endif
  ASSERT_THAT(db_->doc_create_collection("measured"), IsOk());
  std::mt19937_64 rng(7);
  // Warm up the calling thread's parser and the shards' scratch buffers elsewhere.
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(db_->doc_set("users", std::to_string(i), user_doc(rng, i)).ok());
  std::vector<std::string> docs;
  for (int i = 0; i < 20000; ++i) docs.push_back(user_doc(rng, i));
  const auto before = mallinfo2().uordblks + mallinfo2().hblkhd;  // heap + mmapped
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(db_->doc_set("measured", "user:" + std::to_string(i), docs[i]).ok());
  }
  const auto after = mallinfo2().uordblks + mallinfo2().hblkhd;
  const auto info = *db_->doc_storage_info("measured");
  const double allocated = static_cast<double>(after - before);
  const double reported = static_cast<double>(info.total_bytes);
  EXPECT_NEAR(reported / allocated, 1.0, 0.10)
      << "total_bytes " << info.total_bytes << " vs allocator " << (after - before);
  EXPECT_GE(info.total_bytes,
            info.arena_capacity_bytes + info.id_map_bytes + info.dictionary_bytes);
}

}  // namespace
}  // namespace kora
