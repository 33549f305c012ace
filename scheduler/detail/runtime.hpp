#pragma once
// Private state of a Scheduler (Scheduler::Impl), shared by scheduler.cpp and the primitives' sources.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/context/fiber.hpp>

#include "scheduler/detail/stack_pool.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/sync/blocking.hpp"

namespace fsrace::sched {

enum class FiberState : uint8_t { Runnable, Blocked, Finished };

struct FiberSlot {
  Label pending;               // what the fiber is about to do (its next step)
  FiberState state = FiberState::Runnable;
  bool started = false;
  boost::context::fiber ctx;   // suspended fiber (empty while it runs, before its start, after its end)
  std::function<void()> body;  // moved onto the fiber's own stack when it starts
  std::string name;
};

struct VarWaiters {
  const char* name;
  WaitList list;
};

struct Scheduler::Impl {
  Impl(Scheduler* owner, Options options) : owner(owner), opt(options), pool(options.stack_size) {}

  void run_into(Strategy&, uint64_t seed, Execution&);
  void resume(FiberId);
  boost::context::fiber fiber_main(FiberId, boost::context::fiber&& scheduler_side);
  void record_finding(Finding);
  void unwind_all();
  std::string deadlock_message() const;
  void yield_to_scheduler() { main = std::move(main).resume(); }

  Scheduler* owner;
  Options opt;
  detail::StackPool pool;
  std::vector<FiberSlot> fibers;
  std::vector<FiberId> runnable;  // scratch, ascending
  boost::context::fiber main;     // the scheduler loop, suspended while a fiber runs
  FiberId current = kNoFiber;     // fiber running now (kNoFiber in the scheduler loop)
  bool running = false;           // inside run()
  bool unwinding = false;         // destroying suspended fibers at the end of an execution
  bool has_finding = false;
  Finding finding;
  uint64_t step = 0;              // steps started so far in this execution
  uint64_t epoch = 0;
  size_t trace_capacity_hint = 0;
  std::unordered_map<const void*, VarWaiters> vars;  // lookup only, never iterated
};

namespace detail {
/// The scheduler running on this thread (inside run()), else nullptr.
Scheduler::Impl* running_impl();
}  // namespace detail

}  // namespace fsrace::sched
