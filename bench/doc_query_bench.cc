// kora_doc_query_bench: doc_count / doc_find through the public kora::Database API on the
// standard user documents (bench/user_docs.h, seed kSeed, ids "user:<n>"), against
// baselines measured in the same binary and the same run:
//   1. equality count on a hash index: doc_count("country = 'XX'") (the 20 countries in
//      turn, about 5% each). Target <= 20 us a call.
//   2. AND of two indexed equalities, count: "country = 'XX' AND active = true" (hash
//      indexes on both; ~5% x ~80%) and "country = 'XX' AND city = '...'" (hash on city).
//      Target <= 50 us. Baseline: CRoaring's Roaring::and_cardinality of the two equivalent
//      bitmaps (doc number -> bit), built here from the same documents and run-optimized;
//      the summary gives kora's time / CRoaring's time.
//   3. doc_find of 10 by an indexed equality ("country = 'XX'", limit 10), documents
//      included. Target <= 3 us; the summary also gives the ratio to SQLite (7).
//   4. doc_find("", order_by "score", descending, limit 10): with a sorted index on score
//      (target <= 5 us; ratio to SQLite with an expression index) and on a second
//      collection holding the same documents and no index (target: >= 10x faster than
//      SQLite's full sort of the same rows, measured in this run (7)).
//   5. an unindexed predicate scan, doc_count("score > 50.5 AND active = true") on the
//      collection without indexes, in docs/s, wall clock (the engine runs it on every
//      shard) and per core (/ shard_count); also the process CPU time over the loop
//      (counters cores_used and docs_per_cpu_second: whether the shards really ran in
//      parallel, and the rate per CPU-second spent). Baseline: a single-thread simdjson
//      On-Demand scan over the same JSON texts (padded strings prepared up front, one
//      reused parser) evaluating the same predicate. Target: kora >= 3x simdjson's docs/s.
//   6. a naive store (one RapidJSON DOM per document, each in its own pool of 2.5x its
//      JSON length, as in doc_bench.cc, here kept in a vector because it is only scanned)
//      answering queries 1 (count), 2 (AND active), 3, 4 and 5 by scanning its documents.
//   7. SQLite (the system library, sqlite3 C API), an in-memory database in this process
//      holding the same documents as JSON text: docs(id TEXT PRIMARY KEY, doc TEXT) with
//      expression indexes on json_extract(doc, '$.country') and json_extract(doc,
//      '$.score'), and docs_plain, the same rows without them. Prepared statements, reused:
//      query 3 as "WHERE json_extract(doc, '$.country') = ?1 LIMIT 10" (the same countries
//      in the same order as kora), query 4 as "ORDER BY json_extract(doc, '$.score') DESC,
//      id ASC LIMIT 10" on both tables (the full sort on docs_plain); every row's id and
//      doc copied into std::strings, as kora returns owned strings. The plans are checked
//      with EXPLAIN QUERY PLAN at setup (find by docs_country, indexed top-10 by
//      docs_score) and printed in the summary.
//
// Verify before timing: at setup every query of every family is answered by the naive
// store (the reference), the engine, and the baseline of that family (CRoaring bitmaps,
// simdjson scan, SQLite); every count must be the same; each find's 10 hits must be
// distinct ids of documents that match, with the stored JSON equal in value to the source
// text (SQLite's: the same bytes); the top-10 by score must be exactly the reference's ids
// in the reference's order (score descending, ties by id ascending: at 1M documents ~100
// hold 99.99, so the ties decide).
// The engine's indexed answers are also compared with its unindexed ones (the same query
// on the collection without indexes). A family that disagrees is not timed: its
// benchmarks SkipWithError with the difference, and the exit status is 1. The timed loops
// also compare every answer with the expected one.
//
//   build/release/bench/kora_doc_query_bench [--kora_docs=N] [--kora_shards=N]
//
// --kora_docs: documents (default 1,000,000), loaded in doc_mset batches of 1000 into
// both collections (and, one transaction per table, into both SQLite tables) before the
// indexes are created; --kora_shards: default default_shard_count(). Single caller
// thread, wall-clock time. After the benchmarks main prints a summary with each figure
// beside its target and the ratios.
#include <benchmark/benchmark.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <initializer_list>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <roaring/roaring.hh>  // CRoaring 0.2: class ::Roaring
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "bench_util.h"
#include "kora/kora.h"
#include "naive_store.h"
#include "user_docs.h"

namespace {

using kora_bench::fixed;
using kora_bench::g_crt;
using kora_bench::kUserCities;
using kora_bench::kUserCountries;
using kora_bench::NaiveEntry;
using kora_bench::rate;
using kora_bench::RjValue;
using kora_bench::RjWriter;
using kora_bench::same_value;
using kora_bench::SummaryReporter;
using kora_bench::timed_rng;
using kora_bench::XorShift64;

constexpr std::uint64_t kSeed = 42;
constexpr std::size_t kBatchDocs = 1000;  // documents per doc_mset
constexpr double kMinTime = 0.5;          // seconds per benchmark run
// Hash indexes on country, city and active, a sorted index on score.
constexpr std::string_view kIndexed = "users_indexed";
// The same documents, no index.
constexpr std::string_view kPlain = "users_plain";
constexpr std::string_view kScanWhere = "score > 50.5 AND active = true";
constexpr double kScanThreshold = 50.5;
constexpr std::size_t kFindLimit = 10;
constexpr std::size_t kTopN = 10;
// kora without an index must be at least this many times faster than SQLite's full sort.
constexpr double kFullSortFactor = 10.0;

std::uint32_t g_shard_count = 0;  // 0: default_shard_count()
std::size_t g_docs = 1'000'000;   // --kora_docs

// ---- RapidJSON (naive_store.h, shared with doc_bench.cc) ------------------------------------

std::string_view view(const RjValue& s) { return {s.GetString(), s.GetStringLength()}; }

// The member `key` of an object (what FindMember does, without needing a key Value).
const RjValue* member(const RjValue& object, std::string_view key) {
  for (auto m = object.MemberBegin(); m != object.MemberEnd(); ++m) {
    if (view(m->name) == key) return &m->value;
  }
  return nullptr;
}

bool string_is(const RjValue& object, std::string_view key, std::string_view value) {
  const RjValue* v = member(object, key);
  return v != nullptr && v->IsString() && view(*v) == value;
}

bool is_true(const RjValue& object, std::string_view key) {
  const RjValue* v = member(object, key);
  return v != nullptr && v->IsTrue();
}

// ---- Baseline: a RapidJSON DOM per document, answering by scanning ----------------------------

struct NaiveHit {
  std::string id;
  std::string json;
};

class NaiveStore {
 public:
  using Entry = NaiveEntry;

  // Appends a document. false: not a JSON object.
  bool add(std::string_view id, std::string_view json) {
    auto entry = NaiveEntry::parse(json);
    if (entry == nullptr) return false;
    ids_.emplace_back(id);
    entries_.push_back(std::move(entry));
    return true;
  }

  std::size_t size() const { return entries_.size(); }
  const std::string& id(std::size_t i) const { return ids_[i]; }
  const RjValue& root(std::size_t i) const { return entries_[i]->root; }

