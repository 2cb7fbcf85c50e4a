// Database::doc_find / doc_count and the secondary indexes (doc_create_index and friends),
// on 1 and 3 shards:
//  - a seeded differential test: random documents of every JSON type and random WHERE
//    queries, answered by collections holding the same data under different index sets,
//    against a reference evaluator on a RapidJSON DOM (ids, counts, order_by/offset/limit);
//  - interleaved random writes (set, insert, mset, update, del, TTLs, compaction) and
//    queries against a model kept by the test, with indexes (a unique one included);
//  - unique indexes (cross-shard clashes for every write, freeing values, creation over
//    duplicates, failed writes holding nothing, racing writers), index management and
//    stats, indexes over expired documents, queries racing writes and index changes, and
//    the find options (projection, paging, order_by ties and missing values, huge
//    limits and offsets, parse errors).
// Sizes shrink under sanitizers (KORA_QUERY_TEST_SANITIZED).
#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "doc/query_reference.h"
#include "kora/kora.h"
#include "test_util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KORA_QUERY_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define KORA_QUERY_TEST_SANITIZED 1
#endif
#endif

namespace kora {
namespace {

using std::chrono::milliseconds;
using namespace kora::testing;  // ManualClock, IsOk, HasCode; the query reference
using Opt = std::optional<std::string>;
using M = DocUpdateMutation;
using EC = ErrorCode;
using Ids = std::vector<std::string>;

#ifdef KORA_QUERY_TEST_SANITIZED
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// ---- The reference (doc/query_reference.h, kora::testing) --------------------------------

// The reference's ordered, paged answer over (id, document) pairs that match.
Ids ref_page(std::vector<std::pair<std::string, const RValue*>> hits,
             const std::vector<std::string>& order_path, bool descending, std::uint64_t offset,
             std::optional<std::uint64_t> limit) {
  if (order_path.empty()) {
    std::sort(hits.begin(), hits.end());
  } else {
    std::vector<std::pair<const RValue*, std::size_t>> keys;
    for (std::size_t i = 0; i < hits.size(); ++i) {
      keys.emplace_back(ref_resolve(*hits[i].second, order_path), i);
    }
    std::sort(keys.begin(), keys.end(), [&](const auto& x, const auto& y) {
      const RValue* a = x.first;
      const RValue* b = y.first;
      const std::string& ida = hits[x.second].first;
      const std::string& idb = hits[y.second].first;
      if (a == nullptr || b == nullptr) {
        if (a == nullptr && b == nullptr) return ida < idb;
        return a != nullptr;
      }
      int c = ref_sort_compare(*a, *b);
      if (descending) c = -c;
      if (c != 0) return c < 0;
      return ida < idb;
    });
    std::vector<std::pair<std::string, const RValue*>> sorted;
    for (const auto& k : keys) sorted.push_back(hits[k.second]);
    hits = std::move(sorted);
  }
  Ids out;
  for (std::size_t i = static_cast<std::size_t>(std::min<std::uint64_t>(offset, hits.size()));
       i < hits.size() && (!limit || out.size() < *limit); ++i) {
    out.push_back(hits[i].first);
  }
  return out;
}

// ---- Engine helpers ----------------------------------------------------------------------

Ids ids_of(const std::vector<DocHit>& hits) {
  Ids ids;
  for (const DocHit& h : hits) ids.push_back(h.id);
  return ids;
}
Ids sorted(Ids ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}
std::string join(const Ids& ids, std::size_t max = 12) {
  std::string s = "[";
  for (std::size_t i = 0; i < ids.size() && i < max; ++i) s += (i ? ", " : "") + ids[i];
  if (ids.size() > max) s += ", ... (" + std::to_string(ids.size()) + ")";
  return s + "]";
}
// What `want` has and `got` lacks, as sorted lists.
Ids minus(const Ids& want, const Ids& got) {
  const Ids a = sorted(want), b = sorted(got);
  Ids out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Result<std::unique_ptr<Database>> open_db(std::uint32_t shards, ManualClock& clock) {
  Config config{.shard_count = shards};
  config.clock = clock.source();
  config.expiry_sweep_interval = milliseconds(1);
  return Database::open(std::move(config));
}

// ==== 1. Differential test ===============================================================

struct DiffCollection {
  std::string name;
  std::vector<std::pair<std::string, DocIndexType>> indexes;
  bool index_before_load;
};

struct DifferentialRun {
  std::uint64_t seed;
  std::uint32_t shards;
  DocCollectionConfig config;
  std::size_t docs;
  std::size_t queries;
};

// Loads the same random documents into five collections (no index; hash, sorted, array
// indexes on every one- and two-segment path; a random mix with a unique index on the
// field that is unique in the data), some indexed before the load and some after, then
// runs random queries on all five against the reference.
void run_differential(const DifferentialRun& run) {
  SCOPED_TRACE("seed " + std::to_string(run.seed) + ", " + std::to_string(run.shards) +
               " shards, max_terms " + std::to_string(run.config.max_interned_terms_per_field) +
               ", min_bytes " + std::to_string(run.config.min_interned_term_bytes));
  const std::size_t kDocs = run.docs;
  const std::size_t kQueries = run.queries;
  ManualClock clock;
  auto opened = open_db(run.shards, clock);
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  Database& db = **opened;

  std::vector<std::string> query_keys = kDocKeys;
  query_keys.push_back("zz");
  query_keys.push_back("uid");
  Generator g(run.seed, query_keys);

  // uid: unique across the data (ints, doubles i.0 and i+0.5, strings "u<i>"), or null,
  // or missing.
  std::vector<std::string> uid_literals;
  for (std::size_t i = 0; i < kDocs; i += 1 + g.below(7)) {
    uid_literals.push_back(std::to_string(i));
    uid_literals.push_back(std::to_string(i) + ".0");
    uid_literals.push_back(std::to_string(i) + ".5");
    uid_literals.push_back("\"u" + std::to_string(i) + "\"");
  }
  uid_literals.push_back("null");
  uid_literals.push_back("\"u\"");
  g.set_field_literals("uid", uid_literals);

  // Paths indexed: every one- and two-segment path over the document keys, plus "uid" and
  // "zz".
  std::vector<std::string> index_paths = {"uid", "zz"};
  for (const std::string& x : kDocKeys) {
    index_paths.push_back(path_text({x}));
    for (const std::string& y : kDocKeys) index_paths.push_back(path_text({x, y}));
  }
  std::vector<DiffCollection> collections = {{"plain", {}, false},
                                             {"hash", {}, true},
                                             {"sorted", {}, false},
                                             {"array", {}, true},
                                             {"mixed", {}, false}};
  for (const std::string& p : index_paths) {
    collections[1].indexes.emplace_back(p, DocIndexType::kHash);
    collections[2].indexes.emplace_back(p, DocIndexType::kSorted);
    collections[3].indexes.emplace_back(p, DocIndexType::kArray);
    if (p == "uid") {
      collections[4].indexes.emplace_back(p, DocIndexType::kUnique);
    } else if (g.chance(70)) {
      static const DocIndexType kTypes[] = {DocIndexType::kHash, DocIndexType::kSorted,
                                            DocIndexType::kArray};
      collections[4].indexes.emplace_back(p, kTypes[g.below(3)]);
    }
  }
  auto create_indexes = [&](const DiffCollection& c) {
    for (const auto& [path, type] : c.indexes) {
      ASSERT_THAT(db.doc_create_index(c.name, path, type), IsOk()) << c.name << " " << path;
    }
    auto listed = db.doc_indexes(c.name);
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), c.indexes.size()) << c.name;
  };

  for (const DiffCollection& c : collections) {
    ASSERT_THAT(db.doc_create_collection(c.name, run.config), IsOk());
    if (c.index_before_load) create_indexes(c);
  }

  // The documents: ids of several shapes (bytewise order differs from numeric order).
  static const char* const kIdPrefixes[] = {"d", "D", "doc-", "\xc3\xa9", "z", "a b", "_"};
  std::vector<std::string> ids;
  std::vector<std::string> jsons;
  std::vector<rapidjson::Document> doms(kDocs);
  for (std::size_t i = 0; i < kDocs; ++i) {
    ids.push_back(kIdPrefixes[g.below(std::size(kIdPrefixes))] + std::to_string(i));
    std::string body = g.object(1);
    std::string uid;
    const std::size_t r = g.below(100);
    if (r < 40) {
      uid = std::to_string(i);
    } else if (r < 52) {
      uid = std::to_string(i) + ".0";
    } else if (r < 62) {
      uid = std::to_string(i) + ".5";
    } else if (r < 80) {
      uid = "\"u" + std::to_string(i) + "\"";
    } else if (r < 90) {
      uid = "null";
    }
    if (!uid.empty()) {
      body = body == "{}"
                 ? "{\"uid\":" + uid + "}"
                 : (g.chance(50) ? "{\"uid\":" + uid + "," + body.substr(1)
                                 : body.substr(0, body.size() - 1) + ",\"uid\":" + uid + "}");
    }
    jsons.push_back(body);
    doms[i] = parse_json(body);
  }
  for (const DiffCollection& c : collections) {
    for (std::size_t begin = 0; begin < kDocs; begin += 100) {
      std::vector<DocEntry> batch;
      for (std::size_t i = begin; i < std::min(kDocs, begin + 100); ++i) {
        batch.push_back({.id = ids[i], .json = jsons[i]});
      }
      auto r = db.doc_mset(c.name, batch);
      ASSERT_TRUE(r.ok()) << c.name << ": " << r.status().to_string();
    }
    if (!c.index_before_load) create_indexes(c);
  }
  // Every collection returns the same text for each document.
  std::map<std::string, std::string> stored;
  for (std::size_t i = 0; i < kDocs; ++i) {
    auto r = db.doc_get("plain", ids[i]);
    ASSERT_TRUE(r.ok() && r->has_value()) << ids[i];
    stored[ids[i]] = **r;
  }
  for (const DiffCollection& c : collections) {
    auto n = db.doc_count(c.name);
    ASSERT_TRUE(n.ok()) << n.status().to_string();
    ASSERT_EQ(*n, kDocs) << c.name;
  }

  QueryGen qg(g);
  int failures = 0;
  auto fail = [&](const std::string& message) {
    if (failures++ < 12) ADD_FAILURE() << message;
  };
  auto doc_lines = [&](const Ids& some) {
    std::string s;
    for (std::size_t i = 0; i < some.size() && i < 3; ++i) {
      s += "\n    " + some[i] + ": " + stored[some[i]];
    }
    return s;
  };
  std::size_t matched = 0, total = 0, ordered_checks = 0;
  for (std::size_t n = 0; n < kQueries && failures < 12; ++n) {
    std::string text;
    const RefQuery ref = qg.make_top(text);
    std::vector<std::pair<std::string, const RValue*>> ref_hits;
    for (std::size_t i = 0; i < kDocs; ++i) {
      if (ref_eval(ref, doms[i])) ref_hits.emplace_back(ids[i], &doms[i]);
    }
    matched += ref_hits.size();
    total += kDocs;
    const Ids want = ref_page(ref_hits, {}, false, 0, std::nullopt);

    // A quarter of the queries also check an ordered, paged answer.
    const bool ordered = n % 4 == 0;
    DocFindOptions options;
    std::vector<std::string> order_path;
    if (ordered) {
      if (g.chance(85)) {
        order_path = g.chance(20) ? std::vector<std::string>{"uid"} : g.path();
        options.order_by = path_text(order_path);
      }
      options.descending = g.chance(50);
      if (g.chance(60)) options.limit = g.chance(5) ? 0 : 1 + g.below(40);
      if (g.chance(50)) options.offset = g.below(g.chance(80) ? 30 : 2000);
      if (n % 8 == 0) options.projection = {"uid", "a", "`a.b`.c", "zz"};
    }
    const std::vector<std::string_view> projection_views(options.projection.begin(),
                                                         options.projection.end());
    const Ids want_page =
        ordered && !order_path.empty()
            ? ref_page(ref_hits, order_path, options.descending, options.offset, options.limit)
            : Ids{};

    for (const DiffCollection& c : collections) {
      const std::string context =
          "collection " + c.name + ", query #" + std::to_string(n) + ": WHERE " + text;
      auto found = db.doc_find(c.name, text);
      if (!found.ok()) {
        fail(context + "\n  doc_find: " + found.status().to_string());
        continue;
      }
      const Ids got = sorted(ids_of(*found));
      if (got != want) {
        const Ids missing = minus(want, got), extra = minus(got, want);
        fail(context + "\n  expected " + std::to_string(want.size()) + " hits, got " +
             std::to_string(got.size()) + "\n  missing " + join(missing) + doc_lines(missing) +
             "\n  unexpected " + join(extra) + doc_lines(extra));
      }
      for (const DocHit& h : *found) {
        auto it = stored.find(h.id);
        if (it == stored.end() || it->second != h.json) {
          fail(context + "\n  hit " + h.id + " json " + h.json + " != doc_get's " +
               (it == stored.end() ? "<none>" : it->second));
          break;
        }
      }
      auto count = db.doc_count(c.name, text);
      if (!count.ok() || *count != want.size()) {
        fail(context + "\n  doc_count " +
             (count.ok() ? std::to_string(*count) : count.status().to_string()) + ", expected " +
             std::to_string(want.size()));
      }
      if (!ordered) continue;
      ++ordered_checks;
      auto page = db.doc_find(c.name, text, options);
      const std::string opt_text = "\n  order_by '" + options.order_by + "'" +
                                   (options.descending ? " DESC" : "") + " offset " +
                                   std::to_string(options.offset) + " limit " +
                                   (options.limit ? std::to_string(*options.limit) : "-");
      if (!page.ok()) {
        fail(context + opt_text + "\n  " + page.status().to_string());
        continue;
      }
      const Ids got_page = ids_of(*page);
      // Projected hits are doc_get's projection of the same document.
      for (std::size_t k = 0; k < page->size() && k < 8 && !options.projection.empty(); ++k) {
        auto want_json = db.doc_get(c.name, (*page)[k].id, projection_views);
        if (!want_json.ok() || !want_json->has_value() || **want_json != (*page)[k].json) {
          fail(context + opt_text + "\n  projected hit " + (*page)[k].id + " " + (*page)[k].json +
               " != doc_get's " + (want_json.ok() ? want_json->value_or("<none>") : "<error>"));
          break;
        }
      }
      if (!order_path.empty()) {
        if (got_page != want_page) {
          fail(context + opt_text + "\n  expected " + join(want_page, 40) + "\n  got      " +
               join(got_page, 40));
        }
      } else {
        // Unspecified order: the page is a slice of the full answer, of the right size.
        const std::size_t begin =
            static_cast<std::size_t>(std::min<std::uint64_t>(options.offset, want.size()));
        std::size_t size = want.size() - begin;
        if (options.limit) size = std::min<std::size_t>(size, *options.limit);
        Ids distinct = sorted(got_page);
        distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
        if (got_page.size() != size || distinct.size() != size || !minus(got_page, want).empty()) {
          fail(context + opt_text + "\n  expected " + std::to_string(size) +
               " distinct hits of the full answer, got " + join(got_page, 40));
        }
      }
    }
  }
  // The generator matches sometimes and misses sometimes.
  EXPECT_GT(matched, total / 20);
  EXPECT_LT(matched, total - total / 20);
  EXPECT_GT(ordered_checks, 0u);

