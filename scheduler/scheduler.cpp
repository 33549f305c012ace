#include "scheduler/scheduler.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include <fmt/format.h>

#include "scheduler/detail/runtime.hpp"
#include "scheduler/strategies/strategy_interface.hpp"

namespace ctx = boost::context;

namespace fsrace::sched {

namespace {
thread_local Scheduler::Impl* t_running = nullptr;  // set for the duration of run()
std::atomic<uint64_t> g_epochs{0};
const std::string kNoName;

/// Fiber names for "start <name>" labels, which must outlive the Scheduler (traces are kept and
/// shown later). Interned process-wide; bounded by the number of distinct names.
const char* intern_name(const std::string& name) {
  static std::mutex lock;
  static std::unordered_set<std::string> names;  // node-based: element addresses are stable
  std::lock_guard<std::mutex> guard(lock);
  return names.insert(name).first->c_str();
}

[[noreturn]] void die(const char* why) {
  std::fprintf(stderr, "fsrace scheduler: fatal: %s\n", why);
  std::abort();
}
}  // namespace

namespace detail {
Scheduler::Impl* running_impl() { return t_running; }
}  // namespace detail

// ---------------------------------------------------------------------------------------------------
// Execution

uint64_t Execution::trace_hash() const {
  uint64_t h = 0xcbf29ce484222325ULL;
  auto word = [&h](uint64_t v) {
    for (int i = 0; i < 8; ++i) h = (h ^ ((v >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
  };
  for (const Step& s : trace) {
    word(s.fiber);
    word(label_hash(s.label));
  }
  word(trace.size());
  return h;
}

// ---------------------------------------------------------------------------------------------------
// Scheduler (public face)

Scheduler::Scheduler(Options options) : impl_(std::make_unique<Impl>(this, options)) {}
Scheduler::~Scheduler() = default;

FiberId Scheduler::spawn(std::string name, std::function<void()> body) {
  if (!body) throw std::invalid_argument("fsrace: spawn(" + name + ") without a body");
  if (impl_->running && t_running != impl_.get())
    throw std::logic_error("fsrace: spawn() on a scheduler running on another thread");
  if (impl_->unwinding) die("spawn() while unwinding fibers at the end of an execution");
  const auto id = static_cast<FiberId>(impl_->fibers.size());
  FiberSlot& slot = impl_->fibers.emplace_back();
  slot.name = std::move(name);
  slot.body = std::move(body);
  slot.pending = Ls("start {}", intern_name(slot.name));
  return id;
}

Execution Scheduler::run(Strategy& strategy, uint64_t seed) {
  Execution out;
  run_into(strategy, seed, out);
  return out;
}

void Scheduler::run_into(Strategy& strategy, uint64_t seed, Execution& out) { impl_->run_into(strategy, seed, out); }

void Scheduler::fail_current(Finding f) {
  Impl& s = *impl_;
  if (!s.running || t_running != &s) throw std::logic_error("fsrace: fail_current() outside run(): no execution to end");
  if (s.current != kNoFiber && !s.unwinding) throw FindingRaised(f.kind, std::move(f.message));
  s.record_finding(std::move(f));
}

const Label& Scheduler::pending_label(FiberId f) const { return impl_->fibers.at(f).pending; }
const std::string& Scheduler::fiber_name(FiberId f) const { return impl_->fibers.at(f).name; }
size_t Scheduler::fiber_count() const { return impl_->fibers.size(); }

// ---------------------------------------------------------------------------------------------------
// The scheduler loop

void Scheduler::Impl::record_finding(Finding f) {
  if (has_finding) return;  // the first finding ends the execution; later ones are consequences
  has_finding = true;
  finding = std::move(f);
}

void Scheduler::Impl::run_into(Strategy& strategy, uint64_t seed, Execution& out) {
  if (t_running) throw std::logic_error("fsrace: Scheduler::run() inside another run() on the same thread");
  out.seed = seed;
  out.trace.clear();
  out.decisions.clear();
  out.fiber_names.clear();
  out.finding = Finding{};
  out.steps = out.preemptions = 0;
  if (opt.record_trace) out.trace.reserve(trace_capacity_hint);
  out.decisions.reserve(trace_capacity_hint);

  running = true;
  t_running = this;
  has_finding = false;
  finding = Finding{};
  step = 0;
  epoch = g_epochs.fetch_add(1, std::memory_order_relaxed) + 1;
  vars.clear();

  try {
    strategy.begin(seed);
    FiberId previous = kNoFiber;  // the fiber that ran the last step
    for (;;) {  // bounded: every iteration runs one step, and steps are bounded by opt.max_steps
      runnable.clear();
      bool any_blocked = false;
      for (FiberId f = 0; f < fibers.size(); ++f) {
        const FiberState st = fibers[f].state;
        if (st == FiberState::Runnable) runnable.push_back(f);
        any_blocked |= st == FiberState::Blocked;
      }
      if (runnable.empty()) {
        strategy.no_runnable(step, *owner);
        if (any_blocked) record_finding({FindingKind::Deadlock, deadlock_message(), -1, step});
        break;
      }
      if (step >= opt.max_steps) {
        record_finding({FindingKind::StepLimit,
                        fmt::format("step limit reached: {} steps without finishing (livelock?)", opt.max_steps), -1,
                        step});
        break;
      }
      const FiberId current_runnable =
          previous != kNoFiber && fibers[previous].state == FiberState::Runnable ? previous : kNoFiber;
      const Decision decision{runnable.data(), runnable.size(), current_runnable, step, owner};
      const size_t index = strategy.choose(decision);
      if (has_finding) break;  // the strategy ended the execution (replay divergence, ...)
      if (index >= runnable.size()) {
        record_finding({FindingKind::ToolError,
                        fmt::format("strategy chose index {} among {} runnable fibers", index, runnable.size()), -1,
                        step});
        break;
      }
      const FiberId chosen = runnable[index];
      out.preemptions += current_runnable != kNoFiber && chosen != current_runnable;
      out.decisions.push_back(chosen);
      if (opt.record_trace) out.trace.push_back(Step{chosen, fibers[chosen].pending});
      ++step;
      resume(chosen);
      previous = chosen;
      if (has_finding) break;
    }
  } catch (const std::exception& e) {  // a strategy or the loop itself failed: a tool error, not a race
    record_finding({FindingKind::ToolError, fmt::format("scheduler: {}", e.what()), -1, step});
  }

  unwind_all();
  out.steps = step;
  out.finding = std::move(finding);
  out.fiber_names.reserve(fibers.size());
  for (const FiberSlot& slot : fibers) out.fiber_names.push_back(slot.name);
  if (out.decisions.size() > trace_capacity_hint) trace_capacity_hint = out.decisions.size();
  fibers.clear();  // bodies of fibers that never started are destroyed here, in the scheduler context
  vars.clear();
  current = kNoFiber;
  running = false;
  t_running = nullptr;
  strategy.end(out);
}

void Scheduler::Impl::resume(FiberId f) {
  if (!fibers[f].started) {
    fibers[f].started = true;
    fibers[f].ctx = ctx::fiber(std::allocator_arg, detail::PooledStack{&pool},
                               [this, f](ctx::fiber&& sched_side) { return fiber_main(f, std::move(sched_side)); });
  }
  current = f;
  // Move the continuation out first: a fiber may spawn, and fibers may reallocate while it runs.
  ctx::fiber c = std::move(fibers[f].ctx);
  c = std::move(c).resume();
  fibers[f].ctx = std::move(c);
  current = kNoFiber;
}

ctx::fiber Scheduler::Impl::fiber_main(FiberId f, ctx::fiber&& sched_side) {
  main = std::move(sched_side);
  try {
    std::function<void()> body = std::move(fibers[f].body);  // on this fiber's stack: fibers may move
    body();
  } catch (const ctx::detail::forced_unwind&) {
    throw;  // end-of-execution unwinding of a suspended fiber: let Boost.Context finish it
  } catch (const FindingRaised& e) {
    record_finding({e.kind(), e.message(), static_cast<int>(f), step - 1});
  } catch (const std::exception& e) {
    record_finding({FindingKind::ToolError, fmt::format("exception in {}: {}", fibers[f].name, e.what()),
                    static_cast<int>(f), step - 1});
  } catch (...) {
    record_finding({FindingKind::ToolError, fmt::format("unknown exception in {}", fibers[f].name),
                    static_cast<int>(f), step - 1});
  }
  fibers[f].state = FiberState::Finished;
  return std::move(main);
}

void Scheduler::Impl::unwind_all() {
  unwinding = true;
  for (FiberId f = 0; f < fibers.size(); ++f) {
    if (!fibers[f].ctx) continue;
    current = f;  // self() stays meaningful in destructors run by the unwinding
    ctx::fiber doomed = std::move(fibers[f].ctx);
    // ~fiber throws forced_unwind inside it: its destructors run, then its stack returns to the pool.
  }
  current = kNoFiber;
  unwinding = false;
}

std::string Scheduler::Impl::deadlock_message() const {
  std::string message;
  for (const FiberSlot& slot : fibers) {
    if (slot.state != FiberState::Blocked) continue;
    if (!message.empty()) message += "; ";
    message += fmt::format("{} waits for {}", slot.name, format_label(slot.pending));
  }
  return message;
}

// ---------------------------------------------------------------------------------------------------
// Free functions used from fibers

void point(const Label& label) {
  Scheduler::Impl* s = t_running;
  if (!s || s->current == kNoFiber || s->unwinding) return;  // outside a fiber, or being torn down
  s->fibers[s->current].pending = label;
  s->yield_to_scheduler();
}

FiberId self() {
  const Scheduler::Impl* s = t_running;
  return s ? s->current : kNoFiber;
}

const std::string& self_name() {
  const Scheduler::Impl* s = t_running;
  return s && s->current != kNoFiber ? s->fibers[s->current].name : kNoName;
}

bool in_fiber() {
  const Scheduler::Impl* s = t_running;
  return s && s->current != kNoFiber;
}

Scheduler* current_scheduler() { return t_running ? t_running->owner : nullptr; }

namespace detail {

void block_current(const char* what) {
  Scheduler::Impl* s = t_running;
  if (!s || s->current == kNoFiber)
    throw std::logic_error(fmt::format("fsrace: {} would block outside a fiber (nobody could wake it)", what));
  if (s->unwinding) die("a fiber tried to block while being unwound at the end of an execution");
  s->fibers[s->current].state = FiberState::Blocked;
  s->yield_to_scheduler();
}

void wake(FiberId f) {
  Scheduler::Impl* s = t_running;
  if (!s || f >= s->fibers.size()) return;
  FiberSlot& slot = s->fibers[f];
  if (slot.state == FiberState::Blocked) slot.state = FiberState::Runnable;
}

uint64_t run_epoch() { return t_running ? t_running->epoch : 0; }

}  // namespace detail
}  // namespace fsrace::sched