  // country = c
  std::uint64_t count_eq(std::string_view country) const {
    std::uint64_t n = 0;
    for (const auto& e : entries_) n += string_is(e->root, "country", country);
    return n;
  }
  // country = c AND active = true
  std::uint64_t count_and_active(std::string_view country) const {
    std::uint64_t n = 0;
    for (const auto& e : entries_) {
      n += string_is(e->root, "country", country) && is_true(e->root, "active");
    }
    return n;
  }
  // country = c AND city = k
  std::uint64_t count_and_city(std::string_view country, std::string_view city) const {
    std::uint64_t n = 0;
    for (const auto& e : entries_) {
      n += string_is(e->root, "country", country) && string_is(e->root, "city", city);
    }
    return n;
  }
  // score > 50.5 AND active = true (a number compared by value; active must be true).
  std::uint64_t count_scan() const {
    std::uint64_t n = 0;
    for (const auto& e : entries_) {
      if (!is_true(e->root, "active")) continue;
      const RjValue* s = member(e->root, "score");
      n += s != nullptr && s->IsNumber() && s->GetDouble() > kScanThreshold;
    }
    return n;
  }
  // The first `limit` documents (store order) with country = c, serialized.
  std::vector<NaiveHit> find_eq(std::string_view country, std::size_t limit) {
    std::vector<NaiveHit> hits;
    for (std::size_t i = 0; i < entries_.size() && hits.size() < limit; ++i) {
      if (!string_is(entries_[i]->root, "country", country)) continue;
      buffer_.Clear();
      writer_.Reset(buffer_);
      entries_[i]->root.Accept(writer_);
      hits.push_back({ids_[i], std::string(buffer_.GetString(), buffer_.GetSize())});
    }
    return hits;
  }
  // Indexes of the top k documents by score descending, ties by id ascending (bytewise),
  // as the engine orders them. Every standard document holds a number score, so the
  // cross-type order and "missing last" do not arise.
  std::vector<std::size_t> top_score(std::size_t k) const {
    struct Ranked {
      double score;
      std::size_t index;
    };
    const auto before = [&](const Ranked& a, const Ranked& b) {
      return a.score > b.score || (a.score == b.score && ids_[a.index] < ids_[b.index]);
    };
    std::vector<Ranked> best;
    best.reserve(k + 1);
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const RjValue* s = member(entries_[i]->root, "score");
      if (s == nullptr || !s->IsNumber()) continue;
      const Ranked r{s->GetDouble(), i};
      if (best.size() == k && (r.score < best.back().score || !before(r, best.back()))) continue;
      best.insert(std::upper_bound(best.begin(), best.end(), r, before), r);
      if (best.size() > k) best.pop_back();
    }
    std::vector<std::size_t> out;
    for (const Ranked& r : best) out.push_back(r.index);
    return out;
  }

 private:
  std::vector<std::string> ids_;
  std::vector<std::unique_ptr<Entry>> entries_;
  rapidjson::StringBuffer buffer_;
  RjWriter writer_{buffer_, &g_crt};
};

// ---- Baseline: simdjson On-Demand scan --------------------------------------------------------

// score > 50.5 AND active = true over every text; nullopt on a parse error. A missing field
// or one of another type does not match (as in the engine).
std::optional<std::uint64_t> simdjson_scan_count(simdjson::ondemand::parser& parser,
                                                 const std::vector<simdjson::padded_string>& docs) {
  std::uint64_t n = 0;
  for (const simdjson::padded_string& text : docs) {
    simdjson::ondemand::document doc;
    if (parser.iterate(text).get(doc) != simdjson::SUCCESS) return std::nullopt;
    bool active = false;
    const simdjson::error_code a = doc["active"].get_bool().get(active);
    if (a == simdjson::NO_SUCH_FIELD || a == simdjson::INCORRECT_TYPE) continue;
    if (a != simdjson::SUCCESS) return std::nullopt;
    if (!active) continue;
    double score = 0;
    const simdjson::error_code s = doc["score"].get_double().get(score);
    if (s == simdjson::NO_SUCH_FIELD || s == simdjson::INCORRECT_TYPE) continue;
    if (s != simdjson::SUCCESS) return std::nullopt;
    n += score > kScanThreshold;
  }
  return n;
}

// ---- Baseline: SQLite, an in-memory database -------------------------------------------------

struct SqliteClose {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct SqliteFinalize {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteClose>;
using SqliteStmt = std::unique_ptr<sqlite3_stmt, SqliteFinalize>;

static_assert(kFindLimit == 10 && kTopN == 10, "the SQL below says LIMIT 10");
// Query 3; ?1 is the country.
constexpr std::string_view kSqliteFindSql =
    "SELECT id, doc FROM docs WHERE json_extract(doc, '$.country') = ?1 LIMIT 10";
// Query 4 with the expression index on score, and on the table without indexes.
constexpr std::string_view kSqliteTopSql =
    "SELECT id, doc FROM docs ORDER BY json_extract(doc, '$.score') DESC, id ASC LIMIT 10";
constexpr std::string_view kSqliteTopPlainSql =
    "SELECT id, doc FROM docs_plain ORDER BY json_extract(doc, '$.score') DESC, id ASC LIMIT 10";

// A statement prepared once and reused across calls, with its EXPLAIN QUERY PLAN.
struct SqliteQuery {
  std::string_view sql;
  SqliteStmt stmt;
  std::string plan;  // the detail of each plan row, joined by "; "
};

// "what: SQLite's last error message".
std::string sqlite_error(sqlite3* db, std::string_view what) {
  return std::string(what) + ": " + sqlite3_errmsg(db);
}

// Runs SQL that returns no rows; empty, or what failed.
std::string sqlite_exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return {};
  std::string e = std::string(sql) + ": " + (message != nullptr ? message : sqlite3_errmsg(db));
  sqlite3_free(message);
  return e;
}

// `sql` prepared for reuse; nullptr, with *error set, on failure.
SqliteStmt sqlite_prepare(sqlite3* db, std::string_view sql, std::string* error) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    *error = sqlite_error(db, "prepare " + std::string(sql));
    sqlite3_finalize(stmt);
    return nullptr;
  }
  return SqliteStmt(stmt);
}

// Column `column` of the current row as text (empty for NULL), valid until the next step.
std::string_view sqlite_text(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  const int size = sqlite3_column_bytes(stmt, column);
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(size)};
}

// Steps `stmt` (bound, at its start) to the end, copying each row's id and doc (columns 0
// and 1) into owned strings, as kora's DocHit holds them; then resets it. nullopt on an
// error.
std::optional<std::vector<NaiveHit>> sqlite_hits(sqlite3_stmt* stmt) {
  std::vector<NaiveHit> hits;
  hits.reserve(kFindLimit);
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    hits.push_back({std::string(sqlite_text(stmt, 0)), std::string(sqlite_text(stmt, 1))});
  }
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) return std::nullopt;
  return hits;
}

// Query 3 for `country` (a static string, so bound with SQLITE_STATIC).
std::optional<std::vector<NaiveHit>> sqlite_find_eq(sqlite3_stmt* stmt, std::string_view country) {
  if (sqlite3_bind_text(stmt, 1, country.data(), static_cast<int>(country.size()), SQLITE_STATIC) !=
      SQLITE_OK) {
    return std::nullopt;
  }
  return sqlite_hits(stmt);
}

// Prepares q.sql into q.stmt and reads its EXPLAIN QUERY PLAN into q.plan; empty, or what
// failed.
std::string sqlite_prepare_query(sqlite3* db, SqliteQuery& q) {
  std::string error;
  q.stmt = sqlite_prepare(db, q.sql, &error);
  if (q.stmt == nullptr) return error;
  const SqliteStmt explain = sqlite_prepare(db, "EXPLAIN QUERY PLAN " + std::string(q.sql), &error);
  if (explain == nullptr) return error;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(explain.get())) == SQLITE_ROW) {
    if (!q.plan.empty()) q.plan += "; ";
    q.plan += sqlite_text(explain.get(), 3);  // columns: id, parent, notused, detail
  }
  if (rc != SQLITE_DONE) return sqlite_error(db, "EXPLAIN QUERY PLAN " + std::string(q.sql));
  return {};
}

// "3.40" from "3.40.1".
std::string sqlite_short_version() {
  const std::string_view v = sqlite3_libversion();
  const std::size_t dot = v.find('.');
  return std::string(v.substr(0, dot == std::string_view::npos ? v.size() : v.find('.', dot + 1)));
}

