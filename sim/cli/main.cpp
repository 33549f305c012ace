// fsrace: deterministic exploration of btrfs maintenance races. Thin: parses flags, calls sim.
#include <csignal>
#include <cstring>
#include <ctime>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "sim/cli/commands.hpp"
#include "sim/interrupt.hpp"
#include "sim/limits.hpp"

#ifndef FSRACE_VERSION
#define FSRACE_VERSION "0.0.0"
#endif

namespace {

using namespace fsrace::cli;

// Unsigned numbers as typed: no sign (CLI11 would wrap "-4" into a huge unsigned) and no leading zero
// (strtoull would read "010" as octal); decimal or 0x hex.
const CLI::Validator kUnsigned(
    [](std::string& s) -> std::string {
      if (!s.empty() && (s[0] == '-' || s[0] == '+')) return "expected an unsigned integer, got \"" + s + "\"";
      if (s.size() > 1 && s[0] == '0' && std::isdigit(static_cast<unsigned char>(s[1])))
        return "expected a decimal integer without leading zeros (or 0x hex), got \"" + s + "\"";
      return {};
    },
    "UINT");

void add_explore_flags(CLI::App* cmd, explore_flags& f) {
  cmd->add_option("--strategy", f.strategy, "random | pct | dfs | dpor (default: the scenario's)")
      ->check(CLI::IsMember({"random", "pct", "dfs", "dpor"}));
  cmd->add_option("--seed", f.seed, "base seed (explore) or execution seed / DFS index (replay); decimal or 0x hex");
  cmd->add_option("--runs", f.runs, "executions at most")->check(kUnsigned & CLI::Range(uint64_t{1}, uint64_t{1'000'000'000'000}));
  cmd->add_option("--depth", f.depth, "PCT bug depth d")->check(kUnsigned & CLI::Range(1u, 16u));
  cmd->add_option("--preemptions", f.preemptions, "DFS preemption bound")->check(kUnsigned & CLI::Range(0u, 16u));
  cmd->add_option("--max-steps", f.max_steps, "steps per execution before it ends as step-limit")
      ->check(kUnsigned & CLI::Range(uint64_t{1}, fsrace::sim::limits::kMaxSteps));
  cmd->add_option("--fixes", f.fixes, "on | off: the scenario's fixes under test (default: off)")->check(CLI::IsMember({"on", "off"}));
  cmd->add_option("--fix", f.fix, "ID=on|off: one fix, after --fixes (repeatable)");
}

// The flags that choose one execution to re-run (replay, export): the exploration flags, --schedule,
// --switches and --shard.
void add_execution_choice(CLI::App* cmd, execution_choice& c) {
  add_explore_flags(cmd, c.flags);
  cmd->add_option("--schedule", c.schedule, "schedule file to replay (label-checked)");
  cmd->add_option("--switches", c.switches, "STEP:THREAD,...: the decisions that differ from 'keep the running thread, else the lowest id' (as explore prints for a shrunk race)");
  cmd->add_option("--shard", c.shard, "K/N: dfs only, --seed numbers the execution within that shard (as explore --shard printed)");
}

CLI::Option* add_diagram_steps(CLI::App* cmd, size_t& steps) {
  return cmd->add_option("--diagram-steps", steps, "steps a diagram shows at most: a longer execution shows its race window (0 = all)")
      ->check(kUnsigned & CLI::Range(size_t{0}, size_t{1'000'000}))
      ->capture_default_str();
}

void add_shrink_budget(CLI::App* cmd, uint64_t& executions, double& seconds, const char* executions_flag, const char* seconds_flag) {
  cmd->add_option(executions_flag, executions, "executions the shrinking may use")
      ->check(kUnsigned & CLI::Range(uint64_t{1}, uint64_t{100'000'000}))
      ->capture_default_str();
  cmd->add_option(seconds_flag, seconds, "seconds the shrinking may take (0 = no limit); it says when it stopped early")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
}

void setup_logging(int verbose, bool quiet) {
  auto logger = spdlog::stderr_color_mt("fsrace");
  logger->set_pattern("fsrace: %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(quiet ? spdlog::level::err
                          : verbose >= 2 ? spdlog::level::trace
                          : verbose == 1 ? spdlog::level::debug
                                         : spdlog::level::info);
  set_quiet(quiet);
}

// Ctrl-C: the first one asks the running exploration to stop (it finishes its execution, prints its
// summary and writes the partial reports, marked interrupted); a second one ends the process at once.
// The same request can arrive twice: GNU `timeout -s INT` (and other supervisors) signal the child and then
// its whole process group, both from one pid, back to back. A repeat from the first sender within a second
// is that duplicate and is ignored; a terminal's Ctrl-C comes from the kernel (si_pid 0) and never is.
volatile sig_atomic_t g_first_sender = -1;
timespec g_first_at{};

bool duplicate_of_first(const siginfo_t* info) {
  if (g_first_sender <= 0 || info == nullptr || info->si_code != SI_USER || info->si_pid != g_first_sender) return false;
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);  // async-signal-safe (POSIX)
  return now.tv_sec - g_first_at.tv_sec < 1 || (now.tv_sec - g_first_at.tv_sec == 1 && now.tv_nsec < g_first_at.tv_nsec);
}

