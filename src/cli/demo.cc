#include "cli/demo.h"

#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "kora/kora.h"

namespace kora::cli {
namespace {

// Prints one step and remembers whether it gave what the demo expected.
class Steps {
 public:
  explicit Steps(std::ostream& out) : out_(out) {}

  void show(std::string_view what, std::string_view got, bool as_expected) {
    out_ << "  " << what << " -> " << got << (as_expected ? "" : "   [UNEXPECTED]") << '\n';
    failures_ += as_expected ? 0 : 1;
  }
  int exit_code() const { return failures_ == 0 ? 0 : 1; }

 private:
  std::ostream& out_;
  int failures_ = 0;
};

std::string show_optional(const Result<std::optional<std::string>>& r) {
  if (!r.ok()) return r.status().to_string();
  return *r ? "\"" + **r + "\"" : "(nil)";
}

template <class T>
std::string show_number(const Result<T>& r) {
  return r.ok() ? std::to_string(*r) : r.status().to_string();
}

std::string join(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

}  // namespace

int run_demo(std::ostream& out) {
  auto opened = Database::open();
  if (!opened.ok()) {
    out << "cannot open the database: " << opened.status().to_string() << '\n';
    return 1;
  }
  Database& db = **opened;
  Steps steps(out);
  out << "Opened an embedded database with " << db.shard_count() << " shard(s).\n\n";

  out << "Strings\n";
  steps.show("set greeting \"hello world\"", db.set("greeting", "hello world").to_string(), true);
  auto greeting = db.get("greeting");
  steps.show("get greeting", show_optional(greeting),
             greeting.ok() && *greeting == std::optional<std::string>("hello world"));
  auto appended = db.append("greeting", "!");
  steps.show("append greeting \"!\"", show_number(appended), appended.ok() && *appended == 12);
  auto missing = db.get("no-such-key");
  steps.show("get no-such-key", show_optional(missing), missing.ok() && !*missing);

  out << "\nCounters from 4 threads (1000 incr each)\n";
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&db] {
        for (int i = 0; i < 1000; ++i) (void)db.incr("visits");
      });
    }
    for (auto& thread : threads) thread.join();
  }
  auto visits = db.get("visits");
  steps.show("get visits", show_optional(visits),
             visits.ok() && *visits == std::optional<std::string>("4000"));
  auto bad_incr = db.incr("greeting");
  steps.show("incr greeting (not an integer)", bad_incr.status().to_string(),
             bad_incr.status().code() == ErrorCode::kOutOfRange);

  out << "\nLists, hashes and sets\n";
  auto pushed = db.rpush("queue", {"first", "second", "third"});
  steps.show("rpush queue first second third", show_number(pushed), pushed.ok() && *pushed == 3);
  auto range = db.lrange("queue", 0, -1);
  steps.show("lrange queue 0 -1", range.ok() ? join(*range) : range.status().to_string(),
             range.ok() && range->size() == 3);
  auto popped = db.lpop("queue");
  steps.show("lpop queue", show_optional(popped),
             popped.ok() && *popped == std::optional<std::string>("first"));
  auto created = db.hset("user:1", "name", "Ada");
  steps.show("hset user:1 name Ada", created.ok() && *created ? "new field" : "?",
             created.ok() && *created);
  auto name = db.hget("user:1", "name");
  steps.show("hget user:1 name", show_optional(name),
             name.ok() && *name == std::optional<std::string>("Ada"));
  auto added = db.sadd("tags", {"fast", "embedded", "fast"});
  steps.show("sadd tags fast embedded fast", show_number(added), added.ok() && *added == 2);
  auto wrong = db.lpush("tags", {"x"});
  steps.show("lpush tags x (tags is a set)", wrong.status().to_string(),
             wrong.status().code() == ErrorCode::kWrongType);

  out << "\nMany keys across shards\n";
  steps.show("mset a 1 b 2 c 3", db.mset({{"a", "1"}, {"b", "2"}, {"c", "3"}}).to_string(), true);
  auto values = db.mget({"a", "missing", "c"});
  std::string shown;
  if (values.ok()) {
    for (const auto& v : *values) shown += (shown.empty() ? "" : ", ") + (v ? *v : "(nil)");
  }
  steps.show("mget a missing c", "[" + shown + "]", values.ok() && shown == "1, (nil), 3");
  auto keys = db.keys("[a-c]");
  steps.show("keys [a-c]", keys.ok() ? join(*keys) : keys.status().to_string(),
             keys.ok() && keys->size() == 3);

  out << "\nExpiry (millisecond TTLs, reclaimed by each shard's sweep)\n";
  steps.show("set_ex session token 150 ms",
             db.set_ex("session", "token", std::chrono::milliseconds(150)).to_string(), true);
  auto pttl = db.pttl("session");
  steps.show("pttl session", pttl.ok() && *pttl ? std::to_string((*pttl)->count()) + " ms" : "?",
             pttl.ok() && *pttl && (*pttl)->count() > 0 && (*pttl)->count() <= 150);
  auto before = db.db_size();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto after = db.db_size();
  steps.show("db_size before and after 200 ms", show_number(before) + " -> " + show_number(after),
             before.ok() && after.ok() && *after + 1 == *before);
  auto gone = db.get("session");
  steps.show("get session", show_optional(gone), gone.ok() && !*gone);

  out << "\nBad input changes nothing\n";
  auto bad_ttl = db.set_ex("greeting", "x", std::chrono::milliseconds(0));
  steps.show("set_ex greeting x 0 ms", bad_ttl.to_string(),
             bad_ttl.code() == ErrorCode::kInvalidArgument);
  auto bad_open = Database::open(Config{.shard_count = 0});
  steps.show("open with shard_count 0", bad_open.status().to_string(),
             bad_open.status().code() == ErrorCode::kInvalidArgument);

  out << "\nDocuments\n";
  steps.show("doc_create_collection users", db.doc_create_collection("users").to_string(), true);
  const std::string ada = R"({"name":"Ada","age":36,"score":99.5,"tags":["math","engines"],)"
                          R"("address":{"city":"London","zip":"W1"},"active":true})";
  auto ada_set = db.doc_set("users", "ada", ada);
  steps.show("doc_set users ada " + ada, ada_set.ok() && ada_set->created ? "created" : "?",
             ada_set.ok() && ada_set->created);
  auto doc = db.doc_get("users", "ada");
  steps.show("doc_get users ada", show_optional(doc),
             doc.ok() && *doc == std::optional<std::string>(ada));
  auto projected = db.doc_get("users", "ada", {"name", "address.city"});
  steps.show("doc_get users ada [name, address.city]", show_optional(projected),
             projected.ok() && *projected == std::optional<std::string>(
                                                 R"({"name":"Ada","address":{"city":"London"}})"));
  auto inserted = db.doc_insert("users", R"({"name":"Grace","age":45,"tags":["compilers"]})");
  steps.show("doc_insert users {...}",
             inserted.ok() ? "id " + inserted->id : inserted.status().to_string(), inserted.ok());
  std::vector<std::string> batch_ids, batch_json;
  for (int i = 0; i < 1000; ++i) {
    batch_ids.push_back("user:" + std::to_string(i));
    batch_json.push_back(R"({"name":"user )" + std::to_string(i) + R"(","age":)" +
                         std::to_string(20 + i % 50) + R"(,"city":")" +
                         (i % 2 ? "Paris" : "Berlin") + R"("})");
  }
  std::vector<DocEntry> batch;
  for (int i = 0; i < 1000; ++i) batch.push_back({.id = batch_ids[i], .json = batch_json[i]});
  auto mset = db.doc_mset("users", batch);
  steps.show("doc_mset users (1000 documents)", mset.ok() ? "OK" : mset.status().to_string(),
             mset.ok());
  auto bad_json = db.doc_set("users", "broken", R"({"name": "x",})");
  steps.show(R"(doc_set users broken {"name": "x",})", bad_json.status().to_string(),
             bad_json.status().code() == ErrorCode::kInvalidJson);
  const std::vector<DocUpdateMutation> edits = {
      DocUpdateMutation::incr("age", 1), DocUpdateMutation::set("address.zip", R"("NW1")"),
      DocUpdateMutation::push("tags", R"("poetry")"), DocUpdateMutation::del("active")};
  auto updated = db.doc_update("users", "ada", edits);
  auto after_update = db.doc_get("users", "ada");
  const std::string ada_updated =
      R"({"name":"Ada","age":37,"score":99.5,"tags":["math","engines","poetry"],)"
      R"("address":{"city":"London","zip":"NW1"}})";
  steps.show("doc_update users ada [incr age 1, set address.zip, push tags, del active]",
             show_optional(after_update),
             updated.ok() && *updated && after_update.ok() &&
                 *after_update == std::optional<std::string>(ada_updated));
  auto failed_update = db.doc_update(
      "users", "ada", {DocUpdateMutation::incr("age", 1), DocUpdateMutation::incr("name", 1)});
  auto unchanged = db.doc_get("users", "ada");
  steps.show("doc_update users ada [incr age 1, incr name 1] (all or nothing)",
             failed_update.status().to_string(),
             failed_update.status().code() == ErrorCode::kWrongType && unchanged.ok() &&
                 *unchanged == std::optional<std::string>(ada_updated));
  auto temp = db.doc_set("users", "temp", R"({"note":"gone soon"})",
                         {.ttl = std::chrono::milliseconds(100)});
  auto temp_ttl = db.doc_ttl("users", "temp");
  steps.show("doc_set users temp ttl 100 ms; doc_ttl",
             temp_ttl.ok() && *temp_ttl ? std::to_string((*temp_ttl)->count()) + " ms" : "?",
             temp.ok() && temp_ttl.ok() && *temp_ttl && (*temp_ttl)->count() <= 100);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto temp_gone = db.doc_exists("users", "temp");
  steps.show("doc_exists users temp after 150 ms", temp_gone.ok() && !*temp_gone ? "false" : "?",
             temp_gone.ok() && !*temp_gone);
  auto deleted = db.doc_del("users", "user:0");
  steps.show("doc_del users user:0", deleted.ok() && *deleted ? "true" : "?",
             deleted.ok() && *deleted);
  out << "\nQueries and indexes (roaring bitmaps; the same answers with or without an index)\n";
  auto paris = db.doc_count("users", "city = 'Paris'");
  steps.show("doc_count users \"city = 'Paris'\" (no index: a scan)",
             paris.ok() ? std::to_string(*paris) : paris.status().to_string(),
             paris.ok() && *paris == 500);
  steps.show("doc_create_index users city hash",
             db.doc_create_index("users", "city", DocIndexType::kHash).to_string(), true);
  auto paris_indexed = db.doc_count("users", "city = 'Paris'");
  steps.show(
      "doc_count users \"city = 'Paris'\" (from the index)",
      paris_indexed.ok() ? std::to_string(*paris_indexed) : paris_indexed.status().to_string(),
      paris_indexed.ok() && paris && *paris_indexed == *paris);
  auto oldest = db.doc_find(
      "users", "age >= 60 AND city = 'Berlin'",
      {.projection = {"name", "age"}, .limit = 3, .order_by = "age", .descending = true});
  std::string hits;
  if (oldest.ok()) {
    for (const DocHit& h : *oldest) hits += (hits.empty() ? "" : ", ") + h.id + " " + h.json;
  }
  steps.show("doc_find users \"age >= 60 AND city = 'Berlin'\" order_by age desc, limit 3",
             oldest.ok() ? hits : oldest.status().to_string(),
             oldest.ok() && oldest->size() == 3 && (*oldest)[0].id == "user:148" &&
                 (*oldest)[0].json == R"({"name":"user 148","age":68})");
  steps.show("doc_create_index users name unique",
             db.doc_create_index("users", "name", DocIndexType::kUnique).to_string(), true);
  auto clash = db.doc_set("users", "ada2", R"({"name":"Ada"})");
  steps.show(R"(doc_set users ada2 {"name":"Ada"})", clash.status().to_string(),
             clash.status().code() == ErrorCode::kConstraintViolation);
  auto indexes = db.doc_indexes("users");
  std::string listed;
  if (indexes.ok()) {
    for (const DocIndexInfo& i : *indexes) {
      listed += (listed.empty() ? "" : ", ") + i.path + " (" + std::to_string(i.distinct_keys) +
                " keys, " + std::to_string(i.bytes) + " bytes)";
    }
  }
  steps.show("doc_indexes users", indexes.ok() ? listed : indexes.status().to_string(),
             indexes.ok() && indexes->size() == 2);

  auto info = db.doc_collection_info("users");
  steps.show("doc_collection_info users", info.ok() ? to_json(*info) : info.status().to_string(),
             info.ok() && info->doc_count == 1001);
  auto storage = db.doc_storage_info("users");
  steps.show("doc_storage_info users",
             storage.ok() ? to_json(*storage) : storage.status().to_string(),
             storage.ok() && storage->doc_count == 1001);
  auto dictionary = db.doc_dictionary_info("users");
  std::string fields;
  if (dictionary.ok()) {
    for (const auto& f : dictionary->fields) {
      fields += (fields.empty() ? "" : ", ") + f.path + " (" + std::to_string(f.interned_terms) +
                " terms)";
    }
  }
  steps.show("doc_dictionary_info users",
             dictionary.ok() ? std::to_string(dictionary->entries) + " entries, " +
                                   std::to_string(dictionary->bytes) + " bytes: " + fields
                             : dictionary.status().to_string(),
             dictionary.ok() && !dictionary->fields.empty());

  out << '\n'
      << (steps.exit_code() == 0 ? "Every step behaved as expected."
                                 : "Some steps did not behave as expected.")
      << '\n';
  return steps.exit_code();
}

}  // namespace kora::cli
