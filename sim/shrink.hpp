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
// Everything is counted in executions, so a shrink within its execution budget is deterministic; a time
// budget (for people waiting at a terminal) may stop it earlier, and the result says so.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/prepared.hpp"

namespace fsrace::sim {

struct shrink_request {
  fix_setting fixes;
  uint64_t max_steps = 200000;
  uint64_t budget = 100000;  // executions at most, over all phases
  double seconds = 0;        // wall-clock time at most (0 = no limit); checked between executions
  /// Called after every execution: executions used, the best schedule so far, the phase.
  std::function<void(uint64_t executions, uint64_t preemptions, uint64_t steps, const char* phase)> progress;
};

struct shrink_result {
  std::vector<sched::FiberId> decisions;  // the shrunk schedule
  sched::Finding finding;
  uint64_t steps = 0, preemptions = 0;
  uint64_t original_steps = 0, original_preemptions = 0;
  uint64_t executions = 0;
  bool preemptions_minimal = false;  // DFS exhausted every smaller bound
  bool steps_minimal = false;        // DFS exhausted the best bound too
  bool out_of_time = false;          // the time budget stopped it (the result depends on the machine)
  bool interrupted = false;          // Ctrl-C stopped it (out_of_time is set too: the result is partial)
  bool out_of_executions = false;    // the execution budget stopped it
  double seconds = 0;
};
/// "shrunk from 5 preemptions, 240 steps to 2 preemptions, 31 steps in 812 executions, 0.4s (fewest preemptions proven)".
std::string describe_shrink(const shrink_result&);

/// A schedule as the few decisions that differ from the default rule (keep the current thread while it
/// can run, else the lowest runnable id): "57:1,120:0" = at step 57 run fiber 1, at step 120 fiber 0.
/// A shrunk schedule has few of them, so it fits in a replay command (`fsrace replay --switches`).
struct switch_point {
  uint64_t step;
  sched::FiberId fiber;
  bool operator==(const switch_point&) const = default;
};
std::string format_switches(const std::vector<switch_point>&);
/// Parses format_switches' text; throws input_error naming `flag` when malformed.
std::vector<switch_point> parse_switches(const std::string& text, const std::string& flag);

/// An execution re-run with what the reports mark: the steps that preempted a thread that could go on,
/// and the switches that replay it.
struct marked_execution {
  sched::Execution ex;
  std::vector<uint64_t> preemptions;  // step indexes, ascending
  std::vector<switch_point> switches;
};
marked_execution rerun_marked(const prepared_scenario&, const fix_setting&, const std::vector<sched::FiberId>& decisions,
                              uint64_t max_steps);
/// rerun_marked, also recording what each step touched (Execution::footprints; replay --footprints).
sched::Execution rerun_footprints(const prepared_scenario&, const fix_setting&, const std::vector<sched::FiberId>& decisions,
                                  uint64_t max_steps);
/// Runs the schedule given by switches (the default rule elsewhere), recording its trace.
marked_execution run_switches(const prepared_scenario&, const fix_setting&, const std::vector<switch_point>& switches,
                              uint64_t max_steps);

/// Shrinks the execution given by `decisions` (it must end with a violation). Throws tool_error if it does
/// not reproduce.
shrink_result shrink(const prepared_scenario&, const std::vector<sched::FiberId>& decisions, const shrink_request&);

/// Follows a decision list while it fits; where it does not (the fiber is not runnable, or the list
/// ended) it keeps the current fiber if runnable, else the lowest id: never diverges.
class lenient_follower final : public sched::Strategy {
 public:
  explicit lenient_follower(std::vector<sched::FiberId> decisions) : decisions_(std::move(decisions)) {}
  /// Follows only `switches` (the default rule elsewhere).
  explicit lenient_follower(const std::vector<switch_point>& switches);
  void begin(uint64_t) override {
    preempted_.clear();
    switches_.clear();
  }
  size_t choose(const sched::Decision& d) override;
  /// preempted()[i]: step i switched away from a fiber that could have continued.
  const std::vector<bool>& preempted() const { return preempted_; }
  /// The decisions that differed from the default rule.
  const std::vector<switch_point>& switches() const { return switches_; }

 private:
  std::vector<sched::FiberId> decisions_;
  std::vector<std::pair<uint64_t, sched::FiberId>> wanted_;  // sorted by step (switch mode)
  bool by_switches_ = false;
  std::vector<bool> preempted_;
  std::vector<switch_point> switches_;
};

}  // namespace fsrace::sim
