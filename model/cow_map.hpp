// An ordered map that clones in O(1): a frozen base shared by every clone plus a private delta.
// Per-execution clones of the prepared filesystem copy only the delta (empty right after freeze), so
// cloning costs what an execution changes, not the filesystem's size.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "scheduler/finding.hpp"

namespace fsrace::model {

template <class K, class V>
class cow_map {
 public:
  const V* find(const K& k) const {
    if (auto it = delta_.find(k); it != delta_.end()) return it->second ? &*it->second : nullptr;
    if (base_) {
      if (auto it = base_->find(k); it != base_->end()) return &it->second;
    }
    return nullptr;
  }
  bool contains(const K& k) const { return find(k) != nullptr; }

  // Mutable access: the first write to an entry of the base copies it into the delta.
  V* find_mut(const K& k) {
    if (auto it = delta_.find(k); it != delta_.end()) return it->second ? &*it->second : nullptr;
    if (base_) {
      if (auto it = base_->find(k); it != base_->end()) return &*(delta_[k] = it->second);
    }
    return nullptr;
  }
  void put(const K& k, V v) { delta_[k] = std::move(v); }
  void erase(const K& k) {
    if (base_ && base_->count(k)) delta_[k] = std::nullopt; else delta_.erase(k);
  }

  // First entry with key >= k (lower) or > k (upper), merged over base and delta.
  std::optional<std::pair<K, const V*>> lower_bound(const K& k) const { return seek(k, false); }
  std::optional<std::pair<K, const V*>> upper_bound(const K& k) const { return seek(k, true); }
  // Last entry with key <= k.
  std::optional<std::pair<K, const V*>> floor(const K& k) const {
    std::optional<K> cand;
    auto consider = [&](auto& m) {
      auto it = m.upper_bound(k);
      while (it != m.begin()) {
        --it;
        if (!alive(it->first)) continue;
        if (!cand || *cand < it->first) cand = it->first;
        break;
      }
    };
    consider(delta_);
    if (base_) consider(*base_);
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
    auto merged = base_ ? std::make_shared<std::map<K, V>>(*base_) : std::make_shared<std::map<K, V>>();
    for (auto& [k, v] : delta_) {
      if (v) (*merged)[k] = std::move(*v); else merged->erase(k);
    }
    delta_.clear();
    base_ = std::move(merged);
  }

 private:
  bool alive(const K& k) const {
    auto it = delta_.find(k);
    return it == delta_.end() ? true : it->second.has_value();
  }
  std::optional<std::pair<K, const V*>> lower_bound_any() const {
    std::optional<K> first;
    for (auto& [k, v] : delta_) if (v) { first = k; break; }
    if (base_) for (auto& [k, v] : *base_) if (alive(k)) { if (!first || k < *first) first = k; break; }
    if (!first) return std::nullopt;
    return std::pair<K, const V*>{*first, find(*first)};
  }
  std::optional<std::pair<K, const V*>> seek(const K& k, bool strict) const {
    std::optional<K> cand;
    auto consider = [&](auto& m) {
      for (auto it = strict ? m.upper_bound(k) : m.lower_bound(k); it != m.end(); ++it) {
        if (!alive(it->first)) continue;
        if (!cand || it->first < *cand) cand = it->first;
        break;
      }
    };
    consider(delta_);
    if (base_) consider(*base_);
    if (!cand) return std::nullopt;
    return std::pair<K, const V*>{*cand, find(*cand)};
  }

  std::shared_ptr<const std::map<K, V>> base_;
  std::map<K, std::optional<V>> delta_;
};

}  // namespace fsrace::model
