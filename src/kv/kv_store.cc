#include "kv/kv_store.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/errors.h"

namespace kora::kv {
namespace {

// Expiry boundary (used everywhere): a key with expire_at != 0 is expired when
// now >= expire_at. At expire_at - 1 it is alive (pttl 1), at expire_at it is gone.
inline bool is_expired(TimeMs expire_at, TimeMs now) noexcept { return now >= expire_at; }

// A (expire_at, key) probe for expiry_queue_ that borrows the key instead of copying it:
// std::less<> makes std::set::find heterogeneous, and these hidden friends give the order
// of std::pair<TimeMs, std::string>.
struct ExpiryRef {
  TimeMs at;
  std::string_view key;

  friend bool operator<(const std::pair<TimeMs, std::string>& a, const ExpiryRef& b) noexcept {
    return a.first < b.at || (a.first == b.at && std::string_view(a.second) < b.key);
  }
  friend bool operator<(const ExpiryRef& a, const std::pair<TimeMs, std::string>& b) noexcept {
    return a.at < b.first || (a.at == b.first && a.key < std::string_view(b.second));
  }
};

// Redis string2ll rules: optional '-', no '+', no spaces, no leading zeros (except "0"),
// "-0" rejected, at most 20 bytes, and the value must fit in int64.
bool parse_canonical_int64(std::string_view s, std::int64_t& out) noexcept {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    out = 0;
    return true;
  }
  std::size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative) {
    if (s.size() == 1) return false;
    i = 1;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  std::uint64_t v = 0;
  constexpr std::uint64_t kMaxU = std::numeric_limits<std::uint64_t>::max();
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (kMaxU - digit) / 10) return false;
    v = v * 10 + digit;
  }
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (negative) {
    if (v > kMax + 1) return false;
    out = v == kMax + 1 ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(v);
  } else {
    if (v > kMax) return false;
    out = static_cast<std::int64_t>(v);
  }
  return true;
}

Status not_an_integer() { return core::out_of_range("value is not an integer or out of range"); }
Status increment_overflow() { return core::out_of_range("increment or decrement would overflow"); }

// current (a canonical int64 string) + delta, written back into `current` on success.
Result<std::int64_t> add_to_integer_string(std::string& current, std::int64_t delta) {
  std::int64_t value = 0;
  if (!parse_canonical_int64(current, value)) return not_an_integer();
  std::int64_t result = 0;
  if (__builtin_add_overflow(value, delta, &result)) return increment_overflow();
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), result);
  assert(ec == std::errc());
  (void)ec;
  current.assign(buf, end);
  return result;
}

std::string int_to_string(std::int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  assert(ec == std::errc());
  (void)ec;
  return std::string(buf, end);
}

// Stores `value` in a variant slot, reusing the old string's buffer unless it is much larger
// than needed (so overwriting a big value with a small one gives the memory back).
template <class Variant>
void assign_string(Variant& slot, std::string_view value) {
  if (auto* s = std::get_if<std::string>(&slot); s && s->capacity() <= 2 * value.size() + 64) {
    s->assign(value);
  } else {
    slot.template emplace<std::string>(value);
  }
}

}  // namespace

std::size_t StringHash::operator()(std::string_view s) const noexcept {
  return static_cast<std::size_t>(XXH3_64bits(s.data(), s.size()));
}

KvStore::KvStore(const core::Clock& clock, KvLimits limits) : clock_(clock), limits_(limits) {}

// ---- Internals ------------------------------------------------------------------------

KvStore::Map::iterator KvStore::find_live_iter(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) return it;
  // Hot path: the clock is read only for keys that carry a TTL.
  if (it->second.expire_at != 0 && is_expired(it->second.expire_at, clock_.now_ms())) {
    erase(it);
    return map_.end();
  }
  return it;
}

KvStore::Entry* KvStore::find_live(std::string_view key) {
  auto it = find_live_iter(key);
  return it == map_.end() ? nullptr : &it->second;
}

template <class T>
Result<T*> KvStore::find_typed(std::string_view key) {
  Entry* entry = find_live(key);
  if (entry == nullptr) return static_cast<T*>(nullptr);
  T* value = std::get_if<T>(&entry->value);
  if (value == nullptr) return core::wrong_type();
  return value;
}

