#pragma once
// The interface every exploration strategy implements (Boost.Fiber `algorithm` style): the scheduler
// asks it, at every decision, which runnable fiber takes the next step.
#include <cstddef>
#include <cstdint>

#include "scheduler/footprint.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::sched {

struct Decision {
  const FiberId* runnable;  // ascending ids, count >= 1
  size_t count;
  FiberId current;          // the fiber that ran the previous step; kNoFiber if it blocked/finished or none yet
  uint64_t step;            // index of the step about to run (== decisions made so far)
  Scheduler* scheduler = nullptr;  // for pending_label()/fiber_name()/fail_current() (replay, dfs checks)
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual void begin(uint64_t seed) = 0;        // start of one execution
  virtual size_t choose(const Decision&) = 0;   // index into runnable
  /// The chosen fiber's step ended (at its next point, a block or its end); `touched` is what it
  /// recorded (footprint.hpp). Read it now: the next step overwrites it.
  virtual void step_done(const Footprint& /*touched*/) {}
  /// Whether this strategy reads step_done()'s footprints. Asked at the start of each execution; when
  /// false (and Options::record_footprints is off) scopes and touches record nothing, which is cheaper.
  virtual bool wants_footprints() const { return false; }
  virtual void end(const Execution&) {}         // end of one execution
  /// No fiber is runnable any more (all finished, or the rest blocked) after `step` steps. A strategy
  /// may end the execution with its own finding here via scheduler.fail_current(); it then replaces
  /// the deadlock report (ReplayStrategy reports an execution shorter than the recording).
  virtual void no_runnable(uint64_t /*step*/, Scheduler& /*scheduler*/) {}
  /// The execution ended (a finding, the step limit) while fibers were still runnable: `d` lists them
  /// as a decision would, and their pending steps (detail::pending_footprint) are still readable. DPOR
  /// needs those steps: a fiber that never ran after some point still races with the steps before.
  virtual void stopped(const Decision& /*remaining*/) {}
};

}  // namespace fsrace::sched