void on_interrupt(int, siginfo_t* info, void*) {
  if (g_first_sender == -1) {
    g_first_sender = (info != nullptr && info->si_code == SI_USER) ? info->si_pid : 0;
    clock_gettime(CLOCK_MONOTONIC, &g_first_at);
    fsrace::sim::request_interrupt();
    return;
  }
  if (duplicate_of_first(info)) return;
  signal(SIGINT, SIG_DFL);  // the second Ctrl-C: the default action, at once
  raise(SIGINT);
}

void install_interrupt_handler() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_interrupt;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
}

// "fsrace explor ...": the first word that is not a global flag names an unknown subcommand.
std::string unknown_subcommand(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!arg.empty() && arg[0] == '-') continue;
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), arg) != names.end()) return {};
    return "unknown command \"" + arg + "\"" + fsrace::sim::did_you_mean(arg, names) + "; `fsrace --help` lists the commands";
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fsrace: deterministic concurrency simulator for btrfs maintenance races"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags are accepted after the subcommand too
  app.set_version_flag("--version", std::string("fsrace ") + FSRACE_VERSION + " (models Linux 6.1.192)");
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "more log output (-vv: trace)");
  app.add_flag("-q,--quiet", quiet, "errors only, no progress");

  explore_args ex;
  auto* explore = app.add_subcommand("explore", "explore interleavings of a scenario; exit 0 clean, 1 violation, 2 bad input, 3 tool error, 130 interrupted");
  explore->add_option("scenario", ex.file, "scenario file")->required();
  add_explore_flags(explore, ex.flags);
  explore->add_flag("--json", ex.json, "print one JSON object instead of text");
  explore->add_option("--html", ex.html, "also write an HTML report with the violations as swimlanes (atomically)");
  explore->add_flag("--keep-going", ex.keep_going, "do not stop at the first violation; list every distinct one");
  explore->add_option("--save-schedule", ex.save_schedule, "write the first violation's schedule file here (shrunk, as drawn)");
  explore->add_option("--jobs", ex.jobs, "worker threads; results are identical for any number")->check(CLI::Range(1, 1024));
  explore->add_option("--shard", ex.shard, "K/N: explore only shard K of N (seed ranges; dfs: disjoint subtrees; dpor: the plans its first plan cuts off); N alone: K from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID");
  explore->add_option("--time-budget", ex.time_budget, "CPU seconds the exploration may use (all threads); it reports what it covered")->check(CLI::Range(0.001, 1e9));
  explore->add_flag("--no-label-coverage", ex.no_label_coverage, "do not collect label coverage (about 10% faster; the JSON's label_coverage is null)");
  explore->add_option("--dpor-races", ex.dpor_races, "dpor: list the N pairs of steps (by label) whose races added the most backtrack points: what keeps DPOR from pruning")
      ->check(CLI::Range(1, 1000));
  explore->add_flag("--no-shrink", ex.no_shrink, "show and save the violation as found, not shrunk");
  explore->add_option("--btrfs-check-sample", ex.btrfs_check_sample, "after exploring, re-run the run's executions in order and judge the committed end state of the first K that ended clean with btrfs check (btrfs-progs; loop devices for several devices); a failure is a violation (exit 1)")
      ->check(kUnsigned & CLI::Range(uint64_t{1}, uint64_t{10000}));
  add_shrink_budget(explore, ex.shrink_budget, ex.shrink_seconds, "--shrink-budget", "--shrink-time");
  add_diagram_steps(explore, ex.diagram_steps);

  replay_args rp;
  auto* replay = app.add_subcommand("replay", "re-run one execution and print its interleaving diagram and finding");
  replay->add_option("scenario", rp.file, "scenario file")->required();
  add_execution_choice(replay, rp.choice);
  replay->add_option("--save-schedule", rp.save_schedule, "write the replayed execution's schedule file here");
  replay->add_flag("--json", rp.json, "print one JSON object instead of text");
  replay->add_option("--until", rp.until, "stop before step N and print the model's state there (block groups, trees, ordered extents, locks, transaction)")
      ->check(kUnsigned);
  add_diagram_steps(replay, rp.diagram_steps);
  replay->add_flag("--footprints", rp.footprints,
                   "print what each step touched, as the dpor strategy sees it (footprint.hpp), and which steps ran "
                   "undeclared code (dependent on every step)")
      ->excludes("--until");

  shrink_args sh;
  auto* shrink = app.add_subcommand("shrink", "find the schedule with the fewest preemptions (then steps) showing the same violation; save it");
  shrink->add_option("scenario", sh.file, "scenario file")->required();
  add_explore_flags(shrink, sh.flags);
  shrink->add_option("--schedule", sh.schedule, "shrink this schedule file instead of --seed");
  shrink->add_option("-o,--output", sh.output, "schedule file to write (default: NAME.shrunk.schedule.json)");
  add_shrink_budget(shrink, sh.budget, sh.seconds, "--shrink-budget", "--shrink-time");

  check_footprints_args cf;
  auto* check_fp = app.add_subcommand(
      "check-footprints",
      "check DPOR's footprint claims: re-run sampled executions with each pair of adjacent steps the claims call "
      "independent swapped; exit 0 when all commute, 3 when one does not (the later steps or the end differ)");
  check_fp->add_option("scenario", cf.file, "scenario file")->required();
  check_fp->add_option("--fixes", cf.fixes, "on | off: the scenario's fixes under test (default: off)")->check(CLI::IsMember({"on", "off"}));
  check_fp->add_option("--fix", cf.fix, "ID=on|off: one fix, after --fixes (repeatable)");
  check_fp->add_option("--runs", cf.runs, "executions to sample (default 20)")
      ->check(kUnsigned & CLI::Range(uint64_t{1}, uint64_t{1'000'000}));
  check_fp->add_option("--strategy", cf.strategy, "random | pct: how the sample's executions are chosen (default random)")
      ->check(CLI::IsMember({"random", "pct"}));
  check_fp->add_option("--depth", cf.depth, "pct's bug depth d (default: the scenario's)")->check(kUnsigned & CLI::Range(1u, 16u));
  check_fp->add_option("--seed", cf.seed, "base seed of the sample, as explore takes it (default: the scenario's)");
  check_fp->add_option("--max-steps", cf.max_steps, "steps per execution before it ends as step-limit")
      ->check(kUnsigned & CLI::Range(uint64_t{1}, fsrace::sim::limits::kMaxSteps));
  check_fp->add_option("--max-failures", cf.max_failures, "stop after this many pairs that do not commute (default 10)")
      ->check(kUnsigned & CLI::Range(size_t{1}, size_t{10'000}));
  check_fp->add_option("--max-swaps", cf.max_swaps, "re-run at most this many swapped pairs (default 100000); the sample ends there")
      ->check(kUnsigned & CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  check_fp->add_flag("--json", cf.json, "print one JSON object instead of text");

  run_args rn;
  auto* run = app.add_subcommand("run", "run every scenario under each of its expectations; exit 0 only if all hold, 130 interrupted");
  run->add_option("paths", rn.paths, "scenario files or directories (default: ./scenarios)");
  run->add_option("--junit", rn.junit, "write a JUnit XML report (atomically)");
  run->add_option("--json", rn.json, "write a JSON report (atomically)");
  run->add_option("--html", rn.html, "write an HTML report: summary table, violations as swimlanes (atomically)");
  run->add_option("--jobs", rn.jobs, "worker threads per exploration; results are identical for any number")->check(CLI::Range(1, 1024));
  run->add_option("--shard", rn.shard, "K/N: run only the cases c with c mod N = K; N alone: K from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID");
  run->add_option("--time-budget", rn.time_budget, "CPU seconds each exploration may use; a search it stops does not prove a clean expectation")->check(CLI::Range(0.001, 1e9));
  run->add_flag("--no-shrink", rn.no_shrink, "draw the violations as found, not shrunk");
  add_shrink_budget(run, rn.shrink_budget, rn.shrink_seconds, "--shrink-budget", "--shrink-time");
  add_diagram_steps(run, rn.diagram_steps);

  diff_args df;
  auto* diff = app.add_subcommand("diff", "where two executions part: a scenario under two fix settings or two seeds, or two schedule files");
  diff->add_option("first", df.file, "scenario file, or the first schedule file")->required();
  diff->add_option("second", df.second, "the second schedule file (when the first is one)");
  diff->add_option("--seed", df.seeds, "execution seed (or DFS index); twice for two seeds")->expected(1, 2);
  diff->add_option("--fixes", df.fixes, "on | off; twice for two fix settings (default: off)")->expected(1, 2)->check(CLI::IsMember({"on", "off"}));
  diff->add_option("--strategy", df.strategy, "random | pct | dfs | dpor (default: the scenario's)")->check(CLI::IsMember({"random", "pct", "dfs", "dpor"}));
  diff->add_option("--depth", df.depth, "PCT bug depth d")->check(kUnsigned & CLI::Range(1u, 16u));
  diff->add_option("--preemptions", df.preemptions, "DFS preemption bound")->check(kUnsigned & CLI::Range(0u, 16u));
  diff->add_option("--max-steps", df.max_steps, "steps per execution")->check(kUnsigned & CLI::Range(uint64_t{1}, fsrace::sim::limits::kMaxSteps));
  diff->add_option("--context", df.context, "steps shown before and after where they part")->check(kUnsigned & CLI::Range(size_t{0}, size_t{1000}))->capture_default_str();

  merge_args mg;
  auto* merge = app.add_subcommand("merge", "combine the --json results of every shard into the result of one unsharded run");
  merge->add_option("files", mg.files, "shard result files (explore --json output, or run --json files)")->required();
  merge->add_option("--junit", mg.junit, "suites: write the merged JUnit XML report");
  merge->add_option("--json", mg.json, "write the merged JSON here instead of stdout (explore) / as a file (suites)");

  bench_args bn;
  auto* bench = app.add_subcommand("bench", "measure: context switch limit, scheduling decision cost, clone cost, and per scenario executions/s and time to the first violation");
  bench->add_option("--scenarios", bn.scenarios, "scenario files or directories (default: the scenarios directory)");
  bench->add_flag("--json", bn.json, "print one JSON object instead of text");
  bench->add_option("--seeds", bn.seeds, "base seeds per randomised strategy (medians are reported)")->check(kUnsigned & CLI::Range(1, 1000));
  bench->add_option("--budget", bn.budget, "executions at most while looking for the first violation")->check(kUnsigned & CLI::Range(1, 100000000));
  bench->add_option("--first-cpu", bn.first_cpu, "CPU seconds each first-violation run may use (default 10); a run it stops is reported as stopped, not as a count")->check(CLI::Range(0.001, 1e9));
  bench->add_option("--runs", bn.rate_runs, "executions timed for executions/s")->check(kUnsigned & CLI::Range(1, 100000000));
  bench->add_option("--decisions", bn.decisions, "scheduling decisions per ping-pong measurement")->check(kUnsigned & CLI::Range(uint64_t{1000}, uint64_t{10000000000}));
  bench->add_option("--repeat", bn.repeat, "measurements of the scheduler figures (the best is reported)")->check(kUnsigned & CLI::Range(1, 100));
  bench->add_flag("--verify", bn.verify, "also search each fixed variant exhaustively with DFS (slow)");
  bench->add_option("--verify-bound", bn.verify_bound, "preemption bound of --verify")->check(kUnsigned & CLI::Range(0, 16));
  bench->add_option("--verify-strategy", bn.verify_strategy, "dfs (default) or dpor: the search of --verify");
  bench->add_option("--verify-budget", bn.verify_budget, "CPU seconds each --verify search may use (default 120); then it reports what it covered")->check(CLI::Range(0.001, 1e9));
  bench->add_option("--jobs", bn.jobs, "worker threads of the --verify search")->check(CLI::Range(1, 1024));

  soak_args sk;
  std::string soak_seed;
  auto* soak = app.add_subcommand("soak", "run the soak workloads (scenarios/soak/: every fix on, must stay clean) for N executions or S seconds of wall time; print executions, wall and CPU seconds per workload and any finding; exit 0 clean, 1 finding, 3 tool error");
  soak->add_option("paths", sk.paths, "workload files or directories (default: the scenarios directory's soak/)");
  soak->add_option("--executions", sk.executions, "executions in total, spread evenly over the workloads' expectations")->check(CLI::Range(uint64_t{1}, uint64_t{1} << 50));
  soak->add_option("--time-budget", sk.time_budget, "seconds of wall time instead of --executions (rounds are not cut short)")->check(CLI::Range(0.001, 1e9));
  soak->add_option("--round", sk.round, "executions per workload per round-robin turn")->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  soak->add_option("--seed", soak_seed, "base seed instead of each expectation's (decimal or 0x hex)");
  soak->add_option("--jobs", sk.jobs, "worker threads per exploration; results are identical for any number")->check(CLI::Range(1, 1024));

  report_args rt;
  auto* report = app.add_subcommand("report", "render the --json results of run, explore or merge; exit 0 once written, 2 on bad input");
  report->add_option("files", rt.files, "result files (run --json, explore --json, merge output)")->required();
  report->add_option("--html", rt.html, "write one self-contained HTML page (atomically)");

  export_args xp;
  auto* exprt = app.add_subcommand("export", "write the committed state after the scenario's setup, or after an execution (--seed, --schedule, --switches as replay takes them), as btrfs image files DIR/<n>.img (n: the device's index), for btrfs check; exit 2 for a state it cannot write yet");
  exprt->add_option("scenario", xp.file, "scenario file")->required();
  exprt->add_option("-o,--output", xp.dir, "directory for the images (created if absent)")->required();
  add_execution_choice(exprt, xp.choice);
  exprt->add_option("--until", xp.until, "stop the execution after step N: the committed state then (the super block names the last commit's roots)")
      ->check(kUnsigned);

  std::vector<std::string> validate_files;
  auto* validate = app.add_subcommand("validate", "check scenario files (and build their filesystems); exit 2 on any error");
  validate->add_option("files", validate_files, "scenario files")->required();

  bool list_json = false;
  auto* list = app.add_subcommand("list", "print the operations, invariants and fixes scenarios may use");
  list->add_flag("--json", list_json, "as JSON");

  std::string new_name, new_output;
  bool new_force = false;
  auto* make = app.add_subcommand("new", "write a commented starting scenario NAME.json");
  make->add_option("name", new_name, "scenario name (lower-case letters, digits, '.', '_', '-')")->required();
  make->add_option("-o,--output", new_output, "file to write (default: NAME.json)");
  make->add_flag("--force", new_force, "overwrite an existing file");

  if (const std::string unknown = unknown_subcommand(app, argc, argv); !unknown.empty()) {
    fmt::print(stderr, "fsrace: error: {}\n", unknown);
    return kBadInput;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, the version or the message
    return code == 0 ? 0 : kBadInput;
  }
  setup_logging(verbose, quiet);
  install_interrupt_handler();
  try {
    if (*explore) return cmd_explore(ex);
    if (*replay) return cmd_replay(rp);
    if (*shrink) return cmd_shrink(sh);
    if (*check_fp) return cmd_check_footprints(cf);
    if (*run) return cmd_run(rn);
    if (*diff) return cmd_diff(df);
    if (*merge) return cmd_merge(mg);
    if (*report) return cmd_report(rt);
    if (*bench) return cmd_bench(bn);
    if (*soak) {
      if (!soak_seed.empty()) sk.seed = parse_seed(soak_seed, "--seed");
      return cmd_soak(sk);
    }
    if (*exprt) return cmd_export(xp);
    if (*validate) return cmd_validate(validate_files);
    if (*list) return cmd_list(list_json);
    if (*make) return cmd_new(new_name, new_output, new_force);
  } catch (const fsrace::sim::input_error& e) {
    print_input_error(e);
    return kBadInput;
  } catch (const fsrace::sim::tool_error& e) {
    fmt::print(stderr, "fsrace: tool error (a bug in fsrace or its model, not a race): {}\n", e.what());
    return kToolError;
  } catch (const std::exception& e) {
    fmt::print(stderr, "fsrace: tool error (a bug in fsrace or its model, not a race): {}\n", e.what());
    return kToolError;
  }
  return kBadInput;
}
