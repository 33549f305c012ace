#pragma once
// Scenario figures of `fsrace bench`: what one execution of a seed scenario costs, and how fast each
// strategy finds its race with the fixes off. Wall-clock figures for people; never part of a result.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/prepared.hpp"

namespace fsrace::sim::bench {

struct scenario_options {
  uint64_t seeds = 5;          // base seeds per randomised strategy (the median is reported)
  uint64_t budget = 100000;    // executions at most while looking for the first violation (or the scenario's runs)
  uint64_t rate_runs = 2000;   // executions timed for executions/s
  double max_cpu_seconds = 30; // per first-violation run: the budget shrinks to what fits at the measured rate
  bool verify = false;         // also: DFS of the fixed variant at `verify_bound`
  uint32_t verify_bound = 2;
  unsigned jobs = 1;           // worker threads of the verifying DFS
};

/// Executions and seconds until the first violation, median over base seeds 1..seeds (dfs: one run,
/// it does not depend on the seed). A seed that found none within the budget counts as infinitely
/// slow, so the median is empty when at least half found none.
struct first_violation {
  std::string strategy;  // "random", "pct depth 3", "dfs preemptions 1"
  uint64_t seeds = 0, found = 0;
  std::optional<uint64_t> median_executions;
  std::optional<double> median_seconds;      // CPU seconds of the exploring thread (jobs 1)
  std::string kind;  // the violation's kind (of the median seed's run, or the first that found one)
  uint64_t budget = 0;  // executions each run was allowed
};

/// DFS of the fixed variant: the bounded space searched to its end, or the violation that stopped it.
struct verification {
  uint32_t bound = 0;
  uint64_t executions = 0;
  bool exhausted = false;
  std::string violation;  // empty: clean
  double seconds = 0;      // wall-clock
  double cpu_seconds = 0;  // of the calling thread: all the work when jobs is 1
};

struct scenario_figures {
  std::string name, file;
  std::string default_strategy;        // the strategy of its fixes-off expectation (what `run` uses)
  double executions_per_second = 0;    // random walk, fixes on: whole executions incl. invariants, per CPU second
  double executions_per_wall_second = 0;  // the same per wall-clock second (lower when the machine is shared)
  double steps_per_execution = 0;
  double clone_ns = 0;                 // per-execution copy of the prepared world
  std::vector<first_violation> first;  // random, pct, dfs
  std::optional<verification> verify;
};

/// Per-execution clone of the prepared world (reset_from), ns; best of three rounds of `n`.
double clone_ns(const prepared_scenario&, uint64_t n);

scenario_figures measure_scenario(const prepared_scenario&, const scenario_options&);

}  // namespace fsrace::sim::bench
