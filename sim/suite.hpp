#pragma once
// `fsrace run`: every scenario under each of its expectations, as report cases.
#include <string>
#include <vector>

#include "reports/results.hpp"
#include "sim/explore.hpp"

namespace fsrace::sim {

/// "fsrace replay 'scenarios/x.json' --seed 123 --strategy pct --depth 3 --fixes off".
std::string replay_command(const scenario&, const explore_settings&, const fix_setting&, uint64_t key);
/// "pct depth 3", "dfs preemptions 2", "random".
std::string describe_strategy(const explore_settings&);

/// Explores one expectation and judges it: pass when it held, fail with the reason otherwise, error on a
/// tool error. `diagram_steps` > 0 adds the diagram (last N steps) of each violation.
/// `jobs` worker threads explore it (random and pct); the result does not depend on their number.
/// `cpu_budget` > 0 bounds it by process CPU seconds. A clean expectation whose settings require an
/// exhaustive search (dfs unless "exhaustive": false) fails when the search stopped before the end.
reports::case_result check_expectation(const prepared_scenario&, const expectation&, size_t diagram_steps = 0,
                                       unsigned jobs = 1, double cpu_budget = 0);
/// Report entry of one exploration (used by explore and run).
reports::case_result case_of(const scenario&, const exploration&, const std::string& expected, double seconds);

/// Scenario files under the paths given: files as they are, directories searched (not recursively) for
/// *.json except schema.json; sorted by path. A path that does not exist is an input_error.
std::vector<std::string> find_scenarios(const std::vector<std::string>& paths);

}  // namespace fsrace::sim
