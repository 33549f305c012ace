// An append-only vector that copies in O(1) once frozen: the elements present at freeze() are a shared,
// immutable base; each copy then appends to its own tail. The data oracle's list of operations is held
// this way, so cloning the prepared filesystem for each execution does not copy the descriptions of
// the set-up's operations (one per file created), nor does the clone's end free them.
#pragma once
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace fsrace::model {

template <class T>
class append_vector {
 public:
  size_t size() const { return base_size() + tail_.size(); }
  bool empty() const { return size() == 0; }
  const T& operator[](size_t i) const { return i < base_size() ? (*base_)[i] : tail_[i - base_size()]; }
  template <class... A> T& emplace_back(A&&... a) { return tail_.emplace_back(std::forward<A>(a)...); }
  void push_back(T x) { tail_.push_back(std::move(x)); }

  // Folds the tail into a new shared base (base then tail, in order). Called on the prepared state
  // before it is cloned; never on a state another thread copies at the same time.
  void freeze() {
    if (tail_.empty()) return;
    auto merged = std::make_shared<std::vector<T>>();
    merged->reserve(size());
    if (base_) merged->insert(merged->end(), base_->begin(), base_->end());
    merged->insert(merged->end(), std::make_move_iterator(tail_.begin()), std::make_move_iterator(tail_.end()));
    tail_.clear();
    base_ = std::move(merged);
  }

 private:
  size_t base_size() const { return base_ ? base_->size() : 0; }
  std::shared_ptr<const std::vector<T>> base_;
  std::vector<T> tail_;
};

}  // namespace fsrace::model