  // Dropping every index leaves the answers unchanged too.
  for (const DiffCollection& c : collections) {
    for (const auto& [path, type] : c.indexes) {
      ASSERT_THAT(db.doc_drop_index(c.name, path), IsOk()) << c.name << " " << path;
    }
    EXPECT_TRUE(db.doc_indexes(c.name)->empty());
  }
  for (std::size_t n = 0; n < kQueries / 10 && failures < 12; ++n) {
    std::string text;
    const RefQuery ref = qg.make_top(text);
    Ids want;
    for (std::size_t i = 0; i < kDocs; ++i) {
      if (ref_eval(ref, doms[i])) want.push_back(ids[i]);
    }
    want = sorted(want);
    for (const DiffCollection& c : collections) {
      auto found = db.doc_find(c.name, text);
      if (!found.ok() || sorted(ids_of(*found)) != want) {
        fail("after dropping the indexes, collection " + c.name + ": WHERE " + text);
      }
    }
  }
}

DocCollectionConfig collection_config(std::uint32_t max_terms, std::uint32_t min_bytes = 4) {
  DocCollectionConfig c;
  c.max_interned_terms_per_field = max_terms;
  c.min_interned_term_bytes = min_bytes;
  return c;
}

TEST(DatabaseDocQueryDifferentialTest, ThreeShardsDefaultInterning) {
  run_differential({0x6b6f7261'5155ULL, 3, collection_config(10'000), kSanitized ? 500u : 1500u,
                    kSanitized ? 300u : 1200u});
}
TEST(DatabaseDocQueryDifferentialTest, OneShardFieldsStopInterningMidway) {
  run_differential({0x6b6f7261'5156ULL, 1, collection_config(3), kSanitized ? 300u : 700u,
                    kSanitized ? 150u : 400u});
}
TEST(DatabaseDocQueryDifferentialTest, TwoShardsNothingInterned) {
  run_differential({0x6b6f7261'5157ULL, 2, collection_config(0), kSanitized ? 300u : 700u,
                    kSanitized ? 150u : 400u});
}
TEST(DatabaseDocQueryDifferentialTest, FourShardsShortStringsInterned) {
  run_differential({0x6b6f7261'5158ULL, 4, collection_config(12, 1), kSanitized ? 300u : 700u,
                    kSanitized ? 150u : 400u});
}

// ==== 2. Interleaved writes and queries against a model ================================

struct ModelDoc {
  std::string json;
  rapidjson::Document dom;
  std::optional<std::int64_t> expires_at;
};

class Interleaved {
 public:
  Interleaved(Database& db, ManualClock& clock, std::string collection, std::uint64_t seed)
      : db_(db),
        clock_(clock),
        c_(std::move(collection)),
        g_(seed, {"a", "b", "c", "n", "o", "p", "q", "uid", "zz"}) {
    std::vector<std::string> uid_literals = uid_pool_;
    uid_literals.push_back("7.5");
    g_.set_field_literals("uid", uid_literals);
    for (int i = 0; i < 40; ++i) {
      char buf[16];
      std::snprintf(buf, sizeof(buf), "doc-%02d", i);
      id_pool_.emplace_back(buf);
    }
  }

  void run(int steps) {
    ASSERT_THAT(db_.doc_create_index(c_, "a", DocIndexType::kHash), IsOk());
    ASSERT_THAT(db_.doc_create_index(c_, "c", DocIndexType::kArray), IsOk());
    ASSERT_THAT(db_.doc_create_index(c_, "uid", DocIndexType::kUnique), IsOk());
    ASSERT_THAT(db_.doc_create_index(c_, "o.p", DocIndexType::kHash), IsOk());
    for (int step = 0; step < steps && !::testing::Test::HasFatalFailure() && failures_ < 10;
         ++step) {
      step_ = step;
      if (step == steps / 3) {
        ASSERT_THAT(db_.doc_create_index(c_, "b", DocIndexType::kSorted), IsOk());
        ASSERT_THAT(db_.doc_create_index(c_, "n", DocIndexType::kSorted), IsOk());
        ASSERT_THAT(db_.doc_create_index(c_, "o.q", DocIndexType::kArray), IsOk());
        ASSERT_THAT(db_.doc_create_index(c_, "o", DocIndexType::kHash), IsOk());
      }
      if (step == 2 * steps / 3) {
        ASSERT_THAT(db_.doc_drop_index(c_, "a"), IsOk());
        ASSERT_THAT(db_.doc_create_index(c_, "a", DocIndexType::kSorted), IsOk());
        ASSERT_THAT(db_.doc_drop_index(c_, "c"), IsOk());
      }
      one_write();
      if (step % 4 == 3) check_queries(3);
    }
    check_queries(20);
    auto storage = db_.doc_storage_info(c_);
    ASSERT_TRUE(storage.ok());
    EXPECT_GT(storage->compactions, 0u);
    EXPECT_EQ(storage->doc_count, model_.size());
    for (const char* what : {"set", "set-clash", "insert", "mset", "mset-clash", "update",
                             "update-clash", "del", "expire", "advance"}) {
      EXPECT_GT(ops_[what], 0) << what;
    }
  }

 private:
  std::int64_t now() const { return clock_.now(); }
  void purge() {
    for (auto it = model_.begin(); it != model_.end();) {
      if (it->second.expires_at && *it->second.expires_at <= now()) {
        expired_[it->first] =
            "expired at " + std::to_string(*it->second.expires_at) + ": " + it->second.json;
        it = model_.erase(it);
      } else {
        ++it;
      }
    }
  }
  // What the model knows of ids named in a message (expired documents, for one).
  std::string history(std::string_view message) const {
    std::string out;
    for (const auto& [id, what] : expired_) {
      if (message.find("'" + id + "'") != std::string_view::npos) {
        out += "\n    (" + id + " " + what + "; now " + std::to_string(now()) + ")";
      }
    }
    return out;
  }
  std::string ctx() const { return c_ + " step " + std::to_string(step_) + ": "; }
  void fail(const std::string& message) {
    if (failures_++ < 10) ADD_FAILURE() << ctx() << message;
  }

  std::string uid_value() { return g_.pick(uid_pool_); }
  std::string scalar_array() {
    std::string s = "[";
    for (std::size_t i = 0, n = g_.below(4); i < n; ++i) s += (i ? "," : "") + g_.scalar();
    return s + "]";
  }
  std::string new_document() {
    std::vector<std::string> fields;
    if (g_.chance(85)) fields.push_back("\"a\":" + (g_.chance(85) ? g_.scalar() : g_.value(2)));
    if (g_.chance(80)) {
      fields.push_back("\"b\":" + (g_.chance(50) ? g_.pick(kNumberPool) : g_.pick(kStringPool)));
    }
    if (g_.chance(70)) fields.push_back("\"c\":" + scalar_array());
    if (g_.chance(70)) fields.push_back("\"n\":" + std::to_string(g_.below(11)));
    if (g_.chance(70)) {
      std::string o = "{";
      if (g_.chance(70)) o += "\"p\":" + g_.scalar();
      if (g_.chance(60)) o += std::string(o.size() > 1 ? "," : "") + "\"q\":" + scalar_array();
      fields.push_back("\"o\":" + o + "}");
    }
    if (g_.chance(55)) fields.push_back("\"uid\":" + uid_value());
    std::shuffle(fields.begin(), fields.end(), g_.rng());
    std::string s = "{";
    for (std::size_t i = 0; i < fields.size(); ++i) s += (i ? "," : "") + fields[i];
    return s + "}";
  }

  // The uid a document would hold, as compact JSON; nullopt: none that can clash
  // (missing or null).
  static std::optional<std::string> clash_key(const RValue& doc) {
    const RValue* v = ref_resolve(doc, {"uid"});
    if (v == nullptr || v->IsNull() || v->IsArray() || v->IsObject()) return std::nullopt;
    // Numbers by value: the key is the long double's bits written out.
    if (v->IsNumber()) {
      char buf[64];
      long double x = number_of(*v);
      if (x == 0) x = 0;  // -0.0 = 0
      std::snprintf(buf, sizeof(buf), "n:%.25Lg", x);
      return std::string(buf);
    }
    return ref_json(*v);
  }
  // The live document (not `except`) holding this uid.
  std::optional<std::string> holder(const std::optional<std::string>& key,
                                    const std::string& except) const {
    if (!key) return std::nullopt;
    for (const auto& [id, doc] : model_) {
      if (id != except && clash_key(doc.dom) == key) return id;
    }
    return std::nullopt;
  }

  Opt engine_get(const std::string& id) {
    auto r = db_.doc_get(c_, id);
    if (!r.ok()) {
      fail("doc_get " + id + ": " + r.status().to_string());
      return Opt("<error>");
    }
    return *r;
  }
  void store_from_engine(const std::string& id, std::optional<std::int64_t> expires_at) {
    const Opt json = engine_get(id);
    if (!json) {
      fail("document " + id + " missing after a successful write");
      model_.erase(id);
      return;
    }
    ModelDoc& d = model_[id];
    d.json = *json;
    d.dom = parse_json(*json);
    d.expires_at = expires_at;
  }
  void expect_unchanged(const std::string& id, const std::string& what) {
    auto it = model_.find(id);
    const Opt want = it == model_.end() ? Opt() : Opt(it->second.json);
    const Opt got = engine_get(id);
    if (got != want) fail(what + ": document " + id + " changed to " + got.value_or("<none>"));
  }
  void expect_clash(const Status& s, const std::vector<std::string>& holders,
                    const std::string& what) {
    if (s.code() != EC::kConstraintViolation) {
      fail(what + ": expected ConstraintViolation, got " + s.to_string());
      return;
    }
    for (const std::string& h : holders) {
      if (s.message().find(h) != std::string_view::npos) return;
    }
    fail(what + ": the message '" + std::string(s.message()) + "' names none of " + join(holders));
  }

  std::optional<milliseconds> maybe_ttl(int percent) {
    if (!g_.chance(percent)) return std::nullopt;
    return milliseconds(20 + static_cast<std::int64_t>(g_.below(600)));
  }
  std::optional<std::int64_t> expiry(std::optional<milliseconds> ttl) const {
    if (!ttl) return std::nullopt;
    return now() + ttl->count();
  }

  void one_write() {
    purge();
    const std::size_t r = g_.below(100);
    const std::string id = g_.pick(id_pool_);
    if (r < 24) {
      do_set(id);
    } else if (r < 30) {
      do_insert();
    } else if (r < 38) {
      const bool existed = model_.count(id) != 0;
      auto del = db_.doc_del(c_, id);
      ++ops_["del"];
      if (!del.ok() || *del != existed) {
        fail("doc_del " + id + ": " + (del.ok() ? std::to_string(*del) : del.status().to_string()));
      }
      model_.erase(id);
    } else if (r < 48) {
      do_mset();
    } else if (r < 80) {
      do_update(id);
    } else if (r < 88) {
      const bool existed = model_.count(id) != 0;
      const milliseconds ttl(g_.chance(15) ? 0 : 1 + static_cast<std::int64_t>(g_.below(400)));
      auto e = db_.doc_expire(c_, id, ttl);
      ++ops_["expire"];
      if (!e.ok() || *e != existed) {
        fail("doc_expire " + id + ": " + (e.ok() ? std::to_string(*e) : e.status().to_string()));
      }
      if (existed) {
        if (ttl.count() <= 0) {
          model_.erase(id);
        } else {
          model_[id].expires_at = now() + ttl.count();
        }
      }
    } else if (r < 91) {
      const bool had_ttl = model_.count(id) != 0 && model_[id].expires_at.has_value();
      auto p = db_.doc_persist(c_, id);
      if (!p.ok() || *p != had_ttl) fail("doc_persist " + id);
      if (had_ttl) model_[id].expires_at.reset();
    } else if (r < 98) {
      clock_.advance(static_cast<std::int64_t>(g_.below(250)));
      ++ops_["advance"];
    } else {
      EXPECT_THAT(db_.doc_compact(c_), IsOk());
    }
  }

  void do_set(const std::string& id) {
    const std::string json = new_document();
    const rapidjson::Document dom = parse_json(json);
    const auto ttl = maybe_ttl(20);
    const auto h = holder(clash_key(dom), id);
    const bool existed = model_.count(id) != 0;
    auto s = db_.doc_set(c_, id, json, DocWriteOptions{.ttl = ttl});
    const std::string what = "doc_set " + id + " " + json;
    if (h) {
      ++ops_["set-clash"];
      expect_clash(s.status(), {*h}, what);
      expect_unchanged(id, what);
      return;
    }
    ++ops_["set"];
    if (!s.ok()) {
      fail(what + ": " + s.status().to_string() + history(s.status().message()));
      return;
    }
    if (s->created == existed) fail(what + ": created " + std::to_string(s->created));
    store_from_engine(id, expiry(ttl));
  }

  void do_insert() {
    const std::string json = new_document();
    const rapidjson::Document dom = parse_json(json);
    const auto ttl = maybe_ttl(10);
    const auto h = holder(clash_key(dom), "");
    const std::uint64_t before = model_.size();
    auto s = db_.doc_insert(c_, json, DocWriteOptions{.ttl = ttl});
    const std::string what = "doc_insert " + json;
    if (h) {
      ++ops_["set-clash"];
      expect_clash(s.status(), {*h}, what);
      auto n = db_.doc_count(c_);
      if (!n.ok() || *n != before) fail(what + ": the count moved");
      return;
    }
    ++ops_["insert"];
    if (!s.ok()) {
      fail(what + ": " + s.status().to_string() + history(s.status().message()));
      return;
    }
    store_from_engine(s->id, expiry(ttl));
  }

