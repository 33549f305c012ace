#pragma once
// Shrinking a failing schedule: find one with the fewest preemptions (then the fewest steps) that still
// ends with the same finding (same kind and message), so the diagram shows the race and nothing else.
//
// 1. Greedy: view the schedule as runs of one thread; at each preemption, try delaying the preempting run
//    behind the preempted thread's next run, or to the very end; keep any change that still fails the
//    same way with fewer preemptions (or as many and fewer steps). Decisions that no longer fit are
//    resolved without preempting (keep the current thread, else the lowest id), so candidates never diverge.
// 2. Proof: bounded DFS for every preemption bound below the best found; an exhausted bound proves that
//    no schedule with that few preemptions shows the finding. Then DFS at the best bound looks for fewer steps.
// Everything is counted in executions, not time, so a shrink is deterministic.
#include <cstdint>
#include <vector>

#include "sim/prepared.hpp"

namespace fsrace::sim {

struct shrink_request {
  fix_setting fixes;
  uint64_t max_steps = 200000;
  uint64_t budget = 100000;  // executions at most, over all phases
};

struct shrink_result {
  std::vector<sched::FiberId> decisions;  // the shrunk schedule
  sched::Finding finding;
  uint64_t steps = 0, preemptions = 0;
  uint64_t original_steps = 0, original_preemptions = 0;
  uint64_t executions = 0;
  bool preemptions_minimal = false;  // DFS exhausted every smaller bound
  bool steps_minimal = false;        // DFS exhausted the best bound too
};

/// Shrinks the execution given by `decisions` (it must end with a violation). Throws tool_error if it does
/// not reproduce.
shrink_result shrink(const prepared_scenario&, const std::vector<sched::FiberId>& decisions, const shrink_request&);

/// Follows a decision list while it fits; where it does not (the fiber is not runnable, or the list
/// ended) it keeps the current fiber if runnable, else the lowest id: never diverges.
class lenient_follower final : public sched::Strategy {
 public:
  explicit lenient_follower(std::vector<sched::FiberId> decisions) : decisions_(std::move(decisions)) {}
  void begin(uint64_t) override { preempted_.clear(); }
  size_t choose(const sched::Decision& d) override;
  /// preempted()[i]: step i switched away from a fiber that could have continued.
  const std::vector<bool>& preempted() const { return preempted_; }

 private:
  std::vector<sched::FiberId> decisions_;
  std::vector<bool> preempted_;
};

}  // namespace fsrace::sim
