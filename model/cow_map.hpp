// An ordered map that clones in O(1): a frozen base shared by every clone plus a private delta.
// Per-execution clones of the prepared filesystem copy only the delta (empty right after freeze), so
// cloning costs what an execution changes, not the filesystem's size.
#pragma once
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "model/probe_index.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {

template <class K, class V>
class cow_map {
 public:
  cow_map() = default;
  cow_map(const cow_map& o) : base_(o.base_), delta_(o.delta_) { reindex(); }
  cow_map(cow_map&& o) : base_(std::move(o.base_)), delta_(std::move(o.delta_)) {
    reindex();
    o.delta_.clear();
    o.index_.clear();
  }
  cow_map& operator=(const cow_map& o) {
    if (this != &o) {
      base_ = o.base_;
      delta_ = o.delta_;
      reindex();
    }
    return *this;
  }
  cow_map& operator=(cow_map&& o) {
    if (this != &o) {
      base_ = std::move(o.base_);
      delta_ = std::move(o.delta_);
      reindex();
      o.delta_.clear();
      o.index_.clear();
    }
    return *this;
  }

  const V* find(const K& k) const {
    bool frozen;
    return find(k, &frozen);
  }
  // The same; *frozen tells whether the value is the frozen base's (held by the base, never changed
  // while it exists: shared by every clone of the map, of which none has changed this entry).
  const V* find(const K& k, bool* frozen) const {
    *frozen = false;
    if (!delta_.empty())
      if (auto it = delta_find(k); it != delta_.end()) return it->second ? &*it->second : nullptr;
    if (base_) {
      if (size_t i = base_->index(k); i != npos) {
        *frozen = true;
        return &base_->vals[i];
      }
    }
    return nullptr;
  }
  bool contains(const K& k) const { return find(k) != nullptr; }

  // Mutable access: the first write to an entry of the base copies it into the delta.
  V* find_mut(const K& k) {
    if (auto it = delta_find(k); it != delta_.end()) return it->second ? &*it->second : nullptr;
    if (base_) {
      if (size_t i = base_->index(k); i != npos) return &*(set_delta(k, base_->vals[i]));
    }
    return nullptr;
  }
  void put(const K& k, V v) { set_delta(k, std::move(v)); }
  void erase(const K& k) {
    if (base_ && base_->index(k) != npos) {
      set_delta(k, std::nullopt);
    } else {
      delta_.erase(k);
      index_.erase(k);
    }
  }

  // First entry with key >= k (lower) or > k (upper), merged over base and delta.
  std::optional<std::pair<K, const V*>> lower_bound(const K& k) const { return seek(k, false); }
  std::optional<std::pair<K, const V*>> upper_bound(const K& k) const { return seek(k, true); }
  // Last entry with key <= k.
  std::optional<std::pair<K, const V*>> floor(const K& k) const {
    std::optional<K> cand;
    for (auto it = delta_.upper_bound(k); it != delta_.begin();) {
      --it;
      if (!it->second) continue;  // a delta entry is alive exactly when it holds a value
      cand = it->first;
      break;
    }
    if (base_) {
      const auto& keys = base_->keys;
      for (size_t i = size_t(std::upper_bound(keys.begin(), keys.end(), k) - keys.begin()); i > 0;) {
        --i;
        if (!alive(keys[i])) continue;
        if (!cand || *cand < keys[i]) cand = keys[i];
        break;
      }
    }
    if (!cand) return std::nullopt;
    return std::pair<K, const V*>{*cand, find(*cand)};
  }

  template <class F> void for_each(F&& f) const {
    for (auto it = lower_bound_any(); it; it = upper_bound(it->first)) f(it->first, *it->second);
  }
  size_t delta_size() const { return delta_.size(); }

  // Folds the delta into a new shared base. Called once, on the prepared state, before cloning.
  void freeze() {
    if (delta_.empty()) return;
    auto merged = std::make_shared<flat>();
    const size_t nbase = base_ ? base_->keys.size() : 0;
    merged->keys.reserve(nbase + delta_.size());
    merged->vals.reserve(nbase + delta_.size());
    size_t i = 0;
    auto take_base_below = [&](const K* limit) {
      for (; i < nbase && (!limit || base_->keys[i] < *limit); ++i) {
        merged->keys.push_back(base_->keys[i]);
        merged->vals.push_back(base_->vals[i]);
      }
    };
    for (auto& [k, v] : delta_) {
      take_base_below(&k);
      if (i < nbase && !(k < base_->keys[i])) ++i;  // the delta's entry replaces (or erases) the base's
      if (v) {
        merged->keys.push_back(k);
        merged->vals.push_back(std::move(*v));
      }
    }
    take_base_below(nullptr);
    merged->build_index();
    delta_.clear();
    index_.clear();
    base_ = std::move(merged);
  }