  void do_mset() {
    std::vector<std::string> batch_ids, batch_jsons;
    std::vector<std::optional<milliseconds>> ttls;
    for (std::size_t n = 1 + g_.below(4); n > 0; --n) {
      batch_ids.push_back(g_.chance(20) && !batch_ids.empty() ? batch_ids.front()
                                                              : g_.pick(id_pool_));
      batch_jsons.push_back(new_document());
      ttls.push_back(maybe_ttl(15));
    }
    // Uniqueness applied entry by entry, and on the final state: the batch is only sent
    // when both agree (the order of checks within a batch is not part of the contract).
    std::map<std::string, std::optional<std::string>> keys;  // id -> clash key
    for (const auto& [mid, doc] : model_) keys[mid] = clash_key(doc.dom);
    std::vector<std::string> holders;
    bool sequential_clash = false;
    {
      auto state = keys;
      for (std::size_t i = 0; i < batch_ids.size() && !sequential_clash; ++i) {
        const auto key = clash_key(parse_json(batch_jsons[i]));
        for (const auto& [hid, hkey] : state) {
          if (hid != batch_ids[i] && key && hkey == key) {
            sequential_clash = true;
            holders.push_back(hid);
            holders.push_back(batch_ids[i]);
          }
        }
        state[batch_ids[i]] = key;
      }
    }
    bool final_clash = false;
    {
      auto state = keys;
      for (std::size_t i = 0; i < batch_ids.size(); ++i) {
        state[batch_ids[i]] = clash_key(parse_json(batch_jsons[i]));
      }
      std::map<std::string, std::string> seen;
      for (const auto& [sid, key] : state) {
        if (!key) continue;
        auto [it, fresh] = seen.emplace(*key, sid);
        if (!fresh) {
          final_clash = true;
          holders.push_back(it->second);
          holders.push_back(sid);
        }
      }
    }
    if (sequential_clash != final_clash) return;
    std::vector<DocEntry> entries;
    std::string what = "doc_mset";
    for (std::size_t i = 0; i < batch_ids.size(); ++i) {
      entries.push_back({.id = batch_ids[i], .json = batch_jsons[i], .ttl = ttls[i]});
      what += "\n    " + batch_ids[i] + " " + batch_jsons[i];
    }
    auto s = db_.doc_mset(c_, entries);
    if (final_clash) {
      ++ops_["mset-clash"];
      expect_clash(s.status(), holders, what);
      for (const std::string& bid : batch_ids) expect_unchanged(bid, what);
      return;
    }
    ++ops_["mset"];
    if (!s.ok()) {
      fail(what + ": " + s.status().to_string() + history(s.status().message()));
      return;
    }
    for (std::size_t i = 0; i < batch_ids.size(); ++i) {
      bool last = true;
      for (std::size_t j = i + 1; j < batch_ids.size(); ++j)
        last = last && batch_ids[j] != batch_ids[i];
      if (last) store_from_engine(batch_ids[i], expiry(ttls[i]));
    }
  }

  void do_update(const std::string& id) {
    auto it = model_.find(id);
    std::vector<M> list;
    std::string what = "doc_update " + id + ":";
    // The uid after the list, as JSON text ("" for missing).
    std::string uid;
    if (it != model_.end()) {
      const RValue* v = ref_resolve(it->second.dom, {"uid"});
      if (v != nullptr) uid = ref_json(*v);
    }
    // Element positions of c are only known until the list changes c.
    const RValue* c_array = it == model_.end() ? nullptr : ref_resolve(it->second.dom, {"c"});
    for (std::size_t n = 1 + g_.below(3); n > 0; --n) {
      const std::size_t kind = g_.below(14);
      const RValue* c_now = c_array;
      if (kind == 3 || kind == 5 || kind == 6 || kind == 7) c_array = nullptr;
      switch (kind) {
        case 0:
          list.push_back(M::set("a", g_.chance(80) ? g_.scalar() : g_.value(2)));
          break;
        case 1:
          list.push_back(M::set("b", g_.chance(50) ? g_.pick(kNumberPool) : g_.pick(kStringPool)));
          break;
        case 2:
          list.push_back(M::set("o.p", g_.scalar()));
          break;
        case 3: {
          static const char* const kPaths[] = {"a", "b", "c", "n", "o", "o.p", "o.q", "zz"};
          list.push_back(M::del(kPaths[g_.below(std::size(kPaths))]));
          break;
        }
        case 4:
          if (g_.chance(70)) {
            list.push_back(M::incr("n", static_cast<std::int64_t>(g_.below(7)) - 3));
          } else {
            list.push_back(M::incr("n", 0.5));
          }
          break;
        case 5:
          list.push_back(M::push(g_.chance(60) ? "c" : "o.q", g_.scalar()));
          break;
        case 6:
          if (c_now != nullptr && c_now->IsArray() && c_now->Size() > 0 && g_.chance(70)) {
            const RValue& e = (*c_now)[static_cast<rapidjson::SizeType>(g_.below(c_now->Size()))];
            list.push_back(M::pull("c", ref_json(e)));
          } else {
            list.push_back(M::pull(g_.chance(60) ? "c" : "o.q", g_.scalar()));
          }
          break;
        case 7:
          if (c_now != nullptr && c_now->IsArray() && c_now->Size() > 0) {
            list.push_back(M::set("c." + std::to_string(g_.below(c_now->Size())), g_.scalar()));
          } else {
            list.push_back(M::set("c", scalar_array()));
          }
          break;
        case 8:
        case 9:
        case 10: {
          const std::string v = uid_value();
          list.push_back(M::set("uid", v));
          uid = ref_json(parse_json(v));
          break;
        }
        case 11:
          list.push_back(M::del("uid"));
          uid.clear();
          break;
        default: {
          std::string patch = "{";
          if (g_.chance(60)) patch += "\"a\":" + g_.scalar() + ",";
          if (g_.chance(40))
            patch += std::string("\"o\":{\"p\":") + (g_.chance(30) ? "null" : g_.scalar()) + "},";
          if (g_.chance(70)) {
            if (g_.chance(25)) {
              patch += "\"uid\":null,";
              uid.clear();
            } else {
              const std::string v = uid_value();
              patch += "\"uid\":" + v + ",";
              uid = v == "null" ? "" : ref_json(parse_json(v));  // a merge's null deletes
            }
          }
          if (patch.size() > 1) patch.pop_back();
          list.push_back(M::merge(patch + "}"));
          break;
        }
      }
      what += "\n    kind " + std::to_string(static_cast<int>(list.back().kind())) + " '" +
              list.back().path() + "' " + list.back().json();
    }
    auto s = db_.doc_update(c_, id, list);
    if (it == model_.end()) {
      if (!s.ok() || *s) fail(what + ": on a missing document: " + s.status().to_string());
      return;
    }
    std::optional<std::string> key;
    if (!uid.empty()) {
      const rapidjson::Document doc = parse_json("{\"uid\":" + uid + "}");
      key = clash_key(doc);
    }
    const auto h = holder(key, id);
    if (h) {
      ++ops_["update-clash"];
      expect_clash(s.status(), {*h}, what);
      expect_unchanged(id, what);
      return;
    }
    ++ops_["update"];
    if (!s.ok() || !*s) {
      fail(what + ": " + s.status().to_string() + history(s.status().message()));
      return;
    }
    const std::optional<std::int64_t> expires_at = it->second.expires_at;
    store_from_engine(id, expires_at);
    auto now_it = model_.find(id);
    if (now_it != model_.end()) {
      const RValue* v = ref_resolve(now_it->second.dom, {"uid"});
      if ((v == nullptr ? std::string() : ref_json(*v)) != uid) {
        fail(what + ": uid is " + now_it->second.json + ", the test expected '" + uid + "'");
      }
    }
  }

  void check_queries(int n) {
    purge();
    auto all = db_.doc_count(c_);
    if (!all.ok() || *all != model_.size()) {
      fail("doc_count() " + (all.ok() ? std::to_string(*all) : all.status().to_string()) +
           ", model " + std::to_string(model_.size()));
    }
    QueryGen qg(g_);
    for (int i = 0; i < n; ++i) {
      std::string text;
      const RefQuery ref = qg.make_top(text);
      std::vector<std::pair<std::string, const RValue*>> hits;
      for (const auto& [id, doc] : model_) {
        if (ref_eval(ref, doc.dom)) hits.emplace_back(id, &doc.dom);
      }
      const Ids want = ref_page(hits, {}, false, 0, std::nullopt);
      auto found = db_.doc_find(c_, text);
      if (!found.ok()) {
        fail("WHERE " + text + ": " + found.status().to_string());
        continue;
      }
      const Ids got = sorted(ids_of(*found));
      if (got != want) {
        fail("WHERE " + text + "\n  missing " + join(minus(want, got)) + "\n  unexpected " +
             join(minus(got, want)));
      }
      for (const DocHit& h : *found) {
        auto m = model_.find(h.id);
        if (m != model_.end() && m->second.json != h.json) {
          fail("WHERE " + text + ": hit " + h.id + " json " + h.json + ", doc_get gave " +
               m->second.json);
        }
      }
      auto count = db_.doc_count(c_, text);
      if (!count.ok() || *count != want.size()) {
        fail("doc_count WHERE " + text + ": " +
             (count.ok() ? std::to_string(*count) : count.status().to_string()) + ", expected " +
             std::to_string(want.size()));
      }
      if (i % 3 == 0) {
        static const std::vector<std::vector<std::string>> kOrderPaths = {
            {"a"}, {"b"}, {"n"}, {"uid"}, {"o", "p"}, {"c"}, {"o"}, {"zz"}};
        const std::vector<std::string>& path = g_.pick(kOrderPaths);
        DocFindOptions options{.order_by = path_text(path), .descending = g_.chance(50)};
        if (g_.chance(60)) options.limit = g_.below(15);
        options.offset = g_.chance(50) ? g_.below(10) : 0;
        const Ids want_page =
            ref_page(hits, path, options.descending, options.offset, options.limit);
        auto page = db_.doc_find(c_, text, options);
        if (!page.ok() || ids_of(*page) != want_page) {
          fail("WHERE " + text + " ORDER BY " + options.order_by +
               (options.descending ? " DESC" : "") + " offset " + std::to_string(options.offset) +
               " limit " + (options.limit ? std::to_string(*options.limit) : "-") +
               "\n  expected " + join(want_page, 30) + "\n  got      " +
               (page.ok() ? join(ids_of(*page), 30) : page.status().to_string()));
        }
      }
    }
  }

  Database& db_;
  ManualClock& clock_;
  std::string c_;
  Generator g_;
  std::vector<std::string> id_pool_;
  const std::vector<std::string> uid_pool_ = {"1",
                                              "1.0",
                                              "2",
                                              "3",
                                              "4",
                                              "5",
                                              "6",
                                              "7",
                                              "7.0",
                                              "30",
                                              "30.0",
                                              "-0.0",
                                              "0",
                                              "0.5",
                                              "-1",
                                              "\"k1\"",
                                              "\"k2\"",
                                              "\"k3\"",
                                              "\"k4\"",
                                              "\"k5\"",
                                              "\"k6\"",
                                              "\"abcd\"",
                                              "\"abcd \"",
                                              "\"abcde\"",
                                              "null",
                                              "null",
                                              "true",
                                              "false",
                                              "18446744073709551615",
                                              "9007199254740993",
                                              "9007199254740992.0",
                                              "9007199254740992",
                                              "\"1\"",
                                              "\"\""};
  std::map<std::string, ModelDoc> model_;
  std::map<std::string, std::string> expired_;  // id -> when and what
  std::map<std::string, int> ops_;
  int failures_ = 0;
  int step_ = 0;
};

class DatabaseDocQueryTest : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  void SetUp() override {
    auto db = open_db(GetParam(), clock_);
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(db).value();
    ASSERT_THAT(db_->doc_create_collection("c"), IsOk());
  }

  void put(std::string_view id, std::string_view json, DocWriteOptions options = {}) {
    auto r = db_->doc_set("c", id, json, options);
    ASSERT_TRUE(r.ok()) << r.status().to_string() << " for " << id << " " << json;
  }
  Opt get(std::string_view id) {
    auto r = db_->doc_get("c", id);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : Opt("<error>");
  }
  // The ids doc_find returns, in its order ("<error: ...>" on failure).
  Ids find(std::string_view where, const DocFindOptions& options = {},
           std::string_view collection = "c") {
    auto r = db_->doc_find(collection, where, options);
    if (!r.ok()) return {"<error: " + r.status().to_string() + ">"};
    return ids_of(*r);
  }
  Ids find_sorted(std::string_view where) { return sorted(find(where)); }
  std::uint64_t count(std::string_view where = {}) {
    auto r = db_->doc_count("c", where);
    EXPECT_TRUE(r.ok()) << where << ": " << r.status().to_string();
    return r.ok() ? *r : 999'999;
  }
  std::vector<DocIndexInfo> indexes(std::string_view collection = "c") {
    auto r = db_->doc_indexes(collection);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::vector<DocIndexInfo>{};
  }
  std::optional<DocIndexInfo> index_on(std::string_view path) {
    for (const DocIndexInfo& i : indexes()) {
      if (i.path == path) return i;
    }
    return std::nullopt;
  }
  std::uint64_t index_bytes() { return db_->doc_storage_info("c")->index_bytes; }
  // 200 seeded random queries (paths over `keys`): doc_find and doc_count give what the
  // reference finds among every document doc_find("") returns.
  void expect_queries_match_scan(std::uint64_t seed, std::vector<std::string> keys) {
    auto all = db_->doc_find("c", "");
    ASSERT_TRUE(all.ok());
    std::vector<std::pair<std::string, rapidjson::Document>> docs;
    for (const DocHit& h : *all) docs.emplace_back(h.id, parse_json(h.json));
    Generator g(seed, std::move(keys));
    QueryGen qg(g);
    for (int i = 0; i < 200; ++i) {
      std::string text;
      const RefQuery ref = qg.make_top(text);
      Ids want;
      for (const auto& [id, d] : docs) {
        if (ref_eval(ref, d)) want.push_back(id);
      }
      EXPECT_EQ(find_sorted(text), sorted(want)) << text;
      EXPECT_EQ(count(text), want.size()) << text;
    }
  }

  ManualClock clock_;
  std::unique_ptr<Database> db_;
};

