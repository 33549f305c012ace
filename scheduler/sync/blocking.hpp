#pragma once
// Low-level blocking used by the primitives: a blocked fiber leaves the runnable set until woken.
// Its pending label (the operation it is stuck in, e.g. "mutex_lock(a)") names what it waits for in
// deadlock reports. Primitives loop or hand off ownership; they never rely on a wake-up being unique.
#include <cstdint>
#include <vector>

#include "scheduler/scheduler.hpp"

namespace fsrace::sched::detail {

/// Throws std::logic_error naming `what` unless a fiber runs: outside one, nobody could wake it.
/// Callers check before queueing themselves anywhere.
void require_fiber(const Label& what);
/// Blocks the current fiber until wake(); returns once it was woken and chosen to run again.
void block_current(const Label& what);
/// Makes a blocked fiber of the running execution runnable again (no-op if it is not blocked).
void wake(FiberId);
/// Identifies the execution in progress (unique per run across threads; 0 outside run()). Waiter
/// lists remember it so that waiters left over from an earlier execution are never woken.
uint64_t run_epoch();

}  // namespace fsrace::sched::detail

namespace fsrace::sched {

/// FIFO of fibers blocked on one object. Copying gives an empty list (waiters are never copied).
class WaitList {
 public:
  WaitList() = default;
  WaitList(const WaitList&) {}
  WaitList& operator=(const WaitList&) { return *this; }  // keeps its own waiters, copies none

  /// Appends the current fiber and blocks it until woken (see detail::block_current); `what` is the
  /// operation, for the error raised outside a fiber.
  void block(const Label& what);
  /// Wakes the oldest waiter; false if there was none.
  bool wake_one();
  /// Wakes every waiter in FIFO order; returns how many.
  size_t wake_all();
  /// Oldest waiter, kNoFiber if none.
  FiberId front();
  bool empty() const;
  size_t size() const;
  /// The waiters, oldest first (state dumps).
  std::vector<FiberId> fibers() const;

 private:
  void drop_stale();
  std::vector<FiberId> waiters_;
  uint64_t epoch_ = 0;
};

}  // namespace fsrace::sched
