#include "doc/unique_registry.h"

#include <unordered_map>
#include <vector>

namespace kora::doc {
namespace {

// The heap an id string holds beyond the node (libstdc++ keeps up to 15 bytes inline).
std::uint64_t string_heap(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

}  // namespace

Status unique_violation(std::string_view path, std::string_view holder, std::string_view writer) {
  return Status(ErrorCode::kConstraintViolation,
                "unique index on '" + std::string(path) + "': document '" + std::string(writer) +
                    "' would hold the value document '" + std::string(holder) + "' holds");
}

void UniqueRegistry::add_index(std::string_view path, std::vector<std::string> segments) {
  std::lock_guard lock(mutex_);
  tables_.try_emplace(std::string(path), std::make_unique<Table>(std::move(segments)));
}

std::vector<std::pair<std::string, std::vector<std::string>>> UniqueRegistry::paths() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& [path, t] : tables_) out.emplace_back(path, t->segments);
  return out;
}

std::optional<ScalarKey> unique_key_at(simdjson::dom::object root,
                                       std::span<const std::string> path) {
  simdjson::dom::object object = root;
  simdjson::dom::element at;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i > 0 && at.get(object) != simdjson::SUCCESS) return std::nullopt;
    if (object.at_key(path[i]).get(at) != simdjson::SUCCESS) return std::nullopt;
  }
  if (path.empty()) return std::nullopt;
  switch (at.type()) {
    case simdjson::dom::element_type::INT64:
      return ScalarKey::from_int64(at.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64:
      return ScalarKey::from_uint64(at.get_uint64().value_unsafe());
    case simdjson::dom::element_type::DOUBLE:
      return ScalarKey::from_double(at.get_double().value_unsafe());
    case simdjson::dom::element_type::STRING:
      return ScalarKey::from_string(at.get_string().value_unsafe());
    case simdjson::dom::element_type::BOOL:
      return ScalarKey::from_bool(at.get_bool().value_unsafe());
    default:
      return std::nullopt;  // null, array, object
  }
}

void UniqueRegistry::drop_index(std::string_view path) {
  std::lock_guard lock(mutex_);
  auto it = tables_.find(path);
  if (it == tables_.end()) return;
  while (!it->second->holders.empty()) erase(it->second->holders, it->second->holders.begin());
  tables_.erase(it);
}

bool UniqueRegistry::has_index(std::string_view path) const {
  std::lock_guard lock(mutex_);
  return tables_.find(path) != tables_.end();
}

UniqueRegistry::Holders* UniqueRegistry::table(std::string_view path) {
  auto it = tables_.find(path);
  return it == tables_.end() ? nullptr : &it->second->holders;
}

const UniqueRegistry::Holder* UniqueRegistry::holder(const Holders& holders, const ScalarKey& key,
                                                     core::TimeMs now) {
  auto it = holders.find(key);
  if (it == holders.end()) return nullptr;
  const Holder& h = it->second;
  return h.expire_at != 0 && h.expire_at <= now ? nullptr : &h;
}

void UniqueRegistry::erase(Holders& holders, Holders::iterator it) {
  const std::uint64_t extra = it->first.allocated_bytes() + string_heap(it->second.id);
  MemoryCounter* counter = holders.get_allocator().counter();
  counter->bytes -= extra;
  counter->heap_bytes -= extra;
  holders.erase(it);
}

void UniqueRegistry::hold(Holders& holders, const ScalarKey& key, std::string_view id,
                          core::TimeMs expire_at) {
  MemoryCounter* counter = holders.get_allocator().counter();
  auto [it, fresh] = holders.try_emplace(key);
  if (fresh) {
    counter->bytes += key.allocated_bytes();
    counter->heap_bytes += key.allocated_bytes();
  }
  Holder& h = it->second;
  if (h.id != id) {
    const std::uint64_t before = string_heap(h.id);
    h.id.assign(id);
    const std::uint64_t after = string_heap(h.id);
    counter->bytes += after - before;
    counter->heap_bytes += after - before;
  }
  h.expire_at = expire_at;
}