template <class T>
Result<T*> KvStore::find_or_create(std::string_view key) {
  auto it = find_live_iter(key);
  if (it == map_.end()) {
    it = map_.try_emplace(std::string(key)).first;
    return &it->second.value.template emplace<T>();
  }
  T* value = std::get_if<T>(&it->second.value);
  if (value == nullptr) return core::wrong_type();
  return value;
}

void KvStore::set_expiry(Map::iterator it, TimeMs expire_at) {
  const TimeMs old = it->second.expire_at;
  if (old == expire_at) return;
  decltype(expiry_queue_)::node_type node;
  if (old != 0) {
    auto q = expiry_queue_.find(ExpiryRef{old, it->first});
    assert(q != expiry_queue_.end());
    if (q != expiry_queue_.end()) node = expiry_queue_.extract(q);
  }
  it->second.expire_at = expire_at;
  if (expire_at == 0) return;
  if (node.empty()) {
    expiry_queue_.emplace(expire_at, it->first);
  } else {
    node.value().first = expire_at;  // reuse the node and its copy of the key
    expiry_queue_.insert(std::move(node));
  }
}

void KvStore::erase(Map::iterator it) {
  if (it->second.expire_at != 0) {
    auto q = expiry_queue_.find(ExpiryRef{it->second.expire_at, it->first});
    assert(q != expiry_queue_.end());
    if (q != expiry_queue_.end()) expiry_queue_.erase(q);
  }
  map_.erase(it);
}

// ---- Strings ----------------------------------------------------------------------------

Result<std::optional<std::string>> KvStore::get(std::string_view key) {
  auto it = find_live_iter(key);
  if (it == map_.end()) return std::optional<std::string>();
  const auto* s = std::get_if<std::string>(&it->second.value);
  if (s == nullptr) return core::wrong_type();
  return std::optional<std::string>(*s);
}

Status KvStore::set(std::string_view key, std::string_view value, std::optional<TimeMs> expire_at) {
  auto it = map_.find(key);  // an expired entry is simply overwritten
  if (expire_at && is_expired(*expire_at, clock_.now_ms())) {
    // Already past its expiry: storing it would leave an invisible key, so the write is
    // equivalent to a delete (as Redis does for SET ... PXAT <past>).
    if (it != map_.end()) erase(it);
    return Status();
  }
  if (it == map_.end()) it = map_.try_emplace(std::string(key)).first;
  assign_string(it->second.value, value);
  set_expiry(it, expire_at.value_or(0));
  return Status();
}

Result<bool> KvStore::setnx(std::string_view key, std::string_view value) {
  if (find_live_iter(key) != map_.end()) return false;
  map_.try_emplace(std::string(key), Entry{std::string(value), 0});
  return true;
}

Result<std::optional<std::string>> KvStore::getset(std::string_view key, std::string_view value) {
  auto it = find_live_iter(key);
  if (it == map_.end()) {
    map_.try_emplace(std::string(key), Entry{std::string(value), 0});
    return std::optional<std::string>();
  }
  auto* s = std::get_if<std::string>(&it->second.value);
  if (s == nullptr) return core::wrong_type();
  std::optional<std::string> old(std::move(*s));
  s->assign(value);
  set_expiry(it, 0);
  return old;
}

Result<std::int64_t> KvStore::append(std::string_view key, std::string_view value) {
  auto it = find_live_iter(key);
  std::string* s = nullptr;
  if (it != map_.end()) {
    s = std::get_if<std::string>(&it->second.value);
    if (s == nullptr) return core::wrong_type();
  }
  const std::size_t current = s != nullptr ? s->size() : 0;
  if (value.size() > limits_.max_value_bytes || current > limits_.max_value_bytes - value.size()) {
    return core::limit_exceeded("append: result would exceed max_value_bytes (" +
                                std::to_string(limits_.max_value_bytes) + ")");
  }
  if (s == nullptr) {
    map_.try_emplace(std::string(key), Entry{std::string(value), 0});
    return static_cast<std::int64_t>(value.size());
  }
  s->append(value);  // the TTL is kept
  return static_cast<std::int64_t>(s->size());
}