// ---- Fixture ------------------------------------------------------------------------------

struct CountQuery {
  std::string where;
  std::size_t country;         // index into kUserCountries
  std::size_t city;            // index into kUserCities (AND-city queries only)
  std::uint64_t expected = 0;  // the naive store's answer
};

// Check families: a benchmark runs only if every family it depends on agreed.
constexpr std::string_view kCheckEq = "equality count";
constexpr std::string_view kCheckAndActive = "AND active count";
constexpr std::string_view kCheckAndCity = "AND city count";
constexpr std::string_view kCheckRoaring = "CRoaring and_cardinality";
constexpr std::string_view kCheckFind = "find 10 by equality";
constexpr std::string_view kCheckTopIndexed = "top 10 by score, sorted index";
constexpr std::string_view kCheckTopPlain = "top 10 by score, no index";
constexpr std::string_view kCheckScan = "unindexed scan count";
constexpr std::string_view kCheckSimdjson = "simdjson scan count";
constexpr std::string_view kCheckSqliteFind = "SQLite find 10 by equality";
constexpr std::string_view kCheckSqliteTopIndexed = "SQLite top 10 by score, expression index";
constexpr std::string_view kCheckSqliteTopPlain = "SQLite top 10 by score, no index";

struct Fixture {
  std::size_t n = 0;
  std::vector<std::string> ids;
  std::vector<std::string> docs;
  std::vector<simdjson::padded_string> padded;
  std::uint64_t raw_bytes = 0;
  NaiveStore naive;
  std::vector<Roaring> country_bitmaps;  // by kUserCountries index
  std::vector<Roaring> city_bitmaps;     // by kUserCities index
  Roaring active_bitmap;
  std::unique_ptr<kora::Database> db;

  std::vector<CountQuery> eq;          // country = c, one per country
  std::vector<CountQuery> and_active;  // country = c AND active = true
  std::vector<CountQuery> and_city;    // country = c AND city = k, one per city
  std::uint64_t scan_expected = 0;
  std::vector<std::string> top_ids;  // the reference top 10, in order
  kora::DocFindOptions find_options;
  kora::DocFindOptions top_options;

  double load_seconds = 0;   // doc_mset of both collections
  double index_seconds = 0;  // doc_create_index of the four indexes
  std::uint64_t index_bytes = 0;
  std::size_t find_identical = 0;  // find hits whose JSON is byte-identical to the source
  std::size_t find_checked = 0;

  // The SQLite baseline (7). The connection is declared first so that it is closed after
  // the statements are finalized.
  SqliteDb sqlite;
  SqliteQuery sqlite_find{kSqliteFindSql, nullptr, {}};           // query 3 on docs
  SqliteQuery sqlite_top{kSqliteTopSql, nullptr, {}};             // query 4 on docs
  SqliteQuery sqlite_top_plain{kSqliteTopPlainSql, nullptr, {}};  // query 4 on docs_plain
  double sqlite_load_seconds = 0;   // both tables, one transaction each
  double sqlite_index_seconds = 0;  // the two expression indexes
  std::string sqlite_error;         // SQLite setup failed: its families fail with this

  std::string error;                                       // setup failed
  std::map<std::string_view, std::string> check_failures;  // family -> what differed
};

std::unique_ptr<Fixture> g_fixture;

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  out.append(s);
  out.push_back('\'');
  return out;
}

std::optional<std::size_t> doc_index(std::string_view id, std::size_t n) {
  constexpr std::string_view kPrefix = "user:";
  if (id.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  id.remove_prefix(kPrefix.size());
  std::size_t i = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), i);
  if (ec != std::errc() || end != id.data() + id.size() || i >= n) return std::nullopt;
  return i;
}

std::string kora_load(kora::Database& db, std::string_view collection, const Fixture& f) {
  std::vector<kora::DocEntry> entries;
  entries.reserve(kBatchDocs);
  for (std::size_t start = 0; start < f.n; start += kBatchDocs) {
    entries.clear();
    for (std::size_t i = start; i < std::min(f.n, start + kBatchDocs); ++i) {
      entries.push_back(kora::DocEntry{f.ids[i], f.docs[i]});
    }
    auto r = db.doc_mset(collection, entries);
    if (!r.ok()) return "doc_mset: " + r.error().to_string();
    if (r->size() != entries.size()) return "doc_mset: wrong number of results";
  }
  return {};
}

std::string build_stores(Fixture& f) {
  f.ids = kora_bench::make_user_doc_ids(f.n);
  f.docs = kora_bench::make_user_docs(f.n, kSeed);
  f.padded.reserve(f.n);
  for (const std::string& d : f.docs) {
    f.raw_bytes += d.size();
    f.padded.emplace_back(std::string_view(d));
  }
  for (std::size_t i = 0; i < f.n; ++i) {
    if (!f.naive.add(f.ids[i], f.docs[i])) return "naive store refused " + f.ids[i];
  }

  // CRoaring bitmaps of doc numbers, from the naive DOMs.
  std::unordered_map<std::string_view, std::size_t> country_of, city_of;
  for (std::size_t c = 0; c < kUserCountries.size(); ++c) country_of[kUserCountries[c]] = c;
  for (std::size_t k = 0; k < kUserCities.size(); ++k) city_of[kUserCities[k].name] = k;
  f.country_bitmaps.resize(kUserCountries.size());
  f.city_bitmaps.resize(kUserCities.size());
  for (std::size_t i = 0; i < f.n; ++i) {
    const RjValue& root = f.naive.root(i);
    const auto bit = static_cast<std::uint32_t>(i);
    const RjValue* country = member(root, "country");
    const RjValue* city = member(root, "city");
    if (country == nullptr || !country->IsString() || !country_of.contains(view(*country)) ||
        city == nullptr || !city->IsString() || !city_of.contains(view(*city))) {
      return "document " + f.ids[i] + " has no known country / city";
    }
    f.country_bitmaps[country_of[view(*country)]].add(bit);
    f.city_bitmaps[city_of[view(*city)]].add(bit);
    if (is_true(root, "active")) f.active_bitmap.add(bit);
  }
  const auto compact = [](Roaring& b) {
    b.runOptimize();
    b.shrinkToFit();
  };
  for (Roaring& b : f.country_bitmaps) compact(b);
  for (Roaring& b : f.city_bitmaps) compact(b);
  compact(f.active_bitmap);

  kora::Config config;
  if (g_shard_count != 0) config.shard_count = g_shard_count;
  auto opened = kora::Database::open(config);
  if (!opened.ok()) return "Database::open: " + opened.error().to_string();
  f.db = std::move(opened).value();
  for (std::string_view c : {kIndexed, kPlain}) {
    if (kora::Status s = f.db->doc_create_collection(c); !s.ok()) {
      return "doc_create_collection: " + s.to_string();
    }
  }
  auto t0 = Clock::now();
  for (std::string_view c : {kIndexed, kPlain}) {
    if (std::string e = kora_load(*f.db, c, f); !e.empty()) return std::string(c) + ": " + e;
  }
  f.load_seconds = since(t0);
  t0 = Clock::now();
  const std::pair<std::string_view, kora::DocIndexType> indexes[] = {
      {"country", kora::DocIndexType::kHash},
      {"city", kora::DocIndexType::kHash},
      {"active", kora::DocIndexType::kHash},
      {"score", kora::DocIndexType::kSorted}};
  for (const auto& [path, type] : indexes) {
    if (kora::Status s = f.db->doc_create_index(kIndexed, path, type); !s.ok()) {
      return "doc_create_index(" + std::string(path) + "): " + s.to_string();
    }
  }
  f.index_seconds = since(t0);
  if (auto info = f.db->doc_storage_info(kIndexed); info.ok()) f.index_bytes = info->index_bytes;
  return {};
}

