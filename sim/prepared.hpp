#pragma once
// Prepared scenario: the world built once (mkfs + setup operations in a single fiber) and frozen, and
// the executor that runs one execution of the scenario's threads on a fresh copy of it.
#include <memory>
#include <string>
#include <vector>

#include "scheduler/label_coverage.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"
#include "sim/binding.hpp"
#include "sim/exec_context.hpp"
#include "sim/scenario.hpp"

namespace fsrace::sim {

class prepared_scenario {
 public:
  /// Builds and freezes the world. Throws input_error (the filesystem cannot be built, a setup operation
  /// failed) or tool_error (the model failed during single-threaded setup).
  prepared_scenario(const scenario& sc, const binding& b);

  const scenario& the_scenario() const { return *sc_; }
  const world& base() const { return *base_; }
  /// Steps the setup took (shown by `fsrace validate -v`).
  uint64_t setup_steps() const { return setup_steps_; }

 private:
  const scenario* sc_;
  std::unique_ptr<world> base_;
  uint64_t setup_steps_ = 0;
};

/// Runs executions of one prepared scenario, one at a time, reusing its scheduler and world copy.
class executor {
 public:
  /// record_footprints: each execution's Execution::footprints too (replay --footprints).
  executor(const prepared_scenario& prepared, uint64_t max_steps, bool record_trace, bool record_footprints = false);
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;

  void set_fixes(const model::fix_set& fixes) { fixes_ = fixes; }
  /// One execution: copy the prepared world, spawn one fiber per scenario thread, run them with
  /// `strategy` started at `seed`, then check the invariants if it ended clean. `out.finding` says how
  /// it ended (invariant failures are FindingKind::Violation with step = out.steps).
  void run(sched::Strategy& strategy, uint64_t seed, sched::Execution& out);
  /// The world of the execution running (or last run): for state dumps from a strategy (replay --until).
  const world& current_world() const { return *world_; }
  /// The most bytes of model state the last execution held (world::state_bytes at every operation's
  /// end and at the execution's end, plus the fiber stacks): deterministic.
  uint64_t peak_state_bytes() const { return peak_state_bytes_; }
  /// Bytes of model state beyond which an execution ends as a tool error (tests lower it).
  void set_state_limit(uint64_t bytes) { state_limit_ = bytes; }
  /// Every step of the following executions is reported to `coverage` (nullptr: none).
  void set_label_coverage(sched::LabelCoverage* coverage) { coverage_ = coverage; }

 private:
  void thread_body(size_t index);
  void note_state_bytes();
  void check_invariants(sched::Execution& out);

  const prepared_scenario* prepared_;
  const scenario* sc_;
  sched::Scheduler sched_;
  std::unique_ptr<world> world_;
  std::vector<thread_state> states_;
  execution_state shared_;
  model::fix_set fixes_;
  uint64_t stack_bytes_ = 0;  // the fiber stacks of the scenario's threads
  uint64_t peak_state_bytes_ = 0;
  uint64_t state_limit_;
  sched::LabelCoverage* coverage_ = nullptr;
};

/// Follows a decision list without checking labels (re-running a recorded execution to get its trace).
class decision_follower final : public sched::Strategy {
 public:
  explicit decision_follower(std::vector<sched::FiberId> decisions) : decisions_(std::move(decisions)) {}
  void begin(uint64_t) override {}
  size_t choose(const sched::Decision& d) override;

 private:
  std::vector<sched::FiberId> decisions_;
};

/// How an execution ended, for the user.
enum class outcome { clean, violation, divergence, tool_error };
outcome classify(const sched::Finding&);

}  // namespace fsrace::sim
