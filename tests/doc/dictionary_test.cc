#include "doc/dictionary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "test_util.h"

namespace kora::doc {
namespace {

using ::kora::testing::config;
using ::testing::ElementsAre;
using ::testing::Optional;

class DictionaryTest : public ::testing::Test {
 protected:
  MemoryCounter counter_;
};

TEST_F(DictionaryTest, FreshDictionaryIsEmpty) {
  Dictionary d(config(), &counter_);
  EXPECT_EQ(d.entries(), 0u);
  EXPECT_EQ(d.bytes(), 0u);
  EXPECT_TRUE(d.fields().empty());
  EXPECT_EQ(d.key_of(kRootPath), "");
  EXPECT_EQ(d.display_path(kRootPath), "");
}

TEST_F(DictionaryTest, PathsAreInternedAndCounted) {
  Dictionary d(config(), &counter_);
  const PathId a = d.acquire_path(kRootPath, false, "a");
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(d.acquire_path(kRootPath, false, "a"), a);
  const PathId b = d.acquire_path(a, false, "b");
  const PathId b_in_array = d.acquire_path(a, true, "b");
  EXPECT_NE(b, b_in_array);
  EXPECT_EQ(d.entries(), 3u);
  EXPECT_GT(d.bytes(), 0u);
  EXPECT_EQ(d.bytes(), counter_.bytes);
  EXPECT_EQ(d.key_of(b), "b");
  EXPECT_EQ(d.parent_of(b), a);
  EXPECT_FALSE(d.in_array(b));
  EXPECT_TRUE(d.in_array(b_in_array));
  EXPECT_THAT(d.find_path(a, true, "b"), Optional(b_in_array));
  EXPECT_EQ(d.find_path(a, false, "c"), std::nullopt);
  EXPECT_EQ(d.find_path(kRootPath, false, "b"), std::nullopt);
  EXPECT_EQ(d.display_path(b), "a.b");
  EXPECT_EQ(d.display_path(b_in_array), "a[].b");
}

TEST_F(DictionaryTest, DisplayPathQuotesKeys) {
  Dictionary d(config(), &counter_);
  const PathId o = d.acquire_path(kRootPath, false, "my orders");
  const PathId s = d.acquire_path(o, true, "a.b");
  const PathId e = d.acquire_path(s, false, "");
  EXPECT_EQ(d.display_path(s), "`my orders`[].`a.b`");
  EXPECT_EQ(d.display_path(e), "`my orders`[].`a.b`.``");
}

TEST_F(DictionaryTest, ReleaseReclaimsAndReusesIds) {
  Dictionary d(config(), &counter_);
  const PathId a = d.acquire_path(kRootPath, false, "a");
  const PathId b = d.acquire_path(kRootPath, false, "b");
  d.acquire_path(kRootPath, false, "a");  // 2 references
  d.release_path(a);
  EXPECT_THAT(d.find_path(kRootPath, false, "a"), Optional(a));
  d.release_path(a);
  EXPECT_EQ(d.find_path(kRootPath, false, "a"), std::nullopt);
  EXPECT_EQ(d.entries(), 1u);
  const PathId c = d.acquire_path(kRootPath, false, "c");
  EXPECT_EQ(c, a);  // the freed id comes back
  d.release_path(c);
  d.release_path(b);
  EXPECT_EQ(d.entries(), 0u);
  EXPECT_EQ(d.bytes(), 0u);
}

TEST_F(DictionaryTest, ChildKeepsParentAlive) {
  Dictionary d(config(), &counter_);
  const PathId a = d.acquire_path(kRootPath, false, "a");
  const PathId b = d.acquire_path(a, false, "b");
  d.release_path(a);  // only the child's reference is left
  EXPECT_EQ(d.key_of(a), "a");
  EXPECT_EQ(d.display_path(b), "a.b");
  EXPECT_EQ(d.entries(), 2u);
  d.release_path(b);  // cascades to a
  EXPECT_EQ(d.entries(), 0u);
  EXPECT_EQ(d.bytes(), 0u);
}

TEST_F(DictionaryTest, LongKeysAreCountedAndFreed) {
  Dictionary d(config(), &counter_);
  const std::string key(1000, 'k');
  const PathId p = d.acquire_path(kRootPath, false, key);
  EXPECT_GT(d.bytes(), 1000u);
  EXPECT_EQ(d.key_of(p), key);
  d.release_path(p);
  EXPECT_EQ(d.bytes(), 0u);
}

TEST_F(DictionaryTest, TermsAreInternedPerField) {
  Dictionary d(config(), &counter_);
  const PathId f = d.acquire_path(kRootPath, false, "city");
  const PathId g = d.acquire_path(kRootPath, false, "town");
  const auto t1 = d.acquire_term(f, "Paris");
  ASSERT_TRUE(t1.has_value());
  EXPECT_EQ(*t1, 0u);
  EXPECT_THAT(d.acquire_term(f, "Paris"), Optional(*t1));
  const auto t2 = d.acquire_term(f, "London");
  ASSERT_TRUE(t2.has_value());
  EXPECT_NE(*t1, *t2);
  const auto u = d.acquire_term(g, "Paris");  // another field, its own id space
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(*u, 0u);
  EXPECT_EQ(d.term(f, *t1), "Paris");
  EXPECT_EQ(d.term(f, *t2), "London");
  EXPECT_THAT(d.find_term(f, "London"), Optional(*t2));
  EXPECT_EQ(d.find_term(f, "Rome"), std::nullopt);
  EXPECT_EQ(d.entries(), 5u);  // 2 paths + 3 terms

  d.release_term(f, *t1);
  EXPECT_THAT(d.find_term(f, "Paris"), Optional(*t1));  // one reference left
  d.release_term(f, *t1);
  EXPECT_EQ(d.find_term(f, "Paris"), std::nullopt);
  EXPECT_EQ(d.entries(), 4u);
  const auto t3 = d.acquire_term(f, "Berlin");
  EXPECT_THAT(t3, Optional(*t1));  // id reused
  d.release_term(f, *t3);
  d.release_term(f, *t2);
  d.release_term(g, *u);
  d.release_path(f);
  d.release_path(g);
  EXPECT_EQ(d.entries(), 0u);
  EXPECT_EQ(d.bytes(), 0u);
}

TEST_F(DictionaryTest, ShortStringsStayInline) {
  Dictionary d(config(10, 4), &counter_);
  const PathId f = d.acquire_path(kRootPath, false, "f");
  EXPECT_EQ(d.acquire_term(f, ""), std::nullopt);
  EXPECT_EQ(d.acquire_term(f, "abc"), std::nullopt);
  EXPECT_TRUE(d.acquire_term(f, "abcd").has_value());
  Dictionary all(config(10, 0), &counter_);
  const PathId g = all.acquire_path(kRootPath, false, "g");
  EXPECT_TRUE(all.acquire_term(g, "").has_value());
}

TEST_F(DictionaryTest, ZeroLimitNeverInterns) {
  Dictionary d(config(0, 0), &counter_);
  const PathId f = d.acquire_path(kRootPath, false, "f");
  EXPECT_EQ(d.acquire_term(f, "something long"), std::nullopt);
  auto fields = d.fields();
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_FALSE(fields[0].terms_interned);
  EXPECT_EQ(fields[0].interned_terms, 0u);
  EXPECT_EQ(fields[0].cardinality_estimate, 1u);
}

// A field whose values are mostly distinct stops interning early, long before the limit;
// a low-cardinality field keeps interning however many times its values repeat.
TEST_F(DictionaryTest, HighCardinalityFieldsStopInterningEarly) {
  Dictionary d(config(10'000, 1), &counter_);
  const PathId email = d.acquire_path(kRootPath, false, "email");
  const PathId city = d.acquire_path(kRootPath, false, "city");
  int interned_emails = 0;
  for (int i = 0; i < 20000; ++i) {
    if (d.acquire_term(email, "user" + std::to_string(i) + "@example.com")) ++interned_emails;
    ASSERT_TRUE(d.acquire_term(city, "city" + std::to_string(i % 50)).has_value()) << i;
  }
  // The rule looks after a warm-up of 4096 strings.
  EXPECT_GE(interned_emails, 2048);
  EXPECT_LE(interned_emails, 4096);
  const auto fields = d.fields();
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].path, "city");
  EXPECT_TRUE(fields[0].terms_interned);
  EXPECT_EQ(fields[0].interned_terms, 50u);
  EXPECT_EQ(fields[1].path, "email");
  EXPECT_FALSE(fields[1].terms_interned);
  EXPECT_NEAR(static_cast<double>(fields[1].cardinality_estimate), 20000.0, 20000.0 * 0.25);
}

TEST_F(DictionaryTest, AdaptiveLimitStopsInterningNewTerms) {
  Dictionary d(config(3, 1), &counter_);
  const PathId f = d.acquire_path(kRootPath, false, "f");
  const PathId other = d.acquire_path(kRootPath, false, "other");
  std::vector<TermId> ids;
  for (std::string v : {"a", "b", "c"}) {
    auto id = d.acquire_term(f, v);
    ASSERT_TRUE(id.has_value()) << v;
    ids.push_back(*id);
  }
  EXPECT_EQ(d.acquire_term(f, "d"), std::nullopt);  // the 4th distinct value
  // Existing terms stay for the records that hold them; new occurrences stay inline.
  EXPECT_EQ(d.acquire_term(f, "a"), std::nullopt);
  EXPECT_EQ(d.term(f, ids[0]), "a");
  EXPECT_EQ(d.term(f, ids[2]), "c");
  // Sticky: even after a term goes away, new values stay inline.
  d.release_term(f, ids[1]);
  EXPECT_EQ(d.acquire_term(f, "e"), std::nullopt);
  // Other fields are unaffected.
  EXPECT_TRUE(d.acquire_term(other, "d").has_value());

  const auto fields = d.fields();
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].path, "f");
  EXPECT_FALSE(fields[0].terms_interned);
  EXPECT_EQ(fields[0].interned_terms, 2u);  // a, c
  EXPECT_GE(fields[0].cardinality_estimate, 2u);
  EXPECT_LE(fields[0].cardinality_estimate, 6u);  // a b c d e seen
  EXPECT_EQ(fields[1].path, "other");
  EXPECT_TRUE(fields[1].terms_interned);
  EXPECT_EQ(fields[1].interned_terms, 1u);
  EXPECT_EQ(fields[1].cardinality_estimate, 1u);
}