// Inserts every document into `table` in one transaction with one prepared INSERT.
std::string sqlite_load(sqlite3* db, std::string_view table, const Fixture& f) {
  const std::string sql = "INSERT INTO " + std::string(table) + "(id, doc) VALUES (?1, ?2)";
  std::string error;
  const SqliteStmt insert = sqlite_prepare(db, sql, &error);
  if (insert == nullptr) return error;
  if (std::string e = sqlite_exec(db, "BEGIN"); !e.empty()) return e;
  for (std::size_t i = 0; i < f.n; ++i) {
    const std::string& id = f.ids[i];
    const std::string& doc = f.docs[i];
    if (sqlite3_bind_text(insert.get(), 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC) !=
            SQLITE_OK ||
        sqlite3_bind_text(insert.get(), 2, doc.data(), static_cast<int>(doc.size()),
                          SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(insert.get()) != SQLITE_DONE) {
      return sqlite_error(db, sql + " of " + id);
    }
    sqlite3_reset(insert.get());
  }
  return sqlite_exec(db, "COMMIT");
}

// The SQLite baseline (7): an in-memory database, both tables loaded before the indexes
// are created (as for kora), the three queries prepared and their plans read.
std::string build_sqlite(Fixture& f) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  f.sqlite.reset(db);  // a failed open still returns a handle to close
  if (db == nullptr) return "sqlite3_open_v2: out of memory";
  if (rc != SQLITE_OK) return sqlite_error(db, "sqlite3_open_v2(:memory:)");
  for (const char* sql : {"PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF",
                          "CREATE TABLE docs(id TEXT PRIMARY KEY, doc TEXT NOT NULL)",
                          "CREATE TABLE docs_plain(id TEXT PRIMARY KEY, doc TEXT NOT NULL)"}) {
    if (std::string e = sqlite_exec(db, sql); !e.empty()) return e;
  }
  auto t0 = Clock::now();
  for (std::string_view table : {"docs", "docs_plain"}) {
    if (std::string e = sqlite_load(db, table, f); !e.empty()) return e;
  }
  f.sqlite_load_seconds = since(t0);
  t0 = Clock::now();
  for (const char* sql : {"CREATE INDEX docs_country ON docs(json_extract(doc, '$.country'))",
                          "CREATE INDEX docs_score ON docs(json_extract(doc, '$.score'))"}) {
    if (std::string e = sqlite_exec(db, sql); !e.empty()) return e;
  }
  f.sqlite_index_seconds = since(t0);
  for (SqliteQuery* q : {&f.sqlite_find, &f.sqlite_top, &f.sqlite_top_plain}) {
    if (std::string e = sqlite_prepare_query(db, *q); !e.empty()) return e;
  }
  return {};
}

void build_queries(Fixture& f) {
  for (std::size_t c = 0; c < kUserCountries.size(); ++c) {
    const std::string country = quoted(kUserCountries[c]);
    f.eq.push_back({"country = " + country, c, 0});
    f.eq.back().expected = f.naive.count_eq(kUserCountries[c]);
    f.and_active.push_back({"country = " + country + " AND active = true", c, 0});
    f.and_active.back().expected = f.naive.count_and_active(kUserCountries[c]);
  }
  for (std::size_t k = 0; k < kUserCities.size(); ++k) {
    const std::size_t c = kUserCities[k].country;
    f.and_city.push_back(
        {"country = " + quoted(kUserCountries[c]) + " AND city = " + quoted(kUserCities[k].name), c,
         k});
    f.and_city.back().expected = f.naive.count_and_city(kUserCountries[c], kUserCities[k].name);
  }
  f.scan_expected = f.naive.count_scan();
  for (std::size_t i : f.naive.top_score(kTopN)) f.top_ids.push_back(f.ids[i]);
  f.find_options.limit = kFindLimit;
  f.top_options.limit = kTopN;
  f.top_options.order_by = "score";
  f.top_options.descending = true;
}

// Empty, or what the engine's count for `q` on `collection` got wrong.
std::string check_count(Fixture& f, std::string_view collection, const CountQuery& q) {
  auto r = f.db->doc_count(collection, q.where);
  if (!r.ok()) return "doc_count(" + q.where + "): " + r.error().to_string();
  if (*r != q.expected) {
    return "doc_count(" + std::string(collection) + ", " + q.where + ") = " + std::to_string(*r) +
           ", the naive scan counts " + std::to_string(q.expected);
  }
  return {};
}

std::string check_counts(Fixture& f, const std::vector<CountQuery>& queries) {
  for (const CountQuery& q : queries) {
    if (std::string e = check_count(f, kIndexed, q); !e.empty()) return e;
  }
  // The unindexed path must agree too (two queries: each is a full scan).
  for (std::size_t k = 0; k < std::min<std::size_t>(2, queries.size()); ++k) {
    if (std::string e = check_count(f, kPlain, queries[k]); !e.empty()) return e;
  }
  return {};
}

std::string check_roaring(const Fixture& f) {
  for (const CountQuery& q : f.and_active) {
    const std::uint64_t n = f.country_bitmaps[q.country].and_cardinality(f.active_bitmap);
    if (n != q.expected) {
      return "CRoaring (" + q.where + ") = " + std::to_string(n) + ", naive " +
             std::to_string(q.expected);
    }
  }
  for (const CountQuery& q : f.and_city) {
    const std::uint64_t n = f.country_bitmaps[q.country].and_cardinality(f.city_bitmaps[q.city]);
    if (n != q.expected) {
      return "CRoaring (" + q.where + ") = " + std::to_string(n) + ", naive " +
             std::to_string(q.expected);
    }
  }
  return {};
}

// One find of 10 on `collection`: distinct ids of matching documents, JSON equal in value
// to the source.
std::string check_find_one(Fixture& f, std::string_view collection, const CountQuery& q) {
  const std::string call = "doc_find(" + std::string(collection) + ", " + q.where + ", limit 10)";
  auto r = f.db->doc_find(collection, q.where, f.find_options);
  if (!r.ok()) return call + ": " + r.error().to_string();
  const std::size_t want = std::min<std::uint64_t>(kFindLimit, q.expected);
  if (r->size() != want) {
    return call + " returned " + std::to_string(r->size()) + " hits, expected " +
           std::to_string(want);
  }
  std::unordered_set<std::string_view> seen;
  for (const kora::DocHit& hit : *r) {
    const auto i = doc_index(hit.id, f.n);
    if (!i) return call + " returned an unknown id " + hit.id;
    if (!seen.insert(hit.id).second) return call + " returned " + hit.id + " twice";
    if (!string_is(f.naive.root(*i), "country", kUserCountries[q.country])) {
      return call + " returned " + hit.id + ", which does not match: " + f.docs[*i];
    }
    if (!same_value(hit.json, f.docs[*i])) {
      return call + " returned for " + hit.id + ": " + hit.json + ", stored: " + f.docs[*i];
    }
    f.find_identical += hit.json == f.docs[*i];
    ++f.find_checked;
  }
  return {};
}

std::string check_find(Fixture& f) {
  for (std::size_t k = 0; k < f.eq.size(); ++k) {
    const CountQuery& q = f.eq[k];
    if (std::string e = check_find_one(f, kIndexed, q); !e.empty()) return e;
    if (k < 2) {  // the unindexed path too
      if (std::string e = check_find_one(f, kPlain, q); !e.empty()) return e;
    }
    // The naive baseline answers with matching documents too.
    const std::vector<NaiveHit> hits = f.naive.find_eq(kUserCountries[q.country], kFindLimit);
    if (hits.size() != std::min<std::uint64_t>(kFindLimit, q.expected)) {
      return "naive find(" + q.where + ") returned " + std::to_string(hits.size()) + " hits";
    }
    for (const NaiveHit& hit : hits) {
      const auto i = doc_index(hit.id, f.n);
      if (!i || !string_is(f.naive.root(*i), "country", kUserCountries[q.country]) ||
          !same_value(hit.json, f.docs[*i])) {
        return "naive find(" + q.where + ") returned " + hit.id + ": " + hit.json;
      }
    }
  }
  return {};
}