 private:
  static constexpr size_t npos = ~size_t(0);
  // The frozen base as two sorted arrays (keys apart from values, so a lookup's binary search touches
  // only keys): the same ordered map as a std::map, found without chasing pointers. A base of
  // kIndexFrom keys or more also has a hash index of the keys' positions, built once by freeze (the
  // base never changes after): a lookup then reads one bucket instead of a binary search's ~log2(n)
  // cache lines (probe_index.hpp). Only looked up, never iterated (ordered walks use `keys`).
  struct flat {
    std::vector<K> keys;
    std::vector<V> vals;
    probe_index<K, size_t> pos;
    void build_index() {
      pos.clear();
      if (keys.size() < kIndexFrom) return;
      pos.reserve(keys.size());
      for (size_t i = 0; i < keys.size(); ++i) pos.emplace(keys[i], i);
    }
    size_t index(const K& k) const {
      if (!pos.empty()) {
        const size_t* p = pos.find(k);
        return p ? *p : npos;
      }
      auto it = std::lower_bound(keys.begin(), keys.end(), k);
      return it != keys.end() && !(k < *it) ? size_t(it - keys.begin()) : npos;
    }
  };

  using delta_map = std::map<K, std::optional<V>>;
  std::optional<V>& set_delta(const K& k, std::optional<V> v) {
    auto [it, inserted] = delta_.insert_or_assign(k, std::move(v));
    if (inserted) {
      if (!index_.empty()) index_.emplace(k, it);
      else if (delta_.size() >= kIndexFrom) reindex();
    }
    return it->second;
  }
  // The index is kept only while the delta has kIndexFrom entries or more (below, the tree is as fast).
  static constexpr size_t kIndexFrom = 64;
  void reindex() {
    index_.clear();
    if (delta_.size() < kIndexFrom) return;
    index_.reserve(delta_.size() * 2);
    for (auto it = delta_.begin(); it != delta_.end(); ++it) index_.emplace(it->first, it);
  }
  typename delta_map::const_iterator delta_find(const K& k) const {
    if (index_.empty()) return delta_.find(k);
    auto* it = index_.find(k);
    return it ? typename delta_map::const_iterator(*it) : delta_.end();
  }
  typename delta_map::iterator delta_find(const K& k) {
    if (index_.empty()) return delta_.find(k);
    auto* it = index_.find(k);
    return it ? *it : delta_.end();
  }
  bool alive(const K& k) const {
    if (delta_.empty()) return true;
    auto it = delta_find(k);
    return it == delta_.end() ? true : it->second.has_value();
  }
  std::optional<std::pair<K, const V*>> lower_bound_any() const {
    std::optional<K> first;
    for (auto& [k, v] : delta_) if (v) { first = k; break; }
    if (base_) for (const K& k : base_->keys) if (alive(k)) { if (!first || k < *first) first = k; break; }
    if (!first) return std::nullopt;
    return std::pair<K, const V*>{*first, find(*first)};
  }
  std::optional<std::pair<K, const V*>> seek(const K& k, bool strict) const {
    std::optional<K> cand;
    for (auto it = strict ? delta_.upper_bound(k) : delta_.lower_bound(k); it != delta_.end(); ++it) {
      if (!it->second) continue;
      cand = it->first;
      break;
    }
    if (base_) {
      const auto& keys = base_->keys;
      auto it = strict ? std::upper_bound(keys.begin(), keys.end(), k) : std::lower_bound(keys.begin(), keys.end(), k);
      for (; it != keys.end(); ++it) {
        if (!alive(*it)) continue;
        if (!cand || *it < *cand) cand = *it;
        break;
      }
    }
    if (!cand) return std::nullopt;
    return std::pair<K, const V*>{*cand, find(*cand)};
  }

  std::shared_ptr<const flat> base_;
  delta_map delta_;
  // The delta's entries by key, for lookups only (never iterated: iteration goes through delta_ in key
  // order); kept in step with delta_ by set_delta, erase, freeze and the copies while the delta is big
  // (an execution that rewrites a whole tree puts thousands of blocks there), empty while it is small.
  probe_index<K, typename delta_map::iterator> index_;
};

}  // namespace fsrace::model
