// fsrace check-footprints: are the footprint claims DPOR prunes with right where a sample of executions
// (random or PCT) puts two steps side by side? (scheduler/commute_check.hpp)
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/cli/commands.hpp"
#include "sim/diagnostics.hpp"
#include "sim/footprint_check.hpp"
#include "sim/scenario_load.hpp"
#include "sim/suite.hpp"

namespace fsrace::cli {

int cmd_check_footprints(const check_footprints_args& a) {
  const sim::binding& b = sim::default_binding();
  auto sc = load_scenario_arg(a.file, *b.cat);
  const sim::fix_setting setting = parse_fix_flags(a.fixes, a.fix, sim::fix_setting{false, {}});
  const uint64_t base = a.seed.empty() ? sc->explore.seed : parse_seed(a.seed, "--seed");
  const uint64_t max_steps = a.max_steps ? *a.max_steps : sc->explore.max_steps;
  if (a.depth && a.strategy != "pct") throw sim::input_error("", "--depth", "only --strategy pct takes a depth");
  const uint32_t depth = a.strategy == "pct" ? (a.depth ? *a.depth : sc->explore.depth) : 0;
  // The replay command of a sampled execution: the sampler and its seed.
  const std::string sampler = depth ? fmt::format("--strategy pct --depth {}", depth) : "--strategy random";
  sim::prepared_scenario prepared(*sc, b);
  const sched::CommuteReport r =
      sim::check_footprints(prepared, setting, depth, base, a.runs, a.max_failures, a.max_swaps, max_steps);
  const int code = r.failures.empty() ? kClean : kToolError;
  if (a.json) {
    nlohmann::json failures = nlohmann::json::array();
    for (const auto& f : r.failures)
      failures.push_back({{"seed", f.seed},
                          {"step", f.step},
                          {"moved_over", f.moved_over},
                          {"first", {{"thread", f.first_thread}, {"label", f.first_label}, {"touched", sched::describe(f.first)}}},
                          {"second", {{"thread", f.second_thread}, {"label", f.second_label}, {"touched", sched::describe(f.second)}}},
                          {"what", f.what},
                          {"decisions", f.decisions}});
    nlohmann::json j = {{"scenario", sc->name},
                        {"file", sc->file},
                        {"fixes", setting.describe()},
                        {"strategy", depth ? fmt::format("pct depth {}", depth) : "random"},
                        {"base_seed", base},
                        {"executions", r.executions},
                        {"steps", r.steps},
                        {"claimed_independent", r.claimed},
                        {"swapped", r.swapped - r.block_moves},
                        {"block_moves", r.block_moves},
                        {"reruns", r.swapped},
                        {"not_enabled", r.not_enabled},
                        {"renumbering", r.renumbering},
                        {"stopped_at_max_swaps", r.swapped >= a.max_swaps},
                        {"failures", failures},
                        {"result", code == kClean ? "commute" : "tool-error"}};
    fmt::print("{}\n", j.dump(2));
    return code;
  }
  fmt::print("{} ({}): fixes {}, {} {} executions from seed {} ({} steps){}\n", sc->name, sc->file,
             setting.describe(), r.executions, depth ? fmt::format("pct depth {}", depth) : "random", base, r.steps,
             r.swapped >= a.max_swaps ? fmt::format(" (stopped at --max-swaps {})", a.max_swaps) : "");
  fmt::print("  {} pairs of adjacent steps of two threads the footprints call independent: {} re-run swapped, {} not "
             "(the first step woke the second's thread), {} not (both start a thread: swapping would renumber them); {} "
             "steps also re-run moved before the longer run of steps they are independent of\n",
             r.claimed, r.swapped - r.block_moves, r.not_enabled, r.renumbering, r.block_moves);
  if (r.failures.empty()) {
    fmt::print("every re-run commutes: the same later steps, the same end\n");
    return code;
  }
  fmt::print("TOOL ERROR: {} pair{} do not commute (a claim leaves out what a step touches; DPOR could call a search "
             "clean that skipped an interleaving):\n",
             r.failures.size(), r.failures.size() == 1 ? "" : "s");
  for (const auto& f : r.failures) {
    if (f.moved_over == 1)
      fmt::print("\n  sampled execution seed {:#x}, steps {} and {} swapped:\n", f.seed, f.step, f.step + 1);
    else
      fmt::print("\n  sampled execution seed {:#x}, step {} moved before steps {}..{} (moved only over those after step {}, it "
                 "commutes):\n",
                 f.seed, f.step + f.moved_over, f.step, f.step + f.moved_over - 1, f.step);
    fmt::print("    {:<20} {}\n      touched: {}\n", f.first_thread, f.first_label, sched::describe(f.first));
    fmt::print("    {:<20} {}\n      touched: {}\n", f.second_thread, f.second_label, sched::describe(f.second));
    fmt::print("    with the second first, {}\n", f.what);
    fmt::print("    the sampled execution: fsrace replay {} {} {} --seed {:#x} --footprints\n", sc->file,
               setting.cli_args(), sampler, f.seed);
  }
  return code;
}

}  // namespace fsrace::cli
