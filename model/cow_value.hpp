// A value that copies in O(1): copies share one immutable T until one of them is changed (mut()),
// which then makes its own copy first. Used for the parts of fs_info that executions read much and
// change rarely (a root's dcache, received subvolumes), so cloning the prepared filesystem for each
// execution does not copy them, nor does the clone's end free them.
//
// Sharing is tracked by a flag, not by use_count: copying marks BOTH sides as sharing (the source's
// flag is atomic since one prepared state is copied by several explorer threads at once), and a side
// that shares copies before its first change. So a T that two holders reach is never changed.
#pragma once
#include <atomic>
#include <memory>
#include <utility>

namespace fsrace::model {

template <class T>
class cow_value {
 public:
  cow_value() : p_(std::make_shared<T>()), owned_(true) {}
  cow_value(T v) : p_(std::make_shared<T>(std::move(v))), owned_(true) {}  // NOLINT: implicit, as T
  cow_value(const cow_value& o) : p_(o.p_), owned_(false) { o.owned_.store(false, std::memory_order_relaxed); }
  cow_value(cow_value&& o) : p_(std::move(o.p_)), owned_(o.owned_.load(std::memory_order_relaxed)) {
    o.p_ = std::make_shared<T>();
    o.owned_.store(true, std::memory_order_relaxed);
  }
  cow_value& operator=(const cow_value& o) {
    if (this != &o) {
      p_ = o.p_;
      owned_.store(false, std::memory_order_relaxed);
      o.owned_.store(false, std::memory_order_relaxed);
    }
    return *this;
  }
  cow_value& operator=(cow_value&& o) {
    if (this != &o) {
      p_ = std::move(o.p_);
      owned_.store(o.owned_.load(std::memory_order_relaxed), std::memory_order_relaxed);
      o.p_ = std::make_shared<T>();
      o.owned_.store(true, std::memory_order_relaxed);
    }
    return *this;
  }

  const T& operator*() const { return *p_; }
  const T* operator->() const { return p_.get(); }
  operator const T&() const { return *p_; }  // NOLINT: reads as the T it holds

  // The T to change: this holder's own (copied first if it may be shared).
  T& mut() {
    if (!owned_.load(std::memory_order_relaxed)) {
      p_ = std::make_shared<T>(*p_);
      owned_.store(true, std::memory_order_relaxed);
    }
    return *p_;
  }

 private:
  std::shared_ptr<T> p_;
  mutable std::atomic<bool> owned_;
};

}  // namespace fsrace::model
