#pragma once
// A run-time check of the footprint claims DPOR prunes with (footprint.hpp): two adjacent steps of
// different fibers that the claims call independent must commute. For each such pair in a sample of
// executions, the execution is re-run with the two steps swapped, and once more with the second step
// moved before every earlier step of other fibers the claims let it pass (while its fiber could run
// there: a step commutes with a run of steps it is independent of one by one); every later step must be the same step
// (same fiber, same label: the label-checked ReplayStrategy), and the execution must end the same way
// (the same finding, the same end state by the caller's fingerprint). A pair that does not is a claim
// that leaves out something one of the steps touches: the kind of mistake that makes DPOR report "clean"
// for interleavings it never ran. It checks the claims where the sample puts two steps next to each
// other, never a claim in general, and only through what the re-run shows (a dependence whose effect
// the fingerprint leaves out and no later step or finding reveals passes).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "scheduler/footprint.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::sched {

/// Runs one execution of the program under `strategy` started at `seed` into `out`, recording its trace
/// and footprints, and returns a fingerprint of the state it ended in (equal states, equal values).
using CommuteRun = std::function<uint64_t(Strategy& strategy, uint64_t seed, Execution& out)>;

struct CommuteFailure {
  uint64_t seed = 0;  // the sampled execution's seed: `fsrace replay --strategy <the sampler's> --seed`
  uint64_t step = 0;        // the step moved over: the step at `step + moved_over` moved before it (and the
                            // steps between) fails, moved over only the steps between it does not
  uint64_t moved_over = 1;  // 1: two adjacent steps swapped; more: a run of steps moved over
  std::string first_thread, second_thread, first_label, second_label;  // the first step moved over, the step moved
  Footprint first, second;          // what each step recorded in the sampled execution
  std::string what;                 // how the swapped execution differed
  std::vector<FiberId> decisions;   // the sampled execution's schedule (replay it: the pair is at `step`)
};

struct CommuteReport {
  uint64_t executions = 0;   // sampled
  uint64_t steps = 0;        // in the sampled executions
  uint64_t claimed = 0;      // adjacent pairs of different fibers that the claims call independent
  uint64_t swapped = 0;      // re-runs: those pairs swapped, and the moves over several steps
  uint64_t block_moves = 0;  // of the re-runs, moves over several steps
  uint64_t not_enabled = 0;  // the second step's fiber was not runnable before the first step (it woke it)
  uint64_t renumbering = 0;  // both steps start a thread: swapped, the threads' numbers would swap (not re-run)
  std::vector<CommuteFailure> failures;  // at most max_failures
};

/// Samples `executions` random executions (seeds execution_seed(base_seed, 0, 1, ...): those `fsrace explore
/// --strategy random --seed base_seed` runs) and checks every pair
/// of adjacent steps they hold that the footprints call independent, stopping after `max_failures` pairs
/// that do not commute or `max_swaps` re-runs (the sample then ends early: `executions` says how far).
CommuteReport check_commutes(const CommuteRun& run, uint64_t base_seed, uint64_t executions, size_t max_failures,
                             uint64_t max_swaps);
/// The same with `sampler` choosing the sampled executions (begun with each execution's seed), e.g. PCT,
/// whose executions run each thread in long stretches and so put other pairs of steps side by side.
CommuteReport check_commutes(const CommuteRun& run, Strategy& sampler, uint64_t base_seed, uint64_t executions,
                             size_t max_failures, uint64_t max_swaps);

}  // namespace fsrace::sched
