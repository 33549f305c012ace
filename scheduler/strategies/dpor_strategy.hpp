#pragma once
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "scheduler/footprint.hpp"
#include "scheduler/strategies/strategy_interface.hpp"
#include "scheduler/strategies/trace_set.hpp"

namespace fsrace::sched {

/// Dynamic partial-order reduction by stateless re-execution: source-set DPOR with sleep sets (Abdulla,
/// Aronis, Jonsson, Sagonas, "Optimal dynamic partial order reduction", POPL 2014, Algorithm 1). Two
/// steps are dependent when the footprints they recorded conflict (footprint.hpp; undeclared =
/// dependent on everything; a sleeping fiber carries the footprint its step recorded when it was
/// explored); a step that makes a fiber runnable (a wake-up, a spawn) happens before that fiber's next
/// step. After each execution every race (two dependent steps of different fibers with no step between
/// them in happens-before order) adds to the backtrack set of the state before the first one an initial
/// of the reversed order, unless the set already holds one. Every Mazurkiewicz trace (every class of
/// executions that differ only in the order of independent steps) is explored at least once, and with
/// sleep sets most of them once. An execution a finding ends early is not maximal: the pending steps of
/// the fibers still runnable then (stopped()) are analysed as if each came next, so a fiber that the
/// default schedule never ran before the finding is still tried before the steps it races with.
///
/// With a preemption bound (Coons, Musuvathi, McKinley, "Bounded partial-order reduction", OOPSLA 2013)
/// choices beyond the bound are not taken, and each race also adds its fiber at the start of the run of
/// steps (thread block) containing the first step, where switching costs no extra preemption. A sleeping
/// fiber p stands for an equivalent execution that runs p's step first; under a bound that execution may
/// cost more preemptions than the one pruned, so p falls asleep only where moving its step to the front
/// provably costs none (sleep_keeps_bound()).
///
/// Usage like DfsStrategy: do { spawn...; sched.run(dpor, 0); } while (dpor.next());
class DporStrategy final : public Strategy {
 public:
  static constexpr unsigned kUnbounded = std::numeric_limits<unsigned>::max();
  /// How a search picks the fibers to explore at a state.
  enum class Backtracking : uint8_t {
    races,       // DPOR: only the initials of reversed races (and bounded POR's conservative points)
    everywhere,  // every fiber within the bound, no sleep sets: bounded DFS that still counts traces, the
                 // reference DPOR's trace count must equal (tests; README's trace floor)
  };
  explicit DporStrategy(unsigned preemption_bound = kUnbounded, Backtracking backtracking = Backtracking::races);

  void begin(uint64_t seed) override;
  size_t choose(const Decision&) override;
  void end(const Execution&) override;
  void stopped(const Decision&) override;
  void step_done(const Footprint&) override;
  bool wants_footprints() const override { return true; }

