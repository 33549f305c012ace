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
class DfsStrategy final : public Strategy {
 public:
  static constexpr unsigned kUnbounded = std::numeric_limits<unsigned>::max();
  explicit DfsStrategy(unsigned preemption_bound = kUnbounded);

  void begin(uint64_t seed) override;
  size_t choose(const Decision&) override;
  void end(const Execution&) override;

  /// Prepares the next execution; false when the space is exhausted.
  bool next();
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
  std::vector<Node> stack_;
  std::vector<FiberId> runnable_;
  uint64_t executions_ = 0;
  bool exhausted_ = false;
  bool replay_failed_ = false;
};

}  // namespace fsrace::sched
