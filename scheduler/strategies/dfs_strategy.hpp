#pragma once
#include <cstdint>
#include <limits>
#include <vector>

#include "scheduler/strategies/strategy_interface.hpp"

namespace fsrace::sched {

/// Bounded exhaustive search by stateless re-execution (CHESS, Musuvathi & Qadeer PLDI 2007): each
/// execution replays a prefix of decisions, then runs with the default choice (keep running the current
/// fiber if it is runnable, else the lowest id). next() backtracks to the deepest decision with an
/// untried alternative; alternatives that would exceed the preemption bound are pruned.
/// Usage: do { spawn...; sched.run(dfs, 0); } while (dfs.next());
///
/// Subtrees (for sharding and worker threads): restrict(prefix) limits the search to the executions that
/// begin with `prefix` (a decision list); children(depth) lists the prefixes one decision longer, in the
/// order the unrestricted search visits them. Searching the subtrees of a level one after another visits
/// exactly the executions of the whole search, in the same order.
class DfsStrategy final : public Strategy {
 public:
  static constexpr unsigned kUnbounded = std::numeric_limits<unsigned>::max();
  explicit DfsStrategy(unsigned preemption_bound = kUnbounded);

  void begin(uint64_t seed) override;
  size_t choose(const Decision&) override;
  void end(const Execution&) override;

  /// Prepares the next execution; false when the space is exhausted.
  bool next();
  /// Starts over, searching only the executions whose first decisions are `prefix` (empty: all). The
  /// prefix must come from an execution of the same program; if it cannot be followed, the execution ends
  /// with a ToolError finding.
  void restrict(std::vector<FiberId> prefix);
  /// After an execution: the fibers the search tries at decision `depth` (within the preemption bound,
  /// default first), or nothing when the execution made no decision `depth`.
  std::vector<FiberId> children(size_t depth) const;
  bool exhausted() const { return exhausted_; }
  uint64_t executions() const { return executions_; }
  unsigned preemption_bound() const { return bound_; }

 private:
  struct Node {
    uint32_t first;         // runnable ids live in runnable_[first, first + count)
    uint32_t count;
    FiberId current;        // kNoFiber when choosing costs no preemption
    uint32_t preempts_before;
    uint32_t tried;         // position in the exploration order: 0 = default, then others ascending
  };
  FiberId alternative(const Node&, uint32_t position) const;  // fiber at an exploration-order position
  uint32_t preemptions_with(const Node&, FiberId) const;     // preemptions so far if `FiberId` runs here

  unsigned bound_;
  std::vector<FiberId> prefix_;  // decisions fixed by restrict(); next() never backtracks into them
  std::vector<Node> stack_;
  std::vector<FiberId> runnable_;
  uint64_t executions_ = 0;
  bool exhausted_ = false;
  bool replay_failed_ = false;
};

}  // namespace fsrace::sched