Result<std::int64_t> KvStore::strlen(std::string_view key) {
  KORA_ASSIGN_OR_RETURN(const std::string* s, find_typed<std::string>(key));
  return static_cast<std::int64_t>(s != nullptr ? s->size() : 0);
}

Result<bool> KvStore::del(std::string_view key) {
  auto it = find_live_iter(key);
  if (it == map_.end()) return false;
  erase(it);
  return true;
}

Result<bool> KvStore::exists(std::string_view key) { return find_live(key) != nullptr; }

Result<std::int64_t> KvStore::incrby(std::string_view key, std::int64_t delta) {
  auto it = find_live_iter(key);
  if (it == map_.end()) {
    map_.try_emplace(std::string(key), Entry{int_to_string(delta), 0});
    return delta;
  }
  auto* s = std::get_if<std::string>(&it->second.value);
  if (s == nullptr) return core::wrong_type();
  return add_to_integer_string(*s, delta);  // the TTL is kept
}

Result<std::string> KvStore::key_type(std::string_view key) {
  static constexpr const char* kNames[] = {"string", "list", "hash", "set"};
  static_assert(std::size(kNames) == std::variant_size_v<Value>);
  const Entry* entry = find_live(key);
  return std::string(entry == nullptr ? "none" : kNames[entry->value.index()]);
}

// ---- Multi-key parts --------------------------------------------------------------------

void KvStore::get_many(std::span<const std::string_view> keys,
                       std::span<const std::uint32_t> positions,
                       std::vector<std::optional<std::string>>& out) {
  assert(keys.size() == positions.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::optional<std::string>& slot = out[positions[i]];
    const Entry* entry = find_live(keys[i]);
    const auto* s = entry != nullptr ? std::get_if<std::string>(&entry->value) : nullptr;
    if (s != nullptr) {
      slot = *s;
    } else {
      slot.reset();
    }
  }
}

std::int64_t KvStore::del_many(std::span<const std::string_view> keys) {
  // A repeated key counts once: the first occurrence removes it, later ones find nothing.
  std::int64_t removed = 0;
  for (std::string_view key : keys) {
    auto it = find_live_iter(key);
    if (it == map_.end()) continue;
    erase(it);
    ++removed;
  }
  return removed;
}

void KvStore::keys(std::string_view glob, std::vector<std::string>& out) {
  if (glob.find_first_of("*?[\\") == std::string_view::npos) {
    // No metacharacter: the pattern matches exactly one key, itself.
    if (find_live(glob) != nullptr) out.emplace_back(glob);
    return;
  }
  sweep_expired(std::numeric_limits<std::size_t>::max());  // every remaining key is live
  const bool match_all = glob.find_first_not_of('*') == std::string_view::npos;
  for (const auto& [key, entry] : map_) {
    if (match_all || glob_match(glob, key)) out.push_back(key);
  }
}

std::uint64_t KvStore::size() {
  sweep_expired(std::numeric_limits<std::size_t>::max());
  return map_.size();
}

void KvStore::clear() {
  map_ = Map();  // also releases the bucket array
  expiry_queue_.clear();
}

// ---- TTL --------------------------------------------------------------------------------

Result<bool> KvStore::pexpire(std::string_view key, std::int64_t ttl_ms) {
  if (ttl_ms <= 0) return del(key);
  TimeMs expire_at = 0;
  if (__builtin_add_overflow(clock_.now_ms(), ttl_ms, &expire_at)) {
    return core::out_of_range("invalid expire time: now + ttl overflows int64 milliseconds");
  }
  auto it = find_live_iter(key);
  if (it == map_.end()) return false;
  set_expiry(it, expire_at);
  return true;
}

Result<bool> KvStore::persist(std::string_view key) {
  auto it = find_live_iter(key);
  if (it == map_.end() || it->second.expire_at == 0) return false;
  set_expiry(it, 0);
  return true;
}

Result<std::optional<std::int64_t>> KvStore::pttl(std::string_view key) {
  const Entry* entry = find_live(key);
  if (entry == nullptr || entry->expire_at == 0) return std::optional<std::int64_t>();
  // Live, so now < expire_at and the result is >= 1.
  return std::optional<std::int64_t>(entry->expire_at - clock_.now_ms());
}

// ---- Lists ------------------------------------------------------------------------------