std::string check_top(Fixture& f, std::string_view collection) {
  auto r = f.db->doc_find(collection, "", f.top_options);
  if (!r.ok()) return "doc_find(order_by score desc): " + r.error().to_string();
  std::string got;
  std::string want;
  for (const kora::DocHit& hit : *r) got += hit.id + " ";
  for (const std::string& id : f.top_ids) want += id + " ";
  if (got != want) {
    return "doc_find(" + std::string(collection) + ", order_by score desc, limit 10) ids: " + got +
           "; expected (score desc, id asc): " + want;
  }
  for (const kora::DocHit& hit : *r) {
    const auto i = doc_index(hit.id, f.n);
    if (!i || !same_value(hit.json, f.docs[*i])) {
      return "doc_find(order_by score) returned for " + hit.id + ": " + hit.json;
    }
  }
  return {};
}

std::string check_scan(Fixture& f) {
  for (std::string_view c : {kPlain, kIndexed}) {
    auto r = f.db->doc_count(c, kScanWhere);
    if (!r.ok()) return "doc_count(" + std::string(kScanWhere) + "): " + r.error().to_string();
    if (*r != f.scan_expected) {
      return "doc_count(" + std::string(c) + ", " + std::string(kScanWhere) +
             ") = " + std::to_string(*r) + ", the naive scan counts " +
             std::to_string(f.scan_expected);
    }
  }
  auto all = f.db->doc_count(kPlain, "");
  if (!all.ok() || *all != f.n) {
    return "doc_count(\"\") = " + (all.ok() ? std::to_string(*all) : all.error().to_string()) +
           ", expected " + std::to_string(f.n);
  }
  return {};
}

std::string check_simdjson(const Fixture& f) {
  simdjson::ondemand::parser parser;
  const std::optional<std::uint64_t> n = simdjson_scan_count(parser, f.padded);
  if (!n) return "simdjson scan failed to parse";
  if (*n != f.scan_expected) {
    return "simdjson scan counts " + std::to_string(*n) + ", the naive scan " +
           std::to_string(f.scan_expected);
  }
  return {};
}

// SQLite's query 3 for every country: the plan searches docs_country; 10 distinct ids of
// documents that match, each doc the same bytes as the source.
std::string check_sqlite_find(Fixture& f) {
  if (!f.sqlite_error.empty()) return "SQLite setup: " + f.sqlite_error;
  if (f.sqlite_find.plan.find("INDEX docs_country") == std::string::npos) {
    return "SQLite does not use docs_country for query 3; plan: " + f.sqlite_find.plan;
  }
  for (const CountQuery& q : f.eq) {
    const std::string call = "SQLite find(" + q.where + ", limit 10)";
    const auto hits = sqlite_find_eq(f.sqlite_find.stmt.get(), kUserCountries[q.country]);
    if (!hits) return sqlite_error(f.sqlite.get(), call);
    const std::size_t want = std::min<std::uint64_t>(kFindLimit, q.expected);
    if (hits->size() != want) {
      return call + " returned " + std::to_string(hits->size()) + " rows, expected " +
             std::to_string(want);
    }
    std::unordered_set<std::string_view> seen;
    for (const NaiveHit& hit : *hits) {
      const auto i = doc_index(hit.id, f.n);
      if (!i) return call + " returned an unknown id " + hit.id;
      if (!seen.insert(hit.id).second) return call + " returned " + hit.id + " twice";
      if (!string_is(f.naive.root(*i), "country", kUserCountries[q.country])) {
        return call + " returned " + hit.id + ", which does not match: " + f.docs[*i];
      }
      if (hit.json != f.docs[*i]) {
        return call + " returned for " + hit.id + ": " + hit.json + ", stored: " + f.docs[*i];
      }
    }
  }
  return {};
}

// SQLite's query 4: exactly the reference's ids in order, each doc the same bytes as the
// source; with `index` given, the plan must use it.
std::string check_sqlite_top(Fixture& f, const SqliteQuery& q, std::string_view index) {
  if (!f.sqlite_error.empty()) return "SQLite setup: " + f.sqlite_error;
  if (!index.empty() && q.plan.find("INDEX " + std::string(index)) == std::string::npos) {
    return "SQLite does not use " + std::string(index) + " for " + std::string(q.sql) +
           "; plan: " + q.plan;
  }
  const auto hits = sqlite_hits(q.stmt.get());
  if (!hits) return sqlite_error(f.sqlite.get(), q.sql);
  std::string got;
  std::string want;
  for (const NaiveHit& hit : *hits) got += hit.id + " ";
  for (const std::string& id : f.top_ids) want += id + " ";
  if (got != want) {
    return std::string(q.sql) + " ids: " + got + "; expected (score desc, id asc): " + want;
  }
  for (const NaiveHit& hit : *hits) {
    const auto i = doc_index(hit.id, f.n);
    if (!i || hit.json != f.docs[*i]) return std::string(q.sql) + " returned " + hit.json;
  }
  return {};
}

Fixture& fixture() {
  if (g_fixture) return *g_fixture;
  auto f = std::make_unique<Fixture>();
  f->n = g_docs;
  const auto t0 = Clock::now();
  std::fprintf(stderr, "setup: %zu documents, two collections, naive store, bitmaps...\n", f->n);
  f->error = build_stores(*f);
  if (f->error.empty()) {
    std::fprintf(stderr, "setup: kora doc_mset of 2 x %zu docs %.2f s, 4 indexes %.2f s\n", f->n,
                 f->load_seconds, f->index_seconds);
    f->sqlite_error = build_sqlite(*f);
    if (f->sqlite_error.empty()) {
      std::fprintf(stderr, "setup: SQLite %s INSERT of 2 x %zu rows %.2f s, 2 indexes %.2f s\n",
                   sqlite3_libversion(), f->n, f->sqlite_load_seconds, f->sqlite_index_seconds);
      for (const SqliteQuery* q : {&f->sqlite_find, &f->sqlite_top, &f->sqlite_top_plain}) {
        std::fprintf(stderr, "setup: SQLite plan of %.*s: %s\n", static_cast<int>(q->sql.size()),
                     q->sql.data(), q->plan.c_str());
      }
    } else {
      std::fprintf(stderr, "setup: SQLite failed: %s\n", f->sqlite_error.c_str());
    }
    build_queries(*f);
    const std::pair<std::string_view, std::string> checks[] = {
        {kCheckEq, check_counts(*f, f->eq)},
        {kCheckAndActive, check_counts(*f, f->and_active)},
        {kCheckAndCity, check_counts(*f, f->and_city)},
        {kCheckRoaring, check_roaring(*f)},
        {kCheckFind, check_find(*f)},
        {kCheckTopIndexed, check_top(*f, kIndexed)},
        {kCheckTopPlain, check_top(*f, kPlain)},
        {kCheckScan, check_scan(*f)},
        {kCheckSimdjson, check_simdjson(*f)},
        {kCheckSqliteFind, check_sqlite_find(*f)},
        {kCheckSqliteTopIndexed, check_sqlite_top(*f, f->sqlite_top, "docs_score")},
        {kCheckSqliteTopPlain, check_sqlite_top(*f, f->sqlite_top_plain, {})},
    };
    for (const auto& [family, failure] : checks) {
      if (failure.empty()) continue;
      f->check_failures[family] = failure;
      std::fprintf(stderr, "CHECK FAILED (%.*s): %s\n", static_cast<int>(family.size()),
                   family.data(), failure.c_str());
    }
  } else {
    std::fprintf(stderr, "setup failed: %s\n", f->error.c_str());
  }
  std::fprintf(stderr, "setup: done in %.1f s\n", since(t0));
  g_fixture = std::move(f);
  return *g_fixture;
}