INSTANTIATE_TEST_SUITE_P(Shards, DatabaseDocQueryTest, ::testing::Values(1u, 3u),
                         [](const auto& info) { return "shards" + std::to_string(info.param); });

TEST_P(DatabaseDocQueryTest, InterleavedWritesAndQueriesMatchTheModel) {
  const int kSteps = kSanitized ? 1000 : 5000;
  {
    SCOPED_TRACE("collection c");
    Interleaved run(*db_, clock_, "c", 0x51'0001 + GetParam());
    run.run(kSteps);
  }
  // Without the sweep's help: expired documents stay in memory (and in the indexes) until
  // they are touched, and must still be gone for every query and write.
  Config config{.shard_count = GetParam()};
  config.clock = clock_.source();
  config.expiry_sweep_interval = std::chrono::hours(1);
  auto lazy = Database::open(std::move(config));
  ASSERT_TRUE(lazy.ok()) << lazy.status().to_string();
  ASSERT_THAT((*lazy)->doc_create_collection(
                  "few", {.max_interned_terms_per_field = 3, .compaction_garbage_ratio = 0.05}),
              IsOk());
  ASSERT_THAT((*lazy)->doc_create_collection("inline", {.max_interned_terms_per_field = 0}),
              IsOk());
  {
    SCOPED_TRACE("collection few, no sweep");
    Interleaved run(**lazy, clock_, "few", 0x51'0002 + GetParam());
    run.run(kSteps / 2);
  }
  {
    SCOPED_TRACE("collection inline, no sweep");
    Interleaved run(**lazy, clock_, "inline", 0x51'0003 + GetParam());
    run.run(kSteps / 2);
  }
}

// ==== 3. Unique indexes ===================================================================

TEST_P(DatabaseDocQueryTest, UniqueRejectsEveryKindOfWriteAcrossShards) {
  ASSERT_THAT(db_->doc_create_index("c", "email", DocIndexType::kUnique), IsOk());
  put("holder-doc", R"({"email":"x@example.com","n":1})");
  put("other-doc", R"({"email":"other@example.com"})");
  const std::string other_before = *get("other-doc");
  auto unchanged = [&](const std::string& what) {
    EXPECT_EQ(count(), 2u) << what;
    EXPECT_EQ(find_sorted("email = 'x@example.com'"), Ids{"holder-doc"}) << what;
    EXPECT_EQ(count("email = 'x@example.com'"), 1u) << what;
    EXPECT_EQ(get("other-doc"), Opt(other_before)) << what;
    EXPECT_EQ(get("holder-doc"), Opt(R"({"email":"x@example.com","n":1})")) << what;
  };
  auto clash = [&](const Status& s, const std::string& what) {
    EXPECT_THAT(s, HasCode(EC::kConstraintViolation)) << what << ": " << s.to_string();
    EXPECT_NE(s.message().find("holder-doc"), std::string_view::npos)
        << what << ": the message does not name the holder: " << s.message();
  };
  // Many writers: with 3 shards some surely live on another shard than the holder.
  for (int i = 0; i < 12; ++i) {
    const std::string id = "writer-" + std::to_string(i);
    clash(db_->doc_set("c", id, R"({"email":"x@example.com"})").status(), "set " + id);
    EXPECT_EQ(get(id), std::nullopt);
    clash(db_->doc_set("c", id, R"({"email":"x@example.com"})", {.ttl = milliseconds(50)}).status(),
          "set with a TTL " + id);
  }
  unchanged("after sets");
  clash(db_->doc_insert("c", R"({"email":"x@example.com","v":2})").status(), "insert");
  unchanged("after insert");

  // A replace of another document to the held value.
  clash(db_->doc_set("c", "other-doc", R"({"email":"x@example.com"})").status(), "replace");
  unchanged("after replace");

  // mset: the whole batch is rejected, whichever entry clashes.
  {
    std::vector<DocEntry> batch = {{.id = "new-1", .json = R"({"email":"a@x"})"},
                                   {.id = "new-2", .json = R"({"email":"b@x"})"},
                                   {.id = "new-3", .json = R"({"email":"x@example.com"})"}};
    clash(db_->doc_mset("c", batch).status(), "mset");
    EXPECT_EQ(get("new-1"), std::nullopt);
    EXPECT_EQ(get("new-2"), std::nullopt);
    EXPECT_EQ(count("email = 'a@x' OR email = 'b@x'"), 0u);
    unchanged("after mset");
    // Two entries of the batch clash with each other.
    std::vector<DocEntry> inner = {{.id = "new-1", .json = R"({"email":"same@x"})"},
                                   {.id = "new-2", .json = R"({"email":"same@x"})"}};
    auto r = db_->doc_mset("c", inner);
    EXPECT_THAT(r, HasCode(EC::kConstraintViolation));
    EXPECT_TRUE(r.status().message().find("new-1") != std::string_view::npos ||
                r.status().message().find("new-2") != std::string_view::npos)
        << r.status().message();
    EXPECT_EQ(count("email = 'same@x'"), 0u);
    unchanged("after the inner clash");
  }
  // update: set, merge; nothing of the list applies.
  clash(
      db_->doc_update("c", "other-doc", {M::set("tag", "1"), M::set("email", R"("x@example.com")")})
          .status(),
      "update set");
  clash(
      db_->doc_update("c", "other-doc", {M::merge(R"({"email":"x@example.com","z":1})")}).status(),
      "update merge");
  unchanged("after updates");
  EXPECT_EQ(count("tag EXISTS OR z EXISTS"), 0u);

  // A document re-setting its own value is fine, in every way.
  EXPECT_FALSE(db_->doc_set("c", "holder-doc", R"({"email":"x@example.com","n":1})")->created);
  EXPECT_TRUE(*db_->doc_update("c", "holder-doc", {M::set("email", R"("x@example.com")")}));
  EXPECT_TRUE(*db_->doc_update("c", "holder-doc", {M::merge(R"({"email":"x@example.com"})")}));
  std::vector<DocEntry> self = {{.id = "holder-doc", .json = R"({"email":"x@example.com","n":1})"}};
  EXPECT_TRUE(db_->doc_mset("c", self).ok());
  unchanged("after self writes");
  // Swapping values inside one batch, applied in order: a -> free, then b takes a's.
  std::vector<DocEntry> swap = {{.id = "holder-doc", .json = R"({"email":"moved@x","n":1})"},
                                {.id = "other-doc", .json = R"({"email":"x@example.com"})"}};
  auto swapped = db_->doc_mset("c", swap);
  EXPECT_TRUE(swapped.ok()) << swapped.status().to_string();
  EXPECT_EQ(find("email = 'x@example.com'"), Ids{"other-doc"});
  EXPECT_EQ(find("email = 'moved@x'"), Ids{"holder-doc"});
  // A repeated id: the last entry wins, so the value its first entry named is not held
  // once the batch has applied, and a later entry may take it.
  std::vector<DocEntry> repeated = {{.id = "fresh-doc", .json = R"({"email":"taken@x"})"},
                                    {.id = "fresh-doc", .json = R"({"email":"kept@x"})"},
                                    {.id = "late-doc", .json = R"({"email":"taken@x"})"}};
  auto rep = db_->doc_mset("c", repeated);
  EXPECT_TRUE(rep.ok()) << rep.status().to_string();
  EXPECT_EQ(find("email = 'taken@x'"), Ids{"late-doc"});
  EXPECT_EQ(find("email = 'kept@x'"), Ids{"fresh-doc"});
}

TEST_P(DatabaseDocQueryTest, UniqueValuesAreFreedByDeleteUpdateAndExpiry) {
  ASSERT_THAT(db_->doc_create_index("c", "k", DocIndexType::kUnique), IsOk());
  auto takes = [&](const std::string& id, const std::string& json) {
    auto r = db_->doc_set("c", id, json);
    EXPECT_TRUE(r.ok()) << id << " " << json << ": " << r.status().to_string();
  };
  auto refused = [&](const std::string& id, const std::string& json, const std::string& holder) {
    auto r = db_->doc_set("c", id, json);
    EXPECT_THAT(r, HasCode(EC::kConstraintViolation)) << id << " " << json;
    EXPECT_NE(r.status().message().find(holder), std::string_view::npos) << r.status().message();
  };
  // Delete.
  takes("first-a", R"({"k":"v1"})");
  refused("second-b", R"({"k":"v1"})", "first-a");
  EXPECT_TRUE(*db_->doc_del("c", "first-a"));
  takes("second-b", R"({"k":"v1"})");
  refused("third-c", R"({"k":"v1"})", "second-b");
  // Update to another value (set, del, merge null, incr).
  EXPECT_TRUE(*db_->doc_update("c", "second-b", {M::set("k", R"("v2")")}));
  takes("third-c", R"({"k":"v1"})");
  refused("fourth-d", R"({"k":"v2"})", "second-b");
  EXPECT_TRUE(*db_->doc_update("c", "second-b", {M::del("k")}));
  takes("fourth-d", R"({"k":"v2"})");
  EXPECT_TRUE(*db_->doc_update("c", "fourth-d", {M::merge(R"({"k":null})")}));
  takes("fifth-e", R"({"k":"v2"})");
  takes("num-1", R"({"k":5})");
  refused("num-2", R"({"k":5.0})", "num-1");
  EXPECT_TRUE(*db_->doc_update("c", "num-1", {M::incr("k", 1)}));
  takes("num-2", R"({"k":5.0})");
  refused("num-3", R"({"k":6})", "num-1");
  auto inc = db_->doc_update("c", "num-2", {M::incr("k", 1)});  // 6.0 is held by num-1's 6
  EXPECT_THAT(inc, HasCode(EC::kConstraintViolation));
  EXPECT_NE(inc.status().message().find("num-1"), std::string_view::npos) << inc.status().message();
  EXPECT_EQ(get("num-2"), Opt(R"({"k":5.0})"));
  // Expiry: gone at its time, and its value free at once.
  put("ttl-holder", R"({"k":"v3"})", {.ttl = milliseconds(100)});
  refused("waiting", R"({"k":"v3"})", "ttl-holder");
  clock_.advance(99);
  refused("waiting", R"({"k":"v3"})", "ttl-holder");
  clock_.advance(1);
  takes("waiting", R"({"k":"v3"})");
  EXPECT_EQ(find("k = 'v3'"), Ids{"waiting"});
  // doc_expire with a TTL <= 0 deletes.
  EXPECT_TRUE(*db_->doc_expire("c", "waiting", milliseconds(0)));
  takes("after-expire", R"({"k":"v3"})");
  // A replace to another value frees the old one.
  takes("after-expire", R"({"k":"v4"})");
  takes("another", R"({"k":"v3"})");
  EXPECT_EQ(find_sorted("k IN ('v1', 'v2', 'v3', 'v4')"),
            (Ids{"after-expire", "another", "fifth-e", "third-c"}));
}

TEST_P(DatabaseDocQueryTest, UniqueComparesNumbersByValueAndIgnoresNullAndMissing) {
  ASSERT_THAT(db_->doc_create_index("c", "u", DocIndexType::kUnique), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "p.q", DocIndexType::kUnique), IsOk());
  for (int i = 0; i < 10; ++i) {
    put("null-" + std::to_string(i), R"({"u":null,"p":{"q":null}})");
    put("missing-" + std::to_string(i), R"({"v":1,"p":{}})");
    put("scalar-p-" + std::to_string(i), R"({"p":7})");  // p.q through a scalar: missing
  }
  EXPECT_EQ(count(), 30u);
  EXPECT_EQ(count("u = NULL"), 10u);
  auto refused = [&](const std::string& json, const std::string& holder) {
    auto r = db_->doc_set("c", "writer", json);
    EXPECT_THAT(r, HasCode(EC::kConstraintViolation)) << json;
    EXPECT_NE(r.status().message().find(holder), std::string_view::npos)
        << json << ": " << r.status().message();
    EXPECT_EQ(get("writer"), std::nullopt) << json;
  };
  auto accepted = [&](const std::string& id, const std::string& json) {
    auto r = db_->doc_set("c", id, json);
    EXPECT_TRUE(r.ok()) << json << ": " << r.status().to_string();
  };
  accepted("one-int", R"({"u":1})");
  refused(R"({"u":1.0})", "one-int");
  refused(R"({"u":1e0})", "one-int");
  accepted("one-and-half", R"({"u":1.5})");
  accepted("one-string", R"({"u":"1"})");  // another type
  accepted("one-true", R"({"u":true})");
  refused(R"({"u":true})", "one-true");
  accepted("one-false", R"({"u":false})");
  accepted("big-int", R"({"u":9007199254740993})");
  accepted("big-double", R"({"u":9007199254740992.0})");  // 2^53 != 2^53 + 1
  refused(R"({"u":9007199254740992})", "big-double");
  accepted("u64-max", R"({"u":18446744073709551615})");
  accepted("two-64", R"({"u":1.8446744073709552e19})");  // 2^64, not 2^64 - 1
  accepted("two-63", R"({"u":9223372036854775808})");
  refused(R"({"u":9.223372036854775808e18})", "two-63");
  accepted("zero", R"({"u":0})");
  refused(R"({"u":-0.0})", "zero");
  accepted("nested", R"({"p":{"q":"deep"}})");
  refused(R"({"p":{"q":"deep"}})", "nested");
  accepted("not-nested", R"({"q":"deep","p":{"r":"deep"}})");
  EXPECT_EQ(count("u = 1"), 1u);
  EXPECT_EQ(count("u EXISTS"), 10u + 11u);
}

TEST_P(DatabaseDocQueryTest, FailedWritesHoldNoUniqueValue) {
  ASSERT_THAT(db_->doc_create_index("c", "k", DocIndexType::kUnique), IsOk());
  put("holder", R"({"k":"held","s":"a string"})");
  put("writer", R"({"k":"mine","s":"a string"})");
  auto free_now = [&](const std::string& value, const std::string& what) {
    auto r = db_->doc_set("c", "probe-" + value, R"({"k":")" + value + R"("})");
    EXPECT_TRUE(r.ok()) << what << ": " << r.status().to_string();
    EXPECT_TRUE(*db_->doc_del("c", "probe-" + value));
  };
  // An update failing on a later mutation claims nothing.
  EXPECT_THAT(db_->doc_update("c", "writer", {M::set("k", R"("free-1")"), M::push("s", "1")}),
              HasCode(EC::kWrongType));
  EXPECT_EQ(get("writer"), Opt(R"({"k":"mine","s":"a string"})"));
  free_now("free-1", "after a failed update");
  EXPECT_THAT(db_->doc_update("c", "writer", {M::set("k", R"("free-1b")"), M::set("x", "{")}),
              HasCode(EC::kInvalidJson));
  free_now("free-1b", "after an update with bad JSON");
  // ... and its old value stays held.
  auto r = db_->doc_set("c", "other", R"({"k":"mine"})");
  EXPECT_THAT(r, HasCode(EC::kConstraintViolation));
  // An update of a missing document claims nothing.
  EXPECT_FALSE(*db_->doc_update("c", "ghost", {M::set("k", R"("free-2")")}));
  free_now("free-2", "after an update of a missing document");
  // A batch rejected for any reason claims nothing.
  std::vector<DocEntry> bad_json = {{.id = "b1", .json = R"({"k":"free-3"})"},
                                    {.id = "b2", .json = R"({"k":)"}};
  EXPECT_THAT(db_->doc_mset("c", bad_json), HasCode(EC::kInvalidJson));
  free_now("free-3", "after a batch with bad JSON");
  std::vector<DocEntry> clashing = {{.id = "b1", .json = R"({"k":"free-4"})"},
                                    {.id = "b2", .json = R"({"k":"held"})"}};
  EXPECT_THAT(db_->doc_mset("c", clashing), HasCode(EC::kConstraintViolation));
  free_now("free-4", "after a clashing batch");
  std::vector<DocEntry> bad_ttl = {{.id = "b1", .json = R"({"k":"free-5"})"},
                                   {.id = "b2", .json = "{}", .ttl = milliseconds(0)}};
  EXPECT_THAT(db_->doc_mset("c", bad_ttl), HasCode(EC::kInvalidArgument));
  free_now("free-5", "after a batch with a bad TTL");
  EXPECT_THAT(db_->doc_set("c", "b3", R"({"k":"free-6"})", {.ttl = milliseconds(-1)}),
              HasCode(EC::kInvalidArgument));
  free_now("free-6", "after a set with a bad TTL");
  std::string deep = R"({"k":"free-7","d":)";
  for (int i = 0; i < 200; ++i) deep += "[";
  for (int i = 0; i < 200; ++i) deep += "]";
  deep += "}";
  EXPECT_THAT(db_->doc_set("c", "b4", deep), HasCode(EC::kLimitExceeded));
  free_now("free-7", "after a set over the depth limit");
  EXPECT_EQ(count(), 2u);
  EXPECT_EQ(find_sorted("k EXISTS"), (Ids{"holder", "writer"}));
  // Dropping the index lets duplicates in; creating it again sees them.
  ASSERT_THAT(db_->doc_drop_index("c", "k"), IsOk());
  put("dup", R"({"k":"held"})");
  const Status again = db_->doc_create_index("c", "k", DocIndexType::kUnique);
  EXPECT_THAT(again, HasCode(EC::kConstraintViolation));
  EXPECT_TRUE(indexes().empty());
  EXPECT_TRUE(*db_->doc_del("c", "dup"));
  ASSERT_THAT(db_->doc_create_index("c", "k", DocIndexType::kUnique), IsOk());
  r = db_->doc_set("c", "dup", R"({"k":"held"})");
  EXPECT_THAT(r, HasCode(EC::kConstraintViolation));
  EXPECT_NE(r.status().message().find("holder"), std::string_view::npos) << r.status().message();
  // A dropped and re-created collection holds nothing.
  EXPECT_TRUE(*db_->doc_drop_collection("c"));
  ASSERT_THAT(db_->doc_create_collection("c"), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "k", DocIndexType::kUnique), IsOk());
  put("fresh", R"({"k":"held"})");
}

// Writers on several threads race for a few values: whatever interleaving, no value is
// ever held by two documents, and the index agrees with the documents afterwards.
TEST_P(DatabaseDocQueryTest, ConcurrentWritersNeverShareAUniqueValue) {
  ASSERT_THAT(db_->doc_create_index("c", "k", DocIndexType::kUnique), IsOk());
  constexpr int kThreads = 4;
  const int kWrites = kSanitized ? 300 : 1500;
  std::vector<std::thread> threads;
  std::atomic<int> clashes{0}, errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(0x7e57 + static_cast<std::uint64_t>(t));
      for (int i = 0; i < kWrites; ++i) {
        const std::string id = "doc" + std::to_string(rng() % 30);
        const std::string value = std::to_string(rng() % 12);
        const std::uint64_t op = rng() % 10;
        Status s;
        if (op < 5) {
          s = db_->doc_set("c", id, R"({"k":)" + value + R"(,"t":)" + std::to_string(t) + "}")
                  .status();
        } else if (op < 7) {
          s = db_->doc_update("c", id, {M::set("k", value + ".0")}).status();
        } else if (op < 8) {
          // DocEntry holds views: the strings must outlive the call.
          const std::string id_b = id + "b";
          const std::string json_a = R"({"k":)" + value + "}";
          const std::string json_b = R"({"k":"s)" + value + R"("})";
          std::vector<DocEntry> batch = {{.id = id, .json = json_a}, {.id = id_b, .json = json_b}};
          s = db_->doc_mset("c", batch).status();
        } else {
          s = db_->doc_del("c", id).status();
        }
        if (s.code() == EC::kConstraintViolation) {
          ++clashes;
        } else if (!s.ok()) {
          ++errors;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(clashes.load(), 0);
  auto all = db_->doc_find("c", "k EXISTS");
  ASSERT_TRUE(all.ok());
  std::map<std::string, std::string> holder_of;  // value (as stored) -> id
  for (const DocHit& h : *all) {
    const rapidjson::Document d = parse_json(h.json);
    const RValue* k = ref_resolve(d, {"k"});
    ASSERT_NE(k, nullptr);
    std::string key = k->IsNumber() ? std::to_string(static_cast<long long>(k->GetDouble()))
                                    : "s:" + std::string(string_of(*k));
    auto [it, fresh] = holder_of.emplace(key, h.id);
    EXPECT_TRUE(fresh) << "value " << key << " held by " << it->second << " and " << h.id;
  }
  // Every held value is refused to a newcomer, naming its holder; every other is free.
  for (int v = 0; v < 12; ++v) {
    for (const std::string& key : {std::to_string(v), "s:s" + std::to_string(v)}) {
      const std::string json =
          key.starts_with("s:") ? R"({"k":")" + key.substr(2) + R"("})" : R"({"k":)" + key + "}";
      auto r = db_->doc_set("c", "newcomer", json);
      auto it = holder_of.find(key);
      if (it != holder_of.end()) {
        EXPECT_THAT(r, HasCode(EC::kConstraintViolation)) << json;
        EXPECT_NE(r.status().message().find("'" + it->second + "'"), std::string_view::npos)
            << json << ": " << r.status().message();
        EXPECT_EQ(count("k = " + (key.starts_with("s:") ? "'" + key.substr(2) + "'" : key)), 1u);
      } else {
        EXPECT_TRUE(r.ok()) << json << ": " << r.status().to_string();
        EXPECT_TRUE(*db_->doc_del("c", "newcomer"));
      }
    }
  }
}

// Writers and readers on several threads, with indexes: every answer must be consistent
// with itself whatever the interleaving (each shard's part of a query is atomic): every
// hit matches the WHERE on its own returned JSON, hits are ordered by their own values,
// no id repeats and limits hold.
TEST_P(DatabaseDocQueryTest, ConcurrentQueriesAreConsistentWithTheirHits) {
  ASSERT_THAT(db_->doc_create_index("c", "a", DocIndexType::kHash), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "b", DocIndexType::kSorted), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "c", DocIndexType::kArray), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "`a.b`", DocIndexType::kSorted), IsOk());
  const int kWrites = kSanitized ? 400 : 2000;
  const int kQueries = kSanitized ? 100 : 400;
  std::atomic<int> failures{0};
  std::atomic<bool> writers_done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      Generator g(0xc0c0 + static_cast<std::uint64_t>(t), {"a"});
      for (int i = 0; i < kWrites; ++i) {
        const std::string id = "doc" + std::to_string(g.below(150));
        const std::size_t op = g.below(10);
        bool ok = true;
        if (op < 6) {
          ok = db_->doc_set("c", id, g.object(1)).ok();
        } else if (op < 8) {
          // c may hold a non-array (kWrongType): any outcome but an internal error is fine.
          auto r = db_->doc_update("c", id, {M::set("b", g.scalar()), M::push("c", g.scalar())});
          ok = r.ok() || r.status().code() == EC::kWrongType;
        } else if (op < 9) {
          ok = db_->doc_del("c", id).ok();
        } else {
          ok = db_->doc_compact("c").ok();
        }
        if (!ok) ++failures;
      }
    });
  }
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string> keys = kDocKeys;
      keys.push_back("zz");
      Generator g(0xbeef + static_cast<std::uint64_t>(t), keys);
      QueryGen qg(g);
      for (int i = 0; i < kQueries || !writers_done.load(); ++i) {
        if (i > 20 * kQueries) break;
        std::string text;
        const RefQuery ref = qg.make_top(text);
        DocFindOptions options;
        std::vector<std::string> order_path;
        if (g.chance(60)) {
          order_path = g.path();
          options.order_by = path_text(order_path);
          options.descending = g.chance(50);
        }
        if (g.chance(50)) options.limit = g.below(20);
        auto r = db_->doc_find("c", text, options);
        if (!r.ok()) {
          if (failures++ < 5) ADD_FAILURE() << text << ": " << r.status().to_string();
          continue;
        }
        if (options.limit && r->size() > *options.limit) {
          if (failures++ < 5) ADD_FAILURE() << text << ": over the limit";
        }
        std::vector<rapidjson::Document> docs;
        std::set<std::string> seen;
        for (const DocHit& h : *r) {
          docs.push_back(parse_json(h.json));
          if (!seen.insert(h.id).second && failures++ < 5) {
            ADD_FAILURE() << text << ": id " << h.id << " twice";
          }
          if (!ref_eval(ref, docs.back()) && failures++ < 5) {
            ADD_FAILURE() << "WHERE " << text << " returned " << h.id << " " << h.json;
          }
        }
        for (std::size_t k = 1; k < docs.size() && !order_path.empty(); ++k) {
          const RValue* x = ref_resolve(docs[k - 1], order_path);
          const RValue* y = ref_resolve(docs[k], order_path);
          int c = 0;
          if (x == nullptr || y == nullptr) {
            c = x == nullptr ? (y == nullptr ? 0 : 1) : -1;
          } else {
            c = ref_sort_compare(*x, *y);
            if (options.descending) c = -c;
          }
          if (c == 0) c = bytewise((*r)[k - 1].id, (*r)[k].id);
          if (c > 0 && failures++ < 5) {
            ADD_FAILURE() << "WHERE " << text << " ORDER BY " << options.order_by
                          << (options.descending ? " DESC" : "") << ": " << (*r)[k - 1].json << " ("
                          << (*r)[k - 1].id << ") before " << (*r)[k].json << " (" << (*r)[k].id
                          << ")";
          }
        }
      }
    });
  }
  threads[0].join();
  threads[1].join();
  writers_done = true;
  threads[2].join();
  threads[3].join();
  EXPECT_EQ(failures.load(), 0);
  // Quiet again: the indexes agree with a scan of the documents.
  expect_queries_match_scan(0xfeed, kDocKeys);
}

