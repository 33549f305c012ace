#include "scheduler/scheduler.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <unordered_set>

#include <fmt/format.h>

#include "scheduler/detail/runtime.hpp"
#include "scheduler/prng.hpp"
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
constinit thread_local HotState* t_hot = nullptr;
Scheduler::Impl* running_impl() { return t_running; }
}  // namespace detail

// ---------------------------------------------------------------------------------------------------
// Execution

uint64_t Execution::trace_hash() const {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const Step& s : trace) h = mix64(h ^ label_hash(s.label)) + kGoldenGamma * (s.fiber + 1ULL);
  return mix64(h ^ trace.size());
}

// ---------------------------------------------------------------------------------------------------
// Scheduler (public face)

Scheduler::Scheduler(Options options) : impl_(std::make_unique<Impl>(this, options)) {}
Scheduler::~Scheduler() = default;

FiberId Scheduler::spawn(std::string name, std::function<void()> body, const Footprint& base) {
  if (!body) throw std::invalid_argument("fsrace: spawn(" + name + ") without a body");
  if (impl_->running && t_running != impl_.get())
    throw std::logic_error("fsrace: spawn() on a scheduler running on another thread");
  if (impl_->unwinding) die("spawn() while unwinding fibers at the end of an execution");
  const FiberId f = impl_->add_fiber(std::move(name), std::move(body));
  impl_->fibers[f]->base = base;
  return f;
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
  if (s.running_slot) throw FindingRaised(f.kind, std::move(f.message));  // in a fiber: unwind it like fail()
  s.record_finding(std::move(f));
}

const Label& Scheduler::pending_label(FiberId f) const { return impl_->fibers.at(f)->pending; }
const char* Scheduler::fiber_state(FiberId f) const {
  switch (impl_->fibers.at(f)->state) {
    case FiberState::Runnable: return impl_->fibers.at(f)->woken ? "woken" : "runnable";
    case FiberState::Blocked: return "blocked";
    case FiberState::Finished: return "finished";
  }
  return "?";
}

namespace detail {
const Footprint& pending_footprint(FiberId f) {
  Scheduler::Impl* s = running_impl();
  if (s == nullptr || f >= s->fibers.size()) throw std::logic_error("fsrace: pending_footprint() outside run()");
  return s->fibers[f]->pending_footprint;
}
}  // namespace detail

bool recording_footprints() { return t_running != nullptr && t_running->recording; }

void declare_footprint(const Footprint& touches) {
  Scheduler::Impl* s = t_running;
  if (s == nullptr || s->running_slot == nullptr || !s->recording) return;  // no step to describe, or no reader
  s->running_slot->declared = touches;
  s->running_slot->has_declared = true;
}

void touch_step(uint64_t id, bool write) {
  Scheduler::Impl* s = t_running;
  if (s == nullptr || !s->recording || s->running_slot == nullptr || s->running_slot->frozen) return;
  s->running_slot->recording.touch(id, write);
}

void touch_lock(const char* name, uint64_t instance, bool write) {
  Scheduler::Impl* s = t_running;
  if (s == nullptr || !s->recording || s->running_slot == nullptr || s->running_slot->frozen) return;
  Footprint& r = s->running_slot->recording;
  if (!r.everything()) r.touch(lock_id(name, instance), write);
}

void touch_lock(const char* name, uint64_t instance, const LockIdCache& cache, bool write) {
  Scheduler::Impl* s = t_running;
  if (s == nullptr || !s->recording || s->running_slot == nullptr || s->running_slot->frozen) return;
  Footprint& r = s->running_slot->recording;
  if (!r.everything()) r.touch(cache.id(name, instance), write);
}