TEST_F(DictionaryTest, CardinalityEstimatePastTheLimitIsClose) {
  Dictionary d(config(100, 1), &counter_);
  const PathId f = d.acquire_path(kRootPath, false, "f");
  std::vector<TermId> interned;
  for (int i = 0; i < 20'000; ++i) {
    const std::string v = "value-" + std::to_string(i % 5000);
    if (auto id = d.acquire_term(f, v)) interned.push_back(*id);
  }
  const auto fields = d.fields();
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0].interned_terms, 100u);
  EXPECT_FALSE(fields[0].terms_interned);
  // 256 registers: ~6.5% standard error; allow 4 sigma.
  EXPECT_NEAR(static_cast<double>(fields[0].cardinality_estimate), 5000.0, 5000.0 * 0.26);
  for (TermId id : interned) d.release_term(f, id);
  d.release_path(f);
  EXPECT_EQ(d.entries(), 0u);
  EXPECT_EQ(d.bytes(), 0u);
}

TEST_F(DictionaryTest, FieldsAreSortedAndDescribePaths) {
  Dictionary d(config(), &counter_);
  const PathId z = d.acquire_path(kRootPath, false, "z");
  const PathId a = d.acquire_path(kRootPath, false, "a");
  const PathId ab = d.acquire_path(a, true, "b");
  ASSERT_TRUE(d.acquire_term(ab, "hello").has_value());
  ASSERT_TRUE(d.acquire_term(ab, "world").has_value());
  const auto fields = d.fields();
  std::vector<std::string> paths;
  for (const auto& f : fields) paths.push_back(f.path);
  EXPECT_THAT(paths, ElementsAre("a", "a[].b", "z"));
  EXPECT_EQ(fields[1].field_id, ab);
  EXPECT_EQ(fields[1].interned_terms, 2u);
  EXPECT_EQ(fields[1].cardinality_estimate, 2u);
  EXPECT_TRUE(fields[1].terms_interned);
  EXPECT_EQ(fields[2].field_id, z);
  EXPECT_EQ(fields[2].interned_terms, 0u);
}

