#pragma once
// `fsrace run`: every scenario under each of its expectations, as report cases.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "reports/results.hpp"
#include "sim/explore.hpp"

namespace fsrace::sim {

/// "fsrace replay 'scenarios/x.json' --seed 123 --strategy pct --depth 3 --fixes off".
std::string replay_command(const scenario&, const explore_settings&, const fix_setting&, uint64_t key);
/// "fsrace replay 'scenarios/x.json' --switches 57:1,120:0 --fixes off": the schedule given by its switches
/// (a shrunk execution).
std::string switches_replay_command(const scenario&, const explore_settings&, const fix_setting&, const std::string& switches);
/// "pct depth 3", "dfs preemptions 2", "random".
std::string describe_strategy(const explore_settings&);

/// How `run` shows the violations it found: the first one shrunk within a budget, each with its race
/// window (diagram and trace).
struct show_options {
  bool diagrams = false;     // add each violation's diagram and trace
  size_t diagram_steps = 0;  // at most this many steps in a diagram (0 = all)
  bool footer = true;        // the diagram ends with the finding's message (explore prints it above instead)
  bool shrink = false;       // shrink the first violation (the one the case is about) before drawing it
  uint64_t shrink_budget = 2000;
  double shrink_seconds = 0;
  std::function<void(uint64_t, uint64_t, uint64_t, const char*)> shrink_progress;
  /// Called every progress_every executions of the exploration (executions done, distinct violations).
  std::function<void(uint64_t, uint64_t)> progress;
};

/// Explores one expectation and judges it: pass when it held, fail with the reason otherwise, error on a
/// tool error. `diagram_steps` > 0 adds the diagram (last N steps) of each violation.
/// `jobs` worker threads explore it (random and pct); the result does not depend on their number.
/// `cpu_budget` > 0 bounds it by process CPU seconds. A clean expectation whose settings require an
/// exhaustive search (dfs unless "exhaustive": false) fails when the search stopped before the end.
reports::case_result check_expectation(const prepared_scenario&, const expectation&, size_t diagram_steps = 0,
                                       unsigned jobs = 1, double cpu_budget = 0);
reports::case_result check_expectation(const prepared_scenario&, const expectation&, const show_options&, unsigned jobs,
                                        double cpu_budget = 0);

struct shrink_result;
/// Draws one violation into `entry` (the diagram, the trace of its race window): re-run as found, or shrunk
/// first when `shrink` (then the entry's replay command, steps and preemptions are the shrunk execution's,
/// the seed's command is kept as found_replay_command). Returns the shrink result when it shrank.
std::optional<shrink_result> show_violation(const prepared_scenario&, const explore_settings&, const fix_setting&,
                                            const std::vector<sched::FiberId>& decisions, const show_options&,
                                            reports::violation_entry& entry);
/// Report entry of one exploration (used by explore and run).
reports::case_result case_of(const scenario&, const exploration&, const std::string& expected, double seconds);

/// Scenario files under the paths given: files as they are, directories searched (not recursively) for
/// *.json except schema.json; sorted by path. A path that does not exist is an input_error.
std::vector<std::string> find_scenarios(const std::vector<std::string>& paths);

}  // namespace fsrace::sim