FootprintScope::FootprintScope(const Footprint& claim) {
  Scheduler::Impl* s = t_running;
  // Outside a fiber (set-up, checks) there is no step; when nobody reads footprints, nothing to record.
  if (s == nullptr || s->running_slot == nullptr || !s->recording) return;
  FiberSlot* slot = s->running_slot;
  const Footprint* mine = std::construct_at(&claim_.footprint, claim);
  outer_ = slot->scope;
  slot->scope = mine;
  if (!slot->frozen) slot->recording |= *mine;
}

FootprintScope::~FootprintScope() {
  if (outer_ == nullptr) return;
  Scheduler::Impl* s = t_running;
  // Unwinding a suspended fiber at the end of an execution: no step runs, add_fiber() resets the slot
  // (its scope pointer may be left pointing to this one's claim until then; nothing reads it).
  if (s == nullptr || s->running_slot == nullptr) return;
  FiberSlot* slot = s->running_slot;
  // The slot points into this scope: one closed before a scope it encloses would leave it dangling.
  if (slot->scope != &claim_.footprint) die("FootprintScope closed before a scope opened inside it");
  slot->scope = outer_;  // the caller's code runs on in this step: its claim joins the step's
  if (!slot->frozen) slot->recording |= *outer_;
}
const std::string& Scheduler::fiber_name(FiberId f) const { return impl_->fibers.at(f)->name; }
size_t Scheduler::fiber_count() const { return impl_->fibers.size(); }
size_t Scheduler::stacks_mapped() const { return impl_->pool.mapped(); }

// ---------------------------------------------------------------------------------------------------
// Fiber bookkeeping

FiberId Scheduler::Impl::add_fiber(std::string name, std::function<void()> body) {
  const auto id = static_cast<FiberId>(fibers.size());
  if (slot_pool.size() <= id) slot_pool.push_back(std::make_unique<FiberSlot>());
  FiberSlot* slot = slot_pool[id].get();
  slot->name = std::move(name);
  slot->body = std::move(body);
  slot->pending = Ls("start {}", intern_name(slot->name));
  slot->pending_footprint = Footprint{};
  slot->pending_declared = slot->has_declared = slot->frozen = false;
  slot->base = slot->recording = Footprint{};  // the body's own code: undeclared unless spawn() says
  slot->scope = &slot->base;
  slot->state = FiberState::Runnable;
  slot->woken = false;
  slot->started = false;
  fibers.push_back(slot);
  runnable.push_back(id);  // the highest id so far: stays ascending
  return id;
}

void Scheduler::Impl::make_runnable(FiberId f) {
  runnable.insert(std::upper_bound(runnable.begin(), runnable.end(), f), f);
}

void Scheduler::Impl::leave_runnable(FiberId f) {
  auto it = std::lower_bound(runnable.begin(), runnable.end(), f);
  if (it == runnable.end() || *it != f) die("runnable set out of sync");
  runnable.erase(it);
}

void Scheduler::Impl::record_finding(Finding f) {
  if (has_finding) return;  // the first finding ends the execution; later ones are consequences
  has_finding = true;
  finding = std::move(f);
}

// ---------------------------------------------------------------------------------------------------
// The scheduler loop

