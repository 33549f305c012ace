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
  // CPU seconds each first-violation run may use (explore's cpu_budget): a run it stops counts as not found
  // and is reported as stopped, so a slow scenario shows "none in N CPU s", never a small execution count.
  double first_cpu_seconds = 10;
  bool verify = false;         // also: search the fixed variant at `verify_bound`
  uint32_t verify_bound = 2;
  strategy_kind verify_strategy = strategy_kind::dfs;  // dfs or dpor
  double verify_cpu_seconds = 120;  // CPU budget of each verifying search (all its threads)
  unsigned jobs = 1;           // worker threads of the verifying search (dfs, dpor)
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
  double cpu_cap = 0;   // CPU seconds each run was allowed
  uint64_t stopped_by_cpu_cap = 0;  // seeds whose run the cap ended before it found one or used its budget
};

/// Search of the fixed variant: the bounded space searched to its end, the violation that stopped it,
/// or the CPU budget that did (then `coverage` says how much of the space was covered).
struct verification {
  std::string strategy;  // "dfs preemptions 2", "dpor preemptions 2"
  uint32_t bound = 0;
  uint64_t executions = 0;
  bool exhausted = false;
  bool reduced = false;         // a reducing search (dpor): traces below are counted
  uint64_t traces = 0;          // distinct Mazurkiewicz traces among the executions
  bool traces_capped = false;   // traces is a lower bound
  std::string coverage;   // describe_coverage()
  std::string violation;  // empty: clean
  double seconds = 0;      // wall-clock
  double cpu_seconds = 0;  // of the whole process: every worker thread
};

struct scenario_figures {
  std::string name, file;
  std::string default_strategy;        // the strategy of its fixes-off expectation (what `run` uses)
  double executions_per_second = 0;    // random walk, fixes on: whole executions incl. invariants, per CPU second
  double executions_per_wall_second = 0;  // the same per wall-clock second (lower when the machine is shared)
  double executions_per_second_labels = 0;  // the same with label coverage collected, as explorations do
  double steps_per_execution = 0;
  double clone_ns = 0;                 // per-execution copy of the prepared world, CPU ns
  std::vector<first_violation> first;  // random, pct, dfs, dpor
  std::optional<verification> verify;
};

/// Per-execution clone of the prepared world (reset_from), CPU ns of this thread; best of three rounds of `n`.
double clone_ns(const prepared_scenario&, uint64_t n);

scenario_figures measure_scenario(const prepared_scenario&, const scenario_options&);

}  // namespace fsrace::sim::bench