Status UniqueRegistry::claim(std::string_view id, std::span<const Claim> claims, core::TimeMs now,
                             core::TimeMs expire_at, bool reserved) {
  std::lock_guard lock(mutex_);
  for (const Claim& c : claims) {
    if (reserved) break;
    if (!c.new_key || c.new_key->kind() == ScalarKey::Kind::kNull) continue;
    const Holders* holders = table(c.path);
    if (holders == nullptr) continue;
    const Holder* h = holder(*holders, *c.new_key, now);
    if (h != nullptr && h->id != id) return unique_violation(c.path, h->id, id);
  }
  for (const Claim& c : claims) {
    Holders* holders = table(c.path);
    if (holders == nullptr) continue;
    const bool keeps = c.old_key && c.new_key && *c.old_key == *c.new_key;
    if (c.new_key && c.new_key->kind() != ScalarKey::Kind::kNull) {
      const Holder* h = reserved ? holder(*holders, *c.new_key, now) : nullptr;
      if (h == nullptr || h->id == id) hold(*holders, *c.new_key, id, expire_at);
    }
    if (c.old_key && !keeps) {
      auto it = holders->find(*c.old_key);
      if (it != holders->end() && it->second.id == id) erase(*holders, it);
    }
  }
  return {};
}

void UniqueRegistry::release(std::string_view path, std::string_view id, const ScalarKey& key) {
  std::lock_guard lock(mutex_);
  Holders* holders = table(path);
  if (holders == nullptr) return;
  auto it = holders->find(key);
  if (it != holders->end() && it->second.id == id) erase(*holders, it);
}

std::optional<std::pair<std::size_t, Status>> UniqueRegistry::reserve_batch(
    std::span<const BatchEntry> entries, core::TimeMs now) {
  std::lock_guard lock(mutex_);
  // The batch applied in order, on top of the tables: per (path, id) written so far, the
  // key it now holds; per (path, key) taken so far, by which id.
  std::map<std::pair<std::string_view, std::string_view>, std::optional<ScalarKey>> latest;
  std::map<std::string_view, std::vector<std::pair<ScalarKey, std::string_view>>> taken;
  auto holds = [&](std::string_view path, std::string_view id, const ScalarKey& key) {
    auto it = latest.find({path, id});
    return it == latest.end() || (it->second && *it->second == key);
  };
  // Who holds `key` at this point of the batch, if anyone.
  auto current = [&](std::string_view path, const Holders& holders,
                     const ScalarKey& key) -> std::optional<std::string_view> {
    for (const auto& [k, who] : taken[path]) {
      if (k == key && holds(path, who, key)) return who;
    }
    const Holder* h = holder(holders, key, now);
    if (h != nullptr && holds(path, h->id, key)) return std::string_view(h->id);
    return std::nullopt;
  };
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string_view id = entries[i].id;
    for (const Claim& c : entries[i].claims) {
      const Holders* holders = table(c.path);
      if (holders == nullptr) continue;
      const bool has_key = c.new_key && c.new_key->kind() != ScalarKey::Kind::kNull;
      if (has_key) {
        const std::optional<std::string_view> who = current(c.path, *holders, *c.new_key);
        if (who && *who != id) {
          return std::pair<std::size_t, Status>(i, unique_violation(c.path, *who, id));
        }
        taken[c.path].emplace_back(*c.new_key, id);
      }
      latest[{c.path, id}] = has_key ? c.new_key : std::nullopt;
    }
  }
  for (const auto& [path, keys] : taken) {
    Holders* holders = table(path);
    for (const auto& [key, who] : keys) {
      if (!holds(path, who, key)) continue;  // given up later in the batch
      const Holder* h = holder(*holders, key, now);
      if (h != nullptr && h->id == who) continue;  // already its own
      hold(*holders, key, who, 0);                 // the shard's write sets the expiry
    }
  }
  return std::nullopt;
}

std::uint64_t UniqueRegistry::bytes(std::string_view path) const {
  std::lock_guard lock(mutex_);
  auto it = tables_.find(path);
  return it == tables_.end() ? 0 : it->second->counter.bytes;
}

std::uint64_t UniqueRegistry::distinct_keys(std::string_view path) const {
  std::lock_guard lock(mutex_);
  auto it = tables_.find(path);
  return it == tables_.end() ? 0 : it->second->holders.size();
}

}  // namespace kora::doc