  /// Prepares the next execution; false when every backtrack point has been explored.
  bool next();
  /// Starts a new search of the executions that begin with `prefix` (a decision list) only: a subtree,
  /// for worker threads. Its executions take the prefix's decisions; next() never backtracks into it,
  /// and races whose reversal would start inside it add nothing (the caller searches the prefix's other
  /// choices as subtrees of their own). The prefix's states have no sleep set, so the subtree's search is
  /// a whole DPOR from the state after the prefix, sound as one from the initial state. Counters
  /// (executions(), traces(), the race tally) go on across restricts; a non-runnable prefix choice ends
  /// the execution with a tool error.
  void restrict(std::vector<FiberId> prefix);
  /// Between executions (after next() returned true): cuts the rest of this search at the shallowest
  /// state below the prefix that still has choices to explore (not done, not asleep, within the bound).
  /// This search goes on with the choice it is taking there (the prefix grows to it); the other choices
  /// are returned, in ascending fiber order, as the prefixes of subtrees the caller must search (each a
  /// whole restricted search: their sleep sets start empty, so together they cover at least what this
  /// search would have explored from there). Empty when no state on the current path can be cut; then
  /// nothing changes.
  std::vector<std::vector<FiberId>> split();
  const std::vector<FiberId>& prefix() const { return prefix_; }
  /// The trace hash of the last execution (0 when it was redundant or not analysed): the explorer
  /// counts distinct traces over the executions it accounts, across subtrees.
  uint64_t last_trace() const { return last_trace_; }
  bool exhausted() const { return exhausted_; }
  uint64_t executions() const { return executions_; }
  /// Executions that reached a state where every runnable fiber was asleep (sleep-set blocked): from
  /// there they are equivalent to executions explored already; they run to their end all the same.
  uint64_t redundant() const { return redundant_; }
  /// Whether the last execution was such a redundant one.
  bool last_was_redundant() const { return redundant_from_ != kNotRedundant; }
  unsigned preemption_bound() const { return bound_; }
  /// Distinct Mazurkiewicz traces among the executions so far (redundant ones left out): each execution's
  /// partial order of steps, hashed. Once exhausted, the number of traces within the bound: the fewest
  /// executions any reduction over these footprints could run (executions() / traces(): what DPOR runs
  /// twice). A lower bound when traces_capped() (more than TraceSet::kLimit).
  uint64_t traces() const { return traces_.size(); }
  bool traces_capped() const { return traces_.capped(); }

  /// Which pairs of steps DPOR reversed: for each race that added a backtrack point, the labels of its two
  /// steps (where each step starts) and whether each ran undeclared code. What makes a search large:
  /// a pair of steps that never really conflict is a claim to narrow (footprint.hpp).
  struct RacePair {
    std::string first, second;  // format_label of the earlier and the later step
    bool first_undeclared = false, second_undeclared = false;
    uint64_t backtracks = 0;    // backtrack points the race added where its first step runs
    uint64_t conservative = 0;  // and where that step's run of steps began (bounded POR)
  };
  /// Steps between checkpoints of the race analysis' state (default 16; 0: none, every execution's
  /// analysis walks its replayed prefix from the first step). A search's executions do not depend on it.
  void set_checkpoint_every(size_t steps) {
    checkpoint_every_ = steps;
    checkpoints_.clear();
  }
  /// Starts tallying race pairs (off by default: it formats a label per step).
  void tally_races() { tally_ = true; }
  /// The `top` pairs that added the most backtrack points, most first (ties in label order); pairs past
  /// kMaxRacePairs distinct ones are counted in one entry labelled "(other pairs)".
  std::vector<RacePair> race_pairs(size_t top) const;
  static constexpr size_t kMaxRacePairs = 100000;

 private:
  struct Node {
    uint32_t first, count;          // runnable ids: runnable_[first, first + count)
    FiberId current;                // kNoFiber when any choice costs no preemption
    uint32_t preempts_before;
    FiberId fibers;                 // 1 + the highest runnable id at this node and every earlier one
    FiberId chosen;                 // the fiber that runs this step in the current execution
    Footprint step;                 // what the chosen step touches (this execution)
    std::vector<FiberId> backtrack; // fibers to explore here
    std::vector<FiberId> done;      // fibers explored here (chosen included)
    std::vector<Footprint> done_steps;  // what each one's step from here recorded (by done's index; the
                                        // chosen one's, done's last, is `step` until another is chosen)
    std::vector<uint8_t> done_runnable_after;  // whether that fiber was still runnable after it (1: unknown)
    std::vector<std::pair<FiberId, Footprint>> sleep;  // asleep on arrival, with their steps
  };
  bool runnable_at(const Node&, FiberId) const;
  bool allowed(const Node&, FiberId) const;  // within the preemption bound
  bool asleep(const Node&, FiberId) const;
  bool sleep_keeps_bound(const Node&, FiberId p, bool p_runnable_after, FiberId q) const;
  uint32_t preempts_after(const Node&, FiberId) const;
  void add_backtrack(size_t node, FiberId);
  void analyse_races();

