#pragma once
// The subcommands; each returns the process exit code (see common.hpp) and may throw input_error or
// tool_error, which main() turns into messages and exit codes 2 and 3.
#include <optional>
#include <string>
#include <vector>

#include "sim/cli/common.hpp"
#include "sim/prepared.hpp"
#include "sim/shrink.hpp"

namespace fsrace::cli {

struct explore_args {
  std::string file;
  explore_flags flags;
  bool json = false, keep_going = false, no_shrink = false;
  std::string save_schedule, html;
  size_t diagram_steps = 100;
  uint64_t shrink_budget = 20000;
  double shrink_seconds = 10;
  unsigned jobs = 1;
  std::string shard;
  double time_budget = 0;  // CPU seconds; 0 = none
  bool no_label_coverage = false;
  size_t dpor_races = 0;  // dpor: list the N pairs of steps whose races added the most backtrack points
  uint64_t btrfs_check_sample = 0;  // re-run the run's first executions and btrfs check the end state of this many clean ones
};
int cmd_explore(const explore_args&);

/// Which one execution replay and export re-run: --seed S (with the exploration flags and --shard),
/// --schedule FILE or --switches LIST (main.cpp: add_execution_choice parses them for both).
struct execution_choice {
  explore_flags flags;
  std::string schedule, shard;
  std::optional<std::string> switches;  // given (possibly empty: the schedule that never switches)
  bool given() const { return !flags.seed.empty() || !schedule.empty() || switches.has_value(); }
};
struct chosen_execution {
  sched::Execution ex;
  std::vector<uint64_t> preemptions;  // marked by --switches (else empty)
  sim::fix_setting setting;
  std::string origin;  // "schedule FILE", "switches ...", "<strategy> seed S"
};
/// Checks the combination before any work: input_error naming the flag; `command` names the command in
/// messages ("replay", "export").
void check_execution_choice(const execution_choice&, const std::string& command);
/// Checks the combination, then runs the chosen execution.
chosen_execution choose_execution(const execution_choice&, const sim::scenario&, const sim::prepared_scenario&,
                                  const std::string& command);

struct replay_args {
  std::string file, save_schedule;
  execution_choice choice;
  bool json = false;
  std::optional<uint64_t> until;  // stop before step N and print the model's state
  size_t diagram_steps = 0;
  bool footprints = false;  // print what each step touched (footprint.hpp) instead of the diagram
};
int cmd_replay(const replay_args&);

struct check_footprints_args {
  std::string file, seed, fixes;
  std::string strategy = "random";  // the sampler: random or pct
  std::optional<uint32_t> depth;    // pct's bug depth (default: the scenario's)
  std::vector<std::string> fix;
  uint64_t runs = 20;  // executions sampled (random or pct)
  std::optional<uint64_t> max_steps;
  size_t max_failures = 10;
  uint64_t max_swaps = 100000;  // re-runs at most (the sample ends early)
  bool json = false;
};
/// Exit 0 when every swapped pair commutes, 3 (a tool error: the model's claims are wrong) otherwise.
int cmd_check_footprints(const check_footprints_args&);

struct shrink_args {
  std::string file, schedule, output;
  explore_flags flags;
  uint64_t budget = 100000;
  double seconds = 0;
};
int cmd_shrink(const shrink_args&);

struct run_args {
  std::vector<std::string> paths;
  std::string junit, json, html;
  size_t diagram_steps = 100;
  uint64_t shrink_budget = 2000;
  double shrink_seconds = 5;
  bool no_shrink = false;
  unsigned jobs = 1;
  std::string shard;
  double time_budget = 0;  // CPU seconds per exploration; 0 = none
};
int cmd_run(const run_args&);

struct merge_args {
  std::vector<std::string> files;
  std::string junit, json;
};
int cmd_merge(const merge_args&);

struct report_args {
  std::vector<std::string> files;  // run --json, explore --json or merge results
  std::string html;
};
int cmd_report(const report_args&);
/// Writes a report atomically; a path that cannot be written is bad input naming `flag` (exit 2).
void write_report_file(const std::string& flag, const std::string& path, const std::string& content);
/// Checks every (flag, path) given (empty paths are skipped) before any work: each must be writable and
/// hold nothing but a regular file, and no two flags may name the same file. Throws input_error listing all.
void check_output_paths(const std::vector<std::pair<std::string, std::string>>& flag_paths);

struct bench_args {
  std::vector<std::string> scenarios;  // files or directories (default: the scenarios directory)
  bool json = false, verify = false;
  uint64_t seeds = 5, budget = 100000, rate_runs = 2000, decisions = 20'000'000, repeat = 5;
  uint32_t verify_bound = 2;
  std::string verify_strategy;   // dfs (default) or dpor
  double verify_budget = 120;    // CPU seconds per verifying search
  double first_cpu = 10;         // CPU seconds per first-violation run
  unsigned jobs = 1;
};
int cmd_bench(const bench_args&);

struct soak_args {
  std::vector<std::string> paths;  // default: the scenarios directory's soak/
  uint64_t executions = 0;         // in total, spread evenly over the workloads' expectations
  double time_budget = 0;          // seconds, instead of --executions
  uint64_t round = 2000;           // executions per workload per round-robin turn
  std::optional<uint64_t> seed;    // base seed instead of each expectation's
  unsigned jobs = 1;
};
int cmd_soak(const soak_args&);

struct diff_args {
  std::string file;                          // a scenario (then seeds and fix settings), or the first of two schedule files
  std::string second;                        // the second schedule file
  std::vector<std::string> seeds, fixes;     // one or two each
  std::string strategy;
  std::optional<uint32_t> depth, preemptions;
  std::optional<uint64_t> max_steps;
  size_t context = 6;
};
int cmd_diff(const diff_args&);

struct export_args {
  std::string file, dir;
  execution_choice choice;        // none given: the state after setup
  std::optional<uint64_t> until;  // the committed state after step N of the chosen execution
};
int cmd_export(const export_args&);

int cmd_validate(const std::vector<std::string>& files);
int cmd_list(bool json);
int cmd_new(const std::string& name, const std::string& output, bool force);

}  // namespace fsrace::cli