void Scheduler::Impl::run_into(Strategy& strategy, uint64_t seed, Execution& out) {
  if (t_running) throw std::logic_error("fsrace: Scheduler::run() inside another run() on the same thread");
  out.seed = seed;
  out.trace.clear();
  out.footprints.clear();
  out.decisions.clear();
  out.fiber_names.clear();
  out.finding = Finding{};
  out.steps = out.preemptions = 0;
  if (opt.record_trace) out.trace.reserve(trace_capacity_hint);
  out.decisions.reserve(trace_capacity_hint);

  running = true;
  t_running = this;
  detail::t_hot = &hot;
  has_finding = false;
  finding = Finding{};
  step = 0;
  epoch = g_epochs.fetch_add(1, std::memory_order_relaxed) + 1;
  vars.clear();

  recording = opt.record_footprints || strategy.wants_footprints();
  try {
    strategy.begin(seed);
    FiberId previous = kNoFiber;  // the fiber that ran the last step
    for (;;) {  // bounded: every iteration runs one step, and steps are bounded by opt.max_steps
      if (runnable.empty()) {
        strategy.no_runnable(step, *owner);
        if (blocked != 0) record_finding({FindingKind::Deadlock, deadlock_message(), -1, step});
        break;
      }
      if (step >= opt.max_steps) {
        record_finding({FindingKind::StepLimit,
                        fmt::format("step limit reached: {} steps without finishing (livelock?)", opt.max_steps), -1,
                        step});
        break;
      }
      const FiberId current_runnable =
          previous != kNoFiber && fibers[previous]->state == FiberState::Runnable ? previous : kNoFiber;
      const size_t index = strategy.choose(Decision{runnable.data(), runnable.size(), current_runnable, step, owner});
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
      if (opt.record_trace) out.trace.push_back(Step{chosen, fibers[chosen]->pending});
      ++step;
      resume(chosen);
      strategy.step_done(fibers[chosen]->recording);
      if (opt.record_footprints) out.footprints.push_back(fibers[chosen]->recording);
      previous = chosen;
      if (has_finding) break;
    }
    if (!runnable.empty() && finding.kind != FindingKind::ToolError) {
      const FiberId current_runnable =
          previous != kNoFiber && fibers[previous]->state == FiberState::Runnable ? previous : kNoFiber;
      strategy.stopped(Decision{runnable.data(), runnable.size(), current_runnable, step, owner});
    }
  } catch (const std::exception& e) {  // a strategy or the loop itself failed: a tool error, not a race
    record_finding({FindingKind::ToolError, fmt::format("scheduler: {}", e.what()), -1, step});
  }

  unwind_all();
  out.steps = step;
  out.finding = std::move(finding);
  out.fiber_names.reserve(fibers.size());
  for (const FiberSlot* slot : fibers) out.fiber_names.push_back(slot->name);
  trace_capacity_hint = std::max(trace_capacity_hint, out.decisions.size());
  release_fibers();
  running = false;
  t_running = nullptr;
  detail::t_hot = nullptr;
  strategy.end(out);
}

void Scheduler::Impl::create_context(FiberId f) {
  FiberSlot* slot = fibers[f];
  slot->started = true;
  slot->ctx = ctx::fiber(std::allocator_arg, detail::PooledStack{&pool},
                         [this, f](ctx::fiber&& sched_side) { return fiber_main(f, std::move(sched_side)); });
}

// Inlined into the loop on purpose: a call level around the switch costs a mispredicted return.
inline __attribute__((always_inline)) void Scheduler::Impl::resume(FiberId f) {
  FiberSlot* slot = fibers[f];
  if (!slot->started) create_context(f);
  current = f;
  running_slot = slot;
  slot->woken = false;
  hot.pending = &slot->pending;
  if (recording) {
    // The step starts inside the scope open at the fiber's point, unless the point declared it whole.
    slot->frozen = slot->pending_declared;
    slot->recording = slot->frozen ? slot->pending_footprint : *slot->scope;
  }
  slot->ctx = std::move(slot->ctx).resume();  // runs the fiber until its next point, block or end
  if (recording) {
    // What its next step touches if declared just before the point (footprint.hpp), else everything.
    slot->pending_declared = slot->has_declared;
    if (slot->has_declared) slot->pending_footprint = slot->declared;  // assigned in place: no temporary copied
    else slot->pending_footprint = Footprint{};
    slot->has_declared = false;
  }
  hot.pending = nullptr;
  running_slot = nullptr;
  current = kNoFiber;
}

