// Sleeping until a condition holds, with the caller's own label at the scheduling point (the kernel's
// wait_event on a wait queue specific to the object). Wakers call WaitList::wake_all().
#pragma once
#include "scheduler/scheduler.hpp"
#include "scheduler/sync/blocking.hpp"

namespace fsrace::model {

template <class Pred>
void wait_until(sched::WaitList& waiters, const sched::Label& label, Pred cond) {
  for (;;) {  // bounded by the scheduler's step limit
    sched::point(label);
    if (cond()) return;
    waiters.block(label);  // the step that blocks ran cond(): it keeps the caller's claim
    // The step that resumes runs only the loop back to the point: nothing (scheduler/sync/blocking.hpp).
    sched::detail::primitive_only_step(nullptr);
  }
}

}  // namespace fsrace::model
