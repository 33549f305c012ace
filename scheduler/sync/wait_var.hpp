#pragma once
// wait_var_event()/wake_up_var() as in the kernel: waiters are keyed by an object's address. The
// address is used only to look the waiters up in the running scheduler's registry (never ordered or
// printed); the registry is emptied at the start of every execution.
#include "scheduler/footprint.hpp"
#include "scheduler/sync/blocking.hpp"

namespace fsrace::sched {

namespace detail {
/// Waiters on `var` in the running execution (created on first use, remembers `name` for labels).
/// Outside run(): throws std::logic_error (nobody could wake the caller).
WaitList& var_waiters(const void* var, const char* name);
}  // namespace detail

/// Loop: scheduling point "wait_var_event(name)"; return if cond(); else sleep until wake_up_var(var).
template <class Pred>
void wait_var_event(const void* var, const char* name, Pred cond) {
  for (;;) {  // bounded by the scheduler's step limit
    const Label op = Ls("wait_var_event({})", name);
    point(op);
    touch_lock(name);  // the wait list (and the waker's wake-up) are this object
    if (cond()) return;
    detail::var_waiters(var, name).block(op);  // the step that blocks ran cond(): it keeps the caller's claim
    detail::primitive_only_step(nullptr);      // the step that resumes runs only the loop to the point
  }
}

/// Scheduling point "wake_up_var(<name>)" (name as registered by waiters in this execution, "?" if
/// none); wakes every waiter on var in FIFO order.
void wake_up_var(const void* var);
/// Same, with the name given by the caller for the label.
void wake_up_var(const void* var, const char* name);

}  // namespace fsrace::sched