// The fixture, or nullptr (after SkipWithError) when setup failed or a family the
// benchmark depends on gave a different answer somewhere.
Fixture* prepare(benchmark::State& state, std::initializer_list<std::string_view> families) {
  Fixture& f = fixture();
  if (!f.error.empty()) {
    state.SkipWithError(("setup: " + f.error).c_str());
    return nullptr;
  }
  for (std::string_view family : families) {
    auto it = f.check_failures.find(family);
    if (it != f.check_failures.end()) {
      state.SkipWithError((std::string(family) + ": " + it->second).c_str());
      return nullptr;
    }
  }
  return &f;
}

// ---- Benchmarks ---------------------------------------------------------------------------

// A timed loop over the queries of one family in timed_rng order (so every benchmark of the
// family draws the same sequence): `answer(fixture, query)` makes one call and returns
// whether it gave the expected answer; any wrong one skips the benchmark with `error`
// afterwards. Items are calls.
template <class Answer>
void query_loop(benchmark::State& state, std::initializer_list<std::string_view> families,
                std::vector<CountQuery> Fixture::*queries, const char* error, Answer answer) {
  Fixture* f = prepare(state, families);
  if (f == nullptr) return;
  const std::vector<CountQuery>& qs = f->*queries;
  const auto n = static_cast<std::uint32_t>(qs.size());
  XorShift64 rng = timed_rng(0);
  std::int64_t bad = 0;
  for (auto _ : state) bad += !answer(*f, qs[rng.index(n)]);
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError(error);
}

// kora doc_count on the indexed collection.
void kora_count_loop(benchmark::State& state, std::string_view family,
                     std::vector<CountQuery> Fixture::*queries) {
  query_loop(state, {family}, queries, "kora doc_count failed or miscounted in the timed loop",
             [](Fixture& f, const CountQuery& q) {
               auto r = f.db->doc_count(kIndexed, q.where);
               benchmark::DoNotOptimize(r);
               return r.ok() && *r == q.expected;
             });
}

void BM_KoraCountEq(benchmark::State& state) { kora_count_loop(state, kCheckEq, &Fixture::eq); }
void BM_KoraCountAndActive(benchmark::State& state) {
  kora_count_loop(state, kCheckAndActive, &Fixture::and_active);
}
void BM_KoraCountAndCity(benchmark::State& state) {
  kora_count_loop(state, kCheckAndCity, &Fixture::and_city);
}

// A baseline count: `count(fixture, query)` must give the query's expected count.
template <class Count>
void count_loop(benchmark::State& state, std::initializer_list<std::string_view> families,
                std::vector<CountQuery> Fixture::*queries, const char* error, Count count) {
  query_loop(state, families, queries, error, [&](Fixture& f, const CountQuery& q) {
    const std::uint64_t c = count(f, q);
    benchmark::DoNotOptimize(c);
    return c == q.expected;
  });
}

void BM_RoaringAndActive(benchmark::State& state) {
  count_loop(state, {kCheckRoaring}, &Fixture::and_active, "CRoaring miscounted in the timed loop",
             [](Fixture& f, const CountQuery& q) {
               return f.country_bitmaps[q.country].and_cardinality(f.active_bitmap);
             });
}
void BM_RoaringAndCity(benchmark::State& state) {
  count_loop(state, {kCheckRoaring}, &Fixture::and_city, "CRoaring miscounted in the timed loop",
             [](Fixture& f, const CountQuery& q) {
               return f.country_bitmaps[q.country].and_cardinality(f.city_bitmaps[q.city]);
             });
}
void BM_NaiveCountEq(benchmark::State& state) {
  count_loop(
      state, {}, &Fixture::eq, "naive miscounted in the timed loop",
      [](Fixture& f, const CountQuery& q) { return f.naive.count_eq(kUserCountries[q.country]); });
}
void BM_NaiveCountAndActive(benchmark::State& state) {
  count_loop(state, {}, &Fixture::and_active, "naive miscounted in the timed loop",
             [](Fixture& f, const CountQuery& q) {
               return f.naive.count_and_active(kUserCountries[q.country]);
             });
}

void BM_KoraFindEq10(benchmark::State& state) {
  query_loop(state, {kCheckFind}, &Fixture::eq, "kora doc_find failed or short in the timed loop",
             [](Fixture& f, const CountQuery& q) {
               auto r = f.db->doc_find(kIndexed, q.where, f.find_options);
               benchmark::DoNotOptimize(r);
               return r.ok() && r->size() == std::min<std::uint64_t>(kFindLimit, q.expected);
             });
}

void BM_NaiveFindEq10(benchmark::State& state) {
  query_loop(state, {kCheckFind}, &Fixture::eq, "naive find short in the timed loop",
             [](Fixture& f, const CountQuery& q) {
               auto r = f.naive.find_eq(kUserCountries[q.country], kFindLimit);
               benchmark::DoNotOptimize(r);
               return r.size() == std::min<std::uint64_t>(kFindLimit, q.expected);
             });
}

// The same countries in the same order as BM_KoraFindEq10.
void BM_SqliteFindEq10(benchmark::State& state) {
  query_loop(state, {kCheckSqliteFind}, &Fixture::eq,
             "SQLite find failed or short in the timed loop", [](Fixture& f, const CountQuery& q) {
               auto r = sqlite_find_eq(f.sqlite_find.stmt.get(), kUserCountries[q.country]);
               benchmark::DoNotOptimize(r);
               return r && r->size() == std::min<std::uint64_t>(kFindLimit, q.expected);
             });
}

// Process CPU time (every thread: the caller, the shard workers, their spinning) against
// wall time over a timed loop: "cores_used" tells whether a call ran its shards in
// parallel.
class CpuMeter {
 public:
  CpuMeter() : cpu0_(process_cpu_seconds()), wall0_(Clock::now()) {}
  // Sets the cores_used counter; returns the process CPU seconds used.
  double finish(benchmark::State& state) const {
    const double cpu = process_cpu_seconds() - cpu0_;
    const double wall = since(wall0_);
    if (wall > 0) state.counters["cores_used"] = cpu / wall;
    return cpu;
  }

 private:
  static double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  double cpu0_;
  Clock::time_point wall0_;
};

void kora_top_loop(benchmark::State& state, std::string_view family, std::string_view collection) {
  Fixture* f = prepare(state, {family});
  if (f == nullptr) return;
  std::int64_t bad = 0;
  const CpuMeter meter;
  for (auto _ : state) {
    auto r = f->db->doc_find(collection, "", f->top_options);
    bad += !r.ok() || r->size() != f->top_ids.size() || r->front().id != f->top_ids.front();
    benchmark::DoNotOptimize(r);
  }
  meter.finish(state);
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError("kora doc_find order_by gave another answer in the loop");
}

void BM_KoraTop10ScoreIndexed(benchmark::State& state) {
  kora_top_loop(state, kCheckTopIndexed, kIndexed);
}
void BM_KoraTop10ScoreNoIndex(benchmark::State& state) {
  kora_top_loop(state, kCheckTopPlain, kPlain);
}