Result<std::int64_t> KvStore::lpush(std::string_view key,
                                    std::span<const std::string_view> values) {
  if (values.empty()) return core::invalid_argument("lpush: at least one value is required");
  KORA_ASSIGN_OR_RETURN(List * list, find_or_create<List>(key));
  for (std::string_view v : values) list->emplace_front(v);
  return static_cast<std::int64_t>(list->size());
}

Result<std::int64_t> KvStore::rpush(std::string_view key,
                                    std::span<const std::string_view> values) {
  if (values.empty()) return core::invalid_argument("rpush: at least one value is required");
  KORA_ASSIGN_OR_RETURN(List * list, find_or_create<List>(key));
  for (std::string_view v : values) list->emplace_back(v);
  return static_cast<std::int64_t>(list->size());
}

Result<std::vector<std::string>> KvStore::lrange(std::string_view key, std::int64_t start,
                                                 std::int64_t stop) {
  KORA_ASSIGN_OR_RETURN(const List* list, find_typed<List>(key));
  std::vector<std::string> out;
  if (list == nullptr) return out;
  // Redis LRANGE clamping. n >= 0, so start + n cannot overflow for negative start.
  const auto n = static_cast<std::int64_t>(list->size());
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return out;
  if (stop >= n) stop = n - 1;
  out.assign(list->begin() + start, list->begin() + stop + 1);
  return out;
}

Result<std::optional<std::string>> KvStore::lpop(std::string_view key) {
  auto it = find_live_iter(key);
  if (it == map_.end()) return std::optional<std::string>();
  auto* list = std::get_if<List>(&it->second.value);
  if (list == nullptr) return core::wrong_type();
  std::optional<std::string> out(std::move(list->front()));
  list->pop_front();
  if (list->empty()) erase(it);
  return out;
}

Result<std::optional<std::string>> KvStore::rpop(std::string_view key) {
  auto it = find_live_iter(key);
  if (it == map_.end()) return std::optional<std::string>();
  auto* list = std::get_if<List>(&it->second.value);
  if (list == nullptr) return core::wrong_type();
  std::optional<std::string> out(std::move(list->back()));
  list->pop_back();
  if (list->empty()) erase(it);
  return out;
}

Result<std::int64_t> KvStore::llen(std::string_view key) {
  KORA_ASSIGN_OR_RETURN(const List* list, find_typed<List>(key));
  return static_cast<std::int64_t>(list != nullptr ? list->size() : 0);
}

Result<std::optional<std::string>> KvStore::lindex(std::string_view key, std::int64_t index) {
  KORA_ASSIGN_OR_RETURN(const List* list, find_typed<List>(key));
  if (list == nullptr) return std::optional<std::string>();
  const auto n = static_cast<std::int64_t>(list->size());
  if (index < 0) index += n;
  if (index < 0 || index >= n) return std::optional<std::string>();
  return std::optional<std::string>((*list)[static_cast<std::size_t>(index)]);
}

// ---- Hashes -----------------------------------------------------------------------------

Result<bool> KvStore::hset(std::string_view key, std::string_view field, std::string_view value) {
  KORA_ASSIGN_OR_RETURN(StringMap * hash, find_or_create<StringMap>(key));
  if (auto f = hash->find(field); f != hash->end()) {
    f->second.assign(value);
    return false;
  }
  hash->emplace(std::string(field), std::string(value));
  return true;
}

Result<std::optional<std::string>> KvStore::hget(std::string_view key, std::string_view field) {
  KORA_ASSIGN_OR_RETURN(const StringMap* hash, find_typed<StringMap>(key));
  if (hash == nullptr) return std::optional<std::string>();
  auto f = hash->find(field);
  if (f == hash->end()) return std::optional<std::string>();
  return std::optional<std::string>(f->second);
}

Result<std::int64_t> KvStore::hdel(std::string_view key, std::span<const std::string_view> fields) {
  if (fields.empty()) return core::invalid_argument("hdel: at least one field is required");
  auto it = find_live_iter(key);
  if (it == map_.end()) return std::int64_t{0};
  auto* hash = std::get_if<StringMap>(&it->second.value);
  if (hash == nullptr) return core::wrong_type();
  std::int64_t removed = 0;
  for (std::string_view field : fields) {
    if (auto f = hash->find(field); f != hash->end()) {
      hash->erase(f);
      ++removed;
    }
  }
  if (hash->empty()) erase(it);
  return removed;
}

