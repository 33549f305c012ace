#pragma once
// Deterministic fiber scheduler: one OS thread runs many fibers (Boost.Context), exactly one at a time.
// A fiber returns control at every scheduling point, labelled with what it is about to do; a Strategy
// chooses which runnable fiber takes the next step. Same program + same strategy + same seed => same trace.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/context/fiber.hpp>

#include "scheduler/finding.hpp"
#include "scheduler/footprint.hpp"
#include "scheduler/label.hpp"

namespace fsrace::sched {

using FiberId = uint32_t;
constexpr FiberId kNoFiber = ~0u;

/// One executed step: `fiber` ran from its scheduling point labelled `label` to its next one.
struct Step {
  FiberId fiber;
  Label label;
};

struct Options {
  uint64_t max_steps = 200000;     // more steps than this end the execution with StepLimit
  size_t stack_size = 256 * 1024;  // per fiber, pooled and reused across executions
  bool record_trace = true;        // false: Execution::trace stays empty (decisions are always kept)
  bool record_footprints = false;  // true: Execution::footprints holds each step's (footprint.hpp)
};

struct Execution {
  uint64_t seed = 0;                     // the seed the strategy was started with (0 for replay/dfs)
  std::vector<Step> trace;               // every executed step in order (fiber, the label it ran)
  std::vector<Footprint> footprints;     // what each step recorded (Options::record_footprints only)
  std::vector<FiberId> decisions;        // the fiber chosen at EVERY scheduling decision (replayable)
  std::vector<std::string> fiber_names;  // by FiberId
  Finding finding;                       // kind None = clean
  uint64_t steps = 0, preemptions = 0;
  /// Stable hash of the (fiber, label_hash) sequence of the trace (splitmix64-mixed chain).
  uint64_t trace_hash() const;
};

class Strategy;  // see strategy.hpp

class Scheduler {
 public:
  explicit Scheduler(Options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Adds a fiber to the next (or, from a running fiber, the current) execution. Ids are given in
  /// spawn order from 0. Its first step is labelled "start <name>". run() consumes the spawned fibers.
  /// `base`: what the body's code touches while no FootprintScope of its own is open (footprint.hpp;
  /// default: undeclared, dependent on every step). Declare it only for a body whose own code touches
  /// nothing else: a runner that calls into scoped code, say.
  FiberId spawn(std::string name, std::function<void()> body, const Footprint& base = Footprint{});

  /// Runs the spawned fibers to the end (all finished, a finding, deadlock or the step bound).
  /// Stacks are pooled, so the scheduler is reused for the next execution after spawning again.
  Execution run(Strategy&, uint64_t seed);
  /// Same as run(), reusing the vectors of `out` (keeps their capacity across executions).
  void run_into(Strategy&, uint64_t seed, Execution& out);

  /// Ends the current execution with `finding`. In a fiber: like fail() (fiber and step are filled in).
  /// From a Strategy inside run(): the execution ends before the chosen step runs. The first finding wins.
  /// Outside run(): throws std::logic_error (there is no execution to end).
  void fail_current(Finding);

  // Introspection for strategies (valid during run()).
  const Label& pending_label(FiberId) const;    // what the fiber is about to do
  const std::string& fiber_name(FiberId) const;
  size_t fiber_count() const;
  /// "runnable", "woken" (runnable, and its next step returns from the wait it blocked in: a lock handed
  /// to it, an event it waited for), "blocked" or "finished" (for state dumps: replay --until).
  const char* fiber_state(FiberId) const;
  /// Fiber stacks mapped so far: the most fibers ever alive at once (stacks are pooled, never per run).
  size_t stacks_mapped() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

namespace detail {
/// Hot state of the execution running on this thread, read by the inline point(). point() is inline
/// because every call level around a context switch costs a mispredicted return (~8 ns measured).
struct HotState {
  Label* pending = nullptr;    // the running fiber's next-step label; nullptr in the loop or while unwinding
  boost::context::fiber main;  // the scheduler loop, suspended while a fiber runs
};
extern constinit thread_local HotState* t_hot;
}  // namespace detail

// Free functions for code running inside a fiber of the thread's current scheduler. Outside a fiber
// (e.g. scenario set-up before exploring) point() does nothing, self() is kNoFiber, in_fiber() false.

/// Scheduling point: the fiber is ABOUT TO do `label`; the strategy decides who runs next.
inline void point(const Label& label) {
  detail::HotState* hot = detail::t_hot;
  if (hot == nullptr || hot->pending == nullptr) return;
  *hot->pending = label;
  hot->main = std::move(hot->main).resume();
}
/// Scheduling point whose step (up to the fiber's next point) touches only `touches` (footprint.hpp).
inline void point(const Label& label, const Footprint& touches) {
  declare_footprint(touches);
  point(label);
}
FiberId self();
const std::string& self_name();
bool in_fiber();
/// The scheduler running on this thread (inside run()), else nullptr.
Scheduler* current_scheduler();

}  // namespace fsrace::sched
