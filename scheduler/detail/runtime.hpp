#pragma once
// Private state of a Scheduler (Scheduler::Impl), shared by scheduler.cpp and the primitives' sources.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/context/fiber.hpp>

#include "scheduler/detail/stack_pool.hpp"
#include "scheduler/footprint.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/sync/blocking.hpp"

namespace fsrace::sched {

enum class FiberState : uint8_t { Runnable, Blocked, Finished };

struct FiberSlot {
  Label pending;               // what the fiber is about to do (its next step)
  Footprint pending_footprint;  // what that step touches if point-declared (default: everything)
  Footprint declared;           // declared by declare_footprint() during the running step, for the next one
  bool has_declared = false;
  bool pending_declared = false;  // pending_footprint came from declare_footprint()
  Footprint base;               // spawn()'s base: the claim while no FootprintScope is open
  const Footprint* scope = &base;  // the innermost FootprintScope's claim (kept in the scope), else &base
  Footprint recording;          // what the running step has touched so far (footprint.hpp)
  bool frozen = false;          // the running step was point-declared: scopes do not add to it
  bool woken = false;          // woken from a block and not yet resumed (state dumps say so)
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
  FiberId add_fiber(std::string name, std::function<void()> body);
  void resume(FiberId);
  void create_context(FiberId);
  boost::context::fiber fiber_main(FiberId, boost::context::fiber&& scheduler_side);
  void record_finding(Finding);
  void unwind_all();
  void release_fibers();
  std::string deadlock_message() const;
  void yield_to_scheduler() { hot.main = std::move(hot.main).resume(); }
  void make_runnable(FiberId);
  void leave_runnable(FiberId);

  Scheduler* owner;
  Options opt;
  detail::StackPool pool;
  std::vector<std::unique_ptr<FiberSlot>> slot_pool;  // reused across executions; addresses are stable
  std::vector<FiberSlot*> fibers;   // by FiberId, this execution's fibers (slots from slot_pool)
  std::vector<FiberId> runnable;    // ascending, maintained on spawn/block/wake/finish
  size_t blocked = 0;               // fibers in state Blocked
  detail::HotState hot;             // main (the suspended loop) and the running fiber's pending label
  FiberId current = kNoFiber;       // fiber running now (kNoFiber in the scheduler loop)
  FiberSlot* running_slot = nullptr;  // its slot; nullptr in the loop and while unwinding
  bool running = false;             // inside run()
  bool unwinding = false;           // destroying suspended fibers at the end of an execution
  bool has_finding = false;
  bool recording = false;           // footprints are recorded this execution (footprint.hpp)
  Finding finding;
  uint64_t step = 0;                // steps started so far in this execution
  uint64_t epoch = 0;
  size_t trace_capacity_hint = 0;
  std::unordered_map<const void*, VarWaiters> vars;  // lookup only, never iterated
};

namespace detail {
/// The scheduler running on this thread (inside run()), else nullptr.
Scheduler::Impl* running_impl();
/// What fiber `f`'s pending step declared it touches (inside run(), e.g. from a strategy's choose()).
const Footprint& pending_footprint(FiberId f);
}  // namespace detail

}  // namespace fsrace::sched