void sqlite_top_loop(benchmark::State& state, std::string_view family,
                     SqliteQuery Fixture::*query) {
  Fixture* f = prepare(state, {family});
  if (f == nullptr) return;
  sqlite3_stmt* stmt = (f->*query).stmt.get();
  std::int64_t bad = 0;
  for (auto _ : state) {
    auto r = sqlite_hits(stmt);
    bad += !r || r->size() != f->top_ids.size() || r->front().id != f->top_ids.front();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError("SQLite ORDER BY failed or gave another answer in the loop");
}

void BM_SqliteTop10Indexed(benchmark::State& state) {
  sqlite_top_loop(state, kCheckSqliteTopIndexed, &Fixture::sqlite_top);
}
void BM_SqliteTop10NoIndex(benchmark::State& state) {
  sqlite_top_loop(state, kCheckSqliteTopPlain, &Fixture::sqlite_top_plain);
}

void BM_NaiveTop10Score(benchmark::State& state) {
  Fixture* f = prepare(state, {});
  if (f == nullptr) return;
  std::int64_t bad = 0;
  for (auto _ : state) {
    auto top = f->naive.top_score(kTopN);
    bad += top.size() != f->top_ids.size();
    benchmark::DoNotOptimize(top);
  }
  state.SetItemsProcessed(state.iterations());
  if (bad != 0) state.SkipWithError("naive top-10 short in the loop");
}

// Scans: items are calls; docs_per_second counts the documents each call examined.
void set_scan_counters(benchmark::State& state, const Fixture& f) {
  state.SetItemsProcessed(state.iterations());
  state.counters["docs_per_second"] =
      benchmark::Counter(static_cast<double>(f.n) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}

void BM_KoraScanCount(benchmark::State& state) {
  Fixture* f = prepare(state, {kCheckScan});
  if (f == nullptr) return;
  std::int64_t bad = 0;
  const CpuMeter meter;
  for (auto _ : state) {
    auto r = f->db->doc_count(kPlain, kScanWhere);
    bad += !r.ok() || *r != f->scan_expected;
    benchmark::DoNotOptimize(r);
  }
  const double cpu = meter.finish(state);
  if (cpu > 0) {
    state.counters["docs_per_cpu_second"] =
        static_cast<double>(f->n) * static_cast<double>(state.iterations()) / cpu;
  }
  set_scan_counters(state, *f);
  if (bad != 0) state.SkipWithError("kora doc_count failed or miscounted in the timed loop");
}

void BM_SimdjsonScanCount(benchmark::State& state) {
  Fixture* f = prepare(state, {kCheckSimdjson});
  if (f == nullptr) return;
  simdjson::ondemand::parser parser;  // reused
  std::int64_t bad = 0;
  for (auto _ : state) {
    const std::optional<std::uint64_t> n = simdjson_scan_count(parser, f->padded);
    bad += !n || *n != f->scan_expected;
    benchmark::DoNotOptimize(n);
  }
  set_scan_counters(state, *f);
  if (bad != 0) state.SkipWithError("simdjson scan miscounted in the timed loop");
}

void BM_NaiveScanCount(benchmark::State& state) {
  Fixture* f = prepare(state, {});
  if (f == nullptr) return;
  std::int64_t bad = 0;
  for (auto _ : state) {
    const std::uint64_t n = f->naive.count_scan();
    bad += n != f->scan_expected;
    benchmark::DoNotOptimize(n);
  }
  set_scan_counters(state, *f);
  if (bad != 0) state.SkipWithError("naive scan miscounted in the timed loop");
}

// Wall-clock time: the engine's calls fan out to every shard.
BENCHMARK(BM_KoraCountEq)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_NaiveCountEq)->MinTime(kMinTime)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KoraCountAndActive)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_RoaringAndActive)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_NaiveCountAndActive)->MinTime(kMinTime)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KoraCountAndCity)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_RoaringAndCity)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_KoraFindEq10)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_NaiveFindEq10)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_SqliteFindEq10)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_KoraTop10ScoreIndexed)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_SqliteTop10Indexed)->MinTime(kMinTime)->UseRealTime();
BENCHMARK(BM_KoraTop10ScoreNoIndex)
    ->MinTime(kMinTime)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
// About 0.6 s a call at 1M documents: a fixed few iterations rather than a minimum time.
BENCHMARK(BM_SqliteTop10NoIndex)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NaiveTop10Score)->MinTime(kMinTime)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KoraScanCount)->MinTime(kMinTime)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimdjsonScanCount)->MinTime(kMinTime)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NaiveScanCount)->MinTime(kMinTime)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- Summary ---------------------------------------------------------------------------

std::string met(bool ok) { return ok ? "met" : "NOT met"; }

// Seconds per call, in a readable unit.
std::string per_call(double seconds) {
  if (seconds < 1e-6) return fixed(seconds * 1e9, 0) + " ns";
  if (seconds < 1e-3) return fixed(seconds * 1e6, 2) + " us";
  if (seconds < 1.0) return fixed(seconds * 1e3, 2) + " ms";
  return fixed(seconds, 3) + " s";
}

