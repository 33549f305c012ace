#include "sim/prepared.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sim/limits.hpp"
#include "sim/units.hpp"

namespace fsrace::sim {
namespace {

constexpr const char* kSetupName = "setup";

bool allowed(const op_call& call, int ret) {
  return std::find(call.allowed_errors.begin(), call.allowed_errors.end(), ret) != call.allowed_errors.end();
}

}  // namespace

prepared_scenario::prepared_scenario(const scenario& sc, const binding& b) : sc_(&sc) {
  if (!b.make_world) throw tool_error(fmt::format("binding '{}' cannot build worlds", b.name));
  // Setup runs in one fiber: model code reaches scheduling points, and there is nothing to interleave.
  sched::Scheduler sched(sched::Options{sc.explore.max_steps * 16, 256 * 1024, false});
  std::string bad_fs, setup_error, setup_error_path, missing_name, missing_name_path;
  thread_state setup_state;
  setup_state.name = kSetupName;
  execution_state setup_shared;
  sched.spawn(kSetupName, [&] {
    try {
      base_ = b.make_world(sc.filesystem);
    } catch (const bad_filesystem& e) {
      bad_fs = e.what();
      return;
    }
    for (const auto& use : sc.filesystem.image_names) {
      if (base_->has_named(use.kind, use.name)) continue;
      missing_name = fmt::format("no {} named \"{}\" in the images' top directory, and no operation of the scenario "
                                 "creates one", use.kind, use.name);
      missing_name_path = use.path;
      return;
    }
    exec_context ctx(*base_, setup_state, sc, setup_shared);
    for (const op_call& call : sc.filesystem.setup) {
      ctx.set_call(&call);
      for (uint32_t r = 0; r < call.repeat; ++r) {
        const int ret = call.spec->run(ctx, call.args);
        if (ret >= 0 || allowed(call, ret)) continue;
        setup_error = fmt::format("setup operation {} returned {} ({}); the filesystem cannot be prepared",
                                  call.display, format_errno(ret), ret);
        setup_error_path = call.path;
        return;
      }
    }
  });
  sched::RandomStrategy only_one;
  sched::Execution ex = sched.run(only_one, 0);
  setup_steps_ = ex.steps;
  if (!bad_fs.empty()) throw input_error(sc.file, sc.filesystem.images.empty() ? "/filesystem" : "/filesystem/image", bad_fs);
  if (!missing_name.empty()) throw input_error(sc.file, missing_name_path, missing_name);
  if (!setup_error.empty()) throw input_error(sc.file, setup_error_path, setup_error);
  if (ex.finding.kind != sched::FindingKind::None)
    throw tool_error(fmt::format("{}: setup (single-threaded, before any race) ended with {}: {}", sc.file,
                                 sched::to_string(ex.finding.kind), ex.finding.message));
  if (!base_) throw tool_error(fmt::format("binding '{}' built no world", b.name));
  if (std::string why = base_->unfinished_setup(); !why.empty())
    throw input_error(sc.file, sc.filesystem.setup.empty() ? "/filesystem" : "/filesystem/setup", why);
  base_->freeze();
}

namespace {
constexpr uint32_t kFiberStackBytes = 256 * 1024;  // one scenario thread's fiber stack
}

executor::executor(const prepared_scenario& prepared, uint64_t max_steps, bool record_trace, bool record_footprints)
    : prepared_(&prepared),
      sc_(&prepared.the_scenario()),
      sched_(sched::Options{max_steps, kFiberStackBytes, record_trace, record_footprints}),
      world_(prepared.base().clone()),
      states_(sc_->threads.size()),
      stack_bytes_(uint64_t{kFiberStackBytes} * sc_->threads.size()),
      state_limit_(limits::kModelStateBytes) {}

void executor::note_state_bytes() {
  const uint64_t bytes = stack_bytes_ + world_->state_bytes();
  if (bytes > peak_state_bytes_) peak_state_bytes_ = bytes;
  if (bytes > state_limit_)
    sched::fail(sched::FindingKind::ToolError,
                fmt::format("this execution holds {} bytes of model state, over the limit model_state_bytes = {} "
                            "(fsrace list); the scenario asks for more data or metadata than one "
                            "execution may hold",
                            bytes, state_limit_));
}

void executor::thread_body(size_t index) {
  // The runner's own code touches only this thread's state and its op's result: spawned with a base
  // footprint of nothing (run()). An op's code is undeclared unless the op opens its own scope.
  const thread_spec& th = sc_->threads[index];
  thread_state& state = states_[index];
  exec_context ctx(*world_, state, *sc_, shared_);
  bool first = true;
  for (const op_call& call : th.ops) {
    ctx.set_call(&call);
    for (uint32_t r = 0; r < call.repeat; ++r) {
      // The fiber's first step ("start <thread>") already precedes its first op: no extra decision.
      if (!first) sched::point(sched::Ls("{}", call.display.c_str()));
      first = false;
      int ret = 0;
      if (call.spec->declares_footprint) {
        ret = call.spec->run(ctx, call.args);
      } else {
        sched::FootprintScope undeclared(sched::Footprint{});
        ret = call.spec->run(ctx, call.args);
      }
      // Reads the whole model's size, but only to end a runaway execution as a tool error (never a
      // race verdict): not a dependence between steps.
      note_state_bytes();
      if (ret >= 0 || !sc_->check_user_errors || allowed(call, ret)) continue;
      sched::fail(sched::FindingKind::Violation,
                  fmt::format("{} returned {} ({}) to user space (thread {}, {})", call.spec->name, format_errno(ret),
                              ret, th.name, call.path));
    }
  }
}

void executor::run(sched::Strategy& strategy, uint64_t seed, sched::Execution& out) {
  world_->reset_from(prepared_->base());
  peak_state_bytes_ = 0;
  world_->set_fixes(fixes_);
  for (size_t i = 0; i < states_.size(); ++i) {
    states_[i].index = static_cast<uint32_t>(i);
    states_[i].name = sc_->threads[i].name;
    states_[i].locals.clear();
  }
  shared_.events.clear();
  for (size_t i = 0; i < sc_->threads.size(); ++i)
    sched_.spawn(sc_->threads[i].name, [this, i] { thread_body(i); }, sched::declared());
  if (coverage_ != nullptr) {
    sched::CoveringStrategy covering(strategy, *coverage_);
    sched_.run_into(covering, seed, out);
  } else {
    sched_.run_into(strategy, seed, out);
  }
  peak_state_bytes_ = std::max(peak_state_bytes_, stack_bytes_ + world_->state_bytes());
  if (out.finding.kind == sched::FindingKind::None) check_invariants(out);
}

void executor::check_invariants(sched::Execution& out) {
  const check_context ctx(*world_, *sc_);
  for (const invariant_use& inv : sc_->invariants) {
    std::vector<std::string> problems;
    try {
      problems = inv.spec->check(ctx, inv.args);
    } catch (const sched::FindingRaised& e) {
      // Model code the check ran (a read of file data, say) ended it: a kernel BUG/WARN/ASSERT stays a
      // finding of its kind, a model self-check stays a tool error.
      out.finding = {e.kind(), fmt::format("invariant {}: {}", inv.spec->name, e.message()), -1, out.steps};
      return;
    } catch (const std::exception& e) {
      out.finding = {sched::FindingKind::ToolError, fmt::format("invariant {} threw: {}", inv.spec->name, e.what()), -1,
                     out.steps};
      return;
    }
    if (problems.empty()) continue;
    std::string message = fmt::format("invariant {}: {}", inv.spec->name, problems.front());
    if (problems.size() > 1) message += fmt::format(" (and {} more problem{})", problems.size() - 1, problems.size() > 2 ? "s" : "");
    out.finding = {sched::FindingKind::Violation, std::move(message), -1, out.steps};
    return;
  }
}

size_t decision_follower::choose(const sched::Decision& d) {
  if (d.step < decisions_.size())
    for (size_t i = 0; i < d.count; ++i)
      if (d.runnable[i] == decisions_[d.step]) return i;
  d.scheduler->fail_current({sched::FindingKind::Divergence,
                             fmt::format("re-running a recorded execution diverged at step {}", d.step), -1, d.step});
  return 0;
}

outcome classify(const sched::Finding& f) {
  switch (f.kind) {
    case sched::FindingKind::None: return outcome::clean;
    case sched::FindingKind::Divergence: return outcome::divergence;
    case sched::FindingKind::ToolError: return outcome::tool_error;
    default: return outcome::violation;
  }
}

}  // namespace fsrace::sim
