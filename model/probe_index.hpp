// A hash index for lookups only: keys to values in one flat array, open addressing with linear probing
// (a power-of-two table at most half full, std::hash mixed by a multiply). A lookup usually reads one
// cache line, where std::unordered_map reads a bucket, then a node, and divides by a prime. Never
// iterated (it has no iteration), so its slot order can never reach a decision or output.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace fsrace::model {

template <class K, class V>
class probe_index {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  void clear() {
    slots_.clear();
    size_ = 0;
    shift_ = 64;
  }
  // Room for n keys without growing.
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    if (cap > slots_.size()) rehash(cap);
  }
  // Adds k -> v unless k is there already (then nothing changes, as unordered_map::emplace); whether
  // it added.
  bool emplace(const K& k, V v) {
    if (2 * (size_ + 1) > slots_.size()) rehash(slots_.empty() ? 16 : 2 * slots_.size());
    size_t i = home(k);
    for (; slots_[i].used; i = next(i))
      if (slots_[i].key == k) return false;
    slots_[i] = {k, std::move(v), true};
    ++size_;
    return true;
  }
  const V* find(const K& k) const {
    if (!size_) return nullptr;
    for (size_t i = home(k); slots_[i].used; i = next(i))
      if (slots_[i].key == k) return &slots_[i].val;
    return nullptr;
  }
  V* find(const K& k) { return const_cast<V*>(std::as_const(*this).find(k)); }
  // Removes k if present (backward-shift deletion: no tombstones, so lookups never slow down).
  void erase(const K& k) {
    if (!size_) return;
    size_t i = home(k);
    for (; slots_[i].used; i = next(i))
      if (slots_[i].key == k) break;
    if (!slots_[i].used) return;
    for (size_t j = next(i);; j = next(j)) {
      if (!slots_[j].used) break;
      const size_t h = home(slots_[j].key);
      // slot j's entry may move to the hole at i unless its home lies cyclically in (i, j].
      const bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (stays) continue;
      slots_[i] = std::move(slots_[j]);
      i = j;
    }
    slots_[i].used = false;
    --size_;
  }

 private:
  struct slot {
    K key{};
    V val{};
    bool used = false;
  };
  size_t home(const K& k) const { return size_t((uint64_t(std::hash<K>{}(k)) * 0x9E3779B97F4A7C15ull) >> shift_); }
  size_t next(size_t i) const { return (i + 1) & (slots_.size() - 1); }
  void rehash(size_t cap) {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(cap, slot{});
    shift_ = 64;
    for (size_t c = cap; c > 1; c /= 2) --shift_;
    size_ = 0;
    for (auto& s : old)
      if (s.used) emplace(s.key, std::move(s.val));
  }
  std::vector<slot> slots_;
  size_t size_ = 0;
  unsigned shift_ = 64;  // home = (hash * golden) >> shift_, log2(capacity) high bits
};

}  // namespace fsrace::model
