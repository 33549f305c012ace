// spinlock_t for the extent buffer paths (eb->refs_lock, mapping->private_lock, fs_info->buffer_lock).
// Acquiring is a scheduling point; releasing is not: a release only matters to fibers acquiring the same
// lock (it wakes them, they retry at their own point) and commutes with every lock-free access, so a
// point there would only multiply the schedules to explore without adding a distinct outcome.
// spin_lock_in_step() acquires a free lock within the current step, for acquisitions that directly
// follow the fiber's previous shared access: lock-free accesses of other fibers commute with the
// acquisition, so a separate point would add no outcome either.
// A spinning waiter is modelled as blocked, so a lock cycle is reported as a deadlock.
// Footprints: every acquisition, attempt and release touches the lock's own object (touch_lock by its
// name: every eb->refs_lock shares one), as the scheduler's primitives do.
#pragma once
#include "scheduler/footprint.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/sync/blocking.hpp"

namespace fsrace::model {

class eb_spinlock {
 public:
  explicit eb_spinlock(const char* name) : name_(name) {}
  // A copy is a fresh unlocked lock with the same name (model state is cloned per execution).
  eb_spinlock(const eb_spinlock& other) : name_(other.name_) {}
  eb_spinlock& operator=(const eb_spinlock& other) {
    name_ = other.name_;
    locked_ = false;
    return *this;
  }

  void spin_lock() {
    for (;;) {  // bounded by the scheduler's step limit
      sched::point(sched::Ls("spin_lock({})", name_));
      sched::touch_lock(name_, 0, lock_id_);
      if (!locked_) {
        locked_ = true;
        return;
      }
      waiters_.block(sched::Ls("spin_lock({})", name_));
    }
  }
  void spin_lock_in_step() {
    sched::touch_lock(name_, 0, lock_id_);
    if (!locked_) {
      locked_ = true;
      return;
    }
    spin_lock();  // held: wait like spin_lock, from a point of its own
  }
  void spin_unlock() {
    FSRACE_MODEL_CHECK(locked_, "spin_unlock({}) of an unlocked lock", name_);
    sched::touch_lock(name_, 0, lock_id_);
    locked_ = false;
    waiters_.wake_all();
  }
  bool is_locked() const { return locked_; }
  const char* name() const { return name_; }

 private:
  const char* name_;
  sched::LockIdCache lock_id_;  // touch_lock's id of name_
  bool locked_ = false;
  sched::WaitList waiters_;
};

}  // namespace fsrace::model
