#pragma once
#include <cstdint>

#include "scheduler/footprint.hpp"
#include "scheduler/sync/blocking.hpp"

namespace fsrace::sched {

/// Kernel struct completion: complete() lets one waiter through, complete_all() every present and
/// future waiter. Points "wait_for_completion(name)", "complete(name)", "complete_all(name)".
class Completion {
 public:
  explicit Completion(const char* name) : name_(name) {}
  Completion(const Completion& other);  // same name and count, no waiters
  Completion& operator=(const Completion& other);

  void wait_for_completion();
  void complete();
  void complete_all();
  /// No scheduling point: true if a wait_for_completion() would not block.
  bool done() const {
    touch_lock(name_, instance_, lock_id_, false);  // a read in the caller's step (footprint.hpp)
    return done_ != 0;
  }
  /// reinit_completion(): back to not done.
  void reinit() { done_ = 0; }
  const char* name() const { return name_; }
  /// Tells DPOR's footprints this instance apart from others of the same name (footprint.hpp lock_id).
  void set_instance(uint64_t n) { instance_ = n; }

 private:
  static constexpr uint32_t kAll = ~0u;
  const char* name_;
  uint64_t instance_ = 0;
  LockIdCache lock_id_;  // touch_lock's id of (name_, instance_)
  uint32_t done_ = 0;
  WaitList waiters_;
};

}  // namespace fsrace::sched
