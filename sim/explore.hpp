#pragma once
// Exploration: many executions of one prepared scenario under one fix setting, chosen by a search
// (sim/search/search.hpp), run by workers plan by plan and accounted in plan order. Execution i of a
// random or PCT run uses seed sched::execution_seed(base seed, i), so the seed alone replays it; a DFS or
// DPOR execution is named by its index in the (deterministic) enumeration.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "reports/results.hpp"
#include "scheduler/strategy.hpp"
#include "sim/prepared.hpp"

namespace fsrace::sim {

/// A part of a split DFS: the subtrees i (see dfs_split.hpp) with i mod count == index; of a DPOR: its
/// first plan and the plans i that plan cuts off with i mod count == index (sim/search/dpor_search.cpp).
/// count 0: the search is not split into parts (one part of 1 is, so that its result merges like any shard).
struct dfs_part {
  uint64_t index = 0, count = 0;
};

struct explore_request {
  explore_settings settings;
  fix_setting fixes;
  /// Stop after this many distinct violations (same kind and message = not distinct). 0 = never stop.
  uint64_t max_violations = 1;
  /// When set, the exploration stops at the first violation for which it returns true (max_violations
  /// still bounds the distinct violations kept).
  std::function<bool(const sched::Finding&)> wanted;
  /// Called every `progress_every` executions and at the end (executions done, distinct violations).
  std::function<void(uint64_t, uint64_t)> progress;
  uint64_t progress_every = 1024;
  /// Worker threads. The result is the same for every value: random and pct run rounds of executions,
  /// dfs runs disjoint subtrees; either way results are accounted in order, exactly as one worker would.
  unsigned jobs = 1;
  /// random, pct: execution indexes [first, end) of the run (a shard); end 0 = settings.runs.
  uint64_t first = 0, end = 0;
  /// dfs, dpor: the part of the search to explore (a shard); its executions are numbered from 0 in order.
  dfs_part part;
  /// Process CPU seconds the exploration may use (all its threads together); 0 = no limit. Where it stops
  /// is not deterministic: the result says that the time budget ended it (exploration::time_up).
  double cpu_budget = 0;
  /// Collect label coverage (exploration::labels): one lookup per runnable fiber at every decision, about
  /// a tenth of an execution's cost (`fsrace bench` prints both rates). Off: labels.present is false.
  bool label_coverage = true;
  /// dpor: tally the pairs of steps whose races added backtrack points and keep the `dpor_races` that
  /// added the most (exploration::dpor_races); 0 = off (it formats every step's label).
  size_t dpor_races = 0;
  /// dpor: executions of a plan between two cuts of its search (sim/search/dpor_search.cpp); 0 = the
  /// default. The result depends on it (never on --jobs): for tests, which need small searches cut.
  uint64_t dpor_split_every = 0;
};

/// A pair of steps DPOR reversed: the labels where the earlier and the later step start, whether each ran
/// undeclared code, and the backtrack points their races added.
using dpor_race_pair = sched::DporStrategy::RacePair;

/// One distinct violation (or the tool error) of an exploration, with what replays it.
struct violation_record {
  uint64_t index = 0;     // execution index in the run
  uint64_t key = 0;       // replay key: the execution seed (random, pct) or the DFS index
  sched::Finding finding;
  std::vector<sched::FiberId> decisions;  // replays it exactly with any strategy
  uint64_t steps = 0, preemptions = 0;
  uint64_t occurrences = 1;  // executions that ended with the same kind and message
  uint64_t model_bytes = 0;  // the execution's peak bytes of model state (executor::peak_state_bytes)
};

struct exploration {
  explore_settings settings;
  fix_setting fixes;
  std::string fixes_resolved;  // model::fix_set::describe()
  uint64_t first = 0, end = 0;  // the index range requested (it may stop before `end`)
  uint64_t executions = 0;
  uint64_t violating_executions = 0;
  uint64_t pct_steps = 0;  // k used by PCT (steps of the non-preemptive execution)
  bool exhausted = false;  // dfs: the whole bounded space (of this part) was explored
  bool interrupted = false;  // Ctrl-C (sim/interrupt.hpp) stopped it
  bool time_up = false;    // explore_request::cpu_budget ended it
  uint64_t plans = 0;      // plans accounted (dpor: the subtrees its search was cut into, as far as accounted)
  uint64_t redundant = 0;  // dpor: executions that became equivalent to explored ones (sleep sets); in `executions`
  /// dpor: distinct Mazurkiewicz traces among the executions (sched::DporStrategy::traces()); exhausted,
  /// the number of traces within the bound. A lower bound when traces_capped.
  uint64_t traces = 0;
  bool traces_capped = false;
  /// dfs/dpor ended clean and not exhausted: about how many executions the whole bounded DFS space holds
  /// (sched::estimate_bounded_dfs); 0 when not estimated. Its relative standard error, and whether it is
  /// settled enough to be reported as "about M" (else the total is reported as unknown).
  double estimated_executions = 0;
  double estimate_error = 0;
  bool estimate_settled = false;
  /// dfs split into subtrees (a part, or --jobs > 1): (subtree, executions accounted) in order, and how
  /// many subtrees the whole search was cut into. Merging parts maps their indexes back to the whole.
  std::vector<std::pair<uint64_t, uint64_t>> subtrees;
  uint64_t subtree_count = 0;
  dfs_part part;
  /// dpor split into parts: every plan accounted, in order, for merging. A plan is named by its path in
  /// the tree of plans (the first plan []; the k-th plan that plan P cut off, in accounting order, P + [k]):
  /// the accounting order of the whole search is the paths' lexicographic order.
  struct plan_record {
    std::vector<uint64_t> path;
    uint64_t executions = 0;  // accounted
    uint64_t spawned = 0;     // the plans it cut off, whoever runs them (0 when it stopped early)
    uint64_t redundant = 0;   // of its executions accounted
    std::vector<uint64_t> traces;  // the distinct trace hashes of its executions accounted, sorted
  };
  std::vector<plan_record> plan_records;
  bool plan_traces_capped = false;  // trace hashes were left out of plan_records (memory bound)
  std::vector<violation_record> violations;  // distinct, in order of discovery
  std::optional<violation_record> tool_error;
  std::optional<violation_record> divergence;  // only from replay; never expected here
  /// The most bytes of model state one accounted execution held (sim/model_state_bytes.hpp): counted by
  /// the model, so identical across runs, machines and --jobs.
  uint64_t peak_model_bytes = 0;
  /// Label kinds each thread reached and the pairs reordered, over the plans accounted (sim/label_coverage.hpp).
  reports::label_coverage_result labels;
  /// explore_request::dpor_races: the pairs of steps whose races added the most backtrack points.
  std::vector<dpor_race_pair> dpor_races;
};

/// Runs the exploration; never throws for findings (tool errors end it and are reported in the result).
exploration explore(const prepared_scenario&, const explore_request&);

/// What a result covered, for people (sim/coverage.hpp words it).
std::string describe_coverage(const exploration&);
/// A reducing search's executions against its traces: " (T distinct traces, R sleep-set blocked, P subtrees)".
std::string describe_reduction(const exploration&);

/// Sets glibc's allocator up for many executions in a row (no heap trimming and regrowing per execution).
/// Called by explore(); idempotent.
void tune_allocator_once();

/// The estimated executions of a bounded DFS (sched::estimate_bounded_dfs): at least 8 probes, more
/// until the probes ran `run_budget` executions (at most 4000 probes).
sched::TreeEstimate estimate_dfs_executions(executor&, unsigned preemption_bound, uint64_t run_budget,
                                            std::function<bool()> stop = {});

/// Re-runs execution `key` of an exploration with `settings` and records its trace: for random and
/// PCT `key` is the execution seed, for DFS the index in the enumeration (of `part`'s subtrees when
/// split). Throws input_error when a DFS index lies beyond the bounded space.
sched::Execution replay_key(const prepared_scenario&, const explore_settings& settings, const fix_setting& fixes,
                            uint64_t key, const dfs_part& part = {});
/// Re-runs a decision list (no label check) and records its trace.
sched::Execution rerun(const prepared_scenario&, const fix_setting& fixes, const std::vector<sched::FiberId>& decisions,
                       uint64_t max_steps);

}  // namespace fsrace::sim

namespace fsrace::sim {
struct schedule;
/// Replays a schedule file step by step, checking every label: a changed step ends the execution with
/// FindingKind::Divergence naming the step, the label expected and the label found.
sched::Execution replay_schedule(const prepared_scenario&, const schedule&, uint64_t max_steps);
}  // namespace fsrace::sim
