// A per-thread memo of a value computed from an immutable object held by shared_ptr, keyed on the
// object's identity. The memo keeps every object it has an entry for alive, so the address cannot name
// another object while the entry exists; with the object immutable (the caller's precondition: the
// model never changes an object it shares, and the memo's reference makes it shared), the kept value is
// exactly what computing it again would return. Looked up only, never iterated (no address order
// reaches any output). Two generations: an entry found in the old one moves to the current one; when
// the current one is full it becomes the old one, dropping what was not used since. The objects every
// execution uses (those of the prepared state) stay; those one execution made go with the next ones.
// Keeping what an execution made alive past it costs the allocator (a memo of tree blocks made
// send-vs-relocation about 10% slower): use it for objects whose recomputation costs far more.
#pragma once
#include <cstddef>
#include <memory>
#include <unordered_map>
#include <utility>

namespace fsrace::model {

template <class T, class V, size_t Generation>
class identity_memo {
 public:
  template <class Compute> V get(const std::shared_ptr<const T>& obj, Compute&& compute) {
    if (auto it = current_.find(obj.get()); it != current_.end()) return it->second.second;
    V v;
    if (auto it = old_.find(obj.get()); it != old_.end()) v = it->second.second;
    else v = compute(*obj);
    if (current_.size() >= Generation) {
      old_ = std::move(current_);
      current_ = map();
    }
    current_.emplace(obj.get(), std::make_pair(obj, v));
    return v;
  }

 private:
  using map = std::unordered_map<const T*, std::pair<std::shared_ptr<const T>, V>>;
  map current_, old_;
};

}  // namespace fsrace::model