// Indexes created and dropped while other threads write and query: answers stay
// self-consistent, nothing fails but the expected codes, and once quiet the indexes that
// remain agree with a scan.
TEST_P(DatabaseDocQueryTest, IndexesChangeWhileWritersAndReadersRun) {
  const int kRounds = kSanitized ? 30 : 120;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  auto report = [&](const std::string& what) {
    if (failures++ < 5) ADD_FAILURE() << what;
  };
  std::vector<std::thread> threads;
  threads.emplace_back([&] {  // writer: u is unique per document, so unique indexes fit
    Generator g(0xa11, {"a"});
    while (!done.load()) {
      const std::size_t i = g.below(120);
      const std::string id = "doc" + std::to_string(i);
      if (g.chance(80)) {
        std::string body = g.object(1);
        body.insert(1, R"("u":)" + std::to_string(i) + (body == "{}" ? "" : ","));
        auto r = db_->doc_set("c", id, body);
        if (!r.ok()) report("doc_set " + body + ": " + r.status().to_string());
      } else {
        auto r = db_->doc_del("c", id);
        if (!r.ok()) report("doc_del: " + r.status().to_string());
      }
    }
  });
  threads.emplace_back([&] {  // reader
    std::vector<std::string> keys = kDocKeys;
    keys.push_back("u");
    Generator g(0xb22, keys);
    QueryGen qg(g);
    while (!done.load()) {
      std::string text;
      const RefQuery ref = qg.make_top(text);
      auto r = db_->doc_find("c", text);
      if (!r.ok()) {
        report("WHERE " + text + ": " + r.status().to_string());
        continue;
      }
      for (const DocHit& h : *r) {
        if (!ref_eval(ref, parse_json(h.json))) {
          report("WHERE " + text + " returned " + h.id + " " + h.json);
          break;
        }
      }
      auto n = db_->doc_count("c", text);
      if (!n.ok()) report("doc_count WHERE " + text + ": " + n.status().to_string());
    }
  });
  // This thread: create and drop indexes of every type.
  Generator g(0xc33, {});
  const std::vector<std::string> paths = {"a", "b", "c", "`a.b`", "a.b", "u"};
  std::set<std::string> present;
  for (int round = 0; round < kRounds; ++round) {
    const std::string& path = g.pick(paths);
    if (present.count(path) != 0) {
      EXPECT_THAT(db_->doc_drop_index("c", path), IsOk()) << path;
      present.erase(path);
    } else {
      static const DocIndexType kTypes[] = {DocIndexType::kHash, DocIndexType::kSorted,
                                            DocIndexType::kArray, DocIndexType::kUnique};
      const DocIndexType type =
          path == "u"
              ? g.pick(std::vector<DocIndexType>{DocIndexType::kUnique, DocIndexType::kSorted})
              : kTypes[g.below(3)];
      EXPECT_THAT(db_->doc_create_index("c", path, type), IsOk()) << path;
      present.insert(path);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  done = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<std::string> listed;
  for (const DocIndexInfo& info : indexes()) listed.insert(info.path);
  EXPECT_EQ(listed, present);
  std::vector<std::string> keys = kDocKeys;
  keys.push_back("u");
  expect_queries_match_scan(0xd44, keys);
}

TEST_P(DatabaseDocQueryTest, UniqueOverDuplicatesIsNotCreated) {
  put("dup-first", R"({"k":"same","n":1})");
  put("dup-second", R"({"k":"same","n":1.0})");
  put("lonely", R"({"k":"other","n":2})");
  put("nulls-1", R"({"k":null})");
  put("nulls-2", R"({"k":null})");
  const std::uint64_t bytes_before = index_bytes();
  for (const char* path : {"k", "n"}) {
    const Status s = db_->doc_create_index("c", path, DocIndexType::kUnique);
    EXPECT_THAT(s, HasCode(EC::kConstraintViolation)) << path;
    EXPECT_NE(s.message().find("dup-first"), std::string_view::npos) << s.message();
    EXPECT_NE(s.message().find("dup-second"), std::string_view::npos) << s.message();
  }
  EXPECT_TRUE(indexes().empty());
  EXPECT_EQ(index_bytes(), bytes_before);
  EXPECT_THAT(db_->doc_drop_index("c", "k"), HasCode(EC::kNotFound));
  // Nothing is enforced: duplicates may still be written.
  put("dup-third", R"({"k":"same"})");
  EXPECT_EQ(find_sorted("k = 'same'"), (Ids{"dup-first", "dup-second", "dup-third"}));
  // Another index type on the same path can be created now; and unique where it holds.
  EXPECT_THAT(db_->doc_create_index("c", "k", DocIndexType::kHash), IsOk());
  EXPECT_EQ(find_sorted("k = 'same'"), (Ids{"dup-first", "dup-second", "dup-third"}));
  // Null and missing never clash: with the duplicates gone, the unique index is created.
  EXPECT_TRUE(*db_->doc_del("c", "dup-second"));
  EXPECT_TRUE(*db_->doc_del("c", "dup-third"));
  EXPECT_THAT(db_->doc_create_index("c", "n", DocIndexType::kUnique), IsOk());
  EXPECT_THAT(db_->doc_create_index("c", "k", DocIndexType::kUnique), HasCode(EC::kAlreadyExists));
  EXPECT_THAT(db_->doc_drop_index("c", "k"), IsOk());
  EXPECT_THAT(db_->doc_create_index("c", "k", DocIndexType::kUnique), IsOk());
  ASSERT_EQ(indexes().size(), 2u);
  EXPECT_EQ(indexes()[0].type, DocIndexType::kUnique);
  EXPECT_EQ(indexes()[1].type, DocIndexType::kUnique);
  auto r = db_->doc_set("c", "late", R"({"n":2.0})");
  EXPECT_THAT(r, HasCode(EC::kConstraintViolation));
  EXPECT_NE(r.status().message().find("lonely"), std::string_view::npos) << r.status().message();
  put("late", R"({"k":null,"n":null})");
}

// Documents that expired but were never swept (the sweep is an hour away) are gone for
// index creation too: a unique index over an expired duplicate is created, and no index
// answers with expired documents.
TEST_P(DatabaseDocQueryTest, IndexesCreatedOverExpiredDocuments) {
  Config config{.shard_count = GetParam()};
  config.clock = clock_.source();
  config.expiry_sweep_interval = std::chrono::hours(1);
  auto lazy = Database::open(std::move(config));
  ASSERT_TRUE(lazy.ok()) << lazy.status().to_string();
  Database& db = **lazy;
  ASSERT_THAT(db.doc_create_collection("c"), IsOk());
  for (int i = 0; i < 20; ++i) {
    const std::string json = R"({"k":)" + std::to_string(i % 5) + R"(,"s":"v)" +
                             std::to_string(i % 3) + R"(","t":[)" + std::to_string(i % 4) + "]}";
    const std::string id = "doc" + std::to_string(i);
    if (i < 15) {
      ASSERT_TRUE(db.doc_set("c", id, json, {.ttl = milliseconds(50)}).ok());
    } else {
      ASSERT_TRUE(db.doc_set("c", id, json).ok());  // k = 0..4, each once
    }
  }
  clock_.advance(50);
  ASSERT_THAT(db.doc_create_index("c", "k", DocIndexType::kUnique), IsOk());
  ASSERT_THAT(db.doc_create_index("c", "s", DocIndexType::kHash), IsOk());
  ASSERT_THAT(db.doc_create_index("c", "t", DocIndexType::kArray), IsOk());
  auto ids = [&](std::string_view where, const DocFindOptions& options = {}) {
    auto r = db.doc_find("c", where, options);
    return r.ok() ? ids_of(*r) : Ids{"<error: " + r.status().to_string() + ">"};
  };
  auto n = [&](std::string_view where) {
    auto r = db.doc_count("c", where);
    return r.ok() ? *r : 999'999u;
  };
  EXPECT_EQ(n(""), 5u);
  EXPECT_EQ(n("k >= 0"), 5u);
  EXPECT_EQ(n("k = 1"), 1u);
  EXPECT_EQ(n("s = 'v0'"), 2u);  // doc15, doc18
  EXPECT_EQ(sorted(ids("s = 'v0'")), (Ids{"doc15", "doc18"}));
  EXPECT_EQ(n("t CONTAINS 3"), 2u);  // doc15, doc19
  EXPECT_EQ(sorted(ids("t CONTAINS 3")), (Ids{"doc15", "doc19"}));
  EXPECT_EQ(ids("", {.order_by = "k"}), (Ids{"doc15", "doc16", "doc17", "doc18", "doc19"}));
  EXPECT_EQ(n("NOT s = 'v0'"), 3u);
  // The unique index holds only the live documents' values.
  auto clash = db.doc_set("c", "new", R"({"k":2})");
  EXPECT_THAT(clash, HasCode(EC::kConstraintViolation));
  EXPECT_NE(clash.status().message().find("doc17"), std::string_view::npos)
      << clash.status().message();
  EXPECT_TRUE(db.doc_set("c", "new", R"({"k":5})").ok());
  if (GetParam() == 1) {
    auto list = db.doc_indexes("c");
    ASSERT_TRUE(list.ok());
    for (const DocIndexInfo& info : *list) {
      if (info.path == "k") {
        EXPECT_EQ(info.distinct_keys, 6u);
      }
    }
  }
}

