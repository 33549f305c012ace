#pragma once
#include "scheduler/footprint.hpp"
#include "scheduler/sync/blocking.hpp"

namespace fsrace::sched {

/// Kernel wait_queue_head_t with wait_event()/wake_up().
class WaitQueue {
 public:
  explicit WaitQueue(const char* name) : name_(name) {}
  WaitQueue(const WaitQueue& other);  // same name, no waiters
  WaitQueue& operator=(const WaitQueue& other);

  /// Loop: scheduling point "wait_event(name)"; return if cond(); else sleep until wake_up().
  template <class Pred>
  void wait_event(Pred cond) {
    for (;;) {  // bounded by the scheduler's step limit
      const Label op = Ls("wait_event({})", name_);
      point(op);
      touch_lock(name_, instance_, lock_id_);  // the wait list (and the waker's wake-up) are this object
      if (cond()) return;
      waiters_.block(op);  // the step that blocks ran cond(): it keeps the caller's claim
      detail::primitive_only_step(nullptr);  // the step that resumes runs only the loop to the point
    }
  }
  /// Scheduling point "wake_up(name)"; wakes all waiters (they re-check their condition).
  void wake_up();
  bool has_waiters() const {
    touch_lock(name_, instance_, lock_id_, false);  // a read of the wait list in the caller's step (footprint.hpp)
    return !waiters_.empty();
  }
  const char* name() const { return name_; }
  /// Tells DPOR's footprints this instance apart from others of the same name (footprint.hpp lock_id).
  void set_instance(uint64_t n) { instance_ = n; }

 private:
  const char* name_;
  uint64_t instance_ = 0;
  LockIdCache lock_id_;  // touch_lock's id of (name_, instance_)
  WaitList waiters_;
};

}  // namespace fsrace::sched