void print_summary(const SummaryReporter& r, std::ostream& out) {
  // Seconds per call (items are calls), nullopt if the benchmark did not run.
  const auto secs = [&](const char* function) -> std::optional<double> {
    const auto ips = r.value(function, 1, "items_per_second");
    if (!ips || *ips <= 0) return std::nullopt;
    return 1.0 / *ips;
  };
  const auto docs_rate = [&](const char* function) {
    return r.value(function, 1, "docs_per_second");
  };
  const Fixture* f = g_fixture.get();
  const std::uint32_t shards = f != nullptr && f->db ? f->db->shard_count() : 0;
  const std::size_t n = f != nullptr ? f->n : g_docs;

  out << "\n---- summary (same run; one caller thread, wall clock; " << n << " user docs";
  if (f != nullptr && f->n > 0) {
    out << ", avg " << fixed(static_cast<double>(f->raw_bytes) / static_cast<double>(f->n), 1)
        << " bytes";
  }
  out << "; shards = " << shards << "; seed = " << kSeed
      << "; simdjson = " << simdjson::get_active_implementation()->name() << ") ----\n";
  if (n != 1'000'000) out << "(the targets are for 1M documents; this run has " << n << ")\n";
  if (f != nullptr && f->error.empty()) {
    out << "setup: doc_mset of 2 x " << n << " docs in batches of " << kBatchDocs << ": "
        << fixed(f->load_seconds, 2) << " s ("
        << rate(2.0 * static_cast<double>(n) / f->load_seconds)
        << "); 4 indexes (hash country, city, active; sorted score) built in "
        << fixed(f->index_seconds, 2) << " s, index_bytes " << f->index_bytes << " ("
        << fixed(static_cast<double>(f->index_bytes) / static_cast<double>(n), 1) << " per doc)\n";
    if (f->sqlite_error.empty()) {
      out << "setup: SQLite " << sqlite3_libversion() << " in memory, INSERT of 2 x " << n
          << " rows (one transaction a table): " << fixed(f->sqlite_load_seconds, 2) << " s ("
          << rate(2.0 * static_cast<double>(n) / f->sqlite_load_seconds)
          << "); 2 expression indexes (json_extract country, score) built in "
          << fixed(f->sqlite_index_seconds, 2) << " s\n"
          << "  SQLite plans: find [" << f->sqlite_find.plan << "]; top 10 [" << f->sqlite_top.plan
          << "]; top 10 on docs_plain [" << f->sqlite_top_plain.plan << "]\n";
    } else {
      out << "setup: SQLite failed: " << f->sqlite_error << "\n";
    }
  }

  const auto row = [&](std::string_view label, const std::optional<double>& s) {
    out << "  " << label << std::string(label.size() < 50 ? 50 - label.size() : 1, ' ')
        << (s ? per_call(*s) : std::string("n/a"));
  };
  const auto target_max = [&](const std::optional<double>& s, double target_seconds) {
    if (s) out << "  target <= " << per_call(target_seconds) << " -> " << met(*s <= target_seconds);
  };
  // "(kora time / CRoaring time = 3.10x)"
  const auto times = [&](const char* what, const std::optional<double>& a,
                         const std::optional<double>& b) {
    if (a && b) out << "  (" << what << " " << fixed(*a / *b, 2) << "x)";
  };
  // "(kora is 12.3x faster than this)" for a baseline row taking `other` seconds a call.
  const auto versus = [&](const std::optional<double>& kora, const std::optional<double>& other) {
    if (!kora || !other) return;
    const double x = *other / *kora;
    out << "  (kora is " << (x >= 1.0 ? fixed(x, 1) + "x faster" : fixed(1.0 / x, 1) + "x slower")
        << " than this)";
  };

  const auto eq = secs("BM_KoraCountEq");
  const auto naive_eq = secs("BM_NaiveCountEq");
  out << "1. equality count, hash index (country = 'XX', 20 values in turn, ~5% each):\n";
  row("kora doc_count", eq);
  target_max(eq, 20e-6);
  out << "\n";
  row("naive DOM scan", naive_eq);
  versus(eq, naive_eq);
  out << "\n";

  const auto and_active = secs("BM_KoraCountAndActive");
  const auto roaring_active = secs("BM_RoaringAndActive");
  const auto naive_and = secs("BM_NaiveCountAndActive");
  const auto and_city = secs("BM_KoraCountAndCity");
  const auto roaring_city = secs("BM_RoaringAndCity");
  out << "2. AND of two indexed equalities, count:\n";
  row("kora country = 'XX' AND active = true", and_active);
  target_max(and_active, 50e-6);
  out << "\n";
  row("CRoaring and_cardinality (country, active)", roaring_active);
  times("kora time / CRoaring time =", and_active, roaring_active);
  out << "\n";
  row("naive DOM scan (country AND active)", naive_and);
  versus(and_active, naive_and);
  out << "\n";
  row("kora country = 'XX' AND city = '...'", and_city);
  target_max(and_city, 50e-6);
  out << "\n";
  row("CRoaring and_cardinality (country, city)", roaring_city);
  times("kora time / CRoaring time =", and_city, roaring_city);
  out << "\n";

  const std::string sqlite = "SQLite " + sqlite_short_version();
  const auto find = secs("BM_KoraFindEq10");
  const auto naive_find = secs("BM_NaiveFindEq10");
  const auto sqlite_find = secs("BM_SqliteFindEq10");
  out << "3. doc_find of 10 by an indexed equality, documents included:\n";
  row("kora doc_find(country = 'XX', limit 10)", find);
  target_max(find, 3e-6);
  times("SQLite time / kora time =", sqlite_find, find);
  out << "\n";
  row("naive: first 10 matches in store order", naive_find);
  versus(find, naive_find);
  out << "\n";
  row(sqlite + ", expression index (same run)", sqlite_find);
  versus(find, sqlite_find);
  out << "\n";
  if (f != nullptr && f->find_checked > 0) {
    out << "   (checked: " << f->find_checked << " hits match and equal the source in value; "
        << f->find_identical << " byte-identical)\n";
  }

  const auto top_idx = secs("BM_KoraTop10ScoreIndexed");
  const auto top_plain = secs("BM_KoraTop10ScoreNoIndex");
  const auto naive_top = secs("BM_NaiveTop10Score");
  const auto sqlite_top = secs("BM_SqliteTop10Indexed");
  const auto sqlite_full = secs("BM_SqliteTop10NoIndex");
  out << "4. doc_find(\"\", order_by score, descending, limit 10):\n";
  row("kora, sorted index on score", top_idx);
  target_max(top_idx, 5e-6);
  times("SQLite time / kora time =", sqlite_top, top_idx);
  out << "\n";
  row(sqlite + ", expression index on score", sqlite_top);
  versus(top_idx, sqlite_top);
  out << "\n";
  row("kora, no index (second collection)", top_plain);
  if (top_plain && sqlite_full) {
    target_max(top_plain, *sqlite_full / kFullSortFactor);
    out << "; SQLite full sort " << per_call(*sqlite_full)
        << " / kora = " << fixed(*sqlite_full / *top_plain, 1)
        << "x (target >= " << fixed(kFullSortFactor, 0) << "x)";
  } else if (top_plain) {
    out << "  target <= SQLite full sort / " << fixed(kFullSortFactor, 0)
        << ": n/a (the SQLite full sort did not run)";
  }
  if (const auto cores = r.value("BM_KoraTop10ScoreNoIndex", 1, "cores_used")) {
    out << " [" << fixed(*cores, 2) << " cores busy]";
  }
  out << "\n";
  row(sqlite + ", no index (full sort)", sqlite_full);
  versus(top_plain, sqlite_full);
  out << "\n";
  row("naive DOM scan, top-10 insertion", naive_top);
  versus(top_plain, naive_top);
  out << "\n";

  const auto scan = docs_rate("BM_KoraScanCount");
  const auto simd = docs_rate("BM_SimdjsonScanCount");
  const auto naive_scan = docs_rate("BM_NaiveScanCount");
  out << "5. unindexed scan, doc_count(" << kScanWhere << "), no index:\n";
  const auto rate_row = [&](std::string_view label, const std::optional<double>& v,
                            bool with_call_time = true) {
    out << "  " << label << std::string(label.size() < 50 ? 50 - label.size() : 1, ' ')
        << (v ? rate(*v) : std::string("n/a")) << " docs";
    if (v && with_call_time) out << " (" << per_call(static_cast<double>(n) / *v) << " a call)";
  };
  const auto scan_cores = r.value("BM_KoraScanCount", 1, "cores_used");
  const auto scan_cpu_rate = r.value("BM_KoraScanCount", 1, "docs_per_cpu_second");
  rate_row("kora, wall clock", scan);
  if (scan_cores) out << "  [" << fixed(*scan_cores, 2) << " cores busy on average]";
  out << "\n";
  if (scan && shards > 0) {
    rate_row("kora, per core (/ " + std::to_string(shards) + " shards)", *scan / shards, false);
    out << "\n";
  }
  if (scan_cpu_rate) {
    rate_row("kora, per CPU-second the process used", scan_cpu_rate, false);
    out << "\n";
  }
  rate_row("simdjson On-Demand, 1 thread", simd);
  out << "\n";
  rate_row("naive DOM scan, 1 thread", naive_scan);
  out << "\n";
  if (scan && simd) {
    out << "  kora / simdjson = " << fixed(*scan / *simd, 2) << "x wall clock, "
        << fixed(*scan / *simd / std::max<std::uint32_t>(shards, 1), 2)
        << "x per core; target >= 3x -> " << met(*scan >= 3.0 * *simd) << " (wall clock), "
        << met(*scan / std::max<std::uint32_t>(shards, 1) >= 3.0 * *simd) << " (per core)\n";
  }
  if (scan && naive_scan) {
    out << "  kora / naive DOM scan = " << fixed(*scan / *naive_scan, 2) << "x wall clock\n";
  }

  out << "checks: ";
  if (f == nullptr) {
    out << "none ran\n";
  } else if (!f->error.empty()) {
    out << "setup failed: " << f->error << "\n";
  } else if (f->check_failures.empty()) {
    out << "every query family agreed before timing (engine, naive store, CRoaring, "
           "simdjson, SQLite; indexed and unindexed engine paths)\n";
  } else {
    out << f->check_failures.size() << " families DISAGREED (not timed):\n";
    for (const auto& [family, failure] : f->check_failures) {
      out << "  " << family << ": " << failure << "\n";
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  return kora_bench::run_doc_benchmarks(
      argc, argv, g_shard_count, g_docs,
      [](const SummaryReporter& reporter, std::ostream& out) {
        print_summary(reporter, out);
        return !g_fixture || (g_fixture->error.empty() && g_fixture->check_failures.empty());
      },
      [] { g_fixture.reset(); });  // join the shard workers before static destruction
}