// ==== 4. Index management ================================================================

TEST_P(DatabaseDocQueryTest, CreateListAndDropIndexes) {
  EXPECT_TRUE(indexes().empty());
  const std::uint64_t empty_bytes = index_bytes();
  put("d1", R"({"a":1,"b":"x","x.y":{"z":[1,2]},"u":"one","o":{"p":1}})");
  put("d2", R"({"a":"s","b":2,"x.y":{"z":[3]},"u":"two","o":[1]})");
  const std::uint64_t no_index = index_bytes();

  ASSERT_THAT(db_->doc_create_index("c", "b", DocIndexType::kSorted), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "a", DocIndexType::kHash), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "`x.y`.z", DocIndexType::kArray), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "u", DocIndexType::kUnique), IsOk());
  // Any type on any path, whatever it holds (objects, arrays, nothing at all).
  ASSERT_THAT(db_->doc_create_index("c", "o", DocIndexType::kSorted), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "nothing.here", DocIndexType::kArray), IsOk());
  const std::vector<DocIndexInfo> list = indexes();
  ASSERT_EQ(list.size(), 6u);
  // Sorted by path, bytewise: '`' (0x60) sorts before 'a'.
  const std::vector<std::pair<std::string, DocIndexType>> want = {
      {"`x.y`.z", DocIndexType::kArray}, {"a", DocIndexType::kHash},
      {"b", DocIndexType::kSorted},      {"nothing.here", DocIndexType::kArray},
      {"o", DocIndexType::kSorted},      {"u", DocIndexType::kUnique}};
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(list[i].path, want[i].first) << i;
    EXPECT_EQ(list[i].type, want[i].second) << list[i].path;
  }
  for (const DocIndexInfo& info : list) {
    if (info.path != "nothing.here" && info.path != "o") {
      EXPECT_GT(info.bytes, 0u) << info.path;
      EXPECT_GT(info.distinct_keys, 0u) << info.path;
    }
  }
  EXPECT_GT(index_bytes(), no_index);
  EXPECT_EQ(find_sorted("`x.y`.z CONTAINS 3"), Ids{"d2"});
  EXPECT_EQ(find_sorted("b > 1"), Ids{"d2"});
  EXPECT_EQ(find_sorted("a = 1.0"), Ids{"d1"});

  // One index per path, whatever the type.
  for (DocIndexType t :
       {DocIndexType::kHash, DocIndexType::kSorted, DocIndexType::kArray, DocIndexType::kUnique}) {
    EXPECT_THAT(db_->doc_create_index("c", "a", t), HasCode(EC::kAlreadyExists));
    EXPECT_THAT(db_->doc_create_index("c", "`x.y`.z", t), HasCode(EC::kAlreadyExists));
  }
  EXPECT_EQ(indexes().size(), 6u);
  // Malformed paths.
  for (const char* bad :
       {"", "a..b", "a.", ".a", "`open", "a b", "in", "a.in", "5", "a-b", "a.5"}) {
    EXPECT_THAT(db_->doc_create_index("c", bad, DocIndexType::kHash), HasCode(EC::kInvalidQuery))
        << "'" << bad << "'";
  }
  EXPECT_EQ(indexes().size(), 6u);
  // Drop.
  EXPECT_THAT(db_->doc_drop_index("c", "nope"), HasCode(EC::kNotFound));
  EXPECT_THAT(db_->doc_drop_index("c", "x.y.z"), HasCode(EC::kNotFound));
  EXPECT_THAT(db_->doc_drop_index("c", "a"), IsOk());
  EXPECT_THAT(db_->doc_drop_index("c", "a"), HasCode(EC::kNotFound));
  EXPECT_FALSE(index_on("a").has_value());
  EXPECT_EQ(indexes().size(), 5u);
  EXPECT_EQ(find_sorted("a = 1.0"), Ids{"d1"});
  // Re-created with another type.
  EXPECT_THAT(db_->doc_create_index("c", "a", DocIndexType::kSorted), IsOk());
  ASSERT_TRUE(index_on("a").has_value());
  EXPECT_EQ(index_on("a")->type, DocIndexType::kSorted);
  EXPECT_EQ(find_sorted("a >= 'r'"), Ids{"d2"});
  // Missing collection.
  EXPECT_THAT(db_->doc_create_index("nope", "a", DocIndexType::kHash), HasCode(EC::kNotFound));
  EXPECT_THAT(db_->doc_drop_index("nope", "a"), HasCode(EC::kNotFound));
  EXPECT_THAT(db_->doc_indexes("nope"), HasCode(EC::kNotFound));
  EXPECT_THAT(db_->doc_find("nope", ""), HasCode(EC::kNotFound));
  EXPECT_THAT(db_->doc_find("nope", "a = 1"), HasCode(EC::kNotFound));
  EXPECT_THAT(db_->doc_count("nope"), HasCode(EC::kNotFound));
  EXPECT_THAT(db_->doc_count("nope", "a = 1"), HasCode(EC::kNotFound));
  // Dropping every index gives the bytes back.
  for (const DocIndexInfo& info : indexes()) {
    EXPECT_THAT(db_->doc_drop_index("c", info.path), IsOk()) << info.path;
  }
  EXPECT_TRUE(indexes().empty());
  EXPECT_EQ(index_bytes(), no_index);
  // A dropped and re-created collection has no indexes.
  ASSERT_THAT(db_->doc_create_index("c", "a", DocIndexType::kHash), IsOk());
  EXPECT_TRUE(*db_->doc_drop_collection("c"));
  ASSERT_THAT(db_->doc_create_collection("c"), IsOk());
  EXPECT_TRUE(indexes().empty());
  EXPECT_EQ(index_bytes(), empty_bytes);
  EXPECT_THAT(db_->doc_create_index("c", "a", DocIndexType::kHash), IsOk());
}

TEST_P(DatabaseDocQueryTest, DistinctKeysAndBytes) {
  const char* const docs[][2] = {
      {"h1", R"({"h":1,"s":"b","t":[1,2,"x"],"uid":10})"},
      {"h2", R"({"h":1.0,"s":"a","t":[2,3],"uid":11})"},
      {"h3", R"({"h":2,"s":"b","t":[1.0,null,2],"uid":"eleven"})"},
      {"h4", R"({"h":"x","s":3,"t":"not an array"})"},
      {"h5", R"({"h":"x","s":3.0})"},
      {"h6", R"({"h":null,"s":-1})"},
      {"h7", R"({"h":true,"s":true,"t":[[1],{"a":1}]})"},
      {"h8", R"({"h":[1],"s":{"a":1},"t":[]})"},
      {"h9", R"({"other":{"h":5}})"},
  };
  for (const auto& d : docs) put(d[0], d[1]);
  ASSERT_THAT(db_->doc_create_index("c", "h", DocIndexType::kHash), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "s", DocIndexType::kSorted), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "t", DocIndexType::kArray), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "uid", DocIndexType::kUnique), IsOk());
  // Exact with one shard; with several, a key on k shards counts k times.
  auto expect_keys = [&](const char* path, std::uint64_t exact, std::uint64_t pairs) {
    const auto info = index_on(path);
    ASSERT_TRUE(info.has_value()) << path;
    if (GetParam() == 1) {
      EXPECT_EQ(info->distinct_keys, exact) << path;
    } else {
      EXPECT_GE(info->distinct_keys, exact) << path;
      EXPECT_LE(info->distinct_keys, pairs) << path;
    }
    EXPECT_GT(info->bytes, 0u) << path;
  };
  // h: 1 (twice), 2, "x" (twice), null, true; [1] is no scalar.
  expect_keys("h", 5, 7);
  // s: "b" (twice), "a", 3 (twice), -1, true; the object is no scalar.
  expect_keys("s", 5, 7);
  // t: the scalar elements 1, 2, "x", 3, null; nested containers are not elements.
  expect_keys("t", 5, 8);
  expect_keys("uid", 3, 3);
  EXPECT_EQ(count("h = 1"), 2u);
  EXPECT_EQ(count("t CONTAINS 2"), 3u);
  EXPECT_EQ(count("t CONTAINS NULL"), 1u);
  EXPECT_EQ(count("s >= 3"), 2u);

  // Keys whose last document goes are no longer counted.
  EXPECT_TRUE(*db_->doc_del("c", "h4"));
  EXPECT_TRUE(*db_->doc_del("c", "h5"));
  expect_keys("h", 4, 5);
  ASSERT_TRUE(*db_->doc_update("c", "h1", {M::set("h", "2"), M::pull("t", R"("x")")}));
  expect_keys("h", 4, 5);
  expect_keys("t", 4, 7);
  EXPECT_TRUE(*db_->doc_del("c", "h2"));
  expect_keys("h", 3, 4);
  EXPECT_EQ(count("h = 1"), 0u);
  EXPECT_EQ(count("h = 2"), 2u);
  EXPECT_GT(index_bytes(), 0u);
}