ctx::fiber Scheduler::Impl::fiber_main(FiberId f, ctx::fiber&& sched_side) {
  hot.main = std::move(sched_side);
  FiberSlot* slot = fibers[f];
  try {
    std::function<void()> body = std::move(slot->body);  // destroyed on this stack, also when unwound
    body();
  } catch (const ctx::detail::forced_unwind&) {
    throw;  // end-of-execution unwinding of a suspended fiber: let Boost.Context finish it
  } catch (const FindingRaised& e) {
    record_finding({e.kind(), e.message(), static_cast<int>(f), step - 1});
  } catch (const std::exception& e) {
    record_finding({FindingKind::ToolError, fmt::format("exception in {}: {}", slot->name, e.what()),
                    static_cast<int>(f), step - 1});
  } catch (...) {
    record_finding({FindingKind::ToolError, fmt::format("unknown exception in {}", slot->name), static_cast<int>(f),
                    step - 1});
  }
  slot->state = FiberState::Finished;
  leave_runnable(f);
  return std::move(hot.main);
}

void Scheduler::Impl::unwind_all() {
  unwinding = true;
  for (FiberId f = 0; f < fibers.size(); ++f) {
    if (!fibers[f]->ctx) continue;
    current = f;  // self() stays meaningful in destructors run by the unwinding; point() is a no-op
    ctx::fiber doomed = std::move(fibers[f]->ctx);
    // ~fiber throws forced_unwind inside it: its destructors run, then its stack returns to the pool.
  }
  current = kNoFiber;
  unwinding = false;
}

void Scheduler::Impl::release_fibers() {
  for (FiberSlot* slot : fibers) slot->body = nullptr;  // bodies of never-started fibers die here
  fibers.clear();
  runnable.clear();
  blocked = 0;
  vars.clear();
}

std::string Scheduler::Impl::deadlock_message() const {
  std::string message;
  for (const FiberSlot* slot : fibers) {
    if (slot->state != FiberState::Blocked) continue;
    if (!message.empty()) message += "; ";
    message += fmt::format("{} waits for {}", slot->name, format_label(slot->pending));
  }
  return message;
}

// ---------------------------------------------------------------------------------------------------
// Free functions used from fibers

FiberId self() {
  const Scheduler::Impl* s = t_running;
  return s ? s->current : kNoFiber;
}

const std::string& self_name() {
  const Scheduler::Impl* s = t_running;
  return s && s->current != kNoFiber ? s->fibers[s->current]->name : kNoName;
}

bool in_fiber() {
  const Scheduler::Impl* s = t_running;
  return s && s->current != kNoFiber;
}

Scheduler* current_scheduler() { return t_running ? t_running->owner : nullptr; }

namespace detail {

void require_fiber(const Label& what) {
  const Scheduler::Impl* s = t_running;
  if (!s || s->current == kNoFiber)
    throw std::logic_error(
        fmt::format("fsrace: {} would block outside a fiber (nobody could wake it)", format_label(what)));
}

void block_current(const Label& what) {
  require_fiber(what);
  Scheduler::Impl* s = t_running;
  if (s->unwinding) die("a fiber tried to block while being unwound at the end of an execution");
  s->running_slot->state = FiberState::Blocked;
  ++s->blocked;
  s->leave_runnable(s->current);
  s->yield_to_scheduler();
}

void wake(FiberId f) {
  Scheduler::Impl* s = t_running;
  if (!s || f >= s->fibers.size()) return;
  FiberSlot* slot = s->fibers[f];
  if (slot->state != FiberState::Blocked) return;
  slot->state = FiberState::Runnable;
  slot->woken = true;
  --s->blocked;
  s->make_runnable(f);
}

void primitive_only_step(const char* name, uint64_t instance, const LockIdCache* cache) {
  Scheduler::Impl* s = t_running;
  if (s == nullptr || !s->recording || s->running_slot == nullptr || s->running_slot->frozen) return;
  s->running_slot->recording =
      name == nullptr ? declared() : touching(cache ? cache->id(name, instance) : lock_id(name, instance));
}

uint64_t run_epoch() { return t_running ? t_running->epoch : 0; }

}  // namespace detail
}  // namespace fsrace::sched
