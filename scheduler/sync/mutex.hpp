#pragma once
#include "scheduler/footprint.hpp"
#include "scheduler/sync/blocking.hpp"

namespace fsrace::sched {

namespace detail {
/// Sleeping or spinning exclusive lock with FIFO hand-off: unlock() gives the lock to the oldest
/// waiter, so the order of acquisition is decided by the schedule alone.
class ExclusiveLock {
 public:
  struct Texts { const char *lock, *trylock, *unlock; };
  ExclusiveLock(const char* name, const Texts& texts) : name_(name), texts_(&texts) {}
  ExclusiveLock(const ExclusiveLock& other);  // fresh unlocked lock with the same name
  ExclusiveLock& operator=(const ExclusiveLock& other);

  void lock();
  bool trylock();
  void unlock();
  // State reads in the caller's step record the lock's object as read (footprint.hpp).
  bool is_locked() const {
    touch_lock(name_, instance_, lock_id_, false);
    return locked_;
  }
  FiberId owner() const {
    touch_lock(name_, instance_, lock_id_, false);
    return owner_;
  }
  const char* name() const { return name_; }
  std::vector<FiberId> waiters() const { return waiters_.fibers(); }
  /// Tells DPOR's footprints this instance apart from others of the same name (footprint.hpp lock_id).
  void set_instance(uint64_t n) { instance_ = n; }

 private:
  const char* name_;
  const Texts* texts_;
  uint64_t instance_ = 0;
  LockIdCache lock_id_;  // touch_lock's id of (name_, instance_)
  bool locked_ = false;
  FiberId owner_ = kNoFiber;
  WaitList waiters_;
};
}  // namespace detail

/// Kernel struct mutex: sleeping lock; every operation is a scheduling point "mutex_lock(name)".
class Mutex {
 public:
  explicit Mutex(const char* name);
  void lock() { core_.lock(); }
  bool trylock() { return core_.trylock(); }
  void unlock() { core_.unlock(); }
  bool is_locked() const { return core_.is_locked(); }
  FiberId owner() const { return core_.owner(); }
  const char* name() const { return core_.name(); }
  std::vector<FiberId> waiters() const { return core_.waiters(); }
  void set_instance(uint64_t n) { core_.set_instance(n); }

 private:
  detail::ExclusiveLock core_;
};

/// Kernel spinlock_t. A spinning waiter is modelled as blocked (it makes no progress until the holder
/// unlocks), which keeps deadlocks detectable instead of burning the step bound. Points "spin_lock(name)".
class SpinLock {
 public:
  explicit SpinLock(const char* name);
  void lock() { core_.lock(); }
  bool trylock() { return core_.trylock(); }
  void unlock() { core_.unlock(); }
  void spin_lock() { core_.lock(); }
  bool spin_trylock() { return core_.trylock(); }
  void spin_unlock() { core_.unlock(); }
  bool is_locked() const { return core_.is_locked(); }
  FiberId owner() const { return core_.owner(); }
  const char* name() const { return core_.name(); }
  std::vector<FiberId> waiters() const { return core_.waiters(); }
  void set_instance(uint64_t n) { core_.set_instance(n); }

 private:
  detail::ExclusiveLock core_;
};

/// RAII holder for Mutex/SpinLock (like scoped_guard); unlocks at scope exit, also when unwound.
template <class Lock>
class LockGuard {
 public:
  explicit LockGuard(Lock& lock) : lock_(lock) { lock_.lock(); }
  ~LockGuard() { lock_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lock& lock_;
};

}  // namespace fsrace::sched