// ==== 5. Find options ====================================================================

TEST_P(DatabaseDocQueryTest, OrderByFollowsTheTotalOrderWithTiesAndMissingLast) {
  // Groups of values that tie, in ascending order.
  const std::vector<std::vector<std::string>> groups = {
      {"null"},
      {"false"},
      {"true"},
      {"-1e300"},
      {"-9223372036854775808"},
      {"-1", "-1.0"},
      {"-0.0", "0", "0.0"},
      {"0.5"},
      {"1"},
      {"9007199254740992.0", "9007199254740992"},
      {"9007199254740993"},
      {"18446744073709551615"},
      {"1.8446744073709552e19"},
      {"1e300"},
      {R"("")"},
      {R"("Z")"},
      {R"("abcd")"},
      {R"("abcde")"},
      {R"("\u00e9")"},
      {R"(["a"])"},
      {"[1,2]", "[1,2]"},
      {"[10]"},
      {"[30.0]"},  // '.' sorts before ']'
      {"[30]"},
      {"[]"},
      {R"({"a":1})"},
      {R"({"b":0})"},
      {"{}"},
  };
  int k = 0;
  auto next_id = [&] { return "i" + std::to_string((k++ * 37) % 101); };
  std::vector<Ids> group_ids;
  for (const auto& group : groups) {
    Ids ids;
    for (const std::string& v : group) {
      ids.push_back(next_id());
      put(ids.back(), R"({"w":1,"v":)" + v + "}");
    }
    group_ids.push_back(sorted(ids));
  }
  Ids missing;
  for (const char* json : {R"({})", R"({"w":2})", R"({"V":1})", R"({"w":{"v":1}})"}) {
    missing.push_back(next_id());
    put(missing.back(), json);
  }
  missing = sorted(missing);
  Ids ascending, descending;
  for (const Ids& ids : group_ids) ascending.insert(ascending.end(), ids.begin(), ids.end());
  for (auto it = group_ids.rbegin(); it != group_ids.rend(); ++it) {
    descending.insert(descending.end(), it->begin(), it->end());
  }
  const Ids present_asc = ascending, present_desc = descending;
  ascending.insert(ascending.end(), missing.begin(), missing.end());
  descending.insert(descending.end(), missing.begin(), missing.end());

  auto check_all = [&](const std::string& label) {
    SCOPED_TRACE(label);
    EXPECT_EQ(find("", {.order_by = "v"}), ascending);
    EXPECT_EQ(find("", {.order_by = "v", .descending = true}), descending);
    EXPECT_EQ(find("v EXISTS", {.order_by = "v"}), present_asc);
    EXPECT_EQ(find("v EXISTS", {.order_by = "v", .descending = true}), present_desc);
    EXPECT_EQ(find("NOT v EXISTS", {.order_by = "v"}), missing);
    EXPECT_EQ(find("NOT v EXISTS", {.order_by = "v", .descending = true}), missing);
    // Pages of every size concatenate to the whole order.
    for (std::uint64_t size : {1u, 4u, 7u, 50u}) {
      for (const bool desc : {false, true}) {
        Ids pages;
        for (std::uint64_t offset = 0; offset < ascending.size() + size; offset += size) {
          const Ids page =
              find("", {.limit = size, .offset = offset, .order_by = "v", .descending = desc});
          EXPECT_LE(page.size(), size);
          pages.insert(pages.end(), page.begin(), page.end());
        }
        EXPECT_EQ(pages, desc ? descending : ascending) << "page size " << size;
      }
    }
    EXPECT_EQ(find("", {.limit = 0, .order_by = "v"}), Ids{});
    EXPECT_EQ(find("", {.offset = ascending.size(), .order_by = "v"}), Ids{});
    EXPECT_EQ(find("", {.offset = 1'000'000, .order_by = "v", .descending = true}), Ids{});
    EXPECT_EQ(find("", {.offset = ascending.size() - 2, .order_by = "v"}),
              Ids(ascending.end() - 2, ascending.end()));
    // Numbers only, by a range on them.
    EXPECT_EQ(find("v >= -1 AND v < 1", {.order_by = "v"}),
              (Ids{group_ids[5][0], group_ids[5][1], group_ids[6][0], group_ids[6][1],
                   group_ids[6][2], group_ids[7][0]}));
    // Every document with w = 1 ties: ids ascending, in both directions.
    Ids by_w;
    for (const Ids& ids : group_ids) by_w.insert(by_w.end(), ids.begin(), ids.end());
    std::sort(by_w.begin(), by_w.end());
    EXPECT_EQ(find("w = 1", {.order_by = "w", .descending = true}), by_w);
    EXPECT_EQ(find("w = 1", {.order_by = "w"}), by_w);
  };
  check_all("no index");
  ASSERT_THAT(db_->doc_create_index("c", "v", DocIndexType::kSorted), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "w", DocIndexType::kSorted), IsOk());
  check_all("sorted indexes");
  ASSERT_THAT(db_->doc_drop_index("c", "v"), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "v", DocIndexType::kHash), IsOk());
  check_all("hash index");
  ASSERT_THAT(db_->doc_drop_index("c", "v"), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "v", DocIndexType::kArray), IsOk());
  check_all("array index");
}

TEST_P(DatabaseDocQueryTest, TiesGoByIdBytesWhateverTheIdsShare) {
  // Many documents tie on few values; their ids share long prefixes, are prefixes of one
  // another, are shorter than 8 bytes or hold bytes above 0x7f (which sort after ASCII).
  // Ordered pages of every size, with and without a WHERE, must follow (value, id bytes).
  const std::vector<std::string> stems = {
      "customer-0000",     "customer-", "custome",  "c",      "cu",
      "\xc3\xa9t\xc3\xa9", "ab",        "abcdefgh", "abcdefg"};
  struct Doc {
    int v;
    std::string id;
    bool odd;
  };
  std::vector<Doc> docs;
  for (int i = 0; i < 240; ++i) {
    // Every id is distinct: i * 919 mod 1000 differs for every i below 1000.
    std::string id = stems[static_cast<std::size_t>(i) % stems.size()];
    if (i >= static_cast<int>(stems.size())) id += std::to_string(i * 919 % 1000);
    docs.push_back({i % 3, id, i % 2 == 1});
    put(id, R"({"v":)" + std::to_string(i % 3) + R"(,"odd":)" + (i % 2 ? "true" : "false") + "}");
  }
  ASSERT_EQ(count(), docs.size());
  auto expected = [&](bool descending, bool odd_only) {
    std::vector<std::pair<int, std::string>> order;
    for (const Doc& d : docs) {
      if (!odd_only || d.odd) order.emplace_back(descending ? -d.v : d.v, d.id);
    }
    // std::string compares bytes as unsigned char, as ids are ordered.
    std::sort(order.begin(), order.end());
    Ids ids;
    for (const auto& e : order) ids.push_back(e.second);
    return ids;
  };
  auto check = [&](const std::string& label) {
    SCOPED_TRACE(label);
    for (const bool desc : {false, true}) {
      for (const char* where : {"", "odd = true"}) {
        const Ids want = expected(desc, std::string_view(where) == "odd = true");
        EXPECT_EQ(find(where, {.order_by = "v", .descending = desc}), want) << where;
        for (std::uint64_t size : {1u, 9u, 10u, 31u, 32u, 33u, 100u}) {
          Ids pages;
          for (std::uint64_t offset = 0; offset < want.size(); offset += size) {
            const Ids page =
                find(where, {.limit = size, .offset = offset, .order_by = "v", .descending = desc});
            pages.insert(pages.end(), page.begin(), page.end());
          }
          EXPECT_EQ(pages, want) << where << " page size " << size << " desc " << desc;
        }
      }
    }
  };
  check("no index");
  ASSERT_THAT(db_->doc_create_index("c", "v", DocIndexType::kSorted), IsOk());
  check("sorted index");
  ASSERT_THAT(db_->doc_create_index("c", "odd", DocIndexType::kHash), IsOk());
  check("sorted and hash indexes");
}

// A sorted index on a field only one document holds: shards where no document has it
// order their part by id alone, and the page is still the whole order's start.
TEST_P(DatabaseDocQueryTest, SortedIndexOnAFieldFewDocumentsHold) {
  Ids others;
  for (int i = 0; i < 40; ++i) {
    others.push_back("k" + std::to_string(i));
    put(others.back(), R"({"w":1})");
  }
  others = sorted(others);
  put("m", R"({"v":1})");
  ASSERT_THAT(db_->doc_create_index("c", "v", DocIndexType::kSorted), IsOk());
  Ids whole{"m"};
  whole.insert(whole.end(), others.begin(), others.end());
  for (const bool desc : {false, true}) {
    EXPECT_EQ(find("", {.limit = 5, .order_by = "v", .descending = desc}),
              Ids(whole.begin(), whole.begin() + 5));
    EXPECT_EQ(find("", {.limit = 3, .offset = 2, .order_by = "v", .descending = desc}),
              Ids(whole.begin() + 2, whole.begin() + 5));
    EXPECT_EQ(find("", {.order_by = "v", .descending = desc}), whole);
  }
}

// An ordered walk over a key that many documents share (a boolean's) needs scratch space
// for them; it must not keep it after the query, where no storage figure counts it.
TEST_P(DatabaseDocQueryTest, OrderedWalksKeepNoLargeScratch) {
#if defined(KORA_QUERY_TEST_SANITIZED)
  GTEST_SKIP() << "sanitizer allocators do not report through mallinfo2";
#endif
  ASSERT_THAT(db_->doc_create_collection("warm"), IsOk());
  std::vector<DocEntry> batch;
  std::vector<std::string> ids;
  for (int i = 0; i < 30000; ++i) ids.push_back("d" + std::to_string(i));
  for (int i = 0; i < 30000; ++i)
    batch.push_back({ids[i], i % 2 ? R"({"b":true})" : R"({"b":false})"});
  ASSERT_TRUE(db_->doc_mset("c", batch).ok());
  ASSERT_TRUE(db_->doc_mset("warm", std::span(batch).first(4)).ok());
  ASSERT_THAT(db_->doc_create_index("c", "b", DocIndexType::kSorted), IsOk());
  ASSERT_THAT(db_->doc_create_index("warm", "b", DocIndexType::kSorted), IsOk());
  auto query = [&](std::string_view collection, std::uint64_t limit) {
    auto r = db_->doc_find(collection, "", {.limit = limit, .order_by = "b", .descending = true});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), std::min<std::uint64_t>(limit, collection == "c" ? 30000 : 4));
  };
  // The same calls on a small collection first: whatever a first query sets up once.
  for (std::uint64_t limit : {10u, 100u}) query("warm", limit);
  const auto before = mallinfo2().uordblks + mallinfo2().hblkhd;
  for (std::uint64_t limit : {10u, 100u}) query("c", limit);
  const auto after = mallinfo2().uordblks + mallinfo2().hblkhd;
  // 15,000 documents share each key: holding them would keep >= 60 KB.
  EXPECT_LT(static_cast<std::int64_t>(after) - static_cast<std::int64_t>(before), 32 * 1024);
}

TEST_P(DatabaseDocQueryTest, PagesWithoutOrderByNeverOverlapOrSkip) {
  std::vector<DocEntry> batch;
  std::vector<std::string> ids, jsons;
  for (int i = 0; i < 300; ++i) {
    ids.push_back("p" + std::to_string(i * 7919 % 1000));
    jsons.push_back(R"({"n":)" + std::to_string(i % 7) + R"(,"s":"value )" + std::to_string(i % 5) +
                    R"(","t":[)" + std::to_string(i % 3) + "]}");
  }
  for (std::size_t i = 0; i < ids.size(); ++i) batch.push_back({.id = ids[i], .json = jsons[i]});
  ASSERT_TRUE(db_->doc_mset("c", batch).ok());
  auto expected = [&](auto pred) {
    std::size_t n = 0;
    for (int i = 0; i < 300; ++i) n += pred(i) ? 1 : 0;
    return n;
  };
  auto check = [&](const std::string& where, std::size_t want_size, const std::string& label) {
    SCOPED_TRACE(label + " WHERE " + where);
    const Ids full = find(where);
    ASSERT_EQ(full.size(), want_size);
    Ids distinct = sorted(full);
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    EXPECT_EQ(distinct.size(), full.size());
    EXPECT_EQ(find(where), full);  // stable while nothing changes
    for (std::uint64_t size : {1u, 13u, 64u, 1000u}) {
      Ids pages;
      for (std::uint64_t offset = 0; offset <= want_size; offset += size) {
        const Ids page = find(where, {.limit = size, .offset = offset});
        EXPECT_EQ(page.size(), std::min<std::uint64_t>(size, want_size - offset));
        pages.insert(pages.end(), page.begin(), page.end());
      }
      EXPECT_EQ(sorted(pages), distinct) << "page size " << size << ": overlap or skip";
      EXPECT_EQ(pages, full) << "page size " << size;
    }
    // Offset without a limit, and limit 0.
    const Ids tail = find(where, {.offset = want_size / 2});
    EXPECT_EQ(tail, Ids(full.begin() + static_cast<std::ptrdiff_t>(want_size / 2), full.end()));
    EXPECT_EQ(find(where, {.limit = 0}), Ids{});
    EXPECT_EQ(find(where, {.limit = 0, .offset = 3}), Ids{});
    EXPECT_EQ(find(where, {.offset = want_size}), Ids{});
  };
  for (const std::string label : {"no index", "indexes"}) {
    check("", 300, label);
    check("  ", 300, label);
    check("n < 3", expected([](int i) { return i % 7 < 3; }), label);
    check("n != 2 AND s != 'value 1'", expected([](int i) { return i % 7 != 2 && i % 5 != 1; }),
          label);
    check("t CONTAINS 1 OR n = 0", expected([](int i) { return i % 3 == 1 || i % 7 == 0; }), label);
    check("n = 99", 0, label);
    if (label == "no index") {
      ASSERT_THAT(db_->doc_create_index("c", "n", DocIndexType::kSorted), IsOk());
      ASSERT_THAT(db_->doc_create_index("c", "s", DocIndexType::kHash), IsOk());
      ASSERT_THAT(db_->doc_create_index("c", "t", DocIndexType::kArray), IsOk());
    }
  }
}

