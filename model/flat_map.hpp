// An ordered map kept as one sorted vector of (key, value) pairs: what std::map offers the model's
// small, mostly read per-execution tables (the inode cache, the data oracle's files), with a copy that
// is one allocation instead of one per entry and an in-order walk over contiguous memory. Insertion
// and erasure move the later entries: an iterator or reference into the map is valid only until the
// next insertion or erasure (the users hold none across one).
#pragma once
#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace fsrace::model {

template <class K, class V>
class flat_map {
 public:
  using value_type = std::pair<K, V>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  iterator begin() { return v_.begin(); }
  iterator end() { return v_.end(); }
  const_iterator begin() const { return v_.begin(); }
  const_iterator end() const { return v_.end(); }
  size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }

  iterator find(const K& k) {
    auto it = lower(k);
    return it != v_.end() && !(k < it->first) ? it : v_.end();
  }
  const_iterator find(const K& k) const {
    auto it = lower(k);
    return it != v_.end() && !(k < it->first) ? it : v_.end();
  }
  size_t count(const K& k) const { return find(k) != end() ? 1 : 0; }
  V& operator[](const K& k) {
    auto it = lower(k);
    if (it == v_.end() || k < it->first) it = v_.insert(it, value_type{k, V{}});
    return it->second;
  }
  size_t erase(const K& k) {
    auto it = find(k);
    if (it == v_.end()) return 0;
    v_.erase(it);
    return 1;
  }

 private:
  iterator lower(const K& k) {
    return std::lower_bound(v_.begin(), v_.end(), k, [](const value_type& e, const K& key) { return e.first < key; });
  }
  const_iterator lower(const K& k) const {
    return std::lower_bound(v_.begin(), v_.end(), k, [](const value_type& e, const K& key) { return e.first < key; });
  }
  std::vector<value_type> v_;
};

}  // namespace fsrace::model