Result<std::vector<std::pair<std::string, std::string>>> KvStore::hgetall(std::string_view key) {
  KORA_ASSIGN_OR_RETURN(const StringMap* hash, find_typed<StringMap>(key));
  std::vector<std::pair<std::string, std::string>> out;
  if (hash == nullptr) return out;
  out.assign(hash->begin(), hash->end());
  return out;
}

Result<std::int64_t> KvStore::hlen(std::string_view key) {
  KORA_ASSIGN_OR_RETURN(const StringMap* hash, find_typed<StringMap>(key));
  return static_cast<std::int64_t>(hash != nullptr ? hash->size() : 0);
}

Result<bool> KvStore::hexists(std::string_view key, std::string_view field) {
  KORA_ASSIGN_OR_RETURN(const StringMap* hash, find_typed<StringMap>(key));
  return hash != nullptr && hash->contains(field);
}

Result<std::int64_t> KvStore::hincrby(std::string_view key, std::string_view field,
                                      std::int64_t delta) {
  KORA_ASSIGN_OR_RETURN(StringMap * hash, find_or_create<StringMap>(key));
  auto f = hash->find(field);
  if (f == hash->end()) {
    hash->emplace(std::string(field), int_to_string(delta));
    return delta;
  }
  return add_to_integer_string(f->second, delta);
}

// ---- Sets -------------------------------------------------------------------------------

Result<std::int64_t> KvStore::sadd(std::string_view key,
                                   std::span<const std::string_view> members) {
  if (members.empty()) return core::invalid_argument("sadd: at least one member is required");
  KORA_ASSIGN_OR_RETURN(StringSet * set, find_or_create<StringSet>(key));
  std::int64_t added = 0;
  for (std::string_view member : members) {
    if (set->contains(member)) continue;
    set->emplace(member);
    ++added;
  }
  return added;
}

Result<std::vector<std::string>> KvStore::smembers(std::string_view key) {
  KORA_ASSIGN_OR_RETURN(const StringSet* set, find_typed<StringSet>(key));
  std::vector<std::string> out;
  if (set == nullptr) return out;
  out.assign(set->begin(), set->end());
  return out;
}

Result<std::int64_t> KvStore::srem(std::string_view key,
                                   std::span<const std::string_view> members) {
  if (members.empty()) return core::invalid_argument("srem: at least one member is required");
  auto it = find_live_iter(key);
  if (it == map_.end()) return std::int64_t{0};
  auto* set = std::get_if<StringSet>(&it->second.value);
  if (set == nullptr) return core::wrong_type();
  std::int64_t removed = 0;
  for (std::string_view member : members) {
    if (auto m = set->find(member); m != set->end()) {
      set->erase(m);
      ++removed;
    }
  }
  if (set->empty()) erase(it);
  return removed;
}

Result<bool> KvStore::sismember(std::string_view key, std::string_view member) {
  KORA_ASSIGN_OR_RETURN(const StringSet* set, find_typed<StringSet>(key));
  return set != nullptr && set->contains(member);
}

Result<std::int64_t> KvStore::scard(std::string_view key) {
  KORA_ASSIGN_OR_RETURN(const StringSet* set, find_typed<StringSet>(key));
  return static_cast<std::int64_t>(set != nullptr ? set->size() : 0);
}

// ---- Active expiry ----------------------------------------------------------------------

std::size_t KvStore::sweep_expired(std::size_t max_keys) {
  if (max_keys == 0 || expiry_queue_.empty()) return 0;  // idle shards never read the clock
  const TimeMs now = clock_.now_ms();
  std::size_t removed = 0;
  while (removed < max_keys && !expiry_queue_.empty()) {
    auto q = expiry_queue_.begin();
    if (!is_expired(q->first, now)) break;
    auto it = map_.find(q->second);
    assert(it != map_.end() && it->second.expire_at == q->first);
    if (it != map_.end()) map_.erase(it);
    expiry_queue_.erase(q);
    ++removed;
  }
  return removed;
}

}  // namespace kora::kv