// offset + limit past 2^64 - 1 must not wrap around.
TEST_P(DatabaseDocQueryTest, HugeLimitsAndOffsetsDoNotOverflow) {
  for (int i = 0; i < 10; ++i) {
    put("h" + std::to_string(i), R"({"n":)" + std::to_string(i % 4) + "}");
  }
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (const char* label : {"no index", "sorted index"}) {
    SCOPED_TRACE(label);
    for (const std::string where : {"", "n < 3"}) {
      for (const std::string order_by : {"", "n"}) {
        for (const bool desc : {false, true}) {
          SCOPED_TRACE("WHERE '" + where + "' order_by '" + order_by + "'" + (desc ? " DESC" : ""));
          const Ids full = find(where, {.order_by = order_by, .descending = desc});
          ASSERT_GE(full.size(), 3u);
          EXPECT_EQ(find(where, {.limit = kMax, .order_by = order_by, .descending = desc}), full);
          EXPECT_EQ(
              find(where, {.limit = kMax, .offset = 1, .order_by = order_by, .descending = desc}),
              Ids(full.begin() + 1, full.end()));
          EXPECT_EQ(
              find(where,
                   {.limit = kMax - 1, .offset = 2, .order_by = order_by, .descending = desc}),
              Ids(full.begin() + 2, full.end()));
          EXPECT_EQ(
              find(where,
                   {.limit = 2, .offset = kMax - 1, .order_by = order_by, .descending = desc}),
              Ids{});
          EXPECT_EQ(find(where,
                         {.limit = kMax, .offset = kMax, .order_by = order_by, .descending = desc}),
                    Ids{});
        }
      }
    }
    if (std::string_view(label) == "no index") {
      ASSERT_THAT(db_->doc_create_index("c", "n", DocIndexType::kSorted), IsOk());
    }
  }
}

TEST_P(DatabaseDocQueryTest, ProjectionMatchesDocGet) {
  put("u1", R"({"name":"Ann","address":{"city":"Paris","zip":"75001"},"tags":["x"],"a.b":{"c":1},)"
            R"("age":30})");
  put("u2", R"({"age":30.0,"name":"Bob","address":{"zip":"10115"}})");
  put("u3", R"({"name":{"first":"C"},"age":"thirty"})");
  put("u4", R"({"other":true})");
  const std::vector<std::vector<std::string>> projections = {
      {"age", "name"}, {"address.zip"},
      {"address"},     {"`a.b`.c", "missing", "name.x", "tags.0"},
      {"nothing"},     {"name.first", "age"}};
  for (const auto& projection : projections) {
    std::vector<std::string_view> views(projection.begin(), projection.end());
    for (const char* where : {"", "age = 30", "name EXISTS"}) {
      auto r = db_->doc_find("c", where, {.projection = projection, .order_by = "name"});
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      EXPECT_EQ(sorted(ids_of(*r)), find_sorted(where));
      for (const DocHit& h : *r) {
        auto want = db_->doc_get("c", h.id, views);
        ASSERT_TRUE(want.ok() && want->has_value());
        EXPECT_EQ(h.json, **want) << h.id << " projection " << join(projection);
      }
    }
  }
  auto r = db_->doc_find("c", "age = 30", {.projection = {"age", "name"}, .order_by = "name"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].id, "u1");
  EXPECT_EQ((*r)[0].json, R"({"name":"Ann","age":30})");
  EXPECT_EQ((*r)[1].json, R"({"age":30.0,"name":"Bob"})");
  // Malformed projection and order_by paths.
  for (const char* bad : {"a..b", "", "`open", "a b", "a."}) {
    EXPECT_THAT(db_->doc_find("c", "", {.projection = {"name", bad}}), HasCode(EC::kInvalidQuery))
        << "projection '" << bad << "'";
  }
  for (const char* bad : {"a..b", "in", "`open", "a b", "a.", "5", " "}) {
    EXPECT_THAT(db_->doc_find("c", "", {.order_by = bad}), HasCode(EC::kInvalidQuery))
        << "order_by '" << bad << "'";
    EXPECT_THAT(db_->doc_find("c", "name EXISTS", {.order_by = bad, .descending = true}),
                HasCode(EC::kInvalidQuery))
        << "order_by '" << bad << "'";
  }
  EXPECT_EQ(find("", {.order_by = "`a.b`.c"}), (Ids{"u1", "u2", "u3", "u4"}));
  // "thirty" (a string) after the numbers, which tie (u1 < u2); u4 has no age.
  EXPECT_EQ(find("", {.order_by = "age", .descending = true}), (Ids{"u3", "u1", "u2", "u4"}));
  EXPECT_EQ(find("", {.order_by = "age"}), (Ids{"u1", "u2", "u3", "u4"}));
}

TEST_P(DatabaseDocQueryTest, WhereErrorsCarryPositions) {
  put("d", R"({"a":1})");
  const std::vector<std::pair<std::string, std::uint32_t>> cases = {
      {"a..b = 1", 2},
      {"a.", 2},
      {"a = 'abc", 4},
      {"in = 1", 0},
      {"a = 1 AND true = 1", 10},
      {"a < TRUE", 4},
      {"x = 1 AND a<null", 12},
      {"a IN ()", 6},
      {"a IN (1,)", 8},
      {"a = 18446744073709551616", 4},
      {"a = 1e400", 4},
      {R"(a = '\uD800')", 5},
      {"`abc = 1", 0},
      {"a-b = 1", 1},
      {"a = 1 OR b = -18446744073709551615", 13},
  };
  for (const auto& [text, position] : cases) {
    for (int call = 0; call < 2; ++call) {
      const Status s =
          call == 0 ? db_->doc_find("c", text).status() : db_->doc_count("c", text).status();
      EXPECT_THAT(s, HasCode(EC::kInvalidQuery)) << text;
      ASSERT_NE(s.detail(), nullptr) << text;
      EXPECT_EQ(s.detail()->position, position) << text << (call == 0 ? " (find)" : " (count)");
    }
  }
  // Errors whose exact position the parser tests do not pin down: the code and a position
  // inside the text.
  for (const char* text : {"a =", "a", "(a = 1", "a = 1)", "a = 1 AND", "NOT", "a ~ 1", "a = .5",
                           "a = 05", "a = +1", "a = 'x' b = 1", "AND a = 1"}) {
    auto r = db_->doc_find("c", text);
    EXPECT_THAT(r, HasCode(EC::kInvalidQuery)) << text;
    if (!r.ok()) {
      ASSERT_NE(r.status().detail(), nullptr) << text;
      EXPECT_TRUE(r.status().detail()->position.has_value()) << text;
      EXPECT_LE(r.status().detail()->position.value_or(0), std::string_view(text).size()) << text;
    }
  }
  // Nesting: 64 levels parse, 65 do not.
  std::string deep;
  for (int i = 0; i < 64; ++i) deep += "NOT ";
  EXPECT_EQ(find(deep + "a = 1"), Ids{"d"});
  EXPECT_THAT(db_->doc_find("c", "NOT " + deep + "a = 1"), HasCode(EC::kInvalidQuery));
  const std::string parens = std::string(64, '(') + "a = 1" + std::string(64, ')');
  EXPECT_EQ(find(parens), Ids{"d"});
  EXPECT_THAT(db_->doc_count("c", "(" + parens + ")"), HasCode(EC::kInvalidQuery));
  // Empty and blank WHERE match everything.
  put("e", "{}");
  for (const char* all : {"", " ", "\t\n  \r"}) {
    EXPECT_EQ(find_sorted(all), (Ids{"d", "e"})) << "'" << all << "'";
    EXPECT_EQ(count(all), 2u);
  }
}

TEST_P(DatabaseDocQueryTest, SemanticsThroughTheApi) {
  put("i30", R"({"n":30,"s":"abcd","t":["abcd",1,null,[2],{"a":3}],"o":{"p":{"q":0}},"z":null})");
  put("d30", R"({"n":30.0,"s":"abc","t":"abcd","o":{"p":[{"q":0}]},"a.b":{"c":"deep"}})");
  put("big", R"({"n":9007199254740993,"s":"abcde","t":[30.0]})");
  put("bigd", R"({"n":9007199254740992.0,"s":30,"t":[]})");
  put("umax", R"({"n":18446744073709551615,"s":true})");
  put("none", R"({"x":1})");
  auto check = [&](const std::string& label) {
    SCOPED_TRACE(label);
    EXPECT_EQ(find_sorted("n = 30"), (Ids{"d30", "i30"}));
    EXPECT_EQ(find_sorted("n = 3e1"), (Ids{"d30", "i30"}));
    EXPECT_EQ(find_sorted("n = 9007199254740993"), Ids{"big"});
    EXPECT_EQ(find_sorted("n = 9007199254740992"), Ids{"bigd"});
    EXPECT_EQ(find_sorted("n > 9007199254740992.0"), (Ids{"big", "umax"}));
    EXPECT_EQ(find_sorted("n = 18446744073709551615"), Ids{"umax"});
    EXPECT_EQ(find_sorted("n = 18446744073709551615.0"), Ids{});
    EXPECT_EQ(find_sorted("n != 30"), (Ids{"big", "bigd", "none", "umax"}));
    EXPECT_EQ(find_sorted("s != 'abc'"), (Ids{"big", "bigd", "i30", "none", "umax"}));
    EXPECT_EQ(find_sorted("s < 'abcd'"), Ids{"d30"});
    EXPECT_EQ(find_sorted("s >= 'abcd'"), (Ids{"big", "i30"}));
    EXPECT_EQ(find_sorted("s < 100"), Ids{"bigd"});
    EXPECT_EQ(find_sorted("s IN ('abc', 30.0, TRUE)"), (Ids{"bigd", "d30", "umax"}));
    EXPECT_EQ(find_sorted("t CONTAINS 'abcd'"), Ids{"i30"});
    EXPECT_EQ(find_sorted("t CONTAINS 30"), Ids{"big"});
    EXPECT_EQ(find_sorted("t CONTAINS NULL"), Ids{"i30"});
    EXPECT_EQ(find_sorted("t CONTAINS 2"), Ids{});
    EXPECT_EQ(find_sorted("t CONTAINS 3"), Ids{});
    EXPECT_EQ(find_sorted("t = 'abcd'"), Ids{"d30"});
    EXPECT_EQ(find_sorted("z EXISTS"), Ids{"i30"});
    EXPECT_EQ(find_sorted("z = NULL"), Ids{"i30"});
    EXPECT_EQ(find_sorted("x != NULL"), (Ids{"big", "bigd", "d30", "i30", "none", "umax"}));
    EXPECT_EQ(find_sorted("o.p.q = 0"), Ids{"i30"});  // d30's goes through an array
    EXPECT_EQ(find_sorted("o.p EXISTS"), (Ids{"d30", "i30"}));
    EXPECT_EQ(find_sorted("`a.b`.c = 'deep'"), Ids{"d30"});
    EXPECT_EQ(find_sorted("a.b.c EXISTS"), Ids{});
    EXPECT_EQ(find_sorted("t EXISTS AND NOT t CONTAINS 30"), (Ids{"bigd", "d30", "i30"}));
    EXPECT_EQ(count("n = 30 OR s = TRUE"), 3u);
    // A long IN list.
    std::string in = "n IN (";
    for (int v = 0; v < 300; ++v) in += std::to_string(v) + ".0, '" + std::to_string(v) + "', ";
    in += "9007199254740993)";
    EXPECT_EQ(find_sorted(in), (Ids{"big", "d30", "i30"}));
    EXPECT_EQ(count("NOT " + in), 3u);
    EXPECT_EQ(count("n EXISTS"), 5u);
  };
  const std::vector<const char*> paths = {"n", "s", "t", "z", "x", "o.p.q", "o.p"};
  check("no index");
  for (const char* p : paths)
    ASSERT_THAT(db_->doc_create_index("c", p, DocIndexType::kHash), IsOk());
  check("hash");
  for (DocIndexType type : {DocIndexType::kSorted, DocIndexType::kArray}) {
    for (const char* p : paths) {
      ASSERT_THAT(db_->doc_drop_index("c", p), IsOk());
      ASSERT_THAT(db_->doc_create_index("c", p, type), IsOk());
    }
    check(type == DocIndexType::kSorted ? "sorted" : "array");
  }
}

TEST_P(DatabaseDocQueryTest, ExpiredDocumentsVanishFromFindAndCountAtOnce) {
  ASSERT_THAT(db_->doc_create_index("c", "k", DocIndexType::kHash), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "n", DocIndexType::kSorted), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "t", DocIndexType::kArray), IsOk());
  ASSERT_THAT(db_->doc_create_index("c", "u", DocIndexType::kUnique), IsOk());
  Ids keep;
  for (int i = 0; i < 10; ++i) {
    const std::string id = "doc" + std::to_string(i);
    const std::string json =
        R"({"k":"x","n":)" + std::to_string(i) + R"(,"t":["y"],"u":)" + std::to_string(i) + "}";
    if (i % 2 == 0) {
      put(id, json, {.ttl = milliseconds(100)});
    } else {
      put(id, json);
      keep.push_back(id);
    }
  }
  for (const char* where :
       {"", "k = 'x'", "n >= 0", "t CONTAINS 'y'", "k EXISTS", "n EXISTS AND k = 'x'"}) {
    EXPECT_EQ(count(where), 10u) << where;
  }
  EXPECT_EQ(count("u IN (0, 2, 4, 6, 8)"), 5u);
  clock_.advance(100);
  for (const char* where : {"", "k = 'x'", "n >= 0", "t CONTAINS 'y'", "k EXISTS",
                            "n EXISTS AND k = 'x'", "k != 'z'"}) {
    EXPECT_EQ(count(where), 5u) << where;
    EXPECT_EQ(find_sorted(where), keep) << where;
    EXPECT_EQ(find(where, {.order_by = "n", .descending = true}),
              (Ids{"doc9", "doc7", "doc5", "doc3", "doc1"}))
        << where;
  }
  EXPECT_EQ(count("u IN (0, 2, 4, 6, 8)"), 0u);
  EXPECT_EQ(find("", {.limit = 2, .order_by = "n"}), (Ids{"doc1", "doc3"}));
  // Their unique values are free.
  put("newcomer", R"({"u":0})");
  EXPECT_EQ(find("u = 0"), Ids{"newcomer"});
}

}  // namespace
}  // namespace kora
