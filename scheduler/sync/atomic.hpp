#pragma once
#include <cstdint>

#include "scheduler/scheduler.hpp"

namespace fsrace::sched {

/// Kernel atomic_t / atomic64_t: each operation is one indivisible step, preceded by a scheduling
/// point "atomic_<op>(name)". A copy keeps the value (model state is cloned per execution).
class Atomic {
 public:
  explicit Atomic(const char* name, int64_t v = 0) : name_(name), value_(v) {}

  int64_t read();
  void set(int64_t v);
  void inc();
  void dec();
  int64_t add_return(int64_t delta);
  bool dec_and_test();  // decrements; true if the result is 0
  int64_t cmpxchg(int64_t old, int64_t nw);  // returns the value seen; stores nw if it was old
  /// No scheduling point: the caller's current step covers it (the kernel does the update under a
  /// spinlock together with a check, e.g. bg->lock around `if (!bg->ro) atomic_inc(...)`).
  void inc_in_step() {
    touch_lock(name_, instance_, lock_id_);
    ++value_;
  }
  /// No scheduling point: for checkers and asserts only.
  int64_t peek() const {
    touch_lock(name_, instance_, lock_id_, false);  // a read of the counter in the caller's step (footprint.hpp)
    return value_;
  }
  const char* name() const { return name_; }
  /// Tells DPOR's footprints this instance apart from others of the same name (footprint.hpp lock_id).
  void set_instance(uint64_t n) { instance_ = n; }

 private:
  const char* name_;
  uint64_t instance_ = 0;
  LockIdCache lock_id_;  // touch_lock's id of (name_, instance_)
  int64_t value_;
};

}  // namespace fsrace::sched