TEST_F(DictionaryTest, NullCounterUsesItsOwn) {
  Dictionary d(config(), nullptr);
  const PathId p = d.acquire_path(kRootPath, false, std::string(100, 'x'));
  EXPECT_GT(d.bytes(), 100u);
  d.release_path(p);
  EXPECT_EQ(d.bytes(), 0u);
}

// Oracle test: random acquire/release against a map of reference counts.
TEST_F(DictionaryTest, RandomOperationsMatchAModel) {
  Dictionary d(config(50, 2), &counter_);
  std::mt19937_64 rng(7);
  std::map<std::string, std::pair<PathId, int>> paths;  // key -> (id, refs)
  std::map<std::pair<PathId, std::string>, std::pair<TermId, int>> terms;
  for (int step = 0; step < 20'000; ++step) {
    const int op = static_cast<int>(rng() % 4);
    const std::string key = std::string("k").append(std::to_string(rng() % 40));
    if (op == 0 || paths.empty()) {
      const PathId id = d.acquire_path(kRootPath, false, key);
      auto [it, fresh] = paths.try_emplace(key, id, 0);
      EXPECT_EQ(it->second.first, id);
      ++it->second.second;
    } else if (op == 1) {
      auto it = paths.begin();
      std::advance(it, static_cast<long>(rng() % paths.size()));
      // Keep a path alive while it has terms.
      bool has_terms = false;
      for (const auto& [k, v] : terms) has_terms |= k.first == it->second.first;
      if (has_terms && it->second.second == 1) continue;
      d.release_path(it->second.first);
      if (--it->second.second == 0) paths.erase(it);
    } else if (op == 2) {
      auto it = paths.begin();
      std::advance(it, static_cast<long>(rng() % paths.size()));
      const std::string value = std::string("v").append(std::to_string(rng() % 100));
      if (auto id = d.acquire_term(it->second.first, value)) {
        auto [t, fresh] = terms.try_emplace({it->second.first, value}, *id, 0);
        EXPECT_EQ(t->second.first, *id);
        ++t->second.second;
      }
    } else if (!terms.empty()) {
      auto it = terms.begin();
      std::advance(it, static_cast<long>(rng() % terms.size()));
      EXPECT_EQ(d.term(it->first.first, it->second.first), it->first.second);
      d.release_term(it->first.first, it->second.first);
      if (--it->second.second == 0) terms.erase(it);
    }
    ASSERT_EQ(d.entries(), paths.size() + terms.size());
  }
  for (const auto& [k, v] : terms) {
    for (int i = 0; i < v.second; ++i) d.release_term(k.first, v.first);
  }
  for (const auto& [k, v] : paths) {
    for (int i = 0; i < v.second; ++i) d.release_path(v.first);
  }
  EXPECT_EQ(d.entries(), 0u);
  EXPECT_EQ(d.bytes(), 0u);
}

}  // namespace
}  // namespace kora::doc
