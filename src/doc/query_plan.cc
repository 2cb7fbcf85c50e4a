#include "doc/query_plan.h"

#include <algorithm>
#include <vector>

namespace kora::doc {
namespace {

using Index = CollectionIndexes::Index;

// The index that answers scalar equality on the node's path, if any.
const Index* equality_index(const CollectionIndexes& indexes, const QueryPath& path) {
  const Index* index = indexes.find(path);
  if (index == nullptr || index->definition.type == FieldIndexType::kArray) return nullptr;
  return index;
}

const Bitmap* lookup(const Index& index, const ScalarKey& key) {
  return index.sorted ? index.sorted->lookup(key) : index.hash->lookup(key);
}

KeyRange range_of(CompareOp op, const ScalarKey& key) {
  KeyRange range;
  range.kind = key.kind();
  switch (op) {
    case CompareOp::kLt:
      range.hi = KeyBound{key, false};
      break;
    case CompareOp::kLe:
      range.hi = KeyBound{key, true};
      break;
    case CompareOp::kGt:
      range.lo = KeyBound{key, false};
      break;
    default:
      range.lo = KeyBound{key, true};
      break;
  }
  return range;
}

class Planner {
 public:
  Planner(const Query& q, const BoundQuery& b, const CollectionIndexes& i)
      : query_(q), bound_(b), indexes_(i) {}

  Candidates node(std::uint32_t index) {
    const QueryNode& n = query_.nodes[index];
    switch (n.kind) {
      case NodeKind::kMatchAll:
        return Candidates::borrow(indexes_.live(), true);
      case NodeKind::kAnd:
        return conjunction(n);
      case NodeKind::kOr:
        return disjunction(n);
      case NodeKind::kNot:
        return complement(node(query_.operands(n)[0]));
      case NodeKind::kExists: {
        const BoundPath& path = bound_.paths[n.path];
        if (!path.present) return Candidates::none();
        const Bitmap* present = indexes_.presence(path.field());
        return present ? Candidates::borrow(*present, true) : Candidates::none();
      }
      case NodeKind::kCompare:
        if (n.op == CompareOp::kNe) return complement(equality(n, query_.values(n)));
        if (n.op == CompareOp::kEq) return equality(n, query_.values(n));
        return ordering(n);
      case NodeKind::kIn:
        return equality(n, query_.values(n));
      case NodeKind::kContains:
        return contains(n);
    }
    return Candidates::borrow(indexes_.live(), false);
  }

 private:
  // The docs holding any value at the node's path: a superset of any predicate on it.
  Candidates presence(const QueryNode& n) {
    const BoundPath& path = bound_.paths[n.path];
    if (!path.present) return Candidates::none();
    const Bitmap* present = indexes_.presence(path.field());
    return present ? Candidates::borrow(*present, false) : Candidates::none();
  }

  // p = v1 OR p = v2 ... (one value for `=`).
  Candidates equality(const QueryNode& n, std::span<const Literal> values) {
    if (!bound_.paths[n.path].present) return Candidates::none();
    const Index* index = equality_index(indexes_, query_.path_of(n));
    if (index == nullptr) return presence(n);
    if (values.size() == 1) {
      const Bitmap* hit = lookup(*index, ScalarKey::from_value(values[0]));
      return hit ? Candidates::borrow(*hit, true) : Candidates::none();
    }
    Bitmap all;
    for (const Literal& v : values) {
      if (const Bitmap* hit = lookup(*index, ScalarKey::from_value(v))) all |= *hit;
    }
    return Candidates::own(std::move(all), true);
  }

  Candidates ordering(const QueryNode& n) {
    if (!bound_.paths[n.path].present) return Candidates::none();
    const Index* index = indexes_.find(query_.path_of(n));
    if (index == nullptr || !index->sorted) return presence(n);
    const KeyRange range = range_of(n.op, ScalarKey::from_value(query_.values(n)[0]));
    return Candidates::own(index->sorted->range_union(range), true);
  }

  Candidates contains(const QueryNode& n) {
    if (!bound_.paths[n.path].present) return Candidates::none();
    const Index* index = indexes_.find(query_.path_of(n));
    if (index == nullptr || !index->array) return presence(n);
    const Bitmap* hit = index->array->lookup(ScalarKey::from_value(query_.values(n)[0]));
    return hit ? Candidates::borrow(*hit, true) : Candidates::none();
  }

  Candidates complement(Candidates inner) {
    if (!inner.exact()) return Candidates::borrow(indexes_.live(), false);
    Bitmap rest = indexes_.live();
    rest -= inner.set();
    return Candidates::own(std::move(rest), true);
  }

  Candidates conjunction(const QueryNode& n) {
    std::vector<Candidates> parts;
    parts.reserve(n.count);
    bool exact = true;
    for (const std::uint32_t child : query_.operands(n)) {
      parts.push_back(node(child));
      exact = exact && parts.back().exact();
      if (parts.back().exact() && parts.back().set().isEmpty()) return Candidates::none();
    }
    if (parts.size() == 1) return std::move(parts[0]);
    // Smallest first, so the running intersection starts small.
    std::sort(parts.begin(), parts.end(), [](const Candidates& a, const Candidates& b) {
      return a.set().cardinality() < b.set().cardinality();
    });
    Bitmap result = Bitmap(parts[0].set()) & parts[1].set();
    for (std::size_t i = 2; i < parts.size() && !result.isEmpty(); ++i) result &= parts[i].set();
    return Candidates::own(std::move(result), exact);
  }

  Candidates disjunction(const QueryNode& n) {
    Bitmap result;
    bool exact = true;
    for (const std::uint32_t child : query_.operands(n)) {
      Candidates part = node(child);
      exact = exact && part.exact();
      result |= part.set();
    }
    return Candidates::own(std::move(result), exact);
  }

  const Query& query_;
  const BoundQuery& bound_;
  const CollectionIndexes& indexes_;
};

}  // namespace

Candidates plan(const Query& query, const BoundQuery& bound, const CollectionIndexes& indexes) {
  return Planner(query, bound, indexes).node(query.root);
}

std::optional<std::uint64_t> exact_count(const Query& query, const BoundQuery& bound,
                                         const CollectionIndexes& indexes) {
  const QueryNode& root = query.root_node();
  Planner planner(query, bound, indexes);
  // An AND of two exact sets: and_cardinality, without the intersection.
  if (root.kind == NodeKind::kAnd && root.count == 2) {
    const auto operands = query.operands(root);
    Candidates a = planner.node(operands[0]);
    if (a.exact() && a.set().isEmpty()) return 0;
    Candidates b = planner.node(operands[1]);
    if (a.exact() && b.exact()) return a.set().and_cardinality(b.set());
    return std::nullopt;
  }
  Candidates all = planner.node(query.root);
  if (all.exact()) return all.set().cardinality();
  return std::nullopt;
}

}  // namespace kora::doc
