#pragma once
// Low-level blocking used by the primitives: a blocked fiber leaves the runnable set until woken.
// Its pending label (the operation it is stuck in, e.g. "mutex_lock(a)") names what it waits for in
// deadlock reports. Primitives loop or hand off ownership; they never rely on a wake-up being unique.
#include <cstdint>
#include <vector>

#include "scheduler/footprint.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::sched::detail {

/// Throws std::logic_error naming `what` unless a fiber runs: outside one, nobody could wake it.
/// Callers check before queueing themselves anywhere.
void require_fiber(const Label& what);
/// Blocks the current fiber until wake(); returns once it was woken and chosen to run again.
void block_current(const Label& what);
/// Makes a blocked fiber of the running execution runnable again (no-op if it is not blocked).
void wake(FiberId);
/// Footprints of blocking (footprint.hpp). A primitive's step that blocks runs from the primitive's own
/// scheduling point (or from the wake-up of an earlier block in the same primitive) to the block: no
/// code of the caller runs in it, although it started with the claim of the caller's innermost scope
/// (the recording starts with it, for the caller code that would run if the primitive returned). The
/// primitive calls this just before blocking, and a wait_event-style loop also just after waking (the
/// step that resumes runs only the loop back to its next point): the running step's record becomes the
/// primitive's own object, lock_id(name, instance), or nothing when name is nullptr. Sound because the
/// recorded footprint must cover what the step ran, and the step ran nothing but the primitive's code
/// on the primitive's own state (its counter or owner, its wait list) and the scheduler's runnable set,
/// which DPOR orders by the wake-up (the waker's step happens before the woken fiber's next one) and
/// not by footprints. It must NOT be called where caller code ran in the step (a wait_event condition
/// evaluated before blocking: that step keeps the caller's claim). A no-op on a point-declared step (its
/// declaration stands) and when no footprints are recorded.
void primitive_only_step(const char* name, uint64_t instance = 0, const LockIdCache* cache = nullptr);
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