  unsigned bound_;
  Backtracking backtracking_;
  std::vector<Node> stack_;  // stack_[0, depth_): this execution's decisions; the rest are spare nodes
  size_t depth_ = 0;
  std::vector<FiberId> runnable_;
  std::vector<std::pair<FiberId, Footprint>> stopped_;  // fibers still runnable when a finding ended the run
  size_t running_ = 0;  // the node whose step runs now (step_done() records its footprint there)
  size_t diverged_ = 0;  // the first node whose choice differs from the previous execution's
  // clock_[0, clocks_valid_) hold the vector clocks (over clock_fibers_ fibers) of the steps the current
  // stack shares with the last analysed execution: a replayed prefix's clocks are not recomputed.
  size_t clocks_valid_ = 0;
  FiberId clock_fibers_ = 0;
  static constexpr size_t kNotRedundant = ~size_t{0};
  size_t redundant_from_ = kNotRedundant;  // first node of this execution where every fiber was asleep
  uint64_t executions_ = 0, redundant_ = 0;
  // Race tally (tally_races()): each node's step label, the stopped fibers' pending labels, the pairs.
  bool tally_ = false;
  std::vector<std::string> labels_;
  std::vector<std::string> stopped_labels_;
  std::map<std::pair<std::string, std::string>, RacePair> pairs_;
  void count_race(size_t first, size_t later, FiberId later_fiber, bool conservative);
  bool exhausted_ = false;
  std::vector<FiberId> prefix_;  // restrict(): decisions every execution takes; next() stops above them
  uint64_t last_trace_ = 0;
  // Race analysis scratch (kept for their capacity). Clocks are flat arrays of clock_fibers_ entries
  // each, one after another: no per-clock allocation, copies and joins of a few contiguous words.
  std::vector<uint32_t> clock_;  // step j's vector clock at [j * clock_fibers_, +clock_fibers_): the steps of each fiber it follows
  std::vector<uint32_t> local_;               // step -> its index among its fiber's steps
  std::vector<uint64_t> step_hash_;           // step -> hash of (fiber, local index, vector clock), as clock_
  TraceSet traces_;
  // A fiber's history is cut into blocks of this many steps, each with the union of their footprints
  // (analyse_races): the walk back for the latest conflicting step skips a block whose union conflicts
  // with nothing.
  static constexpr size_t kHistoryBlock = 16;
  // The analysis state before every checkpoint_every_-th step (per-fiber clocks and step counts: the
  // fibers' histories are cut back to those counts), so that
  // a replayed prefix is not walked again from its first step: checkpoints_[c] is the state before step
  // c * checkpoint_every_, valid while that step lies inside the prefix the stack shares with the last
  // analysed execution (c * checkpoint_every_ < clocks_valid_; index 0 unused).
  size_t checkpoint_every_ = 16;  // 64 walked about 36 replayed steps per execution on scrub-vs-bg-deletion
  struct checkpoint {
    std::vector<uint32_t> count, global;
    std::vector<int64_t> latest;
    int64_t last_all = -1;
    std::vector<uint32_t> fiber_clock, enable_clock;  // flat, as analysis_scratch's
  };
  std::vector<checkpoint> checkpoints_;
  struct analysis_scratch {
    std::vector<uint32_t> count, global, deps, races, before;
    std::vector<uint32_t> fiber_clock, enable_clock;  // by fiber, flat: fiber f's clock at [f * fibers, +fibers)
    std::vector<int64_t> latest, first_in_v;
    std::vector<FiberId> initials;
    std::vector<std::vector<uint32_t>> history;  // by fiber: its steps (stack indices) in order
    std::vector<std::vector<Footprint>> blocks;  // by fiber: the union of each kHistoryBlock of them
  } scratch_;
};

}  // namespace fsrace::sched
