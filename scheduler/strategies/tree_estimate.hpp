#pragma once
// How many executions a preemption-bounded DFS (DfsStrategy) has, estimated without running them.
//
// Knuth's estimator ("Estimating the efficiency of backtrack programs", Math. Comp. 1975) walks one random
// path of a tree and multiplies the branching factors along it; the mean over probes is unbiased. Walked
// over the DFS's decision tree step by step, it is useless on deep bounded searches: a probe spends its
// preemptions in the first few decisions, while almost all executions preempt late (one measurement:
// relocation-vs-nocow-write at bound 2, 22 thousand estimated for about 11 million), and the rare probes
// that would correct the mean are never drawn.
//
// So the probe walks a compressed tree instead, with the same nodes as the executions of the DFS: an
// execution is its prefix of decisions up to its LAST non-default choice, followed by the default
// continuation (keep the current fiber, else the lowest id: DfsStrategy's first child). Its children are
// the non-default choices the bound allows at every later decision of that continuation. One probe runs
// the continuation of the current node (one execution) and descends to one child, until a node has none;
// it returns the sum over its path of 1/P(reaching that node), an unbiased estimate of the number of nodes
// (= executions) for ANY choice probabilities that give every child a chance. The probabilities follow
// the subtree sizes the continuation predicts: if the later decisions stayed what they are in this
// continuation, the child at decision j would have N(j+1, r') nodes, N counting the ways to deviate at
// later decisions with the preemptions r' left (free choices, where the running fiber blocked, cost
// none). Where that prediction is right, every probe returns the exact count; the probes' spread
// measures how wrong it is.
//
// The spread gives a standard error; an estimate whose error is large, or whose probes ran out of
// depth, is reported as unsettled (an estimate that is wildly wrong is worse than none).
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "scheduler/strategies/strategy_interface.hpp"

namespace fsrace::sched {

/// Runs a prefix of decisions, then the DFS default; records, at every later decision where the bound
/// allows another choice, the non-default fibers.
class ContinuationProbe final : public Strategy {
 public:
  static constexpr unsigned kUnbounded = std::numeric_limits<unsigned>::max();
  struct Point {
    uint32_t step;          // decision index
    uint32_t first, count;  // its non-default fibers: alternatives()[first, first + count)
    bool costs;             // choosing one is a preemption (the current fiber was runnable)
  };
  ContinuationProbe(unsigned preemption_bound, const std::vector<FiberId>& prefix) : bound_(preemption_bound), prefix_(prefix) {}

  void begin(uint64_t) override;
  size_t choose(const Decision&) override;

  /// After the run: the decisions of the continuation with other choices, in order.
  const std::vector<Point>& points() const { return points_; }
  const std::vector<FiberId>& alternatives() const { return alternatives_; }
  /// Preemptions the prefix made (the continuation makes none).
  uint32_t preemptions() const { return preemptions_; }
  /// False when the execution could not follow the prefix (the program is not deterministic).
  bool followed() const { return followed_; }

 private:
  unsigned bound_;
  const std::vector<FiberId>& prefix_;
  std::vector<Point> points_;
  std::vector<FiberId> alternatives_;
  uint32_t preemptions_ = 0;
  bool followed_ = true;
};

struct TreeEstimate {
  double executions = 0;      // the mean of the probes
  double relative_error = 0;  // the standard error of the mean / the mean, from the probes' spread
  uint64_t probes = 0;
  uint64_t runs = 0;          // executions the probes ran
  bool truncated = false;     // some probe went deeper than its level limit or could not follow its prefix
  /// Whether the estimate may be reported as "about N": at least 64 probes, all complete, and a 95%
  /// interval (two standard errors) within ±20%. The spread is measured, not guaranteed: on a skewed tree
  /// the rare probes that would widen it may not have been drawn.
  bool settled() const { return !truncated && probes >= 64 && relative_error <= 0.1 && executions > 0; }
};

struct EstimateLimits {
  uint64_t min_probes = 8;  // a spread needs a few; settling needs 64
  uint64_t max_probes = 4000;
  uint64_t run_budget = 0;   // executions the probes may run once min_probes are done
  uint32_t max_levels = 64;  // nodes one probe may descend (non-default choices on its path, plus one)
  // Asked before each probe: true ends the estimate there (a CPU budget). An estimate cut short has fewer
  // probes and may not settle; it is no longer deterministic.
  std::function<bool()> stop;
};

/// Probes the DFS tree of `run(strategy, execution)` (each call one execution of the program) with a
/// preemption bound, seeded by `seed` (the estimate is deterministic): probes until max_probes, or
/// until both min_probes and run_budget executions are reached.
TreeEstimate estimate_bounded_dfs(const std::function<void(Strategy&, Execution&)>& run, unsigned preemption_bound,
                                  const EstimateLimits& limits, uint64_t seed);

}  // namespace fsrace::sched
